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
#include <sstream>

#include "runtime/bpe_tokenizer.h"
#include "tests/runtime/shared_testdata.h"
#include "tests/tools/whisper_vocab_model.h"
#include "tools/convert.h"
#include "tools/tokenize.h"

namespace edgeseq::tools {
namespace {

std::string ConvertWith(const std::string& input, const std::string& tokenizer, const std::string& name) {
  ConvertOptions o;
  o.input = input;
  o.output = test::WhisperTemp(name + ".esq");
  if (!tokenizer.empty()) o.tgt_tokenizer = tokenizer;
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
  const std::string dir = test::HfWhisperWithVocab(51865, "multi");
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
  test::RemoveWhisperDir(dir);
}

TEST(WhisperTokenizer, SizesThatDoNotFitAreRefused) {
  REQUIRE_SHARED_TESTDATA();
  const std::string multi = "tiktoken:" + test::kSharedTestdata + "whisper/multilingual.tiktoken";
  const std::string gpt2 = "tiktoken:" + test::kSharedTestdata + "whisper/gpt2.tiktoken";
  // An English-only model (51864) needs gpt2.tiktoken; a multilingual one
  // multilingual.tiktoken; the fixture's 60 tokens are no Whisper layout.
  const std::string english = test::HfWhisperWithVocab(51864, "english");
  const std::string multilingual = test::HfWhisperWithVocab(51865, "multi2");
  for (const auto& [dir, spec, says] :
       {std::tuple<std::string, std::string, std::string>{english, multi, "gpt2.tiktoken"},
        {multilingual, gpt2, "multilingual.tiktoken"},
        {test::kWhisperHf, multi, "none of Whisper's vocabularies"}}) {
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
  test::RemoveWhisperDir(english);
  test::RemoveWhisperDir(multilingual);
}

// A Hugging Face Whisper directory's own tokenizer files (tools/
// convert_whisper.h WhisperDirTokenizer): tests/fixtures/make_whisper_hf_
// tokenizer.py made vocab.json + merges.txt + added_tokens.json from
// multilingual.tiktoken as transformers converts it (<|nocaptions|>, no
// timestamps, as older Hub files); tokenizer.json is the same data in one
// file. The .esq written from the directory alone equals, byte for byte, the
// one written with --tgt-tokenizer tiktoken:multilingual.tiktoken.
const std::string kHfTokenizer = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_hf_tokenizer/";
const char* const kTokenizerFiles[] = {"/vocab.json", "/merges.txt", "/added_tokens.json", "/tokenizer.json"};

void CopyFile(const std::string& from, const std::string& to) {
  std::ofstream(to, std::ios::binary) << test::ReadFile(from);
}

void RemoveTokenizerFiles(const std::string& dir) {
  for (const char* f : kTokenizerFiles) remove((dir + f).c_str());
}

// The same files as one tokenizer.json (model.vocab, model.merges as
// "a b" strings, added_tokens as {id, content}).
void WriteTokenizerJson(const std::string& dir) {
  nlohmann::json j;
  j["model"]["type"] = "BPE";
  j["model"]["vocab"] = nlohmann::json::parse(test::ReadFile(kHfTokenizer + "vocab.json"));
  j["model"]["merges"] = nlohmann::json::array();
  std::istringstream merges(test::ReadFile(kHfTokenizer + "merges.txt"));
  std::string line;
  std::getline(merges, line);  // #version
  while (std::getline(merges, line)) {
    if (!line.empty()) j["model"]["merges"].push_back(line);
  }
  j["added_tokens"] = nlohmann::json::array();
  const nlohmann::json added = nlohmann::json::parse(test::ReadFile(kHfTokenizer + "added_tokens.json"));
  for (const auto& [text, id] : added.items()) {
    j["added_tokens"].push_back({{"id", id}, {"content", text}, {"special", true}});
  }
  std::ofstream(dir + "/tokenizer.json") << j.dump();
}

TEST(WhisperTokenizer, HuggingFaceDirectoryFilesGiveTheTiktokenTokenizer) {
  REQUIRE_SHARED_TESTDATA();
  const std::string dir = test::HfWhisperWithVocab(51865, "hfdir");
  const std::string from_tiktoken =
      ConvertWith(dir, "tiktoken:" + test::kSharedTestdata + "whisper/multilingual.tiktoken", "hf-tiktoken");
  for (const char* f : {"vocab.json", "merges.txt", "added_tokens.json"}) CopyFile(kHfTokenizer + f, dir + "/" + f);
  const std::string from_files = ConvertWith(dir, "", "hf-files");
  EXPECT_TRUE(test::ReadFile(from_files) == test::ReadFile(from_tiktoken)) << "vocab.json + merges.txt";
  RemoveTokenizerFiles(dir);
  WriteTokenizerJson(dir);
  const std::string from_json = ConvertWith(dir, "", "hf-json");
  EXPECT_TRUE(test::ReadFile(from_json) == test::ReadFile(from_tiktoken)) << "tokenizer.json";
  // And it tokenizes: Whisper's ids for a sentence.
  TokenizeCliOptions t;
  t.model = from_json;
  t.target = true;
  std::istringstream in(" And so my fellow Americans\n");
  std::ostringstream out, err;
  ASSERT_EQ(RunTokenize(t, in, out, err), 0) << err.str();
  EXPECT_EQ(test::IdList<int32_t>(out.str()),
            runtime::ByteLevelBpe::FromTiktoken(test::ReadFile(test::kSharedTestdata + "whisper/multilingual.tiktoken"))
                .Encode(" And so my fellow Americans"));
  for (const std::string& f : {from_tiktoken, from_files, from_json}) remove(f.c_str());
  RemoveTokenizerFiles(dir);
  test::RemoveWhisperDir(dir);
}

// Files that are not Whisper's tokenizer are refused in one line naming the
// file and the entry; nothing is written.
TEST(WhisperTokenizer, HuggingFaceDirectoryFilesThatAreNotWhispersAreRefused) {
  REQUIRE_SHARED_TESTDATA();
  const std::string dir = test::HfWhisperWithVocab(51865, "hfbad");
  auto refused = [&](const std::string& says) {
    const std::string out = test::WhisperTemp("hf-bad.esq");
    try {
      ConvertWith(dir, "", "hf-bad");
      ADD_FAILURE() << "converted; expected: " << says;
    } catch (const ConvertError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find(says), std::string::npos) << m;
    }
    EXPECT_NE(access(out.c_str(), F_OK), 0) << "a refused conversion left " << out;
  };
  const std::string vocab = test::ReadFile(kHfTokenizer + "vocab.json");
  const std::string merges = test::ReadFile(kHfTokenizer + "merges.txt");
  const std::string added = test::ReadFile(kHfTokenizer + "added_tokens.json");
  auto write = [&](const std::string& v, const std::string& m, const std::string& a) {
    std::ofstream(dir + "/vocab.json", std::ios::binary) << v;
    std::ofstream(dir + "/merges.txt", std::ios::binary) << m;
    std::ofstream(dir + "/added_tokens.json", std::ios::binary) << a;
  };
  // Two merges swapped: the ranks would differ from the merges.
  const size_t first = merges.find('\n') + 1, second = merges.find('\n', first) + 1,
               third = merges.find('\n', second) + 1;
  write(vocab, merges.substr(0, first) + merges.substr(second, third - second) + merges.substr(first, second - first) +
                   merges.substr(third),
        added);
  refused("merges.txt entry 1");
  // An added token that is not Whisper's at its id.
  std::string other = added;
  other.replace(other.find("<|transcribe|>"), 14, "<|transcrib3|>");
  write(vocab, merges, other);
  refused("added_tokens.json: id 50359 is '<|transcrib3|>'");
  // An id beyond the model's vocabulary.
  write(vocab, merges, "{\"<|extra|>\": 51865}");
  refused("not one of the model's 51865 token ids");
  // A BPE token missing.
  nlohmann::json v = nlohmann::json::parse(vocab);
  v.erase("Ġthe");
  write(v.dump(), merges, added);
  refused("no token has id");
  RemoveTokenizerFiles(dir);
  test::RemoveWhisperDir(dir);
}

}  // namespace
}  // namespace edgeseq::tools
