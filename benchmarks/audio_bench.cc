// The Whisper audio front end (runtime/audio): log-mel of 30 s of audio
// (with transcribe's 30 s of padding: 6000 frames) for 80 and 128 bins, and
// resampling 30 s from 44.1 kHz. Reported as seconds of audio per second.
#include <benchmark/benchmark.h>
#include <math.h>

#include <random>
#include <vector>

#include "runtime/audio/decode.h"
#include "runtime/audio/log_mel.h"

namespace {

namespace audio = edgeseq::runtime::audio;

std::vector<float> Noise(size_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.1f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void BM_LogMel30s(benchmark::State& state) {
  const size_t n_mels = static_cast<size_t>(state.range(0));
  const std::vector<float> pcm = Noise(30 * 16000);
  for (auto _ : state) {
    audio::LogMel mel = audio::LogMelSpectrogram(pcm.data(), pcm.size(), n_mels);
    benchmark::DoNotOptimize(mel.values.data());
  }
  state.counters["audio_s_per_s"] = benchmark::Counter(30.0 * static_cast<double>(state.iterations()),
                                                       benchmark::Counter::kIsRate);
}

void BM_Resample44k30s(benchmark::State& state) {
  const std::vector<float> pcm = Noise(30 * 44100);
  for (auto _ : state) {
    std::vector<float> out = audio::ResampleTo16k(pcm.data(), pcm.size(), 44100, "bench");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["audio_s_per_s"] = benchmark::Counter(30.0 * static_cast<double>(state.iterations()),
                                                       benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_LogMel30s)->ArgName("n_mels")->Arg(80)->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Resample44k30s)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
