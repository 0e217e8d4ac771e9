// edgeseq-convert on CTranslate2 model directories (issue 17): the shared
// Arabic→English transliteration models (f32 and int8, CTranslate2's own test
// model) convert, decode CTranslate2's expected outputs (its translator_test.cc
// and test_translator.py), int8 keeps CTranslate2's values and scales, and
// damaged files and unsupported specs are refused in one line.
#include <gtest/gtest.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "edgeseq/edgeseq.hpp"
#include "loaders/checkpoint_ct2.h"
#include "loaders/esq_reader.h"
#include "tests/tools/ct2_models.h"
#include "tools/convert.h"

namespace edgeseq::tools {
namespace {

using test::Convert;
using test::Exists;
using test::kShared;
using test::Temp;

std::vector<uint8_t> Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Write(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Removes a directory made by MakeDir (its three files) when it goes out
// of scope, so test runs leave nothing in the temporary folder.
struct RemoveDir {
  std::string dir;
  ~RemoveDir() {
    for (const char* f : {"/model.bin", "/source_vocabulary.txt", "/target_vocabulary.txt"}) unlink((dir + f).c_str());
    rmdir(dir.c_str());
  }
};

// A model directory holding `model_bin` and the shared model's vocabularies.
std::string MakeDir(const std::string& name, const std::vector<uint8_t>& model_bin) {
  const std::string dir = Temp(name);
  mkdir(dir.c_str(), 0755);
  Write(dir + "/model.bin", model_bin);
  Write(dir + "/source_vocabulary.txt", {'a', '\n', 'b', '\n'});
  Write(dir + "/target_vocabulary.txt", {'<', 's', '>', '\n', '<', '/', 's', '>', '\n'});
  return dir;
}

// Expected outputs from CTranslate2's tests for this model.
const std::vector<std::pair<std::string, std::string>> kExamples = {
    {"آ ت ز م و ن", "a t z m o n"},         // translator_test.cc ModelVariantTest, test_translator.py
    {"آ ت ش ي س و ن", "a c h i s o n"},     // test_translator.py test_batch_translation
};

std::vector<std::string> Greedy(const std::string& esq, std::vector<float>* scores = nullptr) {
  const auto model = edgeseq::Model::Load(esq, true);
  edgeseq::Generator gen(model);
  std::vector<std::vector<int32_t>> sources;
  for (const auto& [src, want] : kExamples) sources.push_back(model.EncodeSource(src));
  const auto out = gen.Generate(sources, {});
  std::vector<std::string> text;
  for (const auto& h : out) {
    text.push_back(model.DecodeTarget(h[0].ids));
    if (scores) scores->push_back(h[0].score);
  }
  return text;
}

TEST(ConvertCt2, F32ModelGivesCTranslate2sOutputs) {
  REQUIRE_SHARED_MODELS();
  for (const char* q : {"f32", "int8"}) {
    SCOPED_TRACE(q);
    const auto got = Greedy(Convert("aren-transliteration", q));
    for (size_t i = 0; i < kExamples.size(); ++i) EXPECT_EQ(got[i], kExamples[i].second) << kExamples[i].first;
  }
}

TEST(ConvertCt2, Int8ModelMatchesF32) {
  REQUIRE_SHARED_MODELS();
  std::vector<float> f32_scores, i8_scores;
  const auto f32 = Greedy(Convert("aren-transliteration", "f32"), &f32_scores);
  const auto i8 = Greedy(Convert("aren-transliteration-i8", "int8"), &i8_scores);
  EXPECT_EQ(i8, f32);
  for (size_t i = 0; i < kExamples.size(); ++i) {
    EXPECT_EQ(i8[i], kExamples[i].second);
    EXPECT_NEAR(i8_scores[i], f32_scores[i], 0.1) << kExamples[i].first;
  }
}

TEST(ConvertCt2, HeaderFollowsCTranslate2sConventions) {
  REQUIRE_SHARED_MODELS();
  const auto f = loaders::EsqFile::Open(Convert("aren-transliteration", "f32"), true);
  const auto& c = f.config();
  EXPECT_EQ(c.d_model, 32u);
  EXPECT_EQ(c.num_heads, 8u);  // TransformerBase
  EXPECT_EQ(c.encoder_layers, 6u);
  EXPECT_EQ(c.decoder_layers, 6u);
  EXPECT_EQ(c.norm_placement, loaders::NormPlacement::kPre);
  EXPECT_TRUE(c.encoder_final_norm && c.decoder_final_norm);
  EXPECT_EQ(c.position_kind, loaders::PositionKind::kSinusoidalConcat);
  EXPECT_EQ(c.position_frequencies, loaders::PositionFrequencies::kTensor2Tensor);
  EXPECT_EQ(c.position_offset, 1u);
  EXPECT_FLOAT_EQ(c.embedding_scale, std::sqrt(32.0f));
  EXPECT_EQ(c.src_vocab_size, 51u);  // 50 lines + <unk>, appended as CTranslate2 does
  EXPECT_EQ(c.tgt_vocab_size, 43u);
  EXPECT_EQ(c.bos_id, 1);
  EXPECT_EQ(c.eos_id, 2);
  EXPECT_EQ(c.decoder_start_id, 1);
  EXPECT_EQ(c.src_unk_id, 50);
  EXPECT_EQ(c.tgt_unk_id, 42);
  EXPECT_TRUE(c.src_prefix.empty());
  EXPECT_TRUE(c.src_suffix.empty());
}

// int8 tensors are CTranslate2's own bytes, and scale = 1 / CTranslate2's.
TEST(ConvertCt2, Int8KeepsCTranslate2sValuesAndScales) {
  REQUIRE_SHARED_MODELS();
  const auto bin = loaders::ReadCt2ModelBin(kShared + "aren-transliteration-i8/model.bin");
  const auto f = loaders::EsqFile::Open(Convert("aren-transliteration-i8", "int8"), true);
  std::map<std::string, const loaders::SourceTensor*> src;
  for (const auto& t : bin.checkpoint.tensors) src[t.name] = &t;
  for (const auto& [role, name] : std::vector<std::pair<std::string, std::string>>{
           {"encoder.layers.0.self_attn.qkv_proj.weight", "encoder/layer_0/self_attention/linear_0/weight"},
           {"decoder.layers.5.cross_attn.kv_proj.weight", "decoder/layer_5/attention/linear_1/weight"},
           {"decoder.output_projection.weight", "decoder/projection/weight"}}) {
    SCOPED_TRACE(role);
    const loaders::TensorInfo* t = f.Find(role);
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->dtype, loaders::DType::kI8);
    const auto q = src.at(name)->Bytes();
    ASSERT_EQ(q.size(), t->data_size);
    EXPECT_EQ(memcmp(q.data(), t->data, q.size()), 0);
    const auto scale = src.at(name + "_scale")->ToF32();
    ASSERT_EQ(scale.size(), t->rows());
    for (size_t r = 0; r < scale.size(); ++r) EXPECT_FLOAT_EQ(t->scales[r], 1.0f / scale[r]);
  }
}

// SentencePiece models copied beside model.bin (ct2-*-converter --copy_files)
// become the text tokenizers: source.spm for the source; the target without
// one keeps CTranslate2's whitespace-separated tokens. Pieces map to ids by
// CTranslate2's vocabulary (SentencePiece's own test model here: its pieces
// are not Arabic characters, so they read as the unknown token).
TEST(ConvertCt2, SentencePieceBesideTheModelIsPickedUp) {
  REQUIRE_SHARED_MODELS();
  const std::string dir = MakeDir("spm", Bytes(kShared + "aren-transliteration/model.bin"));
  const RemoveDir cleanup{dir};
  for (const char* f : {"/source_vocabulary.txt", "/target_vocabulary.txt"}) {
    Write(dir + f, Bytes(kShared + "aren-transliteration" + f));
  }
  Write(dir + "/source.spm", Bytes(kShared + "../sentencepiece/test_model.model"));
  ConvertOptions o;
  o.input = dir;
  o.output = Temp("spm.esq");
  std::ostringstream log;
  tools::Convert(o, log);
  unlink((dir + "/source.spm").c_str());
  EXPECT_NE(log.str().find("--src-tokenizer sentencepiece:" + dir + "/source.spm"), std::string::npos) << log.str();
  const auto file = loaders::EsqFile::Open(o.output);
  EXPECT_EQ(file.src_tokenizer(), loaders::TokenizerKind::kSentencePiece);
  EXPECT_EQ(file.tgt_tokenizer(), loaders::TokenizerKind::kWhitespace);
  const auto model = edgeseq::Model::Load(o.output);
  const std::vector<int32_t> ids = model.EncodeSource("hello");
  ASSERT_FALSE(ids.empty());
  for (size_t i = 0; i + 1 < ids.size(); ++i) EXPECT_EQ(ids[i], model.info().src_unk_id);
  unlink(o.output.c_str());
}

TEST(ConvertCt2, TruncatedModelBinIsOneLine) {
  REQUIRE_SHARED_MODELS();
  const auto whole = Bytes(kShared + "aren-transliteration/model.bin");
  // Every cut of the header, then cuts through the data: a one-line error each.
  for (size_t cut = 0; cut < whole.size(); cut += cut < 200 ? 1 : 4999) {
    try {
      loaders::ParseCt2ModelBin(whole.data(), cut, "model.bin");
      ADD_FAILURE() << "a file cut at " << cut << " was read";
    } catch (const loaders::CheckpointError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  const std::string dir = MakeDir("truncated", std::vector<uint8_t>(whole.begin(), whole.begin() + 100000));
  const RemoveDir cleanup{dir};
  ConvertOptions o;
  o.input = dir;
  o.output = Temp("truncated.esq");
  std::ostringstream log;
  try {
    tools::Convert(o, log);
    ADD_FAILURE() << "converted a truncated model";
  } catch (const ConvertError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("truncated"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_FALSE(Exists(o.output));
}

// A minimal binary version 6 file: the spec name and the given variables.
struct Var {
  std::string name;
  std::vector<uint32_t> dims;
  uint8_t dtype;
  std::vector<uint8_t> data;
};
std::vector<uint8_t> ModelBin(const std::string& spec, const std::vector<Var>& vars,
                              const std::vector<std::pair<std::string, std::string>>& aliases = {}) {
  std::vector<uint8_t> b;
  auto u32 = [&](uint32_t v) { b.insert(b.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4); };
  auto str = [&](const std::string& s) {
    const uint16_t n = static_cast<uint16_t>(s.size() + 1);
    b.push_back(n & 0xff);
    b.push_back(n >> 8);
    b.insert(b.end(), s.begin(), s.end());
    b.push_back(0);
  };
  u32(6);
  str(spec);
  u32(1);
  u32(static_cast<uint32_t>(vars.size()));
  for (const Var& v : vars) {
    str(v.name);
    b.push_back(static_cast<uint8_t>(v.dims.size()));
    for (uint32_t d : v.dims) u32(d);
    b.push_back(v.dtype);
    u32(static_cast<uint32_t>(v.data.size()));
    b.insert(b.end(), v.data.begin(), v.data.end());
  }
  u32(static_cast<uint32_t>(aliases.size()));
  for (const auto& [a, t] : aliases) {
    str(a);
    str(t);
  }
  return b;
}

TEST(ConvertCt2, ReadsVersion6VariablesAndAliases) {
  const auto b = ModelBin("TransformerSpec", {{"w", {2, 2}, 1, {1, 2, 3, 4}}, {"w_scale", {2}, 0, std::vector<uint8_t>(8, 0)},
                                              {"h", {}, 4, {0, 0x3c}}},
                          {{"v", "w"}});
  const auto m = loaders::ParseCt2ModelBin(b.data(), b.size(), "model.bin");
  EXPECT_EQ(m.binary_version, 6u);
  EXPECT_EQ(m.spec, "TransformerSpec");
  ASSERT_EQ(m.checkpoint.tensors.size(), 5u);  // w, w_scale, h, and the aliases v, v_scale
  EXPECT_EQ(m.checkpoint.tensors[0].type, loaders::ElementType::kChar);
  EXPECT_EQ(m.checkpoint.tensors[2].type, loaders::ElementType::kHalf);
  EXPECT_EQ(m.checkpoint.tensors[2].ToF32(), std::vector<float>{1.0f});
  EXPECT_EQ(m.checkpoint.tensors[3].name, "v");
  EXPECT_EQ(m.checkpoint.tensors[3].Bytes(), (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(m.checkpoint.tensors[4].name, "v_scale");
  // A byte count that disagrees with the shape, an unknown dtype, trailing bytes.
  for (const auto& bad : {ModelBin("TransformerSpec", {{"w", {2, 2}, 1, {1, 2, 3}}}),
                          ModelBin("TransformerSpec", {{"w", {1}, 9, {1}}})}) {
    EXPECT_THROW(loaders::ParseCt2ModelBin(bad.data(), bad.size(), "model.bin"), loaders::CheckpointError);
  }
  auto trailing = b;
  trailing.push_back(0);
  EXPECT_THROW(loaders::ParseCt2ModelBin(trailing.data(), trailing.size(), "model.bin"), loaders::CheckpointError);
}

std::string Refusal(const std::string& name, const std::vector<uint8_t>& bin) {
  ConvertOptions o;
  o.input = MakeDir(name, bin);
  const RemoveDir cleanup{o.input};
  o.output = Temp(name + ".esq");
  std::ostringstream log;
  try {
    tools::Convert(o, log);
  } catch (const ConvertError& e) {
    EXPECT_FALSE(Exists(o.output));
    return e.what();
  }
  ADD_FAILURE() << name << " converted";
  return "";
}

TEST(ConvertCt2, UnsupportedSpecsAreOneLineNamingThem) {
  for (const auto& [spec, kind] : std::vector<std::pair<std::string, std::string>>{
           {"TransformerDecoderSpec", "decoder-only"}, {"TransformerEncoderSpec", "encoder-only"},
           {"Wav2Vec2Spec", "speech encoder"}}) {  // WhisperSpec is read: tests/tools/convert_ct2_whisper_test.cc
    const std::string m = Refusal(spec, ModelBin(spec, {}));
    EXPECT_NE(m.find("CTranslate2 spec " + spec), std::string::npos) << m;
    EXPECT_NE(m.find(kind), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  const std::string rel = Refusal(
      "relative", ModelBin("TransformerSpec", {{"encoder/layer_0/self_attention/relative_position_keys", {3, 2}, 0,
                                                std::vector<uint8_t>(24, 0)}}));
  EXPECT_NE(rel.find("relative position representations"), std::string::npos) << rel;
  EXPECT_NE(rel.find("relative_position_keys"), std::string::npos) << rel;
  EXPECT_EQ(rel.find('\n'), std::string::npos) << rel;
}

}  // namespace
}  // namespace edgeseq::tools
