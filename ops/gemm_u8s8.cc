// Dispatch for ops/gemm_u8s8.h (Highway skeleton: one copy per target).
#include "ops/gemm_u8s8.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/gemm_u8s8.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/gemm_u8s8-inl.h"

#if HWY_ONCE
#include <atomic>

#include "ops/gemm_split.h"

namespace edgeseq::ops {

HWY_EXPORT(GemmU8S8Block);
HWY_EXPORT(DotNameU8S8);

namespace {
std::atomic<bool> g_dot_product{true};
}  // namespace

void SetGemmU8S8DotProduct(bool enabled) { g_dot_product.store(enabled); }

const char* GemmU8S8DotName() {
  return g_dot_product.load(std::memory_order_relaxed) ? HWY_DYNAMIC_DISPATCH(DotNameU8S8)() : "";
}

void GemmU8S8(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N,
              int32_t* acc, const int32_t* w_sum) {
  const auto block = &HWY_DYNAMIC_DISPATCH(GemmU8S8Block);  // chosen once, called per chunk
  const bool dot = g_dot_product.load(std::memory_order_relaxed);
  SplitColumns(M, N, K, [&](size_t n0, size_t n1) {
    block(xq, M, K, w + n0 * K, n1 - n0, w_sum ? w_sum + n0 : nullptr, dot, acc + n0, N);
  });
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
