// Highway implementation of ops/norm.h, one copy per target.

#if defined(EDGESEQ_OPS_NORM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_NORM_INL_H_
#undef EDGESEQ_OPS_NORM_INL_H_
#else
#define EDGESEQ_OPS_NORM_INL_H_
#endif

#include <math.h>
#include <stddef.h>

#include "hwy/highway.h"
#include "ops/hwy_util-inl.h"
#include "ops/norm.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Σ (x - shift). Shifting by a sample of the row keeps the partial sums small
// when the row has a large common offset, so the mean stays accurate in f32.
HWY_INLINE float RowSumShifted(const float* HWY_RESTRICT x, size_t n,
                               float shift) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto c = hn::Set(d, shift);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::Add(s0, hn::Sub(hn::LoadU(d, x + i), c));
    s1 = hn::Add(s1, hn::Sub(hn::LoadU(d, x + i + N), c));
  }
  for (; i + N <= n; i += N) s0 = hn::Add(s0, hn::Sub(hn::LoadU(d, x + i), c));
  if (i < n) s1 = hn::Add(s1, hn::Sub(LoadTail(d, x + i, n - i, shift), c));
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

// Σ (x - center)².
HWY_INLINE float RowSumSquares(const float* HWY_RESTRICT x, size_t n,
                               float center) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto c = hn::Set(d, center);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto a = hn::Sub(hn::LoadU(d, x + i), c);
    const auto b = hn::Sub(hn::LoadU(d, x + i + N), c);
    s0 = hn::MulAdd(a, a, s0);
    s1 = hn::MulAdd(b, b, s1);
  }
  for (; i + N <= n; i += N) {
    const auto a = hn::Sub(hn::LoadU(d, x + i), c);
    s0 = hn::MulAdd(a, a, s0);
  }
  if (i < n) {
    // Padding lanes must contribute 0: pad with `center`.
    const auto a = hn::Sub(LoadTail(d, x + i, n - i, center), c);
    s1 = hn::MulAdd(a, a, s1);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

// out = (x - center) · inv · gamma (+ beta).
HWY_INLINE void NormalizeRow(const float* x, size_t n,
                             float center, float inv,
                             const float* HWY_RESTRICT gamma,
                             const float* HWY_RESTRICT beta, float* out) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto c = hn::Set(d, center), s = hn::Set(d, inv);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    auto v = hn::Mul(hn::Mul(hn::Sub(hn::LoadU(d, x + i), c), s),
                     hn::LoadU(d, gamma + i));
    if (beta) v = hn::Add(v, hn::LoadU(d, beta + i));
    hn::StoreU(v, d, out + i);
  }
  if (i < n) {
    const size_t r = n - i;
    auto v = hn::Mul(hn::Mul(hn::Sub(LoadTail(d, x + i, r), c), s),
                     LoadTail(d, gamma + i, r));
    if (beta) v = hn::Add(v, LoadTail(d, beta + i, r));
    StoreTail(d, v, out + i, r);
  }
}

HWY_INLINE void NormRow(const float* x, size_t n, NormKind kind,
                        const float* HWY_RESTRICT gamma,
                        const float* HWY_RESTRICT beta, float eps, float* out) {
  if (kind == NormKind::kLayerNorm) {
    const float mean = x[0] + RowSumShifted(x, n, x[0]) / static_cast<float>(n);
    const float var = RowSumSquares(x, n, mean) / static_cast<float>(n);
    NormalizeRow(x, n, mean, 1.0f / sqrtf(var + eps), gamma, beta, out);
  } else {
    const float ms = RowSumSquares(x, n, 0.0f) / static_cast<float>(n);
    NormalizeRow(x, n, 0.0f, 1.0f / sqrtf(ms + eps), gamma, nullptr, out);
  }
}

HWY_INLINE void LayerNorm(const float* x, size_t rows, size_t cols,
                          const float* HWY_RESTRICT gamma,
                          const float* HWY_RESTRICT beta, float eps,
                          float* out) {
  for (size_t r = 0; r < rows; ++r) {
    NormRow(x + r * cols, cols, NormKind::kLayerNorm, gamma, beta, eps,
            out + r * cols);
  }
}

HWY_INLINE void RMSNorm(const float* x, size_t rows, size_t cols,
                        const float* HWY_RESTRICT gamma, float eps,
                        float* out) {
  for (size_t r = 0; r < rows; ++r) {
    NormRow(x + r * cols, cols, NormKind::kRMSNorm, gamma, nullptr, eps,
            out + r * cols);
  }
}

HWY_INLINE void AddRow(float* HWY_RESTRICT acc, const float* HWY_RESTRICT delta,
                       size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Add(hn::LoadU(d, acc + i), hn::LoadU(d, delta + i)), d,
               acc + i);
  }
  if (i < n) {
    StoreTail(d, hn::Add(LoadTail(d, acc + i, n - i), LoadTail(d, delta + i, n - i)),
              acc + i, n - i);
  }
}

HWY_INLINE void Add(float* HWY_RESTRICT acc, const float* HWY_RESTRICT delta, size_t n) { AddRow(acc, delta, n); }

HWY_INLINE void Multiply(float* HWY_RESTRICT acc, const float* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, acc + i), hn::LoadU(d, x + i)), d, acc + i);
  if (i < n) StoreTail(d, hn::Mul(LoadTail(d, acc + i, n - i), LoadTail(d, x + i, n - i)), acc + i, n - i);
}

HWY_INLINE void AddNorm(float* residual, const float* HWY_RESTRICT delta,
                        size_t rows, size_t cols, NormKind kind,
                        const float* HWY_RESTRICT gamma,
                        const float* HWY_RESTRICT beta, float eps,
                        float* normed) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = residual + r * cols;
    AddRow(row, delta + r * cols, cols);  // row stays in L1 for the norm
    NormRow(row, cols, kind, gamma, beta, eps, normed + r * cols);
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_NORM_INL_H_
