// edgeseq-convert: every role equals PyTorch's tensor (f32) or is within the
// quantization bound (int8, f16); every way of saving gives the same file;
// bad input gives one clear error and leaves no output.
#include "tools/convert.h"

#include <gtest/gtest.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "loaders/esq_reader.h"
#include "tests/loaders/expected_tensors.h"

namespace edgeseq::tools {
namespace {

using test::FixturePath;

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-convert-" + std::to_string(getpid()) + "-" + name;
}

ConvertOptions Options(const std::string& fixture, const std::string& out) {
  ConvertOptions o;
  o.input = FixturePath(fixture);
  o.output = out;
  o.heads = 2;
  return o;
}

std::vector<uint8_t> Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<float> Rows(const test::ExpectedTensor& t, int64_t begin, int64_t end) {
  const int64_t cols = t.values.size() / t.shape[0];
  return std::vector<float>(t.values.begin() + begin * cols, t.values.begin() + end * cols);
}

std::vector<float> Values(const loaders::TensorInfo& t) {
  const float* p = static_cast<const float*>(t.data);
  return std::vector<float>(p, p + t.elements());
}

TEST(Convert, F32EqualsPyTorchRoleByRole) {
  const std::string out = Temp("f32.esq");
  ConvertOptions o = Options("state_dict.pth", out);
  o.quantize = "f32";
  std::ostringstream log;
  const ConvertReport r = Convert(o, log);
  EXPECT_TRUE(r.unexpected.empty());
  const auto sd = test::ReadExpected("expected_state_dict.bin");
  const auto f = loaders::EsqFile::Open(out, true);
  const auto& c = f.config();
  EXPECT_EQ(c.d_model, 16u);
  EXPECT_EQ(c.num_heads, 2u);
  EXPECT_EQ(c.encoder_layers, 2u);
  EXPECT_EQ(c.decoder_layers, 2u);
  EXPECT_EQ(c.ffn_dim, 32u);
  EXPECT_EQ(c.src_vocab_size, 11u);
  EXPECT_EQ(c.tgt_vocab_size, 13u);
  EXPECT_EQ(c.max_positions, 32u);
  EXPECT_EQ(c.position_kind, loaders::PositionKind::kSinusoidalInterleaved);
  EXPECT_TRUE(c.encoder_final_norm);
  EXPECT_TRUE(c.decoder_final_norm);
  EXPECT_FLOAT_EQ(c.embedding_scale, 4.0f);
  EXPECT_EQ(c.pad_id, 1);
  EXPECT_EQ(c.eos_id, 3);
  EXPECT_EQ(c.decoder_start_id, 2);
  auto expect = [&](const std::string& role, const std::vector<float>& want) {
    const loaders::TensorInfo* t = f.Find(role);
    ASSERT_NE(t, nullptr) << role;
    EXPECT_EQ(t->dtype, loaders::DType::kF32) << role;
    EXPECT_EQ(Values(*t), want) << role;
  };
  expect("encoder.embed_tokens.weight", sd.at("src_tok_emb.embedding.weight").values);
  expect("decoder.embed_tokens.weight", sd.at("tgt_tok_emb.embedding.weight").values);
  expect("decoder.output_projection.weight", sd.at("generator.weight").values);
  for (const char* stack : {"encoder", "decoder"}) {
    for (int i = 0; i < 2; ++i) {
      const std::string ours = std::string(stack) + ".layers." + std::to_string(i) + ".";
      const std::string theirs = std::string("transformer.") + stack + ".layers." + std::to_string(i) + ".";
      expect(ours + "self_attn.qkv_proj.weight", sd.at(theirs + "self_attn.in_proj_weight").values);
      expect(ours + "self_attn.qkv_proj.bias", sd.at(theirs + "self_attn.in_proj_bias").values);
      expect(ours + "ffn.fc1.weight", sd.at(theirs + "linear1.weight").values);
      expect(ours + "ffn.fc2.bias", sd.at(theirs + "linear2.bias").values);
      expect(ours + "ffn_norm.weight", sd.at(theirs + (stack[0] == 'e' ? "norm2.weight" : "norm3.weight")).values);
    }
  }
  const auto& in_proj = sd.at("transformer.decoder.layers.1.multihead_attn.in_proj_weight");
  expect("decoder.layers.1.cross_attn.q_proj.weight", Rows(in_proj, 0, 16));
  expect("decoder.layers.1.cross_attn.kv_proj.weight", Rows(in_proj, 16, 48));
  expect("decoder.layers.1.cross_attn_norm.bias", sd.at("transformer.decoder.layers.1.norm2.bias").values);
  EXPECT_EQ(f.Find("encoder.embed_positions.weight"), nullptr) << "a sinusoidal table is not stored";
  remove(out.c_str());
}

TEST(Convert, Int8AndF16WithinTheirBounds) {
  const auto sd = test::ReadExpected("expected_state_dict.bin");
  for (const char* q : {"int8", "f16"}) {
    const std::string out = Temp(std::string(q) + ".esq");
    ConvertOptions o = Options("state_dict.pth", out);
    o.quantize = q;
    std::ostringstream log;
    const ConvertReport r = Convert(o, log);
    const auto f = loaders::EsqFile::Open(out, true);
    const loaders::TensorInfo* t = f.Find("encoder.layers.0.ffn.fc1.weight");
    ASSERT_NE(t, nullptr);
    const auto& want = sd.at("transformer.encoder.layers.0.linear1.weight").values;
    const uint64_t cols = t->cols();
    if (std::string(q) == "int8") {
      ASSERT_EQ(t->dtype, loaders::DType::kI8);
      const auto* w = static_cast<const int8_t*>(t->data);
      int w_max = 0;
      for (uint64_t k = 0; k < want.size(); ++k) {
        const float s = t->scales[k / cols];
        ASSERT_LE(fabsf(w[k] * s - want[k]), s * 0.5f * 1.0001f) << k;
        w_max = std::max(w_max, abs(w[k]));
      }
      EXPECT_EQ(w_max, 63) << "7-bit weights by default, each row's largest at ±63";
      EXPECT_FALSE(r.tensors.empty());
      for (const QuantReport& qr : r.tensors) EXPECT_LE(qr.max_rel_error, 0.5 / 63 + 1e-6) << qr.name;
    } else {
      ASSERT_EQ(t->dtype, loaders::DType::kF16);
      EXPECT_EQ(r.tensors.size(), 25u);  // 22 matmul weights, the output projection, two embeddings
    }
    // Defaults: the output projection in the --quantize type, embeddings f16,
    // norms and biases f32.
    EXPECT_EQ(f.Find("encoder.embed_tokens.weight")->dtype, loaders::DType::kF16);
    EXPECT_EQ(f.Find("decoder.embed_tokens.weight")->dtype, loaders::DType::kF16);
    EXPECT_EQ(f.Find("decoder.output_projection.weight")->dtype, t->dtype);
    EXPECT_EQ(f.Find("encoder.layers.0.ffn.fc1.bias")->dtype, loaders::DType::kF32);
    remove(out.c_str());
  }
}

TEST(Convert, EmbeddingAndOutputProjectionTypesAreChosen) {
  const std::string out = Temp("types.esq");
  ConvertOptions o = Options("state_dict.pth", out);
  o.embeddings = "int8";
  o.output_projection = "f32";
  std::ostringstream log;
  Convert(o, log);
  {
    const auto f = loaders::EsqFile::Open(out, true);
    EXPECT_EQ(f.Find("encoder.embed_tokens.weight")->dtype, loaders::DType::kI8);
    EXPECT_EQ(f.Find("decoder.output_projection.weight")->dtype, loaders::DType::kF32);
    EXPECT_EQ(f.Find("encoder.layers.0.ffn.fc1.weight")->dtype, loaders::DType::kI8);
  }
  o.quantize = "f32";
  o.embeddings.clear();
  o.output_projection.clear();
  Convert(o, log);
  {
    const auto f = loaders::EsqFile::Open(out, true);
    EXPECT_EQ(f.Find("encoder.embed_tokens.weight")->dtype, loaders::DType::kF32) << "f32 models stay f32";
    EXPECT_EQ(f.Find("decoder.output_projection.weight")->dtype, loaders::DType::kF32);
  }
  o.quantize = "int8";
  o.weight_bits = 8;
  Convert(o, log);
  {
    const auto f = loaders::EsqFile::Open(out, true);
    const loaders::TensorInfo* t = f.Find("encoder.layers.0.ffn.fc1.weight");
    int w_max = 0;
    for (uint64_t k = 0; k < t->elements(); ++k) w_max = std::max(w_max, abs(static_cast<const int8_t*>(t->data)[k]));
    EXPECT_EQ(w_max, 127) << "--weight-bits 8";
  }
  o.weight_bits = 6;
  EXPECT_THROW(Convert(o, log), ConvertError);
  o.weight_bits = 7;
  o.embeddings = "int4";
  EXPECT_THROW(Convert(o, log), ConvertError);
  o.embeddings.clear();
  o.output_projection = "bf16";
  EXPECT_THROW(Convert(o, log), ConvertError);
  remove(out.c_str());
}

TEST(Convert, EveryWayOfSavingGivesTheSameFile) {
  const std::string ref = Temp("ref.esq");
  std::ostringstream log;
  Convert(Options("state_dict.pth", ref), log);
  const auto want = Bytes(ref);
  for (const char* fixture : {"whole_model.pth", "nested.pth", "model.safetensors"}) {
    const std::string out = Temp(std::string(fixture) + ".esq");
    ConvertOptions o = Options(fixture, out);
    if (std::string(fixture) == "nested.pth") o.key = "model";
    Convert(o, log);
    EXPECT_EQ(Bytes(out), want) << fixture;
    remove(out.c_str());
  }
  // The documented --map example reproduces the built-in layout exactly.
  const std::string mapped = Temp("mapped.esq");
  ConvertOptions o = Options("state_dict.pth", mapped);
  o.map_file = std::string(EDGESEQ_SOURCE_DIR) + "/examples/mappings/torch-transformer.json";
  // A mapping file has no layout default for the source framing: the
  // built-in layout's (BOS ... EOS) is given as flags.
  o.src_prefix = std::vector<int32_t>{2};
  o.src_suffix = std::vector<int32_t>{3};
  Convert(o, log);
  EXPECT_EQ(Bytes(mapped), want);
  remove(mapped.c_str());
  remove(ref.c_str());
}

void ExpectFailsCleanly(ConvertOptions o, const std::string& mentions) {
  SCOPED_TRACE(o.input);
  {
    std::ofstream(o.output) << "previous";
  }
  std::ostringstream log;
  try {
    Convert(o, log);
    ADD_FAILURE() << "converted";
  } catch (const ConvertError& e) {
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
  std::ifstream in(o.output);
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "previous") << "the existing output was touched";
  remove(o.output.c_str());
}

TEST(Convert, BadCheckpointsFailCleanly) {
  const std::string out = Temp("bad.esq");
  ExpectFailsCleanly(Options("evil_os_system.pth", out), "refused");
  ExpectFailsCleanly(Options("evil_builtins_eval.pth", out), "refused");
  ExpectFailsCleanly(Options("truncated.pth", out), "not a readable zip");
  ExpectFailsCleanly(Options("not_a_zip.pth", out), "neither");
  ExpectFailsCleanly(Options("missing_storage.pth", out), "no state_dict/data/0");
  ExpectFailsCleanly(Options("short_storage.pth", out), "storage 0 has");
  ExpectFailsCleanly(Options("bad_opcode.pth", out), "pickle: ");  // a stray INST: malformed
  ExpectFailsCleanly(Options("unknown_dtype.pth", out), "unsupported storage type");
  ExpectFailsCleanly(Options("inflates_too_much.pth", out), "inflates");
  ConvertOptions no_heads = Options("state_dict.pth", out);
  no_heads.heads.reset();
  ExpectFailsCleanly(no_heads, "--heads is required");
  ConvertOptions heads3 = Options("state_dict.pth", out);
  heads3.heads = 3;  // does not divide 16
  ExpectFailsCleanly(heads3, "--heads 3 does not divide d_model 16");
}

std::string WriteMap(const std::string& json) {
  const std::string path = Temp("map.json");
  std::ofstream(path) << json;
  return path;
}

TEST(Convert, MissingTensorsAreListedInOneError) {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/examples/mappings/torch-transformer.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string json = ss.str();
  // Two sources that do not exist.
  json.replace(json.find("\"src_tok_emb.embedding.weight\""), 30, "\"src_embedding.weight\"");
  json.replace(json.find("\"transformer.encoder.layers.{i}.linear2.bias\""), 45, "\"enc.{i}.fc2.b\"");
  ConvertOptions o = Options("state_dict.pth", Temp("missing.esq"));
  o.map_file = WriteMap(json);
  ExpectFailsCleanly(o, "3 tensor(s) missing");
  try {
    std::ostringstream log;
    Convert(o, log);
  } catch (const ConvertError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("src_embedding.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("enc.0.fc2.b"), std::string::npos) << m;
    EXPECT_NE(m.find("enc.1.fc2.b"), std::string::npos) << m;
  }
  remove(o.map_file.c_str());
}

TEST(Convert, UnexpectedTensorsWarnOrFailWithStrict) {
  const std::string json = R"({"positions": "positional_encoding.pos_embedding", "tensors": {
    "encoder.embed_tokens.weight": "src_tok_emb.embedding.weight",
    "decoder.embed_tokens.weight": "tgt_tok_emb.embedding.weight",
    "decoder.layers.{i}.ffn.fc1.weight": "transformer.decoder.layers.{i}.linear1.weight",
    "decoder.layers.{i}.ffn.fc2.weight": "transformer.decoder.layers.{i}.linear2.weight",
    "decoder.output_projection.weight": "generator.weight"}})";
  ConvertOptions o = Options("state_dict.pth", Temp("partial.esq"));
  o.map_file = WriteMap(json);
  std::ostringstream log;
  const ConvertReport r = Convert(o, log);
  EXPECT_GT(r.unexpected.size(), 50u);
  EXPECT_NE(log.str().find("warning"), std::string::npos);
  EXPECT_NE(log.str().find("transformer.encoder.layers.0.linear1.weight"), std::string::npos);
  remove(o.output.c_str());
  o.strict = true;  // with every setting explicit, so that only the tensors are wrong
  o.norm_first = false;
  o.activation = "relu";
  o.eps = 1e-5f;
  o.embedding_scale = 4.0f;
  o.pad = 1;
  o.bos = 2;
  o.eos = 3;
  o.unk = 0;
  o.decoder_start = 2;
  o.src_prefix = std::vector<int32_t>{};
  o.src_suffix = std::vector<int32_t>{};
  o.src_normalize = "none";
  ExpectFailsCleanly(o, "unexpected tensor(s)");
  remove(o.map_file.c_str());
}

TEST(Convert, ShapeThatDisagreesNamesBoth) {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/examples/mappings/torch-transformer.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string json = ss.str();
  const std::string from = "\"transformer.encoder.layers.{i}.linear2.weight\"";
  json.replace(json.find(from), from.size(), "\"transformer.encoder.layers.{i}.linear1.weight\"");
  ConvertOptions o = Options("state_dict.pth", Temp("shape.esq"));
  o.map_file = WriteMap(json);
  ExpectFailsCleanly(o, "transformer.encoder.layers.0.linear1.weight has shape [32, 16] but "
                        "encoder.layers.0.ffn.fc2.weight must be [16, 32]");
  remove(o.map_file.c_str());
}

TEST(Convert, VocabulariesAreStoredAndChecked) {
  const std::string src = Temp("src.txt"), tgt = Temp("tgt.txt"), out = Temp("vocab.esq");
  {
    std::ofstream s(src), t(tgt);
    for (int i = 0; i < 11; ++i) s << "s" << i << "\n";
    for (int i = 0; i < 13; ++i) t << "T" << i << "\n";
  }
  ConvertOptions o = Options("state_dict.pth", out);
  o.src_vocab_file = src;
  o.tgt_vocab_file = tgt;
  o.src_tokenizer = "chars";
  std::ostringstream log;
  Convert(o, log);
  const auto f = loaders::EsqFile::Open(out);
  ASSERT_NE(f.src_vocab(), nullptr);
  EXPECT_EQ(f.src_vocab()->tokens[10], "s10");
  EXPECT_EQ(f.tgt_vocab()->tokens[12], "T12");
  EXPECT_EQ(f.src_tokenizer(), loaders::TokenizerKind::kCharacters);
  remove(out.c_str());
  std::ofstream(tgt, std::ios::app) << "extra\n";
  ExpectFailsCleanly(o, "has 14 lines, the model's embedding has 13 rows");
  remove(src.c_str());
  remove(tgt.c_str());
}

}  // namespace
}  // namespace edgeseq::tools
