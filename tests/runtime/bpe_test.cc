// Byte-level BPE from Whisper's tiktoken files (issue 18): ids equal a
// reference BPE written in Python (tests/fixtures/make_bpe.py) on every line
// of botchan.txt and a mixed-script sample, decoding gives the text back,
// Whisper's own tokenizer test holds, and damaged files are clean errors.
#include "runtime/bpe_tokenizer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/error.h"
#include "tests/runtime/shared_testdata.h"

namespace edgeseq::runtime {
namespace {

using test::IdList;
using test::Lines;
using test::ReadFile;
const std::string& kShared = test::kSharedTestdata;

TEST(ByteLevelBpe, SameIdsAsTheReferenceAndDecodesBack) {
  REQUIRE_SHARED_TESTDATA();
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/bpe/expected.json");
  const auto fixture = nlohmann::json::parse(in);
  const auto botchan = Lines(ReadFile(kShared + "sentencepiece/botchan.txt"));
  size_t checked = 0;
  for (const auto& [name, m] : fixture.items()) {
    const auto bpe = ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/" + name));
    ASSERT_EQ(bpe.size(), m["tokens"].get<size_t>()) << name;
    for (const auto& c : m["cases"]) {
      const std::string text = c.contains("line") ? botchan.at(c["line"].get<size_t>()) : c["text"].get<std::string>();
      const auto want = IdList<int32_t>(c["ids"].get<std::string>());
      ASSERT_EQ(bpe.Encode(text), want) << name << ": " << text;
      ASSERT_EQ(bpe.Decode(want), text) << name;
      ++checked;
    }
  }
  EXPECT_GT(checked, 4300u);
}

// openai/whisper tests/test_tokenizer.py: a Korean sentence decodes back to
// itself with both files and takes fewer tokens with the multilingual one.
TEST(ByteLevelBpe, WhispersTokenizerTest) {
  REQUIRE_SHARED_TESTDATA();
  const auto gpt2 = ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/gpt2.tiktoken"));
  const auto multi = ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/multilingual.tiktoken"));
  const std::string text = "다람쥐 헌 쳇바퀴에 타고파";
  const auto g = gpt2.Encode(text), m = multi.Encode(text);
  EXPECT_EQ(gpt2.Decode(g), text);
  EXPECT_EQ(multi.Decode(m), text);
  EXPECT_GT(g.size(), m.size());
}

// A run of CJK letters (or of spaces) is one piece however long: it merges
// through a heap, and still decodes back (ids equal the reference's for the
// long pieces of expected.json, e.g. 200 a's).
TEST(ByteLevelBpe, LongPiecesMergeAndDecodeBack) {
  REQUIRE_SHARED_TESTDATA();
  const auto multi = ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/multilingual.tiktoken"));
  std::string cjk, spaces(20000, ' ');
  for (int i = 0; i < 20000; ++i) cjk += i % 3 ? "日本" : "語";
  for (const std::string& text : {cjk, spaces, "x" + spaces + "y"}) {
    const auto ids = multi.Encode(text);
    if (text == cjk) {
      EXPECT_LT(ids.size(), text.size() / 2);  // (GPT-2's files merge no spaces)
    }
    EXPECT_EQ(multi.Decode(ids), text);
  }
}

TEST(ByteLevelBpe, DamagedFilesAndTextAreCleanErrors) {
  std::string bytes;
  for (int c = 0; c < 256; ++c) {
    const unsigned char b = static_cast<unsigned char>(c);
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes += std::string{k[b >> 2], k[(b & 3) << 4], '=', '='} + " " + std::to_string(c) + "\n";
  }
  const auto ok = ByteLevelBpe::FromTiktoken(bytes);  // the 256 bytes alone: a valid, merge-free file
  EXPECT_EQ(ok.Encode("ab"), (std::vector<int32_t>{'a', 'b'}));
  for (const auto& [bad, mentions] : std::vector<std::pair<std::string, std::string>>{
           {bytes + "!!!! 256\n", "not base64"},
           {bytes + "YWI= 300\n", "rank 300 where 256 is next"},
           {bytes + "YQ== 256\n", "repeated token"},
           {bytes + "YWI=\n", "expected 'base64 rank'"},
           {bytes.substr(bytes.find('\n') + 1), "rank 1 where 0 is next"},
           {"", "byte 0 has no rank"}}) {
    try {
      ByteLevelBpe::FromTiktoken(bad);
      ADD_FAILURE() << "accepted: " << mentions;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kModel);
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ok.Encode("caf\xc3"), Error);
  EXPECT_THROW(ok.Decode({256}), Error);
}

}  // namespace
}  // namespace edgeseq::runtime
