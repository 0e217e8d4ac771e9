// One caller's handle on a Model: a Workspace planned once for its Limits,
// and the searches. Not thread-safe itself; use one Generator per thread
// (they may share a Model).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ops/thread_tuner.h"
#include "runtime/model.h"
#include "runtime/workspace.h"

namespace edgeseq::runtime {

struct GenerateOptions {
  size_t max_length = 256;     // decoding steps; the end token counts as one
  size_t min_length = 0;       // no end token before this many tokens (disabled before the log-softmax)
  size_t beam = 1;             // beam width; 1: greedy (or sampling)
  float length_penalty = 1.0f; // beam: hypotheses ranked by score / length^α (length counts the end token)
  size_t num_hypotheses = 1;   // beam: how many to return per source (≤ beam); sampling: independent
                               // samples per source, best score first (CTranslate2's)
  bool sample = false;         // sample instead of argmax (beam must be 1)
  float temperature = 1.0f;    // sampling: logits / T (> 0)
  size_t top_k = 0;            // sampling: only the k most likely tokens; 0: all
  float top_p = 1.0f;          // sampling: smallest set of tokens with probability ≥ p, in (0, 1]
  uint64_t seed = 0;           // sampling: same seed, same options, same input → same output
  // CTranslate2's TranslationOptions of the same names (docs/DECODING.md),
  // for greedy, beam search and sampling. Each step's logits are changed
  // before its log-softmax: the repetition penalty, then the tokens that
  // may not come next (end tokens before min_length, n-gram repeats, the
  // unknown token, suppressed sequences) are removed.
  float repetition_penalty = 1.0f;  // > 0; logits of generated tokens: l < 0 ? l·p : l/p; 1: off
  size_t no_repeat_ngram_size = 0;  // no n-gram of the generated tokens twice; 0: off
  bool disable_unk = false;         // never the model's target unknown id (kInput if it has none)
  std::vector<std::vector<int32_t>> suppress_sequences;  // never generated (one token: never at all)
  std::vector<int32_t> end_tokens;  // decoding of a source ends on any of these; empty: the model's EOS
  bool return_end_token = false;    // the end token stays at the end of Hypothesis::ids
  size_t max_input_length = 0;      // longer sources are truncated to this (suffix kept); 0: none
  bool normalize_scores = false;    // Hypothesis::score / length^length_penalty (length counts the end token)
  // CTranslate2's target_prefix (hard prefix): empty, or one entry per
  // source (an empty entry: no prefix for that source). The prefix's tokens
  // are forced as the first tokens of every hypothesis of its source and
  // kept in Hypothesis::ids; they count toward max_length and min_length,
  // no end token ends a hypothesis inside them, and their log-probabilities
  // are not in the score (as CTranslate2). Beam search: at the first step
  // after a non-empty prefix, only the best candidate may end (CTranslate2's
  // guard against short hypotheses, its issue 277).
  std::vector<std::vector<int32_t>> target_prefix;
  // CTranslate2's return_alternatives: per source, num_hypotheses (which may
  // then exceed the beam) alternatives at the first position after its
  // prefix (the start without one): the most likely tokens there (no end
  // token; CTranslate2's step rules with no history), each continued by the
  // search (greedy, beam, sampling) into one hypothesis; best token first.
  // Tokens of probability below min_alternative_expansion_prob stop the list.
  // Score: the alternative token's log-probability plus the continuation's.
  bool return_alternatives = false;
  float min_alternative_expansion_prob = 0.0f;  // in [0, 1]
  // CTranslate2's return_attention: Hypothesis::attention holds, for each
  // id of the hypothesis, the alignment of the step that produced it (the
  // model's alignment heads and layer, averaged), over the source's ids.
  bool return_attention = false;
  // CTranslate2's patience for beam search (> 0; 1: edgeseq's own rule
  // alone, docs/DECODING.md). Above 1: the search also waits for
  // round(beam·patience) finished hypotheses, and num_hypotheses may be up
  // to that; below 1: it also stops as soon as max(num_hypotheses,
  // round(beam·patience)) are finished (faster, as CTranslate2's). Counted:
  // the hypotheses that ended among the k best candidates of their step (as
  // CTranslate2). No effect with length_penalty 0 and coverage_penalty 0.
  float patience = 1.0f;
  // CTranslate2's prefix_bias_beta, in [0, 1): above 0, target_prefix is a
  // soft bias instead of a hard prefix (biased decoding of Arivazhagan et
  // al., 2020, "Re-translation strategies..."; CTranslate2's BiasedDecoder): while a
  // hypothesis has followed its prefix so far, the step's distribution is
  // (1 - beta)·p plus beta on the prefix's next token, and that biased
  // log-probability is in the score; once it leaves the prefix it decodes
  // freely. Runs beam search (beam 1 included, as CTranslate2), no sampling,
  // no return_alternatives, no on_token.
  float prefix_bias_beta = 0.0f;
  // CTranslate2's coverage_penalty (Wu et al., 2016, GNMT, eq. 14): a
  // finished hypothesis's rank (beam search) and its normalize_scores score
  // (every search) add beta·sum_j log(min(c_j, 1)) over the source ids j
  // with c_j > 0, c_j the attention it got summed over the hypothesis's
  // steps (its alignment rows, prefix and end token included). 0: off.
  float coverage_penalty = 0.0f;
  // CTranslate2's replace_unknowns: the text layer replaces each target
  // unknown id by the source token it attends to most (TextCodec:
  // DecodeReplacingUnknowns); the search keeps Hypothesis::attention for it
  // (as with return_attention).
  bool replace_unknowns = false;
  // Greedy/sampling: called with (source index, token) as each token is
  // chosen, EOS excluded (streaming). Returning true ends that source's
  // hypothesis after this token (no EOS; the score counts the tokens so
  // far); the other sources go on. Beam search takes no callback.
  std::function<bool(size_t, int32_t)> on_token;
  // Called at each step that is not a forced prefix token, for each row
  // still decoding — greedy and sampling: one per source; beam search: each
  // live beam of the source — with (source index, that row's logits over
  // the whole target vocabulary after the rules above and before the
  // log-softmax and the pick, that row's own hypothesis so far: its ids
  // with the prefix's, without the decoder start token). It may change the
  // logits in place (disable a token with kDisabledLogit, runtime/search.h)
  // — Whisper's WhisperLogitFilters (runtime/whisper_transcribe.h), which
  // decoding.py applies to every beam's tokens the same way. Called from
  // the decoding thread; the spans point into storage planned before the
  // loop (the generator allocates nothing for it). prefix_bias_beta and
  // return_alternatives take none (Error(kInput)).
  //
  // Beam search with this hook, length_penalty 1 and patience p, against
  // Whisper's BeamSearchDecoder(beam, patience p) + MaximumLikelihoodRanker
  // (length_penalty None) on the same filtered logits:
  // - the same candidates: each beam's filtered log-softmax, the source's
  //   candidates ranked by summed log-probability, end candidates met
  //   before the k-th live one finished (Whisper takes k+1 tokens per beam,
  //   edgeseq 2k: with one end token the same candidates come before the
  //   k-th live one, ties and rows with under k+1 allowed tokens aside); one
  //   live beam at the start (Whisper's k identical copies collapse in its
  //   dict to the same). Right after a target prefix edgeseq lets only the
  //   best candidate end (CTranslate2's guard); Whisper has no such guard.
  // - stopping differs: Whisper keeps the first round(k·p) finished ones
  //   (each step's best first, later ones dropped once full) and stops when
  //   it has them; edgeseq keeps every finished one and stops when the best
  //   num_hypotheses are finished and no live beam would rank above them by
  //   ending at the next step (and, with p > 1, round(k·p) counted finished
  //   ones). At max_length Whisper adds live beams only while it has fewer
  //   than k finished; edgeseq always adds them.
  // - ranking differs: Whisper's score / length with length the tokens after
  //   its start sequence, end token excluded; edgeseq's score / length^1
  //   with length the ids with the target prefix and the end token.
  // So the two agree when the search ends with the same finished set and
  // the rank order is not changed by the length offset (prefix + 1); they
  // may pick different hypotheses otherwise. whisper_beam (below) makes
  // them the same.
  std::function<void(size_t, std::span<float>, std::span<const int32_t>)> on_logits;
  // Beam search by Whisper's rules instead (openai/whisper decoding.py:
  // BeamSearchDecoder(beam, patience) and MaximumLikelihoodRanker with
  // length_penalty None), per source as Whisper decodes one audio per call:
  // the first round(beam·patience) hypotheses that end (Python's round,
  // half to even; each step's best first, later ones dropped) are kept and
  // the source is done when it has them; a source with fewer than beam of
  // them when it is done or at max_length gets its live beams, best first,
  // up to beam; hypotheses are ranked by score / L, L the ids after the
  // target prefix (the end token not counted; L = 0 ranks −inf); beam 1
  // runs this search too (Whisper's beam_size 1). No guard on ending right
  // after the prefix. Needs length_penalty 1, no
  // coverage_penalty, no prefix_bias_beta; normalize_scores returns that
  // rank. Differences left: Whisper takes beam+1 tokens per beam, so with
  // fewer than beam+1 allowed tokens it may keep a disabled (−inf) one, which
  // edgeseq never does; ties may order differently.
  bool whisper_beam = false;
  // The token at the decoder's position 0 instead of the model's decoder
  // start (−1: the model's): Whisper's prompt starts with <|startofprev|>,
  // its <|startoftranscript|> then comes in target_prefix. Error(kInput)
  // outside the target vocabulary.
  int32_t decoder_start = -1;
};

struct Hypothesis {
  std::vector<int32_t> ids;  // without the decoder start token and the final end token (see return_end_token)
  float score = 0;           // sum of the log-probabilities of the chosen tokens (end token included;
                             // see normalize_scores)
  // With return_attention (or replace_unknowns): one vector per id (length:
  // the source's ids, after max_input_length), each summing to 1.
  std::vector<std::vector<float>> attention;
};

class Generator {
 public:
  Generator(std::shared_ptr<const Model> model, const Limits& limits);

  // Decodes each source (ids): greedy, beam search or sampling, per the
  // options; num_hypotheses per source (1 unless beam search), best first.
  // Throws Error(kInput/kLimit) for bad sources or options.
  std::vector<std::vector<Hypothesis>> Generate(const std::vector<std::vector<int32_t>>& sources,
                                                const GenerateOptions& options);
  // Throws what Generate would throw for these options (for a caller that
  // checks them once, before any source arrives).
  void Validate(const GenerateOptions& options) const { CheckOptions(options); }
  // Generate with one hypothesis per source.
  std::vector<Hypothesis> Greedy(const std::vector<std::vector<int32_t>>& sources, const GenerateOptions& options);

  // Teacher forcing: the total log-probability of each target followed by
  // EOS, decoding from the decoder start token (an empty source: 0, each
  // token's log-probability taken as 0, as CTranslate2's score_batch).
  std::vector<float> Score(const std::vector<std::vector<int32_t>>& sources,
                           const std::vector<std::vector<int32_t>>& targets);
  // Teacher forcing, token by token: for each target, the log-probability of
  // each of its tokens and then of the EOS (target length + 1 values).
  std::vector<std::vector<float>> ScoreTokens(const std::vector<std::vector<int32_t>>& sources,
                                              const std::vector<std::vector<int32_t>>& targets);

  // Log-mel models (Model::log_mel_input(), Whisper): Generate and
  // ScoreTokens from features instead of ids. One vector per source of
  // frames() × n_mels floats, time-major (frame t's n_mels values at
  // [t·n_mels, (t+1)·n_mels)), the log-mel the model was trained on
  // (Whisper: log10 of mel power, floored at its maximum − 8, then
  // (x + 4) / 4; shorter audio padded to 30 s before that). Throws
  // Error(kInput) for a token-id model, a wrong size or a non-finite
  // value, return_attention or replace_unknowns (not computed for
  // features); Error(kLimit) for more sources than max_batch.
  // max_input_length does not apply.
  std::vector<std::vector<Hypothesis>> GenerateFromFeatures(const std::vector<std::vector<float>>& features,
                                                            const GenerateOptions& options);
  std::vector<float> ScoreFromFeatures(const std::vector<std::vector<float>>& features,
                                       const std::vector<std::vector<int32_t>>& targets);
  std::vector<std::vector<float>> ScoreTokensFromFeatures(const std::vector<std::vector<float>>& features,
                                                          const std::vector<std::vector<int32_t>>& targets);

  // Runs the encoder alone on sources (its output stays in the workspace):
  // for benchmarks of the encoder, on the thread count the tuner picks.
  // Returns the padded source length.
  size_t EncodeSources(const std::vector<std::vector<int32_t>>& sources);

  // Seconds spent in the encoder over this Generator's life (the rest of
  // a Generate call is decoding), for --stats.
  double encode_seconds() const { return encode_seconds_; }

  const Model& model() const { return *model_; }
  const Limits& limits() const { return ws_.limits; }

 private:
  // "no sources" (kInput) or more than max_batch (kLimit).
  void CheckBatchSize(size_t n) const;
  void CheckSources(const std::vector<std::vector<int32_t>>& sources) const;
  // Checks features (see GenerateFromFeatures), points features_ at them
  // and returns one handle per source: {index}, the source ids the searches
  // pass around (and copy, reorder) while EncodeSources reads the features.
  std::vector<std::vector<int32_t>> FeatureHandles(const std::vector<std::vector<float>>& features);
  void CheckOptions(const GenerateOptions& o) const;
  std::vector<std::vector<Hypothesis>> Decode(const std::vector<std::vector<int32_t>>& sources,
                                              const GenerateOptions& o);
  std::vector<std::vector<Hypothesis>> Alternatives(const std::vector<std::vector<int32_t>>& sources,
                                                    const GenerateOptions& o);
  std::vector<std::vector<Hypothesis>> Beam(size_t batch, size_t S, const GenerateOptions& o);
  std::vector<std::vector<Hypothesis>> Step1(size_t batch, size_t S, const GenerateOptions& o);
  // DecodeStep (runtime/transformer.h) on the thread count the tuner picks.
  void Step(size_t rows, size_t rows_per_source, size_t S, size_t step);

  std::shared_ptr<const Model> model_;
  Workspace ws_;
  std::vector<int32_t> order_;  // sampling and beam: token order scratch
  std::vector<float> penalty_scratch_;  // repetition penalty: one logit per generated token
  double encode_seconds_ = 0;
  // Log-mel sources of the call in progress (nullptr: sources are ids), and
  // their pointers for the encoder (capacity max_batch: no allocation).
  const std::vector<std::vector<float>>* features_ = nullptr;
  std::vector<const float*> feature_rows_;
  ops::ThreadTuner tuner_;
};

}  // namespace edgeseq::runtime
