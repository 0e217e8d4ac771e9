// Embedding lookup with scale and positional add.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::ops {

// out[i, :] = table[ids[i], :]·scale + (pos_table ? pos_table[pos[i], :] : 0)
// for i < n; table is [vocab, dim] f32, pos_table [max_pos, dim] f32 (a
// sinusoidal table from SinusoidalTable or learned positions).
// Returns false, writing nothing, if any ids[i] ∉ [0, vocab) or
// pos[i] ≥ max_pos (pos may be nullptr only when pos_table is). Error bound
// against the scalar reference: one rounding of the multiply-add, ≤ 1 ulp.
bool EmbeddingGather(const float* table, size_t vocab, size_t dim,
                     const int32_t* ids, size_t n, float scale,
                     const float* pos_table, size_t max_pos,
                     const int32_t* pos, float* out);

// Same with an int8 table, one f32 scale per row (row r dequantizes to
// table[r, :]·row_scales[r]); the result is row value·row scale·scale + pos.
bool EmbeddingGatherInt8(const int8_t* table, const float* row_scales,
                         size_t vocab, size_t dim, const int32_t* ids, size_t n,
                         float scale, const float* pos_table, size_t max_pos,
                         const int32_t* pos, float* out);

// Same with an IEEE half-precision table (uint16_t bits): each value is
// widened exactly to f32, then as EmbeddingGather (same error bound).
bool EmbeddingGatherF16(const uint16_t* table, size_t vocab, size_t dim,
                        const int32_t* ids, size_t n, float scale,
                        const float* pos_table, size_t max_pos,
                        const int32_t* pos, float* out);

// Fills table [max_pos, dim] with the Transformer's sinusoidal encoding:
//   angle(p, j) = p · 10000^(-2·⌊j/2⌋/dim)
// interleaved (PyTorch tutorial: even j sin, odd j cos) or, when !interleaved,
// concatenated (first half sin, second half cos, as fairseq / Marian).
void SinusoidalTable(size_t max_pos, size_t dim, bool interleaved, float* table);

}  // namespace edgeseq::ops
