// Embedding gather (f32, int8 and f16 tables) on every compiled Highway target vs
// the scalar reference, and the sinusoidal table against its formula.
#include <math.h>

#include <algorithm>
#include <string>
#include <vector>

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

// Sinusoidal tables, one test per (layout, frequencies) pair, each against
// the formula as the code base that uses it writes it (plain loops, not the
// op's code), at offsets 0, 1 and 2 and for an odd width.
std::vector<float> Table(size_t max_pos, size_t dim, SinusoidLayout layout, SinusoidFrequencies f, size_t first) {
  std::vector<float> t(max_pos * dim, -7.0f);
  SinusoidalTable(max_pos, dim, layout, f, first, t.data());
  return t;
}

// PyTorch's tutorial PositionalEncoding: den = exp(-arange(0, d, 2)·ln(10000)/d);
// pe[:, 0::2] = sin(pos·den); pe[:, 1::2] = cos(pos·den).
TEST(SinusoidalTableTest, InterleavedPaperIsTheTutorials) {
  for (size_t first : {0, 1, 2}) {
    const size_t max_pos = 40, dim = 16;
    const auto t = Table(max_pos, dim, SinusoidLayout::kInterleaved, SinusoidFrequencies::kPaper, first);
    for (size_t p = 0; p < max_pos; ++p) {
      const double pos = static_cast<double>(p + first);
      for (size_t k = 0; k < dim; k += 2) {
        const double den = exp(-static_cast<double>(k) * log(10000.0) / dim);
        ASSERT_NEAR(t[p * dim + k], sin(pos * den), 1e-6) << "p=" << p << " k=" << k << " first=" << first;
        ASSERT_NEAR(t[p * dim + k + 1], cos(pos * den), 1e-6) << "p=" << p << " k=" << k << " first=" << first;
      }
    }
  }
}

// Hugging Face's MarianSinusoidalPositionalEmbedding: position_enc[pos, j] =
// pos / 10000^(2·(j//2)/dim); out[:, :dim/2] = sin(position_enc[:, 0::2]),
// out[:, dim/2:] = cos(position_enc[:, 1::2]).
TEST(SinusoidalTableTest, ConcatenatedPaperIsMarians) {
  for (size_t first : {0, 1, 2}) {
    const size_t max_pos = 40, dim = 16;
    const auto t = Table(max_pos, dim, SinusoidLayout::kConcatenated, SinusoidFrequencies::kPaper, first);
    for (size_t p = 0; p < max_pos; ++p) {
      const double pos = static_cast<double>(p + first);
      std::vector<double> enc(dim);
      for (size_t j = 0; j < dim; ++j) enc[j] = pos / pow(10000.0, 2.0 * static_cast<double>(j / 2) / dim);
      for (size_t j = 0; j < dim / 2; ++j) {
        ASSERT_NEAR(t[p * dim + j], sin(enc[2 * j]), 1e-6) << "p=" << p << " j=" << j;
        ASSERT_NEAR(t[p * dim + dim / 2 + j], cos(enc[2 * j + 1]), 1e-6) << "p=" << p << " j=" << j;
      }
    }
  }
}

// fairseq's SinusoidalPositionalEmbedding.get_embedding (and CTranslate2's,
// and tensor2tensor's timing signal): emb = ln(10000)/(half - 1);
// emb = exp(arange(half)·-emb); table = cat(sin(pos·emb), cos(pos·emb)),
// a zero column appended when dim is odd.
TEST(SinusoidalTableTest, ConcatenatedTensor2TensorIsFairseqs) {
  for (size_t dim : {16, 15}) {
    for (size_t first : {0, 1, 2}) {
      const size_t max_pos = 40, half = dim / 2;
      const auto t = Table(max_pos, dim, SinusoidLayout::kConcatenated, SinusoidFrequencies::kTensor2Tensor, first);
      const double step = log(10000.0) / static_cast<double>(half - 1);
      for (size_t p = 0; p < max_pos; ++p) {
        const double pos = static_cast<double>(p + first);
        for (size_t i = 0; i < half; ++i) {
          const double emb = exp(static_cast<double>(i) * -step);
          ASSERT_NEAR(t[p * dim + i], sin(pos * emb), 1e-6) << "dim=" << dim << " p=" << p << " i=" << i;
          ASSERT_NEAR(t[p * dim + half + i], cos(pos * emb), 1e-6) << "dim=" << dim << " p=" << p << " i=" << i;
        }
        if (dim % 2) ASSERT_EQ(t[p * dim + dim - 1], 0.0f);
      }
    }
  }
}

// The same frequencies interleaved (sin, cos of each pair side by side).
TEST(SinusoidalTableTest, InterleavedTensor2Tensor) {
  for (size_t first : {0, 1, 2}) {
    const size_t max_pos = 40, dim = 16, half = dim / 2;
    const auto t = Table(max_pos, dim, SinusoidLayout::kInterleaved, SinusoidFrequencies::kTensor2Tensor, first);
    for (size_t p = 0; p < max_pos; ++p) {
      const double pos = static_cast<double>(p + first);
      for (size_t i = 0; i < half; ++i) {
        const double inv_timescale = pow(10000.0, -static_cast<double>(i) / static_cast<double>(half - 1));
        ASSERT_NEAR(t[p * dim + 2 * i], sin(pos * inv_timescale), 1e-6) << "p=" << p << " i=" << i;
        ASSERT_NEAR(t[p * dim + 2 * i + 1], cos(pos * inv_timescale), 1e-6) << "p=" << p << " i=" << i;
      }
    }
  }
}

// The variants differ from one another (so a converter can tell them apart).
TEST(SinusoidalTableTest, VariantsDiffer) {
  const size_t max_pos = 8, dim = 16;
  std::vector<std::vector<float>> all;
  for (auto layout : {SinusoidLayout::kInterleaved, SinusoidLayout::kConcatenated}) {
    for (auto f : {SinusoidFrequencies::kPaper, SinusoidFrequencies::kTensor2Tensor}) {
      for (size_t first : {0, 1, 2}) all.push_back(Table(max_pos, dim, layout, f, first));
    }
  }
  for (size_t a = 0; a < all.size(); ++a) {
    for (size_t b = a + 1; b < all.size(); ++b) {
      float worst = 0;
      for (size_t k = 0; k < all[a].size(); ++k) worst = std::max(worst, fabsf(all[a][k] - all[b][k]));
      EXPECT_GT(worst, 0.01f) << "variants " << a << " and " << b;
    }
  }
}
}  // namespace edgeseq::ops
#endif
