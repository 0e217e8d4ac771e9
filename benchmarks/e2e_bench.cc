// End to end on the bench-base and bench-tiny models (made by
// scripts/bench_e2e.sh) and the Hugging Face family models marian-base and
// t5-small (made by scripts/bench_peers.sh with FAMILIES=1 through
// benchmarks/family_bench.py): the encoder over 16 × 24 tokens, greedy
// decoding and beam-4 search of exactly 24 tokens for batch 1 and 16, at 1
// and 2 threads, f32 and int8. The models are looked for in
// $EDGESEQ_BENCH_DIR (default out/bench); a missing model skips its cases.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "ops/threads.h"
#include "runtime/generator.h"
#include "runtime/transformer.h"

namespace {

using namespace edgeseq::runtime;

std::string Dir() {
  const char* d = getenv("EDGESEQ_BENCH_DIR");
  return d ? d : "out/bench";
}

std::vector<std::vector<int32_t>> Inputs(size_t n) {
  std::ifstream in(Dir() + "/inputs.txt");
  std::vector<std::vector<int32_t>> out;
  std::string line;
  while (out.size() < n && std::getline(in, line)) {
    std::istringstream s(line);
    std::vector<int32_t> ids;
    int32_t id;
    while (s >> id) ids.push_back(id);
    out.push_back(ids);
  }
  return out;
}

std::shared_ptr<const Model> Load(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const Model>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const std::string path = Dir() + "/" + name + ".esq";
  if (access(path.c_str(), R_OK) != 0) return nullptr;
  return cache[name] = Model::Load(path);
}

// The model of a case, or nullptr after marking the case skipped.
std::shared_ptr<const Model> ModelFor(benchmark::State& state, const std::string& name) {
  // The runtime's own setting (Generate applies it on its thread; a bare
  // omp_set_num_threads would be overridden by OMP_NUM_THREADS there).
  edgeseq::ops::SetThreads(static_cast<int>(state.range(2)));
  edgeseq::ops::ApplyThreads();
  auto model = Load(name);
  if (!model) state.SkipWithError(("no " + name + ".esq in " + Dir() + " (run scripts/bench_e2e.sh)").c_str());
  return model;
}

// The `model` argument of every case indexes this list. The family models'
// "-int8-emb8" conversions add --embeddings int8: their tied output
// projection is then int8 too (by default the f16 table, multiplied in f32).
const char* kModels[] = {"bench-base-int8",  "bench-base-f32",  "bench-tiny-int8",       "bench-tiny-f32",
                         "marian-base-int8", "marian-base-f32", "t5-small-int8",         "t5-small-f32",
                         "marian-base-int8-emb8",               "t5-small-int8-emb8"};
constexpr int kNumModels = sizeof(kModels) / sizeof(kModels[0]);

void BM_Encoder(benchmark::State& state) {
  const std::string name = kModels[state.range(0)];
  const size_t batch = state.range(1);
  auto model = ModelFor(state, name);
  if (!model) return;
  Generator gen(model, Limits{16, 24, 24, 1});
  const auto sources = Inputs(batch);
  for (auto _ : state) benchmark::DoNotOptimize(gen.EncodeSources(sources));
  state.SetLabel(name + " batch " + std::to_string(batch) + " threads " + std::to_string(state.range(2)));
}

// Exactly 24 tokens for `batch` sources, greedy (beam 1) or beam search
// (length penalty 1, one hypothesis per source).
void Decode24(benchmark::State& state, size_t beam) {
  const std::string name = kModels[state.range(0)];
  const size_t batch = state.range(1);
  auto model = ModelFor(state, name);
  if (!model) return;
  Generator gen(model, Limits{16, 24, 24, beam});
  const auto sources = Inputs(batch);
  GenerateOptions o;
  o.beam = beam;
  o.max_length = o.min_length = 24;  // exactly 24 tokens
  for (auto _ : state) benchmark::DoNotOptimize(gen.Generate(sources, o));
  state.counters["tokens/s"] = benchmark::Counter(24.0 * batch * state.iterations(), benchmark::Counter::kIsRate);
  state.SetLabel(name + " batch " + std::to_string(batch) + " threads " + std::to_string(state.range(2)));
}

void BM_Greedy24(benchmark::State& state) { Decode24(state, 1); }
void BM_Beam24(benchmark::State& state) { Decode24(state, 4); }

void Args(benchmark::internal::Benchmark* b) {
  for (int m = 0; m < kNumModels; ++m) {
    for (int batch : {1, 16}) {
      for (int threads : {1, 2}) b->Args({m, batch, threads});
    }
  }
  b->ArgNames({"model", "batch", "threads"});
}

BENCHMARK(BM_Encoder)->Apply(Args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Greedy24)->Apply(Args)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Beam24)->Apply(Args)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
