// Decoding and resampling (runtime/audio/decode.h): jfk.flac against a
// reference decoder and resampler (soundfile + scipy's resample_poly,
// tests/fixtures/make_whisper_audio.py), WAV files written here, one short
// file per format libsndfile reads (the fuzz seeds), and bad files as clean
// input errors naming the file.
#include "runtime/audio/decode.h"

#include <gtest/gtest.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/audio/log_mel.h"
#include "runtime/error.h"
#include "tests/runtime/shared_testdata.h"

namespace edgeseq::runtime::audio {
namespace {

const std::string kFixtures = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_audio/";
const std::string kSeeds = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fuzz/corpus/audio/";

class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/edgeseq_audio_XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    for (const auto& f : files_) unlink(f.c_str());
    rmdir(path_.c_str());
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    files_.push_back(p);
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

void Put(std::string* s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A canonical RIFF/WAVE file: format 1 (PCM) or 3 (IEEE float), the data
// bytes as given, `declared` data bytes in the header (default: the real size).
std::string Wav(uint16_t format, uint16_t channels, uint32_t rate, uint16_t bits, const std::string& data,
                int64_t declared = -1) {
  std::string s = "RIFF";
  const uint32_t data_size = declared >= 0 ? static_cast<uint32_t>(declared) : static_cast<uint32_t>(data.size());
  Put(&s, 36 + data_size, 4);
  s += "WAVEfmt ";
  Put(&s, 16, 4);
  Put(&s, format, 2);
  Put(&s, channels, 2);
  Put(&s, rate, 4);
  Put(&s, rate * channels * (bits / 8), 4);
  Put(&s, static_cast<uint32_t>(channels * (bits / 8)), 2);
  Put(&s, bits, 2);
  s += "data";
  Put(&s, data_size, 4);
  return s + data;
}

std::string Int16Bytes(const std::vector<int16_t>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 2);  // little-endian hosts
}

// 10·log10(signal energy / error energy) over [skip, n − skip).
double SnrDb(const std::vector<float>& got, const std::vector<float>& want, size_t skip) {
  double sig = 0, err = 0;
  for (size_t i = skip; i + skip < want.size() && i < got.size(); ++i) {
    sig += double{want[i]} * want[i];
    err += (double{got[i]} - want[i]) * (double{got[i]} - want[i]);
  }
  return 10.0 * log10(sig / std::max(err, 1e-30));
}

// The seeds' tone resampled exactly: the mean of the channels, 0.375·sin(2π·440·t).
std::vector<float> Tone16k(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(0.375 * sin(2 * M_PI * 440.0 * i / 16000.0));
  return v;
}

void ExpectInputError(const std::function<void()>& call, const std::string& name, const std::string& needle) {
  try {
    call();
    ADD_FAILURE() << name << ": no error; expected one saying '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput) << e.what();
    const std::string what = e.what();
    EXPECT_NE(what.find("'" + name + "'"), std::string::npos) << "the message names no file: " << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    std::cout << "  " << what << "\n";
  }
}

TEST(AudioDecode, JfkMatchesTheReferenceResampler) {
  REQUIRE_SHARED_TESTDATA();
  const std::vector<float> got = DecodeAudioFile(test::kSharedTestdata + "whisper/jfk.flac");
  std::ifstream meta_in(kFixtures + "meta.json");
  const auto meta = nlohmann::json::parse(meta_in);
  const std::string raw = test::ReadFile(kFixtures + "jfk_16k.s16");
  std::vector<float> want(raw.size() / 2);
  for (size_t i = 0; i < want.size(); ++i) {
    int16_t s;
    memcpy(&s, raw.data() + 2 * i, 2);
    want[i] = s / 32768.0f;
  }
  // Same length rule as resample_poly: ceil(485100 · 16000 / 44100) = 176000.
  ASSERT_EQ(got.size(), ResampledLength(meta["source_frames"], meta["source_rate"]));
  ASSERT_EQ(got.size(), want.size());
  // Two different resamplers (soxr HQ vs a Kaiser polyphase filter) differ
  // near 8 kHz (their transition bands) and the reference is rounded to
  // int16: measured 59.2 dB on x86-64; 40 dB leaves room for other builds of
  // soxr (Arm NEON, armhf) while still catching a wrong rate, channel mix,
  // shift or gain (one sample late: 8 dB; 5% quieter: 26 dB).
  const double snr = SnrDb(got, want, 0);
  std::cout << "jfk.flac: SNR against soundfile + resample_poly " << snr << " dB\n";
  EXPECT_GT(snr, 40.0);
}

TEST(AudioDecode, Mono16kWavComesBackExactly) {
  TempDir dir;
  std::vector<int16_t> s = {0, 1, -1, 32767, -32768, 12345, -23456};
  for (int i = 0; i < 5000; ++i) s.push_back(static_cast<int16_t>((i * 7919) % 65536 - 32768));
  const std::string path = dir.Write("mono16k.wav", Wav(1, 1, 16000, 16, Int16Bytes(s)));
  const std::vector<float> got = DecodeAudioFile(path);
  ASSERT_EQ(got.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) ASSERT_EQ(got[i], s[i] / 32768.0f) << "i=" << i;
}

TEST(AudioDecode, Stereo8kWavIsMixedAndResampled) {
  TempDir dir;
  const size_t n = 4001;  // odd: the length rule rounds up
  std::vector<int16_t> s;
  for (size_t i = 0; i < n; ++i) {
    const double v = sin(2 * M_PI * 440.0 * i / 8000.0);
    s.push_back(static_cast<int16_t>(lrint(0.5 * v * 32767)));
    s.push_back(static_cast<int16_t>(lrint(0.25 * v * 32767)));
  }
  const std::string path = dir.Write("stereo8k.wav", Wav(1, 2, 8000, 16, Int16Bytes(s)));
  const std::vector<float> got = DecodeAudioFile(path);
  ASSERT_EQ(got.size(), 2 * n);
  ASSERT_EQ(got.size(), ResampledLength(n, 8000));
  // Away from the ends (the resampler's filter sees the tone start and stop).
  const double snr = SnrDb(got, Tone16k(got.size()), 160);
  std::cout << "stereo 8 kHz tone: SNR " << snr << " dB\n";
  EXPECT_GT(snr, 40.0);
}

// One short file per format: WAV (int16, float), FLAC, Ogg Vorbis, Ogg
// Opus, MP3, each a 440 Hz tone (fixtures/make_whisper_audio.py).
TEST(AudioDecode, EveryFormatLibsndfileReads) {
  std::ifstream in(kFixtures + "formats.json");
  const auto formats = nlohmann::json::parse(in);
  for (const auto& [name, f] : formats.items()) {
    const std::vector<float> got = DecodeAudioFile(kSeeds + name);
    ASSERT_EQ(got.size(), ResampledLength(f["frames"], f["rate"])) << name;
    const std::vector<float> want = Tone16k(got.size());
    if (f["lossless"]) {
      const double snr = SnrDb(got, want, 160);
      std::cout << name << ": SNR " << snr << " dB\n";
      EXPECT_GT(snr, 40.0) << name;
    } else {
      // Lossy codecs delay and reshape the tone: its level must survive.
      double energy = 0;
      for (size_t i = 800; i + 800 < got.size(); ++i) energy += double{got[i]} * got[i];
      const double rms = sqrt(energy / static_cast<double>(got.size() - 1600));
      std::cout << name << ": RMS " << rms << " (tone " << 0.375 / sqrt(2.0) << ")\n";
      EXPECT_NEAR(rms, 0.375 / sqrt(2.0), 0.05) << name;
    }
    // The same bytes from memory decode the same.
    const std::string bytes = test::ReadFile(kSeeds + name);
    EXPECT_EQ(DecodeAudioMemory(bytes.data(), bytes.size(), name), got) << name;
  }
}

TEST(AudioDecode, ResamplePcmDirectly) {
  std::vector<float> pcm(22050);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<float>(0.375 * sin(2 * M_PI * 440.0 * i / 22050.0));
  const std::vector<float> got = ResampleTo16k(pcm.data(), pcm.size(), 22050, "pcm");
  ASSERT_EQ(got.size(), 16000u);
  EXPECT_GT(SnrDb(got, Tone16k(got.size()), 160), 40.0);
  EXPECT_EQ(ResampleTo16k(pcm.data(), 100, 16000, "pcm"), std::vector<float>(pcm.begin(), pcm.begin() + 100));
  ExpectInputError([&] { ResampleTo16k(pcm.data(), pcm.size(), 100, "mic"); }, "mic", "sample rate 100 Hz");
  pcm[7] = NAN;
  ExpectInputError([&] { ResampleTo16k(pcm.data(), pcm.size(), 22050, "mic"); }, "mic", "NaN");
}

TEST(AudioDecode, BadFilesAreCleanInputErrors) {
  TempDir dir;
  const std::vector<int16_t> tone(1600, 1000);
  const std::string pcm = Int16Bytes(tone);
  struct Case {
    std::string name, bytes, needle;
  };
  std::string flac = test::ReadFile(kSeeds + "stereo44k_s24.flac");
  std::string float_nan(4 * 100, '\0');
  const float nan = NAN;
  memcpy(&float_nan[4 * 50], &nan, 4);
  std::vector<Case> cases = {
      {"empty.wav", "", "empty file"},
      {"text.wav", "This is not audio at all, just some words in a file.\n", "not audio"},
      {"header_only.wav", Wav(1, 1, 16000, 16, "").substr(0, 20), "not audio"},
      {"no_samples.wav", Wav(1, 1, 16000, 16, ""), "no audio samples"},
      {"zero_channels.wav", Wav(1, 0, 16000, 16, pcm), ""},
      {"rate_5hz.wav", Wav(1, 1, 5, 16, pcm), "sample rate 5 Hz"},
      {"rate_10mhz.wav", Wav(1, 1, 10000000, 16, pcm), "sample rate 10000000 Hz"},
      {"nan.wav", Wav(3, 1, 16000, 32, float_nan), "frame 50 is NaN"},
      {"cut.flac", flac.substr(0, flac.size() / 2), "truncated or damaged"},
  };
  // Damaged FLAC: the middle of its frames overwritten.
  std::string damaged = flac;
  for (size_t i = damaged.size() / 3; i < damaged.size() / 3 + 200; ++i) damaged[i] = static_cast<char>(i * 37);
  cases.push_back({"damaged.flac", damaged, "truncated or damaged"});
  for (const Case& c : cases) {
    const std::string path = dir.Write(c.name, c.bytes);
    SCOPED_TRACE(c.name);
    ExpectInputError([&] { DecodeAudioFile(path); }, path, c.needle);
    if (!c.bytes.empty()) {
      ExpectInputError([&] { DecodeAudioMemory(c.bytes.data(), c.bytes.size(), c.name); }, c.name, c.needle);
    }
  }
  ExpectInputError([&] { DecodeAudioFile(dir.path() + "/missing.wav"); }, dir.path() + "/missing.wav",
                   "No such file");
  ExpectInputError([&] { DecodeAudioFile(dir.path()); }, dir.path(), "not a regular file");
  ExpectInputError([&] { LogMelOfFile(dir.path() + "/missing.flac", 80); }, dir.path() + "/missing.flac",
                   "No such file");
}

// A WAV whose data chunk ends before its header says gives the samples that
// are there (libsndfile trusts the file size: streamed WAVs carry no or
// placeholder sizes, so this cannot be told from damage).
TEST(AudioDecode, WavShorterThanItsHeaderGivesWhatIsThere) {
  TempDir dir;
  const std::vector<int16_t> s(1600, 1000);
  const std::string path = dir.Write("cut.wav", Wav(1, 1, 16000, 16, Int16Bytes(s), 4 * 1600));
  const std::vector<float> got = DecodeAudioFile(path);
  ASSERT_EQ(got.size(), s.size());
  for (float v : got) ASSERT_EQ(v, 1000 / 32768.0f);
}

// Longer than kMaxAudioSeconds: refused from the header, before decoding.
TEST(AudioDecode, TooLongIsRefused) {
  TempDir dir;
  const size_t frames = static_cast<size_t>(kMaxAudioSeconds * kMinSampleRate) + 1;
  const std::string path = dir.Write("long.wav", Wav(1, 1, kMinSampleRate, 8, std::string(frames, '\x80')));
  ExpectInputError([&] { DecodeAudioFile(path); }, path, "longer than the limit of 3600 s");
}

}  // namespace
}  // namespace edgeseq::runtime::audio
