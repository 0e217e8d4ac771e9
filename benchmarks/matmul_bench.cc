// y = x·Wᵀ through ops::Matmul, f32 against int8, for the decode (M = 1),
// small-batch (16) and encoder (256) cases, on the path Matmul picks and on
// each backend forced. Counter: GFLOP/s (2·M·K·N per call; int8 counts the
// same operations).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <random>
#include <vector>

#include "ops/matmul.h"
#include "ops/quantize.h"

namespace {

using namespace edgeseq::ops;

// Times Forward with scratch sized once, and reports GFLOP/s (2·M·K·N).
void TimeForward(benchmark::State& state, const Matmul& mm, const std::vector<float>& x, size_t M,
                 const char* label) {
  std::vector<float> y(M * mm.n());
  const size_t bytes = (mm.ScratchBytes(M) + 63) / 64 * 64 + 64;
  void* scratch = aligned_alloc(64, bytes);
  for (auto _ : state) {
    mm.Forward(x.data(), M, y.data(), Activation::kNone, {scratch, bytes});
    benchmark::DoNotOptimize(y.data());
  }
  free(scratch);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * mm.k() * mm.n() * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.SetLabel(label);
}

void BM_Matmul(benchmark::State& state) {
  const size_t M = state.range(0), K = state.range(1), N = state.range(2);
  const bool int8 = state.range(3) != 0;
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> w(N * K), x(M * K);
  for (float& v : w) v = d(rng) * 0.05f;
  for (float& v : x) v = d(rng);
  std::vector<int8_t> wq(N * K);
  std::vector<float> ws(N);
  QuantizeRowsS8(w.data(), N, K, wq.data(), ws.data());
  const Matmul mm = int8 ? Matmul::CreateInt8(wq.data(), ws.data(), N, K, nullptr)
                         : Matmul::CreateF32(w.data(), N, K, nullptr);
  TimeForward(state, mm, x, M, int8 ? "int8" : "f32");
}

void Args(benchmark::internal::Benchmark* b) {
  for (int m : {1, 16, 256}) {
    for (auto kn : {std::pair{512, 512}, std::pair{512, 2048}, std::pair{2048, 512}}) {
      for (int int8 : {0, 1}) b->Args({m, kn.first, kn.second, int8});
    }
  }
  b->ArgNames({"M", "K", "N", "int8"});
}

BENCHMARK(BM_Matmul)->Apply(Args)->UseRealTime();

// The two backends forced, per shape class: where Highway stops beating
// oneDNN sets Matmul::kInt8HighwayMaxRows and kF32HighwayMaxRows on x86.
void BM_Backend(benchmark::State& state) {
  const size_t M = state.range(0), K = state.range(1), N = state.range(2);
  const bool int8 = state.range(3) != 0, highway = state.range(4) != 0;
  if (!highway && !MatmulHasOneDnn()) {
    state.SkipWithError("no oneDNN in this build");
    return;
  }
  std::mt19937 rng(2);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> w(N * K), x(M * K);
  for (float& v : w) v = d(rng) * 0.05f;
  for (float& v : x) v = d(rng);
  std::vector<int8_t> wq(N * K);
  std::vector<float> ws(N);
  QuantizeRowsS8(w.data(), N, K, wq.data(), ws.data());
  Matmul mm = int8 ? Matmul::CreateInt8(wq.data(), ws.data(), N, K, nullptr)
                   : Matmul::CreateF32(w.data(), N, K, nullptr);
  mm.set_int8_highway_max_rows(highway ? SIZE_MAX : 0);
  mm.set_f32_highway_max_rows(highway ? SIZE_MAX : 0);
  TimeForward(state, mm, x, M, highway ? "highway" : "onednn");
}

void BackendArgs(benchmark::internal::Benchmark* b) {
  for (int m : {1, 2, 4, 8, 16, 256}) {
    for (auto kn : {std::pair{512, 512}, std::pair{512, 2048}, std::pair{2048, 512}}) {
      for (int int8 : {0, 1}) {
        for (int hw : {0, 1}) b->Args({m, kn.first, kn.second, int8, hw});
      }
    }
  }
  b->ArgNames({"M", "K", "N", "int8", "highway"});
}

BENCHMARK(BM_Backend)->Apply(BackendArgs)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
