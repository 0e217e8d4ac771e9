// Per-target helpers shared by the Highway kernels in ops/: loading and
// storing a partial vector at the end of a row without touching memory past
// it (rows have any length and any alignment).

#if defined(EDGESEQ_OPS_HWY_UTIL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_HWY_UTIL_INL_H_
#undef EDGESEQ_OPS_HWY_UTIL_INL_H_
#else
#define EDGESEQ_OPS_HWY_UTIL_INL_H_
#endif

#include <stddef.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lanes [0, count) from p, the rest `fill`. count < Lanes(d).
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> LoadTail(D d, const T* HWY_RESTRICT p, size_t count,
                               T fill = T(0)) {
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)];
  hn::Store(hn::Set(d, fill), d, buf);
  for (size_t i = 0; i < count; ++i) buf[i] = p[i];
  return hn::Load(d, buf);
}

// Stores lanes [0, count) of v to p. count < Lanes(d).
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void StoreTail(D d, hn::Vec<D> v, T* HWY_RESTRICT p, size_t count) {
  // Zeroed only to quiet GCC: partial-vector stores confuse its analysis.
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
  hn::Store(v, d, buf);
  for (size_t i = 0; i < count; ++i) p[i] = buf[i];
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_HWY_UTIL_INL_H_
