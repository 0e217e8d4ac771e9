// Whisper-tiny's dimensions (384 wide, 6 heads, 4 + 4 layers, 51865 tokens,
// 80 mels, 1500 / 448 positions) with random weights: the encoder over 30 s
// of log-mel features (3000 frames, one decoder step included), and greedy
// decoding of exactly 24 tokens, int8 and f32, at 1 and 2 threads. Make the
// models with
//   /usr/bin/python3 tests/fixtures/make_whisper.py --tiny-dims DIR/whisper-tiny.pt
//   build/tools/edgeseq-convert DIR/whisper-tiny.pt -o DIR/whisper-tiny-int8.esq -q
//   build/tools/edgeseq-convert DIR/whisper-tiny.pt -o DIR/whisper-tiny-f32.esq --quantize f32 -q
// and run with EDGESEQ_BENCH_DIR=DIR (default out/bench); a missing model
// skips its cases. Random weights: the speed is the real model's, the tokens
// are not.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ops/threads.h"
#include "runtime/generator.h"

namespace {

using namespace edgeseq::runtime;

const char* kModels[] = {"whisper-tiny-int8", "whisper-tiny-f32"};

std::shared_ptr<const Model> ModelFor(benchmark::State& state) {
  edgeseq::ops::SetThreads(static_cast<int>(state.range(1)));
  edgeseq::ops::ApplyThreads();
  const char* dir = getenv("EDGESEQ_BENCH_DIR");
  const std::string path = std::string(dir ? dir : "out/bench") + "/" + kModels[state.range(0)] + ".esq";
  if (access(path.c_str(), R_OK) != 0) {
    state.SkipWithError(("no " + path + " (see benchmarks/whisper_bench.cc)").c_str());
    return nullptr;
  }
  state.SetLabel(std::string(kModels[state.range(0)]) + " threads " + std::to_string(state.range(1)));
  return Model::Load(path);
}

// 30 s of features in Whisper's range after its (x + 4) / 4.
std::vector<std::vector<float>> Features(const Model& m) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.8f, 1.2f);
  std::vector<float> f(m.frames() * m.config().n_mels);
  for (float& x : f) x = u(rng);
  return {f};
}

// One source of 30 s decoded for exactly `steps` tokens (the encoder included).
void Decode(benchmark::State& state, size_t steps) {
  auto model = ModelFor(state);
  if (!model) return;
  Generator gen(model, Limits{1, 0, 24, 1});
  const auto features = Features(*model);
  GenerateOptions o;
  o.max_length = o.min_length = steps;
  for (auto _ : state) benchmark::DoNotOptimize(gen.GenerateFromFeatures(features, o));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(steps * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

void BM_WhisperEncode30s(benchmark::State& state) { Decode(state, 1); }
void BM_WhisperGreedy24(benchmark::State& state) { Decode(state, 24); }

void Args(benchmark::internal::Benchmark* b) {
  for (int m = 0; m < 2; ++m) {
    for (int threads : {1, 2}) b->Args({m, threads});
  }
  b->ArgNames({"model", "threads"});
}

BENCHMARK(BM_WhisperEncode30s)->Apply(Args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WhisperGreedy24)->Apply(Args)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
