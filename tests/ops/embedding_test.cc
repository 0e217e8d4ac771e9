// Embedding gather (f32, int8 and f16 tables) on every compiled Highway target vs
// the scalar reference, and the sinusoidal table against its formula.
#include <math.h>

#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/ops/embedding_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "loaders/half.h"
#include "ops/embedding-inl.h"
#include "ops/reference.h"
#include "tests/ops/test_util.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {

using test::Buffer;

constexpr size_t kVocab = 37, kMaxPos = 11;

void ExpectClose(const Buffer<float>& got, const std::vector<float>& want, const std::string& what) {
  // SSE4/EMU128 have no FMA: one extra rounding against the reference's fmaf.
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 3e-7f * (1.0f + fabsf(want[i]))) << what << " i=" << i;
  }
}

void TestEmbeddingGather() {
  const size_t n = 5;
  const int32_t ids[n] = {0, 36, 5, 5, 17};
  const int32_t pos[n] = {0, 1, 2, 10, 3};
  for (size_t dim : test::KernelSizes()) {
    for (size_t off : test::Misalignments()) {
      for (bool with_pos : {false, true}) {
        const auto table = test::RandomFloats(kVocab * dim, 41);
        const auto pos_table = test::RandomFloats(kMaxPos * dim, 42);
        const auto row_scales = test::RandomFloats(kVocab, 43, 0.01f, 0.1f);
        std::vector<int8_t> table8(kVocab * dim);
        for (size_t i = 0; i < table8.size(); ++i) table8[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
        Buffer<float> out(n * dim, off);
        std::vector<float> want(n * dim);
        const float* pt = with_pos ? pos_table.data() : nullptr;
        const std::string what = "dim=" + std::to_string(dim) + " off=" + std::to_string(off) +
                                 " pos=" + std::to_string(with_pos);

        ASSERT_TRUE(HWY_NAMESPACE::EmbeddingGather(table.data(), kVocab, dim, ids, n, 4.0f, pt, kMaxPos, pos, out.data()));
        ASSERT_TRUE(ref::EmbeddingGather(table.data(), kVocab, dim, ids, n, 4.0f, pt, kMaxPos, pos, want.data()));
        ExpectClose(out, want, "f32 " + what);

        ASSERT_TRUE(HWY_NAMESPACE::EmbeddingGatherInt8(table8.data(), row_scales.data(), kVocab, dim, ids, n, 4.0f, pt,
                                        kMaxPos, pos, out.data()));
        ASSERT_TRUE(ref::EmbeddingGatherInt8(table8.data(), row_scales.data(), kVocab, dim, ids, n, 4.0f,
                                             pt, kMaxPos, pos, want.data()));
        ExpectClose(out, want, "int8 " + what);

        // f16: the reference gathers the table widened by the loaders' scalar
        // conversion; values include subnormal halves.
        std::vector<uint16_t> table16(kVocab * dim);
        std::vector<float> widened(kVocab * dim);
        for (size_t i = 0; i < table16.size(); ++i) {
          table16[i] = i % 7 == 3 ? static_cast<uint16_t>(i % 1000 + 1) : loaders::FloatToHalf(table[i]);
          widened[i] = loaders::HalfToFloat(table16[i]);
        }
        ASSERT_TRUE(HWY_NAMESPACE::EmbeddingGatherF16(table16.data(), kVocab, dim, ids, n, 4.0f, pt, kMaxPos, pos,
                                                      out.data()));
        ASSERT_TRUE(ref::EmbeddingGather(widened.data(), kVocab, dim, ids, n, 4.0f, pt, kMaxPos, pos, want.data()));
        ExpectClose(out, want, "f16 " + what);
      }
    }
  }
}

void TestEmbeddingRejectsBadIds() {
  const size_t dim = 17;
  const auto table = test::RandomFloats(kVocab * dim, 44);
  const auto pos_table = test::RandomFloats(kMaxPos * dim, 45);
  std::vector<float> out(2 * dim, 123.0f);
  const int32_t bad_ids[][2] = {{0, 37}, {-1, 0}, {1000000, 1}};
  const int32_t ok_pos[2] = {0, 1};
  for (const auto& ids : bad_ids) {
    EXPECT_FALSE(HWY_NAMESPACE::EmbeddingGather(table.data(), kVocab, dim, ids, 2, 1.0f, nullptr, 0, nullptr, out.data()));
  }
  const int32_t ok_ids[2] = {1, 2};
  const int32_t bad_pos[2] = {0, 11};
  EXPECT_FALSE(HWY_NAMESPACE::EmbeddingGather(table.data(), kVocab, dim, ok_ids, 2, 1.0f, pos_table.data(), kMaxPos,
                               bad_pos, out.data()));
  EXPECT_FALSE(HWY_NAMESPACE::EmbeddingGather(table.data(), kVocab, dim, ok_ids, 2, 1.0f, pos_table.data(), kMaxPos,
                               nullptr, out.data()));
  for (float v : out) ASSERT_EQ(v, 123.0f) << "a refused gather wrote output";
  EXPECT_TRUE(HWY_NAMESPACE::EmbeddingGather(table.data(), kVocab, dim, ok_ids, 2, 1.0f, pos_table.data(), kMaxPos,
                              ok_pos, out.data()));
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace edgeseq::ops {
HWY_BEFORE_TEST(EmbeddingTest);
HWY_EXPORT_AND_TEST_P(EmbeddingTest, TestEmbeddingGather);
HWY_EXPORT_AND_TEST_P(EmbeddingTest, TestEmbeddingRejectsBadIds);

// The PyTorch tutorial's PositionalEncoding: even columns sin(p·f_j), odd
// columns cos(p·f_j), f_j = exp(-(j - j%2)·ln(10000)/d).
TEST(SinusoidalTableTest, MatchesTutorialFormula) {
  const size_t max_pos = 50, dim = 16;
  std::vector<float> inter(max_pos * dim), concat(max_pos * dim);
  SinusoidalTable(max_pos, dim, true, inter.data());
  SinusoidalTable(max_pos, dim, false, concat.data());
  for (size_t p = 0; p < max_pos; ++p) {
    for (size_t j = 0; j < dim; ++j) {
      const double f = exp(-static_cast<double>(j - j % 2) * log(10000.0) / dim);
      const double want = j % 2 == 0 ? sin(p * f) : cos(p * f);
      ASSERT_NEAR(inter[p * dim + j], want, 1e-6) << "p=" << p << " j=" << j;
      const size_t half = dim / 2, pair = j < half ? j : j - half;
      const double fc = exp(-2.0 * pair * log(10000.0) / dim);
      const double want_c = j < half ? sin(p * fc) : cos(p * fc);
      ASSERT_NEAR(concat[p * dim + j], want_c, 1e-6) << "p=" << p << " j=" << j;
    }
  }
}
}  // namespace edgeseq::ops
#endif
