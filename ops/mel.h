// The hot loops of Whisper's log-mel spectrogram (openai/whisper
// whisper/audio.py, log_mel_spectrogram): power spectrum, mel filter bank,
// log10 with the dynamic-range clamp. The FFT and the framing are the
// caller's (runtime/audio/log_mel.cc); these kernels know nothing of audio
// files or models. Any alignment, any sizes.
#pragma once

#include <stddef.h>

namespace edgeseq::ops {

// power[k] = re_im[2k]² + re_im[2k+1]² for k in [0, bins): |X|² of a row of
// complex FFT outputs stored as interleaved (re, im) pairs (kiss_fft_cpx).
// Inputs finite. Error bound against the scalar reference: |Δ| ≤ 1e-6·ref
// (one rounding of a sum of two squares; FMA or not).
void PowerSpectrum(const float* re_im, size_t bins, float* power);

// The mel filter bank applied to frames of power spectra:
//   out[m·out_stride + t] = Σ_k filters[m·bins + k] · power[t·bins + k]
// for m in [0, n_mels), t in [0, frames) — filters [n_mels, bins] row-major
// (Whisper's mel_filters layout), power [frames, bins] row-major, out
// [n_mels, ≥ frames] row-major with row stride out_stride ≥ frames (so blocks
// of frames can be written into one [n_mels, total_frames] spectrogram).
// Each filter row is summed only over its nonzero columns (a Slaney filter
// covers a few bins): zeros would add exactly 0 for finite power.
// Inputs finite and ≥ 0 (filters and power spectra are). Accumulates in f32:
// |Δ| ≤ 1e-5·ref + 1e-30 against the reference (which sums in double).
void MelFilterBank(const float* power, size_t frames, size_t bins, const float* filters,
                   size_t n_mels, float* out, size_t out_stride);

// x[i] = log10(max(x[i], 1e-10)) in place over [0, n); returns the largest
// result (-10 when every x ≤ 1e-10; -inf when n = 0). Inputs finite, ≥ 0.
// |Δ| ≤ 2e-6·(1 + |ref|) against the reference (log10 in double).
float Log10Clamped(float* x, size_t n);

// x[i] = (max(x[i], floor) + 4) / 4 in place over [0, n): Whisper's dynamic
// range clamp (floor = global max − 8) and scaling. Exact but for one
// rounding: |Δ| ≤ 1e-7·(1 + |ref|).
void ClampAndScale(float* x, size_t n, float floor);

}  // namespace edgeseq::ops
