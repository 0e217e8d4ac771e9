// Dispatch for ops/norm.h (Highway skeleton: one copy per target).
#include "ops/norm.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/norm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/norm-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(LayerNorm);
HWY_EXPORT(RMSNorm);
HWY_EXPORT(AddNorm);
HWY_EXPORT(Add);
HWY_EXPORT(Multiply);

void Add(float* acc, const float* delta, size_t n) { HWY_DYNAMIC_DISPATCH(Add)(acc, delta, n); }
void Multiply(float* acc, const float* x, size_t n) { HWY_DYNAMIC_DISPATCH(Multiply)(acc, x, n); }

void LayerNorm(const float* x, size_t rows, size_t cols, const float* gamma,
               const float* beta, float eps, float* out) {
  HWY_DYNAMIC_DISPATCH(LayerNorm)(x, rows, cols, gamma, beta, eps, out);
}

void RMSNorm(const float* x, size_t rows, size_t cols, const float* gamma,
             float eps, float* out) {
  HWY_DYNAMIC_DISPATCH(RMSNorm)(x, rows, cols, gamma, eps, out);
}

void AddNorm(float* residual, const float* delta, size_t rows, size_t cols,
             NormKind kind, const float* gamma, const float* beta, float eps,
             float* normed) {
  HWY_DYNAMIC_DISPATCH(AddNorm)(residual, delta, rows, cols, kind, gamma, beta,
                                eps, normed);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
