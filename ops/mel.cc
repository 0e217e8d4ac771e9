// Dispatch for ops/mel.h (Highway skeleton: one copy per target).
#include "ops/mel.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/mel.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/mel-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(PowerSpectrum);
HWY_EXPORT(MelFilterBank);
HWY_EXPORT(Log10Clamped);
HWY_EXPORT(ClampAndScale);

void PowerSpectrum(const float* re_im, size_t bins, float* power) {
  HWY_DYNAMIC_DISPATCH(PowerSpectrum)(re_im, bins, power);
}

void MelFilterBank(const float* power, size_t frames, size_t bins, const float* filters,
                   size_t n_mels, float* out, size_t out_stride) {
  HWY_DYNAMIC_DISPATCH(MelFilterBank)(power, frames, bins, filters, n_mels, out, out_stride);
}

float Log10Clamped(float* x, size_t n) { return HWY_DYNAMIC_DISPATCH(Log10Clamped)(x, n); }

void ClampAndScale(float* x, size_t n, float floor) {
  HWY_DYNAMIC_DISPATCH(ClampAndScale)(x, n, floor);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
