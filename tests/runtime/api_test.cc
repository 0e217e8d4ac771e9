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
