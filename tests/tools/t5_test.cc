// T5 (v1.0: ReLU, tied) and T5 v1.1 (gated GELU, untied lm_head) from their
// Hugging Face layout (tests/fixtures/make_t5.py): converted with the T5
// mapping and settings, the runtime's teacher-forced log-probabilities and
// greedy and beam-4 outputs against the PyTorch reference; int8 drift
// measured.
#include <gtest/gtest.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loaders/esq_error.h"
#include "loaders/esq_reader.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/relative_position.h"
#include "tests/alloc_counter.h"
#include "tests/loaders/esq_fixture.h"
#include "tools/convert.h"
#include "tools/convert_t5.h"

namespace edgeseq::tools {
namespace {

const std::string kDir = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/t5/";

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in);
}

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-t5-" + std::to_string(getpid()) + "-" + name;
}

std::vector<uint8_t> Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The converter's flags for a T5 config, as a user passes them with --map.
ConvertOptions MapOptions(const std::string& model, const std::string& quantize, const std::string& out) {
  const auto config = ReadJson(kDir + model + "/config.json");
  const bool gated = config["feed_forward_proj"] == "gated-gelu";
  ConvertOptions o;
  o.input = kDir + model + "/model.safetensors";
  o.output = out;
  o.map_file = std::string(EDGESEQ_SOURCE_DIR) + "/examples/mappings/" + (gated ? "t5-v1_1.json" : "t5.json");
  // The example files say max distance 128 (every published T5); another
  // config's value goes into a copy, as a user would edit it.
  auto mapping = ReadJson(o.map_file);
  if (mapping["model"]["relative_max_distance"] != config["relative_attention_max_distance"]) {
    mapping["model"]["relative_max_distance"] = config["relative_attention_max_distance"];
    o.map_file = out + ".map.json";
    std::ofstream(o.map_file) << mapping.dump(1);
  }
  o.heads = config["num_heads"].get<uint32_t>();
  o.norm_first = true;
  o.activation = gated ? "gelu_tanh" : "relu";
  o.eps = 1e-6f;
  o.pad = 0;
  o.eos = 1;
  o.bos = -1;
  o.unk = 2;
  o.decoder_start = 0;
  o.embedding_scale = 1.0f;
  o.max_positions = 512;
  o.src_prefix = std::vector<int32_t>{};
  o.src_suffix = std::vector<int32_t>{1};
  o.src_normalize = "none";
  o.quantize = quantize;
  o.strict = true;
  o.quiet = true;
  return o;
}

TEST(T5, BucketsEqualTheReference) {
  const auto e = ReadJson(kDir + "expected.json");
  for (const auto& b : e["buckets"]) {
    const auto want = b["buckets"].get<std::vector<uint32_t>>();
    const int64_t first = b["first"].get<int64_t>();
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(runtime::RelativePositionBucket(first + static_cast<int64_t>(i), b["bidirectional"].get<bool>(),
                                                b["num_buckets"].get<uint32_t>(), b["max_distance"].get<uint32_t>()),
                want[i])
          << "relative " << first + static_cast<int64_t>(i) << " " << b.dump().substr(0, 80);
    }
  }
  // Degenerate settings stay in range.
  for (uint32_t nb : {1u, 2u, 3u}) {
    for (uint32_t md : {1u, 2u, 100u}) {
      for (int64_t r : {-500, -3, -1, 0, 1, 5, 500}) {
        EXPECT_LT(runtime::RelativePositionBucket(r, true, nb, md), nb);
        EXPECT_LT(runtime::RelativePositionBucket(r, false, nb, md), nb);
      }
    }
  }
}

TEST(T5, MappingFilesAreTheCodesMapping) {
  EXPECT_EQ(ReadJson(std::string(EDGESEQ_SOURCE_DIR) + "/examples/mappings/t5.json"), T5MappingJson(false, 128));
  EXPECT_EQ(ReadJson(std::string(EDGESEQ_SOURCE_DIR) + "/examples/mappings/t5-v1_1.json"), T5MappingJson(true, 128));
}

// FromT5Config gives the same file as the mapping file with the flags.
TEST(T5, FromConfigEqualsMapAndFlags) {
  for (const std::string model : {"v1_0", "v1_1"}) {
    const std::string a = Temp(model + "-map.esq"), b = Temp(model + "-config.esq");
    std::ostringstream log;
    ConvertOptions o = MapOptions(model, "f32", a);
    Convert(o, log);
    if (o.map_file.rfind(a, 0) == 0) remove(o.map_file.c_str());
    const T5Settings t = FromT5Config(ReadJson(kDir + model + "/config.json"));
    ConvertOptions p;
    p.input = o.input;
    p.output = b;
    p.quantize = "f32";
    p.strict = true;
    p.quiet = true;
    ApplyT5Settings(t, p);
    if (model == "v1_1") {
      // Its distance (16) differs from the example file's (128): the header records it.
      EXPECT_EQ(t.mapping.model.relative_max_distance, 16u);
    }
    Convert(p, log);
    const auto fa = loaders::EsqFile::Open(a), fb = loaders::EsqFile::Open(b);
    EXPECT_EQ(fb.config().relative_num_buckets, model == "v1_0" ? 32 : 8);
    EXPECT_EQ(fb.config().relative_max_distance, model == "v1_0" ? 128 : 16);
    if (model == "v1_0") {
      EXPECT_EQ(Bytes(a), Bytes(b)) << model;
    }
    remove(a.c_str());
    remove(b.c_str());
  }
  nlohmann::json bad = ReadJson(kDir + "v1_0/config.json");
  bad["d_kv"] = 8;
  EXPECT_THROW(FromT5Config(bad), ConvertError);
  bad = ReadJson(kDir + "v1_0/config.json");
  bad["feed_forward_proj"] = "gated-tanh";
  EXPECT_THROW(FromT5Config(bad), ConvertError);
}

struct Agreement {
  double max_rel = 0, max_abs = 0, sum_abs = 0;
  size_t tokens = 0, greedy_checked = 0, greedy_equal = 0, greedy_sequences_equal = 0, sequences = 0;
};

// Scores every case's target and decodes every source greedily.
Agreement Measure(const std::string& model_path, const nlohmann::json& cases) {
  const auto model = runtime::Model::Load(model_path);
  runtime::Limits limits;
  limits.max_batch = 4;
  limits.max_source = 64;
  limits.max_target = 64;
  runtime::Generator gen(model, limits);
  Agreement a;
  for (const auto& c : cases) {
    const auto src = c["source"].get<std::vector<int32_t>>();
    const auto tgt = c["target"].get<std::vector<int32_t>>();
    const auto want = c["target_logprobs"].get<std::vector<double>>();
    const auto got = gen.ScoreTokens({src}, {tgt})[0];
    EXPECT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
      const double d = fabs(got[i] - want[i]);
      a.max_rel = std::max(a.max_rel, d / std::max(1.0, fabs(want[i])));
      a.max_abs = std::max(a.max_abs, d);
      a.sum_abs += d;
      ++a.tokens;
    }
    runtime::GenerateOptions g;
    g.max_length = 24;
    const auto hyp = gen.Greedy({src}, g)[0];
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    const auto margins = c["greedy_margins"].get<std::vector<double>>();
    // Compared up to the first step whose top two are too close to call
    // (after it, the reference itself could go either way).
    bool all = true;
    for (size_t i = 0; i < greedy.size(); ++i) {
      if (margins[i] < 1e-3) {
        all = false;
        break;
      }
      ++a.greedy_checked;
      // The reference lists the EOS it ends on; Hypothesis::ids stops before it.
      const bool same = greedy[i] == 1 ? hyp.ids.size() == i : i < hyp.ids.size() && hyp.ids[i] == greedy[i];
      if (same) {
        ++a.greedy_equal;
      } else {
        all = false;
        break;
      }
    }
    ++a.sequences;
    std::vector<int32_t> want_ids = greedy;
    if (!want_ids.empty() && want_ids.back() == 1) want_ids.pop_back();
    if (all && hyp.ids == want_ids) ++a.greedy_sequences_equal;
  }
  return a;
}

class T5Parity : public testing::TestWithParam<std::string> {};

TEST_P(T5Parity, F32MatchesPyTorchAndInt8DriftIsMeasured) {
  const std::string model = GetParam();
  const auto cases = ReadJson(kDir + "expected.json")["models"][model]["cases"];
  for (const std::string q : {"f32", "int8"}) {
    const std::string out = Temp(model + "-" + q + ".esq");
    std::ostringstream log;
    const ConvertOptions o = MapOptions(model, q, out);
    ASSERT_NO_THROW(Convert(o, log)) << log.str();
    if (o.map_file.rfind(out, 0) == 0) remove(o.map_file.c_str());  // MapOptions' edited copy
    const auto f = loaders::EsqFile::Open(out, true);
    EXPECT_EQ(f.minor_version(), 3);
    EXPECT_EQ(f.config().norm_type, loaders::NormType::kRMSNorm);
    EXPECT_EQ(f.config().relative_attention, loaders::RelativeAttention::kT5Buckets);
    EXPECT_EQ(f.config().ffn_kind, model == "v1_1" ? loaders::FfnKind::kGated : loaders::FfnKind::kPlain);
    EXPECT_EQ(f.config().tied_output, model == "v1_0");
    if (model == "v1_1") {
      // The gated FFN's second branch is a matmul weight like the others.
      EXPECT_EQ(f.Find("decoder.layers.0.ffn.fc1_linear.weight")->dtype,
                q == "int8" ? loaders::DType::kI8 : loaders::DType::kF32);
    }
    const Agreement a = Measure(out, cases);
    printf("[ T5 %s %s ] teacher-forced |d log p|: max %.3g (relative %.3g), mean %.3g over %zu tokens; greedy: %zu/%zu "
           "checked steps equal, %zu/%zu sequences whole\n",
           model.c_str(), q.c_str(), a.max_abs, a.max_rel, a.sum_abs / a.tokens, a.tokens, a.greedy_equal, a.greedy_checked,
           a.greedy_sequences_equal, a.sequences);
    if (q == "f32") {
      EXPECT_LE(a.max_rel, 1e-4);
      EXPECT_EQ(a.greedy_equal, a.greedy_checked);
    } else {
      // int8 (7-bit weights, 8-bit activations): measured, loosely bounded.
      EXPECT_LE(a.sum_abs / a.tokens, 0.2);
    }
    remove(out.c_str());
  }
}

// The checkpoint directory alone (config.json's model_type picks T5, as for
// the other Hugging Face families: tools/convert_hf.h) converts to the same
// model: f32 within 1e-4 of PyTorch, greedy equal.
TEST_P(T5Parity, DirectoryAloneConverts) {
  const std::string model = GetParam();
  const std::string out = Temp(model + "-dir.esq");
  ConvertOptions o;
  o.input = kDir + model;
  o.output = out;
  o.quantize = "f32";
  o.quiet = true;
  std::ostringstream log;
  ASSERT_NO_THROW(Convert(o, log)) << log.str();
  const Agreement a = Measure(out, ReadJson(kDir + "expected.json")["models"][model]["cases"]);
  EXPECT_LE(a.max_rel, 1e-4);
  EXPECT_GT(a.greedy_checked, 0u);
  EXPECT_EQ(a.greedy_equal, a.greedy_checked);
  remove(out.c_str());
}

// Beam 4 (length penalty 1, four hypotheses) against the reference's beam
// search under the same rules: each hypothesis whose rank is clear of its
// neighbours' has the reference's ids and score (f32).
TEST_P(T5Parity, Beam4MatchesTheReference) {
  const std::string model = GetParam();
  const auto cases = ReadJson(kDir + "expected.json")["models"][model]["cases"];
  const std::string out = Temp(model + "-beam.esq");
  std::ostringstream log;
  const ConvertOptions o = MapOptions(model, "f32", out);
  Convert(o, log);
  if (o.map_file.rfind(out, 0) == 0) remove(o.map_file.c_str());
  runtime::Limits limits;
  limits.max_batch = 8;
  limits.max_source = 64;
  limits.max_target = 16;
  limits.max_beam = 4;
  runtime::Generator gen(runtime::Model::Load(out), limits);
  std::vector<std::vector<int32_t>> sources;
  for (const auto& c : cases) sources.push_back(c["source"].get<std::vector<int32_t>>());
  runtime::GenerateOptions g;
  g.max_length = 12;
  g.beam = 4;
  g.length_penalty = 1.0f;
  g.num_hypotheses = 4;
  const auto got = gen.Generate(sources, g);  // one batch, unequal lengths
  size_t compared = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& want = cases[i]["beam4"];
    ASSERT_EQ(got[i].size(), want.size()) << "case " << i;
    for (size_t h = 0; h < want.size(); ++h) {
      const double r = want[h]["rank"];
      const double gap = std::min(h > 0 ? fabs(r - want[h - 1]["rank"].get<double>()) : 1e9,
                                  h + 1 < want.size() ? fabs(r - want[h + 1]["rank"].get<double>()) : 1e9);
      if (gap <= 1e-4) continue;
      ++compared;
      EXPECT_EQ(got[i][h].ids, want[h]["ids"].get<std::vector<int32_t>>()) << model << " case " << i << " hyp " << h;
      const double w = want[h]["score"];
      EXPECT_NEAR(got[i][h].score, w, 1e-4 * std::max(1.0, fabs(w))) << model << " case " << i << " hyp " << h;
    }
  }
  printf("[ T5 %s f32 ] beam 4: %zu of %zu hypotheses clear of their neighbours compared\n", model.c_str(), compared,
         4 * got.size());
  EXPECT_GE(compared, 10u);
  remove(out.c_str());
}

INSTANTIATE_TEST_SUITE_P(Models, T5Parity, testing::Values("v1_0", "v1_1"));

// The relative bias rows and the gated FFN's second branch are planned in
// the Workspace: a decode of 40 steps allocates as much as one of 2
// (tests/runtime/allocation_test.cc's check, on both T5 variants).
TEST(T5, DecodeLoopAllocatesNothingPerStep) {
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  for (const std::string model : {"v1_0", "v1_1"}) {
    for (const std::string q : {"int8", "f32"}) {
      const std::string out = Temp(model + "-alloc-" + q + ".esq");
      std::ostringstream log;
      const ConvertOptions o = MapOptions(model, q, out);
      Convert(o, log);
      if (o.map_file.rfind(out, 0) == 0) remove(o.map_file.c_str());
      runtime::Generator gen(runtime::Model::Load(out), runtime::Limits{1, 16, 40});
      auto allocations = [&](size_t steps) {
        runtime::GenerateOptions g;
        g.max_length = g.min_length = steps;  // no early EOS
        const std::vector<std::vector<int32_t>> src = {{4, 19, 6, 8, 10, 1}};
        gen.Generate(src, g);  // warm-up: first-use caches
        test::StartCountingAllocations();
        gen.Generate(src, g);
        return test::StopCountingAllocations();
      };
      const size_t short_run = allocations(2), long_run = allocations(40);
      EXPECT_EQ(long_run, short_run) << model << " " << q;
      remove(out.c_str());
    }
  }
}

// Mapping mistakes are refused in one line naming the cause.
TEST(T5, MappingMistakesAreRefused) {
  const std::string out = Temp("refused.esq");
  auto convert_with = [&](const std::function<void(nlohmann::json&)>& edit) -> std::string {
    ConvertOptions o = MapOptions("v1_0", "f32", out);
    auto mapping = ReadJson(o.map_file);
    edit(mapping);
    o.map_file = out + ".map.json";
    std::ofstream(o.map_file) << mapping.dump(1);
    std::ostringstream log;
    std::string error;
    try {
      Convert(o, log);
    } catch (const ConvertError& e) {
      error = e.what();
    }
    remove(o.map_file.c_str());
    return error;
  };
  EXPECT_NE(convert_with([](auto& m) { m["model"].erase("relative_max_distance"); }).find("relative_max_distance"),
            std::string::npos);
  EXPECT_NE(convert_with([](auto& m) { m["tensors"].erase("decoder.relative_attention_bias.weight"); })
                .find("both tables"),
            std::string::npos);
  // An alias of another tensor than the one it copies.
  EXPECT_NE(convert_with([](auto& m) { m["aliases"]["encoder.embed_tokens.weight"] = "lm_head.weight"; })
                .find("alias"),
            std::string::npos);
  EXPECT_NE(convert_with([](auto& m) {
              m["aliases"]["encoder.embed_tokens.weight"] = "encoder.final_layer_norm.weight";
            }).find("differs"),
            std::string::npos);
  EXPECT_NE(convert_with([](auto& m) { m["model"]["norm"] = "batch"; }).find("\"norm\""), std::string::npos);
  remove(out.c_str());
}

// A damaged 1.3 header or table is a clean error on load.
TEST(T5, DamagedHeaderIsRefused) {
  const std::string out = Temp("damage.esq");
  std::ostringstream log;
  Convert(MapOptions("v1_0", "f32", out), log);
  const auto good = Bytes(out);
  remove(out.c_str());
  const size_t h = test::EsqLayout(good).Get(loaders::SectionKind::kHeader).offset;
  auto expect_refused = [&](std::vector<uint8_t> b, const char* what) {
    test::FixChecksums(b);
    try {
      runtime::Model::FromBytes(b.data(), b.size(), "damaged.esq");
      ADD_FAILURE() << what << ": loaded";
    } catch (const loaders::EsqError& e) {
      EXPECT_NE(std::string(e.what()).find("relative"), std::string::npos) << what << ": " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": " << e.what();
    }
  };
  auto b = good;
  test::Poke<uint16_t>(b, h + 130, 0);
  expect_refused(b, "num_buckets 0");
  b = good;
  test::Poke<uint16_t>(b, h + 130, 2000);
  expect_refused(b, "num_buckets 2000");
  b = good;
  test::Poke<uint16_t>(b, h + 132, 0);
  expect_refused(b, "max_distance 0");
  b = good;
  test::Poke<uint16_t>(b, h + 130, 31);  // the tables hold 32 rows
  expect_refused(b, "table shape");
  b = good;
  b[h + 128] = 7;
  expect_refused(b, "relative kind 7");
  // A 1.2 reader refuses the file: bit 5 of the flags, which it rejects.
  EXPECT_EQ(good[h + 36] & loaders::kHeaderFlagNeedsV1_3, loaders::kHeaderFlagNeedsV1_3);
}

}  // namespace
}  // namespace edgeseq::tools
