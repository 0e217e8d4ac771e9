// Dispatch for ops/quantize.h (Highway skeleton: one copy per target).
#include "ops/quantize.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/quantize.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/quantize-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(QuantizeRowsS8);
HWY_EXPORT(DequantizeRowsS8);
HWY_EXPORT(QuantizeRowsU8);
HWY_EXPORT(DequantizeAccumulators);
HWY_EXPORT(RowSumsS8);

void RowSumsS8(const int8_t* w, size_t rows, size_t cols, int32_t* sums, int* max_abs) {
  *max_abs = 0;
  HWY_DYNAMIC_DISPATCH(RowSumsS8)(w, rows, cols, sums, max_abs);
}

void QuantizeRowsS8(const float* w, size_t rows, size_t cols, int8_t* q,
                    float* scales, int qmax) {
  HWY_DYNAMIC_DISPATCH(QuantizeRowsS8)(w, rows, cols, q, scales, qmax);
}

void DequantizeRowsS8(const int8_t* q, const float* scales, size_t rows,
                      size_t cols, float* out) {
  HWY_DYNAMIC_DISPATCH(DequantizeRowsS8)(q, scales, rows, cols, out);
}

void QuantizeRowsU8(const float* x, size_t rows, size_t cols, int qmax,
                    uint8_t* q, float* scales, int32_t* zeros) {
  HWY_DYNAMIC_DISPATCH(QuantizeRowsU8)(x, rows, cols, qmax, q, scales, zeros);
}

void DequantizeAccumulators(const int32_t* acc, size_t M, size_t N,
                            const float* x_scale, const int32_t* x_zero,
                            const float* w_scale, const int32_t* w_sum,
                            const float* bias, Activation act, float* y) {
  HWY_DYNAMIC_DISPATCH(DequantizeAccumulators)(acc, M, N, x_scale, x_zero,
                                               w_scale, w_sum, bias, act, y);
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
