// Highway implementation of ops/softmax.h, one copy per target.

#if defined(EDGESEQ_OPS_SOFTMAX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_SOFTMAX_INL_H_
#undef EDGESEQ_OPS_SOFTMAX_INL_H_
#else
#define EDGESEQ_OPS_SOFTMAX_INL_H_
#endif

#include <math.h>
#include <stddef.h>

#include <algorithm>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/hwy_util-inl.h"
#include "ops/softmax.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// exp(v - max), exactly 0 where v - max < -87 (including -inf): Highway's Exp
// is only valid above -FLT_MAX and tiny results are below f32's normal range.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpShifted(D d, V v, V vmax) {
  const V diff = hn::Sub(v, vmax);
  const auto tiny = hn::Lt(diff, hn::Set(d, -87.0f));
  return hn::IfThenZeroElse(tiny, hn::Exp(d, hn::Max(diff, hn::Set(d, -87.0f))));
}

// Scales, masks and returns the row max over [0, n).
HWY_INLINE float ScaleMaskMax(float* HWY_RESTRICT x, size_t n, float scale,
                              const float* HWY_RESTRICT additive) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const float kNegInf = -std::numeric_limits<float>::infinity();
  const auto vscale = hn::Set(d, scale);
  auto vmax = hn::Set(d, kNegInf);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    auto v = hn::Mul(hn::LoadU(d, x + i), vscale);
    if (additive) v = hn::Add(v, hn::LoadU(d, additive + i));
    hn::StoreU(v, d, x + i);
    vmax = hn::Max(vmax, v);
  }
  if (i < n) {
    auto v = hn::Mul(LoadTail(d, x + i, n - i), vscale);
    if (additive) v = hn::Add(v, LoadTail(d, additive + i, n - i));
    StoreTail(d, v, x + i, n - i);
    // Padding lanes are -inf so they cannot win the max.
    v = hn::IfThenElse(hn::FirstN(d, n - i), v, hn::Set(d, kNegInf));
    vmax = hn::Max(vmax, v);
  }
  return hn::GetLane(hn::MaxOfLanes(d, vmax));
}

// x = exp(x - max) over [0, n); returns the sum.
HWY_INLINE float ExpAndSum(float* HWY_RESTRICT x, size_t n, float max) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vmax = hn::Set(d, max);
  auto sum = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto e = ExpShifted(d, hn::LoadU(d, x + i), vmax);
    hn::StoreU(e, d, x + i);
    sum = hn::Add(sum, e);
  }
  if (i < n) {
    // Padding lanes hold -inf, so they add exactly 0.
    const auto e = ExpShifted(
        d, LoadTail(d, x + i, n - i, -std::numeric_limits<float>::infinity()),
        vmax);
    StoreTail(d, e, x + i, n - i);
    sum = hn::Add(sum, e);
  }
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

HWY_INLINE void MulAddRow(float* HWY_RESTRICT x, size_t n, float mul,
                          float add) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vmul = hn::Set(d, mul), vadd = hn::Set(d, add);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::MulAdd(hn::LoadU(d, x + i), vmul, vadd), d, x + i);
  }
  if (i < n) {
    StoreTail(d, hn::MulAdd(LoadTail(d, x + i, n - i), vmul, vadd), x + i, n - i);
  }
}

HWY_INLINE void Softmax(float* HWY_RESTRICT x, size_t rows, size_t cols,
                        float scale, const SoftmaxMask& mask) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    const size_t n =
        mask.causal ? std::min(cols, r + mask.causal_offset + 1) : cols;
    std::fill(row + n, row + cols, 0.0f);
    const float max = ScaleMaskMax(row, n, scale, mask.additive);
    if (!(max > -std::numeric_limits<float>::infinity())) {
      std::fill(row, row + n, 0.0f);  // nothing takes part
      continue;
    }
    const float sum = ExpAndSum(row, n, max);  // ≥ 1: the max contributes 1
    MulAddRow(row, n, 1.0f / sum, 0.0f);
  }
}

HWY_INLINE void LogSoftmax(float* HWY_RESTRICT x, size_t rows, size_t cols) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    if (cols == 0) continue;
    const float max = ScaleMaskMax(row, cols, 1.0f, nullptr);
    const auto vmax = hn::Set(d, max);
    auto sum = hn::Zero(d);
    size_t i = 0;
    for (; i + N <= cols; i += N) {
      sum = hn::Add(sum, ExpShifted(d, hn::LoadU(d, row + i), vmax));
    }
    if (i < cols) {
      sum = hn::Add(sum, ExpShifted(d,
                                    LoadTail(d, row + i, cols - i,
                                             -std::numeric_limits<float>::infinity()),
                                    vmax));
    }
    const float lse = max + logf(hn::GetLane(hn::SumOfLanes(d, sum)));
    MulAddRow(row, cols, 1.0f, -lse);
  }
}

// Max over x[0, n); -inf when n = 0.
HWY_INLINE float RowMax(const float* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto neg_inf = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto vmax = neg_inf;
  size_t i = 0;
  for (; i + N <= n; i += N) vmax = hn::Max(vmax, hn::LoadU(d, x + i));
  if (i < n) vmax = hn::Max(vmax, LoadTail(d, x + i, n - i, -std::numeric_limits<float>::infinity()));
  return hn::GetLane(hn::MaxOfLanes(d, vmax));
}

// First index in [begin, n) whose value equals v; n if none.
HWY_INLINE size_t FindValue(const float* HWY_RESTRICT x, size_t begin, size_t n, float v) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vv = hn::Set(d, v);
  size_t i = begin;
  for (; i + N <= n; i += N) {
    const intptr_t at = hn::FindFirstTrue(d, hn::Eq(hn::LoadU(d, x + i), vv));
    if (at >= 0) return i + static_cast<size_t>(at);
  }
  for (; i < n; ++i) {
    if (x[i] == v) return i;
  }
  return n;
}

HWY_INLINE void GreedyPick(const float* HWY_RESTRICT x, size_t cols, size_t exclude, size_t* index,
                           float* log_prob) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const float max = RowMax(x, cols);
  const auto vmax = hn::Set(d, max);
  auto sum = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= cols; i += N) sum = hn::Add(sum, ExpShifted(d, hn::LoadU(d, x + i), vmax));
  if (i < cols) {
    sum = hn::Add(sum, ExpShifted(d, LoadTail(d, x + i, cols - i, -std::numeric_limits<float>::infinity()), vmax));
  }
  const float lse = max + logf(hn::GetLane(hn::SumOfLanes(d, sum)));
  float best = max;
  if (exclude < cols && x[exclude] == max) {
    best = std::max(RowMax(x, exclude), RowMax(x + exclude + 1, cols - exclude - 1));
  }
  size_t at = FindValue(x, 0, cols, best);
  if (at == exclude) at = FindValue(x, exclude + 1, cols, best);
  if (at >= cols) at = exclude < cols ? exclude : 0;  // one column, and it is excluded: nothing else to pick
  *index = at;
  *log_prob = x[at] - lse;
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_SOFTMAX_INL_H_
