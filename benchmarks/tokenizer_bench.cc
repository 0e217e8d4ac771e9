// Tokenizer throughput on botchan.txt (../shared/testdata/sentencepiece/):
// SentencePiece (the library, through runtime::SentencePieceTokenizer) and
// edgeseq's byte-level BPE (Whisper's gpt2.tiktoken), encode and decode,
// in tokens per second. Numbers: docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/bpe_tokenizer.h"
#include "runtime/sentencepiece_tokenizer.h"

namespace {

const std::string kShared = std::string(EDGESEQ_SOURCE_DIR) + "/../shared/testdata/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> Lines() {
  std::vector<std::string> lines;
  const std::string text = ReadFile(kShared + "sentencepiece/botchan.txt");
  size_t at = 0;
  for (size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) lines.push_back(text.substr(at, nl - at));
  return lines;
}

void BM_SentencePieceEncode(benchmark::State& state) {
  const auto lines = Lines();
  if (lines.empty()) return state.SkipWithError("no botchan.txt in ../shared/testdata");
  const edgeseq::runtime::SentencePieceTokenizer sp(ReadFile(kShared + "sentencepiece/test_model.model"));
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& l : lines) tokens += sp.EncodeIds(l).size();
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_SentencePieceDecode(benchmark::State& state) {
  const auto lines = Lines();
  if (lines.empty()) return state.SkipWithError("no botchan.txt in ../shared/testdata");
  const edgeseq::runtime::SentencePieceTokenizer sp(ReadFile(kShared + "sentencepiece/test_model.model"));
  std::vector<std::vector<int>> ids;
  for (const auto& l : lines) ids.push_back(sp.EncodeIds(l));
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& i : ids) {
      benchmark::DoNotOptimize(sp.DecodeIds(i));
      tokens += i.size();
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_ByteLevelBpeEncode(benchmark::State& state) {
  const auto lines = Lines();
  if (lines.empty()) return state.SkipWithError("no botchan.txt in ../shared/testdata");
  const auto bpe = edgeseq::runtime::ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/gpt2.tiktoken"));
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& l : lines) tokens += bpe.Encode(l).size();
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_ByteLevelBpeDecode(benchmark::State& state) {
  const auto lines = Lines();
  if (lines.empty()) return state.SkipWithError("no botchan.txt in ../shared/testdata");
  const auto bpe = edgeseq::runtime::ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/gpt2.tiktoken"));
  std::vector<std::vector<int32_t>> ids;
  for (const auto& l : lines) ids.push_back(bpe.Encode(l));
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& i : ids) {
      benchmark::DoNotOptimize(bpe.Decode(i));
      tokens += i.size();
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_SentencePieceEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SentencePieceDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ByteLevelBpeEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ByteLevelBpeDecode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
