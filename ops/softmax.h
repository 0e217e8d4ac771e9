// Softmax and log-softmax over the last dimension of a row-major matrix.
#pragma once

#include <stddef.h>

namespace edgeseq::ops {

// Which columns of a row take part. A column that does not is set to 0.
struct SoftmaxMask {
  // [cols] additive mask, added after scaling (0 keeps a column, -inf drops
  // it: key padding). nullptr: none.
  const float* additive = nullptr;
  // Causal: row r sees columns c ≤ r + causal_offset only (decoder
  // self-attention, where query row r sits at position r + causal_offset).
  bool causal = false;
  size_t causal_offset = 0;
};

// x[r, :] = softmax(x[r, :]·scale + mask) in place, for a [rows, cols]
// row-major matrix. Numerically stable (max subtracted). A row in which no
// column takes part (all -inf, or causal leaves none) becomes all zeros, never
// NaN. Inputs: finite or -inf. Error bound against the scalar reference:
// |Δ| ≤ 1e-6 + 1e-5·|ref| per element. Any alignment, any cols.
void Softmax(float* x, size_t rows, size_t cols, float scale,
             const SoftmaxMask& mask = {});

// x[r, :] = log_softmax(x[r, :]) in place (rows of logits → log-probs).
// Inputs finite. Error bound: |Δ| ≤ 1e-5·(1 + |ref|).
void LogSoftmax(float* x, size_t rows, size_t cols);

// Greedy decoding's pick from a row of logits x[0, cols), cols ≥ 1, without
// writing it: *index = the column of the largest logit (the first of equal
// ones), skipping column `exclude` (≥ cols: none; e.g. EOS before the
// minimum length), and *log_prob = log_softmax(x)[*index] = x[*index] −
// logsumexp(x), normalized over every column (`exclude` included). Equals
// LogSoftmax followed by an argmax; one read pass for the max, one for the
// sum, and a search that stops at the pick. Inputs finite. Error bound as
// LogSoftmax's. If `exclude` is the only column, it is picked.
void GreedyPick(const float* x, size_t cols, size_t exclude, size_t* index, float* log_prob);

}  // namespace edgeseq::ops
