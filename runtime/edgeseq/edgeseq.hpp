// edgeseq C++ API: load a converted model once, create one Generator per
// thread, turn source token ids (or text, when the model carries its
// vocabularies) into target sequences.
//
//   auto model = edgeseq::Model::Load("g2p.esq");
//   edgeseq::Generator gen(model);
//   auto out = gen.Generate({model.EncodeSource("hello")}, {});
//   std::cout << model.DecodeTarget(out[0][0].ids) << "\n";
//
// Errors are edgeseq::Error (what() is one line naming the problem).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(_WIN32)
#define EDGESEQ_API
#else
#define EDGESEQ_API __attribute__((visibility("default")))
#endif

namespace edgeseq {

namespace runtime {
class Model;
class Generator;
class TextCodec;
class WhisperTranscriber;
}  // namespace runtime
namespace detail {
struct Whisper;  // a Whisper model's transcriber, made on first use (api.cc)
}  // namespace detail

enum class ErrorCode { kModel = 1, kInput = 2, kLimit = 3 };

class EDGESEQ_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

struct ModelInfo {
  size_t d_model, heads, encoder_layers, decoder_layers, ffn_dim;
  size_t src_vocab_size, tgt_vocab_size, max_positions;
  int32_t pad_id, bos_id, eos_id, decoder_start_id;
  bool has_vocabularies;
  int32_t src_unk_id = -1, tgt_unk_id = -1;  // -1: none (unknown text is refused)
  // A character-level source vocabulary without a space token (e.g. G2P):
  // such a model reads one word per source, so text holds words to decode
  // one by one (as the CLI's text mode and the C API's text calls do).
  bool source_is_words = false;
  // Log-mel models (Whisper): sources are features, not ids (src_vocab_size
  // is then 1 and unused). n_mels: mel bins per frame; frames: frames per
  // source (2 × max_positions: 3000 for Whisper's 30 s); both 0 for token
  // models. max_target_positions: the decoder's position limit (Whisper:
  // 448; otherwise max_positions).
  size_t n_mels = 0, frames = 0;
  size_t max_target_positions = 0;
};

struct Hypothesis;

// Which vocabulary and tokenizer a text call uses.
enum class Side { kSource, kTarget };

class EDGESEQ_API Model {
 public:
  // Maps and validates an .esq file; verify_checksums also hashes every
  // tensor. Immutable: share one Model between threads.
  static Model Load(const std::string& path, bool verify_checksums = false);
  // The same from a model file already in memory, validated the same way.
  // The bytes are used in place (not copied): they must be 64-byte aligned
  // (the format aligns tensors to 64) and outlive the Model and every
  // Generator made from it.
  static Model LoadFromMemory(const void* bytes, size_t size, bool verify_checksums = false);

  ModelInfo info() const;
  // Source text as the ids the encoder reads, with the conventions the model
  // file records (docs/INPUTS.md): the text normalized (e.g. lowercased),
  // split into the vocabulary's tokens, a token outside it read as the
  // source's unknown id when the model has one (else kInput naming it), and
  // the source framed with the model's prefix and suffix ids (e.g. BOS ...
  // EOS, as PyTorch's translation tutorial trains). kModel when the model has
  // no vocabularies. Ids passed to Generate/Score are used verbatim, so pass
  // what this returns; hand-made ids need the framing written out.
  std::vector<int32_t> EncodeSource(std::string_view text) const;
  // The same; each token read as the unknown id is appended to *unknown.
  std::vector<int32_t> EncodeSource(std::string_view text, std::vector<std::string>* unknown) const;
  std::string DecodeTarget(const std::vector<int32_t>& ids) const;
  // A hypothesis of `source_text` as text, each target unknown token written
  // as the source token it attends to most (CTranslate2's replace_unknowns:
  // the argmax of its Hypothesis::attention row over the text's tokens, the
  // framing ids left out). Needs the attention (generate with
  // replace_unknowns or return_attention; else kInput when the hypothesis
  // has an unknown token); without unknown tokens DecodeTarget(h.ids).
  std::string DecodeTarget(const Hypothesis& hypothesis, std::string_view source_text) const;
  // Either side's text conventions (the tokenizer and vocabulary the model
  // carries for it: whitespace, characters, SentencePiece, byte-level BPE).
  // Encode: kSource is EncodeSource (framed); kTarget the target's tokens
  // alone (e.g. a target prefix). Decode: ids (each below that side's
  // vocabulary size, else kInput) to text, the special ids (pad, bos, eos,
  // decoder start, the tokenizer's special tokens) left out unless
  // keep_special; bytes cut through a character become U+FFFD. kModel when
  // the model has no vocabulary for the side; kInput for invalid UTF-8.
  std::vector<int32_t> Encode(std::string_view text, Side side) const;
  std::string Decode(const std::vector<int32_t>& ids, Side side, bool keep_special = false) const;

  // Multilingual models (mBART, M2M100, NLLB converted with their tokenizer
  // files) name their languages by tokens: `en_XX`, `__en__`, `eng_Latn`.
  // A language is given as such a token, or as the code inside it when one
  // token matches (`en`, `eng`); an unknown or ambiguous one is kInput
  // naming the model's choices. Languages(): the model's language tokens
  // (empty for other models).
  std::vector<std::string> Languages() const;
  // EncodeSource with the source language's token where the model's family
  // puts it (M2M100, NLLB, mBART-50: before the tokens; mBART: after the
  // final </s>). An empty source_language: EncodeSource(text, unknown).
  std::vector<int32_t> EncodeSource(std::string_view text, std::string_view source_language,
                                    std::vector<std::string>* unknown) const;
  // The target prefix that makes the model write in target_language (one
  // forced token, as Hugging Face's forced_bos_token_id): pass it as
  // GenerateOptions::target_prefix for each source. kInput when the model
  // does not choose its target language by a token.
  std::vector<int32_t> TargetLanguagePrefix(std::string_view target_language) const;

 private:
  friend class Generator;
  std::shared_ptr<const runtime::Model> impl_;
  // Built once at load (when the model has vocabularies): a codec indexes
  // the whole vocabulary, too much work to redo per call.
  std::shared_ptr<const runtime::TextCodec> src_codec_, tgt_codec_;
  // Log-mel models: Whisper's tokenizer and rules for Transcribe, resolved
  // once on the first transcription of any Generator of this model and
  // shared by all of them (copies of the Model share it too).
  std::shared_ptr<detail::Whisper> whisper_;
};

// A Generator's working memory is planned once for these. 0 in any field
// (the default for the lengths) means "the default": it fits every model
// (and Whisper's transcription at beam 1, best_of up to 16).
// A nonzero value is an explicit request, and one the model cannot take
// (max_source or max_target beyond its positions) is Error(kLimit) naming
// the field and the model's positions; nothing is silently reduced.
struct Limits {
  size_t max_batch = 16;   // sources per call; 0: 16
  size_t max_source = 0;   // tokens per source; 0: the model's positions, at most 256 (log-mel
                           // models: always the encoder's positions)
  size_t max_target = 0;   // decoding steps; 0: the model's (decoder's) positions, at most 256 (log-mel
                           // models: all of them, Whisper's 448, as its transcription needs)
  size_t max_beam = 1;     // widest beam; 0: 1
};

struct GenerateOptions {
  // Decoding steps; the end token counts as one. 0 (the default): the
  // Generator's max_target. More than the Generator's max_target is
  // Error(kLimit) naming both.
  size_t max_length = 0;
  // No end token before this many tokens (its probability is 0, the others
  // renormalized, as CTranslate2's min_decoding_length).
  size_t min_length = 0;
  size_t beam = 1;              // 1: greedy (or sampling)
  float length_penalty = 1.0f;  // beam: rank by score / length^α (length counts the end token)
  size_t num_hypotheses = 1;    // per source: beam (≤ beam), or independent samples with sample (best score first)
  bool sample = false;
  float temperature = 1.0f;
  size_t top_k = 0;
  float top_p = 1.0f;
  uint64_t seed = 0;
  // Greedy/sampling (beam 1, else kInput): called with (source index, token)
  // as each token is chosen, the end token excluded; returning true ends
  // that source's hypothesis after this token (no end token), the other
  // sources go on.
  std::function<bool(size_t source, int32_t token)> on_token;

  // CTranslate2's TranslationOptions of the same names, with its meaning
  // and results (docs/DECODING.md), for greedy, beam search and sampling.
  // Values out of range are Error(kInput).
  // Logits of the tokens generated so far: l < 0 ? l·p : l/p (> 1
  // discourages repeats, < 1 encourages them); > 0, 1: off.
  float repetition_penalty = 1.0f;
  // No n-gram of this many generated tokens occurs twice; 0: off.
  size_t no_repeat_ngram_size = 0;
  // Never generate the model's target unknown token (ModelInfo::tgt_unk_id;
  // kInput when the model has none).
  bool disable_unk = false;
  // Target id sequences never generated: a single token never appears, a
  // longer sequence never completes. Empty ones are ignored.
  std::vector<std::vector<int32_t>> suppress_sequences;
  // Decoding of a source ends on any of these target ids; empty (the
  // default): the model's EOS. The model's EOS is then an ordinary token.
  std::vector<int32_t> end_tokens;
  // Keep the end token at the end of Hypothesis::ids (when one ended it).
  bool return_end_token = false;
  // A source of more ids is cut to this many (a source suffix the model
  // records, e.g. EOS, stays at the end); 0 (the default): none, and a
  // source beyond the Generator's max_source is Error(kLimit). More than
  // max_source is Error(kLimit). (CTranslate2's default is 1024.)
  size_t max_input_length = 0;
  // Hypothesis::score divided by length^length_penalty, the length counting
  // the end token, for every search (as CTranslate2 returns its scores);
  // false: the plain sum of log-probabilities.
  bool normalize_scores = false;
  // CTranslate2's target_prefix (hard prefix): empty (the default), or one
  // entry per source (else Error(kInput)); an empty entry: none for that
  // source. Its ids are forced as the first ids of every hypothesis of its
  // source and kept in Hypothesis::ids; they count toward max_length and
  // min_length, no end token ends a hypothesis inside them, and their
  // log-probabilities are not in the score (as CTranslate2). Longer than
  // max_length, or ids outside the target vocabulary: Error(kInput). A model
  // with a forced first token (Model's header forced_bos_id, Hugging Face's
  // forced_bos_token_id) uses it as the prefix of every source given none.
  std::vector<std::vector<int32_t>> target_prefix;
  // CTranslate2's return_alternatives: per source, num_hypotheses (then
  // not limited by the beam) alternatives at the first position after its
  // target prefix (the start without one): the most likely tokens there,
  // never an end token, best first, each continued by the search (greedy,
  // beam, sampling) into one hypothesis. Tokens of probability below
  // min_alternative_expansion_prob (in [0, 1]) end the list early. Score:
  // the alternative token's log-probability plus the continuation's (the
  // prefix's not counted). No on_token (Error(kInput)).
  bool return_alternatives = false;
  float min_alternative_expansion_prob = 0.0f;
  // CTranslate2's return_attention: Hypothesis::attention gets, for each id
  // of the hypothesis, the alignment of the step that produced it: the
  // cross-attention of the model's alignment heads and layer (ModelInfo;
  // by default all heads of the last layer), averaged, over the source's ids
  // (after max_input_length). Off: nothing is kept (no cost).
  bool return_attention = false;
  // CTranslate2's patience for beam search, > 0 (else Error(kInput)); 1:
  // edgeseq's own stopping rule alone (docs/DECODING.md). Above 1 the search
  // also waits for round(beam·patience) finished hypotheses, and
  // num_hypotheses may be up to that; below 1 it also stops once
  // max(num_hypotheses, round(beam·patience)) are finished (counted as
  // CTranslate2 counts them). No effect with length_penalty 0 and no
  // coverage_penalty (the rule is exact then; CTranslate2 ignores it too).
  float patience = 1.0f;
  // CTranslate2's prefix_bias_beta, in [0, 1) (else kInput): above 0 the
  // target_prefix is a soft bias instead of forced: while a hypothesis has
  // followed its prefix so far, each step's distribution is (1 − beta)·p
  // plus beta on the prefix's next token, and that biased log-probability is
  // in the score (Arivazhagan et al., 2020, biased decoding). Runs beam search
  // (beam 1 included); no sampling, return_alternatives or on_token (kInput).
  float prefix_bias_beta = 0.0f;
  // CTranslate2's coverage_penalty (Wu et al., 2016, GNMT): beam search ranks
  // finished hypotheses (and normalize_scores scores every search's) adding
  // beta·Σ_j log(min(c_j, 1)) over the source ids j with c_j > 0, c_j the
  // attention j received over the hypothesis's steps. 0: off.
  float coverage_penalty = 0.0f;
  // CTranslate2's replace_unknowns: keeps Hypothesis::attention so that
  // Model::DecodeTarget(hypothesis, source_text) (and the C API's text
  // calls) write each target unknown token as the source token it attends
  // to most.
  bool replace_unknowns = false;
};

struct Hypothesis {
  // Without the decoder start token and the final end token (kept with
  // return_end_token).
  std::vector<int32_t> ids;
  // Sum of the chosen tokens' log-probabilities (the end token's included),
  // or that over length^length_penalty with normalize_scores.
  float score = 0;
  // With GenerateOptions::return_attention (or replace_unknowns): one vector
  // per id, as many weights as the source has ids (summing to 1); else empty.
  std::vector<std::vector<float>> attention;
};

// ---- Speech to text (Whisper) ----
// openai-whisper's transcribe() (whisper/transcribe.py, decoding.py) on a
// Whisper model converted with its tokenizer (edgeseq-convert
// --tgt-tokenizer tiktoken:FILE; docs/CONVERTER.md): the audio's log-mel in
// windows of ModelInfo::frames (30 s for Whisper's models), each decoded
// under Whisper's rules, again at the next temperature when its text fails
// the thresholds, the next window starting where the text ended.

enum class Task { kTranscribe, kTranslate };  // the spoken language; or into English

struct TranscribeOptions {
  // One of the model's languages, a Whisper code or English name in any case ("en",
  // "German", "yue", ...); "" or "auto":
  // detected on the first window (multilingual models; Transcript::language
  // says which). English-only models ignore it. Unknown: Error(kInput).
  std::string language;
  Task task = Task::kTranscribe;
  // Decode with Whisper's timestamp tokens (its default in transcribe()):
  // segments end at the model's timestamps. false: one segment per window.
  bool timestamps = false;
  // 0 or 1: greedy at temperature 0; more: beam search of that width at
  // temperature 0 (the Generator's Limits::max_beam must allow it, else
  // Error(kLimit)); patience > 0 as Whisper's (1: its default).
  size_t beam_size = 1;
  float patience = 1.0f;
  // Samples drawn at each temperature > 0, the most likely kept (at most the
  // Generator's max_batch, else Error(kLimit)).
  size_t best_of = 5;
  // Temperatures tried in order, each >= 0 (else Error(kInput)), until a
  // window's text passes the thresholds; one entry: no fallback.
  std::vector<float> temperatures{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
  float compression_ratio_threshold = 2.4f;  // the text's gzip ratio above this: fall back; <= 0: off
  float logprob_threshold = -1.0f;           // average log-probability below this: fall back; NaN: off
  float no_speech_threshold = 0.6f;          // <|nospeech|> above this with a low log-prob: silence, skipped;
                                             // NaN: off
  bool condition_on_previous_text = true;    // the previous windows' text as the next one's prompt
  std::string initial_prompt;                // UTF-8 text read before the first window ("": none)
  // Whisper's logit filters (DecodingOptions): no blank or end token first;
  // suppress_tokens: ids never sampled, -1 standing for Whisper's non-speech
  // symbols (its default); Whisper's task and control tokens are always
  // suppressed. The first timestamp at most max_initial_timestamp seconds.
  bool suppress_blank = true;
  std::vector<int32_t> suppress_tokens{-1};
  double max_initial_timestamp = 1.0;
  uint64_t seed = 0;                         // sampling: the same seed, options and audio give the same output
};

struct Segment {
  double start = 0, end = 0;    // seconds from the audio's start
  std::string text;             // UTF-8, as the model wrote it (usually a leading space)
  std::vector<int32_t> tokens;  // its target ids, timestamp tokens included (Whisper's segment tokens)
  float temperature = 0;        // the temperature of the pass that produced it
  float avg_logprob = 0;        // the window's sum of log-probabilities / (tokens + 1)
  float compression_ratio = 0;  // the window's text: its length / its zlib-compressed length
  float no_speech_prob = 0;     // the probability of <|nospeech|> at the window's start
};

struct Transcript {
  std::vector<Segment> segments;  // in time order
  std::string text;               // all segments' text, concatenated
  std::string language;           // the language used ("en"); "" for English-only models
  // When the language was detected: (code, probability) for each of the
  // model's languages, in the model's order; else empty.
  std::vector<std::pair<std::string, float>> language_probs;
  float language_probability = 0;  // when detected: the language's probability; else 0
  bool stopped = false;  // a callback returned false; the segments so far
};

struct LanguageGuess {
  std::string language;  // the most likely code ("de")
  float probability = 0;  // its probability
  std::vector<std::pair<std::string, float>> probs;  // every language of the model's, in its order; sums to 1
};

// Called on the calling thread for each segment as soon as its window is
// done, in order; return false to stop (Transcribe returns what it has,
// stopped = true). It must not call the same Generator.
using SegmentCallback = std::function<bool(const Segment&)>;
// Called on the calling thread once, when the language has been detected on
// the first window (multilingual model, TranscribeOptions::language "" or
// "auto"), before any window is decoded: to report it ahead of the text.
// Not called when the language is given or the model is English-only.
// Return false to stop (Transcribe returns the language, no segments,
// stopped = true). It must not call the same Generator.
using LanguageCallback = std::function<bool(const LanguageGuess&)>;

class EDGESEQ_API Generator {
 public:
  // Plans all working memory for `limits` once; decoding allocates nothing
  // per step. One Generator per thread. Generator(model) fits any model
  // (see Limits); limits() says what was planned.
  explicit Generator(const Model& model, const Limits& limits = {});
  ~Generator();
  Generator(Generator&&) noexcept;
  Generator& operator=(Generator&&) noexcept;

  std::vector<std::vector<Hypothesis>> Generate(const std::vector<std::vector<int32_t>>& sources,
                                                const GenerateOptions& options);
  // Greedy decoding of one source, calling on_token for each token as it is
  // chosen (streaming); returns the hypothesis.
  Hypothesis GenerateStreaming(const std::vector<int32_t>& source, const GenerateOptions& options,
                               const std::function<void(int32_t)>& on_token);
  // Log-probability of each target followed by EOS (teacher forcing); 0
  // for an empty source (as CTranslate2's score_batch).
  std::vector<float> Score(const std::vector<std::vector<int32_t>>& sources,
                           const std::vector<std::vector<int32_t>>& targets);

  // Log-mel models (ModelInfo::n_mels > 0, e.g. Whisper converted from
  // openai-whisper's checkpoint): Generate and Score from log-mel features
  // instead of ids. `features`: one vector per source (at most max_batch) of
  // exactly ModelInfo::frames × n_mels floats, time-major (frame t's n_mels
  // values at [t·n_mels, (t+1)·n_mels)), in the model's own log-mel units
  // (Whisper: log10 of the mel power spectrogram, floored at its maximum − 8,
  // then (x + 4) / 4; audio padded to 30 s first). Limits::max_source does
  // not apply (the encoder takes all its positions). Error(kInput): a token
  // model, a wrong size, a non-finite value, return_attention or
  // replace_unknowns; Error(kLimit): more sources than max_batch.
  std::vector<std::vector<Hypothesis>> GenerateFromFeatures(const std::vector<std::vector<float>>& features,
                                                            const GenerateOptions& options);
  std::vector<float> ScoreFromFeatures(const std::vector<std::vector<float>>& features,
                                       const std::vector<std::vector<int32_t>>& targets);

  // Speech to text (see TranscribeOptions) with a Whisper model:
  // `pcm` [n]: 16 kHz mono float samples in [-1, 1] (e.g. a microphone's),
  // any length (0: no segments). The Generator needs room for Whisper's
  // windows: max_target at least ModelInfo::max_target_positions (the
  // default for log-mel models), max_batch at least best_of when a
  // temperature is above 0, max_beam at least beam_size; else
  // Error(kLimit) naming them. Error(kInput): a token model, an unknown
  // language, a bad option; Error(kModel): a Whisper model converted
  // without its tokenizer. The model's tokenizer and rules are read once
  // (on the first call of any of its Generators), not per call.
  Transcript Transcribe(const float* pcm, size_t n, const TranscribeOptions& options = {},
                        const SegmentCallback& on_segment = {}, const LanguageCallback& on_language = {});
  // The same for an audio file (WAV, FLAC, Ogg, Opus, MP3, ...; decoded,
  // mixed to mono, resampled to 16 kHz); errors name the file.
  Transcript TranscribeFile(const std::string& path, const TranscribeOptions& options = {},
                            const SegmentCallback& on_segment = {}, const LanguageCallback& on_language = {});
  // The spoken language of the audio's first window (Whisper's
  // detect_language). Error(kInput) for an English-only model.
  LanguageGuess DetectLanguage(const float* pcm, size_t n);

  // The limits this Generator was planned for, defaults resolved (no 0s).
  Limits limits() const;

 private:
  const runtime::WhisperTranscriber& Whisper();  // made on first use, shared through the Model
  std::unique_ptr<runtime::Generator> impl_;
  std::shared_ptr<detail::Whisper> whisper_;  // the Model's
};

// Threads for the matmuls (OpenMP), for every Generator in the process
// from its next call on; 0 restores the default: OMP_NUM_THREADS when set,
// else the physical cores this process may run on. Idle threads sleep
// rather than spin.
EDGESEQ_API void SetThreads(int threads);

}  // namespace edgeseq
