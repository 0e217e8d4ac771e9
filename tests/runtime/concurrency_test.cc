// One Model, many Generators on many threads at once: every thread gets the
// answers a single-threaded run gives (the Model is immutable and shared; each
// Generator owns its buffers). Also run under ThreadSanitizer by the
// reliability work.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "ops/threads.h"
#include "runtime/generator.h"
#include "tests/runtime/fixture_model.h"

namespace edgeseq::runtime {
namespace {

std::string Convert(const std::string& quantize) { return test::ConvertParityFixture("pre_gelu", quantize); }

// Sources of different lengths; thread t decodes them rotated by t, in
// batches of 3 (padding masks in play), greedy and beam.
std::vector<std::vector<int32_t>> Sources() {
  return {{4, 19, 6, 8, 10}, {5, 7}, {9, 9, 12, 15, 17, 18, 4, 6}, {11}, {13, 14, 16}, {7, 8, 9, 10, 11, 12}};
}

std::vector<std::vector<Hypothesis>> DecodeAll(Generator& gen, size_t rotate) {
  auto src = Sources();
  std::rotate(src.begin(), src.begin() + rotate % src.size(), src.end());
  std::vector<std::vector<Hypothesis>> out;
  for (size_t beam : {size_t{1}, size_t{3}}) {
    GenerateOptions o;
    o.max_length = 20;
    o.beam = beam;
    for (size_t i = 0; i < src.size(); i += 3) {
      auto part = gen.Generate({src.begin() + i, src.begin() + std::min(i + 3, src.size())}, o);
      for (auto& hs : part) out.push_back(std::move(hs));
    }
  }
  return out;
}

void ExpectSame(const std::vector<std::vector<Hypothesis>>& a, const std::vector<std::vector<Hypothesis>>& b,
                const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size()) << what << " source " << i;
    for (size_t h = 0; h < a[i].size(); ++h) {
      EXPECT_EQ(a[i][h].ids, b[i][h].ids) << what << " source " << i;
      EXPECT_EQ(a[i][h].score, b[i][h].score) << what << " source " << i;
    }
  }
}

TEST(Concurrency, OneModelManyGeneratorsOnManyThreads) {
  constexpr size_t kThreads = 4;
  for (const char* q : {"int8", "f32"}) {
    auto model = Model::Load(Convert(q));
    const Limits limits{3, 16, 20, 3};
    std::vector<std::vector<std::vector<Hypothesis>>> alone(kThreads), together(kThreads);
    for (size_t t = 0; t < kThreads; ++t) {
      Generator gen(model, limits);
      alone[t] = DecodeAll(gen, t);
    }
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Generator gen(model, limits);
        for (int rep = 0; rep < 3; ++rep) together[t] = DecodeAll(gen, t);
      });
    }
    for (auto& th : threads) th.join();
    for (size_t t = 0; t < kThreads; ++t) ExpectSame(alone[t], together[t], std::string(q) + " thread " + std::to_string(t));
  }
}

// The thread count changes who computes what (matmul columns, the sequences
// of a batch in attention), never the result: greedy and beam outputs and
// scores are identical for 1, 2 and 3 threads.
TEST(Concurrency, ResultsDoNotDependOnTheThreadCount) {
  for (const char* q : {"int8", "f32"}) {
    auto model = Model::Load(Convert(q));
    Generator gen(model, Limits{3, 16, 20, 3});
    ops::SetThreads(1);
    const auto one = DecodeAll(gen, 0);
    for (int threads : {2, 3}) {
      ops::SetThreads(threads);
      ExpectSame(one, DecodeAll(gen, 0), std::string(q) + " threads " + std::to_string(threads));
    }
    ops::SetThreads(0);
  }
}

}  // namespace
}  // namespace edgeseq::runtime
