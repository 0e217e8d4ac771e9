// `edgeseq transcribe`: speech to text with a Whisper model converted with
// its tokenizer (docs/CONVERTER.md "Whisper"), through the runtime's
// transcription loop (runtime/whisper_transcribe.h: openai-whisper's
// transcribe(): 30 s windows, temperature fallback, timestamps, prompts),
// written as txt, srt, vtt or json (tools/transcript_format.h).
#pragma once

#include <stdint.h>

#include <iosfwd>
#include <string>
#include <vector>

#include "runtime/whisper_transcribe.h"
#include "tools/transcript_format.h"

namespace edgeseq::tools {

struct TranscribeCliOptions {
  std::string model;
  std::string audio;     // a file libsndfile reads (WAV, FLAC, Ogg, Opus, MP3, ...)
  std::string language;  // a code ("en", "de", ...); empty or "auto": detected (multilingual models)
  std::string task = "transcribe";  // or "translate" (to English)
  bool timestamps = false;          // srt and vtt turn it on
  size_t beam = 1;                  // 1: greedy; more: beam search at temperature 0
  size_t best_of = 5;               // samples per window at a temperature > 0
  // Each entry one temperature or a comma-separated list; all in order are
  // the fallback. Empty: Whisper's 0, 0.2, ..., 1.0.
  std::vector<std::string> temperatures;
  bool no_fallback = false;  // only the first temperature
  std::string initial_prompt;
  bool condition_on_previous_text = true;
  // Thresholds as transcribe.py's (each a number, or "none" to turn the test off).
  std::string compression_ratio_threshold = "2.4";  // gzip ratio above it: next temperature
  std::string logprob_threshold = "-1";             // average log-prob below it: next temperature
  std::string no_speech_threshold = "0.6";          // <|nospeech|> above it (and log-prob low): skipped
  float patience = 1.0f;                            // beam search: stop after beam·patience finished
  std::string suppress_tokens = "-1";               // comma-separated ids; -1: Whisper's set; "" or none: none
  bool no_suppress_blank = false;                   // let a window start with a space or end at once
  float max_initial_timestamp = 1.0f;               // seconds; 0: no limit
  std::string output = "txt";  // txt, srt, vtt, json
  std::string output_file;     // empty: stdout
  int threads = 0;             // 0: leave OpenMP's default
  uint64_t seed = 0;
};

// The runtime's options and the output format for these command-line
// options (every flag checked); false with *error (one line, naming the
// flag) for a bad one. A language is passed on as given (the runtime reads
// codes and names; an unknown one fails there).
bool RuntimeOptions(const TranscribeCliOptions& o, runtime::TranscribeOptions* options, TranscriptFormat* format,
                    std::string* error);

// Transcribes o.audio and writes it in o.output's format to `out` (txt, srt
// and vtt segment by segment as each window is done; json at the end), or to
// o.output_file (written whole to a temporary file beside it, then renamed:
// never a partial file). A detected language is named on `err`
// ("detected language: de (p=0.41)"). Errors (bad option, model, audio,
// language; an unwritable file): one line on `err`, exit status 1.
int RunTranscribe(const TranscribeCliOptions& o, std::ostream& out, std::ostream& err);

// "2.4" → 2.4, "none" (any case) → NaN (the test off); else false with
// *error naming `flag`.
bool ParseThreshold(const std::string& text, const char* flag, float* value, std::string* error);

// "-1", "-1,220,50257", or "" or "none" (no id): the ids (-1 stands for
// Whisper's default set);
// else false with *error.
bool ParseSuppressTokens(const std::string& text, std::vector<int32_t>* ids, std::string* error);

// "0,0.2" or "0.4": the temperatures in order; each finite and >= 0, else
// false with *error naming the entry.
bool ParseTemperatures(const std::vector<std::string>& entries, std::vector<float>* temperatures, std::string* error);

}  // namespace edgeseq::tools
