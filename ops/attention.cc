// Dispatch for ops/attention.h (Highway skeleton: one copy per target).
#include "ops/attention.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/attention-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(AttentionScores);
HWY_EXPORT(AttentionContext);

void AttentionScores(const float* q, size_t q_stride, const float* k, size_t k_stride, size_t tq, size_t tk,
                     size_t dh, float* scores) {
  HWY_DYNAMIC_DISPATCH(AttentionScores)(q, q_stride, k, k_stride, tq, tk, dh, scores);
}

void AttentionContext(const float* p, size_t tq, size_t tk, const float* v, size_t v_stride, size_t dh,
                      float* out, size_t out_stride) {
  HWY_DYNAMIC_DISPATCH(AttentionContext)(p, tq, tk, v, v_stride, dh, out, out_stride);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
