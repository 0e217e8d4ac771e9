// Attention products, the residual add and the gated FFN's product on every compiled Highway target
// vs the scalar reference, with strided (fused-projection) inputs.
#include <math.h>

#include <algorithm>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/attention_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/attention-inl.h"
#include "ops/norm-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

void TestAttentionScoresAndContext() {
  for (size_t dh : {size_t{1}, size_t{3}, size_t{7}, size_t{16}, size_t{17}, size_t{64}, size_t{65}}) {
    for (size_t tk : {size_t{1}, size_t{5}, size_t{33}}) {
      for (size_t off : test::Misalignments()) {
        const size_t tq = 3, stride = 3 * dh + 1;  // q, k, v interleaved like a fused qkv row
        const size_t rows = std::max(tq, tk);     // q reads tq rows, k and v tk rows
        Buffer<float> qkv(rows * stride, off), scores(tq * tk, off), out(tq * (dh + 2), off);
        qkv.CopyFrom(test::RandomFloats(rows * stride, static_cast<uint32_t>(dh * 100 + tk), -2.0f, 2.0f));
        const float* q = qkv.data();
        const float* k = qkv.data() + dh;
        const float* v = qkv.data() + 2 * dh;
        std::vector<float> want(tq * tk);
        HWY_NAMESPACE::AttentionScores(q, stride, k, stride, tq, tk, dh, scores.data());
        ref::AttentionScores(q, stride, k, stride, tq, tk, dh, want.data());
        const std::string what = "dh=" + std::to_string(dh) + " tk=" + std::to_string(tk) + " off=" + std::to_string(off);
        for (size_t i = 0; i < tq; ++i) {
          for (size_t j = 0; j < tk; ++j) {
            double mag = 0;
            for (size_t c = 0; c < dh; ++c) mag += fabs(q[i * stride + c] * k[j * stride + c]);
            ASSERT_NEAR(scores[i * tk + j], want[i * tk + j], 1e-6 * mag + 1e-30) << what;
          }
        }
        // A key's score does not depend on how many keys follow it (a batch
        // pads its sources to the longest): bit-identical with fewer keys.
        for (size_t fewer = 1; fewer <= 3 && fewer < tk; ++fewer) {
          const size_t tk2 = tk - fewer;
          std::vector<float> s2(tq * tk2);
          HWY_NAMESPACE::AttentionScores(q, stride, k, stride, tq, tk2, dh, s2.data());
          for (size_t i = 0; i < tq; ++i) {
            for (size_t j = 0; j < tk2; ++j) ASSERT_EQ(s2[i * tk2 + j], scores[i * tk + j]) << what << " tk2=" << tk2;
          }
        }
        // Probabilities: any rows of non-negative weights.
        Buffer<float> p(tq * tk, off);
        p.CopyFrom(test::RandomFloats(tq * tk, 9, 0.0f, 1.0f));
        const size_t out_stride = dh + 2;
        std::vector<float> want_out(tq * out_stride, 0.0f);
        for (size_t i = 0; i < tq * out_stride; ++i) out[i] = 0.0f;
        HWY_NAMESPACE::AttentionContext(p.data(), tq, tk, v, stride, dh, out.data(), out_stride);
        ref::AttentionContext(p.data(), tq, tk, v, stride, dh, want_out.data(), out_stride);
        for (size_t i = 0; i < tq; ++i) {
          for (size_t c = 0; c < dh; ++c) {
            double mag = 0;
            for (size_t j = 0; j < tk; ++j) mag += fabs(p[i * tk + j] * v[j * stride + c]);
            ASSERT_NEAR(out[i * out_stride + c], want_out[i * out_stride + c], 1e-6 * mag + 1e-30) << what;
          }
          ASSERT_EQ(out[i * out_stride + dh], 0.0f) << "wrote past dh: " << what;
        }
      }
    }
  }
}

void TestAdd() {
  for (size_t n : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      Buffer<float> acc(n, off), delta(n, off);
      const auto a = test::RandomFloats(n, 1), b = test::RandomFloats(n, 2);
      acc.CopyFrom(a);
      delta.CopyFrom(b);
      HWY_NAMESPACE::Add(acc.data(), delta.data(), n);
      std::vector<float> want = a;
      ref::Add(want.data(), b.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(acc[i], want[i]) << "n=" << n;
    }
  }
}

void TestMultiply() {
  for (size_t n : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      Buffer<float> acc(n, off), x(n, off);
      const auto a = test::RandomFloats(n, 3), b = test::RandomFloats(n, 4);
      acc.CopyFrom(a);
      x.CopyFrom(b);
      HWY_NAMESPACE::Multiply(acc.data(), x.data(), n);
      std::vector<float> want = a;
      ref::Multiply(want.data(), b.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(acc[i], want[i]) << "n=" << n;
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(AttentionTest);
HWY_EXPORT_AND_TEST_P(AttentionTest, TestAttentionScoresAndContext);
HWY_EXPORT_AND_TEST_P(AttentionTest, TestAdd);
HWY_EXPORT_AND_TEST_P(AttentionTest, TestMultiply);
}  // namespace edgeseq::ops
#endif
