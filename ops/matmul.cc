// ops/matmul: one interface over two backends. The Highway GEMMs
// (gemm_f32, gemm_u8s8) serve every shape where there is no oneDNN (Arm) and
// the few-row decode case everywhere; oneDNN (matmul_onednn) serves the
// larger shapes on x86. Bias, activation and the int8 (de)quantization are
// shared, so both backends give the same results up to f32 summation order
// (int8: the same exact integers).
#include "ops/matmul.h"

#include <stdint.h>

#include <stdlib.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "ops/gemm_f32.h"
#include "ops/gemm_u8s8.h"
#include "ops/matmul_onednn.h"
#include "ops/quantize.h"

namespace edgeseq::ops {
namespace {

constexpr size_t kAlign = 64;

size_t AlignUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

}  // namespace

int Int8ActivationMax() { return OneDnnGemm::Int8ActivationMax(); }

bool MatmulHasOneDnn() { return OneDnnGemm::Available(); }

std::string MatmulBackendName() {
  if (!OneDnnGemm::Available()) return "highway (all shapes)";
  const std::string dot = GemmU8S8DotName();
  return OneDnnGemm::Name() + "; highway" + (dot.empty() ? "" : " (" + dot + ")") + " for int8 rows <= " +
         std::to_string(Matmul::Int8HighwayMaxRows()) +
         ", f32 rows <= " + std::to_string(Matmul::kF32HighwayMaxRows);
}

struct Matmul::Impl {
  size_t n = 0, k = 0;
  bool int8 = false;
  const float* bias = nullptr;
  const float* w_scales = nullptr;  // int8 only
  const int8_t* w_int8 = nullptr;   // int8 only: caller's [n, k] weights
  const float* w_f32 = nullptr;     // f32 only: caller's [n, k] weights
  size_t highway_max_rows = 0;      // calls with m ≤ this run Highway
  int activation_max = 255;         // int8: u8 activation codes 0..this
  bool narrow = false;              // int8: every |w| ≤ kNarrowWeightMax
  std::vector<int32_t> w_sum;       // int8 only: Σ_k Wq[n, k]
  std::unique_ptr<OneDnnGemm> onednn;  // nullptr: Highway for every m

  bool UsesHighway(size_t m) const { return !onednn || m <= highway_max_rows; }
  size_t OneDnnScratch() const { return onednn ? onednn->scratch_bytes() : 0; }
};

Matmul::Matmul() = default;
Matmul::Matmul(Matmul&&) noexcept = default;
Matmul& Matmul::operator=(Matmul&&) noexcept = default;
Matmul::~Matmul() = default;

static void CheckShape(const void* w, size_t n, size_t k) {
  if (w == nullptr || n == 0 || k == 0) {
    throw std::invalid_argument("Matmul: empty weight matrix");
  }
  // Keep the int8 accumulators exact: K·255·128 < 2³¹.
  if (k > 65536 || n > (size_t{1} << 31)) {
    throw std::invalid_argument("Matmul: weight matrix too large");
  }
}

Matmul Matmul::CreateF32(const float* w, size_t n, size_t k, const float* bias) {
  CheckShape(w, n, k);
  Matmul m;
  m.impl_ = std::make_unique<Impl>();
  Impl& im = *m.impl_;
  im.n = n;
  im.k = k;
  im.bias = bias;
  im.w_f32 = w;
  im.highway_max_rows = kF32HighwayMaxRows;
  im.onednn = OneDnnGemm::Create(w, n, k, false);
  return m;
}

Matmul Matmul::CreateInt8(const int8_t* w, const float* w_scales, size_t n, size_t k, const float* bias,
                          Int8Rows rows) {
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
  int w_max = 0;
  RowSumsS8(w, n, k, im.w_sum.data(), &w_max);
  // Narrow weights (the converter's default, 7 bits) make every backend
  // exact for all 8 bits of activation, oneDNN without VNNI included (its
  // 16-bit pair sums cannot saturate). (A pmaddubsw Highway kernel for them
  // measured no faster than the widening one on Zen3: both issue two
  // multiplies per 32 products.)
  im.narrow = w_max <= kNarrowWeightMax;
  im.highway_max_rows = rows == Int8Rows::kFewRows ? SIZE_MAX : Int8HighwayMaxRows();
  im.activation_max = rows == Int8Rows::kFewRows || im.narrow ? 255 : Int8ActivationMax();
  if (rows == Int8Rows::kAnyRows) im.onednn = OneDnnGemm::Create(w, n, k, true);
  return m;
}

size_t Matmul::Int8HighwayMaxRows() {
  return *GemmU8S8DotName() != '\0' ? kInt8DotHighwayMaxRows : kInt8HighwayMaxRows;
}

size_t Matmul::n() const { return impl_->n; }
size_t Matmul::k() const { return impl_->k; }
bool Matmul::is_int8() const { return impl_->int8; }
int Matmul::activation_max() const { return impl_->activation_max; }
bool Matmul::weights_copied() const { return impl_->onednn && impl_->onednn->weights_copied(); }
void Matmul::set_int8_highway_max_rows(size_t rows) {
  if (impl_->int8 && impl_->onednn) impl_->highway_max_rows = rows;
}
void Matmul::set_f32_highway_max_rows(size_t rows) {
  if (!impl_->int8) impl_->highway_max_rows = rows;
}
bool Matmul::UsesHighway(size_t m) const { return impl_->UsesHighway(m); }

// Scratch layout (each part 64-byte aligned):
//   f32:  [oneDNN scratchpad]
//   int8: [oneDNN scratchpad][u8 x: m·k][f32 x_scale: m][s32 x_zero: m][s32 acc: m·n]
size_t Matmul::ScratchBytes(size_t max_m) const {
  size_t bytes = AlignUp(impl_->OneDnnScratch());
  if (impl_->int8) {
    bytes += AlignUp(max_m * impl_->k) + 2 * AlignUp(max_m * 4) + AlignUp(max_m * impl_->n * 4);
  }
  return bytes;
}

void Matmul::Forward(const float* x, size_t m, float* y, Activation act, const MatmulScratch& scratch) const {
  const Impl& im = *impl_;
  if (m == 0) return;
  if (scratch.bytes < ScratchBytes(m) || (reinterpret_cast<uintptr_t>(scratch.data) % kAlign) != 0) {
    throw std::invalid_argument("Matmul::Forward: scratch too small or unaligned");
  }
  auto* base = static_cast<uint8_t*>(scratch.data);
  void* onednn_scratch = base;
  base += AlignUp(im.OneDnnScratch());
  const bool highway = im.UsesHighway(m);

  if (!im.int8) {
    if (highway) {
      GemmF32(x, m, im.k, im.w_f32, im.n, y);
    } else {
      im.onednn->Run(x, m, y, onednn_scratch);
    }
    BiasActivation(y, m, im.n, im.bias, act);
    return;
  }
  uint8_t* xq = base;
  base += AlignUp(m * im.k);
  auto* x_scale = reinterpret_cast<float*>(base);
  base += AlignUp(m * 4);
  auto* x_zero = reinterpret_cast<int32_t*>(base);
  base += AlignUp(m * 4);
  auto* acc = reinterpret_cast<int32_t*>(base);
  // One activation range per Matmul whichever backend a call takes, so a
  // sentence gets the same answer whatever its batch size.
  QuantizeRowsU8(x, m, im.k, im.activation_max, xq, x_scale, x_zero);
  if (highway) {
    GemmU8S8(xq, m, im.k, im.w_int8, im.n, acc, im.w_sum.data());
  } else {
    im.onednn->Run(xq, m, acc, onednn_scratch);
  }
  DequantizeAccumulators(acc, m, im.n, x_scale, x_zero, im.w_scales, im.w_sum.data(), im.bias, act, y);
}

}  // namespace edgeseq::ops
