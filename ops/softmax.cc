// Dispatch for ops/softmax.h (Highway skeleton: one copy per target).
#include "ops/softmax.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/softmax.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/softmax-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(Softmax);
HWY_EXPORT(LogSoftmax);
HWY_EXPORT(GreedyPick);

void Softmax(float* x, size_t rows, size_t cols, float scale,
             const SoftmaxMask& mask) {
  HWY_DYNAMIC_DISPATCH(Softmax)(x, rows, cols, scale, mask);
}

void GreedyPick(const float* x, size_t cols, size_t exclude, size_t* index, float* log_prob) {
  HWY_DYNAMIC_DISPATCH(GreedyPick)(x, cols, exclude, index, log_prob);
}

void LogSoftmax(float* x, size_t rows, size_t cols) {
  HWY_DYNAMIC_DISPATCH(LogSoftmax)(x, rows, cols);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
