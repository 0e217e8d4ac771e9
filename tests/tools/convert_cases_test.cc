// Conversion is faithful or refused (issue: "Conversion can never silently
// make a wrong model"): checkpoints shaped like users' (tests/fixtures/
// convert_cases, made by make_convert_cases.py with PyTorch) convert to models
// whose teacher-forced log-probabilities equal PyTorch's, and every setting
// that would otherwise be silently wrong is either read from the file or
// refused with an error naming the flag or the tensor. The CLI's side (exit
// status 2, one line, no output file) is tests/tools/convert_refusals_test.sh.
#include <gtest/gtest.h>
#include <math.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/generator.h"
#include "tools/convert.h"

namespace edgeseq::tools {
namespace {

const std::string kDir = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/convert_cases/";

nlohmann::json Expected() {
  std::ifstream in(kDir + "expected.json");
  return nlohmann::json::parse(in);
}

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-cases-" + std::to_string(getpid()) + "-" + name;
}

// The user's model's true settings, as flags (what a state dict needs).
ConvertOptions AllFlags(const std::string& fixture, const std::string& out) {
  const auto e = Expected();
  ConvertOptions o;
  o.input = kDir + fixture;
  o.output = out;
  o.heads = e["heads"].get<uint32_t>();
  o.norm_first = true;
  o.activation = "gelu";
  o.eps = e["eps"].get<float>();
  o.pad = e["special_ids"]["pad"].get<int32_t>();
  o.bos = e["special_ids"]["bos"].get<int32_t>();
  o.eos = e["special_ids"]["eos"].get<int32_t>();
  o.unk = e["special_ids"]["unk"].get<int32_t>();
  o.decoder_start = *o.bos;
  o.embedding_scale = 4.0f;  // the tutorial's TokenEmbedding: sqrt(16)
  o.src_prefix = std::vector<int32_t>{};  // trained on bare sources
  o.src_suffix = std::vector<int32_t>{};
  o.src_normalize = "none";
  o.quantize = "f32";
  return o;
}

// Converts and checks every pair's log-probability against PyTorch's.
void ExpectScoresMatch(const ConvertOptions& o, const std::string& expected_case, double tolerance = 1e-4) {
  std::ostringstream log;
  Convert(o, log);
  auto model = runtime::Model::Load(o.output);
  runtime::Generator gen(model, runtime::Limits{8, 16, 16});
  std::vector<std::vector<int32_t>> sources, targets;
  std::vector<double> want;
  const nlohmann::json e = Expected();
  for (const auto& c : e["cases"][expected_case]) {
    sources.push_back(c["src"].get<std::vector<int32_t>>());
    targets.push_back(c["tgt"].get<std::vector<int32_t>>());
    want.push_back(c["logprob"].get<double>());
  }
  const std::vector<float> got = gen.Score(sources, targets);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tolerance * (1 + fabs(want[i]))) << o.input << " pair " << i << "\n" << log.str();
  }
  unlink(o.output.c_str());
}

std::string ErrorOf(const ConvertOptions& o) {
  std::ostringstream log;
  try {
    Convert(o, log);
  } catch (const ConvertError& e) {
    EXPECT_EQ(access(o.output.c_str(), F_OK), -1) << "a refused conversion left " << o.output;
    return e.what();
  }
  ADD_FAILURE() << "converted " << o.input << " but should have refused";
  return "";
}

TEST(ConvertCases, WholeModelSettingsComeFromTheFile) {
  // Only the special ids and the embedding scale, which no module records.
  ConvertOptions o = AllFlags("user_whole.pth", Temp("whole.esq"));
  o.heads.reset();
  o.norm_first.reset();
  o.activation.reset();
  o.eps.reset();
  ExpectScoresMatch(o, "user");

  std::ostringstream log;
  o.output = Temp("whole2.esq");
  const ConvertReport r = Convert(o, log);
  std::string summary;
  for (const auto& l : r.settings) summary += l + "\n";
  EXPECT_NE(summary.find("--heads"), std::string::npos) << summary;
  EXPECT_NE(summary.find("self_attn.num_heads"), std::string::npos) << summary;
  EXPECT_NE(summary.find("norm_first"), std::string::npos) << summary;
  EXPECT_NE(summary.find("gelu"), std::string::npos) << summary;
  EXPECT_NE(summary.find("1e-06"), std::string::npos) << summary;
  unlink(o.output.c_str());
}

TEST(ConvertCases, AnActivationModuleIsReadFromTheSubmodule) {
  // nn.GELU(approximate="tanh") in every layer, recorded as submodules.
  ConvertOptions o = AllFlags("whole_gelu_tanh_modules.pth", Temp("gelu-tanh.esq"));
  o.heads.reset();
  o.norm_first.reset();
  o.activation.reset();
  o.eps.reset();
  ExpectScoresMatch(o, "whole_gelu_tanh_modules");
  o = AllFlags("whole_gelu_tanh_modules.pth", Temp("gelu-tanh.esq"));
  o.activation = "relu";
  o.norm_first.reset();
  o.eps.reset();
  const std::string e = ErrorOf(o);
  EXPECT_NE(e.find("--activation relu contradicts"), std::string::npos) << e;
  EXPECT_NE(e.find("gelu_tanh"), std::string::npos) << e;
}

TEST(ConvertCases, AFlagThatContradictsTheFileNamesBoth) {
  ConvertOptions o = AllFlags("user_whole.pth", Temp("contra.esq"));
  o.heads = 2;
  std::string e = ErrorOf(o);
  EXPECT_NE(e.find("--heads 2"), std::string::npos) << e;
  EXPECT_NE(e.find("num_heads is 4"), std::string::npos) << e;
  o = AllFlags("user_whole.pth", Temp("contra.esq"));
  o.eps = 1e-5f;
  e = ErrorOf(o);
  EXPECT_NE(e.find("--eps 1e-05"), std::string::npos) << e;
  EXPECT_NE(e.find("1e-06"), std::string::npos) << e;
  o = AllFlags("user_whole.pth", Temp("contra.esq"));
  o.norm_first = false;
  e = ErrorOf(o);
  EXPECT_NE(e.find("--norm-first false"), std::string::npos) << e;
  o = AllFlags("user_whole.pth", Temp("contra.esq"));
  o.activation = "relu";
  e = ErrorOf(o);
  EXPECT_NE(e.find("--activation relu"), std::string::npos) << e;
}

TEST(ConvertCases, StateDictWithEveryFlagIsFaithfulUnderStrict) {
  ConvertOptions o = AllFlags("user_state_dict.pth", Temp("strict.esq"));
  o.strict = true;
  ExpectScoresMatch(o, "user");
}

TEST(ConvertCases, StrictRefusesEverySettingFromADefault) {
  ConvertOptions o = AllFlags("user_state_dict.pth", Temp("strict-no.esq"));
  o.strict = true;
  o.eps.reset();
  o.embedding_scale.reset();
  o.bos.reset();
  o.decoder_start.reset();
  const std::string e = ErrorOf(o);
  for (const char* flag : {"--eps 1e-05", "--embedding-scale 4", "--bos 2", "--decoder-start 2"}) {
    EXPECT_NE(e.find(flag), std::string::npos) << flag << " in: " << e;
  }
  EXPECT_EQ(e.find("--heads"), std::string::npos) << e;  // given
}

TEST(ConvertCases, DefaultsAreListedInTheSummary) {
  ConvertOptions o = AllFlags("user_state_dict.pth", Temp("summary.esq"));
  o.eps.reset();
  std::ostringstream log;
  const ConvertReport r = Convert(o, log);
  bool found = false;
  for (const auto& l : r.settings) found |= l.find("--eps") != std::string::npos && l.find("default") != std::string::npos;
  EXPECT_TRUE(found);
  unlink(o.output.c_str());
}

TEST(ConvertCases, StateDictWithoutHeadsIsRefused) {
  ConvertOptions o = AllFlags("user_state_dict.pth", Temp("noheads.esq"));
  o.heads.reset();
  EXPECT_NE(ErrorOf(o).find("--heads is required"), std::string::npos);
}

TEST(ConvertCases, BiasFreeLayersConvert) {
  ExpectScoresMatch(AllFlags("bias_free.pth", Temp("bias-free.esq")), "bias_free");
}

// One Parameter for both embeddings: stored once (the shared embedding),
// outputs PyTorch's.
TEST(ConvertCases, TiedEmbeddingsAreStoredOnce) {
  const ConvertOptions o = AllFlags("tied_embeddings.pth", Temp("tied.esq"));
  std::ostringstream log;
  Convert(o, log);
  EXPECT_NE(log.str().find("stored once, as the shared embedding"), std::string::npos) << log.str();
  EXPECT_TRUE(runtime::Model::Load(o.output)->config().shared_embeddings);
  ExpectScoresMatch(o, "tied_embeddings");
}

TEST(ConvertCases, WrapperPrefixIsStripped) {
  ConvertOptions o = AllFlags("user_module_prefix.pth", Temp("prefix.esq"));
  std::ostringstream log;
  Convert(o, log);
  EXPECT_NE(log.str().find("module."), std::string::npos) << log.str();
  ExpectScoresMatch(o, "user");
}

TEST(ConvertCases, AMapCanSayAPartIsZero) {
  ConvertOptions o = AllFlags("qkv_no_key_bias.pth", Temp("qkv.esq"));
  o.map_file = kDir + "qkv_zero_part.json";
  ExpectScoresMatch(o, "qkv_no_key_bias");
}

TEST(ConvertCases, AnOptionalRuleNeverDropsPresentParts) {
  ConvertOptions o = AllFlags("qkv_no_key_bias.pth", Temp("qkv-opt.esq"));
  o.map_file = kDir + "qkv_optional.json";
  const std::string e = ErrorOf(o);
  EXPECT_NE(e.find("k_proj.bias"), std::string::npos) << e;
  EXPECT_NE(e.find("null"), std::string::npos) << e;
}

TEST(ConvertCases, NaNIsRefusedNamingTheTensor) {
  const std::string e = ErrorOf(AllFlags("nan_ffn.pth", Temp("nan.esq")));
  EXPECT_NE(e.find("transformer.encoder.layers.1.linear1.weight"), std::string::npos) << e;
  EXPECT_NE(e.find("NaN"), std::string::npos) << e;
}

TEST(ConvertCases, WeightsBeyondHalfRangeStayF32) {
  ConvertOptions o = AllFlags("beyond_f16.pth", Temp("f16.esq"));
  o.quantize = "f16";  // matmul weights, output projection and embeddings f16
  std::ostringstream log;
  Convert(o, log);
  EXPECT_NE(log.str().find("encoder.embed_tokens.weight stays f32"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("decoder.layers.0.ffn.fc1.weight stays f32"), std::string::npos) << log.str();
  ExpectScoresMatch(o, "beyond_f16_quantize_f16", 2e-4);
}

TEST(ConvertCases, ErrorsNameTheFlagNotTheTemporaryFile) {
  ConvertOptions o = AllFlags("user_state_dict.pth", Temp("flags.esq"));
  o.heads = 3;
  std::string e = ErrorOf(o);
  EXPECT_NE(e.find("--heads 3 does not divide d_model 16"), std::string::npos) << e;
  EXPECT_EQ(e.find(".tmp."), std::string::npos) << e;
  o = AllFlags("user_state_dict.pth", Temp("flags.esq"));
  o.bos = 99;
  o.decoder_start.reset();
  e = ErrorOf(o);
  EXPECT_NE(e.find("--bos 99 is not an id of the target vocabulary"), std::string::npos) << e;
  EXPECT_EQ(e.find(".tmp."), std::string::npos) << e;
  o = AllFlags("user_state_dict.pth", Temp("flags.esq"));
  o.src_tokenizer = "wordpiece:m.txt";
  o.src_vocab_file = kDir + "expected.json";
  e = ErrorOf(o);
  EXPECT_NE(e.find("--src-tokenizer must be whitespace, chars, sentencepiece:FILE, bpe:VOCAB.json,MERGES.txt"), std::string::npos) << e;
  o = AllFlags("user_state_dict.pth", Temp("flags.esq"));
  o.src_tokenizer = "sentencepiece:" + kDir + "no-such.model";
  e = ErrorOf(o);
  EXPECT_NE(e.find("--src-tokenizer: cannot read " + kDir + "no-such.model"), std::string::npos) << e;
  o = AllFlags("user_state_dict.pth", Temp("flags.esq"));
  o.src_tokenizer = "sentencepiece:" + kDir + "expected.json";  // a file, not a SentencePiece model
  e = ErrorOf(o);
  EXPECT_NE(e.find("is not a SentencePiece model"), std::string::npos) << e;
  o = AllFlags("user_state_dict.pth", Temp("flags.esq"));
  o.src_tokenizer = "chars";
  e = ErrorOf(o);
  EXPECT_NE(e.find("--src-vocab"), std::string::npos) << e;
}

TEST(ConvertCases, ALayoutMismatchPointsToMapAndShowsTheFilesPrefixes) {
  // Names the layout does not know at all: --map, and the file's prefixes.
  std::string e = ErrorOf(AllFlags("other_names.pth", Temp("mismatch.esq")));
  EXPECT_NE(e.find("--map"), std::string::npos) << e;
  EXPECT_NE(e.find("seq2seq.transformer.*"), std::string::npos) << e;
  // Some names match, others not (separate q/k/v): the missing ones, and --map.
  e = ErrorOf(AllFlags("qkv_no_key_bias.pth", Temp("mismatch.esq")));
  EXPECT_NE(e.find("in_proj_weight"), std::string::npos) << e;
  EXPECT_NE(e.find("--map"), std::string::npos) << e;
}

TEST(ConvertCases, ListShowsContainerAndTensors) {
  std::ostringstream out;
  ListCheckpoint(kDir + "user_whole.pth", "", out);
  const std::string s = out.str();
  EXPECT_NE(s.find("pickled object"), std::string::npos) << s;
  const size_t at = s.find("transformer.encoder.layers.0.linear1.weight ");
  ASSERT_NE(at, std::string::npos) << s;
  EXPECT_NE(s.substr(at, s.find('\n', at) - at).find("  float32  [32, 16]"), std::string::npos) << s;
  EXPECT_NE(s.find("heads 4"), std::string::npos) << s;
}

}  // namespace
}  // namespace edgeseq::tools
