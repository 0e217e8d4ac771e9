// Dispatch for ops/gemm_f32.h (Highway skeleton: one copy per target).
#include "ops/gemm_f32.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/gemm_f32.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/gemm_f32-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(GemmF32);

void GemmF32(const float* x, size_t M, size_t K, const float* w, size_t N, float* y) {
  HWY_DYNAMIC_DISPATCH(GemmF32)(x, M, K, w, N, y);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
