// Highway implementation of ops/gemm_u8s8.h, one copy per target.

#if defined(EDGESEQ_OPS_GEMM_U8S8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EDGESEQ_OPS_GEMM_U8S8_INL_H_
#undef EDGESEQ_OPS_GEMM_U8S8_INL_H_
#else
#define EDGESEQ_OPS_GEMM_U8S8_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "ops/gemm_u8s8.h"

#include "ops/gemm_u8s8_dot.h"
#include "ops/hwy_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace edgeseq::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows of x per register tile (× 4 rows of W): each output needs two i32
// accumulators on Arm (even and odd products), so 2 rows fit everywhere.
constexpr size_t kU8S8TileRows = 2;
// Software prefetch distance, in tiles of 4 weight rows. A decode step
// streams every weight once (M = 1..16): without prefetch one core read them
// at 8-10 GB/s, with it 13-22 GB/s (out of L3 / from L3, AVX2, /tmp gv
// sweep in docs/PERFORMANCE.md). Prefetches never fault past the end of W.
constexpr size_t kU8S8PrefetchTiles = 2;

// x and w lanes widened to 16 bits; count < Lanes loads a tail.
template <class D, typename T>
HWY_INLINE hn::Vec<D> LoadWiden(D d, const T* HWY_RESTRICT p, size_t count) {
  const hn::Rebind<T, D> dn;
  const auto v = count == hn::Lanes(d) ? hn::LoadU(dn, p) : LoadTail(dn, p, count);
  if constexpr (hwy::IsSigned<T>()) {
    return hn::PromoteTo(d, v);
  } else {
    const hn::RebindToUnsigned<D> du;
    return hn::BitCast(d, hn::PromoteTo(du, v));  // ≤ 255 fits int16
  }
}

// y[i, j] = Σ_k x_i[k]·w_j[k] for i < mr ≤ MR ≤ 2 rows of x, j < nr ≤ 4 rows
// of W. u8 and s8 are widened to i16 and multiplied into i32 pairs
// (ReorderWidenMulAccumulate: pmaddwd on x86, smlal on NEON, svmlalb/t on
// SVE2), so nothing saturates: |x·w| ≤ 255·128 and a pair sum fits easily.
// Named accumulators (even and odd products per output), not arrays: SVE
// vectors cannot be array elements.
template <size_t MR>
HWY_INLINE void TileU8S8(const uint8_t* HWY_RESTRICT x, size_t mr, size_t K, const int8_t* HWY_RESTRICT w,
                         size_t nr, int32_t* HWY_RESTRICT y, size_t ldy) {
  static_assert(MR >= 1 && MR <= 2, "tile rows");
  const hn::ScalableTag<int16_t> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  using V = hn::Vec<decltype(d32)>;
  using V16 = hn::Vec<decltype(d16)>;
  const size_t L = hn::Lanes(d16);
  const uint8_t* x0 = x;
  const uint8_t* x1 = x + (mr > 1 ? 1 : 0) * K;
  const int8_t* w0 = w;
  const int8_t* w1 = w + (nr > 1 ? 1 : 0) * K;
  const int8_t* w2 = w + (nr > 2 ? 2 : 0) * K;
  const int8_t* w3 = w + (nr > 3 ? 3 : 0) * K;
  V e00 = hn::Zero(d32), e01 = e00, e02 = e00, e03 = e00, e10 = e00, e11 = e00, e12 = e00, e13 = e00;
  V o00 = e00, o01 = e00, o02 = e00, o03 = e00, o10 = e00, o11 = e00, o12 = e00, o13 = e00;
#define EDGESEQ_U8S8_COLUMN(wp, c)                                                        \
  {                                                                                       \
    const V16 wv = LoadWiden(d16, (wp) + k, count);                                       \
    e0##c = hn::ReorderWidenMulAccumulate(d32, v0, wv, e0##c, o0##c);                     \
    if constexpr (MR > 1) e1##c = hn::ReorderWidenMulAccumulate(d32, v1, wv, e1##c, o1##c); \
  }
#define EDGESEQ_U8S8_STEP                                    \
  {                                                          \
    const V16 v0 = LoadWiden(d16, x0 + k, count);            \
    const V16 v1 = MR > 1 ? LoadWiden(d16, x1 + k, count) : v0; \
    EDGESEQ_U8S8_COLUMN(w0, 0)                               \
    EDGESEQ_U8S8_COLUMN(w1, 1)                               \
    EDGESEQ_U8S8_COLUMN(w2, 2)                               \
    EDGESEQ_U8S8_COLUMN(w3, 3)                               \
  }
  // Whole vectors, then the tail on its own: a tail load inside the main
  // loop (it may call memcpy) would make the compiler spill every accumulator.
  size_t k = 0;
  // One cache line of later rows per step (integer arithmetic: the address
  // may lie past the end of W, where only a prefetch touches it).
  const uintptr_t ahead = reinterpret_cast<uintptr_t>(w) + kU8S8PrefetchTiles * 4 * K;
  for (; k + L <= K; k += L) {
    const size_t count = L;
    hwy::Prefetch(reinterpret_cast<const void*>(ahead + 4 * k));
    if (4 * L > 64) hwy::Prefetch(reinterpret_cast<const void*>(ahead + 4 * k + 64));
    EDGESEQ_U8S8_STEP
  }
  if (k < K) {
    const size_t count = K - k;
    EDGESEQ_U8S8_STEP
  }
#undef EDGESEQ_U8S8_STEP
#undef EDGESEQ_U8S8_COLUMN
  int32_t sums[2][4] = {};
#define EDGESEQ_U8S8_SUM(row, c) \
  sums[row][c] = hn::GetLane(hn::SumOfLanes(d32, hn::RearrangeToOddPlusEven(e##row##c, o##row##c)));
  EDGESEQ_U8S8_SUM(0, 0) EDGESEQ_U8S8_SUM(0, 1) EDGESEQ_U8S8_SUM(0, 2) EDGESEQ_U8S8_SUM(0, 3)
  if constexpr (MR > 1) {
    EDGESEQ_U8S8_SUM(1, 0) EDGESEQ_U8S8_SUM(1, 1) EDGESEQ_U8S8_SUM(1, 2) EDGESEQ_U8S8_SUM(1, 3)
  }
#undef EDGESEQ_U8S8_SUM
  for (size_t i = 0; i < mr; ++i) {
    for (size_t j = 0; j < nr; ++j) y[i * ldy + j] = sums[i][j];
  }
}

// Dot-product instructions (Arm SDOT: four s8·s8 products summed into each
// i32 lane per instruction; x86 vpdpbusd: four u8·s8 products, below). They multiply signed by signed, so x (u8) is
// shifted to s8 (x − 128, an XOR with 0x80) and the shift is undone with
// 128·Σ_k w[n, k] (w_sum): Σ x·w = Σ (x − 128)·w + 128·Σ w, exactly.
#if HWY_TARGET == HWY_NEON && HWY_ARCH_ARM_A64
#define EDGESEQ_U8S8_DOT 1
// NEON's dot product is optional (Armv8.2: Cortex-A55/A76 and later, e.g. the
// Raspberry Pi 5; not the Pi 4's A72): gemm_u8s8_dot_neon.cc is compiled for
// it and called only when the CPU reports it.
HWY_INLINE void DotBlockU8S8(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K, const int8_t* HWY_RESTRICT w,
                             size_t N, const int32_t* HWY_RESTRICT w_sum, int32_t* HWY_RESTRICT acc, size_t ldy) {
  DotBlockU8S8Neon(xq, M, K, w, N, w_sum, acc, ldy);
}

HWY_INLINE bool HaveDotProduct() { return NeonHasDotProduct(); }
#elif HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2
#define EDGESEQ_U8S8_DOT 1
// SVE always has SDOT; predicated loads cover the tail of K (inactive lanes
// load as 0 and are kept 0 after the shift, so they add nothing).
HWY_NOINLINE void DotBlockU8S8(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K, const int8_t* HWY_RESTRICT w,
                               size_t N, const int32_t* HWY_RESTRICT w_sum, int32_t* HWY_RESTRICT acc,
                               size_t ldy) {
  const size_t L = svcntb();
  for (size_t m = 0; m < M; m += 2) {
    const size_t mr = M - m < 2 ? 1 : 2;
    const uint8_t* x0 = xq + m * K;
    const uint8_t* x1 = xq + (m + mr - 1) * K;
    for (size_t n = 0; n < N; n += 4) {
      const size_t nr = N - n < 4 ? N - n : 4;
      const int8_t* w0 = w + n * K;
      const int8_t* w1 = w + (n + (nr > 1 ? 1 : 0)) * K;
      const int8_t* w2 = w + (n + (nr > 2 ? 2 : 0)) * K;
      const int8_t* w3 = w + (n + (nr > 3 ? 3 : 0)) * K;
      svint32_t a00 = svdup_n_s32(0), a01 = a00, a02 = a00, a03 = a00;
      svint32_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
      for (size_t k = 0; k < K; k += L) {
        const svbool_t pg = svwhilelt_b8(static_cast<uint64_t>(k), static_cast<uint64_t>(K));
        const svint8_t v0 = svreinterpret_s8_u8(sveor_n_u8_z(pg, svld1_u8(pg, x0 + k), 0x80));
        const svint8_t v1 = svreinterpret_s8_u8(sveor_n_u8_z(pg, svld1_u8(pg, x1 + k), 0x80));
        const svint8_t b0 = svld1_s8(pg, w0 + k), b1 = svld1_s8(pg, w1 + k);
        const svint8_t b2 = svld1_s8(pg, w2 + k), b3 = svld1_s8(pg, w3 + k);
        a00 = svdot_s32(a00, v0, b0);
        a01 = svdot_s32(a01, v0, b1);
        a02 = svdot_s32(a02, v0, b2);
        a03 = svdot_s32(a03, v0, b3);
        a10 = svdot_s32(a10, v1, b0);
        a11 = svdot_s32(a11, v1, b1);
        a12 = svdot_s32(a12, v1, b2);
        a13 = svdot_s32(a13, v1, b3);
      }
      const svbool_t all = svptrue_b32();
      const int64_t sums[2][4] = {{svaddv_s32(all, a00), svaddv_s32(all, a01), svaddv_s32(all, a02), svaddv_s32(all, a03)},
                                  {svaddv_s32(all, a10), svaddv_s32(all, a11), svaddv_s32(all, a12), svaddv_s32(all, a13)}};
      for (size_t i = 0; i < mr; ++i) {
        for (size_t j = 0; j < nr; ++j) {
          acc[(m + i) * ldy + n + j] = static_cast<int32_t>(sums[i][j]) + 128 * w_sum[n + j];
        }
      }
    }
  }
}

HWY_INLINE bool HaveDotProduct() { return true; }
#elif HWY_ARCH_X86_64 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
#define EDGESEQ_U8S8_DOT 1
// vpdpbusd multiplies u8 by s8 directly: no shift, w_sum unused.
HWY_INLINE void DotBlockU8S8(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K, const int8_t* HWY_RESTRICT w,
                             size_t N, const int32_t* HWY_RESTRICT, int32_t* HWY_RESTRICT acc, size_t ldy) {
  DotBlockU8S8Avx512Vnni(xq, M, K, w, N, acc, ldy);
}

HWY_INLINE bool HaveDotProduct() { return X86HasAvx512Vnni(); }
#elif HWY_ARCH_X86_64 && HWY_TARGET == HWY_AVX2
#define EDGESEQ_U8S8_DOT 1
HWY_INLINE void DotBlockU8S8(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K, const int8_t* HWY_RESTRICT w,
                             size_t N, const int32_t* HWY_RESTRICT, int32_t* HWY_RESTRICT acc, size_t ldy) {
  DotBlockU8S8AvxVnni(xq, M, K, w, N, acc, ldy);
}

HWY_INLINE bool HaveDotProduct() { return X86HasAvxVnni(); }
#else
#define EDGESEQ_U8S8_DOT 0
#endif

// acc[m, n] (row stride ldy) for n < N, m < M; W in L2-sized blocks of rows.
// w_sum[n] = Σ_k w[n, k] (or nullptr) lets the dot-product path run where the
// CPU has one and `dot` allows it.
HWY_INLINE void GemmU8S8Block(const uint8_t* HWY_RESTRICT xq, size_t M, size_t K, const int8_t* HWY_RESTRICT w,
                              size_t N, const int32_t* HWY_RESTRICT w_sum, bool dot, int32_t* HWY_RESTRICT acc,
                              size_t ldy) {
#if EDGESEQ_U8S8_DOT
  if (dot && w_sum != nullptr && HaveDotProduct()) {
    DotBlockU8S8(xq, M, K, w, N, w_sum, acc, ldy);
    return;
  }
#else
  (void)w_sum;
  (void)dot;
#endif
  const size_t block = K * 64 <= (256u << 10) ? 64 : 16;
  for (size_t n0 = 0; n0 < N; n0 += block) {
    const size_t n1 = N - n0 < block ? N : n0 + block;
    size_t m = 0;
    for (; m + kU8S8TileRows <= M; m += kU8S8TileRows) {
      for (size_t n = n0; n < n1; n += 4) {
        TileU8S8<kU8S8TileRows>(xq + m * K, kU8S8TileRows, K, w + n * K, n1 - n < 4 ? n1 - n : 4,
                                acc + m * ldy + n, ldy);
      }
    }
    for (; m < M; ++m) {
      for (size_t n = n0; n < n1; n += 4) {
        TileU8S8<1>(xq + m * K, 1, K, w + n * K, n1 - n < 4 ? n1 - n : 4, acc + m * ldy + n, ldy);
      }
    }
  }
}

// What GemmU8S8Block runs on this CPU when dot products are allowed.
HWY_INLINE const char* DotNameU8S8() {
#if EDGESEQ_U8S8_DOT
  if (!HaveDotProduct()) return "";
#if HWY_TARGET == HWY_NEON
  return "neon-sdot";
#elif HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2
  return "sve-sdot";
#elif HWY_TARGET == HWY_AVX2
  return "avx-vnni";
#else
  return "avx512-vnni";
#endif
#else
  return "";
#endif
}

#undef EDGESEQ_U8S8_DOT

}  // namespace edgeseq::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EDGESEQ_OPS_GEMM_U8S8_INL_H_
