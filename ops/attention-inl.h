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

// Four dot products of one query row with four key rows, sharing the query
// loads. Every score goes through here (a last group of fewer than four
// repeats its last row), so a key's score is computed the same way whatever
// the number of keys: results do not depend on how a batch is padded.
HWY_INLINE void Dot4(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b0, const float* HWY_RESTRICT b1,
                     const float* HWY_RESTRICT b2, const float* HWY_RESTRICT b3, size_t n, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto x = hn::LoadU(d, a + i);
    s0 = hn::MulAdd(x, hn::LoadU(d, b0 + i), s0);
    s1 = hn::MulAdd(x, hn::LoadU(d, b1 + i), s1);
    s2 = hn::MulAdd(x, hn::LoadU(d, b2 + i), s2);
    s3 = hn::MulAdd(x, hn::LoadU(d, b3 + i), s3);
  }
  if (i < n) {
    const auto x = LoadTail(d, a + i, n - i);
    s0 = hn::MulAdd(x, LoadTail(d, b0 + i, n - i), s0);
    s1 = hn::MulAdd(x, LoadTail(d, b1 + i, n - i), s1);
    s2 = hn::MulAdd(x, LoadTail(d, b2 + i, n - i), s2);
    s3 = hn::MulAdd(x, LoadTail(d, b3 + i, n - i), s3);
  }
  out[0] = hn::GetLane(hn::SumOfLanes(d, s0));
  out[1] = hn::GetLane(hn::SumOfLanes(d, s1));
  out[2] = hn::GetLane(hn::SumOfLanes(d, s2));
  out[3] = hn::GetLane(hn::SumOfLanes(d, s3));
}

HWY_INLINE void AttentionScores(const float* HWY_RESTRICT q, size_t q_stride, const float* HWY_RESTRICT k,
                                size_t k_stride, size_t tq, size_t tk, size_t dh, float* HWY_RESTRICT scores) {
  for (size_t i = 0; i < tq; ++i) {
    const float* qi = q + i * q_stride;
    float* si = scores + i * tk;
    size_t j = 0;
    for (; j + 4 <= tk; j += 4) {
      const float* kj = k + j * k_stride;
      Dot4(qi, kj, kj + k_stride, kj + 2 * k_stride, kj + 3 * k_stride, dh, si + j);
    }
    if (j < tk) {
      const float* r[4];
      for (size_t t = 0; t < 4; ++t) r[t] = k + (j + t < tk ? j + t : tk - 1) * k_stride;
      float last[4];
      Dot4(qi, r[0], r[1], r[2], r[3], dh, last);
      for (size_t t = 0; j + t < tk; ++t) si[j + t] = last[t];
    }
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
    // Four column blocks at once: four independent multiply-add chains over
    // j (one chain would wait out the FMA latency at every key).
    for (; c + 4 * N <= dh; c += 4 * N) {
      auto a0 = hn::Zero(d), a1 = a0, a2 = a0, a3 = a0;
      for (size_t j = 0; j < tk; ++j) {
        const auto pj = hn::Set(d, pi[j]);
        const float* vj = v + j * v_stride + c;
        a0 = hn::MulAdd(pj, hn::LoadU(d, vj), a0);
        a1 = hn::MulAdd(pj, hn::LoadU(d, vj + N), a1);
        a2 = hn::MulAdd(pj, hn::LoadU(d, vj + 2 * N), a2);
        a3 = hn::MulAdd(pj, hn::LoadU(d, vj + 3 * N), a3);
      }
      hn::StoreU(a0, d, o + c);
      hn::StoreU(a1, d, o + c + N);
      hn::StoreU(a2, d, o + c + 2 * N);
      hn::StoreU(a3, d, o + c + 3 * N);
    }
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
