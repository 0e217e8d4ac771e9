// Linear layers: y = x·Wᵀ + b with W stored [N, K] as PyTorch stores it,
// x [M, K] and y [M, N] row-major f32, in f32 or int8. Two backends behind
// this one interface: Highway GEMMs (ops/gemm_f32.h, ops/gemm_u8s8.h; every
// shape on Arm, where Debian's oneDNN has no optimized GEMM or none at all)
// and oneDNN (x86, for calls with more rows than the k*HighwayMaxRows below,
// chosen by measurement: docs/BENCHMARKS.md).
//
// Weights are prepared once (Create*), then Forward runs many times with any
// M: the oneDNN primitive is created once per weight matrix with M left to
// run time, so a decode loop creates no primitive. The Highway backend reads
// the caller's weights in place; oneDNN uses them in place when it accepts
// their layout, else reorders them once. Either way the caller's weights,
// scales and bias must outlive the Matmul (referenced, not copied).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <string>

#include "ops/activation.h"

namespace edgeseq::ops {

// Largest u8 activation code the int8 GEMM takes without overflow here for
// weights that use the whole int8 range: 255 when oneDNN runs with VNNI
// (u8·s8 products summed in 32 bits), else 127. Without VNNI (e.g. AVX2 on
// AMD Zen3), oneDNN sums pairs of u8·s8 products in saturating 16-bit
// lanes: 255·127·2 overflows, 127·127·2 = 32258 does not. Narrow weights
// (|w| ≤ 64: 255·64·2 = 32640) take 255 everywhere (Matmul::activation_max).
int Int8ActivationMax();

// Largest |w| of "narrow" int8 weights, for which every backend takes all 8
// bits of activation exactly: 255·64·2 = 32640 fits oneDNN's 16-bit pair
// sums. The converter writes 7-bit weights (|w| ≤ 63) by default.
inline constexpr int kNarrowWeightMax = 64;

// Describes the matmul implementations in use ("onednn:avx2; highway for
// int8 rows <= 8, ...", or "highway (all shapes)").
std::string MatmulBackendName();

// Whether this build has the oneDNN backend (x86_64 builds do).
bool MatmulHasOneDnn();

// Scratch memory a Forward call uses: the caller sizes it once with
// Matmul::ScratchBytes(max_m) and keeps it (Workspace), so calls allocate
// nothing. `data` must be 64-byte aligned.
struct MatmulScratch {
  void* data = nullptr;
  size_t bytes = 0;
};

// What an int8 Matmul is for. kAnyRows: any m; on x86 calls with more than
// Int8HighwayMaxRows() rows run oneDNN, so activations get oneDNN's safe range
// (Int8ActivationMax()) on every call and the answer does not depend on m.
// kFewRows: a decode step's projections (m = decoder rows, a few to a few
// dozen): every call runs the Highway GEMM, which is exact for all of u8, so
// activations keep all 8 bits on every CPU (half the quantization error of
// 7 bits; measured in docs/PERFORMANCE.md).
enum class Int8Rows { kAnyRows, kFewRows };

class Matmul {
 public:
  // f32 weights W [n, k] (row-major), bias [n] or nullptr.
  static Matmul CreateF32(const float* w, size_t n, size_t k, const float* bias);
  // int8 weights: W ≈ w[n, k]·w_scales[n] (symmetric, one scale per output
  // row, values in [-127, 127]); bias [n] f32 or nullptr. Activations are
  // quantized per row on the fly (u8 with a zero point, see QuantizeRowsU8)
  // and accumulated exactly in s32. Error against the f32 product of the
  // dequantized weights: per output |Δ| ≤ Σ_k |W[n,k]|·x_scale[m]/2, i.e. at
  // most K·max|W|·(max x − min x)/(2·qmax).
  static Matmul CreateInt8(const int8_t* w, const float* w_scales, size_t n,
                           size_t k, const float* bias,
                           Int8Rows rows = Int8Rows::kAnyRows);

  Matmul();
  Matmul(Matmul&&) noexcept;
  Matmul& operator=(Matmul&&) noexcept;
  ~Matmul();

  size_t n() const;
  size_t k() const;
  bool is_int8() const;
  // int8: the largest u8 activation code this Matmul quantizes to: 255 for
  // narrow weights (every |w| ≤ kNarrowWeightMax, as the converter writes
  // them) and for Int8Rows::kFewRows, else Int8ActivationMax().
  int activation_max() const;
  // True when the weights had to be reordered into a private buffer.
  bool weights_copied() const;

  // int8 only: calls with m ≤ this many rows run Highway's GemmU8S8 (exact,
  // no per-call overhead, allocates nothing) instead of oneDNN, whose fixed
  // cost per call dominates the decode case. Default: Int8HighwayMaxRows():
  // kInt8HighwayMaxRows (measured on AVX2, docs/BENCHMARKS.md), or
  // kInt8DotHighwayMaxRows where GemmU8S8 has VNNI (measured on Zen5: the
  // encoder of a 24-token sentence 3.0 -> 1.7 ms; from 256 rows on oneDNN is
  // faster). 0 forces oneDNN, SIZE_MAX Highway. Without oneDNN
  // (MatmulHasOneDnn() false) every call runs Highway.
  static constexpr size_t kInt8HighwayMaxRows = 8;
  static constexpr size_t kInt8DotHighwayMaxRows = 64;
  static size_t Int8HighwayMaxRows();
  void set_int8_highway_max_rows(size_t rows);
  // f32 likewise: m ≤ this many rows run Highway's GemmF32.
  static constexpr size_t kF32HighwayMaxRows = 8;
  void set_f32_highway_max_rows(size_t rows);

  // Whether a call with m rows runs the Highway backend.
  bool UsesHighway(size_t m) const;

  // Bytes of scratch Forward needs for m ≤ max_m rows.
  size_t ScratchBytes(size_t max_m) const;

  // y[m, n] = act(x·Wᵀ + b). x: [m, k], y: [m, n], no overlap; m ≥ 1.
  // Throws std::invalid_argument if scratch is smaller than ScratchBytes(m).
  // Thread-safe: one Matmul may run on many threads, each with its own
  // scratch.
  void Forward(const float* x, size_t m, float* y, Activation act,
               const MatmulScratch& scratch) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeseq::ops
