// Highway implementation of ops/embedding.h, one copy per target.

#if defined(EDGESEQ_OPS_EMBEDDING_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_EMBEDDING_INL_H_
#undef EDGESEQ_OPS_EMBEDDING_INL_H_
#else
#define EDGESEQ_OPS_EMBEDDING_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"
#include "ops/embedding.h"
#include "ops/hwy_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE bool IdsValid(size_t vocab, const int32_t* ids, size_t n,
                         const float* pos_table, size_t max_pos,
                         const int32_t* pos) {
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= vocab) return false;
    if (pos_table && (pos == nullptr || pos[i] < 0 ||
                      static_cast<size_t>(pos[i]) >= max_pos)) {
      return false;
    }
  }
  return true;
}

// out = v·scale + pos (pos may be nullptr); `load` yields f32 lanes of a row.
template <class Load>
HWY_INLINE void ScaleAddRow(Load load, size_t dim, float scale,
                            const float* HWY_RESTRICT pos,
                            float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, scale);
  size_t i = 0;
  for (; i + N <= dim; i += N) {
    const auto v = load(d, i, N);
    const auto p = pos ? hn::LoadU(d, pos + i) : hn::Zero(d);
    hn::StoreU(hn::MulAdd(v, vs, p), d, out + i);
  }
  if (i < dim) {
    const auto v = load(d, i, dim - i);
    const auto p = pos ? LoadTail(d, pos + i, dim - i) : hn::Zero(d);
    StoreTail(d, hn::MulAdd(v, vs, p), out + i, dim - i);
  }
}

// The gathers' shared loop: validates ids and positions, then for each t
// writes out[t] = row(ids[t])·scale·row_scale(ids[t]) + pos. `row_load(id)`
// returns the lane loader for that row (as ScaleAddRow takes it);
// `row_scale(id)` its extra scale.
template <class RowLoad, class RowScale>
HWY_INLINE bool GatherRows(size_t vocab, size_t dim, const int32_t* ids,
                           size_t n, float scale, const float* pos_table,
                           size_t max_pos, const int32_t* pos,
                           float* HWY_RESTRICT out, RowLoad row_load,
                           RowScale row_scale) {
  if (!IdsValid(vocab, ids, n, pos_table, max_pos, pos)) return false;
  for (size_t t = 0; t < n; ++t) {
    const size_t id = static_cast<size_t>(ids[t]);
    const float* p = pos_table ? pos_table + static_cast<size_t>(pos[t]) * dim
                               : nullptr;
    ScaleAddRow(row_load(id), dim, scale * row_scale(id), p, out + t * dim);
  }
  return true;
}

HWY_INLINE float NoRowScale(size_t) { return 1.0f; }

HWY_INLINE bool EmbeddingGather(const float* HWY_RESTRICT table, size_t vocab,
                                size_t dim, const int32_t* ids, size_t n,
                                float scale, const float* pos_table,
                                size_t max_pos, const int32_t* pos,
                                float* HWY_RESTRICT out) {
  auto row_load = [table, dim](size_t id) {
    const float* row = table + id * dim;
    return [row](auto d, size_t i, size_t count) {
      return count == hn::Lanes(d) ? hn::LoadU(d, row + i)
                                   : LoadTail(d, row + i, count);
    };
  };
  return GatherRows(vocab, dim, ids, n, scale, pos_table, max_pos, pos, out,
                    row_load, NoRowScale);
}

HWY_INLINE bool EmbeddingGatherInt8(const int8_t* HWY_RESTRICT table,
                                    const float* row_scales, size_t vocab,
                                    size_t dim, const int32_t* ids, size_t n,
                                    float scale, const float* pos_table,
                                    size_t max_pos, const int32_t* pos,
                                    float* HWY_RESTRICT out) {
  auto row_load = [table, dim](size_t id) {
    const int8_t* row = table + id * dim;
    return [row](auto d, size_t i, size_t count) {
      const hn::Rebind<int32_t, decltype(d)> di;
      const hn::Rebind<int8_t, decltype(d)> d8;
      const auto q = count == hn::Lanes(d) ? hn::LoadU(d8, row + i)
                                           : LoadTail(d8, row + i, count);
      return hn::ConvertTo(d, hn::PromoteTo(di, q));
    };
  };
  return GatherRows(vocab, dim, ids, n, scale, pos_table, max_pos, pos, out,
                    row_load, [row_scales](size_t id) { return row_scales[id]; });
}

HWY_INLINE bool EmbeddingGatherF16(const uint16_t* HWY_RESTRICT table,
                                   size_t vocab, size_t dim, const int32_t* ids,
                                   size_t n, float scale, const float* pos_table,
                                   size_t max_pos, const int32_t* pos,
                                   float* HWY_RESTRICT out) {
  auto row_load = [table, dim](size_t id) {
    const uint16_t* row = table + id * dim;
    return [row](auto d, size_t i, size_t count) {
      // Loaded as u16 bits (the tail helper needs integer lanes), widened
      // as IEEE half.
      const hn::Rebind<uint16_t, decltype(d)> d16;
      const hn::Rebind<hwy::float16_t, decltype(d)> dh;
      const auto bits = count == hn::Lanes(d) ? hn::LoadU(d16, row + i)
                                              : LoadTail(d16, row + i, count);
      return hn::PromoteTo(d, hn::BitCast(dh, bits));
    };
  };
  return GatherRows(vocab, dim, ids, n, scale, pos_table, max_pos, pos, out,
                    row_load, NoRowScale);
}

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_EMBEDDING_INL_H_
