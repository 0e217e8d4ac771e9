// SentencePiece through libsentencepiece (issue 18): edgeseq's ids, pieces
// and decoded text equal python3-sentencepiece's on the SentencePiece
// project's own test models for every line of botchan.txt and hard strings
// (expectations: tests/fixtures/make_sentencepiece.py); a model converted
// with --src-tokenizer/--tgt-tokenizer sentencepiece:FILE and the model's own
// vocabularies maps pieces to the model's ids and back; damaged models and
// invalid UTF-8 are clean errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "loaders/esq_reader.h"
#include "runtime/error.h"
#include "runtime/sentencepiece_tokenizer.h"
#include "runtime/text_codec.h"
#include "tests/runtime/shared_testdata.h"
#include "tools/convert.h"

namespace edgeseq::runtime {
namespace {

using test::IdList;
using test::Lines;
using test::ReadFile;
const std::string kData = test::kSharedTestdata + "sentencepiece/";

TEST(SentencePiece, SameIdsPiecesAndTextAsTheLibrarysPythonBinding) {
  REQUIRE_SHARED_TESTDATA();
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/sentencepiece/expected.json");
  const auto fixture = nlohmann::json::parse(in);
  const auto botchan = Lines(ReadFile(kData + "botchan.txt"));
  size_t checked = 0;
  for (const auto& [name, m] : fixture["models"].items()) {
    const SentencePieceTokenizer sp(ReadFile(kData + name));
    ASSERT_EQ(sp.size(), m["pieces"].get<size_t>()) << name;
    for (const auto& c : m["cases"]) {
      const std::string text = c.contains("line") ? botchan.at(c["line"].get<size_t>()) : c["text"].get<std::string>();
      const std::vector<int> want = IdList<int>(c["ids"].get<std::string>());
      const std::string decoded = c.contains("decoded") ? c["decoded"].get<std::string>() : text;
      ASSERT_EQ(sp.EncodeIds(text), want) << name << ": " << text;
      ASSERT_EQ(sp.DecodeIds(want), decoded) << name << ": " << text;
      if (c.contains("pieces")) {
        const auto pieces = c["pieces"].get<std::vector<std::string>>();
        ASSERT_EQ(sp.Encode(text), pieces) << name << ": " << text;
        // (Pieces decode as written: an unknown piece keeps its text, where its
        // id decodes to the model's unknown surface " ⁇ ".)
        ASSERT_EQ(sp.Decode(pieces), c["decoded_pieces"].get<std::string>()) << name << ": " << text;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 4300u);
}

TEST(SentencePiece, DamagedModelIsAModelError) {
  REQUIRE_SHARED_TESTDATA();
  const std::string bytes = ReadFile(kData + "test_model.model");
  for (const std::string& bad : {std::string(), std::string("not a model"), bytes.substr(0, bytes.size() / 2)}) {
    try {
      SentencePieceTokenizer sp(bad);
      ADD_FAILURE() << "a damaged model of " << bad.size() << " bytes loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kModel) << e.what();
      EXPECT_NE(std::string(e.what()).find("SentencePiece"), std::string::npos) << e.what();
    }
  }
}

// The parity fixture model (20 source, 24 target ids) converted with
// SentencePiece on both sides and vocabularies of its own: the first pieces
// of test_model.model in reverse order, so that the model's ids differ from
// the .model file's, as Marian's vocab.json does.
TEST(SentencePiece, ConvertedModelMapsPiecesThroughItsVocabulary) {
  REQUIRE_SHARED_TESTDATA();
  const SentencePieceTokenizer sp(ReadFile(kData + "test_model.model"));
  const std::string dir = std::string(testing::TempDir()) + "/edgeseq-sp-" + std::to_string(getpid());
  // Pieces with line breaks cannot sit in a one-per-line vocabulary file:
  // both vocabularies leave out "\r" (id 3). Source: ids 20, 19, ..., 4, 2,
  // 1, 0 (so <unk> is our id 19); target: 0, 1, 2, 4, 5, ..., 24.
  const std::string src_path = dir + "-src.txt", tgt_path = dir + "-tgt.txt";
  std::vector<std::string> src_vocab, tgt_vocab;
  for (int id = 20; id >= 0; --id) {
    if (id != 3) src_vocab.push_back(sp.Piece(id));
  }
  for (int id = 0; id <= 24; ++id) {
    if (id != 3) tgt_vocab.push_back(sp.Piece(id));
  }
  for (const auto& [path, v] : {std::pair{src_path, &src_vocab}, std::pair{tgt_path, &tgt_vocab}}) {
    std::ofstream out(path);
    for (const auto& p : *v) out << p << "\n";
  }
  tools::ConvertOptions o;
  o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/post_relu.pth";
  o.output = dir + ".esq";
  o.heads = 4;
  o.quantize = "f32";
  o.src_vocab_file = src_path;
  o.tgt_vocab_file = tgt_path;
  o.src_tokenizer = "sentencepiece:" + kData + "test_model.model";
  o.tgt_tokenizer = "sentencepiece:" + kData + "test_model.model";
  o.src_unk = 19;  // <unk> in our source vocabulary
  std::ostringstream log;
  tools::Convert(o, log);
  const auto file = loaders::EsqFile::Open(o.output, true);
  EXPECT_EQ(file.minor_version(), 2);
  EXPECT_EQ(file.src_tokenizer(), loaders::TokenizerKind::kSentencePiece);
  const TextCodec src(file, true), tgt(file, false);
  const std::string text = "I was in the house, and it was a cat.";
  std::vector<std::string> unknown;
  const auto ids = src.EncodeTokens(text, &unknown);
  const auto pieces = sp.Encode(text);
  ASSERT_EQ(ids.size(), pieces.size());
  size_t unk = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto at = std::find(src_vocab.begin(), src_vocab.end(), pieces[i]);
    if (at == src_vocab.end()) {
      EXPECT_EQ(ids[i], o.src_unk) << pieces[i];
      ++unk;
    } else {
      EXPECT_EQ(ids[i], at - src_vocab.begin()) << pieces[i];
    }
  }
  EXPECT_EQ(unknown.size(), unk);
  EXPECT_GT(ids.size(), unk);  // some pieces are in the 20
  // Target ids back to text: pieces through the vocabulary, then the library;
  // <s> and </s> (the model's special ids) are dropped.
  std::vector<int32_t> t_ids;
  std::vector<std::string> t_pieces;
  for (const char* p : {"<s>", "▁I", "▁was", "▁in", "▁the", "s", ",", "</s>"}) {
    const auto at = std::find(tgt_vocab.begin(), tgt_vocab.end(), p);
    if (at == tgt_vocab.end()) continue;
    t_ids.push_back(static_cast<int32_t>(at - tgt_vocab.begin()));
    if (std::string(p) != "<s>" && std::string(p) != "</s>") t_pieces.push_back(p);
  }
  EXPECT_EQ(tgt.Decode(t_ids), sp.Decode(t_pieces));
  EXPECT_EQ(tgt.Decode(t_ids), "I was in thes,");
  // Invalid UTF-8 is refused before the tokenizer sees it.
  EXPECT_THROW(src.EncodeTokens("caf\xc3"), Error);
  unlink(o.output.c_str());
  unlink(src_path.c_str());
  unlink(tgt_path.c_str());
}

}  // namespace
}  // namespace edgeseq::runtime
