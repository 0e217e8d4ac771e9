// Whisper transcription through the public APIs (edgeseq/edgeseq.hpp,
// edgeseq/edgeseq.h) on the Hugging Face fixture grown to 51865 tokens and
// converted with multilingual.tiktoken (tests/tools/whisper_vocab_model.h),
// in f32 and int8: the C++ and C APIs give exactly the segments of the
// runtime's WhisperTranscriber (runtime/whisper_transcribe.h) for the same
// audio and options, stop through their callbacks, detect the language as
// it does, and refuse bad input with the right error; the C side's own
// checks are C code (transcribe_c_api_test.c). The random model's words
// mean nothing: what is compared is that every layer passes the runtime's
// result through unchanged.
#include <gtest/gtest.h>
#include <stdio.h>

#include <edgeseq/edgeseq.h>

#include <cmath>
#include <edgeseq/edgeseq.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/audio/decode.h"
#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/whisper_transcribe.h"
#include "tests/runtime/shared_testdata.h"
#include "tests/tools/whisper_vocab_model.h"
#include "tools/convert.h"

extern "C" int TranscribeCApiChecks(const char* model_path, const char* audio_path, const float* pcm, size_t n);

namespace edgeseq {
namespace {

// The first second: 4 of the model's 0.32 s windows, for the slow cases
// (sampling at temperatures above 0).
std::vector<float> Clip() {
  std::vector<float> pcm = test::JfkPcm();
  pcm.resize(16000);
  return pcm;
}

std::string Flac() { return test::kSharedTestdata + "whisper/jfk.flac"; }

class TranscribeApi : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::Exists(test::kSharedTestdata)) return;
    // 32 decoder positions, as make_whisper_transcribe.py's reference model:
    // room for timestamp pairs and a prompt in each window.
    dir_ = test::HfWhisperWithVocab(51865, "transcribe-api", 32);
    for (const char* q : {"f32", "int8"}) {
      tools::ConvertOptions o;
      o.input = dir_;
      o.output = test::WhisperTemp(std::string("transcribe-api-") + q + ".esq");
      o.tgt_tokenizer = "tiktoken:" + test::kSharedTestdata + "whisper/multilingual.tiktoken";
      o.quantize = q;
      o.quiet = true;
      std::ostringstream log;
      tools::Convert(o, log);
      (std::string(q) == "f32" ? f32_ : int8_) = o.output;
    }
  }
  static void TearDownTestSuite() {
    if (dir_.empty()) return;
    remove(f32_.c_str());
    remove(int8_.c_str());
    test::RemoveWhisperDir(dir_);
  }
  static inline std::string dir_, f32_, int8_;
};

// The runtime's result for the same audio and options: the reference every
// API is held to.
runtime::Transcript RuntimeTranscript(const std::string& esq, const std::vector<float>& pcm,
                                      const runtime::TranscribeOptions& o) {
  const auto model = runtime::Model::Load(esq);
  const runtime::WhisperTranscriber t(model);
  runtime::Limits limits;
  limits.max_batch = 16;
  limits.max_beam = 4;
  limits.max_target = loaders::DecoderPositions(model->config());
  runtime::Generator gen(model, limits);
  return t.Transcribe(gen, pcm.data(), pcm.size(), o);
}

void ExpectSame(const Segment& a, const runtime::TranscriptSegment& b, size_t i) {
  EXPECT_EQ(a.start, b.start) << i;
  EXPECT_EQ(a.end, b.end) << i;
  EXPECT_EQ(a.text, b.text) << i;
  EXPECT_EQ(a.tokens, b.tokens) << i;
  EXPECT_EQ(a.temperature, b.temperature) << i;
  EXPECT_EQ(a.avg_logprob, b.avg_logprob) << i;
  EXPECT_EQ(a.compression_ratio, b.compression_ratio) << i;
  EXPECT_EQ(a.no_speech_prob, b.no_speech_prob) << i;
}

struct Case {
  const char* name;
  TranscribeOptions api;
  runtime::TranscribeOptions rt;
  bool clip = false;  // the first second only
};

// Greedy unless said otherwise: the random model's text fails the
// thresholds on every window, so the default fallback would sample at five
// temperatures each time (slow, and exercised once, on the clip).
std::vector<Case> Cases() {
  std::vector<Case> cases;
  {
    Case c{"en, no timestamps", {}, {}};
    c.api.language = c.rt.language = "en";
    c.api.temperatures = c.rt.temperatures = {0.0f};
    cases.push_back(c);
  }
  {
    Case c{"auto, timestamps", {}, {}};
    c.api.timestamps = c.rt.timestamps = true;
    c.api.temperatures = c.rt.temperatures = {0.0f};
    cases.push_back(c);
  }
  {
    Case c{"de translate, timestamps, prompt, no conditioning, beam 2, fallback to seeded samples", {}, {}, true};
    c.api.language = c.rt.language = "de";
    c.api.beam_size = c.rt.beam_size = 2;
    c.api.task = Task::kTranslate;
    c.rt.task = runtime::WhisperTask::kTranslate;
    c.api.timestamps = c.rt.timestamps = true;
    c.api.best_of = c.rt.best_of = 3;
    c.api.temperatures = c.rt.temperatures = {0.0f, 0.5f};
    c.api.initial_prompt = c.rt.initial_prompt = " Ich bin ein Berliner.";
    c.api.condition_on_previous_text = c.rt.condition_on_previous_text = false;
    c.api.seed = c.rt.seed = 7;
    cases.push_back(c);
  }
  return cases;
}

TEST_F(TranscribeApi, CppApiGivesTheRuntimesSegments) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = test::JfkPcm();
  const Model model = Model::Load(f32_);
  Limits limits;
  limits.max_beam = 4;
  Generator gen(model, limits);
  EXPECT_EQ(gen.limits().max_target, model.info().max_target_positions);  // log-mel default: all positions
  const auto clip = Clip();
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::vector<float>& audio = c.clip ? clip : pcm;
    const runtime::Transcript want = RuntimeTranscript(f32_, audio, c.rt);
    ASSERT_FALSE(want.segments.empty());
    std::vector<Segment> seen;
    const Transcript got = gen.Transcribe(audio.data(), audio.size(), c.api, [&](const Segment& s) {
      seen.push_back(s);
      return true;
    });
    ASSERT_EQ(got.segments.size(), want.segments.size());
    ASSERT_EQ(seen.size(), want.segments.size());
    for (size_t i = 0; i < want.segments.size(); ++i) {
      ExpectSame(got.segments[i], want.segments[i], i);
      ExpectSame(seen[i], want.segments[i], i);
    }
    EXPECT_EQ(got.text, want.text);
    EXPECT_EQ(got.language, want.language);
    EXPECT_FALSE(got.stopped);
    ASSERT_EQ(got.language_probs.size(), want.language_probs.size());
    for (size_t i = 0; i < want.language_probs.size(); ++i) EXPECT_EQ(got.language_probs[i].second, want.language_probs[i]);
    // The same again on the same Generator (the transcriber is made once).
    EXPECT_EQ(gen.Transcribe(audio.data(), audio.size(), c.api).text, want.text);
  }
}

TEST_F(TranscribeApi, FileAndLanguageDetectionAsTheRuntime) {
  REQUIRE_SHARED_TESTDATA();
  const Model model = Model::Load(f32_);
  Generator gen(model);
  TranscribeOptions o;
  o.timestamps = true;
  o.temperatures = {0.0f};
  const Transcript got = gen.TranscribeFile(Flac(), o);
  runtime::TranscribeOptions r;
  r.timestamps = true;
  r.temperatures = {0.0f};
  const runtime::Transcript want = RuntimeTranscript(f32_, runtime::audio::DecodeAudioFile(Flac()), r);
  ASSERT_EQ(got.segments.size(), want.segments.size());
  for (size_t i = 0; i < want.segments.size(); ++i) ExpectSame(got.segments[i], want.segments[i], i);
  // Detection: the runtime's guess, with its probabilities by code.
  const auto pcm = test::JfkPcm();
  const auto rmodel = runtime::Model::Load(f32_);
  runtime::Generator rgen(rmodel, runtime::Limits{1, 0, 32, 1});
  const runtime::WhisperLanguageGuess g = runtime::WhisperTranscriber(rmodel).DetectLanguage(rgen, pcm.data(), pcm.size());
  const LanguageGuess guess = gen.DetectLanguage(pcm.data(), pcm.size());
  EXPECT_EQ(guess.language, g.code);
  EXPECT_EQ(guess.probability, g.probability);
  ASSERT_EQ(guess.probs.size(), g.probs.size());
  ASSERT_EQ(guess.probs.size(), 99u);
  EXPECT_EQ(guess.probs[0].first, "en");
  float sum = 0;
  for (size_t i = 0; i < g.probs.size(); ++i) {
    EXPECT_EQ(guess.probs[i].second, g.probs[i]);
    sum += guess.probs[i].second;
    if (guess.probs[i].first == g.code) {
      EXPECT_EQ(guess.probability, g.probs[i]);
    }
  }
  EXPECT_NEAR(sum, 1.0f, 1e-4f);
}

TEST_F(TranscribeApi, CallbackStops) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = test::JfkPcm();
  Generator gen(Model::Load(f32_));
  TranscribeOptions o;
  o.language = "en";
  o.temperatures = {0.0f};
  const Transcript all = gen.Transcribe(pcm.data(), pcm.size(), o);
  ASSERT_GT(all.segments.size(), 2u);
  size_t calls = 0;
  const Transcript two = gen.Transcribe(pcm.data(), pcm.size(), o, [&](const Segment&) { return ++calls < 2; });
  EXPECT_EQ(calls, 2u);
  EXPECT_TRUE(two.stopped);
  ASSERT_EQ(two.segments.size(), 2u);
  EXPECT_EQ(two.segments[1].tokens, all.segments[1].tokens);
}

// The language callback: once, with the detected language, before any
// segment; not when the language is given; false stops before any window.
TEST_F(TranscribeApi, LanguageCallbackComesFirst) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = test::JfkPcm();
  Generator gen(Model::Load(f32_));
  TranscribeOptions o;
  o.temperatures = {0.0f};
  const LanguageGuess guess = gen.DetectLanguage(pcm.data(), pcm.size());
  std::vector<std::string> events;
  LanguageGuess told;
  const Transcript t = gen.Transcribe(
      pcm.data(), pcm.size(), o,
      [&](const Segment&) {
        events.push_back("segment");
        return true;
      },
      [&](const LanguageGuess& g) {
        events.push_back("language");
        told = g;
        return true;
      });
  ASSERT_GT(t.segments.size(), 0u);
  ASSERT_EQ(events.size(), t.segments.size() + 1);
  EXPECT_EQ(events[0], "language");
  EXPECT_EQ(std::count(events.begin(), events.end(), "language"), 1);
  EXPECT_EQ(told.language, guess.language);
  EXPECT_EQ(told.language, t.language);
  EXPECT_EQ(told.probability, guess.probability);
  EXPECT_EQ(t.language_probability, guess.probability);
  EXPECT_EQ(told.probs, t.language_probs);
  EXPECT_FALSE(t.stopped);

  size_t calls = 0;
  o.language = "en";
  const Transcript given =
      gen.Transcribe(pcm.data(), pcm.size(), o, {}, [&](const LanguageGuess&) { return ++calls > 0; });
  EXPECT_EQ(calls, 0u);  // given, not detected
  EXPECT_EQ(given.language_probability, 0.0f);

  o.language = "auto";
  size_t segments = 0;
  const Transcript stopped = gen.Transcribe(
      pcm.data(), pcm.size(), o, [&](const Segment&) { return ++segments > 0; },
      [&](const LanguageGuess&) { return false; });
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(segments, 0u);
  EXPECT_TRUE(stopped.segments.empty());
  EXPECT_EQ(stopped.language, guess.language);
  EXPECT_EQ(stopped.language_probs, t.language_probs);
  EXPECT_EQ(stopped.language_probability, guess.probability);
}

TEST_F(TranscribeApi, ErrorsAreRefused) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = test::JfkPcm();
  auto code_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return static_cast<int>(e.code());
    }
    return 0;
  };
  const Model model = Model::Load(f32_);
  Generator gen(model);
  TranscribeOptions bad;
  bad.language = "xx";
  EXPECT_EQ(code_of([&] { gen.Transcribe(pcm.data(), pcm.size(), bad); }), static_cast<int>(ErrorCode::kInput));
  EXPECT_EQ(code_of([&] { gen.Transcribe(nullptr, 5); }), static_cast<int>(ErrorCode::kInput));
  EXPECT_EQ(code_of([&] { gen.TranscribeFile("/nonexistent/audio.flac"); }), static_cast<int>(ErrorCode::kInput));
  // Beam 3 on a Generator planned for beam 1; too few decoder steps.
  TranscribeOptions beam;
  beam.beam_size = 3;
  EXPECT_EQ(code_of([&] { gen.Transcribe(pcm.data(), pcm.size(), beam); }), static_cast<int>(ErrorCode::kLimit));
  Generator short_gen(model, Limits{1, 0, 4, 1});
  EXPECT_EQ(code_of([&] { short_gen.Transcribe(pcm.data(), pcm.size()); }), static_cast<int>(ErrorCode::kLimit));
  // A log-mel model without Whisper's tokenizer; a token model.
  const std::string plain = test::WhisperTemp("transcribe-api-plain.esq");
  {
    tools::ConvertOptions o;
    o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper/tiny.pt";
    o.output = plain;
    o.eos = 57;
    o.decoder_start = 58;
    o.quiet = true;
    std::ostringstream log;
    tools::Convert(o, log);
  }
  Generator plain_gen(Model::Load(plain));
  EXPECT_EQ(code_of([&] { plain_gen.Transcribe(pcm.data(), pcm.size()); }), static_cast<int>(ErrorCode::kModel));
  EXPECT_EQ(code_of([&] { plain_gen.Transcribe(pcm.data(), pcm.size()); }), static_cast<int>(ErrorCode::kModel));  // again
  remove(plain.c_str());
}

// The C API (called from C++ here; transcribe_c_api_test.c calls it from C)
// gives the same segments as the C++ API, and its C checks pass.
TEST_F(TranscribeApi, CApiGivesTheSameSegments) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = Clip();
  Generator gen(Model::Load(f32_));
  TranscribeOptions o;
  o.language = "de";
  o.timestamps = true;
  o.temperatures = {0.0f, 0.4f};
  o.best_of = 2;
  const Transcript want = gen.Transcribe(pcm.data(), pcm.size(), o);
  edgeseq_model* m = nullptr;
  ASSERT_EQ(edgeseq_model_load(f32_.c_str(), &m), EDGESEQ_OK) << edgeseq_last_error();
  edgeseq_generator* g = nullptr;
  ASSERT_EQ(edgeseq_generator_new(m, 0, 0, 0, 0, &g), EDGESEQ_OK) << edgeseq_last_error();
  edgeseq_transcribe_params p;
  edgeseq_transcribe_params_init(&p);
  p.language = "de";
  p.timestamps = 1;
  const float temperatures[] = {0.0f, 0.4f};
  p.temperatures = temperatures;
  p.n_temperatures = 2;
  p.best_of = 2;
  edgeseq_transcript* t = nullptr;
  ASSERT_EQ(edgeseq_transcribe(g, pcm.data(), pcm.size(), &p, &t), EDGESEQ_OK) << edgeseq_last_error();
  ASSERT_EQ(edgeseq_transcript_segment_count(t), want.segments.size());
  for (size_t i = 0; i < want.segments.size(); ++i) {
    const edgeseq_segment* s = edgeseq_transcript_segment(t, i);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->start, want.segments[i].start);
    EXPECT_EQ(s->end, want.segments[i].end);
    EXPECT_STREQ(s->text, want.segments[i].text.c_str());
    EXPECT_EQ(std::vector<int32_t>(s->tokens, s->tokens + s->n_tokens), want.segments[i].tokens);
    EXPECT_EQ(s->temperature, want.segments[i].temperature);
    EXPECT_EQ(s->avg_logprob, want.segments[i].avg_logprob);
    EXPECT_EQ(s->compression_ratio, want.segments[i].compression_ratio);
    EXPECT_EQ(s->no_speech_prob, want.segments[i].no_speech_prob);
  }
  EXPECT_STREQ(edgeseq_transcript_text(t), want.text.c_str());
  EXPECT_STREQ(edgeseq_transcript_language(t), "de");
  edgeseq_transcript_free(t);
  edgeseq_generator_free(g);
  edgeseq_model_free(m);
  EXPECT_EQ(TranscribeCApiChecks(f32_.c_str(), Flac().c_str(), pcm.data(), pcm.size()), 0);
}

// int8 weights: the transcription runs through every API and its segments
// keep Whisper's shape (exact int8 tokens are tested elsewhere): each starts
// before it ends, its text is the text of its tokens, the transcript's text
// theirs, the C checks pass.
TEST_F(TranscribeApi, Int8Runs) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = test::JfkPcm();
  const Model model = Model::Load(int8_);
  Generator gen(model);
  TranscribeOptions o;
  o.timestamps = true;
  o.temperatures = {0.0f};
  const Transcript t = gen.Transcribe(pcm.data(), pcm.size(), o);
  ASSERT_FALSE(t.segments.empty());
  // (A timestamp may lie past its window, up to Whisper's 30 s: this model's
  // windows are 0.32 s, so segments' times are only checked to be ordered.)
  std::string text;
  for (const Segment& s : t.segments) {
    EXPECT_GE(s.start, 0.0);
    EXPECT_LE(s.start, s.end);
    text += s.text;
    for (int32_t id : s.tokens) {
      EXPECT_GE(id, 0);
      EXPECT_LT(static_cast<size_t>(id), model.info().tgt_vocab_size);
    }
    EXPECT_EQ(model.Decode(s.tokens, Side::kTarget), s.text);
  }
  EXPECT_EQ(t.text, text);
  EXPECT_FALSE(t.language.empty());
  const auto clip = Clip();
  EXPECT_EQ(TranscribeCApiChecks(int8_.c_str(), Flac().c_str(), clip.data(), clip.size()), 0);
}

// tests/fixtures/make_whisper_transcribe.py: openai-whisper's transcribe()
// loop over decoding.py (float64 PyTorch, written from their code) on the same
// model and jfk's audio. Its temperature-0 cases (sampling at T > 0 uses
// torch's RNG, which nothing else reproduces), through the C++ and the C API:
// the same segments (tokens, text, times) and the same detected language.
nlohmann::json Reference() {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_transcribe/expected.json");
  EXPECT_TRUE(in);
  return nlohmann::json::parse(in);
}

// A reference case's options (absent keys: Whisper's defaults), or false
// when it samples.
bool ReferenceOptions(const nlohmann::json& c, TranscribeOptions* o) {
  const nlohmann::json& j = c["options"];
  const auto temperatures = j.value("temperatures", std::vector<float>{0.0f});
  if (temperatures != std::vector<float>{0.0f}) return false;
  o->temperatures = temperatures;
  o->language = j.value("language", std::string());
  o->task = j.value("task", std::string("transcribe")) == "translate" ? Task::kTranslate : Task::kTranscribe;
  o->timestamps = j.value("timestamps", false);
  o->initial_prompt = j.value("initial_prompt", std::string());
  o->condition_on_previous_text = j.value("condition_on_previous_text", true);
  o->beam_size = j.value("beam_size", size_t{1});
  o->logprob_threshold = j.value("logprob_threshold", o->logprob_threshold);
  o->no_speech_threshold = j.value("no_speech_threshold", o->no_speech_threshold);
  o->compression_ratio_threshold = j.value("compression_ratio_threshold", o->compression_ratio_threshold);
  o->suppress_tokens = j.value("suppress_tokens", o->suppress_tokens);
  // The script's shorthand: every id from suppress_from on suppressed too
  // (timestamps beyond the 0.32 s window).
  if (j.contains("suppress_from")) {
    for (int32_t id = j["suppress_from"].get<int32_t>(); id < 51865; ++id) o->suppress_tokens.push_back(id);
  }
  return true;
}

TEST_F(TranscribeApi, BothApisMatchTheReference) {
  REQUIRE_SHARED_TESTDATA();
  const auto pcm = test::JfkPcm();
  const nlohmann::json e = Reference();
  ASSERT_EQ(e["n_positions"], 32);
  Limits limits;
  limits.max_beam = 4;  // the beam cases
  Generator gen(Model::Load(f32_), limits);
  edgeseq_model* m = nullptr;
  ASSERT_EQ(edgeseq_model_load(f32_.c_str(), &m), EDGESEQ_OK) << edgeseq_last_error();
  edgeseq_generator* g = nullptr;
  ASSERT_EQ(edgeseq_generator_new(m, 0, 0, 0, 4, &g), EDGESEQ_OK) << edgeseq_last_error();
  size_t compared = 0;
  for (const auto& c : e["cases"]) {
    TranscribeOptions o;
    if (!ReferenceOptions(c, &o)) continue;
    ++compared;
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const auto& want = c["segments"];
    const Transcript got = gen.Transcribe(pcm.data(), pcm.size(), o);
    ASSERT_EQ(got.segments.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got.segments[i].tokens, want[i]["tokens"].get<std::vector<int32_t>>()) << i;
      EXPECT_EQ(got.segments[i].text, want[i]["text"].get<std::string>()) << i;
      EXPECT_NEAR(got.segments[i].start, want[i]["start"].get<double>(), 1e-6) << i;
      EXPECT_NEAR(got.segments[i].end, want[i]["end"].get<double>(), 1e-6) << i;
    }
    EXPECT_EQ(got.text, c["text"].get<std::string>());
    // The C API, its params set field by field.
    edgeseq_transcribe_params p;
    edgeseq_transcribe_params_init(&p);
    p.language = o.language.c_str();
    p.task = o.task == Task::kTranslate ? EDGESEQ_TASK_TRANSLATE : EDGESEQ_TASK_TRANSCRIBE;
    p.timestamps = o.timestamps;
    p.temperatures = o.temperatures.data();
    p.n_temperatures = o.temperatures.size();
    p.initial_prompt = o.initial_prompt.empty() ? nullptr : o.initial_prompt.c_str();
    p.condition_on_previous_text = o.condition_on_previous_text;
    p.beam_size = o.beam_size;
    p.logprob_threshold = o.logprob_threshold;
    p.no_speech_threshold = o.no_speech_threshold;
    p.compression_ratio_threshold = o.compression_ratio_threshold;
    p.suppress_tokens = o.suppress_tokens.data();
    p.n_suppress_tokens = o.suppress_tokens.size();
    edgeseq_transcript* t = nullptr;
    ASSERT_EQ(edgeseq_transcribe(g, pcm.data(), pcm.size(), &p, &t), EDGESEQ_OK) << edgeseq_last_error();
    ASSERT_EQ(edgeseq_transcript_segment_count(t), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const edgeseq_segment* s = edgeseq_transcript_segment(t, i);
      EXPECT_EQ(std::vector<int32_t>(s->tokens, s->tokens + s->n_tokens), want[i]["tokens"].get<std::vector<int32_t>>());
      EXPECT_NEAR(s->start, want[i]["start"].get<double>(), 1e-6) << i;
      EXPECT_NEAR(s->end, want[i]["end"].get<double>(), 1e-6) << i;
    }
    EXPECT_STREQ(edgeseq_transcript_text(t), c["text"].get<std::string>().c_str());
    if (o.language.empty()) {
      EXPECT_EQ(std::string(edgeseq_transcript_language(t)), e["language"]["code"]);
    }
    edgeseq_transcript_free(t);
  }
  EXPECT_GE(compared, 10u);
  // Language detection on the first window.
  const LanguageGuess guess = gen.DetectLanguage(pcm.data(), pcm.size());
  EXPECT_EQ(guess.language, e["language"]["code"]);
  const auto probs = e["language"]["probs"].get<std::vector<double>>();
  ASSERT_EQ(guess.probs.size(), probs.size());
  for (size_t i = 0; i < probs.size(); ++i) EXPECT_NEAR(guess.probs[i].second, probs[i], 1e-5) << i;
  char* code = nullptr;
  float prob = 0;
  ASSERT_EQ(edgeseq_detect_language(g, pcm.data(), pcm.size(), &code, &prob), EDGESEQ_OK) << edgeseq_last_error();
  EXPECT_EQ(std::string(code), e["language"]["code"]);
  EXPECT_EQ(prob, guess.probability);
  edgeseq_free(code);
  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

}  // namespace
}  // namespace edgeseq
