// The public C++ API (edgeseq/edgeseq.hpp) over the runtime.
#include "edgeseq/edgeseq.hpp"

#include <algorithm>
#include <mutex>

#include "loaders/esq_error.h"
#include "ops/threads.h"
#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/text_codec.h"
#include "runtime/whisper_transcribe.h"

namespace edgeseq {
namespace detail {

// One per loaded log-mel model, shared by its copies and Generators: the
// transcriber (Whisper's BPE, ids and filter lists) is built by the first
// transcription and then only read (it is immutable, so threads share it).
struct Whisper {
  std::shared_ptr<const runtime::Model> model;
  std::once_flag once;
  std::unique_ptr<const runtime::WhisperTranscriber> transcriber;
};

}  // namespace detail
namespace {

// Runs f, turning every internal error into edgeseq::Error.
template <typename F>
auto Translate(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const runtime::Error& e) {
    const ErrorCode code = e.kind() == runtime::ErrorKind::kModel   ? ErrorCode::kModel
                           : e.kind() == runtime::ErrorKind::kInput ? ErrorCode::kInput
                                                                    : ErrorCode::kLimit;
    throw Error(code, e.what());
  } catch (const loaders::EsqError& e) {
    throw Error(ErrorCode::kModel, e.what());
  }
}

// max_target: the Generator's, the default max_length.
runtime::GenerateOptions ToRuntime(const GenerateOptions& o, size_t max_target) {
  runtime::GenerateOptions r;
  r.max_length = o.max_length == 0 ? max_target : o.max_length;
  r.min_length = o.min_length;
  r.beam = o.beam;
  r.length_penalty = o.length_penalty;
  r.num_hypotheses = o.num_hypotheses;
  r.sample = o.sample;
  r.temperature = o.temperature;
  r.top_k = o.top_k;
  r.top_p = o.top_p;
  r.seed = o.seed;
  r.on_token = o.on_token;
  r.repetition_penalty = o.repetition_penalty;
  r.no_repeat_ngram_size = o.no_repeat_ngram_size;
  r.disable_unk = o.disable_unk;
  r.suppress_sequences = o.suppress_sequences;
  r.end_tokens = o.end_tokens;
  r.return_end_token = o.return_end_token;
  r.max_input_length = o.max_input_length;
  r.normalize_scores = o.normalize_scores;
  r.target_prefix = o.target_prefix;
  r.return_alternatives = o.return_alternatives;
  r.min_alternative_expansion_prob = o.min_alternative_expansion_prob;
  r.return_attention = o.return_attention;
  r.patience = o.patience;
  r.prefix_bias_beta = o.prefix_bias_beta;
  r.coverage_penalty = o.coverage_penalty;
  r.replace_unknowns = o.replace_unknowns;
  return r;
}

std::vector<Hypothesis> FromRuntime(std::vector<runtime::Hypothesis>&& hs) {
  std::vector<Hypothesis> out;
  for (auto& h : hs) out.push_back({std::move(h.ids), h.score, std::move(h.attention)});
  return out;
}

// Per source, its hypotheses.
std::vector<std::vector<Hypothesis>> FromRuntime(std::vector<std::vector<runtime::Hypothesis>>&& all) {
  std::vector<std::vector<Hypothesis>> out;
  for (auto& hs : all) out.push_back(FromRuntime(std::move(hs)));
  return out;
}

}  // namespace

Model Model::Load(const std::string& path, bool verify_checksums) {
  return Translate([&] {
    Model m;
    runtime::ModelOptions o;
    o.verify_checksums = verify_checksums;
    m.impl_ = runtime::Model::Load(path, o);
    if (m.impl_->file().src_vocab()) m.src_codec_ = std::make_shared<runtime::TextCodec>(m.impl_->file(), true);
    if (m.impl_->file().tgt_vocab()) m.tgt_codec_ = std::make_shared<runtime::TextCodec>(m.impl_->file(), false);
    if (m.impl_->log_mel_input()) {
      m.whisper_ = std::make_shared<detail::Whisper>();
      m.whisper_->model = m.impl_;
    }
    return m;
  });
}

Model Model::LoadFromMemory(const void* bytes, size_t size, bool verify_checksums) {
  return Translate([&] {
    if (bytes == nullptr || size == 0) throw runtime::Error(runtime::ErrorKind::kModel, "<memory>: no bytes");
    if (reinterpret_cast<uintptr_t>(bytes) % 64 != 0) {
      throw runtime::Error(runtime::ErrorKind::kModel,
                           "<memory>: the model's bytes must be 64-byte aligned (e.g. aligned_alloc(64, ...))");
    }
    Model m;
    runtime::ModelOptions o;
    o.verify_checksums = verify_checksums;
    m.impl_ = runtime::Model::FromBytes(static_cast<const uint8_t*>(bytes), size, "<memory>", o);
    if (m.impl_->file().src_vocab()) m.src_codec_ = std::make_shared<runtime::TextCodec>(m.impl_->file(), true);
    if (m.impl_->file().tgt_vocab()) m.tgt_codec_ = std::make_shared<runtime::TextCodec>(m.impl_->file(), false);
    if (m.impl_->log_mel_input()) {
      m.whisper_ = std::make_shared<detail::Whisper>();
      m.whisper_->model = m.impl_;
    }
    return m;
  });
}

ModelInfo Model::info() const {
  const auto& c = impl_->config();
  ModelInfo info{c.d_model, c.num_heads, c.encoder_layers, c.decoder_layers, c.ffn_dim, c.src_vocab_size,
                 c.tgt_vocab_size, c.max_positions, c.pad_id, c.bos_id, c.eos_id, c.decoder_start_id,
                 impl_->file().src_vocab() != nullptr && impl_->file().tgt_vocab() != nullptr};
  info.src_unk_id = c.src_unk_id;
  info.tgt_unk_id = c.tgt_unk_id;
  info.source_is_words = runtime::SourceIsWords(impl_->file());
  if (impl_->log_mel_input()) {
    info.n_mels = c.n_mels;
    info.frames = impl_->frames();
  }
  info.max_target_positions = loaders::DecoderPositions(c);
  return info;
}

std::vector<int32_t> Model::EncodeSource(std::string_view text) const { return EncodeSource(text, nullptr); }

std::vector<int32_t> Model::EncodeSource(std::string_view text, std::vector<std::string>* unknown) const {
  return Translate([&] {
    if (!src_codec_) runtime::TextCodec(impl_->file(), true);  // throws: no source vocabulary
    return src_codec_->Encode(text, unknown);
  });
}

std::string Model::DecodeTarget(const std::vector<int32_t>& ids) const { return Decode(ids, Side::kTarget); }

std::vector<std::string> Model::Languages() const {
  std::vector<std::string> out;
  const auto& codec = src_codec_ ? src_codec_ : tgt_codec_;
  if (codec) {
    for (const auto& [name, id] : codec->languages()) out.emplace_back(name);
  }
  return out;
}

std::vector<int32_t> Model::EncodeSource(std::string_view text, std::string_view source_language,
                                         std::vector<std::string>* unknown) const {
  if (source_language.empty()) return EncodeSource(text, unknown);
  return Translate([&] {
    if (!src_codec_) runtime::TextCodec(impl_->file(), true);  // throws: no source vocabulary
    const loaders::TextTokens* t = impl_->file().text_tokens();
    if (!t || t->source_place == loaders::SourceLanguagePlace::kNone) {
      throw runtime::Error(runtime::ErrorKind::kInput, "the model does not take a source language");
    }
    return src_codec_->Encode(text, src_codec_->LanguageId(source_language), unknown);
  });
}

std::vector<int32_t> Model::TargetLanguagePrefix(std::string_view target_language) const {
  return Translate([&] {
    const loaders::TextTokens* t = impl_->file().text_tokens();
    if (!tgt_codec_ || !t || t->target_place != loaders::TargetLanguagePlace::kFirstToken) {
      throw runtime::Error(runtime::ErrorKind::kInput, "the model does not choose its target language by a token");
    }
    return std::vector<int32_t>{tgt_codec_->LanguageId(target_language)};
  });
}

std::vector<int32_t> Model::Encode(std::string_view text, Side side) const {
  if (side == Side::kSource) return EncodeSource(text, nullptr);
  return Translate([&] {
    if (!tgt_codec_) runtime::TextCodec(impl_->file(), false);  // throws: no target vocabulary
    return tgt_codec_->EncodeTokens(text);
  });
}

std::string Model::Decode(const std::vector<int32_t>& ids, Side side, bool keep_special) const {
  return Translate([&] {
    const bool source = side == Side::kSource;
    const uint32_t size = source ? impl_->config().src_vocab_size : impl_->config().tgt_vocab_size;
    for (int32_t id : ids) {
      if (id < 0 || static_cast<uint32_t>(id) >= size) {
        throw runtime::Error(runtime::ErrorKind::kInput, std::string(source ? "source" : "target") + " id " +
                                                             std::to_string(id) + " is outside the vocabulary");
      }
    }
    const auto& codec = source ? src_codec_ : tgt_codec_;
    if (!codec) runtime::TextCodec(impl_->file(), source);  // throws: no vocabulary for the side
    return codec->Decode(ids, keep_special);
  });
}

std::string Model::DecodeTarget(const Hypothesis& h, std::string_view source_text) const {
  return Translate([&] {
    if (!src_codec_ || !tgt_codec_) {
      throw runtime::Error(runtime::ErrorKind::kModel, "the model carries no vocabularies: no text to decode");
    }
    for (int32_t id : h.ids) {
      if (id < 0 || static_cast<uint32_t>(id) >= impl_->config().tgt_vocab_size) {
        throw runtime::Error(runtime::ErrorKind::kInput, "target id " + std::to_string(id) + " is outside the vocabulary");
      }
    }
    return runtime::DecodeReplacingUnknowns(*src_codec_, source_text, *tgt_codec_, h.ids, h.attention);
  });
}

Generator::Generator(const Model& model, const Limits& l) {
  Translate([&] {
    // 0: the default (edgeseq.hpp), fitted to the model; explicit values
    // are checked by the Workspace.
    const auto& c = model.impl_->config();
    const size_t fit = std::min<size_t>(256, c.max_positions);
    runtime::Limits r;
    r.max_batch = l.max_batch ? l.max_batch : 16;
    r.max_source = l.max_source ? l.max_source : fit;
    // Log-mel models: every decoder position, as Whisper's windows need
    // them (a prompt of up to half, then the text).
    const size_t positions = loaders::DecoderPositions(c);
    r.max_target = l.max_target               ? l.max_target
                   : model.impl_->log_mel_input() ? positions
                                                : std::min<size_t>(256, positions);
    r.max_beam = l.max_beam ? l.max_beam : 1;
    impl_ = std::make_unique<runtime::Generator>(model.impl_, r);
    whisper_ = model.whisper_;
    return 0;
  });
}

Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

std::vector<std::vector<Hypothesis>> Generator::Generate(const std::vector<std::vector<int32_t>>& sources,
                                                         const GenerateOptions& options) {
  return Translate([&] { return FromRuntime(impl_->Generate(sources, ToRuntime(options, impl_->limits().max_target))); });
}

Hypothesis Generator::GenerateStreaming(const std::vector<int32_t>& source, const GenerateOptions& options,
                                        const std::function<void(int32_t)>& on_token) {
  return Translate([&] {
    runtime::GenerateOptions r = ToRuntime(options, impl_->limits().max_target);
    if (r.beam != 1) throw runtime::Error(runtime::ErrorKind::kInput, "streaming takes beam 1");
    r.on_token = [&](size_t, int32_t t) {
      on_token(t);
      return false;
    };
    auto all = impl_->Generate({source}, r);
    return FromRuntime(std::move(all[0]))[0];
  });
}

std::vector<float> Generator::Score(const std::vector<std::vector<int32_t>>& sources,
                                   const std::vector<std::vector<int32_t>>& targets) {
  return Translate([&] { return impl_->Score(sources, targets); });
}

std::vector<std::vector<Hypothesis>> Generator::GenerateFromFeatures(const std::vector<std::vector<float>>& features,
                                                                     const GenerateOptions& options) {
  return Translate([&] {
    return FromRuntime(impl_->GenerateFromFeatures(features, ToRuntime(options, impl_->limits().max_target)));
  });
}

std::vector<float> Generator::ScoreFromFeatures(const std::vector<std::vector<float>>& features,
                                                const std::vector<std::vector<int32_t>>& targets) {
  return Translate([&] { return impl_->ScoreFromFeatures(features, targets); });
}

namespace {

runtime::TranscribeOptions ToRuntime(const TranscribeOptions& o) {
  runtime::TranscribeOptions r;
  r.language = o.language;
  r.task = o.task == Task::kTranslate ? runtime::WhisperTask::kTranslate : runtime::WhisperTask::kTranscribe;
  r.timestamps = o.timestamps;
  r.beam_size = o.beam_size;
  r.patience = o.patience;
  r.best_of = o.best_of;
  r.temperatures = o.temperatures;
  r.compression_ratio_threshold = o.compression_ratio_threshold;
  r.logprob_threshold = o.logprob_threshold;
  r.no_speech_threshold = o.no_speech_threshold;
  r.condition_on_previous_text = o.condition_on_previous_text;
  r.initial_prompt = o.initial_prompt;
  r.suppress_blank = o.suppress_blank;
  r.suppress_tokens = o.suppress_tokens;
  r.max_initial_timestamp = o.max_initial_timestamp;
  r.seed = o.seed;
  return r;
}

Segment FromRuntime(const runtime::TranscriptSegment& s) {
  return {s.start, s.end, s.text, s.tokens, s.temperature, s.avg_logprob, s.compression_ratio, s.no_speech_prob};
}

// Per language code, its probability (runtime: in the model's language order).
std::vector<std::pair<std::string, float>> LanguageProbs(const runtime::WhisperTokenIds& ids,
                                                         const std::vector<float>& probs) {
  std::vector<std::pair<std::string, float>> out;
  for (size_t i = 0; i < probs.size() && i < ids.language_codes.size(); ++i) out.emplace_back(ids.language_codes[i], probs[i]);
  return out;
}

Transcript FromRuntime(runtime::Transcript&& t, const runtime::WhisperTokenIds& ids) {
  Transcript out;
  out.segments.reserve(t.segments.size());
  for (const auto& s : t.segments) out.segments.push_back(FromRuntime(s));
  out.text = std::move(t.text);
  out.language = std::move(t.language);
  out.language_probs = LanguageProbs(ids, t.language_probs);
  out.language_probability = t.language_probability;
  out.stopped = t.stopped;
  return out;
}

LanguageGuess FromRuntime(const runtime::WhisperLanguageGuess& g, const runtime::WhisperTokenIds& ids) {
  LanguageGuess out;
  out.language = g.code;
  out.probability = g.probability;
  out.probs = LanguageProbs(ids, g.probs);
  return out;
}

// The caller's callbacks for the runtime's segments and language (none: none).
runtime::SegmentCallback Callback(const SegmentCallback& on_segment) {
  if (!on_segment) return {};
  return [&on_segment](const runtime::TranscriptSegment& s) { return on_segment(FromRuntime(s)); };
}
runtime::LanguageCallback Callback(const LanguageCallback& on_language, const runtime::WhisperTokenIds& ids) {
  if (!on_language) return {};
  return [&on_language, &ids](const runtime::WhisperLanguageGuess& g) { return on_language(FromRuntime(g, ids)); };
}

}  // namespace

const runtime::WhisperTranscriber& Generator::Whisper() {
  if (!whisper_) throw runtime::Error(runtime::ErrorKind::kInput, "transcription needs a Whisper (log-mel) model");
  detail::Whisper& w = *whisper_;
  // call_once: a failed construction (e.g. no tokenizer) throws and leaves
  // it unset, so the next call reports the same error.
  std::call_once(w.once, [&] { w.transcriber = std::make_unique<const runtime::WhisperTranscriber>(w.model); });
  return *w.transcriber;
}

Transcript Generator::Transcribe(const float* pcm, size_t n, const TranscribeOptions& options,
                                 const SegmentCallback& on_segment, const LanguageCallback& on_language) {
  return Translate([&] {
    const runtime::WhisperTranscriber& t = Whisper();
    if (!pcm && n) throw runtime::Error(runtime::ErrorKind::kInput, "pcm is null");
    return FromRuntime(t.Transcribe(*impl_, pcm, n, ToRuntime(options), Callback(on_segment),
                                    Callback(on_language, t.ids())),
                       t.ids());
  });
}

Transcript Generator::TranscribeFile(const std::string& path, const TranscribeOptions& options,
                                     const SegmentCallback& on_segment, const LanguageCallback& on_language) {
  return Translate([&] {
    const runtime::WhisperTranscriber& t = Whisper();
    return FromRuntime(t.TranscribeFile(*impl_, path, ToRuntime(options), Callback(on_segment),
                                        Callback(on_language, t.ids())),
                       t.ids());
  });
}

LanguageGuess Generator::DetectLanguage(const float* pcm, size_t n) {
  return Translate([&] {
    const runtime::WhisperTranscriber& t = Whisper();
    if (!pcm && n) throw runtime::Error(runtime::ErrorKind::kInput, "pcm is null");
    return FromRuntime(t.DetectLanguage(*impl_, pcm, n), t.ids());
  });
}

Limits Generator::limits() const {
  const runtime::Limits& r = impl_->limits();
  Limits l;
  l.max_batch = r.max_batch;
  l.max_source = r.max_source;
  l.max_target = r.max_target;
  l.max_beam = r.max_beam;
  return l;
}

void SetThreads(int threads) { ops::SetThreads(threads); }

}  // namespace edgeseq
