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

// Sinusoidal position encodings (Vaswani et al.), parameterized as the
// different training code bases write them:
//   row p, pair i (0 ≤ i < ⌊dim/2⌋): sin(a) and cos(a), a = (p + first_position)·f_i
// with the frequencies
//   kPaper:         f_i = 10000^(-2i/dim)                 (the paper; PyTorch's
//                                                          tutorial, Hugging Face Marian)
//   kTensor2Tensor: f_i = 10000^(-i/max(⌊dim/2⌋ - 1, 1))   (tensor2tensor's
//                                                          timing signal; fairseq, CTranslate2)
// and the layouts
//   kInterleaved:  column 2i sin, column 2i+1 cos
//   kConcatenated: column i sin, column ⌊dim/2⌋ + i cos
// An odd dim's last column is sin of pair ⌊dim/2⌋ when interleaved (the
// pattern continued) and 0 when concatenated (fairseq's zero padding).
enum class SinusoidLayout { kInterleaved, kConcatenated };
enum class SinusoidFrequencies { kPaper, kTensor2Tensor };

// Fills table [max_pos, dim]: row p holds the encoding of position
// p + first_position. Angles are computed in double, then rounded once.
void SinusoidalTable(size_t max_pos, size_t dim, SinusoidLayout layout, SinusoidFrequencies frequencies,
                     size_t first_position, float* table);

}  // namespace edgeseq::ops
