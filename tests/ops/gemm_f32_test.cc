// GemmF32 on every compiled Highway target vs the double-accumulated
// reference, odd sizes and misaligned buffers.
#include <math.h>

#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/gemm_f32_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/gemm_f32-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

void TestGemmF32() {
  for (size_t K : test::KernelSizes()) {
    for (size_t N : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{17}}) {
      for (size_t M : {size_t{1}, size_t{3}, size_t{5}}) {  // single rows, whole tiles, remainders
        for (size_t off : test::Misalignments()) {
          Buffer<float> x(M * K, off), w(N * K, off), y(M * N, off);
          x.CopyFrom(test::RandomFloats(M * K, static_cast<uint32_t>(K + N), -2.0f, 2.0f));
          w.CopyFrom(test::RandomFloats(N * K, static_cast<uint32_t>(K * N), -1.0f, 1.0f));
          HWY_NAMESPACE::GemmF32Block(x.data(), M, K, w.data(), N, y.data(), N);
          std::vector<float> want(M * N);
          ref::MatmulF32(x.data(), M, K, w.data(), N, nullptr, want.data());
          for (size_t i = 0; i < M * N; ++i) {
            double mag = 0;
            for (size_t k = 0; k < K; ++k) mag += fabs(x[(i / N) * K + k] * w[(i % N) * K + k]);
            ASSERT_NEAR(y[i], want[i], 1e-6 * mag + 1e-30)
                << "M=" << M << " K=" << K << " N=" << N << " off=" << off << " i=" << i;
          }
        }
      }
    }
  }
}

// More rows of W than one L2 block (64), written into a wider output (row
// stride > N, as when the columns are split between threads).
void TestGemmF32BlocksAndStride() {
  const size_t M = 6, K = 33, N = 133, ldy = N + 5;
  const auto x = test::RandomFloats(M * K, 7, -2.0f, 2.0f), w = test::RandomFloats(N * K, 8, -1.0f, 1.0f);
  std::vector<float> y(M * ldy, 12345.0f), want(M * N);
  HWY_NAMESPACE::GemmF32Block(x.data(), M, K, w.data(), N, y.data(), ldy);
  ref::MatmulF32(x.data(), M, K, w.data(), N, nullptr, want.data());
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < ldy; ++n) {
      if (n >= N) {
        ASSERT_EQ(y[m * ldy + n], 12345.0f) << "wrote past column N";
      } else {
        ASSERT_NEAR(y[m * ldy + n], want[m * N + n], 1e-4) << "m=" << m << " n=" << n;
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(GemmF32Test);
HWY_EXPORT_AND_TEST_P(GemmF32Test, TestGemmF32);
HWY_EXPORT_AND_TEST_P(GemmF32Test, TestGemmF32BlocksAndStride);
}  // namespace edgeseq::ops
#endif
