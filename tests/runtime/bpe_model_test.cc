// Byte-level BPE inside the model file (issue 18): a tiny tokenizer
// (tests/fixtures/bpe/tiny, made by tests/fixtures/make_bpe.py) converted
// from each form edgeseq-convert reads -- vocab.json + merges.txt,
// tokenizer.json, .tiktoken + specials -- gives the reference's ids through
// the model's vocabulary and decodes them back; special tokens stay whole;
// malformed tokenizer files are one-line conversion errors, and a damaged
// section a load error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "edgeseq/edgeseq.hpp"
#include "loaders/checksum.h"
#include "loaders/esq_reader.h"
#include "runtime/bpe_tokenizer.h"
#include "runtime/error.h"
#include "runtime/text_codec.h"
#include "tests/runtime/shared_testdata.h"
#include "loaders/utf8.h"
#include "tools/convert.h"
#include "tools/generate.h"
#include "tools/inspect.h"
#include "tools/tokenize.h"

namespace edgeseq::runtime {
namespace {

using test::IdList;
using test::ReadFile;
const std::string kTiny = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/bpe/tiny/";

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-bpe-" + std::to_string(getpid()) + "-" + name;
}

// tests/fixtures/checkpoints/model.safetensors (PyTorch's nn.Transformer,
// d_model 16) with `rows` tokens on both sides: its embedding and output rows
// repeated, enough for a tokenizer of that many ids.
std::string CheckpointWithRows(size_t rows) {
  const std::string in = ReadFile(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/checkpoints/model.safetensors");
  uint64_t n = 0;
  memcpy(&n, in.data(), 8);
  const auto header = nlohmann::json::parse(in.substr(8, n));
  const std::string data = in.substr(8 + n);
  nlohmann::json out_header = nlohmann::json::object();
  std::string out_data;
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    const size_t begin = t["data_offsets"][0], end = t["data_offsets"][1];
    std::string bytes = data.substr(begin, end - begin);
    auto shape = t["shape"];
    if (name == "generator.weight" || name == "generator.bias" || name == "src_tok_emb.embedding.weight" ||
        name == "tgt_tok_emb.embedding.weight") {
      const size_t old_rows = shape[0], row = bytes.size() / old_rows;
      std::string grown;
      for (size_t r = 0; r < rows; ++r) grown += bytes.substr((r % old_rows) * row, row);
      bytes = grown;
      shape[0] = rows;
    }
    out_header[name] = {{"dtype", t["dtype"]}, {"shape", shape},
                        {"data_offsets", {out_data.size(), out_data.size() + bytes.size()}}};
    out_data += bytes;
  }
  std::string h = out_header.dump();
  while (h.size() % 8) h += ' ';
  const uint64_t hn = h.size();
  const std::string path = Temp(std::to_string(rows) + ".safetensors");
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(&hn), 8);
  f << h << out_data;
  return path;
}

// special: the model's pad, bos, eos and decoder start id (-1: the layout's
// defaults, 1, 2, 3 and 2, which the tiny tokenizer's specials match).
std::string Convert(const std::string& tokenizer, size_t rows, const std::string& name, int32_t special = -1) {
  tools::ConvertOptions o;
  if (special >= 0) o.pad = o.bos = o.eos = o.decoder_start = special;
  o.input = CheckpointWithRows(rows);
  o.output = Temp(name + ".esq");
  o.heads = 2;
  o.quantize = "f32";
  o.src_tokenizer = tokenizer;
  o.tgt_tokenizer = tokenizer;
  std::ostringstream log;
  tools::Convert(o, log);
  unlink(o.input.c_str());
  return o.output;
}

nlohmann::json Expected() {
  std::ifstream in(kTiny + "expected.json");
  return nlohmann::json::parse(in);
}

bool HasSpecial(const std::string& text) {
  for (const char* s : {"<s>", "</s>", "<pad>", "<unk>"}) {
    if (text.find(s) != std::string::npos) return true;
  }
  return false;
}

TEST(BpeModel, EachFormGivesTheReferenceIdsAndDecodesBack) {
  const auto expected = Expected();
  for (const std::string& spec : {"bpe:" + kTiny + "vocab.json," + kTiny + "merges.txt", "hf:" + kTiny + "tokenizer.json"}) {
    SCOPED_TRACE(spec);
    const std::string path = Convert(spec, expected["rows"], "merges");
    const auto file = loaders::EsqFile::Open(path, true);
    EXPECT_EQ(file.minor_version(), 3);
    EXPECT_EQ(file.src_tokenizer(), loaders::TokenizerKind::kByteLevelBpe);
    const TextCodec src(file, true), tgt(file, false);
    size_t checked = 0;
    for (const auto& c : expected["cases"]) {
      const std::string text = c["text"];
      const auto want = IdList<int32_t>(c["ids"].get<std::string>());
      ASSERT_EQ(src.EncodeTokens(text), want) << text;
      ASSERT_EQ(tgt.EncodeTokens(text), want) << text;
      // Special tokens are left out unless asked for.
      ASSERT_EQ(tgt.Decode(want, true), text) << text;
      if (!HasSpecial(text)) {
        ASSERT_EQ(tgt.Decode(want), text) << text;
      }
      ++checked;
    }
    EXPECT_EQ(checked, 310u);
    // Special tokens are never split, and decoding drops them.
    EXPECT_EQ(tgt.EncodeTokens("</s>"), (std::vector<int32_t>{2}));
    EXPECT_EQ(tgt.Decode({0, 2, 1}), "");
    unlink(path.c_str());
  }
}

TEST(BpeModel, TiktokenFormWithSpecials) {
  const auto expected = Expected();
  const std::string path =
      Convert("tiktoken:" + kTiny + "tiny.tiktoken," + kTiny + "specials.txt", expected["tiktoken_rows"], "tiktoken");
  const auto file = loaders::EsqFile::Open(path, true);
  const TextCodec tgt(file, false);
  for (const auto& c : expected["cases"]) {
    const std::string text = c["text"];
    const auto want = IdList<int32_t>(c["tiktoken_ids"].get<std::string>());
    ASSERT_EQ(tgt.EncodeTokens(text), want) << text;
    ASSERT_EQ(tgt.Decode(want), text) << text;
  }
  const int32_t eot = static_cast<int32_t>(expected["tiktoken_rows"].get<size_t>()) - 1;
  EXPECT_EQ(tgt.EncodeTokens("a<|endoftext|>"), (std::vector<int32_t>{'a', eot}));
  EXPECT_EQ(tgt.Decode({'a', eot}), "a");
  unlink(path.c_str());
}

// GPT-2's real tokenizer (Whisper's gpt2.tiktoken, 50256 ranks) with
// <|endoftext|> after the ranks, as GPT-2 numbers it (50257 rows): the ids of
// tests/fixtures/bpe/expected.json (a reference BPE in Python) for every line
// of botchan.txt and the mixed-script sample, through the model file.
TEST(BpeModel, RealTiktokenThroughTheModelFile) {
  REQUIRE_SHARED_TESTDATA();
  const std::string path =
      Convert("tiktoken:" + test::kSharedTestdata + "whisper/gpt2.tiktoken," + kTiny + "specials.txt", 50257, "gpt2", 50256);
  const auto file = loaders::EsqFile::Open(path, true);
  const TextCodec tgt(file, false);
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/bpe/expected.json");
  const auto fixture = nlohmann::json::parse(in);
  const auto botchan = test::Lines(ReadFile(test::kSharedTestdata + "sentencepiece/botchan.txt"));
  size_t checked = 0;
  for (const auto& c : fixture["gpt2.tiktoken"]["cases"]) {
    const std::string text = c.contains("line") ? botchan.at(c["line"].get<size_t>()) : c["text"].get<std::string>();
    if (text.find("<|endoftext|>") != std::string::npos) {
      // The reference knows no special tokens; the model's is one id.
      EXPECT_EQ(tgt.EncodeTokens(text).front(), 50256) << text;
      continue;
    }
    const auto want = IdList<int32_t>(c["ids"].get<std::string>());
    ASSERT_EQ(tgt.EncodeTokens(text), want) << text;
    ASSERT_EQ(tgt.Decode(want), text) << text;
    ++checked;
  }
  EXPECT_GT(checked, 4300u);
  EXPECT_EQ(tgt.Decode({15496, 50256, 11}), "Hello,");  // <|endoftext|> left out
  EXPECT_EQ(tgt.Decode({15496, 50256, 11}, true), "Hello<|endoftext|>,");
  unlink(path.c_str());
}

TEST(BpeModel, RoundTripsBotchanAndRepairsCutCharacters) {
  REQUIRE_SHARED_TESTDATA();
  const std::string path = Convert("hf:" + kTiny + "tokenizer.json", Expected()["rows"], "botchan");
  edgeseq::Model model = edgeseq::Model::Load(path);
  const auto file = loaders::EsqFile::Open(path, true);
  const TextCodec tgt(file, false);
  size_t lines = 0;
  for (const std::string& line : test::Lines(ReadFile(test::kSharedTestdata + "sentencepiece/botchan.txt"))) {
    ASSERT_EQ(tgt.Decode(tgt.EncodeTokens(line)), line);
    ++lines;
  }
  EXPECT_GT(lines, 4000u);
  // The public API's text calls go through the same codec.
  EXPECT_EQ(model.DecodeTarget(tgt.EncodeTokens("naïve café")), "naïve café");
  EXPECT_EQ(model.EncodeSource("Hello"), TextCodec(file, true).Encode("Hello"));  // framed as the layout's sources
  // "é" is two byte tokens here: the first alone is a cut character.
  const auto e = tgt.EncodeTokens("é");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(tgt.Decode({e[0]}), "\xEF\xBF\xBD");
  EXPECT_EQ(tgt.Decode({tgt.EncodeTokens("a")[0], e[0]}), "a\xEF\xBF\xBD");
  try {
    model.EncodeSource("caf\xc3");
    ADD_FAILURE() << "invalid UTF-8 encoded";
  } catch (const edgeseq::Error& err) {
    EXPECT_EQ(err.code(), edgeseq::ErrorCode::kInput);
  }
  unlink(path.c_str());
}

// edgeseq tokenize / detokenize (tools/tokenize.h) on a BPE model, and the
// C++ API's either-side calls.
TEST(BpeModel, TokenizeAndDetokenizeSubcommands) {
  const std::string path = Convert("hf:" + kTiny + "tokenizer.json", Expected()["rows"], "cli");
  const auto file = loaders::EsqFile::Open(path);
  const TextCodec tgt(file, false);
  tools::TokenizeCliOptions o;
  o.model = path;
  o.target = true;
  std::istringstream in("Hello, world!\n</s>caf\xc3\xa9\n");
  std::ostringstream out, err;
  ASSERT_EQ(tools::RunTokenize(o, in, out, err), 0) << err.str();
  const std::string ids = FormatIds(tgt.EncodeTokens("Hello, world!")), ids2 = FormatIds(tgt.EncodeTokens("</s>café"));
  EXPECT_EQ(out.str(), ids + "\n" + ids2 + "\n");
  EXPECT_EQ(ids2.substr(0, 2), "2 ");  // </s> whole
  o.pieces = true;
  std::istringstream in2("Hello café\n");
  std::ostringstream pieces;
  ASSERT_EQ(tools::RunTokenize(o, in2, pieces, err), 0) << err.str();
  std::string want;
  for (int32_t id : tgt.EncodeTokens("Hello café")) want += std::string(want.empty() ? "" : " ") + std::string(file.tgt_vocab()->tokens[id]);
  EXPECT_EQ(pieces.str(), want + "\n");
  EXPECT_NE(want.find("Ġ"), std::string::npos);  // GPT-2's spelling of a space
  std::istringstream back(ids + "\n" + ids2 + "\n");
  std::ostringstream text;
  ASSERT_EQ(tools::RunDetokenize(o, back, text, err), 0) << err.str();
  EXPECT_EQ(text.str(), "Hello, world!\ncafé\n");
  o.keep_special = true;
  std::istringstream back2(ids2 + "\n");
  std::ostringstream kept;
  ASSERT_EQ(tools::RunDetokenize(o, back2, kept, err), 0) << err.str();
  EXPECT_EQ(kept.str(), "</s>café\n");
  std::istringstream bad("1 2\n3 9999\n");
  std::ostringstream bad_err;
  EXPECT_EQ(tools::RunDetokenize(o, bad, text, bad_err), 1);
  EXPECT_NE(bad_err.str().find("line 2: id 9999 is outside"), std::string::npos) << bad_err.str();
  edgeseq::Model model = edgeseq::Model::Load(path);
  EXPECT_EQ(model.Encode("</s>café", edgeseq::Side::kTarget), tgt.EncodeTokens("</s>café"));
  EXPECT_EQ(model.Decode(tgt.EncodeTokens("</s>café"), edgeseq::Side::kTarget), "café");
  EXPECT_EQ(model.Decode(tgt.EncodeTokens("</s>café"), edgeseq::Side::kSource, true), "</s>café");
  unlink(path.c_str());
}

// The CLI's text mode (generate, score) and inspect on a BPE model.
TEST(BpeModel, GenerateScoreAndInspectInTextMode) {
  const std::string path = Convert("hf:" + kTiny + "tokenizer.json", Expected()["rows"], "generate");
  tools::GenerateCliOptions g;
  g.model = path;
  g.max_length = 8;
  std::istringstream in("Hello, world!\n日本語 </s>\n");
  std::ostringstream out, err;
  ASSERT_EQ(tools::RunGenerate(g, in, out, err), 0) << err.str();
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_TRUE(loaders::IsValidUtf8(text)) << text;  // cut characters come out as U+FFFD
  std::istringstream bad("ok\ncaf\xc3\n");
  std::ostringstream bad_out, bad_err;
  EXPECT_EQ(tools::RunGenerate(g, bad, bad_out, bad_err), 1);
  EXPECT_NE(bad_err.str().find("line 2"), std::string::npos) << bad_err.str();
  std::istringstream pairs("Hello\tHello world\n");
  std::ostringstream scores;
  ASSERT_EQ(tools::RunScore(g, pairs, scores, err), 0) << err.str();
  EXPECT_FALSE(scores.str().empty());
  std::ostringstream report;
  ASSERT_EQ(tools::Inspect(path, false, report, err), 0) << err.str();
  EXPECT_NE(report.str().find("(byte-level BPE)"), std::string::npos) << report.str();
  unlink(path.c_str());
}

void ExpectConvertFails(const std::string& spec, const std::string& mentions) {
  SCOPED_TRACE(spec);
  tools::ConvertOptions o;
  o.input = CheckpointWithRows(380);
  o.output = Temp("fail.esq");
  o.heads = 2;
  o.src_tokenizer = spec;
  o.tgt_tokenizer = spec;
  std::ostringstream log;
  try {
    tools::Convert(o, log);
    ADD_FAILURE() << "converted";
  } catch (const tools::ConvertError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(mentions), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_NE(access(o.output.c_str(), F_OK), 0) << "an output was left";
  unlink(o.input.c_str());
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = Temp(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(BpeModel, MalformedTokenizerFilesAreOneLineErrors) {
  const std::string vocab = kTiny + "vocab.json", merges = ReadFile(kTiny + "merges.txt");
  const std::string bad_merges = WriteTemp("m1.txt", merges + "onlyone\n");
  ExpectConvertFails("bpe:" + vocab + "," + bad_merges, "two tokens separated by one space");
  const std::string unknown_merge = WriteTemp("m2.txt", merges + "z qqq\n");
  ExpectConvertFails("bpe:" + vocab + "," + unknown_merge, "'qqq' is not in the vocabulary");
  const std::string not_json = WriteTemp("v.json", "{\"a\": ");
  ExpectConvertFails("bpe:" + not_json + "," + kTiny + "merges.txt", "is not JSON");
  const std::string hole = WriteTemp("v2.json", "{\"a\": 0, \"b\": 2}");
  ExpectConvertFails("bpe:" + hole + "," + kTiny + "merges.txt", "no token has id 1");
  ExpectConvertFails("bpe:" + vocab, "VOCAB.json,MERGES.txt");
  auto tj = nlohmann::json::parse(ReadFile(kTiny + "tokenizer.json"));
  tj["model"]["type"] = "WordPiece";
  ExpectConvertFails("hf:" + WriteTemp("wp.json", tj.dump()), "the model is WordPiece");
  tj["model"]["type"] = "BPE";
  tj["pre_tokenizer"] = {{"type", "Metaspace"}};
  ExpectConvertFails("hf:" + WriteTemp("ms.json", tj.dump()), "the pre-tokenizer is Metaspace");
  const std::string tiktoken = ReadFile(kTiny + "tiny.tiktoken");
  ExpectConvertFails("tiktoken:" + WriteTemp("t1.tiktoken", tiktoken + "!!!! 376\n"), "is not base64");
  ExpectConvertFails("tiktoken:" + WriteTemp("t2.tiktoken", tiktoken.substr(0, tiktoken.find('\n') + 1)), "byte 1 has no rank");
  // A tokenizer whose numbering does not fit the model asks for --*-vocab.
  ExpectConvertFails("tiktoken:" + kTiny + "tiny.tiktoken", "give the model's own vocabulary");
}

TEST(BpeModel, DamagedSectionIsAModelError) {
  const std::string vocab_text = ReadFile(kTiny + "tiny.tiktoken");
  const std::string good = ByteLevelBpe::FromTiktoken(vocab_text).ToSection();
  EXPECT_NO_THROW(ByteLevelBpe::FromSection(good));
  std::vector<std::string> bad;
  for (size_t n = 0; n < good.size(); n += 7) bad.push_back(good.substr(0, n));  // every truncation
  bad.push_back(good + "x");
  for (size_t at : {0, 4, 8, 12, 16, 20, 21}) {  // version, flags, counts, a token length
    std::string b = good;
    b[at] = static_cast<char>(0x7F);
    bad.push_back(b);
  }
  // In a model file, with checksums that match (what a writer with a bug,
  // or a crafted file, would give): loading the model is Error(kModel).
  const std::string path = Convert("tiktoken:" + kTiny + "tiny.tiktoken," + kTiny + "specials.txt",
                                   Expected()["tiktoken_rows"], "damaged");
  std::string bytes = ReadFile(path);
  uint32_t sections = 0;
  memcpy(&sections, bytes.data() + 12, 4);
  bool patched = false;
  for (uint32_t i = 0; i < sections; ++i) {
    char* entry = bytes.data() + 32 + 32 * i;
    uint32_t kind = 0;
    uint64_t offset = 0, size = 0;
    memcpy(&kind, entry, 4);
    memcpy(&offset, entry + 8, 8);
    memcpy(&size, entry + 16, 8);
    if (kind != static_cast<uint32_t>(loaders::SectionKind::kTgtTokenizerModel)) continue;
    bytes[offset + 8] = static_cast<char>(0xFF);  // the token count: far more than the section holds
    const uint64_t sum = loaders::Checksum(bytes.data() + offset, size);
    memcpy(entry + 24, &sum, 8);
    patched = true;
  }
  ASSERT_TRUE(patched);
  const uint64_t table = loaders::Checksum(bytes.data() + 32, 32 * sections);
  memcpy(bytes.data() + 24, &table, 8);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  try {
    edgeseq::Model::Load(path);
    ADD_FAILURE() << "a model with a damaged BPE section loaded";
  } catch (const edgeseq::Error& e) {
    EXPECT_EQ(e.code(), edgeseq::ErrorCode::kModel) << e.what();
    EXPECT_NE(std::string(e.what()).find("target tokenizer: byte-level BPE section"), std::string::npos) << e.what();
  }
  unlink(path.c_str());
  for (const std::string& b : bad) {
    try {
      ByteLevelBpe::FromSection(b);
      ADD_FAILURE() << "a damaged section of " << b.size() << " bytes loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kModel) << e.what();
      EXPECT_NE(std::string(e.what()).find("byte-level BPE"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace edgeseq::runtime
