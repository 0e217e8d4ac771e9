// `edgeseq transcribe` (tools/transcribe.h) on the Hugging Face fixture
// grown to 51865 tokens and converted with multilingual.tiktoken
// (tests/tools/whisper_vocab_model.h), jfk.flac: each --output format is the
// runtime WhisperTranscriber's transcript of the same file and options,
// formatted by tools/transcript_format.h (whose exact layouts
// transcribe_format_test.cc checks by hand); the options reach the runtime
// (srt/vtt turn timestamps on, --no-fallback, temperatures, prompt,
// thresholds, suppressed tokens); languages by code or name; the detected
// language is named on stderr ahead of the text; text formats go out segment by segment;
// --output-file writes the file whole; bad options and files are one line,
// status 1.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/audio/decode.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/whisper_transcribe.h"
#include "tests/runtime/shared_testdata.h"
#include "tests/tools/whisper_vocab_model.h"
#include "tools/convert.h"
#include "tools/transcribe.h"
#include "tools/transcript_format.h"

namespace edgeseq::tools {
namespace {

class TranscribeCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::Exists(test::kSharedTestdata)) return;
    // 32 decoder positions, as make_whisper_transcribe.py's reference model.
    dir_ = test::HfWhisperWithVocab(51865, "transcribe-cli", 32);
    ConvertOptions o;
    o.input = dir_;
    o.output = test::WhisperTemp("transcribe-cli.esq");
    o.tgt_tokenizer = "tiktoken:" + test::kSharedTestdata + "whisper/multilingual.tiktoken";
    o.quantize = "f32";
    o.quiet = true;
    std::ostringstream log;
    Convert(o, log);
    esq_ = o.output;
    // The first second of jfk as a WAV file (4 windows of 0.32 s): for the
    // options that sample (slow on all 35 windows).
    clip_ = test::WhisperTemp("transcribe-cli-clip.wav");
    const std::vector<float> pcm = runtime::audio::DecodeAudioFile(test::kSharedTestdata + "whisper/jfk.flac");
    WriteWav(clip_, std::vector<float>(pcm.begin(), pcm.begin() + 16000));
  }
  // 16-bit PCM, mono, 16 kHz.
  static void WriteWav(const std::string& path, const std::vector<float>& pcm) {
    std::ofstream f(path, std::ios::binary);
    auto u32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) f.put(static_cast<char>((v >> (8 * i)) & 0xff)); };
    auto u16 = [&](uint16_t v) { for (int i = 0; i < 2; ++i) f.put(static_cast<char>((v >> (8 * i)) & 0xff)); };
    const uint32_t bytes = static_cast<uint32_t>(pcm.size() * 2);
    f << "RIFF";
    u32(36 + bytes);
    f << "WAVEfmt ";
    u32(16);
    u16(1);  // PCM
    u16(1);  // mono
    u32(16000);
    u32(32000);
    u16(2);
    u16(16);
    f << "data";
    u32(bytes);
    for (float x : pcm) u16(static_cast<uint16_t>(static_cast<int16_t>(std::lround(std::clamp(x, -1.0f, 1.0f) * 32767.0f))));
  }
  static void TearDownTestSuite() {
    if (esq_.empty()) return;
    remove(esq_.c_str());
    remove(clip_.c_str());
    test::RemoveWhisperDir(dir_);
  }
  // jfk.flac, greedy: the random model's text fails the thresholds on every
  // window, so the default fallback would sample at five temperatures each
  // time (tested once, on the clip).
  static TranscribeCliOptions Options() {
    TranscribeCliOptions o;
    o.model = esq_;
    o.audio = test::kSharedTestdata + "whisper/jfk.flac";
    o.threads = 1;
    o.temperatures = {"0"};
    return o;
  }
  // The runtime's transcript of jfk.flac (or `audio`) with these options.
  static runtime::Transcript Runtime(runtime::TranscribeOptions o, const std::string& audio = "") {
    const auto model = runtime::Model::Load(esq_);
    const runtime::WhisperTranscriber t(model);
    runtime::Limits limits;
    limits.max_batch = 8;
    limits.max_beam = 4;
    limits.max_target = loaders::DecoderPositions(model->config());
    runtime::Generator gen(model, limits);
    return t.TranscribeFile(gen, audio.empty() ? test::kSharedTestdata + "whisper/jfk.flac" : audio, o);
  }
  static inline std::string dir_, esq_, clip_;
};

struct CliRun {
  int status;
  std::string out, err;
};
CliRun Cli(const TranscribeCliOptions& o) {
  std::ostringstream out, err;
  const int status = RunTranscribe(o, out, err);
  return {status, out.str(), err.str()};
}

TEST_F(TranscribeCli, EachFormatIsTheRuntimesTranscript) {
  REQUIRE_SHARED_TESTDATA();
  runtime::TranscribeOptions plain;
  plain.language = "en";
  plain.temperatures = {0.0f};
  runtime::TranscribeOptions stamped = plain;
  stamped.timestamps = true;
  const runtime::Transcript without = Runtime(plain), with = Runtime(stamped);
  ASSERT_FALSE(without.segments.empty());
  ASSERT_FALSE(with.segments.empty());
  struct Want {
    const char* output;
    bool timestamps;
    std::string text;
  };
  for (const Want& w : {Want{"txt", false, FormatTxt(without, false)}, Want{"txt", true, FormatTxt(with, true)},
                        Want{"json", false, FormatJson(without)}, Want{"json", true, FormatJson(with)},
                        // Subtitles decode with timestamps, asked for or not.
                        Want{"srt", false, FormatSrt(with)}, Want{"vtt", false, FormatVtt(with)}}) {
    TranscribeCliOptions o = Options();
    o.language = "en";
    o.output = w.output;
    o.timestamps = w.timestamps;
    const CliRun r = Cli(o);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, w.text) << w.output << " " << w.timestamps;
    EXPECT_EQ(r.err, "") << w.output;  // a given language is not announced
  }
  // json's tokens are the runtime's.
  TranscribeCliOptions o = Options();
  o.language = "en";
  o.output = "json";
  o.timestamps = true;
  const nlohmann::json j = nlohmann::json::parse(Cli(o).out);
  ASSERT_EQ(j["segments"].size(), with.segments.size());
  for (size_t i = 0; i < with.segments.size(); ++i) {
    EXPECT_EQ(j["segments"][i]["tokens"].get<std::vector<int32_t>>(), with.segments[i].tokens);
  }
}

TEST_F(TranscribeCli, OptionsReachTheRuntime) {
  REQUIRE_SHARED_TESTDATA();
  runtime::TranscribeOptions r;
  r.language = "de";
  r.task = runtime::WhisperTask::kTranslate;
  r.timestamps = true;
  r.beam_size = 2;
  r.best_of = 3;
  r.temperatures = {0.0f, 0.3f};
  r.initial_prompt = " Ich bin ein Berliner.";
  r.condition_on_previous_text = false;
  r.seed = 11;
  TranscribeCliOptions o = Options();
  o.audio = clip_;
  o.language = "de";
  o.task = "translate";
  o.timestamps = true;
  o.beam = 2;
  o.best_of = 3;
  o.temperatures = {"0", "0.3"};
  o.initial_prompt = r.initial_prompt;
  o.condition_on_previous_text = false;
  o.seed = 11;
  o.output = "json";
  const CliRun run = Cli(o);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, FormatJson(Runtime(r, clip_)));
  // A comma list is the same as repeating the flag.
  o.temperatures = {"0,0.3"};
  EXPECT_EQ(Cli(o).out, run.out);
  // --no-fallback: the first temperature only.
  r.temperatures = {0.0f};
  o.no_fallback = true;
  EXPECT_EQ(Cli(o).out, FormatJson(Runtime(r, clip_)));
  // The thresholds, patience, suppressed tokens, blank and first timestamp.
  o.no_fallback = false;
  o.temperatures = {"0,0.3"};
  r.temperatures = {0.0f, 0.3f};
  o.compression_ratio_threshold = "1.5";
  r.compression_ratio_threshold = 1.5f;
  o.logprob_threshold = "-2";
  r.logprob_threshold = -2.0f;
  o.no_speech_threshold = "0.3";
  r.no_speech_threshold = 0.3f;
  o.patience = 2.0f;
  r.patience = 2.0f;
  o.suppress_tokens = "-1,220";
  r.suppress_tokens = {-1, 220};
  o.no_suppress_blank = true;
  r.suppress_blank = false;
  o.max_initial_timestamp = 0.1f;
  r.max_initial_timestamp = 0.1f;
  const CliRun tuned = Cli(o);
  ASSERT_EQ(tuned.status, 0) << tuned.err;
  EXPECT_EQ(tuned.out, FormatJson(Runtime(r, clip_)));
  // "none" turns a test off; "" suppresses no token.
  o.compression_ratio_threshold = o.logprob_threshold = o.no_speech_threshold = "None";
  r.compression_ratio_threshold = r.logprob_threshold = r.no_speech_threshold = std::nanf("");
  o.suppress_tokens = "";
  r.suppress_tokens.clear();
  const std::string none = FormatJson(Runtime(r, clip_));
  EXPECT_EQ(Cli(o).out, none);
  o.suppress_tokens = "none";
  EXPECT_EQ(Cli(o).out, none);
}

// Every flag lands in its runtime field (the random model's output does not
// move with each of them, so this is checked on the options themselves).
TEST(TranscribeCliOptions, EachFlagSetsItsRuntimeField) {
  TranscribeCliOptions o;
  runtime::TranscribeOptions t;
  TranscriptFormat format;
  std::string error;
  ASSERT_TRUE(RuntimeOptions(o, &t, &format, &error)) << error;
  const runtime::TranscribeOptions d;  // the CLI's defaults are the runtime's (Whisper's)
  EXPECT_EQ(t.language, d.language);
  EXPECT_EQ(t.temperatures, d.temperatures);
  EXPECT_EQ(t.compression_ratio_threshold, d.compression_ratio_threshold);
  EXPECT_EQ(t.logprob_threshold, d.logprob_threshold);
  EXPECT_EQ(t.no_speech_threshold, d.no_speech_threshold);
  EXPECT_EQ(t.patience, d.patience);
  EXPECT_EQ(t.suppress_tokens, d.suppress_tokens);
  EXPECT_EQ(t.suppress_blank, d.suppress_blank);
  EXPECT_EQ(t.max_initial_timestamp, d.max_initial_timestamp);
  EXPECT_EQ(t.beam_size, d.beam_size);
  EXPECT_EQ(t.best_of, d.best_of);
  EXPECT_EQ(t.timestamps, d.timestamps);
  EXPECT_EQ(t.condition_on_previous_text, d.condition_on_previous_text);
  EXPECT_EQ(format, TranscriptFormat::kTxt);

  o.language = "German";
  o.task = "translate";
  o.beam = 3;
  o.best_of = 2;
  o.temperatures = {"0,0.5"};
  o.initial_prompt = "names";
  o.condition_on_previous_text = false;
  o.seed = 9;
  o.compression_ratio_threshold = "1.75";
  o.logprob_threshold = "-2.5";
  o.no_speech_threshold = "0.25";
  o.patience = 1.5f;
  o.suppress_tokens = "-1,220";
  o.no_suppress_blank = true;
  o.max_initial_timestamp = 0.5f;
  o.output = "srt";
  ASSERT_TRUE(RuntimeOptions(o, &t, &format, &error)) << error;
  EXPECT_EQ(t.language, "German");  // resolved by the runtime (LanguageByCodeOrName)
  EXPECT_EQ(t.task, runtime::WhisperTask::kTranslate);
  EXPECT_EQ(t.beam_size, 3u);
  EXPECT_EQ(t.best_of, 2u);
  EXPECT_EQ(t.temperatures, (std::vector<float>{0.0f, 0.5f}));
  EXPECT_EQ(t.initial_prompt, "names");
  EXPECT_FALSE(t.condition_on_previous_text);
  EXPECT_EQ(t.seed, 9u);
  EXPECT_EQ(t.compression_ratio_threshold, 1.75f);
  EXPECT_EQ(t.logprob_threshold, -2.5f);
  EXPECT_EQ(t.no_speech_threshold, 0.25f);
  EXPECT_EQ(t.patience, 1.5f);
  EXPECT_EQ(t.suppress_tokens, (std::vector<int32_t>{-1, 220}));
  EXPECT_FALSE(t.suppress_blank);
  EXPECT_EQ(t.max_initial_timestamp, 0.5);
  EXPECT_EQ(format, TranscriptFormat::kSrt);
  EXPECT_TRUE(t.timestamps);  // subtitles decode with timestamps

  o.no_fallback = true;
  o.compression_ratio_threshold = o.logprob_threshold = o.no_speech_threshold = "none";
  o.suppress_tokens = "none";
  ASSERT_TRUE(RuntimeOptions(o, &t, &format, &error)) << error;
  EXPECT_EQ(t.temperatures, (std::vector<float>{0.0f}));
  EXPECT_TRUE(std::isnan(t.compression_ratio_threshold));
  EXPECT_TRUE(std::isnan(t.logprob_threshold));
  EXPECT_TRUE(std::isnan(t.no_speech_threshold));
  EXPECT_TRUE(t.suppress_tokens.empty());
}

// --language takes Whisper's codes and names in any case, as transcribe.py
// does (tokenizer.py's LANGUAGES and TO_LANGUAGE_CODE).
TEST_F(TranscribeCli, LanguageByCodeOrName) {
  REQUIRE_SHARED_TESTDATA();
  for (const auto& [code, others] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"de", {"DE", "German", "GERMAN"}}, {"es", {"spanish", "Castilian"}}, {"zh", {"Mandarin", "chinese"}}}) {
    TranscribeCliOptions o = Options();
    o.audio = clip_;
    o.output = "json";
    o.language = code;
    const CliRun want = Cli(o);
    ASSERT_EQ(want.status, 0) << want.err;
    EXPECT_EQ(nlohmann::json::parse(want.out)["language"], code);
    for (const std::string& other : others) {
      o.language = other;
      const CliRun got = Cli(o);
      EXPECT_EQ(got.status, 0) << got.err;
      EXPECT_EQ(got.out, want.out) << other;
    }
  }
  EXPECT_EQ(runtime::WhisperLanguageCode("Haitian Creole"), "ht");
  EXPECT_EQ(runtime::WhisperLanguageCode("yue"), "yue");
  EXPECT_EQ(runtime::WhisperLanguageCode("Klingon"), "");
  EXPECT_EQ(runtime::WhisperLanguageCode(""), "");
}

// To stdout, txt/srt/vtt go out as each window is done: one flush per
// segment at least (the whole text is the runtime's, EachFormatIsTheRuntimesTranscript).
TEST_F(TranscribeCli, TextIsWrittenSegmentBySegment) {
  REQUIRE_SHARED_TESTDATA();
  struct Flushes : std::stringbuf {
    int syncs = 0;
    int sync() override {
      ++syncs;
      return std::stringbuf::sync();
    }
  };
  // The clip's segments without and with timestamps (subtitles decode with them).
  size_t segments_of[2];
  for (bool timestamps : {false, true}) {
    runtime::TranscribeOptions r;
    r.language = "en";
    r.temperatures = {0.0f};
    r.timestamps = timestamps;
    segments_of[timestamps] = Runtime(r, clip_).segments.size();
  }
  for (const char* output : {"txt", "srt", "vtt", "json"}) {
    TranscribeCliOptions o = Options();
    o.audio = clip_;
    o.language = "en";
    o.output = output;
    Flushes buf;
    std::ostream out(&buf);
    std::ostringstream err;
    ASSERT_EQ(RunTranscribe(o, out, err), 0) << err.str();
    const size_t segments = segments_of[std::string(output) == "srt" || std::string(output) == "vtt"];
    ASSERT_GT(segments, 1u) << output;
    if (std::string(output) == "json") {
      EXPECT_EQ(buf.syncs, 1) << output;  // written whole at the end
    } else {
      EXPECT_GE(static_cast<size_t>(buf.syncs), segments) << output;
    }
  }
}

TEST_F(TranscribeCli, DetectedLanguageOnStderr) {
  REQUIRE_SHARED_TESTDATA();
  runtime::TranscribeOptions r;  // language "": detected
  r.temperatures = {0.0f};
  const runtime::Transcript t = Runtime(r);
  ASSERT_FALSE(t.language_probs.empty());
  const auto model = runtime::Model::Load(esq_);
  const runtime::WhisperTranscriber transcriber(model);
  const auto& codes = transcriber.ids().language_codes;
  const size_t at = static_cast<size_t>(std::find(codes.begin(), codes.end(), t.language) - codes.begin());
  ASSERT_LT(at, t.language_probs.size());
  char p[32];
  snprintf(p, sizeof p, "%.2f", t.language_probs[at]);
  for (const char* language : {"", "auto"}) {
    TranscribeCliOptions o = Options();
    o.language = language;
    const CliRun run = Cli(o);
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "detected language: " + t.language + " (p=" + p + ")\n");
    EXPECT_EQ(run.out, FormatTxt(t, false));
  }
  // Told as soon as it is known: ahead of the streamed text (one stream for both).
  TranscribeCliOptions o = Options();
  o.language = "auto";
  std::ostringstream both;
  ASSERT_EQ(RunTranscribe(o, both, both), 0) << both.str();
  EXPECT_EQ(both.str(), "detected language: " + t.language + " (p=" + p + ")\n" + FormatTxt(t, false));
}

TEST_F(TranscribeCli, OutputFileIsWrittenWhole) {
  REQUIRE_SHARED_TESTDATA();
  const std::string dir = test::WhisperTemp("transcribe-cli-out");
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/jfk.srt";
  { std::ofstream(path) << "old contents"; }
  TranscribeCliOptions o = Options();
  o.language = "en";
  o.output = "srt";
  o.output_file = path;
  const CliRun run = Cli(o);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "");
  o.output_file.clear();
  EXPECT_EQ(test::ReadFile(path), Cli(o).out);
  remove(path.c_str());
  // Nothing else left behind (no temporary file).
  EXPECT_EQ(rmdir(dir.c_str()), 0);
  // A folder that does not exist: one line, status 1, nothing written.
  o.output_file = dir + "/missing/jfk.srt";
  const CliRun bad = Cli(o);
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_NE(bad.err.find(o.output_file), std::string::npos) << bad.err;
}

TEST_F(TranscribeCli, BadInputIsOneLineAndStatus1) {
  REQUIRE_SHARED_TESTDATA();
  struct Bad {
    const char* what;
    std::function<void(TranscribeCliOptions&)> set;
    std::string named;
  };
  for (const Bad& b : std::vector<Bad>{
           {"task", [](auto& o) { o.task = "summarize"; }, "summarize"},
           {"language", [](auto& o) { o.language = "xx"; }, "xx"},
           {"audio", [](auto& o) { o.audio = "/nonexistent.wav"; }, "/nonexistent.wav"},
           {"model", [](auto& o) { o.model = "/nonexistent.esq"; }, "/nonexistent.esq"},
           {"output", [](auto& o) { o.output = "docx"; }, "docx"},
           {"temperature", [](auto& o) { o.temperatures = {"0,-0.2"}; }, "-0.2"},
           {"temperature", [](auto& o) { o.temperatures = {"warm"}; }, "warm"},
           {"temperature", [](auto& o) { o.temperatures = {"0,"}; }, "--temperature"},
           {"beam", [](auto& o) { o.beam = 0; }, "--beam"},
           {"language name", [](auto& o) { o.language = "Klingon"; }, "Klingon"},
           {"threshold", [](auto& o) { o.compression_ratio_threshold = "high"; }, "--compression-ratio-threshold"},
           {"threshold", [](auto& o) { o.logprob_threshold = "-1x"; }, "--logprob-threshold"},
           {"threshold", [](auto& o) { o.no_speech_threshold = "inf"; }, "--no-speech-threshold"},
           {"suppress", [](auto& o) { o.suppress_tokens = "-1,a"; }, "'a'"},
           {"suppress", [](auto& o) { o.suppress_tokens = "-2"; }, "'-2'"},
           {"suppress", [](auto& o) { o.suppress_tokens = "-1,99999"; }, "99999"},
           {"patience", [](auto& o) { o.patience = 0; }, "--patience"},
           {"initial timestamp", [](auto& o) { o.max_initial_timestamp = -1; }, "--max-initial-timestamp"},
       }) {
    TranscribeCliOptions o = Options();
    b.set(o);
    const CliRun r = Cli(o);
    EXPECT_EQ(r.status, 1) << b.what;
    EXPECT_EQ(r.out, "") << b.what;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(b.named), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("edgeseq transcribe: ", 0), 0u) << r.err;
  }
}

// tests/fixtures/make_whisper_transcribe.py (openai-whisper's transcribe()
// in float64 PyTorch on the same model and jfk's audio): the json output's
// tokens, text and times for its temperature-0 cases (the others sample,
// whose random stream is not torch's), each threshold off ("none") unless the
// case sets it, its suppressed tokens as --suppress-tokens.
TEST_F(TranscribeCli, JsonMatchesTheReference) {
  REQUIRE_SHARED_TESTDATA();
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_transcribe/expected.json");
  const nlohmann::json e = nlohmann::json::parse(in);
  size_t compared = 0, with_thresholds = 0;
  auto threshold = [](const nlohmann::json& j, const char* key) {
    if (!j.contains(key)) return std::string("none");
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", j[key].get<double>());
    return std::string(buf);
  };
  for (const auto& c : e["cases"]) {
    const nlohmann::json& j = c["options"];
    if (j.contains("temperatures") && j["temperatures"] != nlohmann::json::array({0.0})) continue;
    ++compared;
    with_thresholds += j.contains("logprob_threshold") || j.contains("no_speech_threshold");
    SCOPED_TRACE(c["name"].get<std::string>());
    TranscribeCliOptions o = Options();
    o.output = "json";
    o.language = j.value("language", std::string());
    o.task = j.value("task", std::string("transcribe"));
    o.timestamps = j.value("timestamps", false);
    o.initial_prompt = j.value("initial_prompt", std::string());
    o.condition_on_previous_text = j.value("condition_on_previous_text", true);
    o.beam = j.value("beam_size", size_t{1});
    o.compression_ratio_threshold = threshold(j, "compression_ratio_threshold");
    o.logprob_threshold = threshold(j, "logprob_threshold");
    o.no_speech_threshold = threshold(j, "no_speech_threshold");
    if (j.contains("suppress_tokens")) {
      o.suppress_tokens.clear();
      for (int32_t t : j["suppress_tokens"].get<std::vector<int32_t>>()) {
        o.suppress_tokens += (o.suppress_tokens.empty() ? "" : ",") + std::to_string(t);
      }
      // The reference's timestamps past the window suppressed: ids from suppress_from on.
      for (int32_t t = j.value("suppress_from", 51865); t < 51865; ++t) o.suppress_tokens += "," + std::to_string(t);
    }
    const CliRun r = Cli(o);
    ASSERT_EQ(r.status, 0) << r.err;
    const nlohmann::json got = nlohmann::json::parse(r.out);
    const auto& want = c["segments"];
    ASSERT_EQ(got["segments"].size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got["segments"][i]["tokens"], want[i]["tokens"]) << i;
      EXPECT_EQ(got["segments"][i]["text"], want[i]["text"]) << i;
      EXPECT_NEAR(got["segments"][i]["start"].get<double>(), want[i]["start"].get<double>(), 1e-6) << i;
      EXPECT_NEAR(got["segments"][i]["end"].get<double>(), want[i]["end"].get<double>(), 1e-6) << i;
    }
    EXPECT_EQ(got["text"], c["text"]);
    if (o.language.empty()) {
      EXPECT_EQ(got["language"], e["language"]["code"]);
      EXPECT_EQ(r.err.rfind("detected language: " + e["language"]["code"].get<std::string>() + " (p=", 0), 0u) << r.err;
    }
  }
  EXPECT_GE(compared, 11u);
  EXPECT_GE(with_thresholds, 1u);  // "skip": windows below the thresholds are left out
}

TEST(TranscribeCliTemperatures, Parse) {
  std::vector<float> t;
  std::string error;
  ASSERT_TRUE(ParseTemperatures({"0,0.2", "1"}, &t, &error));
  EXPECT_EQ(t, (std::vector<float>{0.0f, 0.2f, 1.0f}));
  EXPECT_FALSE(ParseTemperatures({"nan"}, &t, &error));
  EXPECT_FALSE(ParseTemperatures({"inf"}, &t, &error));
  EXPECT_FALSE(ParseTemperatures({""}, &t, &error));
  EXPECT_FALSE(ParseTemperatures({"0.5x"}, &t, &error));
  EXPECT_NE(error.find("0.5x"), std::string::npos);
}

}  // namespace
}  // namespace edgeseq::tools
