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

#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
// Highway 1.0 has no 16-bit ReorderWidenMulAccumulate on SVE: widen to 32
// bits and multiply there.
#define EDGESEQ_GEMM_U8S8_WIDEN32 1
#else
#define EDGESEQ_GEMM_U8S8_WIDEN32 0
#endif

#if EDGESEQ_GEMM_U8S8_WIDEN32
using DotTag = hn::ScalableTag<int32_t>;
#else
using DotTag = hn::ScalableTag<int16_t>;
#endif

// x and w lanes widened to DotTag's lane type; count < Lanes loads a tail.
template <class D, typename T>
HWY_INLINE hn::Vec<D> LoadWiden(D d, const T* HWY_RESTRICT p, size_t count) {
  const hn::Rebind<T, D> dn;
  const auto v = count == hn::Lanes(d) ? hn::LoadU(dn, p) : LoadTail(dn, p, count);
  if constexpr (hwy::IsSigned<T>()) {
    return hn::PromoteTo(d, v);
  } else {
    const hn::RebindToUnsigned<D> du;
    return hn::BitCast(d, hn::PromoteTo(du, v));  // ≤ 255 fits the signed type
  }
}

// Four rows of W against one row of x: acc[j] = Σ_k x[k]·w_j[k].
HWY_INLINE void Dot4(const uint8_t* HWY_RESTRICT x, size_t K,
                     const int8_t* HWY_RESTRICT w, size_t rows,
                     int32_t* HWY_RESTRICT out) {
  const DotTag d;
  const size_t L = hn::Lanes(d);
  const hn::ScalableTag<int32_t> d32;
  const int8_t* wr[4];
  for (size_t j = 0; j < 4; ++j) wr[j] = w + (j < rows ? j : 0) * K;
  auto s0 = hn::Zero(d32), s1 = hn::Zero(d32), s2 = hn::Zero(d32), s3 = hn::Zero(d32);
#if !EDGESEQ_GEMM_U8S8_WIDEN32
  auto t0 = hn::Zero(d32), t1 = hn::Zero(d32), t2 = hn::Zero(d32), t3 = hn::Zero(d32);
#endif
  for (size_t k = 0; k < K; k += L) {
    const size_t count = K - k < L ? K - k : L;
    const auto xv = LoadWiden(d, x + k, count);
    const auto w0 = LoadWiden(d, wr[0] + k, count);
    const auto w1 = LoadWiden(d, wr[1] + k, count);
    const auto w2 = LoadWiden(d, wr[2] + k, count);
    const auto w3 = LoadWiden(d, wr[3] + k, count);
#if EDGESEQ_GEMM_U8S8_WIDEN32
    s0 = hn::Add(s0, hn::Mul(xv, w0));
    s1 = hn::Add(s1, hn::Mul(xv, w1));
    s2 = hn::Add(s2, hn::Mul(xv, w2));
    s3 = hn::Add(s3, hn::Mul(xv, w3));
#else
    s0 = hn::ReorderWidenMulAccumulate(d32, xv, w0, s0, t0);
    s1 = hn::ReorderWidenMulAccumulate(d32, xv, w1, s1, t1);
    s2 = hn::ReorderWidenMulAccumulate(d32, xv, w2, s2, t2);
    s3 = hn::ReorderWidenMulAccumulate(d32, xv, w3, s3, t3);
#endif
  }
#if !EDGESEQ_GEMM_U8S8_WIDEN32
  s0 = hn::RearrangeToOddPlusEven(s0, t0);
  s1 = hn::RearrangeToOddPlusEven(s1, t1);
  s2 = hn::RearrangeToOddPlusEven(s2, t2);
  s3 = hn::RearrangeToOddPlusEven(s3, t3);
#endif
  const int32_t sums[4] = {hn::GetLane(hn::SumOfLanes(d32, s0)), hn::GetLane(hn::SumOfLanes(d32, s1)),
                           hn::GetLane(hn::SumOfLanes(d32, s2)), hn::GetLane(hn::SumOfLanes(d32, s3))};
  for (size_t j = 0; j < rows; ++j) out[j] = sums[j];
}

HWY_INLINE void GemmU8S8(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K,
                         const int8_t* HWY_RESTRICT w, size_t N,
                         int32_t* HWY_RESTRICT acc) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; n += 4) {
      const size_t rows = N - n < 4 ? N - n : 4;
      Dot4(xq + m * K, K, w + n * K, rows, acc + m * N + n);
    }
  }
}

#undef EDGESEQ_GEMM_U8S8_WIDEN32

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_GEMM_U8S8_INL_H_
