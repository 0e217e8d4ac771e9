// Whisper's tokenizer in the .esq (tools/convert_whisper.h WhisperTiktoken):
// a whisper model converted with --tgt-tokenizer tiktoken:multilingual.tiktoken
// gets Whisper's special tokens after the file's tokens, so its 51865 target
// ids are openai/whisper tokenizer.py's; `edgeseq tokenize` / `detokenize
// --target` use them (specials kept only with --keep-special). The model is
// the Hugging Face fixture (tests/fixtures/whisper/hf) with its token table
// grown to 51865 rows here. Sizes that do not fit are refused in one line.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "loaders/checkpoint.h"
#include "runtime/bpe_tokenizer.h"
#include "tests/runtime/shared_testdata.h"
#include "tools/convert.h"
#include "tools/tokenize.h"

namespace edgeseq::tools {
namespace {

const std::string kHf = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper/hf/";

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-whisper-tok-" + std::to_string(getpid()) + "-" + name;
}

// The Hugging Face fixture with `n_vocab` target tokens (the new rows
// random), its end and start ids Whisper's for that size.
std::string HfWhisperWithVocab(uint32_t n_vocab, const std::string& name) {
  const std::string dir = Temp(name);
  mkdir(dir.c_str(), 0755);
  std::ifstream cin(kHf + "config.json");
  nlohmann::json config = nlohmann::json::parse(cin);
  const int32_t eot = n_vocab == 51864 ? 50256 : 50257;
  config["vocab_size"] = n_vocab;
  config["eos_token_id"] = config["bos_token_id"] = config["pad_token_id"] = eot;
  config["decoder_start_token_id"] = eot + 1;
  std::ofstream(dir + "/config.json") << config.dump(2);
  const loaders::Checkpoint ck = loaders::ReadSafetensors(kHf + "model.safetensors");
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (const auto& t : ck.tensors) {
    EXPECT_EQ(t.type, loaders::ElementType::kFloat) << t.name;
    std::vector<int64_t> shape = t.shape;
    std::vector<uint8_t> bytes = t.Bytes();
    if (t.name == "model.decoder.embed_tokens.weight") {
      const size_t width = static_cast<size_t>(shape[1]);
      std::vector<float> grown(static_cast<size_t>(n_vocab) * width);
      const size_t kept = std::min<size_t>(static_cast<size_t>(shape[0]), n_vocab);
      memcpy(grown.data(), bytes.data(), kept * width * sizeof(float));
      for (size_t i = kept * width; i < grown.size(); ++i) grown[i] = normal(rng);
      shape[0] = n_vocab;
      bytes.assign(reinterpret_cast<const uint8_t*>(grown.data()),
                   reinterpret_cast<const uint8_t*>(grown.data() + grown.size()));
    }
    header[t.name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  const std::string h = header.dump();
  const uint64_t n = h.size();
  std::ofstream out(dir + "/model.safetensors", std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << h << data;
  return dir;
}

void RemoveDir(const std::string& dir) {
  for (const char* f : {"/config.json", "/model.safetensors"}) remove((dir + f).c_str());
  rmdir(dir.c_str());
}

std::string ConvertWith(const std::string& input, const std::string& tokenizer, const std::string& name) {
  ConvertOptions o;
  o.input = input;
  o.output = Temp(name + ".esq");
  o.tgt_tokenizer = tokenizer;
  o.quiet = true;
  std::ostringstream log;
  Convert(o, log);
  return o.output;
}

std::string Detokenize(const std::string& model, const std::string& ids, bool keep_special) {
  TokenizeCliOptions o;
  o.model = model;
  o.target = true;
  o.keep_special = keep_special;
  std::istringstream in(ids + "\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunDetokenize(o, in, out, err), 0) << err.str();
  std::string s = out.str();
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

TEST(WhisperTokenizer, MultilingualTiktokenGetsWhispersSpecials) {
  REQUIRE_SHARED_TESTDATA();
  const std::string tiktoken = test::kSharedTestdata + "whisper/multilingual.tiktoken";
  const std::string dir = HfWhisperWithVocab(51865, "multi");
  const std::string esq = ConvertWith(dir, "tiktoken:" + tiktoken, "multi");
  // Text round-trips through the target side, with tiktoken's ids.
  const std::string text = " And so my fellow Americans";
  TokenizeCliOptions t;
  t.model = esq;
  t.target = true;
  std::istringstream in(text + "\n");
  std::ostringstream out, err;
  ASSERT_EQ(RunTokenize(t, in, out, err), 0) << err.str();
  const auto ids = test::IdList<int32_t>(out.str());
  const auto bpe = runtime::ByteLevelBpe::FromTiktoken(test::ReadFile(tiktoken));
  EXPECT_EQ(ids, bpe.Encode(text));
  std::string listed;
  for (int32_t id : ids) listed += (listed.empty() ? "" : " ") + std::to_string(id);
  EXPECT_EQ(Detokenize(esq, listed, false), text);
  // Whisper's specials (tokenizer.py): <|endoftext|> 50257, <|startoftranscript|>
  // 50258, <|en|> 50259, <|transcribe|> 50359, <|notimestamps|> 50363,
  // <|0.00|> 50364, <|30.00|> 51864 — dropped unless kept.
  const std::string framed = "50258 50259 50359 50363 " + listed + " 50257";
  EXPECT_EQ(Detokenize(esq, framed, false), text);
  EXPECT_EQ(Detokenize(esq, framed, true),
            "<|startoftranscript|><|en|><|transcribe|><|notimestamps|>" + text + "<|endoftext|>");
  EXPECT_EQ(Detokenize(esq, "50364 51864 50360 50362", true), "<|0.00|><|30.00|><|startoflm|><|nospeech|>");
  // A special token's text in the input is that token.
  std::istringstream special("<|startoftranscript|>\n");
  std::ostringstream sout;
  ASSERT_EQ(RunTokenize(t, special, sout, err), 0) << err.str();
  EXPECT_EQ(test::IdList<int32_t>(sout.str()), std::vector<int32_t>{50258});
  remove(esq.c_str());
  RemoveDir(dir);
}

TEST(WhisperTokenizer, SizesThatDoNotFitAreRefused) {
  REQUIRE_SHARED_TESTDATA();
  const std::string multi = "tiktoken:" + test::kSharedTestdata + "whisper/multilingual.tiktoken";
  const std::string gpt2 = "tiktoken:" + test::kSharedTestdata + "whisper/gpt2.tiktoken";
  // An English-only model (51864) needs gpt2.tiktoken; a multilingual one
  // multilingual.tiktoken; the fixture's 60 tokens are no Whisper layout.
  const std::string english = HfWhisperWithVocab(51864, "english");
  const std::string multilingual = HfWhisperWithVocab(51865, "multi2");
  for (const auto& [dir, spec, says] :
       {std::tuple<std::string, std::string, std::string>{english, multi, "gpt2.tiktoken"},
        {multilingual, gpt2, "multilingual.tiktoken"},
        {kHf, multi, "none of Whisper's vocabularies"}}) {
    try {
      ConvertWith(dir, spec, "refused");
      ADD_FAILURE() << dir << " converted with " << spec;
    } catch (const ConvertError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find(says), std::string::npos) << m;
      EXPECT_NE(m.find("--tgt-tokenizer"), std::string::npos) << m;
    }
  }
  // The English-only layout with its own file: 51864 ids, <|endoftext|> 50256.
  const std::string esq = ConvertWith(english, gpt2, "english");
  EXPECT_EQ(Detokenize(esq, "50257 50256", true), "<|startoftranscript|><|endoftext|>");
  remove(esq.c_str());
  RemoveDir(english);
  RemoveDir(multilingual);
}

}  // namespace
}  // namespace edgeseq::tools
