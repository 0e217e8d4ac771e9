#include "runtime/audio/decode.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "runtime/audio/mel_filters.h"
#include "runtime/error.h"

namespace edgeseq::runtime::audio {
namespace {

[[noreturn]] void Fail(const std::string& name, const std::string& what) {
  throw Error(ErrorKind::kInput, "audio '" + name + "': " + what);
}

void CheckRate(const std::string& name, double rate) {
  if (!(rate >= kMinSampleRate && rate <= kMaxSampleRate)) {
    Fail(name, "sample rate " + std::to_string(static_cast<long long>(rate)) + " Hz outside [" +
                   std::to_string(kMinSampleRate) + ", " + std::to_string(kMaxSampleRate) + "] Hz");
  }
}

size_t MaxFrames(int rate) { return static_cast<size_t>(kMaxAudioSeconds * rate); }

[[noreturn]] void TooLong(const std::string& name) {
  Fail(name, "longer than the limit of " + std::to_string(static_cast<int>(kMaxAudioSeconds)) + " s");
}

void CheckSample(const std::string& name, float v, size_t frame) {
  if (!(fabsf(v) <= kMaxSampleMagnitude)) {  // also NaN
    Fail(name, "sample at frame " + std::to_string(frame) +
                   (std::isfinite(v) ? " has magnitude over 1000 (float audio is nominally in [-1, 1])"
                                     : " is NaN or infinite"));
  }
}

// Streams mono blocks through libsoxr into `out` (a plain copy at 16 kHz).
class Resampler {
 public:
  Resampler(int rate, const std::string& name) : name_(name) {
    if (rate == kSampleRate) return;
    soxr_error_t error = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
    soxr_ = soxr_create(rate, kSampleRate, 1, &error, &io, &quality, nullptr);
    if (error != nullptr || soxr_ == nullptr) Fail(name_, std::string("cannot resample: ") + (error ? error : "?"));
  }
  ~Resampler() {
    if (soxr_ != nullptr) soxr_delete(soxr_);
  }
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Appends what `in` [n] gives; in = nullptr flushes the end.
  void Push(const float* in, size_t n, std::vector<float>* out) {
    if (soxr_ == nullptr) {
      if (in != nullptr) out->insert(out->end(), in, in + n);
      return;
    }
    size_t used = 0;
    for (;;) {
      const size_t room = 4096;
      const size_t old = out->size();
      out->resize(old + room);
      size_t idone = 0, odone = 0;
      const soxr_error_t error =
          soxr_process(soxr_, in ? in + used : nullptr, in ? n - used : 0, &idone, out->data() + old, room, &odone);
      out->resize(old + odone);
      if (error != nullptr) Fail(name_, std::string("resampling failed: ") + error);
      used += idone;
      if (in != nullptr && idone == 0 && odone == 0 && used < n) Fail(name_, "the resampler stalled");
      // Input: until all of it is taken and the output room was not filled.
      // Flush: until nothing more comes.
      if (in != nullptr ? (used >= n && odone < room) : odone == 0) return;
    }
  }

 private:
  std::string name_;
  soxr_t soxr_ = nullptr;
};

// Reading from memory through libsndfile's virtual I/O: every read and seek
// is bounded by the buffer.
struct MemoryFile {
  const unsigned char* data;
  sf_count_t size;
  sf_count_t at;
};

sf_count_t MemLength(void* user) { return static_cast<MemoryFile*>(user)->size; }

sf_count_t MemSeek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  sf_count_t base = 0;
  switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = m->at; break;
    case SEEK_END: base = m->size; break;
    default: return -1;
  }
  // Refuse positions outside [0, size] (and overflow of base + offset).
  if (offset < -base || offset > m->size - base) return -1;
  m->at = base + offset;
  return m->at;
}

sf_count_t MemRead(void* ptr, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  if (count <= 0) return 0;
  const sf_count_t n = std::min(count, m->size - m->at);
  if (n > 0) memcpy(ptr, m->data + m->at, static_cast<size_t>(n));
  m->at += n;
  return n;
}

sf_count_t MemWrite(const void*, sf_count_t, void*) { return 0; }

sf_count_t MemTell(void* user) { return static_cast<MemoryFile*>(user)->at; }

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::vector<float> Decode(SNDFILE* file, const SF_INFO& info, const std::string& name) {
  if (info.channels <= 0) Fail(name, "no audio channels");
  if (info.channels > kMaxChannels) {
    Fail(name, std::to_string(info.channels) + " channels, more than the limit of " + std::to_string(kMaxChannels));
  }
  CheckRate(name, info.samplerate);
  const size_t max_frames = MaxFrames(info.samplerate);
  const bool frames_known = info.frames >= 0 && info.frames != SF_COUNT_MAX;
  if (frames_known && static_cast<unsigned long long>(info.frames) > max_frames) TooLong(name);

  const size_t channels = static_cast<size_t>(info.channels);
  const size_t block = 4096;  // frames per read
  std::vector<float> interleaved(block * channels), mono(block), out;
  if (frames_known) out.reserve(ResampledLength(static_cast<size_t>(info.frames), info.samplerate));
  Resampler resampler(info.samplerate, name);
  size_t frames = 0;
  for (;;) {
    const sf_count_t got = sf_readf_float(file, interleaved.data(), static_cast<sf_count_t>(block));
    if (got <= 0) break;
    const size_t n = static_cast<size_t>(got);
    if (n > block) Fail(name, "the decoder returned more than it was asked for");
    if (frames + n > max_frames) TooLong(name);
    for (size_t i = 0; i < n; ++i) {
      // The mean of the channels (ffmpeg's -ac 1 on stereo: L/2 + R/2).
      float sum = 0.0f;
      for (size_t c = 0; c < channels; ++c) {
        const float v = interleaved[i * channels + c];
        CheckSample(name, v, frames + i);
        sum += v;
      }
      mono[i] = sum / static_cast<float>(channels);
    }
    resampler.Push(mono.data(), n, &out);
    frames += n;
  }
  if (sf_error(file) != SF_ERR_NO_ERROR) Fail(name, std::string("truncated or damaged (libsndfile: ") + sf_strerror(file) + ")");
  // An MP3's frame count is an estimate before decoding; other formats state it.
  const bool mpeg = (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;
  if (frames_known && !mpeg && frames < static_cast<size_t>(info.frames)) {
    Fail(name, "truncated or damaged: " + std::to_string(info.frames) + " frames declared, " +
                   std::to_string(frames) + " decoded");
  }
  if (frames == 0) Fail(name, "holds no audio samples");
  resampler.Push(nullptr, 0, &out);
  // soxr's flushed output is within a sample or two of the exact ratio; the
  // length rule makes it exact (padding with silence or dropping the tail).
  out.resize(ResampledLength(frames, info.samplerate), 0.0f);
  out.shrink_to_fit();
  return out;
}

}  // namespace

size_t ResampledLength(size_t frames, int rate) {
  const unsigned long long r = static_cast<unsigned long long>(rate);
  return static_cast<size_t>((static_cast<unsigned long long>(frames) * kSampleRate + r - 1) / r);
}

std::vector<float> DecodeAudioFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) Fail(path, std::string("cannot open: ") + strerror(errno));
  if (!S_ISREG(st.st_mode)) Fail(path, "not a regular file");
  if (st.st_size == 0) Fail(path, "empty file");
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) Fail(path, std::string("not audio libsndfile can read (") + sf_strerror(nullptr) + ")");
  return Decode(file.get(), info, path);
}

std::vector<float> DecodeAudioMemory(const void* data, size_t size, const std::string& name) {
  if (size == 0) Fail(name, "empty file");
  if (data == nullptr) Fail(name, "no data");
  MemoryFile mem{static_cast<const unsigned char*>(data), static_cast<sf_count_t>(size), 0};
  SF_VIRTUAL_IO io{MemLength, MemSeek, MemRead, MemWrite, MemTell};
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &mem));
  if (!file) Fail(name, std::string("not audio libsndfile can read (") + sf_strerror(nullptr) + ")");
  return Decode(file.get(), info, name);
}

std::vector<float> ResampleTo16k(const float* pcm, size_t n, int rate, const std::string& name) {
  CheckRate(name, rate);
  if (n > MaxFrames(rate)) TooLong(name);
  if (n > 0 && pcm == nullptr) Fail(name, "no samples (null pointer)");
  for (size_t i = 0; i < n; ++i) CheckSample(name, pcm[i], i);
  std::vector<float> out;
  out.reserve(ResampledLength(n, rate) + 4096);
  Resampler resampler(rate, name);
  resampler.Push(pcm, n, &out);
  resampler.Push(nullptr, 0, &out);
  out.resize(ResampledLength(n, rate), 0.0f);
  return out;
}

}  // namespace edgeseq::runtime::audio
