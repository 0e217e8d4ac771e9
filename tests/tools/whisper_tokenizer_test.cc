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

}  // namespace
}  // namespace edgeseq::tools
