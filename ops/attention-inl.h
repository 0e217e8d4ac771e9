// Highway implementation of ops/attention.h, one copy per target.

#if defined(EDGESEQ_OPS_ATTENTION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_ATTENTION_INL_H_
#undef EDGESEQ_OPS_ATTENTION_INL_H_
#else
#define EDGESEQ_OPS_ATTENTION_INL_H_
#endif

#include <stddef.h>

#include "hwy/highway.h"
#include "ops/attention.h"
#include "ops/hwy_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE float Dot(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), s1);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  if (i < n) s1 = hn::MulAdd(LoadTail(d, a + i, n - i), LoadTail(d, b + i, n - i), s1);
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

HWY_INLINE void AttentionScores(const float* HWY_RESTRICT q, size_t q_stride, const float* HWY_RESTRICT k,
                                size_t k_stride, size_t tq, size_t tk, size_t dh, float* HWY_RESTRICT scores) {
  for (size_t i = 0; i < tq; ++i) {
    for (size_t j = 0; j < tk; ++j) scores[i * tk + j] = Dot(q + i * q_stride, k + j * k_stride, dh);
  }
}

HWY_INLINE void AttentionContext(const float* HWY_RESTRICT p, size_t tq, size_t tk, const float* HWY_RESTRICT v,
                                 size_t v_stride, size_t dh, float* HWY_RESTRICT out, size_t out_stride) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t i = 0; i < tq; ++i) {
    float* o = out + i * out_stride;
    const float* pi = p + i * tk;
    size_t c = 0;
    for (; c + N <= dh; c += N) {
      auto acc = hn::Zero(d);
      for (size_t j = 0; j < tk; ++j) acc = hn::MulAdd(hn::Set(d, pi[j]), hn::LoadU(d, v + j * v_stride + c), acc);
      hn::StoreU(acc, d, o + c);
    }
    if (c < dh) {
      auto acc = hn::Zero(d);
      for (size_t j = 0; j < tk; ++j) {
        acc = hn::MulAdd(hn::Set(d, pi[j]), LoadTail(d, v + j * v_stride + c, dh - c), acc);
      }
      StoreTail(d, acc, o + c, dh - c);
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_ATTENTION_INL_H_
