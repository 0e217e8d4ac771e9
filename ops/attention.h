// The two products inside multi-head attention, for one head of one
// sequence: scores = Q·Kᵀ and context = P·V. Q, K, V are row-major with a
// row stride (they are column slices of a fused projection's output).
#pragma once

#include <stddef.h>

namespace edgeseq::ops {

// scores[i, j] = Σ_c q[i·q_stride + c] · k[j·k_stride + c]
// for i < tq, j < tk, c < dh; scores is [tq, tk] contiguous. Error bound
// against the scalar reference (double accumulation): |Δ| ≤ 1e-6·Σ_c|q·k| +
// 1e-30. Any alignment, any sizes.
void AttentionScores(const float* q, size_t q_stride, const float* k, size_t k_stride,
                     size_t tq, size_t tk, size_t dh, float* scores);

// out[i·out_stride + c] = Σ_j p[i, j] · v[j·v_stride + c]
// for i < tq, c < dh; p is [tq, tk] contiguous (rows of probabilities).
// Same error bound with Σ_j|p·v|.
void AttentionContext(const float* p, size_t tq, size_t tk, const float* v, size_t v_stride,
                      size_t dh, float* out, size_t out_stride);

}  // namespace edgeseq::ops
