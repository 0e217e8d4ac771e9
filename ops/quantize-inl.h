// Highway implementation of ops/quantize.h, one copy per target.

#if defined(EDGESEQ_OPS_QUANTIZE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_QUANTIZE_INL_H_
#undef EDGESEQ_OPS_QUANTIZE_INL_H_
#else
#define EDGESEQ_OPS_QUANTIZE_INL_H_
#endif

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include <algorithm>
#include <stdint.h>

#include "hwy/highway.h"
#include "ops/activation-inl.h"
#include "ops/hwy_util-inl.h"
#include "ops/quantize.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// min and max of a row (n ≥ 1).
HWY_INLINE void RowMinMax(const float* HWY_RESTRICT x, size_t n, float* lo,
                          float* hi) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto vlo = hn::Set(d, x[0]), vhi = vlo;
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(d, x + i);
    vlo = hn::Min(vlo, v);
    vhi = hn::Max(vhi, v);
  }
  if (i < n) {
    const auto v = LoadTail(d, x + i, n - i, x[0]);  // padding cannot win
    vlo = hn::Min(vlo, v);
    vhi = hn::Max(vhi, v);
  }
  *lo = hn::GetLane(hn::MinOfLanes(d, vlo));
  *hi = hn::GetLane(hn::MaxOfLanes(d, vhi));
}

// q = clamp(NearestInt(x·inv) + zero, lo, hi), narrowed to T (int8/uint8).
template <typename T>
HWY_INLINE void QuantizeRow(const float* HWY_RESTRICT x, size_t n, float inv,
                            int32_t zero, int32_t qlo, int32_t qhi,
                            T* HWY_RESTRICT q) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int32_t, decltype(d)> di;
  const hn::Rebind<T, decltype(d)> dq;
  const size_t N = hn::Lanes(d);
  const auto vinv = hn::Set(d, inv);
  const auto vzero = hn::Set(di, zero), vlo = hn::Set(di, qlo),
             vhi = hn::Set(di, qhi);
  auto convert = [&](hn::Vec<decltype(d)> v) {
    auto r = hn::Add(hn::NearestInt(hn::Mul(v, vinv)), vzero);
    r = hn::Min(hn::Max(r, vlo), vhi);
    return hn::DemoteTo(dq, r);
  };
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(convert(hn::LoadU(d, x + i)), dq, q + i);
  if (i < n) StoreTail(dq, convert(LoadTail(d, x + i, n - i)), q + i, n - i);
}

HWY_INLINE void QuantizeRowsS8(const float* HWY_RESTRICT w, size_t rows,
                               size_t cols, int8_t* HWY_RESTRICT q,
                               float* HWY_RESTRICT scales, int qmax = 127) {
  const float qm = static_cast<float>(qmax);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = w + r * cols;
    float lo = 0.0f, hi = 0.0f;
    if (cols) RowMinMax(row, cols, &lo, &hi);
    const float amax = fmaxf(-lo, hi);
    scales[r] = amax / qm;
    const float inv = amax > 0.0f ? qm / amax : 0.0f;
    QuantizeRow(row, cols, inv, 0, -qmax, qmax, q + r * cols);
  }
}

HWY_INLINE void DequantizeRowsS8(const int8_t* HWY_RESTRICT q,
                                 const float* HWY_RESTRICT scales, size_t rows,
                                 size_t cols, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int32_t, decltype(d)> di;
  const hn::Rebind<int8_t, decltype(d)> d8;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* qr = q + r * cols;
    float* o = out + r * cols;
    const auto s = hn::Set(d, scales[r]);
    size_t i = 0;
    for (; i + N <= cols; i += N) {
      hn::StoreU(hn::Mul(hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(d8, qr + i))), s),
                 d, o + i);
    }
    if (i < cols) {
      const auto v = hn::ConvertTo(d, hn::PromoteTo(di, LoadTail(d8, qr + i, cols - i)));
      StoreTail(d, hn::Mul(v, s), o + i, cols - i);
    }
  }
}

HWY_INLINE void QuantizeRowsU8(const float* HWY_RESTRICT x, size_t rows,
                               size_t cols, int qmax, uint8_t* HWY_RESTRICT q,
                               float* HWY_RESTRICT scales,
                               int32_t* HWY_RESTRICT zeros) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    float lo = 0.0f, hi = 0.0f;
    if (cols) RowMinMax(row, cols, &lo, &hi);
    lo = fminf(lo, 0.0f);
    hi = fmaxf(hi, 0.0f);
    float scale = (hi - lo) / static_cast<float>(qmax);
    if (!(scale > 0.0f)) scale = 1.0f;
    const float inv = 1.0f / scale;
    int32_t zero = static_cast<int32_t>(nearbyintf(-lo * inv));
    zero = zero < 0 ? 0 : (zero > qmax ? qmax : zero);
    scales[r] = scale;
    zeros[r] = zero;
    QuantizeRow(row, cols, inv, zero, 0, qmax, q + r * cols);
  }
}

HWY_INLINE void DequantizeAccumulators(
    const int32_t* acc, size_t M, size_t N, const float* HWY_RESTRICT x_scale,
    const int32_t* HWY_RESTRICT x_zero, const float* HWY_RESTRICT w_scale,
    const int32_t* HWY_RESTRICT w_sum, const float* HWY_RESTRICT bias,
    Activation act, float* y) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int32_t, decltype(d)> di;
  const size_t L = hn::Lanes(d);
  for (size_t m = 0; m < M; ++m) {
    const int32_t* a = acc + m * N;
    float* o = y + m * N;
    const auto xs = hn::Set(d, x_scale[m]);
    const auto xz = hn::Set(di, x_zero[m]);
    auto one = [&](hn::Vec<decltype(di)> va, hn::Vec<decltype(di)> vsum,
                   hn::Vec<decltype(d)> vws, hn::Vec<decltype(d)> vb) {
      const auto exact = hn::Sub(va, hn::Mul(xz, vsum));
      const auto v = hn::MulAdd(hn::ConvertTo(d, exact), hn::Mul(xs, vws), vb);
      return Activate(d, v, act);
    };
    size_t n = 0;
    for (; n + L <= N; n += L) {
      const auto vb = bias ? hn::LoadU(d, bias + n) : hn::Zero(d);
      hn::StoreU(one(hn::LoadU(di, a + n), hn::LoadU(di, w_sum + n),
                     hn::LoadU(d, w_scale + n), vb),
                 d, o + n);
    }
    if (n < N) {
      const size_t r = N - n;
      const auto vb = bias ? LoadTail(d, bias + n, r) : hn::Zero(d);
      StoreTail(d, one(LoadTail(di, a + n, r), LoadTail(di, w_sum + n, r),
                       LoadTail(d, w_scale + n, r), vb),
                o + n, r);
    }
  }
}

HWY_INLINE void RowSumsS8(const int8_t* HWY_RESTRICT w, size_t rows, size_t cols, int32_t* HWY_RESTRICT sums,
                          int* max_abs) {
  const hn::ScalableTag<int8_t> d8;
  const hn::RebindToUnsigned<decltype(d8)> du8;
  const hn::Repartition<uint64_t, decltype(d8)> d64;
  const size_t L = hn::Lanes(d8);
  // w + 128 as u8 (flip the sign bit), summed 8 lanes at a time into u64;
  // the 128·cols is taken off at the end. Max and min in s8 for |w|.
  const auto flip = hn::Set(du8, 0x80);
  auto vmax = hn::Set(d8, 0), vmin = hn::Set(d8, 0);
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* row = w + r * cols;
    auto acc = hn::Zero(d64);
    size_t c = 0;
    for (; c + L <= cols; c += L) {
      const auto v = hn::LoadU(d8, row + c);
      vmax = hn::Max(vmax, v);
      vmin = hn::Min(vmin, v);
      acc = hn::Add(acc, hn::SumsOf8(hn::Xor(hn::BitCast(du8, v), flip)));
    }
    int64_t sum = static_cast<int64_t>(hn::GetLane(hn::SumOfLanes(d64, acc))) - 128 * static_cast<int64_t>(c);
    int tail_max = 0;
    for (; c < cols; ++c) {
      sum += row[c];
      tail_max = std::max(tail_max, std::abs(static_cast<int>(row[c])));
    }
    sums[r] = static_cast<int32_t>(sum);
    *max_abs = std::max(*max_abs, tail_max);
  }
  // (Highway 1.0 has no 8-bit MaxOfLanes; once per matrix, a scalar pass.)
  HWY_ALIGN int8_t hi[hn::MaxLanes(d8)], lo[hn::MaxLanes(d8)];
  hn::Store(vmax, d8, hi);
  hn::Store(vmin, d8, lo);
  for (size_t i = 0; i < L; ++i) *max_abs = std::max(*max_abs, std::max<int>(hi[i], -static_cast<int>(lo[i])));
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_QUANTIZE_INL_H_
