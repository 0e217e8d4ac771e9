// Whisper's log-mel (runtime/audio/log_mel.h) against a PyTorch
// implementation of openai/whisper's definition (tests/fixtures/
// make_whisper_audio.py, on jfk.flac's 16 kHz PCM), on every compiled Highway
// target; the Slaney filter bank against Whisper's own mel_filters.npz.
#include "runtime/audio/log_mel.h"

#include <gtest/gtest.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <zip.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "runtime/audio/mel_filters.h"
#include "runtime/error.h"
#include "tests/runtime/shared_testdata.h"

namespace edgeseq::runtime::audio {
namespace {

const std::string kFixtures = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_audio/";

template <typename T>
std::vector<T> ReadRaw(const std::string& path) {
  const std::string bytes = test::ReadFile(path);
  EXPECT_EQ(bytes.size() % sizeof(T), 0u) << path;
  std::vector<T> v(bytes.size() / sizeof(T));
  memcpy(v.data(), bytes.data(), v.size() * sizeof(T));  // little-endian hosts only (x86, Arm)
  return v;
}

nlohmann::json Meta() {
  std::ifstream in(kFixtures + "meta.json");
  return nlohmann::json::parse(in);
}

std::vector<float> FixturePcm() {
  std::vector<float> pcm;
  for (int16_t s : ReadRaw<int16_t>(kFixtures + "jfk_16k.s16")) pcm.push_back(s / 32768.0f);
  return pcm;
}

// One array of Whisper's npz (savez_compressed: a zip of .npy files, f32 '<f4').
std::vector<float> NpzArray(const std::string& path, const std::string& name, size_t count) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  zip_stat_t st;
  zip_stat_init(&st);
  std::string bytes;
  if (zip_stat(z, (name + ".npy").c_str(), 0, &st) == 0) {
    bytes.resize(st.size);
    zip_file_t* f = zip_fopen(z, (name + ".npy").c_str(), 0);
    if (f != nullptr) {
      if (zip_fread(f, bytes.data(), st.size) != static_cast<zip_int64_t>(st.size)) bytes.clear();
      zip_fclose(f);
    }
  }
  zip_close(z);
  // .npy v1: "\x93NUMPY", 2 version bytes, a 2-byte header length, the header.
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    ADD_FAILURE() << name << " is not an .npy in " << path;
    return {};
  }
  const size_t header = 10 + static_cast<uint8_t>(bytes[8]) + 256u * static_cast<uint8_t>(bytes[9]);
  EXPECT_NE(bytes.find("'<f4'"), std::string::npos);
  EXPECT_NE(bytes.find("'fortran_order': False"), std::string::npos);
  EXPECT_EQ(bytes.size(), header + count * sizeof(float)) << name;
  std::vector<float> v(count);
  if (bytes.size() == header + count * sizeof(float)) memcpy(v.data(), bytes.data() + header, count * sizeof(float));
  return v;
}

TEST(WhisperMelFilters, EqualWhisperAssets) {
  REQUIRE_SHARED_TESTDATA();
  for (size_t n_mels : {80, 128}) {
    const std::vector<float> want = NpzArray(test::kSharedTestdata + "whisper/mel_filters.npz",
                                             "mel_" + std::to_string(n_mels), n_mels * kFftBins);
    const std::vector<float> got = MelFilters(n_mels);
    ASSERT_EQ(got.size(), want.size());
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      // Zeros must be exact zeros (the kernel skips them); the rest ~1e-6 relative.
      ASSERT_EQ(got[i] == 0.0f, want[i] == 0.0f) << "n_mels=" << n_mels << " i=" << i;
      ASSERT_NEAR(got[i], want[i], 1e-6 * fabs(want[i])) << "n_mels=" << n_mels << " m=" << i / kFftBins
                                                         << " k=" << i % kFftBins;
      if (want[i] != 0) worst = std::max(worst, fabs(double{got[i]} - want[i]) / fabs(want[i]));
    }
    std::cout << "mel_" << n_mels << ": largest relative difference " << worst << "\n";
  }
}

// Runs `body` once per Highway target compiled in and supported here, with
// dynamic dispatch restricted to that target.
template <typename F>
void ForEachTarget(F body) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty()) << "no Highway target to run on";
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().DeInit();
    body(std::string(hwy::TargetName(target)));
  }
  // Back to the CPU's own targets, or, where Highway detects none we compile
  // (armhf), to the static target, as tests/hwy_static_target.cc sets it.
  hwy::SetSupportedTargetsForTest(0);
  if ((hwy::SupportedTargets() & HWY_TARGETS) == 0) hwy::SetSupportedTargetsForTest(HWY_STATIC_TARGET);
  hwy::GetChosenTarget().DeInit();
}

void ExpectMatchesReference(size_t n_mels) {
  const nlohmann::json meta = Meta();
  const auto& part = meta["mel" + std::to_string(n_mels)];
  const size_t first = part["first_frame"], frames = part["frames"];
  const std::vector<float> want = ReadRaw<float>(kFixtures + "mel" + std::to_string(n_mels) + ".f32");
  ASSERT_EQ(want.size(), n_mels * frames);
  const std::vector<float> pcm = FixturePcm();
  ASSERT_EQ(pcm.size(), meta["pcm_samples"].get<size_t>());
  std::vector<float> first_target;
  ForEachTarget([&](const std::string& target) {
    const LogMel mel = LogMelSpectrogram(pcm.data(), pcm.size(), n_mels);
    size_t differ = 0;  // from the first target's: shows each target really ran
    if (first_target.empty()) first_target = mel.values;
    for (size_t i = 0; i < mel.values.size(); ++i) differ += mel.values[i] != first_target[i];
    ASSERT_EQ(mel.n_mels, n_mels);
    ASSERT_EQ(mel.frames, meta["total_frames"].get<size_t>());  // 1100 audio frames + 3000 padding
    ASSERT_EQ(mel.content_frames, pcm.size() / 160);
    double worst = 0;
    for (size_t m = 0; m < n_mels; ++m) {
      for (size_t t = 0; t < frames; ++t) {
        const float got = mel.values[m * mel.frames + first + t], ref = want[m * frames + t];
        ASSERT_NEAR(got, ref, 1e-4f) << target << " n_mels=" << n_mels << " m=" << m << " frame=" << first + t;
        worst = std::max(worst, fabs(double{got} - ref));
      }
    }
    std::cout << target << " mel" << n_mels << ": largest |difference| " << worst << " (" << differ
              << " values not bit-equal to the first target's)\n";
  });
}

TEST(WhisperLogMel, MatchesPyTorchWith80Bins) { ExpectMatchesReference(80); }
TEST(WhisperLogMel, MatchesPyTorchWith128Bins) { ExpectMatchesReference(128); }

// transcribe's windows: 3000 frames from `seek`, zeros past the end.
TEST(WhisperLogMel, WindowsPadOrTrim) {
  const std::vector<float> pcm = FixturePcm();
  const LogMel mel = LogMelSpectrogram(pcm.data(), pcm.size(), 80);
  for (size_t first : {size_t{0}, size_t{1000}, mel.frames - 5, mel.frames}) {
    const std::vector<float> w = MelWindow(mel, first);
    ASSERT_EQ(w.size(), 80 * kChunkFrames);
    for (size_t m = 0; m < 80; m += 13) {
      for (size_t t = 0; t < kChunkFrames; t += 7) {
        const float want = first + t < mel.frames ? mel.values[m * mel.frames + first + t] : 0.0f;
        ASSERT_EQ(w[m * kChunkFrames + t], want) << "first=" << first << " m=" << m << " t=" << t;
      }
    }
  }
}

// Silence (an app's empty microphone buffer): every value is Whisper's
// floor, (log10(1e-10) + 4) / 4 = -1.5, over the 3000 padding frames.
TEST(WhisperLogMel, SilenceAndEmptyPcm) {
  const LogMel empty = LogMelSpectrogram(nullptr, 0, 128);
  ASSERT_EQ(empty.frames, kChunkFrames);
  ASSERT_EQ(empty.content_frames, 0u);
  for (float v : empty.values) ASSERT_NEAR(v, -1.5f, 1e-5f);
  // Without padding, 201 samples are the fewest the reflect padding allows: one frame.
  const std::vector<float> quiet(201, 0.0f);
  const LogMel one = LogMelSpectrogram(quiet.data(), quiet.size(), 80, 0);
  ASSERT_EQ(one.frames, 1u);
}

TEST(WhisperLogMel, BadPcmIsAnInputError) {
  const std::vector<float> ok(1000, 0.1f);
  std::vector<float> nan = ok, inf = ok, loud = ok;
  nan[500] = NAN;
  inf[999] = INFINITY;
  loud[3] = 1e6f;
  const auto expect_error = [](auto call, const std::string& needle) {
    try {
      call();
      FAIL() << "no error; expected one saying '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("'mic'"), std::string::npos) << e.what();
    }
  };
  expect_error([&] { LogMelSpectrogram(nan.data(), nan.size(), 80, kChunkSamples, "mic"); }, "sample 500");
  expect_error([&] { LogMelSpectrogram(inf.data(), inf.size(), 80, kChunkSamples, "mic"); }, "sample 999");
  expect_error([&] { LogMelSpectrogram(loud.data(), loud.size(), 80, kChunkSamples, "mic"); }, "sample 3");
  expect_error([&] { LogMelSpectrogram(ok.data(), ok.size(), 81, kChunkSamples, "mic"); }, "n_mels 81");
  expect_error([&] { LogMelSpectrogram(nullptr, 5, 80, kChunkSamples, "mic"); }, "null");
  expect_error([&] { LogMelSpectrogram(ok.data(), 200, 80, 0, "mic"); }, "needs more than 200");
  expect_error([&] { LogMelSpectrogram(ok.data(), ok.size(), 80, kChunkSamples + 1, "mic"); }, "more than 30 s");
}

}  // namespace
}  // namespace edgeseq::runtime::audio
