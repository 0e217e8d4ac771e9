// int8 quantization with one scale per row, and the dequantizing epilogue of
// the int8 matmul.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ops/activation.h"

namespace edgeseq::ops {

// Weights, symmetric: scales[r] = max|w[r, :]| / qmax, q = round(w / scale)
// (to nearest, ties to even) clamped to [-qmax, qmax], qmax in [1, 127]. An
// all-zero row gets scale 0 and q = 0. Inputs finite. q matches the
// reference exactly. qmax 63 ("7-bit" weights) lets every int8 GEMM take
// full 8-bit activations exactly (kNarrowWeightMax in ops/matmul.h).
void QuantizeRowsS8(const float* w, size_t rows, size_t cols, int8_t* q,
                    float* scales, int qmax = 127);

// out[r, c] = q[r, c] · scales[r]. Exact (one f32 multiply).
void DequantizeRowsS8(const int8_t* q, const float* scales, size_t rows,
                      size_t cols, float* out);

// Activations, asymmetric unsigned, per row, values in [0, qmax]:
//   lo = min(0, min x), hi = max(0, max x), scale = (hi - lo) / qmax,
//   zero = round(-lo / scale), q = clamp(round(x / scale) + zero, 0, qmax),
// so x ≈ (q - zero)·scale with |error| ≤ scale/2, and 0 is exact. A row of
// zeros gets scale 1, zero 0. qmax ∈ [1, 255]: 127 where the int8 GEMM sums
// u8·s8 pairs in saturating 16-bit lanes (x86 without VNNI), else 255.
// Inputs finite. q, scales, zeros match the reference exactly.
void QuantizeRowsU8(const float* x, size_t rows, size_t cols, int qmax,
                    uint8_t* q, float* scales, int32_t* zeros);

// Epilogue of y = x·Wᵀ + b computed as u8 × s8 → s32:
//   y[m, n] = act(x_scale[m]·w_scale[n]·(acc[m, n] - x_zero[m]·w_sum[n])
//                 + bias[n])
// where w_sum[n] = Σ_k Wq[n, k]. acc: [M, N] s32, y: [M, N] f32 (must not
// overlap acc). bias may be nullptr. The integer part is exact; the result
// has two f32 roundings plus the activation's error.
void DequantizeAccumulators(const int32_t* acc, size_t M, size_t N,
                            const float* x_scale, const int32_t* x_zero,
                            const float* w_scale, const int32_t* w_sum,
                            const float* bias, Activation act, float* y);

// Per-row sums of int8 weights w [rows, cols] (sums[r] = Σ_c w[r, c], exact
// for cols < 2²³) and the largest |w| over the whole matrix (0..128): what
// an int8 matmul prepares once per weight matrix (the zero-point correction
// and the narrow-weight test). Any alignment, any cols.
void RowSumsS8(const int8_t* w, size_t rows, size_t cols, int32_t* sums, int* max_abs);

}  // namespace edgeseq::ops
