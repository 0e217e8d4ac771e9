#include "runtime/audio/mel_filters.h"

#include <math.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace edgeseq::runtime::audio {
namespace {

// Slaney's mel scale (librosa hz_to_mel / mel_to_hz with htk=False).
constexpr double kLinearHzPerMel = 200.0 / 3.0;
constexpr double kLogStartHz = 1000.0;
constexpr double kLogStartMel = kLogStartHz / kLinearHzPerMel;  // 15
const double kLogStep = log(6.4) / 27.0;

double HzToMel(double hz) {
  if (hz < kLogStartHz) return hz / kLinearHzPerMel;
  return kLogStartMel + log(hz / kLogStartHz) / kLogStep;
}

double MelToHz(double mel) {
  if (mel < kLogStartMel) return kLinearHzPerMel * mel;
  return kLogStartHz * exp(kLogStep * (mel - kLogStartMel));
}

}  // namespace

std::vector<float> MelFilters(size_t n_mels) {
  if (n_mels < 1 || n_mels > 512) {
    throw std::invalid_argument("MelFilters: n_mels " + std::to_string(n_mels) + " outside [1, 512]");
  }
  // n_mels + 2 band edges, evenly spaced in mel from 0 Hz to Nyquist.
  const double max_mel = HzToMel(kSampleRate / 2.0);
  std::vector<double> edges(n_mels + 2);
  for (size_t i = 0; i < edges.size(); ++i) {
    edges[i] = MelToHz(max_mel * static_cast<double>(i) / static_cast<double>(n_mels + 1));
  }
  std::vector<float> filters(n_mels * kFftBins);
  for (size_t m = 0; m < n_mels; ++m) {
    const double lower = edges[m], center = edges[m + 1], upper = edges[m + 2];
    const double area_norm = 2.0 / (upper - lower);
    for (size_t k = 0; k < kFftBins; ++k) {
      const double hz = static_cast<double>(k) * kSampleRate / static_cast<double>(kFftSize);
      // Rising and falling slopes of the triangle, as librosa forms them
      // (differences of edges, then a division), clipped at 0.
      const double rising = (hz - lower) / (center - lower);
      const double falling = (upper - hz) / (upper - center);
      filters[m * kFftBins + k] = static_cast<float>(std::max(0.0, std::min(rising, falling)) * area_norm);
    }
  }
  return filters;
}

}  // namespace edgeseq::runtime::audio
