#include "tools/transcribe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <stdexcept>

#include "loaders/esq_format.h"
#include "ops/threads.h"
#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/whisper_tokens.h"
#include "runtime/whisper_transcribe.h"
#include "tools/transcript_format.h"

namespace edgeseq::tools {
namespace {

// `text` into `path` whole or not at all: a temporary file beside it (same
// file system, so the rename is atomic), synced, then renamed over it.
void WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw runtime::Error(runtime::ErrorKind::kInput, path + ": cannot create a file beside it: " + strerror(errno));
  const char* p = text.data();
  size_t n = text.size();
  std::string failure;
  fchmod(fd, 0644);
  while (n > 0 && failure.empty()) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) failure = std::string("cannot write: ") + strerror(errno);
    else {
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  if (failure.empty() && fsync(fd) != 0) failure = std::string("cannot sync: ") + strerror(errno);
  if (close(fd) != 0 && failure.empty()) failure = std::string("cannot close: ") + strerror(errno);
  if (failure.empty() && rename(tmp.c_str(), path.c_str()) != 0) {
    failure = std::string("cannot rename into place: ") + strerror(errno);
  }
  if (!failure.empty()) {
    unlink(tmp.c_str());
    throw runtime::Error(runtime::ErrorKind::kInput, path + ": " + failure);
  }
}

// "a,b,,c" → {"a", "b", "", "c"}; "" → {""}.
std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1) {
    items.push_back(text.substr(start, comma - start));
  }
  items.push_back(text.substr(start));
  return items;
}

// The whole of `text` as a finite float.
bool ParseFloat(const std::string& text, float* value) {
  char* end = nullptr;
  errno = 0;
  *value = strtof(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && errno == 0 && std::isfinite(*value);
}

}  // namespace

bool ParseTemperatures(const std::vector<std::string>& entries, std::vector<float>* temperatures, std::string* error) {
  temperatures->clear();
  for (const std::string& entry : entries) {
    for (const std::string& item : SplitCommas(entry)) {
      float t = 0;
      if (!ParseFloat(item, &t) || t < 0) {
        *error = "--temperature: '" + item + "' is not a temperature (a number >= 0; several: 0,0.2,0.4)";
        return false;
      }
      temperatures->push_back(t);
    }
  }
  return true;
}

bool ParseThreshold(const std::string& text, const char* flag, float* value, std::string* error) {
  if (runtime::AsciiLower(text) == "none") {
    *value = std::nanf("");
    return true;
  }
  if (!ParseFloat(text, value)) {
    *error = std::string(flag) + ": '" + text + "' is not a number (or none)";
    return false;
  }
  return true;
}

bool ParseSuppressTokens(const std::string& text, std::vector<int32_t>* ids, std::string* error) {
  ids->clear();
  if (text.empty() || runtime::AsciiLower(text) == "none") return true;
  for (const std::string& item : SplitCommas(text)) {
    char* end = nullptr;
    errno = 0;
    const long id = strtol(item.c_str(), &end, 10);
    if (item.empty() || end != item.c_str() + item.size() || errno != 0 || id < -1 || id > INT32_MAX) {
      *error = "--suppress-tokens: '" + item + "' is not a token id (ids >= 0, or -1 for Whisper's set)";
      return false;
    }
    ids->push_back(static_cast<int32_t>(id));
  }
  return true;
}

bool RuntimeOptions(const TranscribeCliOptions& o, runtime::TranscribeOptions* out, TranscriptFormat* format,
                    std::string* error) {
  runtime::TranscribeOptions t;
  t.language = o.language;  // the runtime reads codes, names and "auto" in any case
  if (o.task == "transcribe") {
    t.task = runtime::WhisperTask::kTranscribe;
  } else if (o.task == "translate") {
    t.task = runtime::WhisperTask::kTranslate;
  } else {
    *error = "--task must be transcribe or translate, not '" + o.task + "'";
    return false;
  }
  if (!ParseTranscriptFormat(o.output, format)) {
    *error = "--output must be txt, srt, vtt or json, not '" + o.output + "'";
    return false;
  }
  // Subtitles need times: srt and vtt decode with timestamps.
  t.timestamps = o.timestamps || *format == TranscriptFormat::kSrt || *format == TranscriptFormat::kVtt;
  if (o.beam == 0 || o.best_of == 0) {
    *error = std::string(o.beam == 0 ? "--beam" : "--best-of") + " must be at least 1";
    return false;
  }
  t.beam_size = o.beam;
  t.best_of = o.best_of;
  if (!o.temperatures.empty() && !ParseTemperatures(o.temperatures, &t.temperatures, error)) return false;
  if (o.no_fallback) t.temperatures.resize(1);
  t.initial_prompt = o.initial_prompt;
  t.condition_on_previous_text = o.condition_on_previous_text;
  t.seed = o.seed;
  if (!ParseThreshold(o.compression_ratio_threshold, "--compression-ratio-threshold", &t.compression_ratio_threshold,
                      error) ||
      !ParseThreshold(o.logprob_threshold, "--logprob-threshold", &t.logprob_threshold, error) ||
      !ParseThreshold(o.no_speech_threshold, "--no-speech-threshold", &t.no_speech_threshold, error) ||
      !ParseSuppressTokens(o.suppress_tokens, &t.suppress_tokens, error)) {
    return false;
  }
  if (!(o.patience > 0.0f) || !std::isfinite(o.patience)) {
    *error = "--patience must be a number > 0";
    return false;
  }
  if (!(o.max_initial_timestamp >= 0.0f) || !std::isfinite(o.max_initial_timestamp)) {
    *error = "--max-initial-timestamp must be a number of seconds >= 0";
    return false;
  }
  t.patience = o.patience;
  t.suppress_blank = !o.no_suppress_blank;
  t.max_initial_timestamp = o.max_initial_timestamp;
  *out = std::move(t);
  return true;
}

int RunTranscribe(const TranscribeCliOptions& o, std::ostream& out, std::ostream& err) {
  const char* const kPrefix = "edgeseq transcribe: ";
  runtime::TranscribeOptions t;
  TranscriptFormat format;
  std::string error;
  if (!RuntimeOptions(o, &t, &format, &error)) {
    err << kPrefix << error << "\n";
    return 1;
  }
  try {
    ops::SetThreads(o.threads);
    const auto model = runtime::Model::Load(o.model);
    const runtime::WhisperTranscriber transcriber(model);
    // Room for what the options use: every decoder position (a window's
    // prompt and text), best_of samples side by side, the beam.
    const bool sampled = std::any_of(t.temperatures.begin(), t.temperatures.end(), [](float x) { return x > 0; });
    runtime::Limits limits;
    limits.max_batch = std::max<size_t>({1, o.beam, sampled ? o.best_of : 1});
    limits.max_beam = std::max<size_t>(1, o.beam);
    limits.max_target = loaders::DecoderPositions(model->config());
    runtime::Generator gen(model, limits);
    // To stdout, txt/srt/vtt go out segment by segment as each window
    // finishes (these formats only ever append a segment), so the stream
    // equals FormatTranscript of the whole at the end.
    const bool stream = o.output_file.empty() && format != TranscriptFormat::kJson;
    size_t streamed = 0;
    runtime::SegmentCallback on_segment;
    if (stream) {
      on_segment = [&](const runtime::TranscriptSegment& s) {
        if (streamed == 0) out << FormatHeader(format);
        out << FormatSegment(s, streamed, format, t.timestamps);
        out.flush();
        ++streamed;
        return true;
      };
    }
    // Reported as soon as the first window gives it, ahead of the text.
    const runtime::LanguageCallback on_language = [&](const runtime::WhisperLanguageGuess& g) {
      char p[32];
      snprintf(p, sizeof p, "%.2f", g.probability);
      err << "detected language: " << g.code << " (p=" << p << ")\n";
      err.flush();
      return true;
    };
    const runtime::Transcript r = transcriber.TranscribeFile(gen, o.audio, t, on_segment, on_language);
    if (stream) {
      if (r.segments.size() != streamed) {
        throw std::logic_error("the transcript has another number of segments than were written");
      }
      if (streamed == 0) {
        out << FormatHeader(format);  // an empty transcript: vtt's header or nothing
        out.flush();
      }
    } else if (o.output_file.empty()) {
      out << FormatTranscript(r, format, t.timestamps);
      out.flush();
    } else {
      const std::string text = FormatTranscript(r, format, t.timestamps);
      WriteFileAtomically(o.output_file, text);
    }
    return 0;
  } catch (const runtime::Error& e) {
    err << kPrefix << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << kPrefix << e.what() << "\n";
    return 1;
  }
}

}  // namespace edgeseq::tools
