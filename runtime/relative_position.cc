#include "runtime/relative_position.h"

#include <math.h>

#include <algorithm>

namespace edgeseq::runtime {

uint32_t RelativePositionBucket(int64_t relative, bool bidirectional, uint32_t num_buckets, uint32_t max_distance) {
  uint32_t bucket = 0;
  uint64_t n = 0;  // the distance, in this half's direction
  if (bidirectional) {
    num_buckets /= 2;
    if (relative > 0) bucket = num_buckets;
    n = static_cast<uint64_t>(relative < 0 ? -relative : relative);
  } else {
    n = static_cast<uint64_t>(relative < 0 ? -relative : 0);
  }
  const uint32_t max_exact = num_buckets / 2;
  if (n < max_exact) return bucket + static_cast<uint32_t>(n);
  if (num_buckets == 0) return bucket;  // degenerate (num_buckets 1, bidirectional): one bucket
  // f32 throughout, as the reference's float tensors (log of n / max_exact,
  // divided by log(max_distance / max_exact) rounded to f32, times the
  // logarithmic buckets), then truncated toward zero.
  const float ratio = logf(static_cast<float>(n) / static_cast<float>(max_exact)) /
                      static_cast<float>(log(static_cast<double>(max_distance) / max_exact)) *
                      static_cast<float>(num_buckets - max_exact);
  // A max_distance at or below max_exact makes the divisor ≤ 0: every far
  // distance then takes the last bucket (the reference's min caps it too).
  const double large = std::isfinite(ratio) && ratio >= 0 ? static_cast<double>(ratio) : num_buckets;
  const uint64_t v = max_exact + static_cast<uint64_t>(std::min<double>(large, num_buckets));
  return bucket + static_cast<uint32_t>(std::min<uint64_t>(v, num_buckets - 1));
}

void RelativeBiasRows(const float* table, size_t heads, bool bidirectional, uint32_t num_buckets,
                      uint32_t max_distance, int64_t first, int64_t last, float scale, float* out) {
  const size_t n = static_cast<size_t>(last - first + 1);
  for (int64_t r = first; r <= last; ++r) {
    const uint32_t b = RelativePositionBucket(r, bidirectional, num_buckets, max_distance);
    for (size_t h = 0; h < heads; ++h) out[h * n + static_cast<size_t>(r - first)] = table[b * heads + h] * scale;
  }
}

}  // namespace edgeseq::runtime
