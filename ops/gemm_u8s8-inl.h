// Highway implementation of ops/gemm_u8s8.h, one copy per target.

#if defined(EDGESEQ_OPS_GEMM_U8S8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_GEMM_U8S8_INL_H_
#undef EDGESEQ_OPS_GEMM_U8S8_INL_H_
#else
#define EDGESEQ_OPS_GEMM_U8S8_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"
#include "ops/gemm_u8s8.h"
#include "ops/hwy_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows of x per register tile (× 4 rows of W): each output needs two i32
// accumulators on Arm (even and odd products), so 2 rows fit everywhere.
constexpr size_t kU8S8TileRows = 2;

// x and w lanes widened to 16 bits; count < Lanes loads a tail.
template <class D, typename T>
HWY_INLINE hn::Vec<D> LoadWiden(D d, const T* HWY_RESTRICT p, size_t count) {
  const hn::Rebind<T, D> dn;
  const auto v = count == hn::Lanes(d) ? hn::LoadU(dn, p) : LoadTail(dn, p, count);
  if constexpr (hwy::IsSigned<T>()) {
    return hn::PromoteTo(d, v);
  } else {
    const hn::RebindToUnsigned<D> du;
    return hn::BitCast(d, hn::PromoteTo(du, v));  // ≤ 255 fits int16
  }
}

// y[i, j] = Σ_k x_i[k]·w_j[k] for i < mr ≤ MR rows of x, j < nr ≤ 4 rows of W.
// u8 and s8 are widened to i16 and multiplied into i32 pairs
// (ReorderWidenMulAccumulate: pmaddwd on x86, smlal on Arm), so nothing
// saturates: |x·w| ≤ 255·128 and a pair sum fits easily.
template <size_t MR>
HWY_INLINE void TileU8S8(const uint8_t* HWY_RESTRICT x, size_t mr, size_t K, const int8_t* HWY_RESTRICT w,
                         size_t nr, int32_t* HWY_RESTRICT y, size_t ldy) {
  const hn::ScalableTag<int16_t> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const size_t L = hn::Lanes(d16);
  const uint8_t* xr[MR];
  const int8_t* wr[4];
  EDGESEQ_UNROLL
  for (size_t i = 0; i < MR; ++i) xr[i] = x + (i < mr ? i : 0) * K;
  EDGESEQ_UNROLL
  for (size_t j = 0; j < 4; ++j) wr[j] = w + (j < nr ? j : 0) * K;
  hn::Vec<decltype(d32)> even[MR][4], odd[MR][4];
  EDGESEQ_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) even[i][j] = odd[i][j] = hn::Zero(d32);
  }
  for (size_t k = 0; k < K; k += L) {
    const size_t count = K - k < L ? K - k : L;
    hn::Vec<decltype(d16)> xv[MR];
    EDGESEQ_UNROLL
    for (size_t i = 0; i < MR; ++i) xv[i] = LoadWiden(d16, xr[i] + k, count);
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) {
      const auto wv = LoadWiden(d16, wr[j] + k, count);
      EDGESEQ_UNROLL
      for (size_t i = 0; i < MR; ++i) even[i][j] = hn::ReorderWidenMulAccumulate(d32, xv[i], wv, even[i][j], odd[i][j]);
    }
  }
  // Reduce with constant indices (the accumulators stay in registers), then
  // store the mr × nr outputs that exist.
  int32_t sums[MR][4];
  EDGESEQ_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    EDGESEQ_UNROLL
    for (size_t j = 0; j < 4; ++j) {
      sums[i][j] = hn::GetLane(hn::SumOfLanes(d32, hn::RearrangeToOddPlusEven(even[i][j], odd[i][j])));
    }
  }
  for (size_t i = 0; i < mr; ++i) {
    for (size_t j = 0; j < nr; ++j) y[i * ldy + j] = sums[i][j];
  }
}

// acc[m, n] (row stride ldy) for n < N, m < M; W in L2-sized blocks of rows.
HWY_INLINE void GemmU8S8Block(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K, const int8_t* HWY_RESTRICT w,
                              size_t N, int32_t* HWY_RESTRICT acc, size_t ldy) {
  const size_t block = K * 64 <= (256u << 10) ? 64 : 16;
  for (size_t n0 = 0; n0 < N; n0 += block) {
    const size_t n1 = N - n0 < block ? N : n0 + block;
    size_t m = 0;
    for (; m + kU8S8TileRows <= M; m += kU8S8TileRows) {
      for (size_t n = n0; n < n1; n += 4) {
        TileU8S8<kU8S8TileRows>(xq + m * K, kU8S8TileRows, K, w + n * K, n1 - n < 4 ? n1 - n : 4,
                                acc + m * ldy + n, ldy);
      }
    }
    for (; m < M; ++m) {
      for (size_t n = n0; n < n1; n += 4) {
        TileU8S8<1>(xq + m * K, 1, K, w + n * K, n1 - n < 4 ? n1 - n : 4, acc + m * ldy + n, ldy);
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_GEMM_U8S8_INL_H_
