// Highway implementation of ops/gemm_f32.h, one copy per target.

#if defined(EDGESEQ_OPS_GEMM_F32_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_GEMM_F32_INL_H_
#undef EDGESEQ_OPS_GEMM_F32_INL_H_
#else
#define EDGESEQ_OPS_GEMM_F32_INL_H_
#endif

#include <stddef.h>

#include "hwy/highway.h"
#include "ops/gemm_f32.h"
#include "ops/hwy_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows of x per register tile: MR x-rows × 4 W-rows of accumulators. x86 has
// 16 vector registers (8 accumulators + 2 x + 1 w fit), Arm 32.
#if HWY_ARCH_ARM
constexpr size_t kF32TileRows = 4;
#else
constexpr size_t kF32TileRows = 2;
#endif

// y[i, j] = x_i · w_j for i < mr ≤ MR rows of x and j < nr ≤ 4 rows of W (rows
// past nr/mr repeat the first, their sums are dropped). Dot-product form: x
// and W both run along K, one horizontal sum per output at the end.
template <size_t MR>
HWY_INLINE void TileF32(const float* HWY_RESTRICT x, size_t mr, size_t K, const float* HWY_RESTRICT w,
                        size_t nr, float* HWY_RESTRICT y, size_t ldy) {
  const hn::ScalableTag<float> d;
  const size_t L = hn::Lanes(d);
  const float* xr[MR];
  const float* wr[4];
  EDGESEQ_UNROLL
  for (size_t i = 0; i < MR; ++i) xr[i] = x + (i < mr ? i : 0) * K;
  EDGESEQ_UNROLL
  for (size_t j = 0; j < 4; ++j) wr[j] = w + (j < nr ? j : 0) * K;
  hn::Vec<decltype(d)> acc[MR][4];
  EDGESEQ_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) acc[i][j] = hn::Zero(d);
  }
  size_t k = 0;
  for (; k + L <= K; k += L) {
    hn::Vec<decltype(d)> xv[MR];
    EDGESEQ_UNROLL
    for (size_t i = 0; i < MR; ++i) xv[i] = hn::LoadU(d, xr[i] + k);
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) {
      const auto wv = hn::LoadU(d, wr[j] + k);
      EDGESEQ_UNROLL
      for (size_t i = 0; i < MR; ++i) acc[i][j] = hn::MulAdd(xv[i], wv, acc[i][j]);
    }
  }
  if (k < K) {
    const size_t r = K - k;
    hn::Vec<decltype(d)> xv[MR];
    EDGESEQ_UNROLL
    for (size_t i = 0; i < MR; ++i) xv[i] = LoadTail(d, xr[i] + k, r);
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) {
      const auto wv = LoadTail(d, wr[j] + k, r);
      EDGESEQ_UNROLL
      for (size_t i = 0; i < MR; ++i) acc[i][j] = hn::MulAdd(xv[i], wv, acc[i][j]);
    }
  }
  // Reduce with constant indices (the accumulators stay in registers), then
  // store the mr × nr outputs that exist.
  float sums[MR][4];
  EDGESEQ_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) sums[i][j] = hn::GetLane(hn::SumOfLanes(d, acc[i][j]));
  }
  for (size_t i = 0; i < mr; ++i) {
    for (size_t j = 0; j < nr; ++j) y[i * ldy + j] = sums[i][j];
  }
}

// y[m, n] (row stride ldy) for n < N, m < M. W is walked in blocks of rows
// that stay in L2 while every tile of x passes over them.
HWY_INLINE void GemmF32Block(const float* HWY_RESTRICT x, size_t M, size_t K, const float* HWY_RESTRICT w,
                             size_t N, float* HWY_RESTRICT y, size_t ldy) {
  const size_t block = K * sizeof(float) * 64 <= (256u << 10) ? 64 : 16;
  for (size_t n0 = 0; n0 < N; n0 += block) {
    const size_t n1 = N - n0 < block ? N : n0 + block;
    size_t m = 0;
    for (; m + kF32TileRows <= M; m += kF32TileRows) {
      for (size_t n = n0; n < n1; n += 4) {
        TileF32<kF32TileRows>(x + m * K, kF32TileRows, K, w + n * K, n1 - n < 4 ? n1 - n : 4, y + m * ldy + n, ldy);
      }
    }
    for (; m < M; ++m) {
      for (size_t n = n0; n < n1; n += 4) {
        TileF32<1>(x + m * K, 1, K, w + n * K, n1 - n < 4 ? n1 - n : 4, y + m * ldy + n, ldy);
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_GEMM_F32_INL_H_
