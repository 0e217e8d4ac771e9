// tools/transcript_format.h on hand-built transcripts: each format's exact
// text as openai-whisper's writers (whisper/utils.py: format_timestamp,
// WriteTXT, WriteSRT, WriteVTT, WriteJSON) and transcribe.py's verbose lines
// lay it out. Expected strings are written by hand from those conventions;
// the rounding cases' millisecond counts are Python's round(seconds * 1000.0)
// (half to even on the double), worked out in Python.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <nlohmann/json.hpp>

#include "tools/transcript_format.h"

namespace edgeseq::tools {
namespace {

runtime::TranscriptSegment Seg(double start, double end, std::string text, std::vector<int32_t> tokens = {}) {
  runtime::TranscriptSegment s;
  s.start = start;
  s.end = end;
  s.text = std::move(text);
  s.tokens = std::move(tokens);
  return s;
}

runtime::Transcript Two() {
  runtime::Transcript t;
  t.segments = {Seg(0, 5, " And so my fellow Americans,"), Seg(5, 7.82, " ask not.")};
  t.text = " And so my fellow Americans, ask not.";
  t.language = "en";
  return t;
}

TEST(TranscriptFormat, TimestampsRoundAsWhisper) {
  EXPECT_EQ(FormatTimestamp(0), "00:00.000");
  EXPECT_EQ(FormatTimestamp(5), "00:05.000");
  EXPECT_EQ(FormatTimestamp(61.25), "01:01.250");
  // round(x * 1000.0), halves to even: 0.5 → 0, 1.5 → 2, 2.5 → 2, 1000.5 → 1000.
  EXPECT_EQ(FormatTimestamp(0.0005), "00:00.000");
  EXPECT_EQ(FormatTimestamp(0.0015), "00:00.002");
  EXPECT_EQ(FormatTimestamp(0.0025), "00:00.002");
  EXPECT_EQ(FormatTimestamp(1.0005), "00:01.000");
  // 0.1 + 0.2 is 300.00000000000006 ms: 300.
  EXPECT_EQ(FormatTimestamp(0.1 + 0.2), "00:00.300");
  // Rounding carries into the minutes and hours.
  EXPECT_EQ(FormatTimestamp(59.9996), "01:00.000");
  EXPECT_EQ(FormatTimestamp(3599.9995), "01:00:00.000");
  // Hours only when > 0 (or asked for), two digits at least.
  EXPECT_EQ(FormatTimestamp(7261.25), "02:01:01.250");
  EXPECT_EQ(FormatTimestamp(360000), "100:00:00.000");
  EXPECT_EQ(FormatTimestamp(5, true, ','), "00:00:05,000");
  EXPECT_EQ(FormatTimestamp(7261.25, true, ','), "02:01:01,250");
  // Never negative.
  EXPECT_EQ(FormatTimestamp(-1), "00:00.000");
}

TEST(TranscriptFormat, Txt) {
  EXPECT_EQ(FormatTxt(Two(), false), "And so my fellow Americans,\nask not.\n");
  // transcribe.py's verbose line: "[start --> end]" and the text as written
  // (its leading space makes two).
  EXPECT_EQ(FormatTxt(Two(), true),
            "[00:00.000 --> 00:05.000]  And so my fellow Americans,\n"
            "[00:05.000 --> 00:07.820]  ask not.\n");
  EXPECT_EQ(FormatTxt({}, false), "");
}

TEST(TranscriptFormat, Srt) {
  runtime::Transcript t = Two();
  t.segments.push_back(Seg(3725.5, 3727, " a --> b "));
  EXPECT_EQ(FormatSrt(t),
            "1\n00:00:00,000 --> 00:00:05,000\nAnd so my fellow Americans,\n\n"
            "2\n00:00:05,000 --> 00:00:07,820\nask not.\n\n"
            "3\n01:02:05,500 --> 01:02:07,000\na -> b\n\n");
  EXPECT_EQ(FormatSrt({}), "");
}

TEST(TranscriptFormat, Vtt) {
  runtime::Transcript t = Two();
  t.segments.push_back(Seg(3725.5, 3727, " x-->y"));
  EXPECT_EQ(FormatVtt(t),
            "WEBVTT\n\n"
            "00:00.000 --> 00:05.000\nAnd so my fellow Americans,\n\n"
            "00:05.000 --> 00:07.820\nask not.\n\n"
            "01:02:05.500 --> 01:02:07.000\nx->y\n\n");
  EXPECT_EQ(FormatVtt({}), "WEBVTT\n\n");
}

// What the CLI streams, one segment at a time, is the whole transcript's text.
TEST(TranscriptFormat, HeaderAndSegmentsMakeTheWhole) {
  runtime::Transcript t = Two();
  t.segments.push_back(Seg(3725.5, 3727, " x-->y"));
  for (const auto format : {TranscriptFormat::kTxt, TranscriptFormat::kSrt, TranscriptFormat::kVtt}) {
    for (const bool timestamps : {false, true}) {
      std::string pieces = FormatHeader(format);
      for (size_t i = 0; i < t.segments.size(); ++i) pieces += FormatSegment(t.segments[i], i, format, timestamps);
      EXPECT_EQ(pieces, FormatTranscript(t, format, timestamps)) << static_cast<int>(format) << " " << timestamps;
    }
  }
  EXPECT_EQ(FormatHeader(TranscriptFormat::kTxt), "");
  EXPECT_EQ(FormatHeader(TranscriptFormat::kVtt), "WEBVTT\n\n");
  EXPECT_THROW(FormatSegment(t.segments[0], 0, TranscriptFormat::kJson, false), std::invalid_argument);
}

TEST(TranscriptFormat, JsonAsWhispersResult) {
  runtime::Transcript t;
  runtime::TranscriptSegment s = Seg(0, 2.5, " Grüße, \"Zoë\"\n\t日本", {50364, 220, 50489});
  s.temperature = 0.2f;
  s.avg_logprob = -0.25f;
  s.compression_ratio = 1.5f;
  s.no_speech_prob = 0.1f;
  s.seek = 0;
  runtime::TranscriptSegment b = Seg(2.5, 3, " b");
  b.seek = 250;
  t.segments = {s, b};
  t.text = s.text + " b";
  t.language = "de";
  const std::string out = FormatJson(t);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;  // one line: the text's newline is escaped
  // UTF-8 kept as is; quotes, newline and tab escaped as JSON requires.
  EXPECT_NE(out.find("Grüße, \\\"Zoë\\\"\\n\\t日本"), std::string::npos) << out;
  // Whisper's key order.
  EXPECT_EQ(out.rfind("{\"text\":", 0), 0u) << out;
  EXPECT_LT(out.find("\"segments\""), out.find("\"language\""));
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["text"], t.text);
  EXPECT_EQ(j["language"], "de");
  ASSERT_EQ(j["segments"].size(), 2u);
  const auto& a = j["segments"][0];
  EXPECT_EQ(a["id"], 0);
  EXPECT_EQ(j["segments"][1]["id"], 1);
  EXPECT_EQ(a["seek"], 0);
  EXPECT_EQ(j["segments"][1]["seek"], 250);
  EXPECT_EQ(a["start"].get<double>(), 0.0);
  EXPECT_EQ(a["end"].get<double>(), 2.5);
  EXPECT_EQ(a["text"], s.text);
  EXPECT_EQ(a["tokens"].get<std::vector<int32_t>>(), s.tokens);
  // Floats as their shortest decimals (0.2f is written 0.2).
  EXPECT_EQ(a["temperature"].get<double>(), 0.2);
  EXPECT_NE(out.find("\"temperature\":0.2,"), std::string::npos) << out;
  EXPECT_EQ(a["avg_logprob"].get<double>(), -0.25);
  EXPECT_EQ(a["compression_ratio"].get<double>(), 1.5);
  EXPECT_EQ(a["no_speech_prob"].get<double>(), 0.1);
  std::vector<std::string> keys;
  const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(out);
  for (const auto& [k, v] : ordered["segments"][0].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
                                            "compression_ratio", "no_speech_prob"}));
  // An empty transcript.
  EXPECT_EQ(FormatJson({}), "{\"text\":\"\",\"segments\":[],\"language\":\"\"}\n");
}

TEST(TranscriptFormat, JsonReplacesBytesThatAreNotUtf8) {
  runtime::Transcript t;
  t.text = std::string("a\xff" "b");
  const nlohmann::json j = nlohmann::json::parse(FormatJson(t));
  EXPECT_EQ(j["text"], "a\xEF\xBF\xBD" "b");
}

TEST(TranscriptFormat, Names) {
  TranscriptFormat f;
  ASSERT_TRUE(ParseTranscriptFormat("srt", &f));
  EXPECT_EQ(f, TranscriptFormat::kSrt);
  ASSERT_TRUE(ParseTranscriptFormat("json", &f));
  EXPECT_EQ(f, TranscriptFormat::kJson);
  EXPECT_FALSE(ParseTranscriptFormat("SRT", &f));
  EXPECT_FALSE(ParseTranscriptFormat("", &f));
  EXPECT_EQ(FormatTranscript(Two(), TranscriptFormat::kTxt, true), FormatTxt(Two(), true));
}

}  // namespace
}  // namespace edgeseq::tools
