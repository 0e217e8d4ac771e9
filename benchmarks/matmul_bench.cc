// y = x·Wᵀ through ops::Matmul (oneDNN), f32 against int8, for the decode
// (M = 1), small-batch (16) and encoder (256) cases. Counter: GFLOP/s
// (2·M·K·N per call; int8 counts the same operations).
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

// Where the int8 Highway path stops beating oneDNN: both forced, small M.
// This sets Matmul::kInt8HighwayMaxRows.
void BM_Int8Path(benchmark::State& state) {
  const size_t M = state.range(0), K = state.range(1), N = state.range(2);
  const bool highway = state.range(3) != 0;
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> wd(-127, 127);
  std::normal_distribution<float> xd(0.0f, 1.0f);
  std::vector<int8_t> wq(N * K);
  for (int8_t& v : wq) v = static_cast<int8_t>(wd(rng));
  std::vector<float> ws(N, 0.01f), x(M * K);
  for (float& v : x) v = xd(rng);
  Matmul mm = Matmul::CreateInt8(wq.data(), ws.data(), N, K, nullptr);
  mm.set_int8_highway_max_rows(highway ? SIZE_MAX : 0);
  TimeForward(state, mm, x, M, highway ? "highway" : "onednn");
}

void PathArgs(benchmark::internal::Benchmark* b) {
  for (int m : {1, 2, 4, 8, 16}) {
    for (auto kn : {std::pair{512, 512}, std::pair{2048, 512}}) {
      for (int hw : {0, 1}) b->Args({m, kn.first, kn.second, hw});
    }
  }
  b->ArgNames({"M", "K", "N", "highway"});
}

BENCHMARK(BM_Int8Path)->Apply(PathArgs)->UseRealTime();

// The same for f32 (sets Matmul::kF32HighwayMaxRows).
void BM_F32Path(benchmark::State& state) {
  const size_t M = state.range(0), K = state.range(1), N = state.range(2);
  const bool highway = state.range(3) != 0;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> w(N * K), x(M * K);
  for (float& v : w) v = dist(rng) * 0.05f;
  for (float& v : x) v = dist(rng);
  Matmul mm = Matmul::CreateF32(w.data(), N, K, nullptr);
  mm.set_f32_highway_max_rows(highway ? SIZE_MAX : 0);
  TimeForward(state, mm, x, M, highway ? "highway" : "onednn");
}

BENCHMARK(BM_F32Path)->Apply(PathArgs)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
