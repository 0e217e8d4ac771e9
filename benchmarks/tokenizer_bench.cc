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

edgeseq::runtime::SentencePieceTokenizer LoadSentencePiece() {
  return edgeseq::runtime::SentencePieceTokenizer(ReadFile(kShared + "sentencepiece/test_model.model"));
}
edgeseq::runtime::ByteLevelBpe LoadBpe() {
  return edgeseq::runtime::ByteLevelBpe::FromTiktoken(ReadFile(kShared + "whisper/gpt2.tiktoken"));
}

// Every line of botchan.txt encoded per iteration (decode: its ids decoded);
// `encode(line)` gives the line's ids, `decode(ids)` its text.
template <class Encode, class Decode>
void Run(benchmark::State& state, bool decoding, const Encode& encode, const Decode& decode) {
  const auto lines = Lines();
  if (lines.empty()) return state.SkipWithError("no botchan.txt in ../shared/testdata");
  std::vector<decltype(encode(lines[0]))> ids;
  if (decoding) {
    for (const auto& l : lines) ids.push_back(encode(l));
  }
  size_t tokens = 0;
  for (auto _ : state) {
    if (decoding) {
      for (const auto& i : ids) {
        benchmark::DoNotOptimize(decode(i));
        tokens += i.size();
      }
    } else {
      for (const auto& l : lines) tokens += encode(l).size();
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_SentencePieceEncode(benchmark::State& state) {
  const auto sp = LoadSentencePiece();
  Run(state, false, [&](const std::string& l) { return sp.EncodeIds(l); },
      [&](const std::vector<int>& i) { return sp.DecodeIds(i); });
}

void BM_SentencePieceDecode(benchmark::State& state) {
  const auto sp = LoadSentencePiece();
  Run(state, true, [&](const std::string& l) { return sp.EncodeIds(l); },
      [&](const std::vector<int>& i) { return sp.DecodeIds(i); });
}

void BM_ByteLevelBpeEncode(benchmark::State& state) {
  const auto bpe = LoadBpe();
  Run(state, false, [&](const std::string& l) { return bpe.Encode(l); },
      [&](const std::vector<int32_t>& i) { return bpe.Decode(i); });
}

void BM_ByteLevelBpeDecode(benchmark::State& state) {
  const auto bpe = LoadBpe();
  Run(state, true, [&](const std::string& l) { return bpe.Encode(l); },
      [&](const std::vector<int32_t>& i) { return bpe.Decode(i); });
}

BENCHMARK(BM_SentencePieceEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SentencePieceDecode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ByteLevelBpeEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ByteLevelBpeDecode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
