// GemmU8S8 on every compiled Highway target vs the exact integer reference,
// including the extremes that saturate 16-bit pair sums elsewhere.
#include <random>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/gemm_u8s8_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "ops/gemm_u8s8-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

void CheckExact(size_t M, size_t K, size_t N, size_t off, const std::vector<uint8_t>& x,
                const std::vector<int8_t>& w, const std::string& what) {
  Buffer<uint8_t> xb(M * K, off);
  Buffer<int8_t> wb(N * K, off);
  Buffer<int32_t> acc(M * N, off);
  xb.CopyFrom(x);
  wb.CopyFrom(w);
  std::vector<int32_t> want(M * N), w_sum(N, 0);
  ref::MatmulU8S8(x.data(), M, K, w.data(), N, want.data());
  for (size_t n = 0; n < N; ++n) {
    for (size_t k = 0; k < K; ++k) w_sum[n] += w[n * K + k];
  }
  // Both paths: widening (no w_sum) and, where the CPU has them, dot products.
  for (bool dot : {false, true}) {
    HWY_NAMESPACE::GemmU8S8Block(xb.data(), M, K, wb.data(), N, dot ? w_sum.data() : nullptr, dot, acc.data(), N);
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(acc[i], want[i]) << what << " M=" << M << " K=" << K << " N=" << N << " off=" << off
                                 << " i=" << i << " dot=" << dot;
    }
  }
}

void TestGemmU8S8Random() {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> xa(0, 255), wa(-128, 127);
  for (size_t K : test::KernelSizes()) {
    for (size_t N : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{17}}) {
      for (size_t M : {size_t{1}, size_t{3}, size_t{5}}) {  // single rows, whole tiles, remainders
        for (size_t off : test::Misalignments()) {
          std::vector<uint8_t> x(M * K);
          std::vector<int8_t> w(N * K);
          for (auto& v : x) v = static_cast<uint8_t>(xa(rng));
          for (auto& v : w) v = static_cast<int8_t>(wa(rng));
          CheckExact(M, K, N, off, x, w, "random");
        }
      }
    }
  }
}

void TestGemmU8S8Extremes() {
  for (size_t K : {size_t{512}, size_t{4099}}) {
    const size_t M = 3, N = 6;
    const std::vector<uint8_t> x(M * K, 255);
    for (int wv : {127, -128}) {
      const std::vector<int8_t> w(N * K, static_cast<int8_t>(wv));
      CheckExact(M, K, N, 0, x, w, "extreme w=" + std::to_string(wv));
    }
  }
}

// More rows of W than one L2 block (64), written into a wider output.
void TestGemmU8S8BlocksAndStride() {
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> xa(0, 255), wa(-128, 127);
  const size_t M = 6, K = 33, N = 133, ldy = N + 5;
  std::vector<uint8_t> x(M * K);
  std::vector<int8_t> w(N * K);
  for (auto& v : x) v = static_cast<uint8_t>(xa(rng));
  for (auto& v : w) v = static_cast<int8_t>(wa(rng));
  std::vector<int32_t> want(M * N), w_sum(N, 0);
  for (size_t n = 0; n < N; ++n) {
    for (size_t k = 0; k < K; ++k) w_sum[n] += w[n * K + k];
  }
  ref::MatmulU8S8(x.data(), M, K, w.data(), N, want.data());
  for (bool dot : {false, true}) {
    std::vector<int32_t> y(M * ldy, 12345);
    HWY_NAMESPACE::GemmU8S8Block(x.data(), M, K, w.data(), N, w_sum.data(), dot, y.data(), ldy);
    for (size_t m = 0; m < M; ++m) {
      for (size_t n = 0; n < ldy; ++n) {
        ASSERT_EQ(y[m * ldy + n], n >= N ? 12345 : want[m * N + n]) << "m=" << m << " n=" << n << " dot=" << dot;
      }
    }
  }
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(GemmU8S8Test);
HWY_EXPORT_AND_TEST_P(GemmU8S8Test, TestGemmU8S8Random);
HWY_EXPORT_AND_TEST_P(GemmU8S8Test, TestGemmU8S8Extremes);
HWY_EXPORT_AND_TEST_P(GemmU8S8Test, TestGemmU8S8BlocksAndStride);
}  // namespace edgeseq::ops
#endif
