// CTranslate2's own expectations for its Arabic→English transliteration
// test model (CTranslate2 4.8.1: tests/translator_test.cc and
// python/tests/test_translator.py, repository OpenNMT/CTranslate2), run on
// edgeseq's conversion of the shared model.bin files, f32 and int8 — every
// one whose feature edgeseq has. Each test names the CTranslate2 test it
// reproduces; the values are CTranslate2's, not ours.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgeseq/edgeseq.hpp"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/text_codec.h"
#include "runtime/transformer.h"
#include "runtime/workspace.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include "tests/tools/ct2_models.h"

namespace edgeseq::tools {
namespace {

const char* kAtzmon = "آ ت ز م و ن";  // → a t z m o n

// (model folder, quantization) × beam size, as CTranslate2's ModelVariantTest
// and SearchVariantTest (beams 1 and 4).
struct Variant {
  const char* model;
  const char* quantize;
  size_t beam;
};

class Ct2Expectations : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    REQUIRE_SHARED_MODELS();
    model_ = std::make_unique<Model>(Model::Load(test::Convert(GetParam().model, GetParam().quantize), true));
    gen_ = std::make_unique<Generator>(*model_, Limits{8, 0, 0, 4});
  }
  GenerateOptions Options() const {
    GenerateOptions o;
    o.beam = GetParam().beam;
    return o;
  }
  std::vector<std::vector<std::string>> Translate(const std::vector<std::string>& sources, const GenerateOptions& o,
                                                  std::vector<std::vector<float>>* scores = nullptr) {
    std::vector<std::vector<int32_t>> ids;
    for (const auto& s : sources) ids.push_back(model_->EncodeSource(s));
    std::vector<std::vector<std::string>> out;
    for (const auto& hyps : gen_->Generate(ids, o)) {
      out.emplace_back();
      if (scores) scores->emplace_back();
      for (const auto& h : hyps) {
        out.back().push_back(model_->DecodeTarget(h.ids));
        if (scores) scores->back().push_back(h.score);
      }
    }
    return out;
  }
  size_t Tokens(const std::string& s) const {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); ++i) n += s[i] != ' ' && (i == 0 || s[i - 1] == ' ');
    return n;
  }
  std::unique_ptr<Model> model_;
  std::unique_ptr<Generator> gen_;
};

// translator_test.cc ModelVariantTest.Transliteration (v2 f32 and i8).
TEST_P(Ct2Expectations, Transliteration) {
  EXPECT_EQ(Translate({kAtzmon}, Options())[0][0], "a t z m o n");
}

// SearchVariantTest.SetMaxDecodingLength: 3 steps, 3 tokens.
// test_translator.py test_max_decoding_length: 2 → "a t".
TEST_P(Ct2Expectations, MaxDecodingLength) {
  GenerateOptions o = Options();
  o.max_length = 3;
  EXPECT_EQ(Tokens(Translate({kAtzmon}, o)[0][0]), 3u);
  o.max_length = 2;
  EXPECT_EQ(Translate({kAtzmon}, o)[0][0], "a t");
}

// SearchVariantTest.SetMinDecodingLength: 8 → exactly 8 tokens (the model
// would stop after 6). test_translator.py test_min_decoding_length: 7 → > 6.
TEST_P(Ct2Expectations, MinDecodingLength) {
  GenerateOptions o = Options();
  o.min_length = 8;
  EXPECT_EQ(Tokens(Translate({kAtzmon}, o)[0][0]), 8u);
  o.min_length = 7;
  EXPECT_GT(Tokens(Translate({kAtzmon}, o)[0][0]), 6u);
}

// SearchVariantTest.ReturnAllHypotheses; test_translator.py
// test_num_hypotheses (beam 4, 2 hypotheses).
TEST_P(Ct2Expectations, NumHypotheses) {
  GenerateOptions o = Options();
  o.num_hypotheses = o.beam;
  EXPECT_EQ(Translate({kAtzmon}, o)[0].size(), o.beam);
  if (o.beam == 4) {
    o.num_hypotheses = 2;
    EXPECT_EQ(Translate({kAtzmon}, o)[0].size(), 2u);
  }
}

// SearchVariantTest.TranslateBatch (with scores); test_translator.py
// test_batch_translation (scores below 0).
TEST_P(Ct2Expectations, TranslateBatch) {
  std::vector<std::vector<float>> scores;
  const auto out = Translate({"آ ز ا", kAtzmon, "آ ت ش ي س و ن"}, Options(), &scores);
  EXPECT_EQ(out[0][0], "a z z a");
  EXPECT_EQ(out[1][0], "a t z m o n");
  EXPECT_EQ(out[2][0], "a c h i s o n");
  for (const auto& s : scores) EXPECT_LT(s[0], 0.0f);
}

// TranslatorTest.TranslateBatchWithEmptySource / WithOnlyEmptySource: one
// empty hypothesis with score 0 per empty source, the others translated.
TEST_P(Ct2Expectations, EmptySources) {
  std::vector<std::vector<float>> scores;
  const auto out = Translate({"", "آ ز ا", "", kAtzmon, ""}, Options(), &scores);
  ASSERT_EQ(out.size(), 5u);
  for (size_t i : {0, 2, 4}) {
    ASSERT_EQ(out[i].size(), 1u);
    EXPECT_EQ(out[i][0], "");
    EXPECT_EQ(scores[i][0], 0.0f);
  }
  EXPECT_EQ(out[1][0], "a z z a");
  EXPECT_EQ(out[3][0], "a t z m o n");
  const auto only = Translate({"", ""}, Options());
  ASSERT_EQ(only.size(), 2u);
  EXPECT_EQ(only[0][0], "");
  EXPECT_EQ(only[1][0], "");
}

// Target ids of space-separated target tokens (the model's own vocabulary,
// read back through DecodeTarget).
std::vector<int32_t> TargetIds(const Model& m, const std::string& tokens) {
  std::vector<int32_t> out;
  size_t at = 0;
  while (at < tokens.size()) {
    size_t end = tokens.find(' ', at);
    if (end == std::string::npos) end = tokens.size();
    const std::string t = tokens.substr(at, end - at);
    at = end + 1;
    if (t.empty()) continue;
    int32_t found = -1;
    for (uint32_t i = 0; i < m.info().tgt_vocab_size && found < 0; ++i) {
      if (m.DecodeTarget({static_cast<int32_t>(i)}) == t) found = static_cast<int32_t>(i);
    }
    if (found < 0) throw std::runtime_error("not a target token: " + t);
    out.push_back(found);
  }
  return out;
}

// translator_test.cc SearchVariantTest.TranslateWithPrefix: the prefix
// a t s gives a t s u m o n, every hypothesis starting with it.
TEST_P(Ct2Expectations, TranslateWithPrefix) {
  GenerateOptions o = Options();
  o.num_hypotheses = o.beam;
  o.target_prefix = {TargetIds(*model_, "a t s")};
  const auto out = Translate({kAtzmon}, o);
  ASSERT_EQ(out[0].size(), o.beam);
  EXPECT_EQ(out[0][0], "a t s u m o n");
  for (const auto& h : out[0]) EXPECT_EQ(h.substr(0, 5), "a t s");
}

// The same, with return_attention as TranslateWithPrefix asks: one vector
// per output token, one weight per source token, summing to 1; and every
// hypothesis's vectors those of teacher forcing its own tokens (the
// alignments reordered with the beams), within 1e-5.
TEST_P(Ct2Expectations, TranslateWithPrefixAttention) {
  GenerateOptions o = Options();
  o.num_hypotheses = o.beam;
  o.return_attention = true;
  o.target_prefix = {TargetIds(*model_, "a t s"), {}};
  const auto src = model_->EncodeSource(kAtzmon);
  const auto got = gen_->Generate({src, model_->EncodeSource("آ ز ا")}, o);
  ASSERT_EQ(got[0].size(), o.beam);
  for (size_t s = 0; s < 2; ++s) {
    for (const auto& h : got[s]) {
      ASSERT_EQ(h.attention.size(), h.ids.size());
      for (const auto& a : h.attention) {
        ASSERT_EQ(a.size(), s == 0 ? 6u : 3u);
        double sum = 0;
        for (float w : a) sum += w;
        EXPECT_NEAR(sum, 1.0, 1e-4);
      }
    }
  }
  // Teacher forcing each hypothesis of source 0 as a prefix, greedily, alone:
  // the same vectors for its tokens.
  for (const auto& h : got[0]) {
    GenerateOptions forced;
    forced.return_attention = true;
    forced.target_prefix = {h.ids};
    forced.max_length = h.ids.size();
    const auto again = gen_->Generate({src}, forced)[0][0];
    ASSERT_EQ(again.ids, h.ids);
    for (size_t t = 0; t < h.ids.size(); ++t) {
      for (size_t j = 0; j < 6; ++j) EXPECT_NEAR(again.attention[t][j], h.attention[t][j], 1e-5) << t << " " << j;
    }
  }
  EXPECT_TRUE(Translate({kAtzmon}, Options()).size() == 1);
  EXPECT_TRUE(gen_->Generate({src}, Options())[0][0].attention.empty());
}

// translator_test.cc TranslatorTest.TranslateBatchWithHardPrefixAndEmpty
// (CTranslate2's default beam 2 there; here each variant's beam), and
// test_translator.py test_hard_target_prefix.
TEST_P(Ct2Expectations, HardPrefixAndEmpty) {
  GenerateOptions o = Options();
  o.target_prefix = {TargetIds(*model_, "a t s"), {}, TargetIds(*model_, "a t z o"), {}, {}};
  const auto out = Translate({kAtzmon, kAtzmon, kAtzmon, "", "آ ز ا"}, o);
  EXPECT_EQ(out[0][0], "a t s u m o n");
  EXPECT_EQ(out[1][0], "a t z m o n");
  EXPECT_EQ(out[2][0], "a t z o m o n");
  EXPECT_EQ(out[3][0], "");
  EXPECT_EQ(out[4][0], "a z z a");
  o.target_prefix = {TargetIds(*model_, "a t s"), {}};
  const auto py = Translate({kAtzmon, "آ ت ش ي س و ن"}, o);
  EXPECT_EQ(py[0][0].substr(0, 5), "a t s");
  EXPECT_EQ(py[1][0], "a c h i s o n");
}

// test_translator.py test_return_alternatives: 10 alternatives after the
// prefix a t, the best two a t z m o n and a t s u m o n.
TEST_P(Ct2Expectations, ReturnAlternatives) {
  GenerateOptions o = Options();
  o.target_prefix = {TargetIds(*model_, "a t")};
  o.num_hypotheses = 10;
  o.return_alternatives = true;
  const auto out = Translate({kAtzmon}, o);
  ASSERT_EQ(out[0].size(), 10u);
  EXPECT_EQ(out[0][0], "a t z m o n");
  EXPECT_EQ(out[0][1], "a t s u m o n");
  for (const auto& h : out[0]) EXPECT_EQ(h.substr(0, 4), "a t ");
}

// translator_test.cc SearchVariantTest.ReplaceUnknowns: with the prefix
// <unk> t, the unknown token becomes the source token it attends to most.
TEST_P(Ct2Expectations, ReplaceUnknowns) {
  GenerateOptions o = Options();
  o.num_hypotheses = o.beam;
  o.replace_unknowns = true;
  o.target_prefix = {TargetIds(*model_, "<unk> t")};
  const auto hyps = gen_->Generate({model_->EncodeSource(kAtzmon)}, o);
  EXPECT_EQ(model_->DecodeTarget(hyps[0][0], kAtzmon), "ت t z m o n");
  EXPECT_EQ(model_->DecodeTarget(hyps[0][0].ids), "<unk> t z m o n");
  // Without the attention there is nothing to replace by: an error, not a guess.
  Hypothesis bare = hyps[0][0];
  bare.attention.clear();
  EXPECT_THROW(model_->DecodeTarget(bare, kAtzmon), Error);
}

// translator_test.cc TranslatorTest.TranslateBatchWithStronglyBiasedPrefix
// (beta 0.99: as the hard prefix) and ...WithWeaklyBiasedPrefix (beta 0.01:
// the prefix a t s s s is left where the model disagrees), beam 2 as there,
// on each model variant.
TEST_P(Ct2Expectations, BiasedPrefix) {
  GenerateOptions o = Options();
  o.beam = 2;
  o.prefix_bias_beta = 0.99f;
  const std::vector<std::string> input = {kAtzmon, kAtzmon, kAtzmon, "آ ز ا"};
  o.target_prefix = {TargetIds(*model_, "a t s"), {}, TargetIds(*model_, "a t z o"), {}};
  auto out = Translate(input, o);
  EXPECT_EQ(out[0][0], "a t s u m o n");
  EXPECT_EQ(out[1][0], "a t z m o n");
  EXPECT_EQ(out[2][0], "a t z o m o n");
  EXPECT_EQ(out[3][0], "a z z a");
  o.prefix_bias_beta = 0.01f;
  o.target_prefix = {TargetIds(*model_, "a t s s s"), {}, TargetIds(*model_, "a t z o"), {}};
  out = Translate(input, o);
  EXPECT_EQ(out[0][0], "a t z m o n");
  EXPECT_EQ(out[1][0], "a t z m o n");
  EXPECT_EQ(out[2][0], "a t z m o n");
  EXPECT_EQ(out[3][0], "a z z a");
}

// test_translator.py test_strongly_biased_target_prefix and
// test_weakly_biased_target_prefix (beams 1 and 2 there; here each
// variant's beam): beta 0.9999999 keeps the prefix; beta 1e-7 gives the
// unconstrained answers with their scores within 1e-5.
TEST_P(Ct2Expectations, BiasedPrefixPython) {
  GenerateOptions o = Options();
  const std::vector<std::string> input = {kAtzmon, "آ ت ش ي س و ن"};
  o.prefix_bias_beta = 0.9999999f;
  o.target_prefix = {TargetIds(*model_, "a t s"), {}};
  auto out = Translate(input, o);
  EXPECT_EQ(out[0][0].substr(0, 5), "a t s");
  EXPECT_EQ(out[1][0], "a c h i s o n");
  GenerateOptions free = Options();
  free.normalize_scores = true;
  std::vector<std::vector<float>> free_scores, weak_scores;
  const auto unconstrained = Translate(input, free, &free_scores);
  o = free;
  o.prefix_bias_beta = 1e-7f;
  o.target_prefix = {TargetIds(*model_, "a t s"), TargetIds(*model_, "s i o")};
  const auto weak = Translate(input, o, &weak_scores);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(weak[i][0], unconstrained[i][0]);
    EXPECT_NEAR(weak_scores[i][0], free_scores[i][0], 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Aren, Ct2Expectations,
    ::testing::Values(Variant{"aren-transliteration", "f32", 1}, Variant{"aren-transliteration", "f32", 4},
                      Variant{"aren-transliteration-i8", "int8", 1}, Variant{"aren-transliteration-i8", "int8", 4}),
    [](const ::testing::TestParamInfo<Variant>& p) {
      return std::string(p.param.quantize) + "_beam" + std::to_string(p.param.beam);
    });

// test_translator.py test_score_api: per-token log-probabilities (the EOS's
// last), relative tolerance 1e-4 for f32 as there. The values are the f32
// model's; int8 within 0.05 of them (CTranslate2 4.8.1's own int8 differs
// from them by up to 0.022, e.g. -0.1954 for -0.1812).
TEST(Ct2ExpectationsScore, ScoreApi) {
  REQUIRE_SHARED_MODELS();
  const std::vector<std::pair<std::string, std::string>> pairs = {{kAtzmon, "a t z m o n"},
                                                                  {"آ ت ش ي س و ن", "a c h i s o n"}};
  const std::vector<std::vector<double>> expected = {
      {-0.106023, -0.065410, -0.056002, -0.447953, -0.230714, -0.092184, -0.063463},
      {-0.072660, -0.300309, -0.181187, -0.395671, -0.025631, -0.123466, -0.002034, -0.012639}};
  for (const auto& [folder, quantize, tolerance] :
       {std::tuple{"aren-transliteration", "f32", 0.0}, std::tuple{"aren-transliteration-i8", "int8", 0.05}}) {
    const auto model = runtime::Model::Load(test::Convert(folder, quantize));
    const runtime::TextCodec src(model->file(), true), tgt(model->file(), false);
    runtime::Generator gen(model, runtime::Limits{2, 16, 16, 1});
    std::vector<std::vector<int32_t>> sources, targets;
    for (const auto& [s, t] : pairs) {
      sources.push_back(src.Encode(s));
      targets.push_back(tgt.Encode(t));
    }
    const auto got = gen.ScoreTokens(sources, targets);
    double worst = 0;
    ASSERT_EQ(got.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      ASSERT_EQ(got[i].size(), expected[i].size());
      for (size_t t = 0; t < got[i].size(); ++t) {
        const double want = expected[i][t];
        EXPECT_NEAR(got[i][t], want, tolerance > 0 ? tolerance : 1e-4 * std::fabs(want) + 1e-6)
            << quantize << " pair " << i << " token " << t;
        worst = std::max(worst, std::fabs(got[i][t] - want));
      }
    }
    RecordProperty(std::string("max_abs_diff_") + quantize, std::to_string(worst));
    // test_score_api's empty inputs: an empty source scores each target
    // token and the EOS 0; beside a real pair, that one keeps its values.
    EXPECT_EQ(gen.ScoreTokens({{}}, {{}}), (std::vector<std::vector<float>>{{0.0f}}));
    const auto empties = gen.ScoreTokens({{}, {}}, targets);
    EXPECT_EQ(empties[0], std::vector<float>(7, 0.0f));
    EXPECT_EQ(empties[1], std::vector<float>(8, 0.0f));
    const auto mixed = gen.ScoreTokens({{}, sources[1]}, targets);
    EXPECT_EQ(mixed[0], std::vector<float>(7, 0.0f));
    for (size_t t = 0; t < got[1].size(); ++t) EXPECT_NEAR(mixed[1][t], got[1][t], 1e-5) << quantize;
  }
}

// translator_test.cc SearchVariantTest.ReturnAttention and test_translator.py
// test_return_attention ask only for shapes; here the values themselves:
// the last decoder layer's cross-attention averaged over the heads, at each
// step of CTranslate2's greedy output (teacher-forced: the same tokens), for
// 10 sources, against CTranslate2's return_attention
// (tests/fixtures/make_ct2_attention.py), f32 within 1e-5.
TEST(Ct2ExpectationsAttention, CrossAttentionOfTheLastLayer) {
  REQUIRE_SHARED_MODELS();
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/ct2_attention/expected.json");
  const auto fixture = nlohmann::json::parse(in);
  const auto model = runtime::Model::Load(test::Convert("aren-transliteration", "f32"));
  const runtime::TextCodec src(model->file(), true), tgt(model->file(), false);
  runtime::Workspace ws(*model, runtime::Limits{1, 16, 16, 1});
  ws.keep_cross_attention = true;
  double worst = 0;
  for (const auto& c : fixture["cases"]) {
    std::string source, target;
    for (const auto& t : c["source"]) source += (source.empty() ? "" : " ") + t.get<std::string>();
    for (const auto& t : c["target"]) target += (target.empty() ? "" : " ") + t.get<std::string>();
    const auto s_ids = src.Encode(source);
    const auto t_ids = tgt.Encode(target);
    const size_t S = runtime::Encode(*model, ws, {s_ids});
    ASSERT_EQ(S, c["source"].size()) << source;
    ws.dec_ids[0] = model->config().decoder_start_id;
    const auto& want = c["attention"];
    ASSERT_EQ(want.size(), t_ids.size()) << "one vector per target token";
    for (size_t step = 0; step < t_ids.size(); ++step) {
      runtime::DecodeStep(*model, ws, 1, 1, S, step);
      for (size_t j = 0; j < S; ++j) {
        const double w = want[step][j].get<double>();
        EXPECT_NEAR(ws.cross_attention[j], w, 1e-5) << source << " step " << step << " key " << j;
        worst = std::max(worst, std::fabs(ws.cross_attention[j] - w));
      }
      ws.dec_ids[0] = t_ids[step];
    }
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
}

// return_attention through the Generator, against CTranslate2's
// translate_batch(return_attention=True) answers (its default beam 2) in
// tests/fixtures/ct2_attention: where the hypotheses are the same, the same vectors
// within 1e-5, all sources in one batch (edgeseq's vectors do not depend on
// the batch; CTranslate2's do, which is why its fixture has one per call).
TEST(Ct2ExpectationsAttention, ReturnAttentionAsCTranslate2) {
  REQUIRE_SHARED_MODELS();
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/ct2_attention/expected.json");
  const auto fixture = nlohmann::json::parse(in);
  const auto model = Model::Load(test::Convert("aren-transliteration", "f32"), true);
  Generator gen(model, Limits{16, 0, 0, 2});
  std::vector<std::vector<int32_t>> sources;
  for (const auto& c : fixture["cases"]) {
    std::string source;
    for (const auto& t : c["source"]) source += (source.empty() ? "" : " ") + t.get<std::string>();
    sources.push_back(model.EncodeSource(source));
  }
  GenerateOptions o;
  o.beam = 2;
  o.return_attention = true;
  const auto got = gen.Generate(sources, o);
  size_t same = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    const auto& c = fixture["cases"][i];
    std::string target;
    for (const auto& t : c["target"]) target += (target.empty() ? "" : " ") + t.get<std::string>();
    const auto& h = got[i][0];
    if (model.DecodeTarget(h.ids) != target) continue;  // edgeseq's beam stopping rule (docs/DECODING.md)
    ++same;
    ASSERT_EQ(h.attention.size(), c["attention"].size());
    for (size_t t = 0; t < h.attention.size(); ++t) {
      ASSERT_EQ(h.attention[t].size(), c["attention"][t].size());
      for (size_t j = 0; j < h.attention[t].size(); ++j) {
        EXPECT_NEAR(h.attention[t][j], c["attention"][t][j].get<double>(), 1e-5) << i << " " << t << " " << j;
      }
    }
  }
  EXPECT_GE(same, 9u) << "of 10 (measured: 9)";
}

}  // namespace
}  // namespace edgeseq::tools
