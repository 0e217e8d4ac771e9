// oneDNN backend of ops/matmul.h.
#include "ops/matmul.h"

#include <stdlib.h>

#include <stdexcept>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"
#include "ops/gemm_f32.h"
#include "ops/gemm_u8s8.h"
#include "ops/quantize.h"

namespace edgeseq::ops {
namespace {

constexpr size_t kAlign = 64;

size_t AlignUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& ThreadStream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

// Which argument a cached memory object serves: src and dst of one call can
// have the same type and shape, and must not share an object.
enum class Slot { kSrc, kDst, kScratchpad };

// dnnl::memory objects for activations, one per (slot, data type, rows, cols)
// seen on this thread, re-pointed at each call: creating one allocates, so a
// decode loop with a steady M creates them only on its first step. Returned by
// value (a reference-counted handle) so later insertions cannot invalidate it.
dnnl::memory ActivationMemory(Slot slot, dnnl::memory::data_type dt, size_t rows,
                              size_t cols, void* data) {
  struct Entry {
    Slot slot;
    dnnl::memory::data_type dt;
    size_t rows, cols;
    dnnl::memory mem;
  };
  thread_local std::vector<Entry> cache;
  for (Entry& e : cache) {
    if (e.slot == slot && e.dt == dt && e.rows == rows && e.cols == cols) {
      e.mem.set_data_handle(data);
      return e.mem;
    }
  }
  constexpr size_t kMaxEntries = 256;  // bounds memory if M varies wildly
  if (cache.size() >= kMaxEntries) cache.erase(cache.begin());
  const dnnl::memory::desc md({static_cast<dnnl::memory::dim>(rows),
                               static_cast<dnnl::memory::dim>(cols)},
                              dt, dnnl::memory::format_tag::ab);
  cache.push_back({slot, dt, rows, cols, dnnl::memory(md, Engine(), data)});
  return cache.back().mem;
}

struct AlignedFree {
  void operator()(void* p) const { free(p); }
};

}  // namespace

std::string OneDnnName();

int Int8ActivationMax() {
  using isa = dnnl::cpu_isa;
  static const int qmax = [] {
#if defined(__x86_64__) || defined(__i386__)
    switch (dnnl::get_effective_cpu_isa()) {
      case isa::avx512_core_vnni:
      case isa::avx512_core_bf16:
      case isa::avx512_core_amx:
        return 255;
      default:
        // avx2_vnni included: not every oneDNN 2.x GEMM uses it, and a
        // too-small range only costs half a bit of activation precision.
        return 127;
    }
#else
    return 255;  // non-x86 oneDNN GEMMs accumulate in 32 bits
#endif
  }();
  return qmax;
}

std::string MatmulBackendName() {
  return OneDnnName() + "; highway for int8 rows <= " + std::to_string(Matmul::kInt8HighwayMaxRows) +
         ", f32 rows <= " + std::to_string(Matmul::kF32HighwayMaxRows);
}

std::string OneDnnName() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "onednn:sse41";
    case dnnl::cpu_isa::avx: return "onednn:avx";
    case dnnl::cpu_isa::avx2: return "onednn:avx2";
    case dnnl::cpu_isa::avx2_vnni: return "onednn:avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "onednn:avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "onednn:avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "onednn:avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "onednn:avx512_core_amx";
    default: return "onednn";
  }
}

struct Matmul::Impl {
  size_t n = 0, k = 0;
  bool int8 = false;
  const float* bias = nullptr;
  const float* w_scales = nullptr;  // int8 only
  const int8_t* w_int8 = nullptr;   // int8 only: caller's [n, k] weights
  const float* w_f32 = nullptr;     // f32 only: caller's [n, k] weights
  size_t highway_max_rows = Matmul::kInt8HighwayMaxRows;
  std::vector<int32_t> w_sum;       // int8 only: Σ_k Wq[n, k]
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  std::unique_ptr<void, AlignedFree> packed;  // set when weights were reordered
  dnnl::memory weights;
  size_t onednn_scratch = 0;

  void Prepare(const void* w, dnnl::memory::data_type src_dt,
               dnnl::memory::data_type wei_dt, dnnl::memory::data_type dst_dt) {
    using dim = dnnl::memory::dim;
    using tag = dnnl::memory::format_tag;
    const dim K = static_cast<dim>(k), N = static_cast<dim>(n);
    const dnnl::memory::desc src_md({DNNL_RUNTIME_DIM_VAL, K}, src_dt, tag::ab);
    const dnnl::memory::desc dst_md({DNNL_RUNTIME_DIM_VAL, N}, dst_dt, tag::ab);
    // W [N, K] row-major is the {K, N} weights tensor in "ba" order.
    const dnnl::memory::desc plain_md({K, N}, wei_dt, tag::ba);
    const dnnl::memory::desc any_md({K, N}, wei_dt, tag::any);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    try {
      pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, any_md, dst_md),
                                        attr, Engine());
    } catch (const dnnl::error&) {
      pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, plain_md, dst_md),
                                        attr, Engine());
    }
    prim = dnnl::matmul(pd);
    onednn_scratch = pd.scratchpad_desc().get_size();
    dnnl::memory plain(plain_md, Engine(), const_cast<void*>(w));
    if (pd.weights_desc() == plain_md) {
      weights = plain;  // zero copy
      return;
    }
    const size_t bytes = AlignUp(pd.weights_desc().get_size());
    packed.reset(aligned_alloc(kAlign, bytes));
    if (!packed) throw std::bad_alloc();
    weights = dnnl::memory(pd.weights_desc(), Engine(), packed.get());
    dnnl::reorder(plain, weights).execute(ThreadStream(), plain, weights);
    ThreadStream().wait();
  }
};

Matmul::Matmul() = default;
Matmul::Matmul(Matmul&&) noexcept = default;
Matmul& Matmul::operator=(Matmul&&) noexcept = default;
Matmul::~Matmul() = default;

static void CheckShape(const void* w, size_t n, size_t k) {
  if (w == nullptr || n == 0 || k == 0) {
    throw std::invalid_argument("Matmul: empty weight matrix");
  }
  // Keep the int8 accumulators exact: K·255·127 < 2³¹.
  if (k > 66000 || n > (size_t{1} << 31)) {
    throw std::invalid_argument("Matmul: weight matrix too large");
  }
}

Matmul Matmul::CreateF32(const float* w, size_t n, size_t k, const float* bias) {
  CheckShape(w, n, k);
  Matmul m;
  m.impl_ = std::make_unique<Impl>();
  m.impl_->n = n;
  m.impl_->k = k;
  m.impl_->bias = bias;
  m.impl_->w_f32 = w;
  m.impl_->highway_max_rows = kF32HighwayMaxRows;
  using dt = dnnl::memory::data_type;
  m.impl_->Prepare(w, dt::f32, dt::f32, dt::f32);
  return m;
}

Matmul Matmul::CreateInt8(const int8_t* w, const float* w_scales, size_t n,
                          size_t k, const float* bias) {
  CheckShape(w, n, k);
  if (w_scales == nullptr) throw std::invalid_argument("Matmul: int8 weights need scales");
  Matmul m;
  m.impl_ = std::make_unique<Impl>();
  Impl& im = *m.impl_;
  im.n = n;
  im.k = k;
  im.int8 = true;
  im.bias = bias;
  im.w_scales = w_scales;
  im.w_int8 = w;
  im.w_sum.resize(n);
  for (size_t r = 0; r < n; ++r) {
    int32_t s = 0;
    for (size_t c = 0; c < k; ++c) s += w[r * k + c];
    im.w_sum[r] = s;
  }
  using dt = dnnl::memory::data_type;
  im.Prepare(w, dt::u8, dt::s8, dt::s32);
  return m;
}

size_t Matmul::n() const { return impl_->n; }
size_t Matmul::k() const { return impl_->k; }
bool Matmul::is_int8() const { return impl_->int8; }
bool Matmul::weights_copied() const { return impl_->packed != nullptr; }
void Matmul::set_int8_highway_max_rows(size_t rows) {
  if (impl_->int8) impl_->highway_max_rows = rows;
}
void Matmul::set_f32_highway_max_rows(size_t rows) {
  if (!impl_->int8) impl_->highway_max_rows = rows;
}

// Scratch layout (each part 64-byte aligned):
//   f32:  [oneDNN scratchpad]
//   int8: [oneDNN scratchpad][u8 x: m·k][f32 x_scale: m][s32 x_zero: m][s32 acc: m·n]
size_t Matmul::ScratchBytes(size_t max_m) const {
  size_t bytes = AlignUp(impl_->onednn_scratch);
  if (impl_->int8) {
    bytes += AlignUp(max_m * impl_->k) + 2 * AlignUp(max_m * 4) +
             AlignUp(max_m * impl_->n * 4);
  }
  return bytes;
}

void Matmul::Forward(const float* x, size_t m, float* y, Activation act,
                     const MatmulScratch& scratch) const {
  const Impl& im = *impl_;
  if (m == 0) return;
  if (scratch.bytes < ScratchBytes(m) ||
      (reinterpret_cast<uintptr_t>(scratch.data) % kAlign) != 0) {
    throw std::invalid_argument("Matmul::Forward: scratch too small or unaligned");
  }
  auto* base = static_cast<uint8_t*>(scratch.data);
  void* onednn_scratch = base;
  base += AlignUp(im.onednn_scratch);

  if (!im.int8 && m <= im.highway_max_rows) {
    GemmF32(x, m, im.k, im.w_f32, im.n, y);
    BiasActivation(y, m, im.n, im.bias, act);
    return;
  }
  using dt = dnnl::memory::data_type;
  void* src = const_cast<float*>(x);
  void* dst = y;
  dt src_dt = dt::f32, dst_dt = dt::f32;
  uint8_t* xq = nullptr;
  float* x_scale = nullptr;
  int32_t* x_zero = nullptr;
  int32_t* acc = nullptr;
  if (im.int8) {
    xq = base;
    base += AlignUp(m * im.k);
    x_scale = reinterpret_cast<float*>(base);
    base += AlignUp(m * 4);
    x_zero = reinterpret_cast<int32_t*>(base);
    base += AlignUp(m * 4);
    acc = reinterpret_cast<int32_t*>(base);
    QuantizeRowsU8(x, m, im.k, Int8ActivationMax(), xq, x_scale, x_zero);
    if (m <= im.highway_max_rows) {
      GemmU8S8(xq, m, im.k, im.w_int8, im.n, acc);
      DequantizeAccumulators(acc, m, im.n, x_scale, x_zero, im.w_scales,
                             im.w_sum.data(), im.bias, act, y);
      return;
    }
    src = xq;
    dst = acc;
    src_dt = dt::u8;
    dst_dt = dt::s32;
  }

  const dnnl::memory src_mem = ActivationMemory(Slot::kSrc, src_dt, m, im.k, src);
  const dnnl::memory dst_mem = ActivationMemory(Slot::kDst, dst_dt, m, im.n, dst);
  // The scratchpad memory object is cached like the activations (keyed by its
  // byte size as a 1 x bytes u8 tensor) so no call allocates.
  const dnnl::memory pad_mem = ActivationMemory(Slot::kScratchpad, dt::u8, 1, im.onednn_scratch, onednn_scratch);
  // The C API takes a plain array: the C++ execute() builds a hash map per call.
  const dnnl_exec_arg_t args[] = {
      {DNNL_ARG_SRC, src_mem.get()},
      {DNNL_ARG_WEIGHTS, im.weights.get()},
      {DNNL_ARG_DST, dst_mem.get()},
      {DNNL_ARG_SCRATCHPAD, pad_mem.get()},
  };
  const int nargs = im.onednn_scratch ? 4 : 3;
  dnnl::stream& stream = ThreadStream();
  dnnl::error::wrap_c_api(dnnl_primitive_execute(im.prim.get(), stream.get(), nargs, args),
                          "Matmul::Forward: oneDNN execution failed");
  if (im.int8) {
    DequantizeAccumulators(acc, m, im.n, x_scale, x_zero, im.w_scales,
                           im.w_sum.data(), im.bias, act, y);
  } else {
    BiasActivation(y, m, im.n, im.bias, act);
  }
}

}  // namespace edgeseq::ops
