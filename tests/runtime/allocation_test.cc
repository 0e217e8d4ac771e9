// The decode loop allocates nothing: a greedy decode of many steps makes
// exactly as many heap allocations as one of two steps (the difference is
// what the steps allocate). Batch 1, so the decoder's matmuls take the
// allocation-free Highway paths; the encoder and the output vectors allocate
// once per call.
#include <gtest/gtest.h>


#include "runtime/generator.h"
#include "tests/alloc_counter.h"
#include "tests/runtime/fixture_model.h"

namespace edgeseq::runtime {
namespace {

std::string Convert(const std::string& quantize) { return test::ConvertParityFixture("post_relu", quantize); }

size_t AllocationsOfDecode(Generator& gen, size_t steps, size_t beam) {
  GenerateOptions o;
  o.max_length = steps;
  o.min_length = steps;  // no early EOS: exactly `steps` steps
  o.beam = beam;
  const std::vector<std::vector<int32_t>> src = {{4, 19, 6, 8, 10}};
  gen.Generate(src, o);  // warm-up: first-use caches
  test::StartCountingAllocations();
  gen.Generate(src, o);
  return test::StopCountingAllocations();
}

TEST(DecodeLoop, AllocatesNothingPerStep) {
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  for (const char* q : {"int8", "f32", "f16"}) {
    auto model = Model::Load(Convert(q));
    Generator gen(model, Limits{1, 16, 40});
    const size_t short_run = AllocationsOfDecode(gen, 2, 1), long_run = AllocationsOfDecode(gen, 40, 1);
    EXPECT_EQ(long_run, short_run) << q << ": 38 more decode steps made " << long_run - short_run << " allocations";
    RecordProperty(std::string("allocations_per_call_") + q, static_cast<int>(short_run));
  }
}

}  // namespace
}  // namespace edgeseq::runtime
