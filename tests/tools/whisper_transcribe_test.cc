// Whisper transcription (runtime/whisper_transcribe.h) on the Hugging Face
// fixture grown to 51865 tokens and converted with multilingual.tiktoken
// (tests/tools/whisper_vocab_model.h): jfk's PCM (tests/fixtures/
// whisper_audio/) through the log-mel, the start sequence and greedy
// decoding with Whisper's logit filters. The random model's words mean
// nothing; checked: the rules hold on the output, the text is the ids'
// text, the decode loop with the logits callback allocates nothing per step,
// and errors.
#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/text_codec.h"
#include "runtime/whisper_rules.h"
#include "runtime/whisper_transcribe.h"
#include "tests/alloc_counter.h"
#include "tests/runtime/shared_testdata.h"
#include "tests/tools/whisper_vocab_model.h"
#include "runtime/audio/decode.h"
#include "tools/convert.h"
#include "tools/transcribe.h"

namespace edgeseq::tools {
namespace {

std::vector<float> JfkPcm() {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_audio/jfk_16k.s16", std::ios::binary);
  std::vector<float> pcm;
  for (int16_t s; in.read(reinterpret_cast<char*>(&s), sizeof s);) pcm.push_back(s / 32768.0f);
  EXPECT_EQ(pcm.size(), 176000u);
  return pcm;
}

class WhisperTranscribe : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::Exists(test::kSharedTestdata)) return;
    dir_ = test::HfWhisperWithVocab(51865, "transcribe");
    ConvertOptions o;
    o.input = dir_;
    o.output = test::WhisperTemp("transcribe.esq");
    o.tgt_tokenizer = "tiktoken:" + test::kSharedTestdata + "whisper/multilingual.tiktoken";
    o.quiet = true;
    std::ostringstream log;
    Convert(o, log);
    esq_ = o.output;
  }
  static void TearDownTestSuite() {
    if (esq_.empty()) return;
    remove(esq_.c_str());
    test::RemoveWhisperDir(dir_);
  }
  static runtime::Generator MakeGenerator() {
    runtime::Limits limits;
    limits.max_batch = 1;
    limits.max_target = 12;
    return runtime::Generator(runtime::Model::Load(esq_), limits);
  }
  static inline std::string dir_, esq_;
};

TEST_F(WhisperTranscribe, GreedyUnderWhispersRules) {
  REQUIRE_SHARED_TESTDATA();
  runtime::Generator gen = MakeGenerator();
  const auto pcm = JfkPcm();
  const auto bpe = runtime::ByteLevelBpe::FromSection(gen.model().file().tgt_tokenizer_model());
  runtime::WhisperTokenIds ids = runtime::WhisperSpecialTokens(bpe.size(), true).ids;
  runtime::WhisperRuleOptions r;
  r.timestamps = false;
  const runtime::WhisperLogitFilters filters(ids, bpe, r);
  const runtime::TextCodec codec(gen.model().file(), false);
  for (const auto& [language, task] : {std::pair<const char*, runtime::WhisperTask>{"en", runtime::WhisperTask::kTranscribe},
                                       {"de", runtime::WhisperTask::kTranslate},
                                       {"", runtime::WhisperTask::kTranscribe}}) {
    runtime::TranscribeOptions o;
    o.language = language;
    o.task = task;
    const runtime::Transcript t = runtime::Transcribe(gen, pcm.data(), pcm.size(), o);
    // 12 decoder positions: sample_len 6 after the 4 start tokens at most.
    EXPECT_LE(t.ids.size(), 6u) << language;
    EXPECT_EQ(t.ended, t.ids.size() < 6u);
    for (int32_t id : t.ids) {
      EXPECT_NE(id, ids.eot);
      EXPECT_FALSE(std::binary_search(filters.suppress_tokens().begin(), filters.suppress_tokens().end(), id)) << id;
    }
    if (!t.ids.empty()) {
      EXPECT_EQ(std::count(filters.blank_tokens().begin(), filters.blank_tokens().end(), t.ids[0]), 0);
    }
    EXPECT_EQ(t.text, codec.Decode(t.ids));
    // jfk's 11 s are more than this model's 32-frame window.
    EXPECT_TRUE(t.cut);
    // The same again: deterministic.
    EXPECT_EQ(runtime::Transcribe(gen, pcm.data(), pcm.size(), o).ids, t.ids);
  }
  // A short clip fits the window.
  EXPECT_FALSE(runtime::Transcribe(gen, pcm.data(), 3000, {}).cut);
}

TEST_F(WhisperTranscribe, LogitsCallbackAllocatesNothingPerStep) {
  REQUIRE_SHARED_TESTDATA();
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  runtime::Generator gen = MakeGenerator();
  const auto bpe = runtime::ByteLevelBpe::FromSection(gen.model().file().tgt_tokenizer_model());
  const runtime::WhisperTokenIds ids = runtime::WhisperSpecialTokens(bpe.size(), true).ids;
  const runtime::WhisperLogitFilters filters(ids, bpe, runtime::WhisperRuleOptions{});
  const std::vector<float> features(gen.model().frames() * gen.model().config().n_mels, 0.25f);
  auto count = [&](size_t steps) {
    runtime::GenerateOptions g;
    g.max_length = steps;
    g.min_length = steps;
    g.on_logits = [&](size_t, std::span<float> logits, std::span<const int32_t> chosen) { filters.Apply(logits, chosen); };
    gen.GenerateFromFeatures({features}, g);
    test::StartCountingAllocations();
    gen.GenerateFromFeatures({features}, g);
    return test::StopCountingAllocations();
  };
  const size_t short_run = count(2), long_run = count(11);
  EXPECT_EQ(long_run, short_run) << "9 more steps made " << long_run - short_run << " allocations";
}

TEST_F(WhisperTranscribe, ErrorsAreRefused) {
  REQUIRE_SHARED_TESTDATA();
  runtime::Generator gen = MakeGenerator();
  const auto pcm = JfkPcm();
  runtime::TranscribeOptions o;
  o.language = "xx";
  EXPECT_THROW(runtime::Transcribe(gen, pcm.data(), pcm.size(), o), runtime::Error);
  try {
    runtime::TranscribeFile(gen, "/nonexistent/audio.flac", {});
    ADD_FAILURE() << "a missing file transcribed";
  } catch (const runtime::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/audio.flac"), std::string::npos) << e.what();
  }
  // A logits callback takes no soft prefix (beam search takes one: runtime_search_test).
  runtime::GenerateOptions g;
  g.beam = 2;
  g.prefix_bias_beta = 0.5f;
  g.on_logits = [](size_t, std::span<float>, std::span<const int32_t>) {};
  EXPECT_THROW(gen.Validate(g), runtime::Error);
}

// tests/fixtures/make_whisper_transcribe.py: the same model's greedy decoding
// under Whisper's rules (float64, from the torch log-mel of the same PCM),
// f32 here: the same tokens (the reference's margins are 0.18 and up).
nlohmann::json Reference() {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_transcribe/expected.json");
  EXPECT_TRUE(in);
  return nlohmann::json::parse(in);
}

TEST_F(WhisperTranscribe, MatchesTheReference) {
  REQUIRE_SHARED_TESTDATA();
  runtime::Generator gen = MakeGenerator();
  const auto pcm = JfkPcm();
  const auto e = Reference();
  ASSERT_EQ(e["cases"].size(), 2u);
  for (const auto& c : e["cases"]) {
    runtime::TranscribeOptions o;
    o.language = c["language"].get<std::string>();
    o.task = c["task"] == "translate" ? runtime::WhisperTask::kTranslate : runtime::WhisperTask::kTranscribe;
    const runtime::Transcript t = runtime::Transcribe(gen, pcm.data(), pcm.size(), o);
    EXPECT_EQ(t.ids, c["ids"].get<std::vector<int32_t>>()) << o.language;
    EXPECT_EQ(t.ended, c["ended"].get<bool>()) << o.language;
  }
  // The command line (jfk.flac, decoded and resampled here) prints those tokens' text.
  TranscribeCliOptions o;
  o.model = esq_;
  o.audio = test::kSharedTestdata + "whisper/jfk.flac";
  std::ostringstream out, err;
  ASSERT_EQ(RunTranscribe(o, out, err), 0) << err.str();
  std::string text = runtime::TextCodec(gen.model().file(), false).Decode(e["cases"][0]["ids"].get<std::vector<int32_t>>());
  text.erase(0, text.find_first_not_of(' '));
  while (!text.empty() && text.back() == ' ') text.pop_back();
  EXPECT_EQ(out.str(), text + "\n");
}

// `edgeseq transcribe` (tools/transcribe.h): the text of jfk.flac as the C++
// entry gives it, trimmed, one line; the cut audio warned about; bad task,
// language and file refused in one line with status 1.
TEST_F(WhisperTranscribe, CommandLine) {
  REQUIRE_SHARED_TESTDATA();
  const std::string flac = test::kSharedTestdata + "whisper/jfk.flac";
  TranscribeCliOptions o;
  o.model = esq_;
  o.audio = flac;
  o.language = "en";
  o.threads = 1;
  std::ostringstream out, err;
  ASSERT_EQ(RunTranscribe(o, out, err), 0) << err.str();
  runtime::Limits limits;
  limits.max_batch = 1;
  limits.max_target = 12;
  runtime::Generator gen(runtime::Model::Load(esq_), limits);
  const auto pcm = runtime::audio::DecodeAudioFile(flac);
  std::string text = runtime::Transcribe(gen, pcm.data(), pcm.size(), {}).text;
  text.erase(0, text.find_first_not_of(' '));
  while (!text.empty() && text.back() == ' ') text.pop_back();
  EXPECT_EQ(out.str(), text + "\n");
  EXPECT_NE(err.str().find("only the first window"), std::string::npos) << err.str();
  for (const auto& [field, value] : {std::pair<std::string, std::string>{"task", "summarize"}, {"language", "xx"},
                                     {"audio", "/nonexistent.wav"}}) {
    TranscribeCliOptions bad = o;
    (field == "task" ? bad.task : field == "language" ? bad.language : bad.audio) = value;
    std::ostringstream bout, berr;
    EXPECT_EQ(RunTranscribe(bad, bout, berr), 1) << field;
    EXPECT_EQ(bout.str(), "");
    const std::string m = berr.str();
    EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 1) << m;
    EXPECT_NE(m.find(value), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace edgeseq::tools
