// Opening a 100 MiB .esq model: map + validate, without touching the weights.
// Counters: RSS growth caused by the open (KiB) and the file size (MiB).
#include <benchmark/benchmark.h>
#include <stdio.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "loaders/esq_reader.h"
#include "loaders/esq_writer.h"

namespace {

using namespace edgeseq::loaders;

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A bench-base-like tensor set: 96 int8 matrices of 1 MiB + their scales.
std::string WriteModel() {
  const std::string path = "/tmp/edgeseq-bench-" + std::to_string(getpid()) + ".esq";
  EsqContents c;
  c.config.d_model = 512;
  c.config.num_heads = 8;
  c.config.encoder_layers = 6;
  c.config.decoder_layers = 6;
  c.config.ffn_dim = 2048;
  c.config.src_vocab_size = c.config.tgt_vocab_size = 32000;
  c.config.max_positions = 1024;
  c.config.eos_id = 2;
  c.config.decoder_start_id = 0;
  std::vector<int8_t> w(1024 * 1024, 3);
  std::vector<float> s(1024, 0.01f);
  for (int i = 0; i < 100; ++i) {
    TensorToWrite t;
    t.name = "extra.w" + std::to_string(i);
    t.dtype = DType::kI8;
    t.dims = {1024, 1024};
    t.data = w.data();
    t.scales = s.data();
    c.tensors.push_back(t);
  }
  WriteEsq(path, c);
  return path;
}

void BM_OpenEsq100MiB(benchmark::State& state) {
  const std::string path = WriteModel();
  long grew = 0;
  uint64_t size = 0;
  for (auto _ : state) {
    const long before = RssKiB();
    EsqFile f = EsqFile::Open(path);
    grew = RssKiB() - before;
    size = f.file_size();
    benchmark::DoNotOptimize(f.tensors().data());
  }
  remove(path.c_str());
  state.counters["rss_growth_KiB"] = static_cast<double>(grew);
  state.counters["file_MiB"] = static_cast<double>(size) / (1 << 20);
}
BENCHMARK(BM_OpenEsq100MiB)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
