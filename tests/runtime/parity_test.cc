// The runtime against PyTorch on the same checkpoints (tests/fixtures/parity,
// made by make_parity.py): teacher-forced log-probabilities and greedy
// outputs, post-LN + ReLU and pre-LN + GELU, f32, f16 and int8, with sources
// of unequal lengths in one batch.
#include <gtest/gtest.h>
#include <math.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/error.h"
#include "runtime/generator.h"
#include "tools/convert.h"

namespace edgeseq::runtime {
namespace {

const std::string kDir = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/";

nlohmann::json Expected() {
  std::ifstream in(kDir + "expected.json");
  return nlohmann::json::parse(in);
}

// Converts a parity checkpoint with the given weight type; cached per run.
std::string Converted(const std::string& name, const std::string& quantize) {
  const std::string out = std::string(testing::TempDir()) + "/edgeseq-parity-" + std::to_string(getpid()) + "-" +
                          name + "-" + quantize + ".esq";
  if (access(out.c_str(), F_OK) == 0) return out;
  const auto e = Expected()["models"][name];
  tools::ConvertOptions o;
  o.input = kDir + e["checkpoint"].get<std::string>();
  o.output = out;
  o.heads = e["heads"].get<uint32_t>();
  o.norm_first = e["norm_first"].get<bool>();
  o.activation = e["activation"].get<std::string>();
  o.quantize = quantize;
  std::ostringstream log;
  tools::Convert(o, log);
  return out;
}

struct Tolerance {
  double logprob_rel;     // |ours - torch| ≤ rel · |torch| + abs
  double logprob_abs;
  double greedy_margin;   // greedy outputs must match where PyTorch's margin exceeds this
};

// Measured on this machine (worst relative log-probability error: f32 1e-6,
// f16 4e-4, int8 5.3e-2 on these d_model 32 models) and kept with headroom.
// int8 error comes from the weights (≤ 0.5/127 of each row's max) and the
// 7-bit per-row activations (x86 without VNNI); it shrinks with wider rows.
Tolerance ToleranceFor(const std::string& q) {
  if (q == "f32") return {1e-4, 1e-5, 1e-3};
  if (q == "f16") return {2e-3, 2e-3, 5e-2};
  return {8e-2, 5e-2, 0.3};
}

class Parity : public testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(Parity, TeacherForcedLogProbabilities) {
  const auto [name, q] = GetParam();
  const auto e = Expected()["models"][name];
  const Tolerance tol = ToleranceFor(q);
  auto model = Model::Load(Converted(name, q));
  Generator gen(model, Limits{8, 16, 24});
  std::vector<std::vector<int32_t>> sources, targets;
  std::vector<double> want;
  for (const auto& c : e["cases"]) {
    for (size_t k = 0; k < c["targets"].size(); ++k) {
      sources.push_back(c["src"].get<std::vector<int32_t>>());
      targets.push_back(c["targets"][k].get<std::vector<int32_t>>());
      want.push_back(c["logprobs"][k]);
    }
  }
  // In batches of unequal lengths (padding must not change anything).
  double worst = 0;
  for (size_t start = 0; start < sources.size(); start += 5) {
    const size_t end = std::min(sources.size(), start + 5);
    const std::vector<std::vector<int32_t>> s(sources.begin() + start, sources.begin() + end);
    const std::vector<std::vector<int32_t>> t(targets.begin() + start, targets.begin() + end);
    const std::vector<float> got = gen.Score(s, t);
    const std::vector<std::vector<float>> per_token = gen.ScoreTokens(s, t);
    ASSERT_EQ(per_token.size(), got.size());
    for (size_t i = 0; i < got.size(); ++i) {
      // One log-probability per target token and one for the EOS, each ≤ 0,
      // summing to the total (float sums in the same order: equal).
      ASSERT_EQ(per_token[i].size(), t[i].size() + 1) << name << " " << q << " case " << start + i;
      float sum = 0.0f;
      for (float x : per_token[i]) {
        EXPECT_LE(x, 0.0f);
        sum += x;
      }
      EXPECT_EQ(sum, got[i]) << name << " " << q << " case " << start + i;
    }
    for (size_t i = 0; i < got.size(); ++i) {
      const double w = want[start + i];
      EXPECT_NEAR(got[i], w, tol.logprob_rel * fabs(w) + tol.logprob_abs) << name << " " << q << " case " << start + i;
      worst = std::max(worst, fabs(got[i] - w) / (fabs(w) + 1e-9));
    }
  }
  RecordProperty("worst_relative_logprob_error", std::to_string(worst));
}

TEST_P(Parity, GreedyOutputs) {
  const auto [name, q] = GetParam();
  const auto e = Expected()["models"][name];
  const Tolerance tol = ToleranceFor(q);
  auto model = Model::Load(Converted(name, q));
  Generator gen(model, Limits{8, 16, 24});
  std::vector<std::vector<int32_t>> sources;
  for (const auto& c : e["cases"]) sources.push_back(c["src"].get<std::vector<int32_t>>());
  GenerateOptions o;
  o.max_length = Expected()["max_len"];
  const auto hyps = gen.Greedy(sources, o);  // one batch, unequal lengths
  size_t compared = 0;
  for (size_t i = 0; i < hyps.size(); ++i) {
    const auto& c = e["cases"][i];
    if (c["margin"].get<double>() <= tol.greedy_margin) continue;
    ++compared;
    EXPECT_EQ(hyps[i].ids, c["greedy"].get<std::vector<int32_t>>()) << name << " " << q << " case " << i;
    const double w = c["greedy_score"];
    EXPECT_NEAR(hyps[i].score, w, tol.logprob_rel * fabs(w) + tol.logprob_abs) << name << " " << q << " case " << i;
  }
  EXPECT_GE(compared, 3u) << "too few cases with a clear margin to compare";
}

// Beam search is compared for f32 and f16 only: int8's log-probability error
// (5e-2 relative here) exceeds the gaps between the reference's beam
// hypotheses, so int8 legitimately explores other beams. int8 decoding is
// checked by the greedy and teacher-forced tests above.
class BeamParity : public Parity {};

TEST_P(BeamParity, MatchesTheReferenceBeamSearch) {
  const auto [name, q] = GetParam();
  const auto all = Expected();
  const auto e = all["models"][name];
  const Tolerance tol = ToleranceFor(q);
  auto model = Model::Load(Converted(name, q));
  Limits limits{8, 16, 24};
  limits.max_beam = 3;
  Generator gen(model, limits);
  std::vector<std::vector<int32_t>> sources;
  for (const auto& c : e["cases"]) sources.push_back(c["src"].get<std::vector<int32_t>>());
  GenerateOptions o;
  o.max_length = all["max_len"];
  o.beam = all["beam"];
  o.length_penalty = all["length_penalty"];
  o.num_hypotheses = 3;
  const auto got = gen.Generate(sources, o);  // one batch, unequal lengths
  size_t compared = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& want = e["cases"][i]["beam3"];
    ASSERT_EQ(got[i].size(), want.size()) << "case " << i;
    for (size_t h = 0; h < want.size(); ++h) {
      // Compare a hypothesis where its rank is clear of its neighbours'.
      const double r = want[h]["rank"];
      const double gap = std::min(h > 0 ? fabs(r - want[h - 1]["rank"].get<double>()) : 1e9,
                                  h + 1 < want.size() ? fabs(r - want[h + 1]["rank"].get<double>()) : 1e9);
      if (gap <= tol.greedy_margin / 10) continue;
      ++compared;
      EXPECT_EQ(got[i][h].ids, want[h]["ids"].get<std::vector<int32_t>>()) << name << " " << q << " case " << i << " hyp " << h;
      const double w = want[h]["score"];
      EXPECT_NEAR(got[i][h].score, w, tol.logprob_rel * fabs(w) + tol.logprob_abs) << "case " << i << " hyp " << h;
    }
  }
  EXPECT_GE(compared, 10u);
}

INSTANTIATE_TEST_SUITE_P(Models, BeamParity,
                         testing::Combine(testing::Values("post_relu", "pre_gelu"), testing::Values("f32", "f16")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

INSTANTIATE_TEST_SUITE_P(Models, Parity,
                         testing::Combine(testing::Values("post_relu", "pre_gelu"),
                                          testing::Values("f32", "f16", "int8")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

TEST(Generator, RejectsBadInputsWithClearErrors) {
  auto model = Model::Load(Converted("post_relu", "f32"));
  Generator gen(model, Limits{2, 8, 8});
  GenerateOptions o;
  o.max_length = 8;
  auto expect = [&](const std::vector<std::vector<int32_t>>& s, ErrorKind kind, const std::string& mentions) {
    try {
      gen.Greedy(s, o);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  };
  expect({{5, 20}}, ErrorKind::kInput, "id 20");
  expect({{-1}}, ErrorKind::kInput, "id -1");
  // (An empty source is not an error: CppApi.EmptySourcesGiveEmptyHypotheses.)
  expect({{5}, {6}, {7}}, ErrorKind::kLimit, "at most 2");
  expect({{5, 5, 5, 5, 5, 5, 5, 5, 5}}, ErrorKind::kLimit, "9 tokens");
  o.max_length = 9;
  expect({{5}}, ErrorKind::kLimit, "max length 9");
  EXPECT_THROW(Generator(model, Limits{1, 100, 8}), Error);  // beyond the model's 64 positions
}

TEST(Generator, SamplingIsReproducibleAndDegeneratesToGreedy) {
  auto model = Model::Load(Converted("post_relu", "f32"));
  Generator gen(model, Limits{4, 16, 20});
  const std::vector<std::vector<int32_t>> sources = {{4, 19, 6, 8, 10, 12, 14}, {7, 9, 11}, {6, 4}};
  GenerateOptions greedy;
  greedy.max_length = 20;
  const auto g = gen.Greedy(sources, greedy);
  GenerateOptions o = greedy;
  o.sample = true;
  o.seed = 42;
  o.temperature = 1.5f;
  const auto a = gen.Greedy(sources, o), b = gen.Greedy(sources, o);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].ids, b[i].ids) << "same seed, same output";
  bool differs = false;
  for (uint64_t seed = 1; seed < 20 && !differs; ++seed) {
    o.seed = seed;
    const auto c = gen.Greedy(sources, o);
    for (size_t i = 0; i < c.size(); ++i) differs |= c[i].ids != a[i].ids;
  }
  EXPECT_TRUE(differs) << "sampling at temperature 1.5 never varied over 19 seeds";
  for (auto tweak : {+[](GenerateOptions& x) { x.top_k = 1; }, +[](GenerateOptions& x) { x.top_p = 1e-6f; },
                     +[](GenerateOptions& x) { x.temperature = 1e-4f; }}) {
    GenerateOptions t = greedy;
    t.sample = true;
    t.seed = 7;
    tweak(t);
    const auto s = gen.Greedy(sources, t);
    for (size_t i = 0; i < s.size(); ++i) {
      EXPECT_EQ(s[i].ids, g[i].ids);
      EXPECT_NEAR(s[i].score, g[i].score, 1e-5);
    }
  }
}

TEST(Generator, BadSearchOptionsAreErrors) {
  auto model = Model::Load(Converted("post_relu", "f32"));
  Limits limits{2, 8, 8};
  limits.max_beam = 4;
  Generator gen(model, limits);
  const std::vector<std::vector<int32_t>> src = {{5}};
  auto bad = [&](auto tweak, const std::string& mentions) {
    GenerateOptions o;
    o.max_length = 8;
    tweak(o);
    try {
      gen.Generate(src, o);
      ADD_FAILURE() << "accepted: " << mentions;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  };
  bad([](GenerateOptions& o) { o.beam = 25; }, "larger than the target vocabulary");
  bad([](GenerateOptions& o) { o.beam = 5; }, "exceeds the generator's 4");
  bad([](GenerateOptions& o) { o.beam = 0; }, "at least 1");
  bad([](GenerateOptions& o) { o.beam = 2; o.num_hypotheses = 3; }, "num_hypotheses");
  bad([](GenerateOptions& o) { o.sample = true; o.top_p = 0.0f; }, "top-p");
  bad([](GenerateOptions& o) { o.sample = true; o.top_p = 1.5f; }, "top-p");
  bad([](GenerateOptions& o) { o.sample = true; o.temperature = std::nanf(""); }, "temperature");
  bad([](GenerateOptions& o) { o.sample = true; o.beam = 2; }, "sampling takes beam 1");
  bad([](GenerateOptions& o) { o.max_length = 0; }, "at least 1");
  bad([](GenerateOptions& o) { o.min_length = 9; }, "min length 9 exceeds max length 8");
}

TEST(Generator, SamplingAtTinyTemperaturesIsGreedy) {
  // T -> 0 is greedy: a sweep down to 1e-30 (1e-11 once picked the least
  // likely token, log-prob -45 where greedy's is -1.27).
  auto model = Model::Load(Converted("post_relu", "f32"));
  Generator gen(model, Limits{4, 16, 20});
  const std::vector<std::vector<int32_t>> sources = {{4, 19, 6, 8, 10, 12, 14}, {7, 9, 11}, {6, 4}, {5}};
  GenerateOptions greedy;
  greedy.max_length = 20;
  const auto g = gen.Greedy(sources, greedy);
  for (float t : {1e-2f, 1e-4f, 1e-6f, 1e-8f, 1e-11f, 1e-15f, 1e-20f, 1e-30f}) {
    for (uint64_t seed : {1, 2, 3}) {
      GenerateOptions o = greedy;
      o.sample = true;
      o.temperature = t;
      o.seed = seed;
      const auto s = gen.Greedy(sources, o);
      for (size_t i = 0; i < s.size(); ++i) {
        EXPECT_EQ(s[i].ids, g[i].ids) << "T " << t << " seed " << seed << " source " << i;
        EXPECT_NEAR(s[i].score, g[i].score, 1e-5) << "T " << t;
      }
    }
  }
}

}  // namespace
}  // namespace edgeseq::runtime
