// Softmax / LogSoftmax / GreedyPick on every compiled Highway target vs the scalar reference.
#include <math.h>

#include <limits>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/softmax_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/reference.h"
#include "ops/softmax-inl.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void ExpectSoftmaxClose(const std::vector<float>& got, const std::vector<float>& want,
                        const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_FALSE(std::isnan(got[i])) << what << " i=" << i;
    ASSERT_NEAR(got[i], want[i], 1e-6f + 1e-5f * fabsf(want[i])) << what << " i=" << i;
  }
}

void TestSoftmaxMatchesReference() {
  const size_t rows = 3;
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const auto init = test::RandomFloats(rows * cols, 7 + static_cast<uint32_t>(cols), -40.0f, 40.0f);
      Buffer<float> x(rows * cols, off);
      x.CopyFrom(init);
      std::vector<float> want = init;
      HWY_NAMESPACE::Softmax(x.data(), rows, cols, 0.25f, SoftmaxMask{});
      ref::Softmax(want.data(), rows, cols, 0.25f);
      const std::string what = "cols=" + std::to_string(cols) + " off=" + std::to_string(off);
      ExpectSoftmaxClose(x.ToVector(), want, what);
      for (size_t r = 0; r < rows; ++r) {
        double sum = 0;
        for (size_t c = 0; c < cols; ++c) sum += x[r * cols + c];
        ASSERT_NEAR(sum, 1.0, 1e-5) << what;
      }
    }
  }
}

void TestSoftmaxMasks() {
  const size_t rows = 5;
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const auto init = test::RandomFloats(rows * cols, 11 + static_cast<uint32_t>(cols), -5.0f, 5.0f);
      // Padding mask dropping every third column and the last one.
      Buffer<float> mask(cols, off);
      for (size_t c = 0; c < cols; ++c) mask[c] = (c % 3 == 2 || c + 1 == cols) ? kNegInf : 0.0f;
      for (bool causal : {false, true}) {
        SoftmaxMask m;
        m.additive = mask.data();
        m.causal = causal;
        m.causal_offset = cols > 2 ? cols - 3 : 0;
        Buffer<float> x(rows * cols, off);
        x.CopyFrom(init);
        std::vector<float> want = init;
        HWY_NAMESPACE::Softmax(x.data(), rows, cols, 1.0f, m);
        ref::Softmax(want.data(), rows, cols, 1.0f, m);
        const std::string what = "cols=" + std::to_string(cols) + " causal=" + std::to_string(causal);
        ExpectSoftmaxClose(x.ToVector(), want, what);
        for (size_t r = 0; r < rows; ++r) {
          for (size_t c = 0; c < cols; ++c) {
            const bool dropped = mask[c] == kNegInf || (causal && c > r + m.causal_offset);
            if (dropped) {
              ASSERT_EQ(x[r * cols + c], 0.0f) << what << " r=" << r << " c=" << c;
            }
          }
        }
      }
    }
  }
}

void TestSoftmaxFullyMaskedRowIsZero() {
  for (size_t cols : test::KernelSizes()) {
    std::vector<float> x(2 * cols, 3.0f);
    std::vector<float> mask(cols, kNegInf);
    SoftmaxMask m;
    m.additive = mask.data();
    HWY_NAMESPACE::Softmax(x.data(), 2, cols, 1.0f, m);
    for (float v : x) ASSERT_EQ(v, 0.0f) << "cols=" << cols;
  }
  // Causal with nothing visible cannot happen (column 0 is always visible);
  // an all -inf row from the scores themselves must also give zeros.
  std::vector<float> x(17, kNegInf);
  HWY_NAMESPACE::Softmax(x.data(), 1, 17, 1.0f, SoftmaxMask{});
  for (float v : x) ASSERT_EQ(v, 0.0f);
}

void TestLogSoftmaxMatchesReference() {
  const size_t rows = 2;
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const auto init = test::RandomFloats(rows * cols, 3 + static_cast<uint32_t>(cols), -30.0f, 30.0f);
      Buffer<float> x(rows * cols, off);
      x.CopyFrom(init);
      std::vector<float> want = init;
      HWY_NAMESPACE::LogSoftmax(x.data(), rows, cols);
      ref::LogSoftmax(want.data(), rows, cols);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(x[i], want[i], 1e-5f * (1.0f + fabsf(want[i]))) << "cols=" << cols << " i=" << i;
      }
    }
  }
}

// GreedyPick = the reference log-softmax then the first argmax, skipping the
// excluded column: with ties (the first one must win, also when it sits in a
// later vector or the tail), with the excluded column holding the maximum,
// and without exclusion.
void TestGreedyPickMatchesLogSoftmaxArgmax() {
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      auto init = test::RandomFloats(cols, 7 + static_cast<uint32_t>(cols), -20.0f, 20.0f);
      const size_t hi = cols - 1 - (cols - 1) / 3;
      init[hi] = 25.0f;                              // the maximum...
      if (cols > 2) init[cols - 1] = 25.0f;          // ...tied in the last column
      for (size_t exclude : {cols, hi, size_t{0}}) {  // none, the maximum, the first column
        Buffer<float> x(cols, off);
        x.CopyFrom(init);
        std::vector<float> want = init;
        ref::LogSoftmax(want.data(), 1, cols);
        size_t want_at = cols;
        for (size_t i = 0; i < cols; ++i) {
          if (i != exclude && (want_at == cols || want[i] > want[want_at])) want_at = i;
        }
        size_t at = 0;
        float log_prob = 0;
        HWY_NAMESPACE::GreedyPick(x.data(), cols, exclude, &at, &log_prob);
        if (want_at == cols) want_at = exclude;  // one column, excluded: it is picked all the same
        ASSERT_EQ(at, want_at) << "cols=" << cols << " exclude=" << exclude << " off=" << off;
        ASSERT_NEAR(log_prob, want[want_at], 1e-5f * (1.0f + fabsf(want[want_at]))) << "cols=" << cols;
        for (size_t i = 0; i < cols; ++i) ASSERT_EQ(x[i], init[i]) << "the row was written, i=" << i;
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(SoftmaxTest);
HWY_EXPORT_AND_TEST_P(SoftmaxTest, TestSoftmaxMatchesReference);
HWY_EXPORT_AND_TEST_P(SoftmaxTest, TestSoftmaxMasks);
HWY_EXPORT_AND_TEST_P(SoftmaxTest, TestSoftmaxFullyMaskedRowIsZero);
HWY_EXPORT_AND_TEST_P(SoftmaxTest, TestLogSoftmaxMatchesReference);
HWY_EXPORT_AND_TEST_P(SoftmaxTest, TestGreedyPickMatchesLogSoftmaxArgmax);
}  // namespace edgeseq::ops
#endif
