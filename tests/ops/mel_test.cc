// The log-mel kernels (ops/mel.h) on every compiled Highway target vs the
// scalar reference, over odd sizes and misaligned buffers.
#include <math.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/mel_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/mel-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

void TestPowerSpectrumMatchesReference() {
  for (size_t bins : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const auto re_im = test::RandomFloats(2 * bins, 5 + static_cast<uint32_t>(bins), -300.0f, 300.0f);
      Buffer<float> in(2 * bins, off);
      in.CopyFrom(re_im);
      Buffer<float> got(bins, (off + 1) % 4);  // input and output misaligned differently
      std::vector<float> want(bins);
      HWY_NAMESPACE::PowerSpectrum(in.data(), bins, got.data());
      ref::PowerSpectrum(re_im.data(), bins, want.data());
      for (size_t k = 0; k < bins; ++k) {
        ASSERT_NEAR(got[k], want[k], 1e-6f * want[k]) << "bins=" << bins << " off=" << off << " k=" << k;
      }
    }
  }
}

// Filters with zero stretches at both ends and inside (as Slaney filters
// have), and a dense row and an all-zero row; the output written into a
// wider spectrogram (out_stride > frames) must leave the other columns alone.
void TestMelFilterBankMatchesReference() {
  const size_t frames = 7;
  for (size_t bins : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const size_t n_mels = 5;
      auto filters = test::RandomFloats(n_mels * bins, 17 + static_cast<uint32_t>(bins), 0.0f, 0.05f);
      for (size_t m = 0; m < n_mels; ++m) {
        for (size_t k = 0; k < bins; ++k) {
          float& f = filters[m * bins + k];
          if (m == 1) continue;                                        // dense
          if (m == 2) f = 0.0f;                                        // all zero
          if (m == 3 && (k < bins / 3 || k > bins / 3 + 4)) f = 0.0f;  // a narrow triangle
          if (m == 4 && k % 5 == 1) f = 0.0f;                          // holes inside
          if (m == 0 && k + 1 < bins) f = 0.0f;                        // the last column only
        }
      }
      const auto power = test::RandomFloats(frames * bins, 3 + static_cast<uint32_t>(bins), 0.0f, 1000.0f);
      Buffer<float> f(n_mels * bins, off), p(frames * bins, (off + 2) % 4);
      f.CopyFrom(filters);
      p.CopyFrom(power);
      const size_t stride = frames + 3;
      Buffer<float> got(n_mels * stride, off);
      std::vector<float> want(n_mels * stride, -1.0f);
      for (size_t i = 0; i < got.size(); ++i) got[i] = -1.0f;
      HWY_NAMESPACE::MelFilterBank(p.data(), frames, bins, f.data(), n_mels, got.data(), stride);
      ref::MelFilterBank(power.data(), frames, bins, filters.data(), n_mels, want.data(), stride);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-5f * fabsf(want[i]) + 1e-30f)
            << "bins=" << bins << " off=" << off << " m=" << i / stride << " t=" << i % stride;
      }
    }
  }
}

void TestLog10ClampedMatchesReference() {
  for (size_t n : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      // Powers over 20 decades, zeros, and values right at the 1e-10 floor.
      auto init = test::RandomFloats(n, 9 + static_cast<uint32_t>(n), -14.0f, 6.0f);
      for (size_t i = 0; i < n; ++i) {
        init[i] = i % 7 == 3 ? 0.0f : i % 11 == 5 ? 1e-10f : powf(10.0f, init[i]);
      }
      Buffer<float> x(n, off);
      x.CopyFrom(init);
      std::vector<float> want = init;
      const float got_max = HWY_NAMESPACE::Log10Clamped(x.data(), n);
      const float want_max = ref::Log10Clamped(want.data(), n);
      ASSERT_NEAR(got_max, want_max, 2e-6f * (1.0f + fabsf(want_max))) << "n=" << n;
      for (size_t i = 0; i < n; ++i) {
        ASSERT_GE(x[i], -10.0f) << "n=" << n << " i=" << i;
        ASSERT_NEAR(x[i], want[i], 2e-6f * (1.0f + fabsf(want[i]))) << "n=" << n << " off=" << off << " i=" << i;
      }
    }
  }
  // All below the floor: every value and the max are -10; nothing: -inf.
  std::vector<float> zeros(17, 0.0f);
  ASSERT_NEAR(HWY_NAMESPACE::Log10Clamped(zeros.data(), zeros.size()), -10.0f, 2e-5f);
  for (float v : zeros) ASSERT_NEAR(v, -10.0f, 2e-5f);
  ASSERT_EQ(HWY_NAMESPACE::Log10Clamped(zeros.data(), 0), -std::numeric_limits<float>::infinity());
}

void TestClampAndScaleMatchesReference() {
  for (size_t n : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const auto init = test::RandomFloats(n, 13 + static_cast<uint32_t>(n), -10.0f, 3.0f);
      Buffer<float> x(n, off);
      x.CopyFrom(init);
      std::vector<float> want = init;
      HWY_NAMESPACE::ClampAndScale(x.data(), n, -4.5f);
      ref::ClampAndScale(want.data(), n, -4.5f);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_NEAR(x[i], want[i], 1e-7f * (1.0f + fabsf(want[i]))) << "n=" << n << " i=" << i;
        ASSERT_GE(x[i], (-4.5f + 4.0f) / 4.0f) << "n=" << n << " i=" << i;
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(MelTest);
HWY_EXPORT_AND_TEST_P(MelTest, TestPowerSpectrumMatchesReference);
HWY_EXPORT_AND_TEST_P(MelTest, TestMelFilterBankMatchesReference);
HWY_EXPORT_AND_TEST_P(MelTest, TestLog10ClampedMatchesReference);
HWY_EXPORT_AND_TEST_P(MelTest, TestClampAndScaleMatchesReference);
}  // namespace edgeseq::ops
#endif
