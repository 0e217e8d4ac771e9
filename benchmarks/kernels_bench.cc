// Kernel throughput: each Highway kernel (the target dynamic dispatch picks,
// and Highway's own SCALAR target of the same code) against its scalar
// reference in ops/reference.cc. Counter: bytes read + written per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "ops/activation.h"
#include "ops/norm.h"
#include "ops/quantize.h"
#include "ops/reference.h"
#include "ops/softmax.h"

namespace {

using namespace edgeseq::ops;

constexpr size_t kRows = 64;

std::vector<float> Random(size_t n, unsigned seed, float lo = -4.0f, float hi = 4.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Variant 0: dispatched Highway kernel; 1: Highway SCALAR target; 2: reference.
enum Variant { kHighway = 0, kHighwayScalar = 1, kReference = 2 };

class TargetScope {
 public:
  explicit TargetScope(int variant) {
    if (variant == kHighwayScalar) hwy::SetSupportedTargetsForTest(HWY_SCALAR);
  }
  ~TargetScope() { hwy::SetSupportedTargetsForTest(0); }
};

void Label(benchmark::State& state) {
  static const char* names[] = {"highway", "highway-scalar", "reference"};
  state.SetLabel(names[state.range(1)]);
}

void BM_Softmax(benchmark::State& state) {
  const size_t cols = state.range(0);
  const int variant = state.range(1);
  TargetScope scope(variant);
  const auto init = Random(kRows * cols, 1);
  auto x = init;
  for (auto _ : state) {
    state.PauseTiming();
    x = init;  // softmax of a softmax would drift toward uniform
    state.ResumeTiming();
    if (variant == kReference) ref::Softmax(x.data(), kRows, cols, 0.125f);
    else Softmax(x.data(), kRows, cols, 0.125f);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * cols * 8);
  Label(state);
}

void BM_LayerNorm(benchmark::State& state) {
  const size_t cols = state.range(0);
  const int variant = state.range(1);
  TargetScope scope(variant);
  const auto x = Random(kRows * cols, 2);
  const auto g = Random(cols, 3), b = Random(cols, 4);
  std::vector<float> out(x.size());
  for (auto _ : state) {
    if (variant == kReference) ref::LayerNorm(x.data(), kRows, cols, g.data(), b.data(), 1e-5f, out.data());
    else LayerNorm(x.data(), kRows, cols, g.data(), b.data(), 1e-5f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * cols * 8);
  Label(state);
}

void BM_AddNorm(benchmark::State& state) {
  const size_t cols = state.range(0);
  const int variant = state.range(1);
  TargetScope scope(variant);
  auto res = Random(kRows * cols, 5);
  const auto delta = Random(kRows * cols, 6, -1e-3f, 1e-3f);
  const auto g = Random(cols, 7), b = Random(cols, 8);
  std::vector<float> normed(res.size());
  for (auto _ : state) {
    if (variant == kReference) {
      ref::AddNorm(res.data(), delta.data(), kRows, cols, NormKind::kLayerNorm, g.data(), b.data(), 1e-5f, normed.data());
    } else {
      AddNorm(res.data(), delta.data(), kRows, cols, NormKind::kLayerNorm, g.data(), b.data(), 1e-5f, normed.data());
    }
    benchmark::DoNotOptimize(normed.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * cols * 16);
  Label(state);
}

void BM_BiasGelu(benchmark::State& state) {
  const size_t cols = state.range(0);
  const int variant = state.range(1);
  TargetScope scope(variant);
  auto x = Random(kRows * cols, 9);
  const auto bias = Random(cols, 10, -1e-6f, 1e-6f);
  for (auto _ : state) {
    if (variant == kReference) ref::BiasActivation(x.data(), kRows, cols, bias.data(), Activation::kGeluErf);
    else BiasActivation(x.data(), kRows, cols, bias.data(), Activation::kGeluErf);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * cols * 8);
  Label(state);
}

void BM_QuantizeU8(benchmark::State& state) {
  const size_t cols = state.range(0);
  const int variant = state.range(1);
  TargetScope scope(variant);
  const auto x = Random(kRows * cols, 11);
  std::vector<uint8_t> q(x.size());
  std::vector<float> s(kRows);
  std::vector<int32_t> z(kRows);
  for (auto _ : state) {
    if (variant == kReference) ref::QuantizeRowsU8(x.data(), kRows, cols, 127, q.data(), s.data(), z.data());
    else QuantizeRowsU8(x.data(), kRows, cols, 127, q.data(), s.data(), z.data());
    benchmark::DoNotOptimize(q.data());
  }
  state.SetBytesProcessed(state.iterations() * kRows * cols * 5);
  Label(state);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int cols : {64, 512, 2048}) {
    for (int variant : {kHighway, kHighwayScalar, kReference}) b->Args({cols, variant});
  }
  b->ArgNames({"cols", "variant"});
}

BENCHMARK(BM_Softmax)->Apply(Args);
BENCHMARK(BM_LayerNorm)->Apply(Args);
BENCHMARK(BM_AddNorm)->Apply(Args);
BENCHMARK(BM_BiasGelu)->Apply(Args);
BENCHMARK(BM_QuantizeU8)->Apply(Args);

}  // namespace

BENCHMARK_MAIN();
