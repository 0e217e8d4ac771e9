// Scalar references for every kernel in ops/: the plainest correct code, used
// by the tests (and benchmarks) as the thing the Highway kernels must match.
// Same signatures and contracts as the kernels they mirror; they accumulate
// in double where that makes them the better yardstick.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ops/activation.h"
#include "ops/mel.h"
#include "ops/norm.h"
#include "ops/softmax.h"

namespace edgeseq::ops::ref {

float Activate(float x, Activation act);
void BiasActivation(float* x, size_t rows, size_t cols, const float* bias,
                    Activation act);

void Softmax(float* x, size_t rows, size_t cols, float scale,
             const SoftmaxMask& mask = {});
void LogSoftmax(float* x, size_t rows, size_t cols);

void LayerNorm(const float* x, size_t rows, size_t cols, const float* gamma,
               const float* beta, float eps, float* out);
void RMSNorm(const float* x, size_t rows, size_t cols, const float* gamma,
             float eps, float* out);
void AddNorm(float* residual, const float* delta, size_t rows, size_t cols,
             NormKind kind, const float* gamma, const float* beta, float eps,
             float* normed);

bool EmbeddingGather(const float* table, size_t vocab, size_t dim,
                     const int32_t* ids, size_t n, float scale,
                     const float* pos_table, size_t max_pos,
                     const int32_t* pos, float* out);
bool EmbeddingGatherInt8(const int8_t* table, const float* row_scales,
                         size_t vocab, size_t dim, const int32_t* ids, size_t n,
                         float scale, const float* pos_table, size_t max_pos,
                         const int32_t* pos, float* out);

void QuantizeRowsS8(const float* w, size_t rows, size_t cols, int8_t* q,
                    float* scales, int qmax = 127);
void DequantizeRowsS8(const int8_t* q, const float* scales, size_t rows,
                      size_t cols, float* out);
void QuantizeRowsU8(const float* x, size_t rows, size_t cols, int qmax,
                    uint8_t* q, float* scales, int32_t* zeros);
void DequantizeAccumulators(const int32_t* acc, size_t M, size_t N,
                            const float* x_scale, const int32_t* x_zero,
                            const float* w_scale, const int32_t* w_sum,
                            const float* bias, Activation act, float* y);

void AttentionScores(const float* q, size_t q_stride, const float* k, size_t k_stride,
                     size_t tq, size_t tk, size_t dh, float* scores);
void AttentionContext(const float* p, size_t tq, size_t tk, const float* v, size_t v_stride,
                      size_t dh, float* out, size_t out_stride);
void Add(float* acc, const float* delta, size_t n);
void Multiply(float* acc, const float* x, size_t n);

// y[M, N] = x[M, K]·W[N, K]ᵀ + bias, accumulated in double.
void MatmulF32(const float* x, size_t M, size_t K, const float* w, size_t N,
               const float* bias, float* y);
// acc[M, N] = Σ_k xq[m, k]·wq[n, k], exact in int64 then narrowed (callers
// keep K·255·127 < 2³¹).
void MatmulU8S8(const uint8_t* xq, size_t M, size_t K, const int8_t* wq,
                size_t N, int32_t* acc);

// ops/mel.h: power in double then rounded; the filter bank summed in double.
void PowerSpectrum(const float* re_im, size_t bins, float* power);
void MelFilterBank(const float* power, size_t frames, size_t bins, const float* filters,
                   size_t n_mels, float* out, size_t out_stride);
float Log10Clamped(float* x, size_t n);
void ClampAndScale(float* x, size_t n, float floor);

}  // namespace edgeseq::ops::ref
