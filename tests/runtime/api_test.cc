// The public APIs through libedgeseq.so: C++ (edgeseq.hpp) and C
// (edgeseq.h) give the runtime's answers, stream tokens, and report errors
// as codes with one-line messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "edgeseq/edgeseq.h"
#include "edgeseq/edgeseq.hpp"
#include "tools/convert.h"

namespace {

std::string ConvertedModel(bool with_vocab) {
  const std::string dir = std::string(testing::TempDir()) + "/edgeseq-api-" + std::to_string(getpid());
  const std::string out = dir + (with_vocab ? "-vocab.esq" : ".esq");
  if (access(out.c_str(), F_OK) == 0) return out;
  edgeseq::tools::ConvertOptions o;
  o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/post_relu.pth";
  o.output = out;
  o.heads = 4;
  o.quantize = "f32";
  // The parity models were trained on bare sources (make_parity.py): no framing.
  o.src_prefix = std::vector<int32_t>{};
  o.src_suffix = std::vector<int32_t>{};
  if (with_vocab) {
    o.src_vocab_file = dir + "-src.txt";
    o.tgt_vocab_file = dir + "-tgt.txt";
    FILE* s = fopen(o.src_vocab_file.c_str(), "w");
    FILE* t = fopen(o.tgt_vocab_file.c_str(), "w");
    for (int i = 0; i < 20; ++i) fprintf(s, "%c\n", i < 4 ? '0' + i : 'a' + (i - 4));  // '0'..'3', a..p
    for (int i = 0; i < 24; ++i) fprintf(t, "T%d\n", i);
    fclose(s);
    fclose(t);
    o.src_tokenizer = "chars";
  }
  std::ostringstream log;
  edgeseq::tools::Convert(o, log);
  return out;
}

TEST(CppApi, GenerateScoreStreamAndErrors) {
  const auto model = edgeseq::Model::Load(ConvertedModel(false));
  const edgeseq::ModelInfo info = model.info();
  EXPECT_EQ(info.d_model, 32u);
  EXPECT_EQ(info.src_vocab_size, 20u);
  EXPECT_FALSE(info.has_vocabularies);
  edgeseq::Generator gen(model, {4, 16, 20, 2});
  edgeseq::GenerateOptions o;
  o.max_length = 20;
  const auto out = gen.Generate({{7, 9, 11}, {5}}, o);
  ASSERT_EQ(out.size(), 2u);
  std::vector<int32_t> streamed;
  const auto h = gen.GenerateStreaming({7, 9, 11}, o, [&](int32_t t) { streamed.push_back(t); });
  EXPECT_EQ(h.ids, out[0][0].ids);
  EXPECT_EQ(streamed, h.ids);
  const auto scores = gen.Score({{7, 9, 11}}, {h.ids});
  EXPECT_NEAR(scores[0], h.score, 1e-4);
  try {
    gen.Generate({{7, 99}}, o);
    FAIL();
  } catch (const edgeseq::Error& e) {
    EXPECT_EQ(e.code(), edgeseq::ErrorCode::kInput);
  }
  try {
    model.EncodeSource("abc");
    FAIL();
  } catch (const edgeseq::Error& e) {
    EXPECT_EQ(e.code(), edgeseq::ErrorCode::kModel);
  }
  EXPECT_THROW(edgeseq::Model::Load("/nonexistent.esq"), edgeseq::Error);
}

// An empty source has nothing to translate: an empty hypothesis with score 0
// (CTranslate2's answer), the others as if decoded alone, in place; a batch
// of only empty sources works; the streaming callback sees original indices.
TEST(CppApi, EmptySourcesGiveEmptyHypotheses) {
  const auto model = edgeseq::Model::Load(ConvertedModel(false));
  edgeseq::Generator gen(model, {4, 16, 20, 2});
  edgeseq::GenerateOptions o;
  o.max_length = 20;
  const auto alone = gen.Generate({{7, 9, 11}}, o);
  for (size_t beam : {1, 2}) {
    o.beam = beam;
    std::vector<size_t> seen;
    if (beam == 1) {
      o.on_token = [&](size_t source, int32_t) {
        seen.push_back(source);
        return false;
      };
    }
    const auto out = gen.Generate({{}, {7, 9, 11}, {}}, o);
    o.on_token = nullptr;
    ASSERT_EQ(out.size(), 3u);
    for (size_t i : {0, 2}) {
      ASSERT_EQ(out[i].size(), 1u);
      EXPECT_TRUE(out[i][0].ids.empty());
      EXPECT_EQ(out[i][0].score, 0.0f);
    }
    EXPECT_EQ(out[1][0].ids, alone[0][0].ids) << "beam " << beam;
    for (size_t s : seen) EXPECT_EQ(s, 1u);
    if (beam == 1) EXPECT_EQ(seen.size(), alone[0][0].ids.size());
    const auto none = gen.Generate({{}, {}}, o);
    ASSERT_EQ(none.size(), 2u);
    EXPECT_TRUE(none[0][0].ids.empty() && none[1][0].ids.empty());
  }
  // Scoring needs a source: still an input error.
  EXPECT_THROW(gen.Score({{}}, {{3}}), edgeseq::Error);
}

TEST(CppApi, TextThroughTheVocabularies) {
  const auto model = edgeseq::Model::Load(ConvertedModel(true));
  EXPECT_TRUE(model.info().has_vocabularies);
  EXPECT_EQ(model.EncodeSource("dfh"), (std::vector<int32_t>{7, 9, 11}));
  EXPECT_EQ(model.DecodeTarget({15, 13}), "T15 T13");
  // Outside the vocabulary: the unknown id (0 by default), reported.
  std::vector<std::string> unknown;
  EXPECT_EQ(model.EncodeSource("dZf", &unknown), (std::vector<int32_t>{7, 0, 9}));
  EXPECT_EQ(unknown, std::vector<std::string>{"Z"});
  EXPECT_THROW(model.EncodeSource("\xff"), edgeseq::Error);  // invalid UTF-8
}

// The G2P default model (64 positions) with its vocabularies, as
// tests/tools/g2p_test.sh converts it.
std::string G2pModel() {
  const std::string out = std::string(testing::TempDir()) + "/edgeseq-api-" + std::to_string(getpid()) + "-g2p.esq";
  if (access(out.c_str(), F_OK) == 0) return out;
  const std::string g2p = std::string(EDGESEQ_SOURCE_DIR) + "/examples/g2p/";
  edgeseq::tools::ConvertOptions o;
  o.input = g2p + "g2p.pth";
  o.output = out;
  o.arch = "torch-transformer";
  o.heads = 4;
  o.pad = 1;
  o.bos = 2;
  o.eos = 3;
  o.unk = 0;
  o.quantize = "f32";
  o.src_vocab_file = g2p + "letters.txt";
  o.src_tokenizer = "chars";
  o.tgt_vocab_file = g2p + "phones.txt";
  o.tgt_tokenizer = "whitespace";
  o.src_prefix = std::vector<int32_t>{};
  o.src_suffix = std::vector<int32_t>{};
  o.src_normalize = "lowercase";
  std::ostringstream log;
  edgeseq::tools::Convert(o, log);
  return out;
}

// A user's checkpoint with 32 positions (tests/fixtures/convert_cases).
std::string ThirtyTwoPositionModel() {
  const std::string out = std::string(testing::TempDir()) + "/edgeseq-api-" + std::to_string(getpid()) + "-32.esq";
  if (access(out.c_str(), F_OK) == 0) return out;
  edgeseq::tools::ConvertOptions o;
  o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/convert_cases/user_whole.pth";
  o.output = out;
  o.pad = 0;  // the fixture's special ids (expected.json)
  o.bos = 1;
  o.eos = 2;
  o.unk = 3;
  o.decoder_start = 1;
  o.embedding_scale = 4.0f;
  o.quantize = "f32";
  std::ostringstream log;
  edgeseq::tools::Convert(o, log);
  return out;
}

// Issue 15, "C++ API defaults fit the model": a default Generator and default
// options work on models with fewer than 256 positions, planned for the
// model's positions.
TEST(CppApi, DefaultsFitModelsWithFewPositions) {
  for (const auto& [path, positions] : std::vector<std::pair<std::string, size_t>>{
           {ConvertedModel(false), 64}, {G2pModel(), 64}, {ThirtyTwoPositionModel(), 32}}) {
    SCOPED_TRACE(path);
    const auto model = edgeseq::Model::Load(path);
    ASSERT_EQ(model.info().max_positions, positions);
    edgeseq::Generator gen(model);
    const edgeseq::Limits l = gen.limits();
    EXPECT_EQ(l.max_batch, 16u);
    EXPECT_EQ(l.max_source, positions);
    EXPECT_EQ(l.max_target, positions);
    EXPECT_EQ(l.max_beam, 1u);
    const std::vector<std::vector<int32_t>> sources = {{5, 7, 9}, {6}};
    const auto out = gen.Generate(sources, {});
    ASSERT_EQ(out.size(), 2u);
    // The default max_length is the Generator's max_target.
    edgeseq::GenerateOptions explicit_length;
    explicit_length.max_length = positions;
    const auto same = gen.Generate(sources, explicit_length);
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i][0].ids, same[i][0].ids);
      EXPECT_EQ(out[i][0].score, same[i][0].score);
    }
    const auto streamed = gen.GenerateStreaming(sources[0], {}, [](int32_t) {});
    EXPECT_EQ(streamed.ids, out[0][0].ids);
    EXPECT_NEAR(gen.Score({sources[0]}, {out[0][0].ids})[0], out[0][0].score, 1e-4);
    // Explicit limits within the model are kept as given.
    edgeseq::Generator small(model, {2, 8, 10, 2});
    const edgeseq::Limits s = small.limits();
    EXPECT_EQ(s.max_batch, 2u);
    EXPECT_EQ(s.max_source, 8u);
    EXPECT_EQ(s.max_target, 10u);
    EXPECT_EQ(s.max_beam, 2u);
    EXPECT_LE(small.Generate({{5}}, {})[0][0].ids.size(), 10u);  // default max_length: the Generator's 10
  }
}

// The usage example at the top of edgeseq.hpp, verbatim, on the G2P model.
TEST(CppApi, HeaderExampleRunsOnTheG2pModel) {
  auto model = edgeseq::Model::Load(G2pModel());
  edgeseq::Generator gen(model);
  auto out = gen.Generate({model.EncodeSource("hello")}, {});
  EXPECT_FALSE(model.DecodeTarget(out[0][0].ids).empty());
}

// An explicit request beyond the model or the Generator is still an error,
// naming the limit.
TEST(CppApi, ExplicitLimitsBeyondTheModelAreErrors) {
  const auto model = edgeseq::Model::Load(ThirtyTwoPositionModel());
  auto expect_limit = [](auto&& f, const std::vector<std::string>& mentions) {
    try {
      f();
      ADD_FAILURE() << "accepted: " << mentions[0];
    } catch (const edgeseq::Error& e) {
      EXPECT_EQ(e.code(), edgeseq::ErrorCode::kLimit) << e.what();
      for (const auto& m : mentions) EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
    }
  };
  expect_limit([&] { edgeseq::Generator(model, {1, 33, 0, 1}); }, {"max_source 33", "32 positions"});
  expect_limit([&] { edgeseq::Generator(model, {1, 0, 256, 1}); }, {"max_target 256", "32 positions"});
  edgeseq::Generator gen(model);
  edgeseq::GenerateOptions o;
  o.max_length = 33;
  expect_limit([&] { gen.Generate({{5}}, o); }, {"max length 33", "max_target of 32"});
  expect_limit([&] { gen.GenerateStreaming({5}, o, [](int32_t) {}); }, {"max length 33", "max_target of 32"});
  edgeseq::Generator small(model, {1, 0, 20, 1});
  o.max_length = 21;
  expect_limit([&] { small.Generate({{5}}, o); }, {"max length 21", "max_target of 20"});
  expect_limit([&] { gen.Generate({std::vector<int32_t>(33, 5)}, {}); }, {"33 tokens", "32"});
}

TEST(CApi, SameAnswersAndErrorCodes) {
  const auto cpp_model = edgeseq::Model::Load(ConvertedModel(true));
  edgeseq::Generator cpp(cpp_model, {1, 16, 20, 1});
  edgeseq::GenerateOptions co;
  co.max_length = 20;
  const auto want = cpp.Generate({{7, 9, 11}}, co)[0][0];

  edgeseq_model* model = nullptr;
  ASSERT_EQ(edgeseq_model_load(ConvertedModel(true).c_str(), &model), EDGESEQ_OK);
  size_t positions = 0;
  ASSERT_EQ(edgeseq_model_info(model, nullptr, nullptr, &positions), EDGESEQ_OK);
  EXPECT_EQ(positions, 64u);
  edgeseq_generator* gen = nullptr;
  ASSERT_EQ(edgeseq_generator_new(model, 1, 16, 20, 1, &gen), EDGESEQ_OK);
  edgeseq_options o;
  edgeseq_options_init(&o);
  o.max_length = 20;
  const int32_t src[] = {7, 9, 11};
  int32_t ids[32];
  size_t len = 0;
  float score = 0;
  ASSERT_EQ(edgeseq_generate(gen, src, 3, &o, ids, 32, &len, &score), EDGESEQ_OK);
  EXPECT_EQ(std::vector<int32_t>(ids, ids + len), want.ids);
  EXPECT_FLOAT_EQ(score, want.score);
  // Too little room: the length is still reported, nothing is overrun.
  int32_t one[1] = {-7};
  ASSERT_EQ(edgeseq_generate(gen, src, 3, &o, one, 0, &len, nullptr), EDGESEQ_OK);
  EXPECT_EQ(len, want.ids.size());
  EXPECT_EQ(one[0], -7);
  char text[64];
  ASSERT_EQ(edgeseq_generate_text(gen, "dfh", &o, text, sizeof(text), &len), EDGESEQ_OK);
  EXPECT_EQ(std::string(text), cpp_model.DecodeTarget(want.ids));
  float logprob = 0;
  ASSERT_EQ(edgeseq_score(gen, src, 3, want.ids.data(), want.ids.size(), &logprob), EDGESEQ_OK);
  EXPECT_NEAR(logprob, want.score, 1e-4);

  const int32_t bad[] = {7, 99};
  EXPECT_EQ(edgeseq_generate(gen, bad, 2, &o, ids, 32, &len, &score), EDGESEQ_ERROR_INPUT);
  EXPECT_NE(std::string(edgeseq_last_error()).find("id 99"), std::string::npos) << edgeseq_last_error();
  o.beam = 2;
  EXPECT_EQ(edgeseq_generate(gen, src, 3, &o, ids, 32, &len, &score), EDGESEQ_ERROR_LIMIT);
  EXPECT_EQ(edgeseq_generate(nullptr, src, 3, &o, ids, 32, &len, &score), EDGESEQ_ERROR_ARGUMENT);
  edgeseq_model* none = nullptr;
  EXPECT_EQ(edgeseq_model_load("/nonexistent.esq", &none), EDGESEQ_ERROR_MODEL);
  EXPECT_EQ(none, nullptr);
  EXPECT_NE(std::string(edgeseq_last_error()).find("/nonexistent.esq"), std::string::npos);
  edgeseq_generator_free(gen);
  edgeseq_model_free(model);
}

}  // namespace
