// Dispatch for ops/activation.h (Highway skeleton: one copy per target).
#include "ops/activation.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/activation.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/activation-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(BiasActivation);

void BiasActivation(float* x, size_t rows, size_t cols, const float* bias,
                    Activation act) {
  HWY_DYNAMIC_DISPATCH(BiasActivation)(x, rows, cols, bias, act);
}

const char* ActivationName(Activation act) {
  switch (act) {
    case Activation::kNone: return "none";
    case Activation::kReLU: return "relu";
    case Activation::kGeluErf: return "gelu";
    case Activation::kGeluTanh: return "gelu_tanh";
    case Activation::kSiLU: return "silu";
  }
  return "unknown";
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
