// A Whisper transcript (runtime/whisper_transcribe.h) as the text formats
// openai-whisper's command line writes (whisper/utils.py's writers and
// transcribe.py's verbose lines), for `edgeseq transcribe --output`.
#pragma once

#include <string>
#include <string_view>

#include "runtime/whisper_transcribe.h"

namespace edgeseq::tools {

enum class TranscriptFormat { kTxt, kSrt, kVtt, kJson };

// "txt", "srt", "vtt", "json" → the format; anything else: false.
bool ParseTranscriptFormat(std::string_view name, TranscriptFormat* format);

// Seconds as Whisper's format_timestamp writes them: rounded to the nearest
// millisecond (halves to even, as Python's round), "MM:SS.mmm" with "HH:"
// first when hours > 0 or always_include_hours, `decimal_marker` between
// seconds and milliseconds. Negative times are written as 0.
std::string FormatTimestamp(double seconds, bool always_include_hours = false, char decimal_marker = '.');

// txt without timestamps: each segment's text, surrounding whitespace
// trimmed, one line each (WriteTXT). With timestamps: transcribe.py's
// verbose lines, "[MM:SS.mmm --> MM:SS.mmm] " and the segment's text as the
// model wrote it (usually with a leading space).
std::string FormatTxt(const runtime::Transcript& t, bool timestamps);
// SubRip (WriteSRT): per segment its 1-based index, "HH:MM:SS,mmm --> HH:MM:SS,mmm",
// its trimmed text ("-->" written "->"), a blank line.
std::string FormatSrt(const runtime::Transcript& t);
// WebVTT (WriteVTT): "WEBVTT", a blank line, then per segment
// "MM:SS.mmm --> MM:SS.mmm" (hours when > 0), its trimmed text ("-->" written "->"),
// a blank line.
std::string FormatVtt(const runtime::Transcript& t);
// transcribe()'s result as JSON (WriteJSON), one line and a newline:
// {"text", "segments": [{"id" (0-based), "seek" (its window's first frame,
// 100 per second), "start", "end", "text", "tokens", "temperature",
// "avg_logprob", "compression_ratio", "no_speech_prob"}], "language"}; the
// float fields are written as their shortest decimal form
// (0.2, not 0.20000000298...). Unlike Python's json.dump, non-ASCII text is
// written as UTF-8, not \u escapes (bytes that are not UTF-8 become U+FFFD).
std::string FormatJson(const runtime::Transcript& t);

std::string FormatTranscript(const runtime::Transcript& t, TranscriptFormat format, bool timestamps);

// The pieces of txt, srt and vtt, for writing a transcript as it grows: the
// header (vtt's "WEBVTT" and a blank line; empty for the others), then each
// segment (`index` 0-based: srt numbers its cues from it) as the formats
// above write it. The concatenation equals FormatTranscript. JSON is written
// whole: FormatSegment throws std::invalid_argument for it.
std::string FormatHeader(TranscriptFormat format);
std::string FormatSegment(const runtime::TranscriptSegment& s, size_t index, TranscriptFormat format,
                          bool timestamps);

}  // namespace edgeseq::tools
