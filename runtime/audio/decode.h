// Audio files to what Whisper hears: 16 kHz mono PCM as float.
//
// Decoding through libsndfile (Debian's libsndfile1 1.2: WAV, FLAC, Ogg
// Vorbis, Opus, MP3 and the other formats it reads), channels mixed to mono
// by their mean (as ffmpeg's `-ac 1`, which openai/whisper's load_audio uses,
// does for stereo), then resampled to 16 kHz by libsoxr at its "high quality"
// setting (SOXR_HQ: 20-bit precision, linear phase). Integer formats come as
// floats in [-1, 1) (libsndfile's normalisation: value / 2^(bits−1)).
//
// Every failure is an Error(ErrorKind::kInput) whose message names the file
// (or the name given for a memory buffer) and says what is wrong: missing or
// unreadable, not audio libsndfile knows, damaged or truncated, no channels
// or more than kMaxChannels, a sample rate outside [kMinSampleRate,
// kMaxSampleRate], no samples, a sample that is NaN, infinite or of
// magnitude over 1000, longer than kMaxAudioSeconds. Nothing is read outside
// the file or the buffer. A compressed file (FLAC, Ogg, …) that ends early or
// is damaged is an error ("truncated or damaged"); a WAV whose data ends
// before its header says gives the samples that are there, as libsndfile
// reads it (streamed WAVs carry placeholder sizes, so that cannot be told
// from damage).
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

namespace edgeseq::runtime::audio {

// Limits, chosen so a bad header cannot make us allocate or compute absurdly
// and an edge device can hold the result: one hour at 16 kHz is 57.6 M
// samples, 230 MB of f32 (its 80-bin log-mel another 115 MB).
inline constexpr double kMaxAudioSeconds = 3600.0;
inline constexpr int kMinSampleRate = 1000;    // Hz; below this nothing is speech
inline constexpr int kMaxSampleRate = 768000;  // Hz; the highest rate sold
inline constexpr int kMaxChannels = 64;
// Finite float audio past this magnitude (60 dB over full scale) is not
// audio; refusing it keeps the power spectrum far from f32 overflow.
inline constexpr float kMaxSampleMagnitude = 1000.0f;

// Decodes the file at `path` to 16 kHz mono f32. Output length: exactly
// ceil(frames · 16000 / rate) samples (what scipy's resample_poly gives;
// frames read, rate the file's); the samples themselves when rate is 16 kHz
// (a mono 16 kHz file comes back bit-exact).
std::vector<float> DecodeAudioFile(const std::string& path);

// The same for a whole file held in memory (`name` only labels errors): an
// app's downloaded bytes, the fuzz target.
std::vector<float> DecodeAudioMemory(const void* data, size_t size, const std::string& name);

// Resamples mono `pcm` [n] at `rate` Hz to 16 kHz with libsoxr (SOXR_HQ);
// same length rule; a copy when rate is 16000. Errors (kInput): rate outside
// the limits, longer than kMaxAudioSeconds, a non-finite sample; `name`
// labels them.
std::vector<float> ResampleTo16k(const float* pcm, size_t n, int rate, const std::string& name);

// The number of 16 kHz samples `frames` at `rate` become: ceil(frames · 16000 / rate).
size_t ResampledLength(size_t frames, int rate);

}  // namespace edgeseq::runtime::audio
