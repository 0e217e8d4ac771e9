// Whisper's log-mel spectrogram, as openai/whisper whisper/audio.py
// (log_mel_spectrogram) defines it and transcribe uses it:
//   1. the 16 kHz mono audio with `padding` zero samples appended (transcribe
//      appends N_SAMPLES = 30 s);
//   2. STFT as torch.stft(n_fft 400, hop 160, periodic Hann window,
//      center=True: 200 samples of reflect padding each side), each frame's
//      real FFT by kissfft; |X|² over the 201 bins; the last frame dropped,
//      so frames = (n + padding) / 160 (integer division);
//   3. the Slaney mel filter bank (mel_filters.h) applied: [n_mels, frames];
//   4. log10(max(x, 1e-10)), then max(x, global max − 8), then (x + 4) / 4.
// The hot loops are ops/mel.h's Highway kernels.
//
// Tolerance (tests/runtime/audio_log_mel_test.cc): within 1e-4 absolute of a
// PyTorch implementation of the same definition (tests/fixtures/
// make_whisper_audio.py) on jfk.flac, 80 and 128 bins, on every Highway target.
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

namespace edgeseq::runtime::audio {

inline constexpr size_t kChunkSamples = 480000;  // N_SAMPLES: 30 s at 16 kHz
inline constexpr size_t kChunkFrames = 3000;     // N_FRAMES: the encoder's window

struct LogMel {
  size_t n_mels = 0;
  size_t frames = 0;          // columns of `values`
  size_t content_frames = 0;  // frames that hold audio: n / 160 (transcribe's content_frames)
  std::vector<float> values;  // [n_mels, frames] row-major, each in [max − 8 + 4, max + 4] / 4
};

// The log-mel of `pcm` [n] (16 kHz mono, nominally in [-1, 1]) with `padding`
// zero samples appended (kChunkSamples as transcribe does; 0 as
// log_mel_spectrogram's default). n_mels: 80 (Whisper up to large-v2) or 128
// (large-v3). Errors, Error(kInput) naming `name`: n_mels not 80 or 128; pcm
// null with n > 0; padding over kChunkSamples; n + padding ≤ 200 (reflect
// padding needs more); n longer
// than kMaxAudioSeconds (decode.h); a sample NaN, infinite or of magnitude
// over 1000. For an app's own audio (microphone): pass it here directly.
LogMel LogMelSpectrogram(const float* pcm, size_t n, size_t n_mels, size_t padding = kChunkSamples,
                         const std::string& name = "pcm");

// Decodes and resamples the file (decode.h) and returns its log-mel with
// transcribe's 30 s of padding. Errors as DecodeAudioFile's.
LogMel LogMelOfFile(const std::string& path, size_t n_mels);

// Frames [first, first + kChunkFrames) of `mel` as a [n_mels, 3000] row-major
// window, frames past the end as 0 (Whisper's pad_or_trim(mel_segment,
// N_FRAMES)): the encoder's input for the segment starting at `first`
// (transcribe's seek). first ≤ mel.frames.
std::vector<float> MelWindow(const LogMel& mel, size_t first);

}  // namespace edgeseq::runtime::audio
