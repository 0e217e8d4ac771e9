// The mel filter bank Whisper uses: librosa.filters.mel(sr=16000, n_fft=400,
// n_mels=N) with htk=False and norm='slaney' (openai/whisper ships these as
// assets/mel_filters.npz, mel_80 and mel_128), computed here from the formula:
// Slaney's auditory-toolbox mel scale (M. Slaney, "Auditory Toolbox",
// Interval Research Technical Report 1998-010: linear below 1 kHz at 3 mels
// per 200 Hz, logarithmic above with 27 mels per factor 6.4), triangular
// filters on n_mels + 2 points evenly spaced in mel from 0 Hz to 8 kHz, each
// scaled by 2 / (its upper − lower edge in Hz) so every filter has the same
// area (librosa's norm='slaney').
#pragma once

#include <stddef.h>

#include <vector>

namespace edgeseq::runtime::audio {

inline constexpr int kSampleRate = 16000;      // Whisper's SAMPLE_RATE (Hz)
inline constexpr size_t kFftSize = 400;        // N_FFT: 25 ms windows
inline constexpr size_t kHopLength = 160;      // HOP_LENGTH: 10 ms between frames
inline constexpr size_t kFftBins = kFftSize / 2 + 1;  // 201 bins, 0 … 8 kHz

// The filter bank as a [n_mels, 201] row-major matrix of f32 (row m weighs
// the power-spectrum bins of mel band m), n_mels in [1, 512]. Computed in
// double and rounded once, as librosa computes it before casting to float32:
// equals Whisper's mel_filters.npz to ~1e-7 relative (tests/runtime/
// audio_mel_test.cc). Pure function; a caller computes it once.
std::vector<float> MelFilters(size_t n_mels);

}  // namespace edgeseq::runtime::audio
