// Speech to text with a Whisper model (issue 20): one 30 s window decoded
// greedily under Whisper's rules, as openai/whisper's decoding.py `decode`
// does it with DecodingOptions(language, task, without_timestamps=True,
// temperature 0, fp16 False):
//   1. the log-mel of the 16 kHz audio with 30 s of zero padding
//      (audio/log_mel.h, as transcribe.py's log_mel_spectrogram(audio,
//      padding=N_SAMPLES)), its first window of the model's frames()
//      (3000 for every released Whisper; pad_or_trim);
//   2. the start sequence <|startoftranscript|> [<|lang|> <|task|>]
//      <|notimestamps|> (WhisperStartSequence; English-only models: no
//      language or task);
//   3. greedy decoding (argmax, the first of equals) with SuppressBlank and
//      SuppressTokens (Whisper's default suppress_tokens "-1": the
//      non-speech symbols and the task/control specials) applied to every
//      step's logits (WhisperLogitFilters), up to n_text_ctx/2 sampled tokens
//      (DecodingTask's sample_len), ending at <|endoftext|>.
// Not done (yet): timestamps, audio past the first window (transcribe.py's
// seek loop: longer audio is cut, and Transcript::cut says so), temperature
// fallback, language detection, prompts, beam search.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "runtime/generator.h"
#include "runtime/whisper_tokens.h"

namespace edgeseq::runtime {

struct TranscribeOptions {
  std::string language;  // a language code ("en", "de", ...); empty: "en" (English-only models: ignored)
  WhisperTask task = WhisperTask::kTranscribe;
};

struct Transcript {
  std::vector<int32_t> ids;  // the sampled tokens: no start sequence, no <|endoftext|>
  std::string text;          // their text, special tokens left out
  bool ended = false;        // <|endoftext|> came (false: stopped at the length limit)
  bool cut = false;          // the audio was longer than the window; the rest was not heard
};

// `pcm` [n]: 16 kHz mono samples in [-1, 1]. The generator's model must be a
// Whisper log-mel model (80 or 128 mels) with a target tokenizer carrying
// Whisper's special tokens (edgeseq-convert --tgt-tokenizer tiktoken:FILE,
// docs/CONVERTER.md), and the generator's limits room for one source and
// the start sequence. Errors: Error(kInput) for audio log-mel refuses
// (audio/log_mel.h), a language the model lacks, a model that is not a
// log-mel model; Error(kModel) for a vocabulary that is not Whisper's or no
// byte-level BPE target tokenizer.
Transcript Transcribe(Generator& generator, const float* pcm, size_t n, const TranscribeOptions& options);

// The same for an audio file (audio/decode.h: decoded, mixed to mono,
// resampled to 16 kHz); its errors name the file.
Transcript TranscribeFile(Generator& generator, const std::string& path, const TranscribeOptions& options);

}  // namespace edgeseq::runtime
