// Token choice for sampling, and the rules that reshape each decoding step's
// distribution (the beam search lives in search.cc too, as Generator::Beam).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <random>
#include <vector>

#include "loaders/esq_format.h"
#include "runtime/generator.h"

namespace edgeseq::runtime {

// Draws a token from a row of log-probabilities: tempered by
// o.temperature, restricted to the o.top_k most likely tokens (0: all) and
// to the smallest most-likely set whose probability reaches o.top_p.
// Reproducible: the draw uses the generator's raw 64-bit output, not a
// library distribution. `order` is scratch of V entries.
int32_t Sample(const float* logprobs, size_t V, const GenerateOptions& o, std::mt19937_64& rng,
               std::vector<int32_t>& order);

// The logit a token that may not come next gets: finite (the kernels take
// finite inputs), far below any real logit, so its probability after the
// log-softmax is exactly 0 and the others are normalized without it (as
// CTranslate2's DisableTokens, which writes the lowest float).
inline constexpr float kDisabledLogit = -1e30f;
// A log-probability at or below this belongs to a disabled token.
inline constexpr float kDisabledBelow = -1e29f;

// Whether a search needs the decoder's alignment (Workspace::cross_attention):
// kept in Hypothesis::attention for return_attention and replace_unknowns,
// summed into coverage for coverage_penalty.
inline bool KeepsAttention(const GenerateOptions& o) {
  return o.return_attention || o.replace_unknowns || o.coverage_penalty != 0.0f;
}
inline bool ReturnsAttention(const GenerateOptions& o) { return o.return_attention || o.replace_unknowns; }

// CTranslate2's coverage penalty (Wu et al., 2016, GNMT, eq. 14, without its
// length term): beta·sum_j log(min(c_j, 1)) over the source positions with
// c_j > 0, where c_j = coverage[j] + step[j] (the attention summed over the
// hypothesis's steps so far, and this step's row; `step` may be null). ≤ 0
// for beta > 0.
float CoveragePenalty(const float* coverage, const float* step, size_t S, float beta);

// GenerateOptions' CTranslate2 options resolved for one call (the end ids,
// the suppressed tokens and sequences), applied to a row of logits before
// its log-softmax, in CTranslate2's order: the repetition penalty on the raw
// logits, then every token that may not come next set to kDisabledLogit.
// The history is the tokens generated so far for that row, without the
// decoder start token. Allocates only when constructed.
class StepRules {
 public:
  StepRules(const GenerateOptions& o, const loaders::ModelConfig& c);

  bool IsEnd(int32_t id) const {
    for (int32_t e : end_ids_) {
      if (e == id) return true;
    }
    return false;
  }
  // `scratch`: at least `len` floats.
  void Apply(float* logits, const int32_t* history, size_t len, float* scratch) const;

 private:
  std::vector<int32_t> end_ids_;
  std::vector<int32_t> banned_;                      // always: suppressed single tokens, the unknown id
  std::vector<std::vector<int32_t>> sequences_;      // suppressed sequences of two tokens or more
  float penalty_ = 1.0f;
  size_t ngram_ = 0;
  size_t min_length_ = 0;
};

}  // namespace edgeseq::runtime
