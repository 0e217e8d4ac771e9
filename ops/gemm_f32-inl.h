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

// y[i, j] = x_i · w_j for i < mr ≤ MR ≤ 4 rows of x and j < nr ≤ 4 rows of W
// (rows past mr/nr repeat the first, their sums are dropped). Dot-product
// form: x and W both run along K, one horizontal sum per output at the end.
// Accumulators are named variables, not arrays: SVE vectors are sizeless and
// cannot be array elements, and GCC keeps arrays of vectors in memory.
template <size_t MR>
HWY_INLINE void TileF32(const float* HWY_RESTRICT x, size_t mr, size_t K, const float* HWY_RESTRICT w,
                        size_t nr, float* HWY_RESTRICT y, size_t ldy) {
  static_assert(MR >= 1 && MR <= 4, "tile rows");
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t L = hn::Lanes(d);
  const float* x0 = x;
  const float* x1 = x + (mr > 1 ? 1 : 0) * K;
  const float* x2 = x + (mr > 2 ? 2 : 0) * K;
  const float* x3 = x + (mr > 3 ? 3 : 0) * K;
  const float* w0 = w;
  const float* w1 = w + (nr > 1 ? 1 : 0) * K;
  const float* w2 = w + (nr > 2 ? 2 : 0) * K;
  const float* w3 = w + (nr > 3 ? 3 : 0) * K;
  V a00 = hn::Zero(d), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  V a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  // One step over L (or the last r < L) elements of K: LOAD(p) loads at p + k.
#define EDGESEQ_F32_COLUMN(wp, c)                                          \
  {                                                                        \
    const V wv = LOAD(wp);                                                 \
    a0##c = hn::MulAdd(v0, wv, a0##c);                                     \
    if constexpr (MR > 1) a1##c = hn::MulAdd(v1, wv, a1##c);               \
    if constexpr (MR > 2) a2##c = hn::MulAdd(v2, wv, a2##c);               \
    if constexpr (MR > 3) a3##c = hn::MulAdd(v3, wv, a3##c);               \
  }
#define EDGESEQ_F32_STEP                                                   \
  {                                                                        \
    const V v0 = LOAD(x0);                                                 \
    const V v1 = MR > 1 ? LOAD(x1) : v0;                                   \
    const V v2 = MR > 2 ? LOAD(x2) : v0;                                   \
    const V v3 = MR > 3 ? LOAD(x3) : v0;                                   \
    EDGESEQ_F32_COLUMN(w0, 0)                                              \
    EDGESEQ_F32_COLUMN(w1, 1)                                              \
    EDGESEQ_F32_COLUMN(w2, 2)                                              \
    EDGESEQ_F32_COLUMN(w3, 3)                                              \
  }
  size_t k = 0;
#define LOAD(p) hn::LoadU(d, (p) + k)
  for (; k + L <= K; k += L) EDGESEQ_F32_STEP
#undef LOAD
  if (k < K) {
    const size_t r = K - k;
#define LOAD(p) LoadTail(d, (p) + k, r)
    EDGESEQ_F32_STEP
#undef LOAD
  }
#undef EDGESEQ_F32_STEP
#undef EDGESEQ_F32_COLUMN
  float sums[4][4] = {};  // rows past MR stay unused
#define EDGESEQ_F32_SUMS(row)                                              \
  sums[row][0] = hn::GetLane(hn::SumOfLanes(d, a##row##0));                \
  sums[row][1] = hn::GetLane(hn::SumOfLanes(d, a##row##1));                \
  sums[row][2] = hn::GetLane(hn::SumOfLanes(d, a##row##2));                \
  sums[row][3] = hn::GetLane(hn::SumOfLanes(d, a##row##3));
  EDGESEQ_F32_SUMS(0)
  if constexpr (MR > 1) { EDGESEQ_F32_SUMS(1) }
  if constexpr (MR > 2) { EDGESEQ_F32_SUMS(2) }
  if constexpr (MR > 3) { EDGESEQ_F32_SUMS(3) }
#undef EDGESEQ_F32_SUMS
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
