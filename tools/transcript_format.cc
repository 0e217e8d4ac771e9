#include "tools/transcript_format.h"

#include <stdio.h>
#include <stdlib.h>

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <nlohmann/json.hpp>

namespace edgeseq::tools {
namespace {

std::string Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\n\r");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t\n\r");
  return std::string(s.substr(first, last - first + 1));
}

// A subtitle cue's text: "-->" would end the cue's timing line early in a
// reader, so Whisper's writers turn it into "->".
std::string CueText(std::string_view text) {
  std::string s = Trim(text);
  for (size_t at; (at = s.find("-->")) != std::string::npos;) s.replace(at, 3, "->");
  return s;
}

// The float's shortest decimal form read back as a double, so JSON shows
// 0.2 where the runtime computed 0.2f (not 0.20000000298023224).
double Shortest(float v) {
  if (!std::isfinite(v)) return static_cast<double>(v);
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf - 1, v);
  *r.ptr = '\0';
  return strtod(buf, nullptr);
}

}  // namespace

bool ParseTranscriptFormat(std::string_view name, TranscriptFormat* format) {
  if (name == "txt") *format = TranscriptFormat::kTxt;
  else if (name == "srt") *format = TranscriptFormat::kSrt;
  else if (name == "vtt") *format = TranscriptFormat::kVtt;
  else if (name == "json") *format = TranscriptFormat::kJson;
  else return false;
  return true;
}

std::string FormatTimestamp(double seconds, bool always_include_hours, char decimal_marker) {
  // Whisper: round(seconds * 1000.0); nearbyint in the default rounding
  // mode is the same round-half-to-even on the same double.
  const double ms_d = std::isfinite(seconds) && seconds > 0 ? std::nearbyint(seconds * 1000.0) : 0.0;
  long long ms = static_cast<long long>(ms_d);
  const long long hours = ms / 3600000;
  ms -= hours * 3600000;
  const long long minutes = ms / 60000;
  ms -= minutes * 60000;
  const long long secs = ms / 1000;
  ms -= secs * 1000;
  char buf[64];
  if (always_include_hours || hours > 0) {
    snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", hours, minutes, secs, decimal_marker, ms);
  } else {
    snprintf(buf, sizeof buf, "%02lld:%02lld%c%03lld", minutes, secs, decimal_marker, ms);
  }
  return buf;
}

std::string FormatHeader(TranscriptFormat format) { return format == TranscriptFormat::kVtt ? "WEBVTT\n\n" : ""; }

std::string FormatSegment(const runtime::TranscriptSegment& s, size_t index, TranscriptFormat format,
                          bool timestamps) {
  switch (format) {
    case TranscriptFormat::kTxt:
      if (timestamps) return "[" + FormatTimestamp(s.start) + " --> " + FormatTimestamp(s.end) + "] " + s.text + "\n";
      return Trim(s.text) + "\n";
    case TranscriptFormat::kSrt:
      return std::to_string(index + 1) + "\n" + FormatTimestamp(s.start, true, ',') + " --> " +
             FormatTimestamp(s.end, true, ',') + "\n" + CueText(s.text) + "\n\n";
    case TranscriptFormat::kVtt:
      return FormatTimestamp(s.start) + " --> " + FormatTimestamp(s.end) + "\n" + CueText(s.text) + "\n\n";
    case TranscriptFormat::kJson:
      break;
  }
  throw std::invalid_argument("FormatSegment: JSON is written whole, not segment by segment");
}

namespace {

std::string FormatSegments(const runtime::Transcript& t, TranscriptFormat format, bool timestamps) {
  std::string out = FormatHeader(format);
  for (size_t i = 0; i < t.segments.size(); ++i) out += FormatSegment(t.segments[i], i, format, timestamps);
  return out;
}

}  // namespace

std::string FormatTxt(const runtime::Transcript& t, bool timestamps) {
  return FormatSegments(t, TranscriptFormat::kTxt, timestamps);
}

std::string FormatSrt(const runtime::Transcript& t) { return FormatSegments(t, TranscriptFormat::kSrt, false); }

std::string FormatVtt(const runtime::Transcript& t) { return FormatSegments(t, TranscriptFormat::kVtt, false); }

std::string FormatJson(const runtime::Transcript& t) {
  nlohmann::ordered_json segments = nlohmann::ordered_json::array();
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const auto& s = t.segments[i];
    segments.push_back({{"id", i},
                        {"seek", s.seek},
                        {"start", s.start},
                        {"end", s.end},
                        {"text", s.text},
                        {"tokens", s.tokens},
                        {"temperature", Shortest(s.temperature)},
                        {"avg_logprob", Shortest(s.avg_logprob)},
                        {"compression_ratio", Shortest(s.compression_ratio)},
                        {"no_speech_prob", Shortest(s.no_speech_prob)}});
  }
  const nlohmann::ordered_json j = {{"text", t.text}, {"segments", std::move(segments)}, {"language", t.language}};
  return j.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string FormatTranscript(const runtime::Transcript& t, TranscriptFormat format, bool timestamps) {
  switch (format) {
    case TranscriptFormat::kTxt: return FormatTxt(t, timestamps);
    case TranscriptFormat::kSrt: return FormatSrt(t);
    case TranscriptFormat::kVtt: return FormatVtt(t);
    case TranscriptFormat::kJson: return FormatJson(t);
  }
  return {};
}

}  // namespace edgeseq::tools
