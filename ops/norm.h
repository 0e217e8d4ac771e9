// Layer norm, RMSNorm and the fused residual-add + norm used by both norm
// placements, over rows of a row-major [rows, cols] f32 matrix.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::ops {

enum class NormKind : uint8_t {
  kLayerNorm = 0,  // (x - mean) / sqrt(var + eps) · gamma + beta
  kRMSNorm = 1,    // x / sqrt(mean(x²) + eps) · gamma   (beta ignored)
};

// out[r, :] = LayerNorm(x[r, :]). gamma: [cols]; beta: [cols] or nullptr.
// out may alias x. cols ≥ 1, eps > 0. Variance is the biased one (PyTorch's),
// computed in two passes. Error bound against the scalar reference (double
// accumulation): |Δ| ≤ 1e-5·(|gamma|·(1 + |normalised value|)) per element.
void LayerNorm(const float* x, size_t rows, size_t cols, const float* gamma,
               const float* beta, float eps, float* out);

// out[r, :] = RMSNorm(x[r, :]); same contract as LayerNorm.
void RMSNorm(const float* x, size_t rows, size_t cols, const float* gamma,
             float eps, float* out);

// acc[i] += delta[i] for i < n: the pre-LN residual add. Exact (one f32
// add per element). delta must not alias acc.
void Add(float* acc, const float* delta, size_t n);

// acc[i] *= x[i] for i < n: the product of a gated feed-forward layer's two
// branches (GLU variants, Shazeer 2020, "GLU Variants Improve Transformer":
// act(x·W₀ᵀ) ⊙ (x·W₁ᵀ)). Exact (one f32 multiply per element). x must not
// alias acc. Any alignment, any n (including 0).
void Multiply(float* acc, const float* x, size_t n);

// The residual step of a Transformer sub-layer, fused:
//   residual[r, :] += delta[r, :];  normed[r, :] = norm(residual[r, :]).
// Post-LN (original Transformer): pass normed == residual, giving
//   residual = norm(residual + f(residual)).
// Pre-LN: pass a separate `normed` buffer; residual keeps the un-normalised
//   sum and `normed` feeds the next sub-layer.
// delta must not alias residual; normed may. Same error bound as LayerNorm.
void AddNorm(float* residual, const float* delta, size_t rows, size_t cols,
             NormKind kind, const float* gamma, const float* beta, float eps,
             float* normed);

}  // namespace edgeseq::ops
