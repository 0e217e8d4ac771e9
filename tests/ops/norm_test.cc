// LayerNorm / RMSNorm / AddNorm on every compiled Highway target vs the scalar
// reference (which accumulates in double).
#include <math.h>

#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/norm_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/norm-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

void ExpectNormClose(const float* got, const std::vector<float>& want,
                     const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 2e-5f * (1.0f + fabsf(want[i]))) << what << " i=" << i;
  }
}

// Rows with a large common offset test the two-pass variance.
std::vector<float> NormInput(size_t n, uint32_t seed) {
  auto v = test::RandomFloats(n, seed, -3.0f, 3.0f);
  for (size_t i = 0; i < n; ++i) v[i] += 100.0f;
  return v;
}

void TestLayerNormAndRMSNorm() {
  const size_t rows = 3;
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      const auto init = NormInput(rows * cols, 5 + static_cast<uint32_t>(cols));
      Buffer<float> x(rows * cols, off), gamma(cols, off), beta(cols, off), out(rows * cols, off);
      x.CopyFrom(init);
      gamma.CopyFrom(test::RandomFloats(cols, 1, 0.5f, 1.5f));
      beta.CopyFrom(test::RandomFloats(cols, 2));
      const std::string what = "cols=" + std::to_string(cols) + " off=" + std::to_string(off);
      std::vector<float> want(rows * cols);

      HWY_NAMESPACE::LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, out.data());
      ref::LayerNorm(init.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, want.data());
      ExpectNormClose(out.data(), want, "layer_norm " + what);

      HWY_NAMESPACE::LayerNorm(x.data(), rows, cols, gamma.data(), nullptr, 1e-5f, out.data());
      ref::LayerNorm(init.data(), rows, cols, gamma.data(), nullptr, 1e-5f, want.data());
      ExpectNormClose(out.data(), want, "layer_norm no beta " + what);

      HWY_NAMESPACE::RMSNorm(x.data(), rows, cols, gamma.data(), 1e-6f, out.data());
      ref::RMSNorm(init.data(), rows, cols, gamma.data(), 1e-6f, want.data());
      ExpectNormClose(out.data(), want, "rms_norm " + what);

      // In place (out aliases x).
      HWY_NAMESPACE::LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, x.data());
      ref::LayerNorm(init.data(), rows, cols, gamma.data(), beta.data(), 1e-5f, want.data());
      ExpectNormClose(x.data(), want, "layer_norm in place " + what);
    }
  }
}

// A constant row has zero variance: the result is beta, not NaN.
void TestLayerNormConstantRow() {
  for (size_t cols : test::KernelSizes()) {
    std::vector<float> x(cols, 4.0f), gamma(cols, 2.0f), beta(cols, 0.5f), out(cols);
    HWY_NAMESPACE::LayerNorm(x.data(), 1, cols, gamma.data(), beta.data(), 1e-5f, out.data());
    for (float v : out) ASSERT_FLOAT_EQ(v, 0.5f) << "cols=" << cols;
  }
}

void TestAddNormBothPlacements() {
  const size_t rows = 2;
  for (size_t cols : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      for (NormKind kind : {NormKind::kLayerNorm, NormKind::kRMSNorm}) {
        const auto res0 = test::RandomFloats(rows * cols, 21 + static_cast<uint32_t>(cols), -4.0f, 4.0f);
        const auto delta = test::RandomFloats(rows * cols, 22 + static_cast<uint32_t>(cols));
        const auto g = test::RandomFloats(cols, 23, 0.5f, 1.5f);
        const auto b = test::RandomFloats(cols, 24);
        const std::string what = "cols=" + std::to_string(cols) + " off=" + std::to_string(off) +
                                 " kind=" + std::to_string(static_cast<int>(kind));
        Buffer<float> res(rows * cols, off), d(rows * cols, off), normed(rows * cols, off);
        // Pre-LN: residual keeps the sum, normed gets norm(sum).
        res.CopyFrom(res0);
        d.CopyFrom(delta);
        HWY_NAMESPACE::AddNorm(res.data(), d.data(), rows, cols, kind, g.data(), b.data(), 1e-5f, normed.data());
        std::vector<float> want_res = res0, want_norm(rows * cols);
        ref::AddNorm(want_res.data(), delta.data(), rows, cols, kind, g.data(), b.data(), 1e-5f,
                     want_norm.data());
        for (size_t i = 0; i < want_res.size(); ++i) ASSERT_EQ(res[i], want_res[i]) << what;
        ExpectNormClose(normed.data(), want_norm, "pre-LN " + what);
        // Post-LN: normed aliases residual.
        res.CopyFrom(res0);
        HWY_NAMESPACE::AddNorm(res.data(), d.data(), rows, cols, kind, g.data(), b.data(), 1e-5f, res.data());
        ExpectNormClose(res.data(), want_norm, "post-LN " + what);
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(NormTest);
HWY_EXPORT_AND_TEST_P(NormTest, TestLayerNormAndRMSNorm);
HWY_EXPORT_AND_TEST_P(NormTest, TestLayerNormConstantRow);
HWY_EXPORT_AND_TEST_P(NormTest, TestAddNormBothPlacements);
}  // namespace edgeseq::ops
#endif
