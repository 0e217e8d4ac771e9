// The public APIs through libedgeseq.so: C++ (edgeseq.hpp) and C
// (edgeseq.h) give the runtime's answers, stream tokens, and report errors
// as codes with one-line messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>
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
    if (beam == 1) {
      EXPECT_EQ(seen.size(), alone[0][0].ids.size());
    }
    const auto none = gen.Generate({{}, {}}, o);
    ASSERT_EQ(none.size(), 2u);
    EXPECT_TRUE(none[0][0].ids.empty() && none[1][0].ids.empty());
  }
  // Scoring an empty source: 0 (each target token and the EOS score 0, as
  // CTranslate2's score_batch); its neighbour keeps its own score.
  const auto single = gen.Score({{4, 5}}, {{3}});
  const auto scored = gen.Score({{}, {4, 5}}, {{3}, {3}});
  EXPECT_EQ(scored[0], 0.0f);
  EXPECT_NEAR(scored[1], single[0], 1e-5f);
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

// The parity model with the converter's default source framing (2 ... 3).
std::string FramedModel() {
  const std::string out = std::string(testing::TempDir()) + "/edgeseq-api-" + std::to_string(getpid()) + "-framed.esq";
  if (access(out.c_str(), F_OK) == 0) return out;
  edgeseq::tools::ConvertOptions o;
  o.input = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/parity/post_relu.pth";
  o.output = out;
  o.heads = 4;
  o.quantize = "f32";
  std::ostringstream log;
  edgeseq::tools::Convert(o, log);
  return out;
}

// CTranslate2's TranslationOptions on the C++ API (issue 17; agreement with
// CTranslate2 itself: tests/tools/ct2_options_test.cc). Each option does
// what it says on a model whose outputs repeat tokens, and bad values are
// kInput (kLimit for a limit).
class CppApiCt2Options : public ::testing::Test {
 protected:
  CppApiCt2Options() : model_(edgeseq::Model::Load(ConvertedModel(false))), gen_(model_, {8, 16, 20, 4}) {}
  std::vector<std::vector<edgeseq::Hypothesis>> Run(const std::vector<std::vector<int32_t>>& sources,
                                                   const edgeseq::GenerateOptions& o) {
    return gen_.Generate(sources, o);
  }
  edgeseq::Hypothesis Best(const std::vector<int32_t>& source, const edgeseq::GenerateOptions& o) {
    return gen_.Generate({source}, o)[0][0];
  }
  void ExpectError(edgeseq::GenerateOptions o, edgeseq::ErrorCode code, const std::string& mention) {
    try {
      gen_.Generate({kSource}, o);
      ADD_FAILURE() << "accepted: " << mention;
    } catch (const edgeseq::Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
  }
  static bool Has(const std::vector<int32_t>& ids, const std::vector<int32_t>& seq) {
    return std::search(ids.begin(), ids.end(), seq.begin(), seq.end()) != ids.end();
  }
  // Greedy: 18 14 18 16 8 23 10 (18 twice).
  const std::vector<int32_t> kSource = {4, 19, 6, 8, 10, 12, 14};
  const std::vector<std::vector<int32_t>> kSources = {{4, 19, 6, 8, 10, 12, 14}, {7, 9, 11}, {5}, {11, 13, 15, 17, 19},
                                                      {19, 18, 17, 16, 15, 14, 13, 12}, {4, 4, 4, 4, 4, 4}};
  edgeseq::Model model_;
  edgeseq::Generator gen_;
};

TEST_F(CppApiCt2Options, RepetitionPenalty) {
  edgeseq::GenerateOptions o;
  const auto plain = Best(kSource, o);
  ASSERT_EQ(std::set<int32_t>(plain.ids.begin(), plain.ids.end()).size() + 1, plain.ids.size()) << "18 repeats";
  o.repetition_penalty = 100.0f;  // CTranslate2's RepetitionPenalty test: then every token is new
  for (size_t beam : {1, 4}) {
    o.beam = beam;
    for (const auto& h : Run(kSources, o)) {
      EXPECT_EQ(std::set<int32_t>(h[0].ids.begin(), h[0].ids.end()).size(), h[0].ids.size()) << "beam " << beam;
    }
  }
  o.beam = 1;
  o.repetition_penalty = 1.0f;
  EXPECT_EQ(Best(kSource, o).ids, plain.ids);  // 1: off
  for (float bad : {0.0f, -1.0f, NAN, INFINITY}) {
    o.repetition_penalty = bad;
    ExpectError(o, edgeseq::ErrorCode::kInput, "repetition penalty");
  }
}

TEST_F(CppApiCt2Options, NoRepeatNgramSize) {
  for (size_t n : {1, 2, 3}) {
    for (size_t beam : {1, 4}) {
      edgeseq::GenerateOptions o;
      o.beam = beam;
      o.no_repeat_ngram_size = n;
      for (const auto& h : Run(kSources, o)) {
        std::set<std::vector<int32_t>> seen;
        for (size_t i = 0; i + n <= h[0].ids.size(); ++i) {
          EXPECT_TRUE(seen.emplace(h[0].ids.begin() + i, h[0].ids.begin() + i + n).second)
              << "n " << n << " beam " << beam << ": an n-gram twice";
        }
      }
    }
  }
}

TEST_F(CppApiCt2Options, DisableUnk) {
  const int32_t unk = model_.info().tgt_unk_id;
  ASSERT_GE(unk, 0);
  edgeseq::GenerateOptions o;
  o.sample = true;
  o.temperature = 3.0f;  // the unknown token then comes up now and then
  size_t with = 0, without = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    o.seed = seed;
    o.disable_unk = false;
    for (const auto& h : Run(kSources, o)) without += std::count(h[0].ids.begin(), h[0].ids.end(), unk);
    o.disable_unk = true;
    for (const auto& h : Run(kSources, o)) with += std::count(h[0].ids.begin(), h[0].ids.end(), unk);
  }
  EXPECT_GT(without, 0u);
  EXPECT_EQ(with, 0u);
  // Removed before the log-softmax: the other tokens share its probability,
  // so the same greedy answer scores higher.
  edgeseq::GenerateOptions g;
  const auto plain = Best(kSource, g);
  g.disable_unk = true;
  const auto disabled = Best(kSource, g);
  EXPECT_EQ(disabled.ids, plain.ids);
  EXPECT_GT(disabled.score, plain.score);
}

TEST_F(CppApiCt2Options, SuppressSequences) {
  edgeseq::GenerateOptions o;
  const auto plain = Best(kSource, o);  // 18 14 18 16 8 23 10
  ASSERT_TRUE(Has(plain.ids, {18}) && Has(plain.ids, {14, 18}));
  for (size_t beam : {1, 4}) {
    o.beam = beam;
    o.suppress_sequences = {{18}};
    for (const auto& h : Run(kSources, o)) EXPECT_FALSE(Has(h[0].ids, {18})) << "beam " << beam;
    o.suppress_sequences = {{14, 18}, {}};  // an empty one is ignored
    const auto out = Run(kSources, o);
    for (const auto& h : out) EXPECT_FALSE(Has(h[0].ids, {14, 18})) << "beam " << beam;
    if (beam == 1) {
      EXPECT_TRUE(Has(out[0][0].ids, {18}));  // alone, 18 still comes
      EXPECT_EQ(out[0][0].ids[0], 18);
    }
  }
  o.beam = 1;
  o.suppress_sequences = {{18, 24}};
  ExpectError(o, edgeseq::ErrorCode::kInput, "suppressed sequence 0: token 24 is outside the target vocabulary");
  o.suppress_sequences = {{-1}};
  ExpectError(o, edgeseq::ErrorCode::kInput, "token -1");
}

TEST_F(CppApiCt2Options, EndTokensAndReturnEndToken) {
  const int32_t eos = model_.info().eos_id;
  edgeseq::GenerateOptions o;
  const auto plain = Best(kSource, o);  // 18 14 18 16 8 23 10, then EOS
  ASSERT_EQ(plain.ids, (std::vector<int32_t>{18, 14, 18, 16, 8, 23, 10}));
  o.return_end_token = true;
  const auto with_eos = Best(kSource, o);
  EXPECT_EQ(with_eos.ids, (std::vector<int32_t>{18, 14, 18, 16, 8, 23, 10, eos}));
  EXPECT_EQ(with_eos.score, plain.score);
  for (size_t beam : {1, 4}) {
    o.beam = beam;
    o.end_tokens = {16, 14};
    o.return_end_token = false;
    EXPECT_EQ(Best(kSource, o).ids, (std::vector<int32_t>{18})) << "beam " << beam;
    o.return_end_token = true;
    EXPECT_EQ(Best(kSource, o).ids, (std::vector<int32_t>{18, 14})) << "beam " << beam;
    o.end_tokens = {16};
    EXPECT_EQ(Best(kSource, o).ids, (std::vector<int32_t>{18, 14, 18, 16})) << "beam " << beam;
  }
  // The score counts the end token whether it is returned or not.
  o.beam = 1;
  o.end_tokens = {16};
  o.return_end_token = false;
  const auto cut = Best(kSource, o);
  EXPECT_EQ(cut.ids, (std::vector<int32_t>{18, 14, 18}));
  o.return_end_token = true;
  EXPECT_EQ(Best(kSource, o).score, cut.score);
  o.return_end_token = false;
  // With other end tokens the model's EOS is an ordinary token: decoding
  // goes past it.
  o.end_tokens = {22};
  o.max_length = 20;
  const auto past = Best(kSource, o);
  EXPECT_TRUE(Has(past.ids, {eos})) << "the model's EOS inside the output";
  EXPECT_GT(past.ids.size(), plain.ids.size());
  // Streaming: the end token is not streamed.
  o.end_tokens = {16};
  o.max_length = 0;
  std::vector<int32_t> streamed;
  const auto h = gen_.GenerateStreaming(kSource, o, [&](int32_t t) { streamed.push_back(t); });
  EXPECT_EQ(streamed, (std::vector<int32_t>{18, 14, 18}));
  EXPECT_EQ(h.ids, streamed);
  o.end_tokens = {24};
  ExpectError(o, edgeseq::ErrorCode::kInput, "end token 24 is outside the target vocabulary");
}

TEST_F(CppApiCt2Options, MaxInputLength) {
  edgeseq::GenerateOptions o;
  o.max_input_length = 3;
  const std::vector<int32_t> cut = {4, 19, 6};
  EXPECT_EQ(Best(kSource, o).ids, Best(cut, {}).ids);
  EXPECT_EQ(Best(kSource, o).score, Best(cut, {}).score);
  // This model records no source framing: a final 3 is an ordinary id.
  const std::vector<int32_t> framed = {2, 4, 19, 6, 8, 3};
  o.max_input_length = 4;
  EXPECT_EQ(Best(framed, o).ids, Best({2, 4, 19, 6}, {}).ids);
  {
    // The same weights with the converter's default framing, BOS ... EOS (2
    // ... 3): the suffix stays at the end when the source ends with it
    // (CTranslate2 keeps the EOS so).
    const auto framed_model = edgeseq::Model::Load(FramedModel());
    edgeseq::Generator g(framed_model, {1, 16, 20, 1});
    EXPECT_EQ(g.Generate({framed}, o)[0][0].ids, g.Generate({{2, 4, 19, 3}}, {})[0][0].ids);
    EXPECT_NE(g.Generate({framed}, o)[0][0].ids, g.Generate({{2, 4, 19, 6}}, {})[0][0].ids);
    EXPECT_EQ(g.Generate({{2, 4, 19, 6, 8}}, o)[0][0].ids, g.Generate({{2, 4, 19, 6}}, {})[0][0].ids);
    o.max_input_length = 1;
    EXPECT_EQ(g.Generate({framed}, o)[0][0].ids, g.Generate({{3}}, {})[0][0].ids);
    o.max_input_length = 4;
  }
  // Longer than the Generator takes (16): refused without, cut with.
  const std::vector<int32_t> long_source(30, 9);
  try {
    gen_.Generate({long_source}, {});
    ADD_FAILURE() << "a source beyond max_source accepted";
  } catch (const edgeseq::Error& e) {
    EXPECT_EQ(e.code(), edgeseq::ErrorCode::kLimit);
  }
  o.max_input_length = 16;
  EXPECT_EQ(Best(long_source, o).ids, Best(std::vector<int32_t>(16, 9), {}).ids);
  o.max_input_length = 17;
  ExpectError(o, edgeseq::ErrorCode::kLimit, "max input length 17 exceeds the generator's max_source of 16");
}

TEST_F(CppApiCt2Options, NormalizeScores) {
  for (size_t beam : {1, 4}) {
    for (float alpha : {0.0f, 0.5f, 1.0f, 2.0f}) {
      edgeseq::GenerateOptions o;
      o.beam = beam;
      o.num_hypotheses = beam == 1 ? 1 : 2;
      o.length_penalty = alpha;
      const auto raw = Run(kSources, o);
      o.normalize_scores = true;
      const auto norm = Run(kSources, o);
      for (size_t i = 0; i < raw.size(); ++i) {
        for (size_t h = 0; h < raw[i].size(); ++h) {
          ASSERT_EQ(norm[i][h].ids, raw[i][h].ids);
          const float length = static_cast<float>(raw[i][h].ids.size() + 1);  // + the EOS
          EXPECT_NEAR(norm[i][h].score, raw[i][h].score / std::pow(length, alpha), 1e-5f)
              << "beam " << beam << " alpha " << alpha;
        }
      }
    }
  }
  // Without an end token (the length limit): the tokens alone.
  edgeseq::GenerateOptions o;
  o.max_length = 3;
  const auto raw = Best(kSource, o);
  o.normalize_scores = true;
  ASSERT_EQ(raw.ids.size(), 3u);
  EXPECT_NEAR(Best(kSource, o).score, raw.score / 3.0f, 1e-5f);
  o.return_end_token = true;
  o.max_length = 0;
  const auto with_end = Best(kSource, o);
  EXPECT_NEAR(with_end.score * static_cast<float>(with_end.ids.size()), Best(kSource, {}).score, 1e-5f);
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

TEST_F(CppApiCt2Options, TargetPrefix) {
  edgeseq::GenerateOptions o;
  const auto plain = Best(kSource, o);  // 18 14 18 16 8 23 10
  // The greedy output's own first tokens: the same output, the score without
  // their log-probabilities (higher).
  o.target_prefix = {{18, 14}};
  const auto same = Best(kSource, o);
  EXPECT_EQ(same.ids, plain.ids);
  EXPECT_GT(same.score, plain.score);
  EXPECT_LT(same.score, 0.0f);
  // Another token first: forced, for every search and hypothesis.
  o.target_prefix = {{5, 6}};
  for (size_t beam : {1, 4}) {
    o.beam = beam;
    o.num_hypotheses = beam == 1 ? 1 : 3;
    const auto all = Run({kSource}, o);
    for (const auto& h : all[0]) {
      ASSERT_GE(h.ids.size(), 2u);
      EXPECT_EQ(h.ids[0], 5);
      EXPECT_EQ(h.ids[1], 6);
    }
  }
  // One prefix per source, empty ones none; an empty source stays empty.
  o = {};
  o.target_prefix = {{}, {5}, {}, {}};
  const auto batch = Run({kSource, kSources[1], {}, kSources[1]}, o);
  EXPECT_EQ(batch[0][0].ids, plain.ids);
  EXPECT_EQ(batch[1][0].ids.at(0), 5);
  EXPECT_TRUE(batch[2][0].ids.empty());
  EXPECT_EQ(batch[3][0].ids, Best(kSources[1], {}).ids);
  // The prefix counts toward max_length: a prefix as long is the output, score 0.
  o = {};
  o.max_length = 3;
  o.target_prefix = {{5, 6, 7}};
  const auto whole = Best(kSource, o);
  EXPECT_EQ(whole.ids, (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(whole.score, 0.0f);
  // No end token inside the prefix: the model's EOS (3) is forced as a token.
  o = {};
  o.target_prefix = {{3}};
  EXPECT_EQ(Best(kSource, o).ids.at(0), 3);
  // Streaming sees the prefix's tokens too.
  o = {};
  o.target_prefix = {{5}};
  std::vector<int32_t> streamed;
  const auto h = gen_.GenerateStreaming(kSource, o, [&](int32_t t) { streamed.push_back(t); });
  EXPECT_EQ(streamed, h.ids);
  o.target_prefix = {{5}, {6}};
  ExpectError(o, edgeseq::ErrorCode::kInput, "2 target prefixes for 1 sources");
  o.target_prefix = {{5, 99}};
  ExpectError(o, edgeseq::ErrorCode::kInput, "target prefix 0: token 99 is outside the target vocabulary");
  o.target_prefix = {{5, 6, 7, 8}};
  o.max_length = 3;
  ExpectError(o, edgeseq::ErrorCode::kInput, "target prefix 0 has 4 tokens, more than the max length 3");
}

TEST_F(CppApiCt2Options, ReturnAlternatives) {
  const auto plain = Best(kSource, {});
  edgeseq::GenerateOptions o;
  o.return_alternatives = true;
  o.num_hypotheses = 3;  // more than the beam: allowed here
  for (size_t beam : {1, 4}) {
    o.beam = beam;
    const auto all = Run({kSource, kSources[1]}, o);
    ASSERT_EQ(all[0].size(), 3u);
    ASSERT_EQ(all[1].size(), 3u);
    if (beam == 1) {  // the best alternative continued greedily is the greedy output
      EXPECT_EQ(all[0][0].ids, plain.ids);
      EXPECT_NEAR(all[0][0].score, plain.score, 1e-3f);  // log-softmax and GreedyPick round apart
    }
    EXPECT_NE(all[0][0].ids.at(0), all[0][1].ids.at(0));
    EXPECT_NE(all[0][1].ids.at(0), all[0][2].ids.at(0));
  }
  // After a prefix; fewer with a minimum probability.
  o.beam = 1;
  o.target_prefix = {{18}};
  const auto after = Run({kSource}, o);
  ASSERT_EQ(after[0].size(), 3u);
  for (const auto& h : after[0]) EXPECT_EQ(h.ids.at(0), 18);
  EXPECT_EQ(after[0][0].ids, plain.ids);
  o.min_alternative_expansion_prob = 0.999f;
  EXPECT_LT(Run({kSource}, o)[0].size(), 3u);
  o.min_alternative_expansion_prob = 1.5f;
  ExpectError(o, edgeseq::ErrorCode::kInput, "min_alternative_expansion_prob must be in [0, 1]");
  o.min_alternative_expansion_prob = 0.0f;
  o.target_prefix = {};
  try {
    gen_.GenerateStreaming(kSource, o, [](int32_t) {});
    ADD_FAILURE() << "streaming alternatives accepted";
  } catch (const edgeseq::Error& e) {
    EXPECT_EQ(e.code(), edgeseq::ErrorCode::kInput);
  }
}

TEST_F(CppApiCt2Options, Patience) {
  edgeseq::GenerateOptions o;
  o.beam = 2;
  o.num_hypotheses = 2;
  o.length_penalty = 0.0f;  // ranked by score
  const auto plain = Run(kSources, o);
  o.patience = 1.0f;  // the default: the same
  for (size_t i = 0; i < kSources.size(); ++i) EXPECT_EQ(Run(kSources, o)[i][0].ids, plain[i][0].ids);
  o.patience = 2.0f;  // up to round(2 * 2) hypotheses, best first
  o.num_hypotheses = 4;
  const auto patient = Run(kSources, o);
  for (size_t i = 0; i < kSources.size(); ++i) {
    EXPECT_GE(patient[i].size(), 2u);
    EXPECT_LE(patient[i].size(), 4u);
    EXPECT_EQ(patient[i][0].ids, plain[i][0].ids);  // waiting longer does not lose the best
    for (size_t h = 1; h < patient[i].size(); ++h) EXPECT_GE(patient[i][h - 1].score, patient[i][h].score);
  }
  o.num_hypotheses = 5;
  ExpectError(o, edgeseq::ErrorCode::kInput, "num_hypotheses must be between 1 and the beam");
  o.num_hypotheses = 1;
  o.patience = 0.0f;
  ExpectError(o, edgeseq::ErrorCode::kInput, "patience must be finite and > 0");
  o.patience = 0.5f;  // stops at the first finished hypothesis
  EXPECT_FALSE(Run(kSources, o)[0].empty());
}

TEST_F(CppApiCt2Options, SeveralSamples) {
  edgeseq::GenerateOptions o;
  o.sample = true;
  o.num_hypotheses = 5;
  o.temperature = 2.0f;
  o.seed = 46;
  const auto got = Run({kSource, kSources[1]}, o);
  for (const auto& hs : got) {
    ASSERT_EQ(hs.size(), 5u);
    for (size_t h = 1; h < hs.size(); ++h) EXPECT_GE(hs[h - 1].score, hs[h].score);  // best first
  }
  std::set<std::vector<int32_t>> distinct;
  for (const auto& h : got[0]) distinct.insert(h.ids);
  EXPECT_GT(distinct.size(), 1u) << "independent samples";
  // Each score is its hypothesis's log-probability (teacher forcing).
  for (const auto& h : got[0]) {
    if (h.ids.size() + 1 > 20) continue;
    EXPECT_NEAR(gen_.Score({kSource}, {h.ids})[0], h.score, 1e-3f);
  }
  EXPECT_EQ(Run({kSource, kSources[1]}, o)[0][0].ids, got[0][0].ids) << "reproducible";
  // Near temperature 0 every sample is the greedy output.
  o.temperature = 1e-20f;
  const auto cold = Run({kSource}, o);
  for (const auto& h : cold[0]) EXPECT_EQ(h.ids, Best(kSource, {}).ids);
  o.on_token = [](size_t, int32_t) { return false; };
  ExpectError(o, edgeseq::ErrorCode::kInput, "takes one hypothesis per source");
}
