// Speech to text with a Whisper model (issue 20): openai/whisper's
// whisper/transcribe.py `transcribe()` loop over decoding.py's `decode()`:
//   1. the log-mel of the whole 16 kHz audio with one window of zero padding
//      (audio/log_mel.h; transcribe.py's log_mel_spectrogram(audio,
//      padding=N_SAMPLES)), content_frames = n / 160;
//   2. windows of the model's frames() (3000 = 30 s for every released
//      Whisper; 2·n_audio_ctx in general) from `seek`: frames [seek, seek +
//      segment_size) with segment_size = min(frames, content_frames − seek),
//      zeros after them (pad_or_trim);
//   3. each window decoded after [<|startofprev|> prompt] <|startoftranscript|>
//      [<|lang|> <|task|>] [<|notimestamps|>] (WhisperStartSequence) under
//      Whisper's logit filters (WhisperLogitFilters), up to n_text_ctx/2 tokens
//      (sample_len), at each temperature of `temperatures` until the result
//      passes the compression-ratio and log-prob thresholds (decode_with_fallback);
//   4. a window whose <|nospeech|> probability is above no_speech_threshold and
//      whose average log-prob is below logprob_threshold is skipped (seek +=
//      segment_size);
//   5. timestamps: one segment per pair of consecutive timestamp tokens (and the
//      rest up to a single final timestamp), seek moved to the last timestamp
//      (× input_stride = frames / n_audio_ctx = 2 frames per 0.02 s token), or
//      by the whole window after a single timestamp ending; without timestamps
//      one segment per window and seek += segment_size;
//   6. the prompt of the next window: the tokens of the segments since the last
//      reset (condition_on_previous_text; reset when it is off or the window
//      needed a temperature above 0.5), after initial_prompt's tokens.
// Beam search (beam_size > 1, at temperature 0) is the generator's with the
// filters in its logits hook; its stopping rule and its ranking of finished
// hypotheses differ from BeamSearchDecoder's (runtime/generator.h,
// on_logits), so the transcriber asks for beam_size hypotheses and picks
// among them by Whisper's ranker (sum log-prob / tokens).
// Not done (transcribe.py has them): word_timestamps, clip_timestamps,
// hallucination_silence_threshold, prepend/append punctuation, a `prefix`.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/bpe_tokenizer.h"
#include "runtime/generator.h"
#include "runtime/whisper_rules.h"
#include "runtime/whisper_tokens.h"

namespace edgeseq::runtime {

class TextCodec;

struct TranscribeOptions {
  // One of the model's languages, as a code or an English name in any case ("de",
  // "German"; WhisperLanguageCode); empty or "auto": detected from the first window
  // for a multilingual model (Transcript::language says which, as a code);
  // English-only models: ignored.
  std::string language;
  WhisperTask task = WhisperTask::kTranscribe;
  // Decode with timestamp tokens (Whisper's default mode in transcribe()); segments
  // then end at the model's timestamps and long audio seeks by the last one. false:
  // <|notimestamps|>, one segment per window spanning the window.
  bool timestamps = false;
  // 0 or 1: greedy at temperature 0; > 1: beam search of that width at temperature 0
  // (Whisper's beam_size), `patience` as Whisper's (1: its default).
  size_t beam_size = 1;
  float patience = 1.0f;
  // Samples drawn at a temperature > 0, the best kept (Whisper's best_of;
  // transcribe.py's CLI default 5). "Best" as Whisper's MaximumLikelihoodRanker
  // with its default length_penalty None: the highest sum log-prob divided by
  // the sample's length (its tokens, <|endoftext|> not counted).
  size_t best_of = 5;
  // Temperature fallback: tried in order until a result passes the thresholds
  // (transcribe.py: (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)). Each ≥ 0; at least one.
  std::vector<float> temperatures{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
  float compression_ratio_threshold = 2.4f;  // gzip ratio above this: fall back; <= 0 or NaN: off
  float logprob_threshold = -1.0f;           // average log-prob below this: fall back; NaN: off
  float no_speech_threshold = 0.6f;          // with the log-prob test: the window is silence; NaN: off
  bool condition_on_previous_text = true;    // the previous windows' text as the prompt
  std::string initial_prompt;                // text before the first window (Whisper's initial_prompt)
  bool suppress_blank = true;
  std::vector<int32_t> suppress_tokens{-1};  // as WhisperRuleOptions
  double max_initial_timestamp = 1.0;        // seconds
  uint64_t seed = 0;                         // sampling at temperatures > 0
};

struct TranscriptSegment {
  double start = 0, end = 0;     // seconds from the audio's start
  std::string text;              // its text (special and timestamp tokens left out)
  std::vector<int32_t> tokens;   // its tokens, timestamp tokens included (as Whisper's segments)
  float temperature = 0;         // the temperature that produced it
  float avg_logprob = 0;         // sum of log-probs / (tokens + 1), as Whisper's
  float compression_ratio = 0;   // of the window's text
  float no_speech_prob = 0;      // <|nospeech|> at the SOT position of its window
  // Added: the window it came from (its first frame; seconds = seek · 0.01).
  size_t seek = 0;
};

struct Transcript {
  std::vector<TranscriptSegment> segments;
  std::string text;                   // all segments' text, concatenated (Whisper's result["text"])
  std::string language;               // the language used ("en"; empty for English-only models)
  std::vector<float> language_probs;  // when detected: per language, in WhisperTokenIds order
  float language_probability = 0;     // when detected: the language's own probability; else 0
  bool stopped = false;               // the segment callback asked to stop
};

// Called for each segment as soon as its window is done, in order; return false to
// stop (the transcript so far is returned, stopped = true).
using SegmentCallback = std::function<bool(const TranscriptSegment&)>;
// Called once, when the language has been detected on the first window
// (multilingual model, TranscribeOptions::language empty or "auto"), before
// any window is decoded, so a caller can report it ahead of the text; not
// called when the language is given or the model is English-only. Return
// false to stop: the transcript has the language and no segments, stopped = true.
using LanguageCallback = std::function<bool(const WhisperLanguageGuess&)>;

// What decoding one window gave at one temperature (Whisper's DecodingResult),
// for tests and callers that want the fallback decisions.
struct WhisperWindowResult {
  std::vector<int32_t> tokens;  // sampled, without the start sequence and <|endoftext|>
  std::string text;             // their text, stripped (as DecodingResult.text)
  float sum_logprob = 0;        // of the filtered log-softmax, <|endoftext|> included
  float avg_logprob = 0;        // sum_logprob / (tokens + 1)
  float compression_ratio = 0;  // WhisperCompressionRatio(text)
  float no_speech_prob = 0;
  float temperature = 0;
};

// transcribe.py's segmentation of one window's tokens (`tokens`: sampled, no
// <|endoftext|>), the window at frame `seek` holding `segment_size` frames of
// audio, input_stride frames per timestamp step (2): with consecutive timestamp
// pairs, one segment per pair (from the previous cut to between the pair) and
// the rest when it ends in a single timestamp, next seek at the last pair's
// timestamp or, after a single ending, the window's end; without a pair, one
// segment of the window, ending at its last timestamp when it has one above
// <|0.00|>. Times in seconds: seek·0.01 + index·0.02. Only start, end, tokens
// and seek are set.
std::vector<TranscriptSegment> WhisperSplitWindow(const WhisperTokenIds& ids, const std::vector<int32_t>& tokens,
                                                  size_t seek, size_t segment_size, size_t input_stride,
                                                  size_t* next_seek);

// transcribe.py's compression_ratio: bytes of `text` over the bytes of its zlib
// compression (level 6, as Python's zlib.compress); 0 for "" (as Whisper: 0/8).
float WhisperCompressionRatio(const std::string& text);

// Everything a Whisper model's transcription needs that does not change between
// calls (the BPE, Whisper's token ids, the logit filters' lists, the text codec),
// resolved once per model. Immutable: one may serve many Generators/threads.
class WhisperTranscriber {
 public:
  // Error(kInput) for a model that is not a log-mel model; Error(kModel) for a
  // vocabulary that is not Whisper's or no byte-level BPE target tokenizer.
  explicit WhisperTranscriber(std::shared_ptr<const Model> model);
  ~WhisperTranscriber();

  // `pcm` [n]: 16 kHz mono samples in [-1, 1]. `generator` must be made from the same
  // model (else Error(kInput)), with max_batch ≥ max(best_of, beam_size) when those are
  // used and max_target ≥ the decoder's positions (else Error(kLimit) naming them);
  // beam search also needs the generator's max_beam ≥ beam_size (Error(kLimit)).
  // Audio shorter than a frame gives no window: an empty transcript.
  // Errors: Error(kInput) for a bad option (unknown language, temperature < 0, ...).
  Transcript Transcribe(Generator& generator, const float* pcm, size_t n, const TranscribeOptions& options,
                        const SegmentCallback& on_segment = {}, const LanguageCallback& on_language = {}) const;
  // The same for an audio file (audio/decode.h); errors name the file.
  Transcript TranscribeFile(Generator& generator, const std::string& path, const TranscribeOptions& options,
                            const SegmentCallback& on_segment = {}, const LanguageCallback& on_language = {}) const;
  // detect_language on the first window (multilingual models; else Error(kInput)):
  // the window is the log-mel's first frames() frames, padding included, as
  // transcribe.py's pad_or_trim(mel, N_FRAMES).
  WhisperLanguageGuess DetectLanguage(Generator& generator, const float* pcm, size_t n) const;

  // Added: one window decoded at one temperature, as transcribe.py's
  // model.decode(mel_segment, options) inside decode_with_fallback. `features`:
  // frames() × n_mels, time-major. `prompt`: the previous text's tokens (kept: the
  // last n_text_ctx/2 − 1). `language` must be resolved (a code, or "" for an
  // English-only model). `window_seed` seeds the sampling at temperature > 0.
  WhisperWindowResult DecodeWindow(Generator& generator, const std::vector<float>& features,
                                   const std::vector<int32_t>& prompt, const std::string& language,
                                   float temperature, const TranscribeOptions& options, uint64_t window_seed) const;

  const WhisperTokenIds& ids() const { return ids_; }
  const Model& model() const { return *model_; }
  const ByteLevelBpe& bpe() const { return bpe_; }

 private:
  // Error(kInput/kLimit) for options or a generator this transcriber cannot use.
  void Check(const Generator& generator, const TranscribeOptions& o) const;
  // The options' filters: the cached ones for the default rule options.
  std::shared_ptr<const WhisperLogitFilters> Filters(const TranscribeOptions& o) const;
  WhisperWindowResult Decode(Generator& generator, const std::vector<float>& features,
                             const std::vector<int32_t>& prompt, const std::string& language, float temperature,
                             const TranscribeOptions& options, uint64_t window_seed,
                             const WhisperLogitFilters& filters) const;

  std::shared_ptr<const Model> model_;
  WhisperTokenIds ids_;  // before bpe_: WhisperBpe fills it
  ByteLevelBpe bpe_;
  std::unique_ptr<const TextCodec> codec_;
  size_t n_text_ctx_ = 0;
  // WhisperLogitFilters for the default rule options, with and without timestamps.
  std::shared_ptr<const WhisperLogitFilters> default_filters_[2];
};

}  // namespace edgeseq::runtime
