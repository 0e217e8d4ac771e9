// Whisper's decoding rules on one step's logits (issue 20), as openai/whisper's
// whisper/decoding.py applies them: SuppressBlank, SuppressTokens and
// ApplyTimestampRules (its LogitFilters, in DecodingTask's order), language
// detection (detect_language) and the no-speech probability.
//
// Shapes: `logits` is one row over the whole vocabulary (ids.vocab_size
// floats, before any softmax); `sampled` is the tokens generated so far for
// that row, after the initial tokens (WhisperStartSequence: the SOT sequence,
// a prompt and a prefix), so an empty `sampled` is Whisper's first sampled
// position (tokens.shape[1] == sample_begin).
//
// A token that may not come next gets kDisabledLogit (runtime/search.h:
// finite, far below any real logit, probability exactly 0 after a
// log-softmax) where Whisper writes −inf; a logit already at or below
// kDisabledBelow (or −inf) counts as disabled. The rules only disable: every
// other logit stays as it was.
#pragma once

#include <stdint.h>

#include <span>
#include <string>
#include <vector>

#include "runtime/bpe_tokenizer.h"
#include "runtime/whisper_tokens.h"

namespace edgeseq::runtime {

// Tokenizer.non_speech_tokens: the ids of symbols Whisper never lets a
// transcript start a word with (speaker tags, music notes, brackets: "#",
// "(", "[", "♪♪", "<<", ...; each alone and after a space when that is one
// token, the first token of each music symbol in U+2640..U+267F either way,
// and " -", " '"), ascending. `bpe`: the model's .tiktoken BPE.
std::vector<int32_t> WhisperNonSpeechTokens(const ByteLevelBpe& bpe);

// DecodingTask._get_suppress_tokens: `requested` ids, where −1 stands for
// the non-speech tokens, plus translate, transcribe, SOT, <|startofprev|>,
// <|startoflm|> and <|nospeech|>; ascending, unique. Whisper's default is
// {-1}. Error(kInput) for an id outside the vocabulary (other than −1).
// (Whisper applies no SuppressTokens at all for an empty list: see
// WhisperRuleOptions.)
std::vector<int32_t> WhisperSuppressTokens(const ByteLevelBpe& bpe, const WhisperTokenIds& ids,
                                           const std::vector<int32_t>& requested);

// DecodingOptions' rule settings, with Whisper's defaults.
struct WhisperRuleOptions {
  bool suppress_blank = true;                // " " and EOT at the first position
  // SuppressTokens with WhisperSuppressTokens(requested = these). Empty: no
  // SuppressTokens at all, the specials not suppressed either (Whisper adds
  // the filter only for a non-empty suppress_tokens).
  std::vector<int32_t> suppress_tokens{-1};
  bool timestamps = true;                    // false: without_timestamps (no timestamp rules)
  // Seconds; the first timestamp is at most this (index round(s / 0.02)).
  // 0: no limit (Whisper's None).
  double max_initial_timestamp = 1.0;
};

// ApplyTimestampRules on one row:
//  - <|notimestamps|> is disabled;
//  - timestamps come in pairs: after a lone timestamp (text before it) no
//    text token (ids below EOT) may follow; after two (or one at the very
//    start) no timestamp;
//  - timestamps never decrease, and a segment is never empty: those below the
//    last one are disabled, and the last one too unless it closes a segment;
//  - at the first position only timestamps, up to timestamp_begin +
//    `max_initial_index` (< 0: no limit);
//  - when the timestamps' summed probability exceeds the most likely
//    non-timestamp token's, every non-timestamp token is disabled.
void WhisperApplyTimestampRules(const WhisperTokenIds& ids, std::span<float> logits, std::span<const int32_t> sampled,
                                int32_t max_initial_index);

// All of Whisper's rules for one decoding setup, resolved once (the suppress
// list needs the BPE); Apply allocates nothing.
class WhisperLogitFilters {
 public:
  // Error(kInput) for a bad suppress id or a negative max_initial_timestamp.
  WhisperLogitFilters(const WhisperTokenIds& ids, const ByteLevelBpe& bpe, const WhisperRuleOptions& o);

  // SuppressBlank, SuppressTokens, ApplyTimestampRules, in that order, as
  // the options enable them. Error(kInput) when logits.size() is not the
  // vocabulary's size.
  void Apply(std::span<float> logits, std::span<const int32_t> sampled) const;

  const std::vector<int32_t>& blank_tokens() const { return blank_; }          // encode(" ") + EOT
  const std::vector<int32_t>& suppress_tokens() const { return suppress_; }    // empty: none
  int32_t max_initial_index() const { return max_initial_index_; }            // −1: none

 private:
  WhisperTokenIds ids_;
  bool suppress_blank_;
  bool timestamps_;
  std::vector<int32_t> blank_;
  std::vector<int32_t> suppress_;
  int32_t max_initial_index_ = -1;
};

// detect_language on the logits of the step after <|startoftranscript|>
// alone: every non-language token disabled, the softmax over the language
// tokens and the best of them (the first of equals).
struct WhisperLanguageGuess {
  int32_t token = -1;        // its id
  std::string code;          // "en", ...
  float probability = 0;     // the guess's own probability: probs at its index
  std::vector<float> probs;  // per language, in ids.language_codes order; sums to 1
};
// Error(kInput) for an English-only model (as Whisper: its SOT sequence has
// no language), when logits.size() is not the vocabulary's, or when every
// language logit is disabled.
WhisperLanguageGuess WhisperDetectLanguage(const WhisperTokenIds& ids, std::span<const float> logits);

// The probability of <|nospeech|> in the full softmax of the logits at the
// SOT position (DecodingTask._main_loop's no_speech_probs).
float WhisperNoSpeechProbability(const WhisperTokenIds& ids, std::span<const float> logits);

}  // namespace edgeseq::runtime
