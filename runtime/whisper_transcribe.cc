#include "runtime/whisper_transcribe.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "runtime/audio/decode.h"
#include "runtime/audio/log_mel.h"
#include "runtime/error.h"
#include "runtime/search.h"
#include "runtime/text_codec.h"

namespace edgeseq::runtime {
namespace {

// "", "auto" (any case): detect the language on the first window.
bool DetectsLanguage(const TranscribeOptions& o) { return o.language.empty() || AsciiLower(o.language) == "auto"; }

constexpr size_t kHop = 160;           // samples per log-mel frame (HOP_LENGTH)
constexpr double kSampleRate = 16000;  // SAMPLE_RATE

// The target tokenizer as Whisper's: a .tiktoken BPE followed by exactly
// Whisper's specials for the model's vocabulary size.
ByteLevelBpe WhisperBpe(const Model& model, WhisperTokenIds* ids) {
  if (!model.log_mel_input()) throw Error(ErrorKind::kInput, "transcribe needs a Whisper (log-mel) model");
  const auto& file = model.file();
  if (file.tgt_tokenizer() != loaders::TokenizerKind::kByteLevelBpe) {
    throw Error(ErrorKind::kModel, "the model's target tokenizer is not a byte-level BPE (convert it with "
                                   "--tgt-tokenizer tiktoken:FILE)");
  }
  ByteLevelBpe bpe = ByteLevelBpe::FromSection(file.tgt_tokenizer_model());
  const WhisperLayout layout = WhisperLayoutFromVocabSize(model.config().tgt_vocab_size);
  WhisperVocabulary v = WhisperSpecialTokens(bpe.size(), layout.multilingual, layout.num_languages);
  bool same = bpe.size() == layout.tiktoken_size && bpe.added().size() == v.specials.size();
  for (size_t i = 0; same && i < v.specials.size(); ++i) same = bpe.added()[i].text == v.specials[i];
  if (!same) {
    throw Error(ErrorKind::kModel, "the model's target tokenizer is not Whisper's (" + std::to_string(bpe.size()) +
                                       " BPE tokens and " + std::to_string(bpe.added().size()) +
                                       " added ones; convert it with --tgt-tokenizer tiktoken:FILE)");
  }
  *ids = v.ids;
  return bpe;
}

WhisperRuleOptions RuleOptions(const TranscribeOptions& o) {
  WhisperRuleOptions r;
  r.suppress_blank = o.suppress_blank;
  r.suppress_tokens = o.suppress_tokens;
  r.timestamps = o.timestamps;
  r.max_initial_timestamp = o.max_initial_timestamp;
  return r;
}

bool DefaultRules(const WhisperRuleOptions& r) {
  const WhisperRuleOptions d;
  return r.suppress_blank == d.suppress_blank && r.suppress_tokens == d.suppress_tokens &&
         r.max_initial_timestamp == d.max_initial_timestamp;
}

// Python's str.strip() for the whitespace a transcript has (ASCII).
std::string Strip(const std::string& s) {
  const char* ws = " \t\n\r\f\v";
  const size_t a = s.find_first_not_of(ws);
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(ws) - a + 1);
}

// The log-mel with one window of padding (transcribe.py pads 30 s, the window
// of the released models; the frames past the audio only matter as padding).
audio::LogMel WholeLogMel(const Model& model, const float* pcm, size_t n) {
  const size_t padding = std::min(model.frames() * kHop, audio::kChunkSamples);
  return audio::LogMelSpectrogram(pcm, n, model.config().n_mels, padding);
}

// Frames [from, from + count) of `mel` as the generator's time-major source,
// zeros after them up to frames() (pad_or_trim pads the log-mel with 0).
std::vector<float> Window(const audio::LogMel& mel, size_t frames, size_t from, size_t count) {
  const size_t mels = mel.n_mels;
  std::vector<float> features(frames * mels, 0.0f);
  count = std::min({count, frames, mel.frames - std::min(from, mel.frames)});
  for (size_t m = 0; m < mels; ++m) {
    const float* row = mel.values.data() + m * mel.frames + from;
    for (size_t t = 0; t < count; ++t) features[t * mels + m] = row[t];
  }
  return features;
}

}  // namespace

std::vector<TranscriptSegment> WhisperSplitWindow(const WhisperTokenIds& ids, const std::vector<int32_t>& tokens,
                                                  size_t seek, size_t segment_size, size_t input_stride,
                                                  size_t* next_seek) {
  const double time_offset = static_cast<double>(seek * kHop) / kSampleRate;
  const double time_precision = static_cast<double>(input_stride * kHop) / kSampleRate;  // 0.02 s
  const double segment_duration = static_cast<double>(segment_size * kHop) / kSampleRate;
  std::vector<TranscriptSegment> out;
  auto add = [&](double start, double end, size_t from, size_t to) {
    TranscriptSegment s;
    s.start = start;
    s.end = end;
    s.tokens.assign(tokens.begin() + static_cast<ptrdiff_t>(from), tokens.begin() + static_cast<ptrdiff_t>(to));
    s.seek = seek;
    out.push_back(std::move(s));
  };
  const size_t nt = tokens.size();
  auto is_ts = [&](size_t i) { return ids.IsTimestamp(tokens[i]); };
  const bool single_timestamp_ending = nt >= 2 && !is_ts(nt - 2) && is_ts(nt - 1);
  std::vector<size_t> slices;  // segment ends: between the two timestamps of each consecutive pair
  for (size_t i = 1; i < nt; ++i) {
    if (is_ts(i - 1) && is_ts(i)) slices.push_back(i);
  }
  if (!slices.empty()) {
    if (single_timestamp_ending) slices.push_back(nt);
    size_t last_slice = 0;
    for (size_t cut : slices) {
      const int32_t start_pos = tokens[last_slice] - ids.timestamp_begin;
      const int32_t end_pos = tokens[cut - 1] - ids.timestamp_begin;
      add(time_offset + start_pos * time_precision, time_offset + end_pos * time_precision, last_slice, cut);
      last_slice = cut;
    }
    if (single_timestamp_ending) {
      *next_seek = seek + segment_size;
    } else {
      // The next window starts at the last timestamp: the text after it was
      // cut by the window's end and is decoded again there.
      *next_seek = seek + static_cast<size_t>(tokens[last_slice - 1] - ids.timestamp_begin) * input_stride;
    }
  } else {
    double duration = segment_duration;
    int32_t last_ts = -1;
    for (int32_t t : tokens) {
      if (ids.IsTimestamp(t)) last_ts = t;
    }
    if (last_ts >= 0 && last_ts != ids.timestamp_begin) duration = (last_ts - ids.timestamp_begin) * time_precision;
    add(time_offset, time_offset + duration, 0, nt);
    *next_seek = seek + segment_size;
  }
  return out;
}

float WhisperCompressionRatio(const std::string& text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> out(size);
  if (compress2(out.data(), &size, reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    throw Error(ErrorKind::kInput, "zlib could not compress a transcript");
  }
  return static_cast<float>(static_cast<double>(text.size()) / static_cast<double>(size));
}

WhisperTranscriber::WhisperTranscriber(std::shared_ptr<const Model> model)
    : model_(std::move(model)), bpe_(WhisperBpe(*model_, &ids_)) {
  codec_ = std::make_unique<const TextCodec>(model_->file(), /*source=*/false);
  n_text_ctx_ = loaders::DecoderPositions(model_->config());
  for (bool timestamps : {false, true}) {
    WhisperRuleOptions r;
    r.timestamps = timestamps;
    default_filters_[timestamps] = std::make_shared<const WhisperLogitFilters>(ids_, bpe_, r);
  }
}

WhisperTranscriber::~WhisperTranscriber() = default;

std::shared_ptr<const WhisperLogitFilters> WhisperTranscriber::Filters(const TranscribeOptions& o) const {
  const WhisperRuleOptions r = RuleOptions(o);
  if (DefaultRules(r)) return default_filters_[r.timestamps];
  return std::make_shared<const WhisperLogitFilters>(ids_, bpe_, r);
}

void WhisperTranscriber::Check(const Generator& generator, const TranscribeOptions& o) const {
  if (&generator.model() != model_.get()) {
    throw Error(ErrorKind::kInput, "the generator is not made from the transcriber's model");
  }
  auto fail = [](const std::string& m) { throw Error(ErrorKind::kInput, m); };
  if (o.temperatures.empty()) fail("at least one temperature is needed");
  bool sampled = false;
  for (float t : o.temperatures) {
    if (!(t >= 0.0f) || !std::isfinite(t)) fail("temperatures must be finite and >= 0, not " + std::to_string(t));
    sampled |= t > 0.0f;
  }
  if (sampled && o.best_of == 0) fail("best_of must be at least 1");
  if (!(o.patience > 0.0f)) fail("patience must be > 0");
  const Limits& l = generator.limits();
  if (l.max_target < n_text_ctx_) {
    throw Error(ErrorKind::kLimit, "the generator's max_target " + std::to_string(l.max_target) +
                                       " is below the model's decoder positions " + std::to_string(n_text_ctx_));
  }
  if (sampled && l.max_batch < o.best_of) {
    throw Error(ErrorKind::kLimit, "best_of " + std::to_string(o.best_of) + " exceeds the generator's max_batch " +
                                       std::to_string(l.max_batch));
  }
  const bool beam = o.beam_size > 1 && std::find(o.temperatures.begin(), o.temperatures.end(), 0.0f) !=
                                           o.temperatures.end();
  if (beam && l.max_beam < o.beam_size) {
    throw Error(ErrorKind::kLimit, "beam_size " + std::to_string(o.beam_size) + " exceeds the generator's max_beam " +
                                       std::to_string(l.max_beam));
  }
  if (ids_.multilingual && !DetectsLanguage(o) && ids_.Language(WhisperLanguageCode(o.language)) < 0) {
    std::string codes;
    for (const std::string& c : ids_.language_codes) codes += (codes.empty() ? "" : " ") + c;
    fail("the model has no language '" + o.language + "' (a code or an English name, e.g. de or German; its codes: " +
         codes + "; or auto)");
  }
}

WhisperWindowResult WhisperTranscriber::DecodeWindow(Generator& generator, const std::vector<float>& features,
                                                     const std::vector<int32_t>& prompt, const std::string& language,
                                                     float temperature, const TranscribeOptions& o,
                                                     uint64_t window_seed) const {
  Check(generator, o);
  return Decode(generator, features, prompt, language, temperature, o, window_seed, *Filters(o));
}

WhisperWindowResult WhisperTranscriber::Decode(Generator& generator, const std::vector<float>& features,
                                               const std::vector<int32_t>& prompt, const std::string& language,
                                               float temperature, const TranscribeOptions& o, uint64_t window_seed,
                                               const WhisperLogitFilters& filters) const {
  WhisperStart start;
  start.language = language;
  start.task = o.task;
  start.timestamps = o.timestamps;
  start.prompt = prompt;
  start.n_text_ctx = n_text_ctx_;
  const std::vector<int32_t> initial = WhisperStartSequence(ids_, start);
  const size_t sot_index = static_cast<size_t>(std::find(initial.begin(), initial.end(), ids_.sot) - initial.begin());

  // The decoder starts at initial[0] (<|startofprev|> with a prompt); the
  // generator forces the tokens up to SOT. The ones after SOT (language,
  // task, <|notimestamps|>) are forced in the logits hook instead, so that the
  // step at SOT is one the hook sees: its logits give the no-speech
  // probability (decoding.py reads them in the same forward pass). A token
  // forced there has log-probability 0, as it adds nothing to Whisper's sum.
  GenerateOptions g;
  g.decoder_start = initial[0];
  const std::vector<int32_t> prefix(initial.begin() + 1, initial.begin() + static_cast<ptrdiff_t>(sot_index) + 1);
  const std::span<const int32_t> forced(initial.data() + sot_index + 1, initial.size() - sot_index - 1);
  if (!prefix.empty()) g.target_prefix = {prefix};
  // sample_len n_text_ctx/2 tokens, and no more than the decoder's positions
  // take (decoding.py stops when the tokens exceed n_ctx).
  const size_t sample_len = n_text_ctx_ / 2;
  g.max_length = std::min(initial.size() - 1 + sample_len, n_text_ctx_);
  g.end_tokens = {ids_.eot};
  const bool sample = temperature > 0.0f;
  if (sample) {
    g.sample = true;
    g.temperature = temperature;
    g.num_hypotheses = o.best_of;
    g.seed = window_seed;
  } else if (o.beam_size > 1) {
    // BeamSearchDecoder(beam_size, patience) with the filters in the hook
    // (generator.h says where the searches differ); the generator's
    // beam_size best finished hypotheses are ranked below as Whisper's
    // MaximumLikelihoodRanker ranks its finished ones.
    g.beam = o.beam_size;
    g.patience = o.patience;
    g.length_penalty = 1.0f;
    g.num_hypotheses = o.beam_size;
  }
  float no_speech = 0.0f;
  bool no_speech_seen = false;
  const size_t begin = prefix.size() + forced.size();
  const WhisperTokenIds& ids = ids_;
  g.on_logits = [&](size_t, std::span<float> logits, std::span<const int32_t> chosen) {
    const size_t k = chosen.size() - prefix.size();
    if (k == 0 && !no_speech_seen) {
      no_speech = WhisperNoSpeechProbability(ids, logits);
      no_speech_seen = true;
    }
    if (k < forced.size()) {
      const int32_t keep = forced[k];
      const float v = logits[static_cast<size_t>(keep)];
      std::fill(logits.begin(), logits.end(), kDisabledLogit);
      logits[static_cast<size_t>(keep)] = v > kDisabledBelow ? v : 0.0f;
      return;
    }
    filters.Apply(logits, chosen.subspan(begin));
  };
  std::vector<Hypothesis> hyps = generator.GenerateFromFeatures({features}, g)[0];

  // decoding.py: the candidates ranked by sum log-prob / length (the tokens
  // before <|endoftext|>), the first of equals.
  WhisperWindowResult r;
  r.temperature = temperature;
  r.no_speech_prob = no_speech;
  double best = 0;
  bool have = false;
  for (const Hypothesis& h : hyps) {
    const size_t n = h.ids.size() > begin ? h.ids.size() - begin : 0;
    const double rank = static_cast<double>(h.score) / static_cast<double>(std::max<size_t>(n, 1));
    if (!have || rank > best) {
      best = rank;
      have = true;
      r.tokens.assign(h.ids.begin() + static_cast<ptrdiff_t>(std::min(begin, h.ids.size())), h.ids.end());
      r.sum_logprob = h.score;
    }
  }
  r.avg_logprob = r.sum_logprob / static_cast<float>(r.tokens.size() + 1);
  // tokenizer.decode: timestamps dropped, other specials (a language token
  // sampled without timestamps) written as their text.
  std::vector<int32_t> text_tokens;
  for (int32_t t : r.tokens) {
    if (t < ids_.timestamp_begin) text_tokens.push_back(t);
  }
  r.text = Strip(codec_->Decode(text_tokens, /*keep_special=*/true));
  r.compression_ratio = WhisperCompressionRatio(r.text);
  return r;
}

namespace {

// detect_language: one decoder step from <|startoftranscript|> alone on a
// window's features (time-major), its logits read by WhisperDetectLanguage.
WhisperLanguageGuess DetectOnWindow(Generator& generator, const WhisperTokenIds& ids,
                                    const std::vector<float>& window) {
  GenerateOptions g;
  g.decoder_start = ids.sot;
  g.max_length = 1;
  WhisperLanguageGuess guess;
  g.on_logits = [&](size_t, std::span<float> logits, std::span<const int32_t>) {
    guess = WhisperDetectLanguage(ids, logits);
  };
  generator.GenerateFromFeatures({window}, g);
  return guess;
}

}  // namespace

WhisperLanguageGuess WhisperTranscriber::DetectLanguage(Generator& generator, const float* pcm, size_t n) const {
  if (!ids_.multilingual) throw Error(ErrorKind::kInput, "an English-only Whisper model cannot detect the language");
  if (&generator.model() != model_.get()) {
    throw Error(ErrorKind::kInput, "the generator is not made from the transcriber's model");
  }
  const audio::LogMel mel = WholeLogMel(*model_, pcm, n);
  return DetectOnWindow(generator, ids_, Window(mel, model_->frames(), 0, model_->frames()));
}

Transcript WhisperTranscriber::Transcribe(Generator& generator, const float* pcm, size_t n,
                                          const TranscribeOptions& o, const SegmentCallback& on_segment,
                                          const LanguageCallback& on_language) const {
  Check(generator, o);
  // Resolved once per call (bad suppress ids or max_initial_timestamp refused before any decoding).
  const std::shared_ptr<const WhisperLogitFilters> filters = Filters(o);
  const audio::LogMel mel = WholeLogMel(*model_, pcm, n);
  const size_t frames = model_->frames(), content_frames = mel.content_frames;
  const size_t input_stride = frames / model_->config().max_positions;  // frames per timestamp step (2)

  Transcript out;
  std::string language;
  if (ids_.multilingual) {
    if (DetectsLanguage(o)) {
      // pad_or_trim(mel): the first window, padding included.
      WhisperLanguageGuess guess = DetectOnWindow(generator, ids_, Window(mel, frames, 0, frames));
      language = guess.code;
      if (on_language && !on_language(guess)) out.stopped = true;
      out.language_probability = guess.probability;
      out.language_probs = std::move(guess.probs);
    } else {
      language = WhisperLanguageCode(o.language);  // "German" or "DE" -> "de"
    }
  }
  out.language = language;
  if (out.stopped) return out;

  std::vector<int32_t> all_tokens;
  size_t prompt_reset_since = 0;
  if (!o.initial_prompt.empty()) all_tokens = WhisperPromptTokens(bpe_, o.initial_prompt);
  const size_t initial_prompt_size = all_tokens.size();
  const bool log_test = !std::isnan(o.logprob_threshold);
  const bool ratio_test = o.compression_ratio_threshold > 0.0f;
  const bool no_speech_test = !std::isnan(o.no_speech_threshold);

  size_t seek = 0, window = 0;
  while (seek < content_frames) {
    const size_t segment_size = std::min(frames, content_frames - seek);
    const std::vector<float> features = Window(mel, frames, seek, segment_size);
    const std::vector<int32_t> prompt(all_tokens.begin() + static_cast<ptrdiff_t>(prompt_reset_since),
                                      all_tokens.end());

    // decode_with_fallback.
    WhisperWindowResult r;
    for (size_t ti = 0; ti < o.temperatures.size(); ++ti) {
      const uint64_t window_seed = o.seed ^ (0x9E3779B97F4A7C15ull * (window * 64 + ti + 1));
      r = Decode(generator, features, prompt, language, o.temperatures[ti], o, window_seed, *filters);
      bool fallback = false;
      if (ratio_test && r.compression_ratio > o.compression_ratio_threshold) fallback = true;  // repetitive
      if (log_test && r.avg_logprob < o.logprob_threshold) fallback = true;
      if (no_speech_test && r.no_speech_prob > o.no_speech_threshold && log_test &&
          r.avg_logprob < o.logprob_threshold) {
        fallback = false;  // silence: the skip rule below decides
      }
      if (!fallback) break;
    }
    ++window;

    if (no_speech_test) {
      bool skip = r.no_speech_prob > o.no_speech_threshold;
      if (log_test && r.avg_logprob > o.logprob_threshold) skip = false;
      if (skip) {
        seek += segment_size;
        continue;
      }
    }

    size_t next_seek = seek;
    std::vector<TranscriptSegment> current =
        WhisperSplitWindow(ids_, r.tokens, seek, segment_size, input_stride, &next_seek);
    for (TranscriptSegment& s : current) {
      std::vector<int32_t> text_tokens;
      for (int32_t t : s.tokens) {
        if (t < ids_.eot) text_tokens.push_back(t);
      }
      s.text = codec_->Decode(text_tokens);
      s.temperature = r.temperature;
      s.avg_logprob = r.avg_logprob;
      s.compression_ratio = r.compression_ratio;
      s.no_speech_prob = r.no_speech_prob;
    }
    seek = next_seek;

    // transcribe.py clears instantaneous or textless segments (they stay in the list).
    for (TranscriptSegment& s : current) {
      if (s.start == s.end || Strip(s.text).empty()) {
        s.text.clear();
        s.tokens.clear();
      }
    }
    for (TranscriptSegment& s : current) {
      all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
      out.segments.push_back(std::move(s));
      if (on_segment && !on_segment(out.segments.back())) out.stopped = true;
      if (out.stopped) break;
    }
    if (!o.condition_on_previous_text || r.temperature > 0.5f) prompt_reset_since = all_tokens.size();
    if (out.stopped) break;
  }
  // result["text"]: tokenizer.decode of every segment's tokens (see DecodeWindow's text).
  std::vector<int32_t> text_tokens;
  for (size_t i = initial_prompt_size; i < all_tokens.size(); ++i) {
    if (all_tokens[i] < ids_.timestamp_begin) text_tokens.push_back(all_tokens[i]);
  }
  out.text = codec_->Decode(text_tokens, /*keep_special=*/true);
  return out;
}

Transcript WhisperTranscriber::TranscribeFile(Generator& generator, const std::string& path,
                                              const TranscribeOptions& options, const SegmentCallback& on_segment,
                                              const LanguageCallback& on_language) const {
  const std::vector<float> pcm = audio::DecodeAudioFile(path);
  return Transcribe(generator, pcm.data(), pcm.size(), options, on_segment, on_language);
}

}  // namespace edgeseq::runtime
