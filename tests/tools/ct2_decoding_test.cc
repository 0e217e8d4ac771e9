// Decoding on a real trained model, CTranslate2's Arabic→English
// transliteration test model (issue 17): beam search never stops before it
// could still find a better hypothesis than the ones it has.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "edgeseq/edgeseq.hpp"
#include "tests/tools/ct2_models.h"

namespace edgeseq::tools {
namespace {

float Rank(const Hypothesis& h, float length_penalty) {
  return h.score / std::pow(static_cast<float>(h.ids.size() + 1), length_penalty);
}

// The example: greedy finds `s a s t a t` (log p −1.914); beams 3–5
// used to stop with `s a s t a` (−2.831) once they had k finished
// hypotheses, as CTranslate2 4.8.1 still does at beam 5.
TEST(Ct2Decoding, BeamFindsWhatGreedyFinds) {
  REQUIRE_SHARED_MODELS();
  const auto model = Model::Load(test::Convert("aren-transliteration", "f32"), true);
  Generator gen(model, {1, 0, 0, 8});
  const auto src = model.EncodeSource("ة ص ت");
  for (size_t beam = 1; beam <= 8; ++beam) {
    GenerateOptions o;
    o.beam = beam;
    const auto out = gen.Generate({src}, o);
    EXPECT_EQ(model.DecodeTarget(out[0][0].ids), "s a s t a t") << "beam " << beam;
    EXPECT_NEAR(out[0][0].score, -1.9142f, 2e-3f) << "beam " << beam;  // CTranslate2: -1.914174
  }
}

// Over 500 random sources, how often beam 4's best hypothesis ranks below
// greedy's output (a hypothesis the beam could have kept), under both
// scorings. Before the fix: 1-2% (CTranslate2 4.8.1: 0.2-0.8%).
TEST(Ct2Decoding, BeamRarelyWorseThanGreedy) {
  REQUIRE_SHARED_MODELS();
  const auto model = Model::Load(test::Convert("aren-transliteration", "f32"), true);
  const int32_t first = 3, vocab = static_cast<int32_t>(model.info().src_vocab_size);  // after <blank> <s> </s>
  std::mt19937 rng(17);
  std::vector<std::vector<int32_t>> sources(500);
  for (auto& s : sources) {
    s.resize(std::uniform_int_distribution<size_t>(1, 10)(rng));
    for (auto& t : s) t = std::uniform_int_distribution<int32_t>(first, vocab - 1)(rng);
  }
  Generator gen(model, {16, 0, 0, 4});
  for (float alpha : {1.0f, 0.0f}) {
    size_t worse = 0;
    for (size_t i = 0; i < sources.size(); i += 16) {
      const std::vector<std::vector<int32_t>> batch(sources.begin() + i,
                                                    sources.begin() + std::min(i + 16, sources.size()));
      GenerateOptions g;
      GenerateOptions b;
      b.beam = 4;
      b.length_penalty = alpha;
      const auto greedy = gen.Generate(batch, g);
      const auto beam = gen.Generate(batch, b);
      for (size_t j = 0; j < batch.size(); ++j) {
        worse += Rank(beam[j][0], alpha) < Rank(greedy[j][0], alpha) - 1e-5f;
      }
    }
    RecordProperty("worse_than_greedy_alpha_" + std::to_string(static_cast<int>(alpha)), static_cast<int>(worse));
    // Measured after the fix: see the closing note of issue 17 / docs.
    EXPECT_LE(worse, 2u) << "length penalty " << alpha << ": beam 4 worse than greedy on " << worse << " of 500";
  }
}

}  // namespace
}  // namespace edgeseq::tools
