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

// Four rows of W against one row of x (rows < 4 at the edge reuse row 0).
HWY_INLINE void DotF32x4(const float* HWY_RESTRICT x, size_t K, const float* HWY_RESTRICT w, size_t rows,
                         float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const size_t L = hn::Lanes(d);
  const float* wr[4];
  for (size_t j = 0; j < 4; ++j) wr[j] = w + (j < rows ? j : 0) * K;
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t k = 0;
  for (; k + L <= K; k += L) {
    const auto xv = hn::LoadU(d, x + k);
    s0 = hn::MulAdd(xv, hn::LoadU(d, wr[0] + k), s0);
    s1 = hn::MulAdd(xv, hn::LoadU(d, wr[1] + k), s1);
    s2 = hn::MulAdd(xv, hn::LoadU(d, wr[2] + k), s2);
    s3 = hn::MulAdd(xv, hn::LoadU(d, wr[3] + k), s3);
  }
  if (k < K) {
    const size_t r = K - k;
    const auto xv = LoadTail(d, x + k, r);
    s0 = hn::MulAdd(xv, LoadTail(d, wr[0] + k, r), s0);
    s1 = hn::MulAdd(xv, LoadTail(d, wr[1] + k, r), s1);
    s2 = hn::MulAdd(xv, LoadTail(d, wr[2] + k, r), s2);
    s3 = hn::MulAdd(xv, LoadTail(d, wr[3] + k, r), s3);
  }
  const float sums[4] = {hn::GetLane(hn::SumOfLanes(d, s0)), hn::GetLane(hn::SumOfLanes(d, s1)),
                         hn::GetLane(hn::SumOfLanes(d, s2)), hn::GetLane(hn::SumOfLanes(d, s3))};
  for (size_t j = 0; j < rows; ++j) out[j] = sums[j];
}

HWY_INLINE void GemmF32(const float* HWY_RESTRICT x, size_t M, size_t K, const float* HWY_RESTRICT w, size_t N,
                        float* HWY_RESTRICT y) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; n += 4) DotF32x4(x + m * K, K, w + n * K, N - n < 4 ? N - n : 4, y + m * N + n);
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_GEMM_F32_INL_H_
