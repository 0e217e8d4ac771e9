// T5's relative position buckets (Raffel et al. 2020, "Exploring the Limits
// of Transfer Learning with a Unified Text-to-Text Transformer", section 2.1;
// the bucket formula as Hugging Face's modeling_t5.py
// _relative_position_bucket computes it, which is what T5 checkpoints were
// trained and are run with).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::runtime {

// The bucket of `relative` = key position − query position, in
// [0, num_buckets). Bidirectional (encoder): half the buckets for keys after
// the query, half for the rest. Causal (decoder): keys after the query share
// bucket 0 with the query itself. Within each half, distances below half of
// it are exact; larger ones share logarithmically wider buckets up to
// max_distance, beyond which all share the last one. The logarithm is taken
// in f32 exactly as the reference does (a distance on a bucket boundary
// rounds the same way). num_buckets ≥ 2 (bidirectional: ≥ 4) and
// max_distance ≥ 1 give meaningful buckets; any values ≥ 1 give a bucket in
// range.
uint32_t RelativePositionBucket(int64_t relative, bool bidirectional, uint32_t num_buckets, uint32_t max_distance);

// The bias rows attention adds, per head, for relative positions
// first ... last (first ≤ last): out[h·n + (r − first)] =
// table[bucket(r)·heads + h] · scale, n = last − first + 1, for h < heads.
// table: [num_buckets, heads] (the checkpoint's embedding layout).
void RelativeBiasRows(const float* table, size_t heads, bool bidirectional, uint32_t num_buckets,
                      uint32_t max_distance, int64_t first, int64_t last, float scale, float* out);

}  // namespace edgeseq::runtime
