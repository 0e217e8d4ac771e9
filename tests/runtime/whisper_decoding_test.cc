// Whisper's special tokens, SOT sequences, logit filters and language
// detection (runtime/whisper_tokens.h, runtime/whisper_rules.h) against a
// reference written from openai/whisper's tokenizer.py and decoding.py
// (tests/fixtures/make_whisper_decoding.py → whisper_decoding/expected.json),
// on Whisper's own .tiktoken files (../shared/testdata/whisper/).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/bpe_tokenizer.h"
#include "runtime/error.h"
#include "runtime/search.h"
#include "runtime/whisper_rules.h"
#include "runtime/whisper_tokens.h"
#include "tests/alloc_counter.h"
#include "tests/runtime/shared_testdata.h"

namespace edgeseq::runtime {
namespace {

using nlohmann::json;

const json& Fixture() {
  static const json j = json::parse(test::ReadFile(std::string(EDGESEQ_SOURCE_DIR) +
                                                   "/tests/fixtures/whisper_decoding/expected.json"));
  return j;
}

struct Layout {
  WhisperVocabulary vocab;
  const ByteLevelBpe* bpe;
};

const ByteLevelBpe& Bpe(const std::string& file) {
  static std::map<std::string, ByteLevelBpe> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    it = cache.emplace(file, ByteLevelBpe::FromTiktoken(test::ReadFile(test::kSharedTestdata + "whisper/" + file)))
             .first;
  }
  return it->second;
}

Layout Get(const std::string& name) {
  const json& l = Fixture()["layouts"][name];
  const ByteLevelBpe& bpe = Bpe(l["file"].get<std::string>());
  return {WhisperSpecialTokens(bpe.size(), l["multilingual"].get<bool>(), l["num_languages"].get<size_t>()), &bpe};
}

// The fixture's crafted logits: exact in float32 in both languages (the
// timestamps' shift a multiple of 0.5).
std::vector<float> Crafted(size_t n, int64_t seed, const json& sets, size_t timestamp_begin = 0,
                           float ts_shift = 0.0f) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>((static_cast<int64_t>(i) * 7919 + seed * 104729) % 2001 - 1000) / 100.0f;
    if (ts_shift != 0.0f && i >= timestamp_begin) x[i] += ts_shift;
  }
  for (const auto& s : sets) x[s[0].get<size_t>()] = s[1].get<float>();
  return x;
}

TEST(WhisperTokens, SpecialsAsTokenizerPyLaysThemOut) {
  REQUIRE_SHARED_TESTDATA();
  for (const auto& [name, l] : Fixture()["layouts"].items()) {
    SCOPED_TRACE(name);
    const Layout got = Get(name);
    const WhisperTokenIds& ids = got.vocab.ids;
    EXPECT_EQ(got.bpe->size(), l["tiktoken_size"].get<size_t>());
    EXPECT_EQ(got.vocab.specials, l["specials"].get<std::vector<std::string>>());
    EXPECT_EQ(ids.vocab_size, l["n_vocab"].get<int32_t>());
    const json& want = l["ids"];
    EXPECT_EQ(ids.eot, want["eot"].get<int32_t>());
    EXPECT_EQ(ids.sot, want["sot"].get<int32_t>());
    EXPECT_EQ(ids.translate, want["translate"].get<int32_t>());
    EXPECT_EQ(ids.transcribe, want["transcribe"].get<int32_t>());
    EXPECT_EQ(ids.sot_lm, want["sot_lm"].get<int32_t>());
    EXPECT_EQ(ids.sot_prev, want["sot_prev"].get<int32_t>());
    EXPECT_EQ(ids.no_speech, want["no_speech"].get<int32_t>());
    EXPECT_EQ(ids.no_timestamps, want["no_timestamps"].get<int32_t>());
    EXPECT_EQ(ids.timestamp_begin, want["timestamp_begin"].get<int32_t>());
    EXPECT_EQ(ids.first_language, l["first_language"].get<int32_t>());
    EXPECT_EQ(ids.num_languages, l["num_languages"].get<int32_t>());
    ASSERT_EQ(ids.language_codes.size(), static_cast<size_t>(ids.num_languages));
    for (int32_t k = 0; k < ids.num_languages; ++k) {
      EXPECT_EQ("<|" + ids.language_codes[static_cast<size_t>(k)] + "|>",
                got.vocab.specials[static_cast<size_t>(ids.first_language + k) - got.bpe->size()]);
    }
    EXPECT_EQ(ids.multilingual, l["multilingual"].get<bool>());
    const WhisperLayout from_size = WhisperLayoutFromVocabSize(static_cast<size_t>(ids.vocab_size));
    EXPECT_EQ(from_size.multilingual, ids.multilingual);
    EXPECT_EQ(from_size.num_languages, static_cast<size_t>(ids.num_languages));
    EXPECT_EQ(from_size.tiktoken_size, got.bpe->size());
  }
}

// The numbers everyone quotes (whisper's tokenizer on multilingual.tiktoken
// and gpt2.tiktoken), independent of the fixture.
TEST(WhisperTokens, KnownIds) {
  const WhisperTokenIds m = WhisperSpecialTokens(50257, true).ids;
  EXPECT_EQ(m.eot, 50257);
  EXPECT_EQ(m.sot, 50258);
  EXPECT_EQ(m.Language("en"), 50259);
  EXPECT_EQ(m.Language("su"), 50357);
  EXPECT_EQ(m.Language("yue"), -1);
  EXPECT_EQ(m.translate, 50358);
  EXPECT_EQ(m.transcribe, 50359);
  EXPECT_EQ(m.no_timestamps, 50363);
  EXPECT_EQ(m.timestamp_begin, 50364);
  EXPECT_EQ(m.vocab_size, 51865);
  const WhisperVocabulary en = WhisperSpecialTokens(50256, false);
  EXPECT_EQ(en.ids.eot, 50256);
  EXPECT_EQ(en.ids.sot, 50257);
  EXPECT_EQ(en.ids.no_timestamps, 50362);
  EXPECT_EQ(en.ids.timestamp_begin, 50363);
  EXPECT_EQ(en.ids.vocab_size, 51864);
  EXPECT_EQ(en.specials.back(), "<|30.00|>");
  EXPECT_EQ(en.specials[en.specials.size() - 2], "<|29.98|>");
  const WhisperTokenIds v3 = WhisperSpecialTokens(50257, true, 100).ids;
  EXPECT_EQ(v3.Language("yue"), 50358);
  EXPECT_EQ(v3.transcribe, 50360);
  EXPECT_EQ(v3.timestamp_begin, 50365);
  EXPECT_EQ(v3.vocab_size, 51866);
}

TEST(WhisperTokens, Errors) {
  EXPECT_THROW(WhisperSpecialTokens(50257, true, 0), Error);
  EXPECT_THROW(WhisperSpecialTokens(50257, true, 101), Error);
  EXPECT_THROW(WhisperLayoutFromVocabSize(51765), Error);
  EXPECT_THROW(WhisperLayoutFromVocabSize(51866 + 1), Error);
  EXPECT_THROW(WhisperLayoutFromVocabSize(32000), Error);
  const WhisperTokenIds m = WhisperSpecialTokens(50257, true).ids;
  WhisperStart s;
  s.language = "yue";  // not among the first 99
  EXPECT_THROW(WhisperStartSequence(m, s), Error);
  s.language = "xx";
  EXPECT_THROW(WhisperStartSequence(m, s), Error);
}

TEST(WhisperTokens, StartSequences) {
  REQUIRE_SHARED_TESTDATA();
  size_t checked = 0;
  for (const auto& c : Fixture()["sot"]) {
    const Layout l = Get(c["layout"].get<std::string>());
    WhisperStart s;
    const std::string language = c["language"].get<std::string>();
    s.language = language;
    s.task = c["task"].get<std::string>() == "translate" ? WhisperTask::kTranslate : WhisperTask::kTranscribe;
    s.timestamps = c["timestamps"].get<bool>();
    s.prompt = c["prompt"].get<std::vector<int32_t>>();
    s.prefix = c["prefix"].get<std::vector<int32_t>>();
    s.n_text_ctx = c["n_text_ctx"].get<size_t>();
    EXPECT_EQ(WhisperStartSequence(l.vocab.ids, s), c["expected"].get<std::vector<int32_t>>()) << c.dump();
    ++checked;
  }
  EXPECT_EQ(checked, 22u);
}

TEST(WhisperTokens, PromptTokens) {
  REQUIRE_SHARED_TESTDATA();
  size_t checked = 0;
  for (const auto& c : Fixture()["prompts"]) {
    const Layout l = Get(c["layout"].get<std::string>());
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(WhisperPromptTokens(*l.bpe, text), c["ids"].get<std::vector<int32_t>>()) << text;
    ++checked;
  }
  EXPECT_EQ(checked, 14u);
}

TEST(WhisperRules, NonSpeechAndBlankTokens) {
  REQUIRE_SHARED_TESTDATA();
  for (const auto& [name, l] : Fixture()["layouts"].items()) {
    SCOPED_TRACE(name);
    const Layout got = Get(name);
    EXPECT_EQ(WhisperNonSpeechTokens(*got.bpe), l["non_speech"].get<std::vector<int32_t>>());
    EXPECT_EQ(WhisperSuppressTokens(*got.bpe, got.vocab.ids, {-1}), l["suppress_default"].get<std::vector<int32_t>>());
    const WhisperLogitFilters f(got.vocab.ids, *got.bpe, WhisperRuleOptions{});
    std::vector<int32_t> blank = l["blank"].get<std::vector<int32_t>>();
    blank.push_back(got.vocab.ids.eot);
    EXPECT_EQ(f.blank_tokens(), blank);
    EXPECT_EQ(f.max_initial_index(), 50);
    EXPECT_THROW(WhisperSuppressTokens(*got.bpe, got.vocab.ids, {got.vocab.ids.vocab_size}), Error);
    EXPECT_THROW(WhisperSuppressTokens(*got.bpe, got.vocab.ids, {-2}), Error);
  }
}

// As the converter builds a Whisper tokenizer (the specials as special added
// tokens after the .tiktoken ranks): each special text encodes to its id (and decodes as its text),
// and the non-speech list is unchanged.
TEST(WhisperRules, SpecialsAsAddedTokens) {
  REQUIRE_SHARED_TESTDATA();
  const Layout l = Get("multilingual");
  const json& want = Fixture()["layouts"]["multilingual"];
  auto bpe = ByteLevelBpe::FromTiktoken(test::ReadFile(test::kSharedTestdata + "whisper/multilingual.tiktoken"));
  std::vector<AddedToken> added;
  for (const std::string& t : l.vocab.specials) added.push_back({t, true});
  bpe.SetAddedTokens(std::move(added));
  const WhisperTokenIds& ids = l.vocab.ids;
  EXPECT_EQ(bpe.Encode("<|startoftranscript|><|de|><|transcribe|><|0.00|> Hallo<|1.20|><|endoftext|>"),
            (std::vector<int32_t>{ids.sot, ids.Language("de"), ids.transcribe, ids.timestamp_begin, 21242,
                                  ids.timestamp_begin + 60, ids.eot}));
  EXPECT_EQ(bpe.Decode({ids.timestamp_begin, 21242, ids.eot}), "<|0.00|> Hallo<|endoftext|>");
  EXPECT_EQ(WhisperNonSpeechTokens(bpe), want["non_speech"].get<std::vector<int32_t>>());
}

TEST(WhisperRules, FiltersAsDecodingPy) {
  REQUIRE_SHARED_TESTDATA();
  size_t checked = 0, disabled_total = 0;
  for (const auto& c : Fixture()["filters"]) {
    const Layout l = Get(c["layout"].get<std::string>());
    const json& o = c["options"];
    WhisperRuleOptions opts;
    opts.suppress_blank = o["suppress_blank"].get<bool>();
    opts.timestamps = o["timestamps"].get<bool>();
    opts.max_initial_timestamp = o["max_initial_timestamp"].get<double>();
    opts.suppress_tokens.clear();
    if (!o["suppress_tokens"].is_null()) {
      for (const auto& t : test::IdList<int32_t>([&] {
             std::string s = o["suppress_tokens"].get<std::string>();
             for (char& ch : s) ch = ch == ',' ? ' ' : ch;
             return s;
           }())) {
        opts.suppress_tokens.push_back(t);
      }
    }
    const WhisperLogitFilters filters(l.vocab.ids, *l.bpe, opts);
    const std::vector<float> in =
        Crafted(static_cast<size_t>(l.vocab.ids.vocab_size), c["seed"].get<int64_t>(), c["set"],
                static_cast<size_t>(l.vocab.ids.timestamp_begin), c["ts_shift"].get<float>());
    std::vector<float> out = in;
    const std::vector<int32_t> sampled = c["sampled"].get<std::vector<int32_t>>();
    filters.Apply(out, sampled);
    std::vector<bool> want(in.size(), false);
    for (const auto& r : c["disabled"]) {
      for (size_t k = r[0].get<size_t>(); k < r[1].get<size_t>(); ++k) want[k] = true;
    }
    size_t mismatches = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const bool off = out[k] <= kDisabledBelow;
      if (off != want[k] || (!off && out[k] != in[k])) {
        if (++mismatches <= 3) {
          ADD_FAILURE() << c["note"] << " (" << c["layout"] << ", seed " << c["seed"] << "): id " << k << " is "
                        << out[k] << ", Whisper " << (want[k] ? "-inf" : std::to_string(in[k]));
        }
      }
      disabled_total += off;
    }
    EXPECT_EQ(mismatches, 0u) << c["note"];
    ++checked;
  }
  EXPECT_EQ(checked, 135u);
  EXPECT_GT(disabled_total, 0u);
}

// The per-step rules allocate nothing (the decode loop's promise).
TEST(WhisperRules, ApplyAllocatesNothing) {
  REQUIRE_SHARED_TESTDATA();
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  const Layout l = Get("multilingual");
  const WhisperTokenIds& ids = l.vocab.ids;
  const WhisperLogitFilters filters(ids, *l.bpe, WhisperRuleOptions{});
  std::vector<float> x = Crafted(static_cast<size_t>(ids.vocab_size), 7, json::array());
  const std::vector<int32_t> histories[] = {
      {}, {ids.timestamp_begin}, {ids.timestamp_begin, 440, ids.timestamp_begin + 9}};
  test::StartCountingAllocations();
  for (const auto& h : histories) filters.Apply(x, h);
  EXPECT_EQ(test::StopCountingAllocations(), 0u);
}

// Logits already at −inf (Whisper's own masks) count as disabled.
TEST(WhisperRules, InfinityCountsAsDisabled) {
  const WhisperTokenIds ids = WhisperSpecialTokens(50257, true).ids;
  std::vector<float> x(static_cast<size_t>(ids.vocab_size), 0.0f);
  for (size_t k = static_cast<size_t>(ids.timestamp_begin); k < x.size(); ++k) {
    x[k] = -std::numeric_limits<float>::infinity();
  }
  const std::vector<int32_t> sampled = {ids.timestamp_begin, 100};
  WhisperApplyTimestampRules(ids, x, sampled, 50);
  EXPECT_EQ(x[100], 0.0f);  // no timestamp may come: text stays
  std::vector<float> wrong(10);
  EXPECT_THROW(WhisperApplyTimestampRules(ids, wrong, sampled, 50), Error);
}

TEST(WhisperRules, LanguageDetectionAndNoSpeech) {
  REQUIRE_SHARED_TESTDATA();
  size_t checked = 0;
  for (const auto& c : Fixture()["languages"]) {
    const Layout l = Get(c["layout"].get<std::string>());
    const std::vector<float> x =
        Crafted(static_cast<size_t>(l.vocab.ids.vocab_size), c["seed"].get<int64_t>(), c["set"]);
    const WhisperLanguageGuess g = WhisperDetectLanguage(l.vocab.ids, x);
    EXPECT_EQ(g.token, c["best_token"].get<int32_t>());
    EXPECT_EQ(g.code, c["best_code"].get<std::string>());
    const auto probs = c["probs"].get<std::vector<double>>();
    ASSERT_EQ(g.probs.size(), probs.size());
    double sum = 0.0;
    for (size_t k = 0; k < probs.size(); ++k) {
      EXPECT_NEAR(g.probs[k], probs[k], 1e-6 + 1e-5 * probs[k]) << k;
      sum += g.probs[k];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    const size_t best = static_cast<size_t>(g.token - l.vocab.ids.first_language);
    ASSERT_LT(best, probs.size());
    EXPECT_NEAR(g.probability, probs[best], 1e-6 + 1e-5 * probs[best]);  // the guess's own, not another's
    const double ns = c["no_speech"].get<double>();
    EXPECT_NEAR(WhisperNoSpeechProbability(l.vocab.ids, x), ns, 1e-7 + 1e-5 * ns);
    ++checked;
  }
  EXPECT_EQ(checked, 10u);
  const WhisperTokenIds ids = WhisperSpecialTokens(50257, true).ids;
  std::vector<float> off(static_cast<size_t>(ids.vocab_size), kDisabledLogit);
  EXPECT_THROW(WhisperDetectLanguage(ids, off), Error);
  const WhisperTokenIds en = WhisperSpecialTokens(50256, false).ids;
  const std::vector<float> x(static_cast<size_t>(en.vocab_size), 0.0f);
  EXPECT_THROW(WhisperDetectLanguage(en, x), Error);
  EXPECT_GT(WhisperNoSpeechProbability(en, x), 0.0f);
}

}  // namespace
}  // namespace edgeseq::runtime
