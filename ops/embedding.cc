// Dispatch for ops/embedding.h (Highway skeleton: one copy per target).
#include "ops/embedding.h"

#include <math.h>

#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/embedding.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/embedding-inl.h"

#if HWY_ONCE
namespace edgeseq::ops {

HWY_EXPORT(EmbeddingGather);
HWY_EXPORT(EmbeddingGatherInt8);
HWY_EXPORT(EmbeddingGatherF16);

bool EmbeddingGather(const float* table, size_t vocab, size_t dim,
                     const int32_t* ids, size_t n, float scale,
                     const float* pos_table, size_t max_pos,
                     const int32_t* pos, float* out) {
  return HWY_DYNAMIC_DISPATCH(EmbeddingGather)(table, vocab, dim, ids, n, scale,
                                               pos_table, max_pos, pos, out);
}

bool EmbeddingGatherInt8(const int8_t* table, const float* row_scales,
                         size_t vocab, size_t dim, const int32_t* ids, size_t n,
                         float scale, const float* pos_table, size_t max_pos,
                         const int32_t* pos, float* out) {
  return HWY_DYNAMIC_DISPATCH(EmbeddingGatherInt8)(
      table, row_scales, vocab, dim, ids, n, scale, pos_table, max_pos, pos, out);
}

bool EmbeddingGatherF16(const uint16_t* table, size_t vocab, size_t dim,
                        const int32_t* ids, size_t n, float scale,
                        const float* pos_table, size_t max_pos,
                        const int32_t* pos, float* out) {
  return HWY_DYNAMIC_DISPATCH(EmbeddingGatherF16)(table, vocab, dim, ids, n, scale,
                                                  pos_table, max_pos, pos, out);
}

void SinusoidalTable(size_t max_pos, size_t dim, SinusoidLayout layout, SinusoidFrequencies frequencies,
                     size_t first_position, float* table) {
  // Angles in double: positions up to thousands times frequencies near 1 lose
  // digits in f32 before the sin/cos.
  const size_t half = dim / 2;
  const double log_base = log(10000.0);
  std::vector<double> frequency(half + 1);  // + 1: an odd interleaved dim's last sin
  for (size_t i = 0; i <= half; ++i) {
    const double exponent = frequencies == SinusoidFrequencies::kPaper
                                ? 2.0 * static_cast<double>(i) / static_cast<double>(dim)
                                : static_cast<double>(i) / static_cast<double>(half > 1 ? half - 1 : 1);
    frequency[i] = exp(-log_base * exponent);
  }
  for (size_t p = 0; p < max_pos; ++p) {
    float* row = table + p * dim;
    const double position = static_cast<double>(p + first_position);
    for (size_t j = 0; j < dim; ++j) {
      size_t pair;
      bool is_sin;
      if (layout == SinusoidLayout::kInterleaved) {
        pair = j / 2;
        is_sin = j % 2 == 0;
      } else {
        if (j >= 2 * half) {  // odd dim: the padding column
          row[j] = 0.0f;
          continue;
        }
        pair = j < half ? j : j - half;
        is_sin = j < half;
      }
      const double angle = position * frequency[pair];
      row[j] = static_cast<float>(is_sin ? sin(angle) : cos(angle));
    }
  }
}

}  // namespace edgeseq::ops
#endif  // HWY_ONCE
