// The conventions a model file carries beside its weights (issue 14; header
// version 1.1), end to end from the converter through the runtime:
// - source framing: a model trained as PyTorch's tutorial trains (BOS + source
//   + EOS, text lowercased, unknown characters as <unk>) gives PyTorch's own
//   greedy answers in text mode, through the C++ API, the C API and the CLI
//   (tests/fixtures/text_parity, made by make_text_parity.py); the same model
//   converted without the framing does not;
// - one unknown id per vocabulary; an out-of-vocabulary character is read as
//   it, with a warning naming the line and the character (an error when the
//   model has none);
// - sinusoidal positions stored as tables are recognised whatever their
//   layout, frequencies and first position, and the runtime recomputes the
//   very table; any other table is stored once and read by both stacks.
#include <gtest/gtest.h>
#include <math.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "edgeseq/edgeseq.h"
#include "edgeseq/edgeseq.hpp"
#include "loaders/checkpoint.h"
#include "loaders/esq_reader.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "tools/convert.h"
#include "tools/generate.h"

namespace {

const std::string kDir = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/text_parity/";

nlohmann::json Expected() {
  std::ifstream in(kDir + "expected.json");
  return nlohmann::json::parse(in);
}

std::string Temp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-conventions-" + std::to_string(getpid()) + "-" + name;
}

// The text-parity model with its vocabularies, lowercasing, and the torch-
// transformer layout's default framing (BOS ... EOS) unless `bare`.
edgeseq::tools::ConvertOptions TextOptions(const std::string& out) {
  edgeseq::tools::ConvertOptions o;
  o.input = kDir + "framed.pth";
  o.output = out;
  o.heads = 4;
  o.quantize = "f32";
  o.src_vocab_file = kDir + "src.txt";
  o.tgt_vocab_file = kDir + "tgt.txt";
  o.src_tokenizer = "chars";
  o.src_normalize = "lowercase";
  return o;
}

std::string Convert(edgeseq::tools::ConvertOptions o) {
  std::ostringstream log;
  edgeseq::tools::Convert(o, log);
  return o.output;
}

std::string FramedModel() {
  static const std::string path = Convert(TextOptions(Temp("framed.esq")));
  return path;
}

TEST(SourceFraming, ConverterRecordsTheLayoutDefaultAndTheFlags) {
  const auto f = edgeseq::loaders::EsqFile::Open(FramedModel());
  EXPECT_EQ(f.minor_version(), 1);
  EXPECT_EQ(f.config().src_prefix, (std::vector<int32_t>{2}));  // --bos, as the tutorial frames
  EXPECT_EQ(f.config().src_suffix, (std::vector<int32_t>{3}));  // --eos
  EXPECT_EQ(f.config().src_normalization, edgeseq::loaders::TextNormalization::kLowercaseAscii);
  auto o = TextOptions(Temp("lang.esq"));
  o.src_prefix = std::vector<int32_t>{2, 7};
  o.src_suffix = std::vector<int32_t>{};
  const auto g = edgeseq::loaders::EsqFile::Open(Convert(o));
  EXPECT_EQ(g.config().src_prefix, (std::vector<int32_t>{2, 7}));
  EXPECT_TRUE(g.config().src_suffix.empty());
  o.src_prefix = std::vector<int32_t>{20};  // the source vocabulary has 20 ids
  try {
    Convert(o);
    FAIL() << "an id outside the source vocabulary was accepted";
  } catch (const edgeseq::tools::ConvertError& e) {
    EXPECT_NE(std::string(e.what()).find("--src-prefix 20"), std::string::npos) << e.what();
  }
}

// PyTorch's greedy answers for text, where its top-two margin leaves no doubt.
TEST(SourceFraming, TextModeMatchesPyTorchThroughBothApisAndTheCli) {
  const auto e = Expected();
  const auto model = edgeseq::Model::Load(FramedModel());
  edgeseq::Generator gen(model, {1, 32, 20, 1});
  edgeseq::GenerateOptions go;
  go.max_length = e["max_len"].get<size_t>();
  edgeseq_model* cm = nullptr;
  ASSERT_EQ(edgeseq_model_load(FramedModel().c_str(), &cm), EDGESEQ_OK);
  edgeseq_generator* cg = nullptr;
  ASSERT_EQ(edgeseq_generator_new(cm, 1, 32, 20, 1, &cg), EDGESEQ_OK);
  edgeseq_options co;
  edgeseq_options_init(&co);
  co.max_length = 20;
  std::string cli_in;
  std::vector<std::string> want;
  size_t compared = 0;
  for (const auto& c : e["cases"]) {
    const std::string text = c["text"];
    // The framing and the unknown id are what PyTorch's pipeline fed.
    EXPECT_EQ(model.EncodeSource(text), c["source_ids"].get<std::vector<int32_t>>()) << text;
    cli_in += text + "\n";
    want.push_back(c["output"]);
    if (c["margin"].get<double>() <= 1e-3) continue;
    ++compared;
    const auto got = model.DecodeTarget(gen.Generate({model.EncodeSource(text)}, go)[0][0].ids);
    EXPECT_EQ(got, c["output"].get<std::string>()) << "C++ API, '" << text << "'";
    char buf[128];
    size_t len = 0;
    ASSERT_EQ(edgeseq_generate_text(cg, text.c_str(), &co, buf, sizeof(buf), &len), EDGESEQ_OK);
    EXPECT_EQ(std::string(buf), c["output"].get<std::string>()) << "C API, '" << text << "'";
  }
  EXPECT_GE(compared, 25u);
  edgeseq_generator_free(cg);
  edgeseq_model_free(cm);

  // The CLI's text mode (edgeseq generate), every line.
  edgeseq::tools::GenerateCliOptions o;
  o.model = FramedModel();
  o.max_length = 20;
  std::istringstream in(cli_in);
  std::ostringstream out, err;
  ASSERT_EQ(edgeseq::tools::RunGenerate(o, in, out, err), 0) << err.str();
  std::istringstream lines(out.str());
  std::string line;
  size_t i = 0;
  for (const auto& c : e["cases"]) {
    ASSERT_TRUE(std::getline(lines, line));
    if (c["margin"].get<double>() > 1e-3) {
      EXPECT_EQ(line, want[i]) << "CLI, '" << c["text"] << "'";
    }
    ++i;
  }
  // Each out-of-vocabulary character: a warning naming the line and it.
  EXPECT_NE(err.str().find("line 31: 'z' is not in the model's vocabulary; read as the unknown token (id 0)"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("line 32: '1'"), std::string::npos) << err.str();
}

// The same weights converted without the framing disagree with PyTorch on
// most inputs (what the test above would catch), and --ids stay verbatim.
TEST(SourceFraming, WithoutItTheAnswersDifferAndIdsAreVerbatim) {
  auto o = TextOptions(Temp("bare.esq"));
  o.src_prefix = std::vector<int32_t>{};
  o.src_suffix = std::vector<int32_t>{};
  const auto bare = edgeseq::Model::Load(Convert(o));
  const auto framed = edgeseq::Model::Load(FramedModel());
  edgeseq::Generator gb(bare, {1, 32, 20, 1}), gf(framed, {1, 32, 20, 1});
  edgeseq::GenerateOptions go;
  go.max_length = 20;
  size_t differ = 0, n = 0;
  const nlohmann::json expected = Expected();  // the loop must not outlive it
  for (const auto& c : expected["cases"]) {
    const std::string text = c["text"];
    ++n;
    EXPECT_EQ(bare.EncodeSource(text).size() + 2, framed.EncodeSource(text).size());
    differ += bare.DecodeTarget(gb.Generate({bare.EncodeSource(text)}, go)[0][0].ids) != c["output"];
    // Ids given as ids: the same answer from both files.
    const auto ids = c["source_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(gb.Generate({ids}, go)[0][0].ids, gf.Generate({ids}, go)[0][0].ids);
  }
  EXPECT_GE(differ, n / 2) << "framing made no difference: the parity test could not fail";
}

// lowercase-join (format 1.5): apostrophes (' and U+2019) and hyphens are
// removed after lowercasing, so "Ab'c-D" reads as "abcd"; plain lowercase
// keeps them (unknown characters), and nothing else changes.
TEST(SourceNormalization, LowercaseJoinDropsApostrophesAndHyphens) {
  auto o = TextOptions(Temp("join.esq"));
  o.src_unk = 0;
  o.src_normalize = "lowercase-join";
  const std::string path = Convert(o);
  const auto f = edgeseq::loaders::EsqFile::Open(path);
  EXPECT_EQ(f.minor_version(), 5);
  EXPECT_EQ(f.config().src_normalization, edgeseq::loaders::TextNormalization::kLowercaseJoin);
  const auto join = edgeseq::Model::Load(path);
  o = TextOptions(Temp("nojoin.esq"));
  o.src_unk = 0;
  const auto plain = edgeseq::Model::Load(Convert(o));
  EXPECT_EQ(edgeseq::loaders::EsqFile::Open(o.output).minor_version(), 1);
  const auto abcd = plain.EncodeSource("abcd");
  ASSERT_EQ(abcd.size(), 6u);  // BOS a b c d EOS
  std::vector<std::string> unknown;
  for (const char* text : {"Ab'c-D", "ab\xE2\x80\x99" "cd", "--a'b'CD'", "ABCD"}) {
    unknown.clear();
    EXPECT_EQ(join.EncodeSource(text, &unknown), abcd) << text;
    EXPECT_TRUE(unknown.empty()) << text;
  }
  // Other punctuation, digits and non-ASCII letters stay, as unknown characters.
  unknown.clear();
  EXPECT_EQ(join.EncodeSource("a.9\xC3\xA9", &unknown).size(), 6u);  // BOS a . 9 é EOS
  EXPECT_EQ(unknown, (std::vector<std::string>{".", "9", "\xC3\xA9"}));
  // Plain lowercase reads the apostrophe and the hyphen as unknown characters.
  unknown.clear();
  EXPECT_EQ(plain.EncodeSource("Ab'c-D", &unknown).size(), 8u);
  EXPECT_EQ(unknown, (std::vector<std::string>{"'", "-"}));
}

TEST(UnknownIds, OnePerVocabularyAndAWarningNotAnError) {
  auto o = TextOptions(Temp("unk.esq"));
  o.src_unk = 0;
  o.tgt_unk = 1;  // not the target's <unk>, but distinct from the source's: each side reads its own
  const std::string path = Convert(o);
  const auto f = edgeseq::loaders::EsqFile::Open(path);
  EXPECT_EQ(f.config().src_unk_id, 0);
  EXPECT_EQ(f.config().tgt_unk_id, 1);
  const auto model = edgeseq::Model::Load(path);
  std::vector<std::string> unknown;
  // Lowercased first ('Z' -> 'z'); 'z' and '9' are outside a-p.
  EXPECT_EQ(model.EncodeSource("aZ9b", &unknown), (std::vector<int32_t>{2, 4, 0, 0, 5, 3}));
  EXPECT_EQ(unknown, (std::vector<std::string>{"z", "9"}));
  // Target text (edgeseq score) reads the target's unknown id.
  edgeseq::tools::GenerateCliOptions co;
  co.model = path;
  std::istringstream in("ab\tB X A\n");
  std::ostringstream out, err;
  EXPECT_EQ(edgeseq::tools::RunScore(co, in, out, err), 0) << err.str();
  EXPECT_NE(err.str().find("line 1: 'X' is not in the model's vocabulary; read as the unknown token (id 1)"),
            std::string::npos)
      << err.str();
  EXPECT_FALSE(out.str().empty());

  // Without an unknown id the character is refused, naming it.
  o = TextOptions(Temp("nounk.esq"));
  o.unk = -1;
  const auto strict = edgeseq::Model::Load(Convert(o));
  try {
    strict.EncodeSource("az");
    FAIL();
  } catch (const edgeseq::Error& e) {
    EXPECT_EQ(e.code(), edgeseq::ErrorCode::kInput);
    EXPECT_NE(std::string(e.what()).find("'z' is not in the model's vocabulary"), std::string::npos) << e.what();
  }
}

// Sinusoidal tables as the code bases that use them compute them: the pair
// i of position pos is sin/cos(pos·f_i), f_i = 10000^(-2i/d) (the paper,
// PyTorch's tutorial) or 10000^(-i/(d/2-1)) (tensor2tensor, fairseq,
// CTranslate2), side by side (interleaved) or in two halves (concatenated),
// row r holding position r + offset.
std::vector<float> Sinusoids(size_t rows, size_t d, bool interleaved, bool t2t, size_t offset) {
  std::vector<float> t(rows * d);
  const size_t half = d / 2;
  for (size_t r = 0; r < rows; ++r) {
    const double pos = static_cast<double>(r + offset);
    for (size_t i = 0; i < half; ++i) {
      const double f = t2t ? pow(10000.0, -static_cast<double>(i) / static_cast<double>(half - 1))
                           : pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(d));
      t[r * d + (interleaved ? 2 * i : i)] = static_cast<float>(sin(pos * f));
      t[r * d + (interleaved ? 2 * i + 1 : half + i)] = static_cast<float>(cos(pos * f));
    }
  }
  return t;
}

// The post-LN parity checkpoint with its position table replaced, written as
// safetensors.
std::string WithPositions(const std::string& name, const std::vector<float>& table) {
  const auto ck = edgeseq::loaders::ReadCheckpoint(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/post_relu.pth");
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& t : ck.tensors) {
    std::vector<float> v = t.ToF32();
    if (t.name == "positional_encoding.pos_embedding") {
      EXPECT_EQ(v.size(), table.size());
      v = table;
    }
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + 4 * v.size()}}};
    data.append(reinterpret_cast<const char*>(v.data()), 4 * v.size());
  }
  std::string h = header.dump();
  h.resize((h.size() + 7) / 8 * 8, ' ');
  const uint64_t n = h.size();
  const std::string path = Temp(name + ".safetensors");
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << h << data;
  return path;
}

std::string ConvertPlain(const std::string& input, const std::string& name) {
  edgeseq::tools::ConvertOptions o;
  o.input = input;
  o.output = Temp(name + ".esq");
  o.heads = 4;
  o.quantize = "f32";
  return Convert(o);
}

TEST(Positions, EverySinusoidalVariantIsRecordedAsParametersAndRecomputed) {
  const size_t rows = 64, d = 32;
  for (const bool interleaved : {true, false}) {
    for (const bool t2t : {false, true}) {
      for (const size_t offset : {0, 1, 2}) {
        const std::string name = std::string(interleaved ? "inter" : "concat") + (t2t ? "-t2t-" : "-paper-") +
                                 std::to_string(offset);
        SCOPED_TRACE(name);
        const auto table = Sinusoids(rows, d, interleaved, t2t, offset);
        const std::string path = ConvertPlain(WithPositions(name, table), name);
        const auto f = edgeseq::loaders::EsqFile::Open(path);
        const auto& c = f.config();
        EXPECT_EQ(c.position_kind, interleaved ? edgeseq::loaders::PositionKind::kSinusoidalInterleaved
                                               : edgeseq::loaders::PositionKind::kSinusoidalConcat);
        EXPECT_EQ(c.position_frequencies, t2t ? edgeseq::loaders::PositionFrequencies::kTensor2Tensor
                                              : edgeseq::loaders::PositionFrequencies::kPaper);
        EXPECT_EQ(c.position_offset, offset);
        EXPECT_EQ(c.max_positions, rows);
        EXPECT_EQ(f.Find("encoder.embed_positions.weight"), nullptr) << "the table is not stored";
        EXPECT_EQ(f.Find("decoder.embed_positions.weight"), nullptr);
        const auto model = edgeseq::runtime::Model::Load(path);
        ASSERT_NE(model->src_positions(), nullptr);
        float worst = 0;
        for (size_t k = 0; k < rows * d; ++k) {
          worst = std::max(worst, fabsf(model->src_positions()[k] - table[k]));
          worst = std::max(worst, fabsf(model->tgt_positions()[k] - table[k]));
        }
        EXPECT_LT(worst, 1e-5f);
      }
    }
  }
}

TEST(Positions, AnyOtherTableIsStoredOnceAndReadByBothStacks) {
  const size_t rows = 64, d = 32;
  // The tutorial's table, moved by 2e-3 (beyond what f16 storage explains).
  auto table = Sinusoids(rows, d, true, false, 0);
  for (size_t k = 0; k < table.size(); ++k) table[k] += (k % 3 == 0 ? 2e-3f : -2e-3f);
  const std::string learned = ConvertPlain(WithPositions("learned", table), "learned");
  const auto f = edgeseq::loaders::EsqFile::Open(learned);
  EXPECT_EQ(f.config().position_kind, edgeseq::loaders::PositionKind::kLearned);
  EXPECT_TRUE(f.config().shared_positions);
  ASSERT_NE(f.Find("encoder.embed_positions.weight"), nullptr);
  EXPECT_EQ(f.Find("decoder.embed_positions.weight"), nullptr) << "stored twice";
  const auto model = edgeseq::runtime::Model::Load(learned);
  EXPECT_EQ(model->tgt_positions(), model->src_positions());
  for (size_t k = 0; k < table.size(); ++k) ASSERT_EQ(model->src_positions()[k], table[k]) << k;
  // Both stacks really read it: the scores stay those of the exact table.
  const auto exact = edgeseq::runtime::Model::Load(
      ConvertPlain(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/post_relu.pth", "exact"));
  edgeseq::runtime::Generator a(model, {1, 16, 16, 1}), b(exact, {1, 16, 16, 1});
  const std::vector<std::vector<int32_t>> src = {{7, 9, 11}}, tgt = {{15, 13, 11}};
  EXPECT_NEAR(a.Score(src, tgt)[0], b.Score(src, tgt)[0], 0.05);
}

}  // namespace
