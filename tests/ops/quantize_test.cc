// int8 quantize / dequantize and the int8 matmul epilogue on every compiled
// Highway target vs the scalar reference.
#include <math.h>
#include <stdlib.h>

#include <algorithm>

#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/quantize_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/quantize-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

void TestQuantizeRowsS8() {
  const size_t rows = 3;
  for (int qmax : {127, 63}) {
    for (size_t cols : test::KernelSizes()) {
      for (size_t off : test::Misalignments()) {
        auto w = test::RandomFloats(rows * cols, 51 + static_cast<uint32_t>(cols), -0.3f, 0.3f);
        for (size_t c = 0; c < cols; ++c) w[2 * cols + c] = 0.0f;  // an all-zero row
        Buffer<float> win(rows * cols, off);
        win.CopyFrom(w);
        Buffer<int8_t> q(rows * cols, off);
        std::vector<int8_t> want_q(rows * cols);
        std::vector<float> scales(rows), want_scales(rows);
        HWY_NAMESPACE::QuantizeRowsS8(win.data(), rows, cols, q.data(), scales.data(), qmax);
        ref::QuantizeRowsS8(w.data(), rows, cols, want_q.data(), want_scales.data(), qmax);
        const std::string what = "qmax=" + std::to_string(qmax) + " cols=" + std::to_string(cols) + " off=" + std::to_string(off);
        for (size_t i = 0; i < want_q.size(); ++i) ASSERT_LE(abs(q[i]), qmax) << what;
        for (size_t r = 0; r < rows; ++r) ASSERT_EQ(scales[r], want_scales[r]) << what;
        for (size_t i = 0; i < want_q.size(); ++i) ASSERT_EQ(q[i], want_q[i]) << what << " i=" << i;
        EXPECT_EQ(scales[2], 0.0f);
        // Round trip: within half a step of the original.
        Buffer<float> back(rows * cols, off);
        HWY_NAMESPACE::DequantizeRowsS8(q.data(), scales.data(), rows, cols, back.data());
        for (size_t i = 0; i < w.size(); ++i) {
          ASSERT_EQ(back[i], static_cast<float>(q[i]) * scales[i / cols]) << what;
          ASSERT_LE(fabsf(back[i] - w[i]), scales[i / cols] * 0.5f * 1.0001f) << what << " i=" << i;
        }
      }
    }
  }
}

void TestQuantizeRowsU8() {
  const size_t rows = 4;
  for (int qmax : {127, 255}) {
    for (size_t cols : test::KernelSizes()) {
      for (size_t off : test::Misalignments()) {
        auto x = test::RandomFloats(rows * cols, 61 + static_cast<uint32_t>(cols), -2.0f, 5.0f);
        for (size_t c = 0; c < cols; ++c) {
          x[1 * cols + c] = fabsf(x[1 * cols + c]);  // all positive (post-ReLU)
          x[2 * cols + c] = 0.0f;                    // all zero
          x[3 * cols + c] = -fabsf(x[3 * cols + c]); // all negative
        }
        Buffer<float> xin(rows * cols, off);
        xin.CopyFrom(x);
        Buffer<uint8_t> q(rows * cols, off);
        std::vector<uint8_t> want_q(rows * cols);
        std::vector<float> s(rows), ws(rows);
        std::vector<int32_t> z(rows), wz(rows);
        HWY_NAMESPACE::QuantizeRowsU8(xin.data(), rows, cols, qmax, q.data(), s.data(), z.data());
        ref::QuantizeRowsU8(x.data(), rows, cols, qmax, want_q.data(), ws.data(), wz.data());
        const std::string what = "qmax=" + std::to_string(qmax) + " cols=" + std::to_string(cols) +
                                 " off=" + std::to_string(off);
        for (size_t r = 0; r < rows; ++r) {
          ASSERT_EQ(s[r], ws[r]) << what;
          ASSERT_EQ(z[r], wz[r]) << what;
        }
        for (size_t i = 0; i < x.size(); ++i) {
          ASSERT_EQ(q[i], want_q[i]) << what << " i=" << i;
          ASSERT_LE(q[i], qmax) << what;
          const size_t r = i / cols;
          const float back = (static_cast<float>(q[i]) - static_cast<float>(z[r])) * s[r];
          ASSERT_LE(fabsf(back - x[i]), s[r] * 0.5f * 1.001f + 1e-7f) << what << " i=" << i;
        }
      }
    }
  }
}

void TestDequantizeAccumulators() {
  const size_t M = 3;
  for (size_t N : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      Buffer<int32_t> acc(M * N, off);
      std::vector<int32_t> wsum(N);
      for (size_t i = 0; i < M * N; ++i) acc[i] = static_cast<int32_t>(i * 7919 % 200001) - 100000;
      for (size_t n = 0; n < N; ++n) wsum[n] = static_cast<int32_t>(n * 31 % 2001) - 1000;
      const auto x_scale = test::RandomFloats(M, 71, 0.001f, 0.1f);
      const std::vector<int32_t> x_zero = {0, 64, 127};
      const auto w_scale = test::RandomFloats(N, 72, 0.001f, 0.01f);
      const auto bias = test::RandomFloats(N, 73);
      for (Activation act : {Activation::kNone, Activation::kReLU, Activation::kGeluErf}) {
        Buffer<float> y(M * N, off);
        std::vector<float> want(M * N);
        HWY_NAMESPACE::DequantizeAccumulators(acc.data(), M, N, x_scale.data(), x_zero.data(), w_scale.data(),
                               wsum.data(), bias.data(), act, y.data());
        ref::DequantizeAccumulators(acc.data(), M, N, x_scale.data(), x_zero.data(), w_scale.data(),
                                    wsum.data(), bias.data(), act, want.data());
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(y[i], want[i], 2e-6f * (1.0f + fabsf(want[i])))
              << "N=" << N << " act=" << ActivationName(act) << " i=" << i;
        }
      }
    }
  }
}

// Per-row sums and the largest |w| against plain loops, the extremes (-128,
// 127) included, odd sizes, misaligned rows.
void TestRowSumsS8() {
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const size_t rows = 3;
      Buffer<int8_t> w(rows * cols, off);
      for (size_t i = 0; i < rows * cols; ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
      if (cols > 2) w[cols + 1] = -128;  // row 1 holds the extreme
      std::vector<int32_t> sums(rows);
      int max_abs = 0;
      HWY_NAMESPACE::RowSumsS8(w.data(), rows, cols, sums.data(), &max_abs);
      int want_max = 0;
      for (size_t r = 0; r < rows; ++r) {
        int32_t want = 0;
        for (size_t c = 0; c < cols; ++c) {
          want += w[r * cols + c];
          want_max = std::max(want_max, std::abs(static_cast<int>(w[r * cols + c])));
        }
        ASSERT_EQ(sums[r], want) << "cols=" << cols << " off=" << off << " row " << r;
      }
      ASSERT_EQ(max_abs, want_max) << "cols=" << cols << " off=" << off;
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(QuantizeTest);
HWY_EXPORT_AND_TEST_P(QuantizeTest, TestQuantizeRowsS8);
HWY_EXPORT_AND_TEST_P(QuantizeTest, TestQuantizeRowsU8);
HWY_EXPORT_AND_TEST_P(QuantizeTest, TestDequantizeAccumulators);
HWY_EXPORT_AND_TEST_P(QuantizeTest, TestRowSumsS8);
}  // namespace edgeseq::ops
#endif
