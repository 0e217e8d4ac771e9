// BiasActivation on every compiled Highway target vs the scalar reference.
#include <math.h>

#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/activation_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/activation-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

constexpr Activation kAll[] = {Activation::kNone, Activation::kReLU, Activation::kGeluErf,
                               Activation::kGeluTanh, Activation::kSiLU};

void TestBiasActivationMatchesReference() {
  const size_t rows = 2;
  for (Activation act : kAll) {
    for (size_t cols : test::KernelSizes()) {
      for (size_t off : test::Misalignments()) {
        for (bool with_bias : {false, true}) {
          auto init = test::RandomFloats(rows * cols, 31 + static_cast<uint32_t>(cols), -12.0f, 12.0f);
          // Extremes where exp/tanh/erf saturate.
          init[0] = 100.0f;
          if (init.size() > 1) init[1] = -100.0f;
          if (init.size() > 2) init[2] = 0.0f;
          Buffer<float> x(rows * cols, off), bias(cols, off);
          x.CopyFrom(init);
          bias.CopyFrom(test::RandomFloats(cols, 32));
          std::vector<float> want = init;
          const float* b = with_bias ? bias.data() : nullptr;
          HWY_NAMESPACE::BiasActivation(x.data(), rows, cols, b, act);
          ref::BiasActivation(want.data(), rows, cols, b, act);
          const std::string what = std::string(ActivationName(act)) + " cols=" + std::to_string(cols) +
                                   " off=" + std::to_string(off) + " bias=" + std::to_string(with_bias);
          for (size_t i = 0; i < want.size(); ++i) {
            const float in = init[i] + (b ? b[i % cols] : 0.0f);
            const float tol = (act == Activation::kNone || act == Activation::kReLU)
                                  ? 0.0f
                                  : 2e-6f * (1.0f + fabsf(in));
            ASSERT_NEAR(x[i], want[i], tol) << what << " i=" << i << " in=" << in;
          }
        }
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(ActivationTest);
HWY_EXPORT_AND_TEST_P(ActivationTest, TestBiasActivationMatchesReference);
}  // namespace edgeseq::ops
#endif
