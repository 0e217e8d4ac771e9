// oneDNN backend of ops/matmul (see matmul_onednn.h).
#include "ops/matmul_onednn.h"

#include <stdlib.h>

#include <new>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

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
dnnl::memory ActivationMemory(Slot slot, dnnl::memory::data_type dt, size_t rows, size_t cols, void* data) {
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
  const dnnl::memory::desc md({static_cast<dnnl::memory::dim>(rows), static_cast<dnnl::memory::dim>(cols)}, dt,
                              dnnl::memory::format_tag::ab);
  cache.push_back({slot, dt, rows, cols, dnnl::memory(md, Engine(), data)});
  return cache.back().mem;
}

struct AlignedFree {
  void operator()(void* p) const { free(p); }
};

}  // namespace

struct OneDnnGemm::Impl {
  size_t n = 0, k = 0;
  bool int8 = false;
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  std::unique_ptr<void, AlignedFree> packed;  // set when weights were reordered
  dnnl::memory weights;
  size_t scratch = 0;
};

OneDnnGemm::OneDnnGemm() = default;
OneDnnGemm::~OneDnnGemm() = default;

bool OneDnnGemm::Available() { return true; }

int OneDnnGemm::Int8ActivationMax() {
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

std::string OneDnnGemm::Name() {
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

std::unique_ptr<OneDnnGemm> OneDnnGemm::Create(const void* w, size_t n, size_t k, bool int8) {
  using dim = dnnl::memory::dim;
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  std::unique_ptr<OneDnnGemm> g(new OneDnnGemm());
  g->impl_ = std::make_unique<Impl>();
  Impl& im = *g->impl_;
  im.n = n;
  im.k = k;
  im.int8 = int8;
  const dt src_dt = int8 ? dt::u8 : dt::f32, wei_dt = int8 ? dt::s8 : dt::f32, dst_dt = int8 ? dt::s32 : dt::f32;
  const dim K = static_cast<dim>(k), N = static_cast<dim>(n);
  const dnnl::memory::desc src_md({DNNL_RUNTIME_DIM_VAL, K}, src_dt, tag::ab);
  const dnnl::memory::desc dst_md({DNNL_RUNTIME_DIM_VAL, N}, dst_dt, tag::ab);
  // W [N, K] row-major is the {K, N} weights tensor in "ba" order.
  const dnnl::memory::desc plain_md({K, N}, wei_dt, tag::ba);
  const dnnl::memory::desc any_md({K, N}, wei_dt, tag::any);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  // The weights in place (the mapped model file) first: a prepacked copy
  // would double their memory, and measured here it is no faster for f32
  // (plain 1.3-1.8x faster at M = 16..256) and 10-15% faster only for int8
  // at M = 256 (docs/PERFORMANCE.md). A blocked copy only if oneDNN refuses.
  try {
    im.pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, plain_md, dst_md), attr, Engine());
  } catch (const dnnl::error&) {
    im.pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_md, any_md, dst_md), attr, Engine());
  }
  im.prim = dnnl::matmul(im.pd);
  im.scratch = im.pd.scratchpad_desc().get_size();
  dnnl::memory plain(plain_md, Engine(), const_cast<void*>(w));
  if (im.pd.weights_desc() == plain_md) {
    im.weights = plain;  // zero copy
    return g;
  }
  const size_t bytes = AlignUp(im.pd.weights_desc().get_size());
  im.packed.reset(aligned_alloc(kAlign, bytes));
  if (!im.packed) throw std::bad_alloc();
  im.weights = dnnl::memory(im.pd.weights_desc(), Engine(), im.packed.get());
  dnnl::reorder(plain, im.weights).execute(ThreadStream(), plain, im.weights);
  ThreadStream().wait();
  return g;
}

size_t OneDnnGemm::scratch_bytes() const { return impl_->scratch; }
bool OneDnnGemm::weights_copied() const { return impl_->packed != nullptr; }

void OneDnnGemm::Run(const void* src, size_t m, void* dst, void* scratch) const {
  const Impl& im = *impl_;
  using dt = dnnl::memory::data_type;
  const dnnl::memory src_mem =
      ActivationMemory(Slot::kSrc, im.int8 ? dt::u8 : dt::f32, m, im.k, const_cast<void*>(src));
  const dnnl::memory dst_mem = ActivationMemory(Slot::kDst, im.int8 ? dt::s32 : dt::f32, m, im.n, dst);
  // The scratchpad memory object is cached like the activations (keyed by its
  // byte size as a 1 x bytes u8 tensor) so no call allocates.
  const dnnl::memory pad_mem =
      im.scratch ? ActivationMemory(Slot::kScratchpad, dt::u8, 1, im.scratch, scratch) : dnnl::memory();
  // The C API takes a plain array: the C++ execute() builds a hash map per call.
  const dnnl_exec_arg_t args[] = {
      {DNNL_ARG_SRC, src_mem.get()},
      {DNNL_ARG_WEIGHTS, im.weights.get()},
      {DNNL_ARG_DST, dst_mem.get()},
      {DNNL_ARG_SCRATCHPAD, im.scratch ? pad_mem.get() : nullptr},
  };
  const int nargs = im.scratch ? 4 : 3;
  dnnl::stream& stream = ThreadStream();
  dnnl::error::wrap_c_api(dnnl_primitive_execute(im.prim.get(), stream.get(), nargs, args),
                          "Matmul::Forward: oneDNN execution failed");
}

}  // namespace edgeseq::ops
