// Dispatch for ops/gemm_u8s8.h (Highway skeleton: one copy per target).
#include "ops/gemm_u8s8.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/gemm_u8s8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/gemm_u8s8-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(GemmU8S8);

void GemmU8S8(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N,
              int32_t* acc) {
  HWY_DYNAMIC_DISPATCH(GemmU8S8)(xq, M, K, w, N, acc);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
