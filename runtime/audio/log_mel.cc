#include "runtime/audio/log_mel.h"

#include <kiss_fftr.h>
#include <math.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "ops/mel.h"
#include "runtime/audio/decode.h"
#include "runtime/audio/mel_filters.h"
#include "runtime/error.h"

namespace edgeseq::runtime::audio {
namespace {

// kissfft (BSD-3-Clause) rather than FFTW: FFTW is GPL, which would bind
// every application linking libedgeseq. A 400-point real FFT is a 200-point
// complex one, 2³·5², radices kissfft has.
static_assert(kFftSize % 2 == 0, "kiss_fftr needs an even size");

[[noreturn]] void Fail(const std::string& name, const std::string& what) {
  throw Error(ErrorKind::kInput, "audio '" + name + "': " + what);
}

const std::vector<float>& Filters(size_t n_mels) {
  static const std::vector<float> mel80 = MelFilters(80);
  static const std::vector<float> mel128 = MelFilters(128);
  return n_mels == 80 ? mel80 : mel128;
}

// torch.hann_window(400) (periodic): 0.5 − 0.5·cos(2πi/400).
std::vector<float> HannWindow() {
  std::vector<float> w(kFftSize);
  for (size_t i = 0; i < kFftSize; ++i) {
    w[i] = static_cast<float>(0.5 - 0.5 * cos(2.0 * M_PI * static_cast<double>(i) / kFftSize));
  }
  return w;
}

struct KissFree {
  void operator()(kiss_fftr_cfg cfg) const { kiss_fftr_free(cfg); }
};

}  // namespace

LogMel LogMelSpectrogram(const float* pcm, size_t n, size_t n_mels, size_t padding, const std::string& name) {
  if (n_mels != 80 && n_mels != 128) Fail(name, "n_mels " + std::to_string(n_mels) + " (Whisper uses 80 or 128)");
  if (n > 0 && pcm == nullptr) Fail(name, "no samples (null pointer)");
  if (n > static_cast<size_t>(kMaxAudioSeconds * kSampleRate)) {
    Fail(name, "longer than the limit of " + std::to_string(static_cast<int>(kMaxAudioSeconds)) + " s");
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(fabsf(pcm[i]) <= kMaxSampleMagnitude)) {  // also NaN
      Fail(name, "sample " + std::to_string(i) + " is NaN, infinite or of magnitude over 1000");
    }
  }
  if (padding > kChunkSamples) {
    Fail(name, "padding of " + std::to_string(padding) + " samples, more than 30 s (" + std::to_string(kChunkSamples) + ")");
  }
  const size_t length = n + padding;  // the signal torch.stft sees
  const size_t half = kFftSize / 2;
  // Reflect padding mirrors `half` samples about each end: it needs more than that.
  if (length <= half) {
    Fail(name, std::to_string(length) + " samples with padding; the STFT needs more than " + std::to_string(half));
  }

  LogMel mel;
  mel.n_mels = n_mels;
  mel.frames = length / kHopLength;  // 1 + length / hop frames, the last one dropped
  mel.content_frames = n / kHopLength;
  mel.values.assign(n_mels * mel.frames, 0.0f);

  // Sample j of the reflect-padded signal, j in [-half, length + half).
  const auto at = [&](ptrdiff_t j) -> float {
    const ptrdiff_t len = static_cast<ptrdiff_t>(length);
    if (j < 0) j = -j;
    if (j >= len) j = 2 * (len - 1) - j;
    return static_cast<size_t>(j) < n ? pcm[j] : 0.0f;
  };

  const std::vector<float>& filters = Filters(n_mels);
  const std::vector<float> window = HannWindow();
  std::unique_ptr<kiss_fftr_state, KissFree> fft(kiss_fftr_alloc(static_cast<int>(kFftSize), 0, nullptr, nullptr));
  if (!fft) throw std::bad_alloc();
  // Blocks of frames: their power spectra stay in cache for the filter bank.
  const size_t block = 64;
  std::vector<float> frame(kFftSize), power(block * kFftBins);
  std::vector<kiss_fft_cpx> spectrum(kFftBins);
  for (size_t t0 = 0; t0 < mel.frames; t0 += block) {
    const size_t count = std::min(block, mel.frames - t0);
    for (size_t b = 0; b < count; ++b) {
      const ptrdiff_t start = static_cast<ptrdiff_t>((t0 + b) * kHopLength) - static_cast<ptrdiff_t>(half);
      if (start >= 0 && static_cast<size_t>(start) + kFftSize <= n) {
        for (size_t i = 0; i < kFftSize; ++i) frame[i] = pcm[start + i] * window[i];
      } else {
        for (size_t i = 0; i < kFftSize; ++i) frame[i] = at(start + static_cast<ptrdiff_t>(i)) * window[i];
      }
      kiss_fftr(fft.get(), frame.data(), spectrum.data());
      // kiss_fft_cpx is {float r, i}: the interleaved pairs PowerSpectrum reads.
      static_assert(sizeof(kiss_fft_cpx) == 2 * sizeof(float), "kiss_fft_cpx is not two floats");
      ops::PowerSpectrum(reinterpret_cast<const float*>(spectrum.data()), kFftBins, power.data() + b * kFftBins);
    }
    ops::MelFilterBank(power.data(), count, kFftBins, filters.data(), n_mels, mel.values.data() + t0, mel.frames);
  }
  const float max = ops::Log10Clamped(mel.values.data(), mel.values.size());
  ops::ClampAndScale(mel.values.data(), mel.values.size(), max - 8.0f);
  return mel;
}

LogMel LogMelOfFile(const std::string& path, size_t n_mels) {
  const std::vector<float> pcm = DecodeAudioFile(path);
  return LogMelSpectrogram(pcm.data(), pcm.size(), n_mels, kChunkSamples, path);
}

std::vector<float> MelWindow(const LogMel& mel, size_t first) {
  std::vector<float> window(mel.n_mels * kChunkFrames, 0.0f);
  if (first >= mel.frames) return window;
  const size_t count = std::min(kChunkFrames, mel.frames - first);
  for (size_t m = 0; m < mel.n_mels; ++m) {
    std::copy_n(mel.values.begin() + static_cast<ptrdiff_t>(m * mel.frames + first), count,
                window.begin() + static_cast<ptrdiff_t>(m * kChunkFrames));
  }
  return window;
}

}  // namespace edgeseq::runtime::audio
