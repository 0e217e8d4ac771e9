// Dispatch for ops/gemm_f32.h (Highway skeleton: one copy per target).
#include "ops/gemm_f32.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/gemm_f32.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/gemm_f32-inl.h"

#if HWY_ONCE
#include "ops/gemm_split.h"

namespace edgeseq::ops {

HWY_EXPORT(GemmF32Block);

void GemmF32(const float* x, size_t M, size_t K, const float* w, size_t N, float* y) {
  const auto block = &HWY_DYNAMIC_DISPATCH(GemmF32Block);  // chosen once, called per chunk
  SplitColumns(M, N, K, [&](size_t n0, size_t n1) { block(x, M, K, w + n0 * K, n1 - n0, y + n0, N); });
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
