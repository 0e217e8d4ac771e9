// `edgeseq transcribe`: speech to text with a Whisper model converted with
// its tokenizer (docs/CONVERTER.md "Whisper"), one 30 s window, greedy, no
// timestamps (runtime/whisper_transcribe.h; docs/DECODING.md "Whisper
// transcription").
#pragma once

#include <iosfwd>
#include <string>

namespace edgeseq::tools {

struct TranscribeCliOptions {
  std::string model;
  std::string audio;     // a file libsndfile reads (WAV, FLAC, Ogg, Opus, MP3, ...)
  std::string language;  // a code ("en", "de", ...); empty: "en"
  std::string task = "transcribe";  // or "translate" (to English)
  int threads = 0;       // 0: leave OpenMP's default
};

// Prints the transcript's text (special tokens left out, surrounding spaces
// trimmed) as one line on `out`. Audio longer than the model's window (30 s)
// is cut: a warning on `err` says so. Errors (bad model, audio, language or
// task): one line on `err`, exit status 1.
int RunTranscribe(const TranscribeCliOptions& o, std::ostream& out, std::ostream& err);

}  // namespace edgeseq::tools
