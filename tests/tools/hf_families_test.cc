// edgeseq-convert on Hugging Face checkpoint directories (issue 19): tiny
// random Marian, BART, mBART and M2M100 models written as save_pretrained
// writes them (tests/fixtures/hf_families, made by make_hf_families.py:
// single, sharded safetensors and pytorch_model.bin) convert with the
// directory alone, and the converted f32 models give the reference forward
// pass's per-token log-probabilities and greedy outputs; int8's drift is
// measured and printed. Bad directories are refused in one line, leaving
// no output file.
#include <gtest/gtest.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loaders/esq_reader.h"
#include "runtime/generator.h"
#include "tools/convert.h"

namespace edgeseq::tools {
namespace {

const std::string kDir = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/hf_families/";
const char* kFamilies[] = {"marian", "bart", "mbart", "m2m_100", "marian_separate"};

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-hf-" + std::to_string(getpid()) + "-" + name;
}

nlohmann::json Expected(const std::string& family) {
  std::ifstream in(kDir + family + "/expected.json");
  return nlohmann::json::parse(in);
}

std::string ConvertFamily(const std::string& family, const std::string& quantize, std::string* log_text = nullptr) {
  ConvertOptions o;
  o.input = kDir + family;
  o.output = Temp(family + "-" + quantize + ".esq");
  o.quantize = quantize;
  o.strict = true;  // every setting comes from the directory...
  o.src_normalize = "none";  // ...but text normalization, which is the tokenizer's (not read yet)
  std::ostringstream log;
  Convert(o, log);
  if (log_text) *log_text = log.str();
  return o.output;
}

// The largest |Δ log p| per token, relative to 1 + |log p|, of `esq` against
// the reference; `tolerance` fails the test when exceeded (< 0: measure only).
double CompareTokenLogprobs(const std::string& family, const std::string& esq, double tolerance) {
  const auto e = Expected(family);
  auto model = runtime::Model::Load(esq);
  runtime::Generator gen(model, runtime::Limits{8, 16, 16, 1});
  std::vector<std::vector<int32_t>> sources, targets;
  for (const auto& c : e["cases"]) {
    sources.push_back(c["src"].get<std::vector<int32_t>>());
    targets.push_back(c["tgt"].get<std::vector<int32_t>>());
  }
  const auto got = gen.ScoreTokens(sources, targets);
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto want = e["cases"][i]["token_logprobs"].get<std::vector<double>>();
    EXPECT_EQ(got[i].size(), want.size());
    for (size_t k = 0; k < got[i].size() && k < want.size(); ++k) {
      const double rel = fabs(got[i][k] - want[k]) / (1 + fabs(want[k]));
      worst = std::max(worst, rel);
      if (tolerance >= 0) {
        EXPECT_LE(rel, tolerance) << family << " pair " << i << " token " << k;
      }
    }
  }
  return worst;
}

// Greedy outputs: the family's conventions come from the model where it
// records them (BART's forced <s>, Marian's pad never generated), else as
// options (a target language as a target prefix): identical to the reference
// up to the first step whose top-two margin is below `margin`.
// Returns how many cases matched whole.
size_t CompareGreedy(const std::string& family, const std::string& esq, double margin, bool expect) {
  const auto e = Expected(family);
  auto model = runtime::Model::Load(esq);
  runtime::Generator gen(model, runtime::Limits{1, 16, 16, 1});
  size_t whole = 0;
  for (const auto& c : e["cases"]) {
    runtime::GenerateOptions opt;
    opt.max_length = e["max_steps"].get<size_t>();
    if (!c["forced"].is_null() && model->config().forced_bos_id < 0) {
      opt.target_prefix = {{c["forced"].get<int32_t>()}};
    }
    const auto got = gen.Generate({c["src"].get<std::vector<int32_t>>()}, opt)[0][0].ids;
    const auto want = c["greedy"].get<std::vector<int32_t>>();
    const auto margins = c["greedy_margins"].get<std::vector<double>>();
    // Tokens decided by a clear margin (the forced one always).
    const size_t forced = c["forced"].is_null() ? 0 : 1;
    size_t sure = forced;
    while (sure - forced < margins.size() && margins[sure - forced] >= margin) ++sure;
    const bool all_sure = sure - forced == margins.size();
    if (got == want) ++whole;
    if (!expect) continue;
    if (all_sure) {
      EXPECT_EQ(got, want) << family << " source " << c["src"].dump();
    } else {
      // Up to the first close call only.
      const size_t n = std::min(sure, want.size());
      EXPECT_TRUE(got.size() >= n && std::equal(want.begin(), want.begin() + static_cast<long>(n), got.begin()))
          << family << " source " << c["src"].dump();
    }
  }
  return whole;
}

// Beam 4 (length penalty 1), the family's conventions as in CompareGreedy:
// the best hypothesis against the reference beam search's. Returns how many
// sources agree on the ids; with `expect`, scores within 1e-4 relative too.
size_t CompareBeam(const std::string& family, const std::string& esq, bool expect) {
  const auto e = Expected(family);
  auto model = runtime::Model::Load(esq);
  runtime::Generator gen(model, runtime::Limits{1, 16, 16, 4});
  size_t same = 0;
  for (const auto& c : e["cases"]) {
    runtime::GenerateOptions opt;
    opt.max_length = e["max_steps"].get<size_t>();
    opt.beam = 4;
    if (!c["forced"].is_null() && model->config().forced_bos_id < 0) {
      opt.target_prefix = {{c["forced"].get<int32_t>()}};
    }
    const auto got = gen.Generate({c["src"].get<std::vector<int32_t>>()}, opt)[0][0];
    const auto want = c["beam4"]["ids"].get<std::vector<int32_t>>();
    const double score = c["beam4"]["score"].get<double>();
    same += got.ids == want;
    if (expect) {
      EXPECT_EQ(got.ids, want) << family << " source " << c["src"].dump();
      EXPECT_NEAR(got.score, score, 1e-4 * (1 + fabs(score))) << family << " source " << c["src"].dump();
    }
  }
  return same;
}

TEST(HfFamilies, F32MatchesTheReference) {
  for (const char* family : kFamilies) {
    SCOPED_TRACE(family);
    std::string log;
    const std::string esq = ConvertFamily(family, "f32", &log);
    const double worst = CompareTokenLogprobs(family, esq, 1e-4);
    const size_t whole = CompareGreedy(family, esq, 1e-3, true);
    const size_t beam = CompareBeam(family, esq, true);
    printf("%s f32: worst per-token |d log p| / (1 + |log p|) %.2e; greedy identical %zu/%zu, beam 4 %zu/%zu\n",
           family, worst, whole, Expected(family)["cases"].size(), beam, Expected(family)["cases"].size());
    unlink(esq.c_str());
  }
}

TEST(HfFamilies, Int8DriftIsMeasured) {
  for (const char* family : kFamilies) {
    SCOPED_TRACE(family);
    const std::string esq = ConvertFamily(family, "int8");
    const double worst = CompareTokenLogprobs(family, esq, -1);
    const size_t whole = CompareGreedy(family, esq, 0, false);
    const size_t beam = CompareBeam(family, esq, false);
    printf("%s int8: worst per-token |d log p| / (1 + |log p|) %.2e; greedy identical %zu/%zu, beam 4 %zu/%zu\n",
           family, worst, whole, Expected(family)["cases"].size(), beam, Expected(family)["cases"].size());
    EXPECT_LT(worst, 0.1);  // a gross mapping error shows as O(1)
    unlink(esq.c_str());
  }
}

// A tied output projection is the target embedding: with int8 matmuls the
// table is int8 by default (an int8 projection, as CTranslate2's int8), f16
// when asked; --output-projection does not apply to it.
TEST(HfFamilies, TiedOutputIsInt8WithInt8Matmuls) {
  std::string log;
  const std::string esq = ConvertFamily("marian", "int8", &log);
  const auto f = loaders::EsqFile::Open(esq);
  ASSERT_TRUE(f.config().tied_output);
  EXPECT_EQ(f.Find("encoder.embed_tokens.weight")->dtype, loaders::DType::kI8);
  EXPECT_NE(log.find("embeddings stored int8"), std::string::npos) << log;
  unlink(esq.c_str());
  ConvertOptions o;
  o.input = kDir + std::string("marian");
  o.output = Temp("marian-tied-f16.esq");
  o.quantize = "int8";
  o.embeddings = "f16";
  o.quiet = true;
  std::ostringstream quiet;
  Convert(o, quiet);
  EXPECT_EQ(loaders::EsqFile::Open(o.output).Find("encoder.embed_tokens.weight")->dtype, loaders::DType::kF16);
  unlink(o.output.c_str());
  o.embeddings.clear();
  o.output_projection = "int8";
  try {
    Convert(o, quiet);
    ADD_FAILURE() << "--output-projection on a tied model was accepted";
  } catch (const ConvertError& e) {
    EXPECT_NE(std::string(e.what()).find("--output-projection does not apply"), std::string::npos) << e.what();
  }
  EXPECT_NE(access(o.output.c_str(), F_OK), 0);
}

TEST(HfFamilies, HeaderRecordsTheFamilysConventions) {
  const auto marian = loaders::EsqFile::Open(ConvertFamily("marian", "f32"));
  EXPECT_EQ(marian.config().norm_placement, loaders::NormPlacement::kPost);
  EXPECT_EQ(marian.config().position_kind, loaders::PositionKind::kSinusoidalConcat);
  EXPECT_EQ(marian.config().position_frequencies, loaders::PositionFrequencies::kPaper);
  EXPECT_EQ(marian.config().activation, loaders::ActivationKind::kSiLU);
  EXPECT_EQ(marian.config().decoder_start_id, 47);
  EXPECT_EQ(marian.config().src_suffix, std::vector<int32_t>{0});
  EXPECT_TRUE(marian.config().shared_embeddings && marian.config().tied_output);
  EXPECT_NE(marian.Find("decoder.output_projection.bias"), nullptr);  // final_logits_bias
  EXPECT_TRUE(marian.config().never_generate_pad);  // bad_words_ids [[pad]]
  EXPECT_EQ(marian.config().forced_bos_id, -1);
  const auto bart = loaders::EsqFile::Open(ConvertFamily("bart", "f32"));
  EXPECT_EQ(bart.config().position_kind, loaders::PositionKind::kLearned);
  EXPECT_FALSE(bart.config().shared_positions);
  EXPECT_EQ(bart.config().max_positions, 64u);
  EXPECT_TRUE(bart.config().encoder_embed_norm && bart.config().decoder_embed_norm);
  EXPECT_FLOAT_EQ(bart.config().embedding_scale, 1.0f);
  EXPECT_EQ(bart.config().src_prefix, std::vector<int32_t>{0});
  EXPECT_EQ(bart.config().forced_bos_id, 0);  // generation_config.json forced_bos_token_id
  EXPECT_FALSE(bart.config().never_generate_pad);
  const auto m2m = loaders::EsqFile::Open(ConvertFamily("m2m_100", "f32"));
  EXPECT_EQ(m2m.config().norm_placement, loaders::NormPlacement::kPre);
  EXPECT_TRUE(m2m.config().encoder_final_norm && m2m.config().decoder_final_norm);
  EXPECT_EQ(m2m.config().position_frequencies, loaders::PositionFrequencies::kTensor2Tensor);
  EXPECT_EQ(m2m.config().position_offset, 2u);  // padding_idx 1 + 1
  EXPECT_EQ(m2m.config().activation, loaders::ActivationKind::kReLU);
  EXPECT_FALSE(m2m.config().encoder_embed_norm);
  const auto sep = loaders::EsqFile::Open(ConvertFamily("marian_separate", "f32"));
  EXPECT_EQ(sep.config().src_vocab_size, 48u);
  EXPECT_EQ(sep.config().tgt_vocab_size, 40u);
  EXPECT_FALSE(sep.config().shared_embeddings);
  EXPECT_TRUE(sep.config().tied_output);
  for (const char* f : {"marian", "bart", "m2m_100", "marian_separate"}) {
    unlink(Temp(std::string(f) + "-f32.esq").c_str());
  }
}

TEST(HfFamilies, ForcedFirstTokenIsTheDefaultPrefix) {
  // BART records forced_bos_token_id 0: every source given no prefix (an
  // empty one included) starts with it; a caller's prefix replaces it.
  const std::string esq = ConvertFamily("bart", "f32");
  auto model = runtime::Model::Load(esq);
  runtime::Generator gen(model, runtime::Limits{2, 16, 16, 1});
  const std::vector<std::vector<int32_t>> sources = {{0, 37, 2}, {0, 10, 23, 5, 2}};
  runtime::GenerateOptions opt;
  opt.max_length = 4;
  for (const auto& hyps : gen.Generate(sources, opt)) EXPECT_EQ(hyps[0].ids.at(0), 0);
  opt.target_prefix = {{}, {7, 8}};
  const auto got = gen.Generate(sources, opt);
  EXPECT_EQ(got[0][0].ids.at(0), 0);
  EXPECT_EQ(std::vector<int32_t>(got[1][0].ids.begin(), got[1][0].ids.begin() + 2), (std::vector<int32_t>{7, 8}));
  unlink(esq.c_str());
}

// A scratch directory of (name, bytes) files, removed at the end.
struct ScratchDir {
  std::string dir;
  std::vector<std::string> files;
  explicit ScratchDir(const std::string& name) : dir(Temp(name)) { mkdir(dir.c_str(), 0755); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    files.push_back(name);
  }
  void Copy(const std::string& from, const std::string& name) {
    std::ifstream in(from, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Write(name, ss.str());
  }
  ~ScratchDir() {
    for (const auto& f : files) unlink((dir + "/" + f).c_str());
    rmdir(dir.c_str());
  }
};

std::string ErrorOf(const std::string& dir) {
  ConvertOptions o;
  o.input = dir;
  o.output = Temp("refused.esq");
  std::ostringstream log;
  try {
    Convert(o, log);
  } catch (const ConvertError& e) {
    EXPECT_EQ(access(o.output.c_str(), F_OK), -1) << "a refused conversion left " << o.output;
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "converted " << dir << " but should have refused";
  unlink(o.output.c_str());
  return "";
}

std::string ConfigWith(const std::string& family, const std::string& key, const nlohmann::json& value) {
  std::ifstream in(kDir + family + "/config.json");
  nlohmann::json c = nlohmann::json::parse(in);
  c[key] = value;
  return c.dump();
}

TEST(HfFamilies, UnknownModelTypeIsNamed) {
  ScratchDir d("t5");
  d.Write("config.json", ConfigWith("marian", "model_type", "pegasus"));
  d.Copy(kDir + "marian/model.safetensors", "model.safetensors");
  const std::string e = ErrorOf(d.dir);
  EXPECT_NE(e.find("'pegasus'"), std::string::npos) << e;
  EXPECT_NE(e.find("marian"), std::string::npos) << e;
}

TEST(HfFamilies, MissingTensorIsNamed) {
  ScratchDir d("missing");
  d.Copy(kDir + "marian/config.json", "config.json");
  // Marian's weights with one tensor renamed in the safetensors header (a
  // name of the same length: the offsets stay valid).
  std::ifstream in(kDir + "marian/model.safetensors", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  const size_t at = bytes.find("model.encoder.layers.1.fc1.weight");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 25] = '9';  // fc1 -> fc9
  d.Write("model.safetensors", bytes);
  const std::string e = ErrorOf(d.dir);
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
  EXPECT_NE(e.find("model.encoder.layers.1.fc1.weight"), std::string::npos) << e;
}

TEST(HfFamilies, IndexNamingAMissingShardIsRefused) {
  ScratchDir d("shard");
  d.Copy(kDir + "bart/config.json", "config.json");
  d.Copy(kDir + "bart/model.safetensors.index.json", "model.safetensors.index.json");
  d.Copy(kDir + "bart/model-00001-of-00002.safetensors", "model-00001-of-00002.safetensors");
  const std::string e = ErrorOf(d.dir);
  EXPECT_NE(e.find("model-00002-of-00002.safetensors"), std::string::npos) << e;
}

TEST(HfFamilies, WeightFilesAreCheckedBeforeUse) {
  ScratchDir d("weights");
  d.Copy(kDir + "bart/config.json", "config.json");
  EXPECT_NE(ErrorOf(d.dir).find("no weights"), std::string::npos);
  // A shard outside the directory is never opened.
  d.Write("model.safetensors.index.json", R"({"weight_map": {"final_logits_bias": "../model.safetensors"}})");
  EXPECT_NE(ErrorOf(d.dir).find("is not a file name in"), std::string::npos);
  // A shard tensor the index does not name.
  d.Copy(kDir + "bart/model-00001-of-00002.safetensors", "model-00001-of-00002.safetensors");
  d.Write("model.safetensors.index.json",
          R"({"weight_map": {"final_logits_bias": "model-00001-of-00002.safetensors"}})");
  EXPECT_NE(ErrorOf(d.dir).find("does not name"), std::string::npos);
}

TEST(HfFamilies, ConfigValuesAreChecked) {
  ScratchDir d("config");
  d.Write("config.json", ConfigWith("marian", "d_model", -16));
  d.Copy(kDir + "marian/model.safetensors", "model.safetensors");
  EXPECT_NE(ErrorOf(d.dir).find("d_model"), std::string::npos);
  d.Write("config.json", ConfigWith("marian", "encoder_layers", 3));
  EXPECT_NE(ErrorOf(d.dir).find("encoder_layers"), std::string::npos);
  d.Write("config.json", ConfigWith("marian", "activation_function", "gelu_fast"));
  EXPECT_NE(ErrorOf(d.dir).find("gelu_fast"), std::string::npos);
  d.Write("config.json", ConfigWith("marian", "eos_token_id", "</s>"));
  EXPECT_NE(ErrorOf(d.dir).find("eos_token_id is not an integer"), std::string::npos);
  // A list of end ids: the first is the EOS.
  d.Write("config.json", ConfigWith("marian", "eos_token_id", nlohmann::json::array({5, 0})));
  ConvertOptions o;
  o.input = d.dir;
  o.output = Temp("eos-list.esq");
  std::ostringstream log;
  Convert(o, log);
  EXPECT_EQ(loaders::EsqFile::Open(o.output).config().eos_id, 5);
  EXPECT_NE(log.str().find("lists 2 end ids"), std::string::npos) << log.str();
  unlink(o.output.c_str());
}

}  // namespace
}  // namespace edgeseq::tools
