// The multilingual Hugging Face families with their tokenizer files (issue
// 18): mBART (MBartTokenizer, tokenizer.json), mBART-50 (added_tokens.json),
// NLLB (tokenizer_config.json's additional_special_tokens) and M2M100
// (vocab.json + special_tokens_map.json), on the tiny random weights of
// tests/fixtures/hf_families. Source ids with --source-lang, the target
// language token, target ids and decoded text equal the reference
// (python3-sentencepiece and the families' id rules, recorded by
// tests/fixtures/make_hf_multilingual.py); the CLI, C++ and C APIs agree.

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "edgeseq/edgeseq.h"
#include "edgeseq/edgeseq.hpp"
#include "loaders/esq_reader.h"
#include "tools/convert.h"
#include "tools/generate.h"
#include "tools/tokenize.h"

namespace edgeseq::tools {
namespace {

const std::string kFixtures = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CopyFiles(const std::string& from, const std::string& to) {
  DIR* d = opendir(from.c_str());
  ASSERT_NE(d, nullptr) << from;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name == "expected.json") continue;
    std::ofstream(to + "/" + name, std::ios::binary) << ReadFile(from + "/" + name);
  }
  closedir(d);
}

// A fixture directory: the family's weights and configs, then the
// tokenizer files; converted to f32.
class Multilingual {
 public:
  explicit Multilingual(const std::string& name) {
    char tmpl[] = "/tmp/edgeseq-multilingual-XXXXXX";
    dir_ = mkdtemp(tmpl);
    expected_ = nlohmann::json::parse(ReadFile(kFixtures + "hf_multilingual/expected.json"))[name];
    CopyFiles(kFixtures + "hf_families/" + expected_["family"].get<std::string>(), dir_);
    CopyFiles(kFixtures + "hf_multilingual/" + name, dir_);
    ConvertOptions o;
    o.input = dir_;
    o.output = dir_ + ".esq";
    o.quantize = "f32";
    o.strict = true;
    o.src_normalize = "none";
    std::ostringstream log;
    Convert(o, log);
    log_ = log.str();
    esq_ = o.output;
  }
  ~Multilingual() {
    std::system(("rm -rf '" + dir_ + "'").c_str());
    unlink(esq_.c_str());
  }
  const std::string& esq() const { return esq_; }
  const std::string& log() const { return log_; }
  const nlohmann::json& expected() const { return expected_; }

 private:
  std::string dir_, esq_, log_;
  nlohmann::json expected_;
};

// The code inside a language token, as a user may type it: en_XX → en,
// __en__ → en, eng_Latn → eng.
std::string ShortCode(const std::string& token) {
  if (token.rfind("__", 0) == 0) return token.substr(2, token.size() - 4);
  return token.substr(0, token.find('_'));
}

void CheckFamily(const std::string& name) {
  SCOPED_TRACE(name);
  const Multilingual m(name);
  const nlohmann::json& e = m.expected();
  EXPECT_NE(m.log().find("language tokens"), std::string::npos) << m.log();
  const edgeseq::Model model = edgeseq::Model::Load(m.esq());
  EXPECT_EQ(model.Languages(), e["languages"].get<std::vector<std::string>>());
  for (const auto& c : e["cases"]) {
    const std::string text = c["text"], src_lang = c["source_language"], tgt_lang = c["target_language"];
    SCOPED_TRACE(text);
    const auto source_ids = c["source_ids"].get<std::vector<int32_t>>();
    const auto target_ids = c["target_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(model.EncodeSource(text, src_lang, nullptr), source_ids);
    EXPECT_EQ(model.TargetLanguagePrefix(tgt_lang), std::vector<int32_t>{c["target_language_id"].get<int32_t>()});
    EXPECT_EQ(model.Encode(text, edgeseq::Side::kTarget), target_ids);
    // The forced language token and the special tokens typed in the text are
    // left out of the decoded text, as skip_special_tokens does.
    std::vector<int32_t> hypothesis = {c["target_language_id"].get<int32_t>()};
    hypothesis.insert(hypothesis.end(), target_ids.begin(), target_ids.end());
    EXPECT_EQ(model.DecodeTarget(hypothesis), c["decoded"].get<std::string>());
    // The code inside the token names the same language when only one matches.
    const std::string code = ShortCode(src_lang);
    if (name != "nllb" || code != "zho") {
      EXPECT_EQ(model.EncodeSource(text, code, nullptr), source_ids) << code;
    }
    // edgeseq tokenize --source-lang.
    TokenizeCliOptions t;
    t.model = m.esq();
    t.source_language = src_lang;
    std::istringstream in(text + "\n");
    std::ostringstream out, err;
    EXPECT_EQ(RunTokenize(t, in, out, err), 0) << err.str();
    std::string ids;
    for (int32_t id : source_ids) ids += (ids.empty() ? "" : " ") + std::to_string(id);
    EXPECT_EQ(out.str(), ids + "\n");
  }
  // Without a language, the source is framed as before (no language token).
  const auto& first = e["cases"][0];
  std::vector<int32_t> plain = first["source_ids"].get<std::vector<int32_t>>();
  const int32_t lang = model.EncodeSource(first["text"].get<std::string>(), first["source_language"].get<std::string>(),
                                          nullptr)[e["framing"] == "before" ? 0 : plain.size() - 1];
  plain.erase(std::find(plain.begin(), plain.end(), lang));
  EXPECT_EQ(model.EncodeSource(first["text"].get<std::string>()), plain);
  // Unknown languages are refused naming the choices.
  try {
    model.EncodeSource("the cat", "xx_YY", nullptr);
    ADD_FAILURE() << "an unknown language was accepted";
  } catch (const edgeseq::Error& err) {
    EXPECT_EQ(err.code(), edgeseq::ErrorCode::kInput);
    EXPECT_NE(std::string(err.what()).find(e["languages"][0].get<std::string>()), std::string::npos) << err.what();
  }
}

TEST(HfMultilingual, MbartTokenizerJson) { CheckFamily("mbart"); }
TEST(HfMultilingual, Mbart50AddedTokensJson) { CheckFamily("mbart50"); }
TEST(HfMultilingual, NllbAdditionalSpecialTokens) { CheckFamily("nllb"); }
TEST(HfMultilingual, M2M100VocabJson) { CheckFamily("m2m_100"); }

// Decoding leaves the special tokens out, or with keep_special writes each as
// its text between the SentencePiece runs (SentencePiece alone would write
// the control pieces </s> and <s> as nothing; the expected string follows
// transformers' T5Tokenizer.convert_tokens_to_string, worked by hand).
TEST(HfMultilingual, KeepSpecialWritesEverySpecialToken) {
  const Multilingual m("mbart");
  const edgeseq::Model model = edgeseq::Model::Load(m.esq());
  const auto& c = m.expected()["cases"][4];  // "the cat </s> sat"
  ASSERT_EQ(c["text"], "the cat </s> sat");
  std::vector<int32_t> ids = c["source_ids"].get<std::vector<int32_t>>();  // tokens </s> en_XX
  ids.insert(ids.begin(), 0);                                             // <s>
  ids.push_back(1);                                                       // <pad>
  EXPECT_EQ(model.Decode(ids, edgeseq::Side::kSource), "the cat sat");
  // As Hugging Face's SentencePiece tokenizers write them (convert_tokens_to_string):
  // a run's word-boundary mark is a space after text, specials are glued.
  EXPECT_EQ(model.Decode(ids, edgeseq::Side::kSource, true),
            "<s> the cat</s> sat</s>" + c["source_language"].get<std::string>() + "<pad>");
  edgeseq_model* cm = nullptr;
  ASSERT_EQ(edgeseq_model_load(m.esq().c_str(), &cm), EDGESEQ_OK);
  char* text = nullptr;
  ASSERT_EQ(edgeseq_decode(cm, EDGESEQ_SIDE_SOURCE, ids.data(), ids.size(), 1, &text, nullptr), EDGESEQ_OK);
  EXPECT_EQ(std::string(text), model.Decode(ids, edgeseq::Side::kSource, true));
  edgeseq_free(text);
  edgeseq_model_free(cm);
}

TEST(HfMultilingual, AnAmbiguousCodeNamesTheCandidates) {
  const Multilingual m("nllb");
  const edgeseq::Model model = edgeseq::Model::Load(m.esq());
  try {
    model.TargetLanguagePrefix("zho");
    ADD_FAILURE() << "'zho' matches two tokens";
  } catch (const edgeseq::Error& err) {
    EXPECT_NE(std::string(err.what()).find("zho_Hans, zho_Hant"), std::string::npos) << err.what();
  }
  EXPECT_EQ(model.TargetLanguagePrefix("zho_Hant"), std::vector<int32_t>{46});
}

// generate: --source-lang / --target-lang give what the C++ API gives with
// the same ids and target prefix, and the hypotheses start with the language.
TEST(HfMultilingual, CliAndApisAgree) {
  const Multilingual m("m2m_100");
  const edgeseq::Model model = edgeseq::Model::Load(m.esq());
  const std::string text = "the cat sat on the mat";
  edgeseq::Generator gen(model, {});
  edgeseq::GenerateOptions o;
  o.max_length = 12;
  o.target_prefix = {model.TargetLanguagePrefix("de")};
  const auto hyps = gen.Generate({model.EncodeSource(text, "en", nullptr)}, o);
  ASSERT_FALSE(hyps[0][0].ids.empty());
  EXPECT_EQ(hyps[0][0].ids[0], 36);  // __de__

  GenerateCliOptions c;
  c.model = m.esq();
  c.max_length = 12;
  c.source_language = "en";
  c.target_language = "__de__";
  std::istringstream in(text + "\n");
  std::ostringstream out, err;
  ASSERT_EQ(RunGenerate(c, in, out, err), 0) << err.str();
  EXPECT_EQ(out.str(), model.DecodeTarget(hyps[0][0].ids) + "\n");
  // Without the languages it still runs, with a warning naming the options.
  GenerateCliOptions plain = c;
  plain.source_language.clear();
  plain.target_language.clear();
  std::istringstream in0(text + "\n");
  std::ostringstream out0, err0;
  ASSERT_EQ(RunGenerate(plain, in0, out0, err0), 0) << err0.str();
  EXPECT_NE(err0.str().find("--source-lang"), std::string::npos) << err0.str();
  EXPECT_NE(err0.str().find("--target-lang"), std::string::npos) << err0.str();
  c.ids = true;  // ids are verbatim: no source language
  std::istringstream in2("35 18 2\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunGenerate(c, in2, out2, err2), 1);
  EXPECT_NE(err2.str().find("--source-lang"), std::string::npos) << err2.str();

  // The C API: languages, edgeseq_encode_source, and the text call's params.
  edgeseq_model* cm = nullptr;
  ASSERT_EQ(edgeseq_model_load(m.esq().c_str(), &cm), EDGESEQ_OK);
  ASSERT_EQ(edgeseq_model_language_count(cm), 3u);
  EXPECT_STREQ(edgeseq_model_language(cm, 1), "__de__");
  EXPECT_EQ(edgeseq_model_language(cm, 3), nullptr);
  int32_t* ids = nullptr;
  size_t n = 0;
  ASSERT_EQ(edgeseq_encode_source(cm, text.c_str(), "en", &ids, &n), EDGESEQ_OK);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + n), model.EncodeSource(text, "en", nullptr));
  edgeseq_free(ids);
  EXPECT_EQ(edgeseq_encode_source(cm, text.c_str(), "xx", &ids, &n), EDGESEQ_ERROR_INPUT);
  EXPECT_NE(std::string(edgeseq_last_error()).find("__en__"), std::string::npos) << edgeseq_last_error();
  edgeseq_generator* cg = nullptr;
  ASSERT_EQ(edgeseq_generator_new(cm, 1, 0, 0, 1, &cg), EDGESEQ_OK);
  edgeseq_generate_params p;
  edgeseq_generate_params_init(&p);
  p.max_length = 12;
  p.source_language = "en";
  p.target_language = "de";
  char* got = nullptr;
  ASSERT_EQ(edgeseq_generate_text_with_params(cg, text.c_str(), &p, &got), EDGESEQ_OK) << edgeseq_last_error();
  EXPECT_EQ(std::string(got), model.DecodeTarget(hyps[0][0].ids));
  edgeseq_free(got);
  // Ids in: the target language applies, a source language is refused.
  const std::vector<int32_t> src = model.EncodeSource(text, "en", nullptr);
  const int32_t* srcs[] = {src.data()};
  const size_t lens[] = {src.size()};
  edgeseq_result* r = nullptr;
  p.source_language = nullptr;
  ASSERT_EQ(edgeseq_generate_batch(cg, srcs, lens, 1, &p, &r), EDGESEQ_OK) << edgeseq_last_error();
  const int32_t* hyp = nullptr;
  size_t hyp_len = 0;
  float score = 0;
  ASSERT_EQ(edgeseq_result_hypothesis(r, 0, 0, &hyp, &hyp_len, &score), EDGESEQ_OK);
  EXPECT_EQ(std::vector<int32_t>(hyp, hyp + hyp_len), hyps[0][0].ids);
  edgeseq_result_free(r);
  p.source_language = "en";
  EXPECT_EQ(edgeseq_generate_batch(cg, srcs, lens, 1, &p, &r), EDGESEQ_ERROR_INPUT);
  edgeseq_generator_free(cg);
  edgeseq_model_free(cm);
}

// A directory whose language ids contradict the layout is refused, naming
// the file; one without language tokens converts with a note.
TEST(HfMultilingual, InconsistentOrMissingLanguagesAreReported) {
  char tmpl[] = "/tmp/edgeseq-multilingual-bad-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  CopyFiles(kFixtures + "hf_families/m2m_100", dir);
  CopyFiles(kFixtures + "hf_multilingual/m2m_100", dir);
  std::ofstream(dir + "/added_tokens.json") << R"({"__en__": 5})";  // id 5 is a piece of vocab.json
  ConvertOptions o;
  o.input = dir;
  o.output = dir + ".esq";
  o.quantize = "f32";
  o.src_normalize = "none";
  std::ostringstream log;
  try {
    Convert(o, log);
    ADD_FAILURE() << "a language token over a piece was accepted";
  } catch (const ConvertError& e) {
    EXPECT_NE(std::string(e.what()).find("added_tokens.json: '__en__' has id 5"), std::string::npos) << e.what();
  }
  struct stat st;
  EXPECT_NE(stat(o.output.c_str(), &st), 0) << "no output after a refusal";
  // Files from strangers: each malformed one is a one-line error naming it.
  for (const auto& [file, bytes, says] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"added_tokens.json", R"({"__en__": "x"})", "added_tokens.json: '__en__' has no integer id"},
           {"added_tokens.json", R"({"__en__": 4800000})", "has id 4800000, outside the model's 48 ids"},
           {"added_tokens.json", R"([1, 2])", "added_tokens.json"},
           {"tokenizer.json", R"({"added_tokens": [{"id": 40}]})", "an added token without a content string"},
           {"tokenizer.json", R"({"added_tokens": [{"content": "__xx__", "id": -3}]})", "has id -3"},
           {"special_tokens_map.json", R"({"additional_special_tokens": [7]})", "not a token"}}) {
    std::ofstream(dir + "/" + file) << bytes;
    std::ostringstream l;
    try {
      Convert(o, l);
      ADD_FAILURE() << file << " " << bytes << " was accepted";
    } catch (const ConvertError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
    EXPECT_NE(stat(o.output.c_str(), &st), 0) << "no output after a refusal";
    unlink((dir + "/" + file).c_str());
  }
  unlink((dir + "/special_tokens_map.json").c_str());
  std::ostringstream log2;
  Convert(o, log2);
  EXPECT_NE(log2.str().find("no language tokens"), std::string::npos) << log2.str();
  const edgeseq::Model model = edgeseq::Model::Load(o.output);
  EXPECT_TRUE(model.Languages().empty());
  EXPECT_THROW(model.EncodeSource("the cat", "en", nullptr), edgeseq::Error);
  std::system(("rm -rf '" + dir + "' '" + o.output + "'").c_str());
}

}  // namespace
}  // namespace edgeseq::tools
