// Highway implementation of ops/activation.h, one copy per target.

#if defined(EDGESEQ_OPS_ACTIVATION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_ACTIVATION_INL_H_
#undef EDGESEQ_OPS_ACTIVATION_INL_H_
#else
#define EDGESEQ_OPS_ACTIVATION_INL_H_
#endif

#include <stddef.h>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/activation.h"
#include "ops/hwy_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// erf(x) by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd-extended.
// Highway 1.0 has no Erf.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Erf(D d, V x) {
  const V ax = hn::Abs(x);
  const V t = hn::Div(hn::Set(d, 1.0f),
                      hn::MulAdd(hn::Set(d, 0.3275911f), ax, hn::Set(d, 1.0f)));
  V poly = hn::Set(d, 1.061405429f);
  poly = hn::MulAdd(poly, t, hn::Set(d, -1.453152027f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 1.421413741f));
  poly = hn::MulAdd(poly, t, hn::Set(d, -0.284496736f));
  poly = hn::MulAdd(poly, t, hn::Set(d, 0.254829592f));
  poly = hn::Mul(poly, t);
  // exp(-x²) underflows to 0 for |x| > ~9.3, where erf is ±1 in f32 anyway.
  const V neg_sq = hn::Max(hn::Neg(hn::Mul(ax, ax)), hn::Set(d, -87.0f));
  const V e = hn::NegMulAdd(poly, hn::Exp(d, neg_sq), hn::Set(d, 1.0f));
  return hn::CopySign(e, x);
}

template <class D, class V = hn::Vec<D>>
HWY_INLINE V Activate(D d, V x, Activation act) {
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kReLU:
      return hn::Max(x, hn::Zero(d));
    case Activation::kGeluErf: {
      const V e = Erf(d, hn::Mul(x, hn::Set(d, 0.70710678118654752f)));
      return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), e));
    }
    case Activation::kGeluTanh: {
      const V x3 = hn::Mul(hn::Mul(x, x), x);
      V inner = hn::Mul(hn::Set(d, 0.7978845608028654f),
                        hn::MulAdd(hn::Set(d, 0.044715f), x3, x));
      inner = hn::Min(hn::Max(inner, hn::Set(d, -10.0f)), hn::Set(d, 10.0f));
      const V th = hn::Tanh(d, inner);
      return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), th));
    }
    case Activation::kSiLU: {
      // x / (1 + exp(-x)); exp's argument clamped into Highway's valid range.
      const V e = hn::Exp(d, hn::Min(hn::Neg(x), hn::Set(d, 88.0f)));
      return hn::Div(x, hn::Add(hn::Set(d, 1.0f), e));
    }
  }
  return x;
}

HWY_INLINE void BiasActivationRow(float* HWY_RESTRICT x, size_t cols,
                                  const float* HWY_RESTRICT bias,
                                  Activation act) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= cols; i += N) {
    auto v = hn::LoadU(d, x + i);
    if (bias) v = hn::Add(v, hn::LoadU(d, bias + i));
    hn::StoreU(Activate(d, v, act), d, x + i);
  }
  if (i < cols) {
    const size_t rest = cols - i;
    auto v = LoadTail(d, x + i, rest);
    if (bias) v = hn::Add(v, LoadTail(d, bias + i, rest));
    StoreTail(d, Activate(d, v, act), x + i, rest);
  }
}

HWY_INLINE void BiasActivation(float* HWY_RESTRICT x, size_t rows, size_t cols,
                               const float* HWY_RESTRICT bias, Activation act) {
  if (act == Activation::kNone && bias == nullptr) return;
  for (size_t r = 0; r < rows; ++r) BiasActivationRow(x + r * cols, cols, bias, act);
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_ACTIVATION_INL_H_
