// Highway implementation of ops/mel.h, one copy per target.

#if defined(EDGESEQ_OPS_MEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_MEL_INL_H_
#undef EDGESEQ_OPS_MEL_INL_H_
#else
#define EDGESEQ_OPS_MEL_INL_H_
#endif

#include <stddef.h>

#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/hwy_util-inl.h"
#include "ops/mel.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE void PowerSpectrum(const float* HWY_RESTRICT re_im, size_t bins,
                              float* HWY_RESTRICT power) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t k = 0;
  for (; k + N <= bins; k += N) {
    hn::Vec<decltype(d)> re, im;
    hn::LoadInterleaved2(d, re_im + 2 * k, re, im);
    hn::StoreU(hn::MulAdd(re, re, hn::Mul(im, im)), d, power + k);
  }
  for (; k < bins; ++k) {  // fewer than one vector's worth of pairs
    const float re = re_im[2 * k], im = re_im[2 * k + 1];
    power[k] = re * re + im * im;
  }
}

HWY_INLINE void MelFilterBank(const float* HWY_RESTRICT power, size_t frames, size_t bins,
                              const float* HWY_RESTRICT filters, size_t n_mels,
                              float* HWY_RESTRICT out, size_t out_stride) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t m = 0; m < n_mels; ++m) {
    const float* f = filters + m * bins;
    size_t lo = 0, hi = bins;
    while (lo < hi && f[lo] == 0.0f) ++lo;
    while (hi > lo && f[hi - 1] == 0.0f) --hi;
    float* o = out + m * out_stride;
    for (size_t t = 0; t < frames; ++t) {
      const float* p = power + t * bins;
      auto acc = hn::Zero(d);
      size_t k = lo;
      // Full vectors may run past hi (while inside the row): the filter is 0
      // there and power finite, so those lanes add exactly 0.
      for (; k < hi && k + N <= bins; k += N) {
        acc = hn::MulAdd(hn::LoadU(d, f + k), hn::LoadU(d, p + k), acc);
      }
      if (k < hi) {
        acc = hn::MulAdd(LoadTail(d, f + k, hi - k), LoadTail(d, p + k, hi - k), acc);
      }
      o[t] = hn::GetLane(hn::SumOfLanes(d, acc));
    }
  }
}

HWY_INLINE float Log10Clamped(float* HWY_RESTRICT x, size_t n) {
  if (n == 0) return -std::numeric_limits<float>::infinity();
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto tiny = hn::Set(d, 1e-10f);
  auto vmax = hn::Set(d, -std::numeric_limits<float>::infinity());
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::Log10(d, hn::Max(hn::LoadU(d, x + i), tiny));
    hn::StoreU(v, d, x + i);
    vmax = hn::Max(vmax, v);
  }
  if (i < n) {
    // Padding lanes hold 1e-10 (log −10): no larger than any real result.
    const auto v = hn::Log10(d, hn::Max(LoadTail(d, x + i, n - i, 1e-10f), tiny));
    StoreTail(d, v, x + i, n - i);
    vmax = hn::Max(vmax, v);
  }
  return hn::GetLane(hn::MaxOfLanes(d, vmax));
}

HWY_INLINE void ClampAndScale(float* HWY_RESTRICT x, size_t n, float floor) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vfloor = hn::Set(d, floor), four = hn::Set(d, 4.0f), quarter = hn::Set(d, 0.25f);
  // (x + 4) / 4 as (x + 4) · 0.25: dividing by a power of two is exact either way.
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Mul(hn::Add(hn::Max(hn::LoadU(d, x + i), vfloor), four), quarter), d, x + i);
  }
  if (i < n) {
    StoreTail(d, hn::Mul(hn::Add(hn::Max(LoadTail(d, x + i, n - i), vfloor), four), quarter),
              x + i, n - i);
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_MEL_INL_H_
