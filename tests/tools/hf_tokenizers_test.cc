// Hugging Face directories with their tokenizer files (issues 18, 19): the
// converter picks up Marian's source.spm / target.spm / vocab.json and T5's
// spiece.model (+ <extra_id_N> sentinels) and maps the tokenizer's pieces to
// the model's ids; text in and out through the converted model equals the
// reference tokenizer (python3-sentencepiece, recorded in
// tests/fixtures/hf_families/tokenizers.json by make_hf_tokenizers.py; for
// BART's vocab.json + merges.txt, tests/fixtures/bpe/tiny/expected.json).
// Files present but malformed or inconsistent are refused in one line.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "edgeseq/edgeseq.hpp"
#include "loaders/esq_reader.h"
#include "tools/convert.h"
#include "tools/tokenize.h"

namespace edgeseq::tools {
namespace {

const std::string kFixtures = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/";

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-hftok-" + std::to_string(getpid()) + "-" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json Expected() { return nlohmann::json::parse(ReadFile(kFixtures + "hf_families/tokenizers.json")); }

std::string ConvertDir(const std::string& dir, const std::string& name, std::string* log_text = nullptr) {
  ConvertOptions o;
  o.input = dir;
  o.output = Temp(name + ".esq");
  o.quantize = "f32";
  o.strict = true;
  o.src_normalize = "none";
  std::ostringstream log;
  Convert(o, log);
  if (log_text) *log_text = log.str();
  return o.output;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

// Text in and out through the converted model against the reference.
void CheckTextParity(const std::string& key, const std::string& dir) {
  std::string log;
  const std::string esq = ConvertDir(kFixtures + dir, key.substr(key.find('/') + 1), &log);
  EXPECT_EQ(log.find("ids only"), std::string::npos) << log;
  const edgeseq::Model model = edgeseq::Model::Load(esq);
  const auto file = loaders::EsqFile::Open(esq);
  ASSERT_NE(file.src_vocab(), nullptr);
  const auto& src_tokens = file.src_vocab()->tokens;
  const int32_t unk = file.config().tgt_unk_id;
  EXPECT_GE(unk, 0);
  const nlohmann::json expected = Expected();  // (a temporary's member would dangle in the loop)
  for (const auto& c : expected[key]) {
    if (c.contains("sentinel")) {
      EXPECT_EQ(file.tgt_vocab()->tokens.at(c["id"].get<size_t>()), c["sentinel"].get<std::string>());
      continue;
    }
    const std::string source = c["source"], target = c["target"];
    const auto source_ids = c["source_ids"].get<std::vector<int32_t>>();
    const auto target_ids = c["target_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(model.EncodeSource(source), source_ids) << source;
    EXPECT_EQ(model.Encode(target, edgeseq::Side::kTarget), target_ids) << target;
    if (std::find(target_ids.begin(), target_ids.end(), unk) == target_ids.end()) {
      EXPECT_EQ(model.DecodeTarget(target_ids), c["target_decoded"].get<std::string>()) << target;
    }
    // edgeseq tokenize -m MODEL --pieces: the vocabulary's tokens of the framed ids.
    std::vector<std::string> pieces;
    for (int32_t id : source_ids) pieces.emplace_back(src_tokens.at(static_cast<size_t>(id)));
    TokenizeCliOptions t;
    t.model = esq;
    t.pieces = true;
    std::istringstream in(source + "\n");
    std::ostringstream out, err;
    EXPECT_EQ(RunTokenize(t, in, out, err), 0) << err.str();
    EXPECT_EQ(out.str(), Join(pieces) + "\n");
  }
  unlink(esq.c_str());
}

TEST(HfTokenizers, MarianTextEqualsTheReference) { CheckTextParity("marian", "hf_families/marian"); }
TEST(HfTokenizers, T5TextEqualsTheReference) {
  CheckTextParity("t5/v1_0", "t5/v1_0");  // tokenizer_config.json extra_ids 16
  CheckTextParity("t5/v1_1", "t5/v1_1");  // no tokenizer_config.json: the rows left (8)
}

// BART's vocab.json + merges.txt (tests/fixtures/bpe/tiny's byte-level BPE
// beside a tiny BART with its 380 rows): the reference ids of make_bpe.py,
// sources framed <s> ... </s>, text back for ids without special tokens.
void CheckBart(const std::string& dir) {
  std::string log;
  const std::string esq = ConvertDir(dir, "bart_bpe", &log);
  EXPECT_EQ(log.find("ids only"), std::string::npos) << log;
  const edgeseq::Model model = edgeseq::Model::Load(esq);
  const auto expected = nlohmann::json::parse(ReadFile(kFixtures + "bpe/tiny/expected.json"));
  size_t checked = 0;
  for (const auto& c : expected["cases"]) {
    const std::string text = c["text"];
    std::vector<int32_t> ids;
    std::istringstream in(c["ids"].get<std::string>());
    for (int32_t id; in >> id;) ids.push_back(id);
    ASSERT_EQ(model.Encode(text, edgeseq::Side::kTarget), ids) << text;
    std::vector<int32_t> framed;
    if (!ids.empty()) {
      framed.push_back(0);
      framed.insert(framed.end(), ids.begin(), ids.end());
      framed.push_back(2);
    }
    ASSERT_EQ(model.EncodeSource(text), framed) << text;
    if (std::none_of(ids.begin(), ids.end(), [](int32_t id) { return id <= 3; })) {
      ASSERT_EQ(model.DecodeTarget(ids), text);
    }
    if (++checked == 60) break;
  }
  unlink(esq.c_str());
}

TEST(HfTokenizers, BartTextEqualsTheReference) { CheckBart(kFixtures + "hf_families/bart_bpe"); }

TEST(HfTokenizers, MarianVocabularyMapsTheModelsIds) {
  const std::string esq = ConvertDir(kFixtures + "hf_families/marian", "marian-vocab");
  const auto file = loaders::EsqFile::Open(esq);
  const auto vocab = nlohmann::json::parse(ReadFile(kFixtures + "hf_families/marian/vocab.json"));
  ASSERT_EQ(file.src_vocab()->tokens.size(), vocab.size());
  for (const auto& [piece, id] : vocab.items()) {
    EXPECT_EQ(file.src_vocab()->tokens.at(id.get<size_t>()), piece);
    EXPECT_EQ(file.tgt_vocab()->tokens.at(id.get<size_t>()), piece);
  }
  EXPECT_EQ(file.config().src_unk_id, 1);  // vocab.json's <unk>
  EXPECT_EQ(file.src_tokenizer(), loaders::TokenizerKind::kSentencePiece);
  // vocab.json's pieces that target.spm lacks (from source.spm) decode as
  // text with their word-boundary marks as spaces (MarianTokenizer's
  // convert_tokens_to_string), never as a literal U+2581.
  const edgeseq::Model model = edgeseq::Model::Load(esq);
  std::vector<int32_t> all;
  for (int32_t id = 2; id < 47; ++id) all.push_back(id);
  const std::string text = model.DecodeTarget(all);
  EXPECT_EQ(text.find("\xE2\x96\x81"), std::string::npos) << text;
  EXPECT_FALSE(text.empty());
  EXPECT_NE(text[0], ' ') << text;
  unlink(esq.c_str());
}

// A scratch copy of a fixture directory with files replaced or removed.
struct ScratchDir {
  std::string dir;
  std::vector<std::string> files;
  ScratchDir(const std::string& from, const std::vector<std::string>& names, const std::string& tag)
      : dir(Temp(tag)) {
    mkdir(dir.c_str(), 0755);
    for (const auto& n : names) Write(n, ReadFile(from + "/" + n));
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    files.push_back(name);
  }
  void Remove(const std::string& name) { unlink((dir + "/" + name).c_str()); }
  ~ScratchDir() {
    for (const auto& f : files) unlink((dir + "/" + f).c_str());
    rmdir(dir.c_str());
  }
};

std::string ErrorOf(const ConvertOptions& o) {
  std::ostringstream log;
  try {
    Convert(o, log);
  } catch (const ConvertError& e) {
    EXPECT_NE(access(o.output.c_str(), F_OK), 0) << "a refused conversion left " << o.output;
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "converted " << o.input << " but should have refused";
  unlink(o.output.c_str());
  return "";
}

std::string ErrorOf(const std::string& dir) {
  ConvertOptions o;
  o.input = dir;
  o.output = Temp("refused.esq");
  return ErrorOf(o);
}

const std::vector<std::string> kMarian = {"config.json", "generation_config.json", "model.safetensors",
                                          "source.spm", "target.spm", "vocab.json"};

TEST(HfTokenizers, MalformedOrInconsistentFilesAreRefused) {
  const std::string marian = kFixtures + "hf_families/marian";
  auto vocab = nlohmann::json::parse(ReadFile(marian + "/vocab.json"));
  {
    ScratchDir d(marian, kMarian, "gap");
    auto v = vocab;
    v["<pad>"] = 48;  // id 47 has no piece
    d.Write("vocab.json", v.dump());
    const std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("vocab.json"), std::string::npos) << e;
    EXPECT_NE(e.find("48"), std::string::npos) << e;
  }
  {
    ScratchDir d(marian, kMarian, "short");
    auto v = vocab;
    v.erase("<pad>");  // dense 0 … 46: one row short of the embedding
    d.Write("vocab.json", v.dump());
    const std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("47 tokens"), std::string::npos) << e;
    EXPECT_NE(e.find("48 rows"), std::string::npos) << e;
  }
  {
    ScratchDir d(marian, kMarian, "nospm");
    d.Remove("target.spm");
    const std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("target.spm is missing"), std::string::npos) << e;
  }
  {
    ScratchDir d(marian, kMarian, "badspm");
    d.Write("source.spm", "not a model");
    const std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("source.spm is not a SentencePiece model"), std::string::npos) << e;
  }
  {
    ScratchDir d(marian, kMarian, "sep");
    d.Write("tokenizer_config.json", R"({"separate_vocabs": true})");
    const std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("target_vocab.json"), std::string::npos) << e;
  }
  {
    const std::string t5 = kFixtures + "t5/v1_0";
    ScratchDir d(t5, {"config.json", "model.safetensors", "spiece.model"}, "extra");
    d.Write("tokenizer_config.json", R"({"extra_ids": 17})");  // 32 + 17 > 48
    const std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("extra_ids"), std::string::npos) << e;
  }
  {
    // BART's vocab.json + merges.txt: a byte-level BPE needs at least the 256
    // bytes, more rows than this fixture's embedding has.
    const std::string bart = kFixtures + "hf_families/bart";
    ScratchDir d(bart, {"config.json", "generation_config.json", "model.safetensors.index.json",
                        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}, "bart");
    d.Write("vocab.json", ReadFile(kFixtures + "bpe/tiny/vocab.json"));
    d.Write("merges.txt", ReadFile(kFixtures + "bpe/tiny/merges.txt"));
    std::string e = ErrorOf(d.dir);
    EXPECT_NE(e.find("380 tokens"), std::string::npos) << e;
    EXPECT_NE(e.find("48 rows"), std::string::npos) << e;
    d.Remove("merges.txt");
    e = ErrorOf(d.dir);
    EXPECT_NE(e.find("merges.txt is missing"), std::string::npos) << e;
  }
}

TEST(HfTokenizers, BartTokenizerJsonAloneIsRead) {
  ScratchDir d(kFixtures + "hf_families/bart_bpe", {"config.json", "generation_config.json", "model.safetensors"},
               "bart_json");
  d.Write("tokenizer.json", ReadFile(kFixtures + "bpe/tiny/tokenizer.json"));
  CheckBart(d.dir);
}

TEST(HfTokenizers, MarianSeparateVocabulariesMapTheTargetByTargetVocabJson) {
  // marian_separate (48 source rows, 40 target rows) with the Marian
  // tokenizer files and a target_vocab.json of its own: vocab.json's first
  // 39 ids and <pad> 39.
  const std::string sep = kFixtures + "hf_families/marian_separate", marian = kFixtures + "hf_families/marian";
  ScratchDir d(sep, {"config.json", "generation_config.json", "pytorch_model.bin.index.json",
                     "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"}, "sep_vocab");
  for (const char* f : {"source.spm", "target.spm", "vocab.json"}) d.Write(f, ReadFile(marian + "/" + f));
  const auto vocab = nlohmann::json::parse(ReadFile(marian + "/vocab.json"));
  nlohmann::json target = nlohmann::json::object();
  for (const auto& [piece, id] : vocab.items()) {
    if (id.get<int>() < 39) target[piece] = id;
  }
  target["<pad>"] = 39;
  d.Write("target_vocab.json", target.dump());
  ConvertOptions o;
  o.input = d.dir;
  o.output = Temp("sep.esq");
  std::ostringstream log;
  ASSERT_NO_THROW(Convert(o, log)) << log.str();
  const auto file = loaders::EsqFile::Open(o.output);
  ASSERT_EQ(file.src_vocab()->tokens.size(), 48u);
  ASSERT_EQ(file.tgt_vocab()->tokens.size(), 40u);
  for (const auto& [piece, id] : target.items()) EXPECT_EQ(file.tgt_vocab()->tokens.at(id.get<size_t>()), piece);
  EXPECT_EQ(file.tgt_vocab()->tokens[39], "<pad>");
  EXPECT_EQ(file.src_vocab()->tokens[47], "<pad>");
  unlink(o.output.c_str());
}

TEST(HfTokenizers, AFlagWinsForItsSide) {
  const std::string marian = kFixtures + "hf_families/marian";
  // --src-tokenizer replaces the directory's tokenizer and its vocabulary:
  // target.spm's own 28 pieces do not fill the 48 rows, said in one line.
  ConvertOptions o;
  o.input = marian;
  o.output = Temp("flag.esq");
  o.src_tokenizer = "sentencepiece:" + marian + "/target.spm";
  const std::string e = ErrorOf(o);
  EXPECT_NE(e.find("--src-tokenizer"), std::string::npos) << e;
  // --src-vocab replaces the vocabulary only: the directory's source.spm
  // with the given lines.
  const std::string lines = Temp("vocab.txt");
  {
    std::ofstream f(lines);
    for (int i = 0; i < 48; ++i) f << (i == 5 ? "▁cat" : "x" + std::to_string(i)) << "\n";
  }
  o.src_tokenizer.reset();
  o.src_vocab_file = lines;
  o.unk = 1;
  o.src_unk = 1;
  std::ostringstream log;
  Convert(o, log);
  const edgeseq::Model model = edgeseq::Model::Load(o.output);
  EXPECT_EQ(model.EncodeSource("cat"), (std::vector<int32_t>{5, 0}));
  unlink(o.output.c_str());
  unlink(lines.c_str());
}

}  // namespace
}  // namespace edgeseq::tools
