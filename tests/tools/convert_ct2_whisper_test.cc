// CTranslate2's Whisper models (tools/convert_ct2.cc ReadCt2Whisper): the
// random tiny Whisper written as CTranslate2's converter lays it out
// (tests/fixtures/make_ct2_whisper.py: WhisperSpec model.bin, vocabulary.json)
// converts to the same model as openai-whisper's checkpoint of the same
// weights (tests/fixtures/whisper/tiny.pt): every tensor byte for byte, the
// same header (CTranslate2 records one alignment head, the checkpoint none).
// A Whisper-sized vocabulary.json is read as Whisper's tokenizer, checked to
// be its ranks. Flags and vocabularies that are not Whisper's are refused.
#include <gtest/gtest.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loaders/esq_reader.h"
#include "tests/runtime/shared_testdata.h"
#include "tools/convert.h"
#include "tools/convert_whisper.h"

namespace edgeseq::tools {
namespace {

const std::string kFixtures = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/";

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-ct2-whisper-" + std::to_string(getpid()) + "-" + name;
}

std::string ConvertTo(const std::string& input, const std::string& name, const std::string& quantize,
                      bool openai = false) {
  ConvertOptions o;
  o.input = input;
  o.output = Temp(name);
  o.quantize = quantize;
  if (openai) {
    o.eos = 57;  // make_whisper.py's EOT / SOT: tiny.pt's 60 tokens are no Whisper layout
    o.decoder_start = 58;
  }
  o.quiet = true;
  std::ostringstream log;
  Convert(o, log);
  return o.output;
}

TEST(Ct2Whisper, ConvertsAsTheOpenAiCheckpointOfTheSameWeights) {
  for (const char* q : {"f32", "int8", "f16"}) {
    SCOPED_TRACE(q);
    const std::string a = ConvertTo(kFixtures + "whisper/ct2", std::string("ct2-") + q + ".esq", q);
    const std::string b = ConvertTo(kFixtures + "whisper/tiny.pt", std::string("pt-") + q + ".esq", q, true);
    const auto fa = loaders::EsqFile::Open(a), fb = loaders::EsqFile::Open(b);
    const auto &ca = fa.config(), &cb = fb.config();
    EXPECT_EQ(ca.encoder_input, loaders::EncoderInput::kLogMel);
    EXPECT_EQ(ca.n_mels, 80u);
    for (auto [x, y] : {std::pair{ca.d_model, cb.d_model}, {ca.num_heads, cb.num_heads},
                        {ca.encoder_layers, cb.encoder_layers}, {ca.decoder_layers, cb.decoder_layers},
                        {ca.ffn_dim, cb.ffn_dim}, {ca.tgt_vocab_size, cb.tgt_vocab_size},
                        {ca.src_vocab_size, cb.src_vocab_size}, {ca.max_positions, cb.max_positions},
                        {ca.decoder_max_positions, cb.decoder_max_positions}, {ca.n_mels, cb.n_mels}}) {
      EXPECT_EQ(x, y);
    }
    EXPECT_EQ(ca.eos_id, cb.eos_id);
    EXPECT_EQ(ca.decoder_start_id, cb.decoder_start_id);
    EXPECT_EQ(ca.activation, cb.activation);
    EXPECT_EQ(ca.norm_placement, cb.norm_placement);
    EXPECT_EQ(ca.tied_output, cb.tied_output);
    EXPECT_EQ(ca.encoder_final_norm, cb.encoder_final_norm);
    EXPECT_EQ(ca.norm_eps, cb.norm_eps);
    EXPECT_EQ(ca.embedding_scale, cb.embedding_scale);
    EXPECT_EQ(ca.position_kind, cb.position_kind);
    EXPECT_EQ(ca.alignment_heads, 1);  // decoder/alignment_heads 1 in model.bin
    ASSERT_EQ(fa.tensors().size(), fb.tensors().size());
    for (const auto& t : fa.tensors()) {
      const loaders::TensorInfo* u = fb.Find(t.name);
      ASSERT_NE(u, nullptr) << t.name;
      EXPECT_EQ(t.dtype, u->dtype) << t.name;
      ASSERT_EQ(t.data_size, u->data_size) << t.name;
      EXPECT_EQ(memcmp(t.data, u->data, t.data_size), 0) << t.name;
      ASSERT_EQ(t.scales_size, u->scales_size) << t.name;
      if (t.scales) {
        EXPECT_EQ(memcmp(t.scales, u->scales, t.scales_size), 0) << t.name;
      }
    }
    remove(a.c_str());
    remove(b.c_str());
  }
}

// A copy of the fixture directory with `edit` applied to one of its files.
std::string EditedCopy(const std::string& name, const std::string& file,
                       const std::function<void(std::string&)>& edit) {
  const std::string dir = Temp(name);
  mkdir(dir.c_str(), 0755);
  for (const char* f : {"model.bin", "vocabulary.json", "config.json"}) {
    std::string bytes = test::ReadFile(kFixtures + "whisper/ct2/" + f);
    if (file == f) edit(bytes);
    std::ofstream(dir + "/" + f, std::ios::binary) << bytes;
  }
  return dir;
}

void RemoveCopy(const std::string& dir) {
  for (const char* f : {"/model.bin", "/vocabulary.json", "/config.json"}) remove((dir + f).c_str());
  rmdir(dir.c_str());
}

// The one data byte of an int8 scalar variable of model.bin: after its
// name, rank 0, dtype and byte count.
void SetScalarByte(std::string& bin, const std::string& name, uint8_t value) {
  std::string key = name;
  key.push_back('\0');
  const size_t at = bin.find(key);
  ASSERT_NE(at, std::string::npos) << name;
  bin[at + key.size() + 1 + 1 + 4] = static_cast<char>(value);
}

TEST(Ct2Whisper, WhatIsNotWhispersIsRefused) {
  struct Case {
    const char* name;
    const char* file;
    std::function<void(std::string&)> edit;
    const char* says;
  };
  const Case cases[] = {
      {"relu", "model.bin", [](std::string& b) { SetScalarByte(b, "decoder/activation", 0); },
       "decoder/activation is 0"},
      {"postln", "model.bin", [](std::string& b) { SetScalarByte(b, "decoder/pre_norm", 0); },
       "decoder/pre_norm is 0"},
      {"noeot", "vocabulary.json", [](std::string& v) { v.replace(v.find("<|endoftext|>"), 13, "<|endoftexx|>"); },
       "no <|endoftext|>"},
      {"short", "vocabulary.json", [](std::string& v) { v = "[\"a\", \"<|endoftext|>\", \"<|startoftranscript|>\"]"; },
       "3 tokens, decoder/embeddings/weight 60 rows"},
  };
  for (const Case& c : cases) {
    const std::string dir = EditedCopy(c.name, c.file, c.edit);
    const std::string out = Temp(std::string(c.name) + ".esq");
    try {
      ConvertTo(dir, std::string(c.name) + ".esq", "f32");
      ADD_FAILURE() << c.name << " converted";
    } catch (const ConvertError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find(c.says), std::string::npos) << m;
    }
    EXPECT_NE(access(out.c_str(), F_OK), 0) << c.name << ": a refused conversion left its output";
    RemoveCopy(dir);
  }
}

// A Whisper-sized vocabulary.json (as CTranslate2's converter writes it: the
// Hugging Face tokenizer's tokens by id, the added tokens, then the
// timestamps) gives the tokenizer the .tiktoken file gives; tokens out of
// rank order are refused.
TEST(Ct2Whisper, VocabularyJsonIsWhispersTokenizer) {
  REQUIRE_SHARED_TESTDATA();
  nlohmann::json list = nlohmann::json::array();
  const auto vocab = nlohmann::json::parse(test::ReadFile(kFixtures + "whisper_hf_tokenizer/vocab.json"));
  const auto added = nlohmann::json::parse(test::ReadFile(kFixtures + "whisper_hf_tokenizer/added_tokens.json"));
  std::vector<std::string> by_id(vocab.size() + added.size());
  for (const auto& [t, id] : vocab.items()) by_id[id.get<size_t>()] = t;
  for (const auto& [t, id] : added.items()) by_id[id.get<size_t>()] = t;
  for (const std::string& t : by_id) list.push_back(t);
  char stamp[16];
  for (int i = 0; list.size() < 51865; ++i) {
    snprintf(stamp, sizeof stamp, "<|%.2f|>", i * 0.02);
    list.push_back(stamp);
  }
  const std::string dir = Temp("vocab");
  mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/vocabulary.json";
  std::ofstream(path) << list.dump();
  const BpeTokenizerFile from_list = WhisperDirTokenizer("--tgt-tokenizer", WhisperDirTokenizerSpec(dir), 51865);
  const BpeTokenizerFile from_tiktoken =
      WhisperTiktoken("--tgt-tokenizer", test::kSharedTestdata + "whisper/multilingual.tiktoken", 51865);
  EXPECT_TRUE(from_list.section == from_tiktoken.section);
  EXPECT_EQ(from_list.vocab, from_tiktoken.vocab);
  // Two BPE tokens swapped: their ranks no longer make them.
  std::swap(list[300], list[5000]);
  std::ofstream(path) << list.dump();
  try {
    WhisperDirTokenizer("--tgt-tokenizer", WhisperDirTokenizerSpec(dir), 51865);
    ADD_FAILURE() << "swapped ranks were read";
  } catch (const ConvertError& e) {
    EXPECT_NE(std::string(e.what()).find("is not what BPE by rank makes of its bytes"), std::string::npos) << e.what();
  }
  remove(path.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace edgeseq::tools
