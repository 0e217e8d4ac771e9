#include "runtime/whisper_transcribe.h"

#include <algorithm>
#include <span>

#include "runtime/audio/decode.h"
#include "runtime/audio/log_mel.h"
#include "runtime/error.h"
#include "runtime/text_codec.h"
#include "runtime/whisper_rules.h"

namespace edgeseq::runtime {
namespace {

// The target tokenizer as Whisper's: a .tiktoken BPE followed by exactly
// Whisper's specials for the model's vocabulary size.
ByteLevelBpe WhisperBpe(const Model& model, WhisperTokenIds* ids) {
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

}  // namespace

Transcript Transcribe(Generator& generator, const float* pcm, size_t n, const TranscribeOptions& options) {
  const Model& model = generator.model();
  if (!model.log_mel_input()) throw Error(ErrorKind::kInput, "transcribe needs a Whisper (log-mel) model");
  WhisperTokenIds ids;
  const ByteLevelBpe bpe = WhisperBpe(model, &ids);
  const auto& c = model.config();
  // The start sequence; its first token is the decoder's start.
  WhisperStart start;
  start.language = options.language;
  start.task = options.task;
  start.timestamps = false;
  const size_t n_text_ctx = loaders::DecoderPositions(c);
  start.n_text_ctx = n_text_ctx;
  const std::vector<int32_t> sequence = WhisperStartSequence(ids, start);
  if (sequence.empty() || sequence[0] != c.decoder_start_id) {
    throw Error(ErrorKind::kModel, "the model's decoder start " + std::to_string(c.decoder_start_id) +
                                       " is not <|startoftranscript|> " + std::to_string(ids.sot));
  }
  WhisperRuleOptions rules;
  rules.timestamps = false;
  const WhisperLogitFilters filters(ids, bpe, rules);

  // The first window, time-major as the generator takes it.
  const audio::LogMel mel = audio::LogMelSpectrogram(pcm, n, c.n_mels, audio::kChunkSamples);
  const size_t frames = model.frames(), mels = mel.n_mels;
  std::vector<float> features(frames * mels, 0.0f);
  for (size_t m = 0; m < mels; ++m) {
    for (size_t t = 0; t < std::min(frames, mel.frames); ++t) features[t * mels + m] = mel.values[m * mel.frames + t];
  }

  GenerateOptions g;
  const std::vector<int32_t> prefix(sequence.begin() + 1, sequence.end());
  g.target_prefix = {prefix};
  const size_t sample_len = n_text_ctx / 2;  // DecodingTask's default sample_len
  g.max_length = std::min(prefix.size() + sample_len, generator.limits().max_target);
  g.end_tokens = {ids.eot};
  g.on_logits = [&](size_t, std::span<float> logits, std::span<const int32_t> chosen) {
    filters.Apply(logits, chosen.subspan(prefix.size()));
  };
  Hypothesis h = generator.GenerateFromFeatures({features}, g)[0][0];
  Transcript out;
  out.ids.assign(h.ids.begin() + static_cast<std::ptrdiff_t>(std::min(prefix.size(), h.ids.size())), h.ids.end());
  out.ended = h.ids.size() < g.max_length;
  out.cut = mel.content_frames > frames;
  const TextCodec codec(model.file(), /*source=*/false);
  out.text = codec.Decode(out.ids);
  return out;
}

Transcript TranscribeFile(Generator& generator, const std::string& path, const TranscribeOptions& options) {
  const std::vector<float> pcm = audio::DecodeAudioFile(path);
  return Transcribe(generator, pcm.data(), pcm.size(), options);
}

}  // namespace edgeseq::runtime
