// The x86 VNNI path of ops/gemm_u8s8 (see gemm_u8s8_dot.h): one kernel body
// for both encodings of vpdpbusd, included only by gemm_u8s8_vnni512.cc
// (compiled for AVX-512 VNNI) and gemm_u8s8_vnni256.cc (AVX-VNNI, the VEX
// encoding of Intel client and Atom cores). Internal to ops/.
//
// vpdpbusd multiplies u8 by s8 and adds each group of four products to an
// i32 lane without saturation (Intel SDM, VPDPBUSD), so u8 activations and
// s8 weights need no shift or correction and the sum is exact while
// K·255·128 < 2³¹. Weights stay in PyTorch's [N, K] layout (read in place):
// each accumulator holds partial dot products along K and is reduced once
// per output at the end, which costs little next to K/64 multiply steps.
//
// Only intrinsics and this file's own code may appear here: the including
// files are compiled with ISA flags, and an inline function from another
// header instantiated there could replace the portable copy at link time.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <immintrin.h>

namespace edgeseq::ops::vnni {

// Rows of W per register tile.
constexpr size_t kTileCols = 4;

#if EDGESEQ_VNNI_WIDTH == 512
using V = __m512i;
constexpr size_t kBytes = 64;
// Rows of x per tile: 4 × 4 accumulators + 4 weight vectors + 1 of x fit the
// 32 zmm registers.
constexpr size_t kTileRows = 4;
inline V Zero() { return _mm512_setzero_si512(); }
inline V Load(const void* p) { return _mm512_loadu_si512(p); }
// The last K % 64 bytes: masked lanes read nothing and are zero.
inline V LoadTail(const void* p, size_t n) {
  return _mm512_maskz_loadu_epi8(static_cast<__mmask64>((uint64_t{1} << n) - 1), p);
}
inline V Dot(V acc, V x, V w) {
  // The same instruction as _mm512_dpbusd_epi32, with the accumulator tied
  // in place: with the intrinsic, GCC 12 copies every accumulator twice per
  // step of the tile's loop (32 register moves per 16 vpdpbusd).
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
  return acc;
}
inline V Add(V a, V b) { return _mm512_add_epi32(a, b); }
inline V Unpack32(V a, V b) { return Add(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b)); }
inline V Unpack64(V a, V b) { return Add(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b)); }
// Sum of the 128-bit blocks. (Masked extracts: GCC 12 warns about the
// undefined pass-through operand of the unmasked ones and of the casts.)
inline __m128i SumBlocks(V v) {
  const __m256i h =
      _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0xFF, v, 0), _mm512_maskz_extracti64x4_epi64(0xFF, v, 1));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}
#elif EDGESEQ_VNNI_WIDTH == 256
using V = __m256i;
constexpr size_t kBytes = 32;
// 2 × 4 accumulators + 4 weight vectors + 1 of x fit the 16 ymm registers.
constexpr size_t kTileRows = 2;
inline V Zero() { return _mm256_setzero_si256(); }
inline V Load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
// AVX2 has no byte-masked load: copy the tail into a zeroed vector.
inline V LoadTail(const void* p, size_t n) {
  alignas(32) uint8_t buf[32] = {};
  __builtin_memcpy(buf, p, n);
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
}
inline V Dot(V acc, V x, V w) {
  // {vex}: the AVX-VNNI encoding (as _mm256_dpbusd_avx_epi32), accumulator
  // tied in place for the reason given for the 512-bit path.
  asm("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(x), "x"(w));
  return acc;
}
inline V Add(V a, V b) { return _mm256_add_epi32(a, b); }
inline V Unpack32(V a, V b) { return Add(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b)); }
inline V Unpack64(V a, V b) { return Add(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b)); }
inline __m128i SumBlocks(V v) { return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)); }
#else
#error "define EDGESEQ_VNNI_WIDTH as 512 or 256"
#endif

// [Σ a, Σ b, Σ c, Σ d] over each vector's i32 lanes: pairwise sums within
// each 128-bit block (unpack + add: [a, b, c, d] partial sums per block),
// then the blocks. Fewer operations than four separate reductions, which
// matters: with K = 512 there are only 8 multiply steps per output.
inline __m128i Sum4(V a, V b, V c, V d) { return SumBlocks(Unpack64(Unpack32(a, b), Unpack32(c, d))); }

// y[i, j] = Σ_k x_i[k]·w_j[k], i < MR rows of x (stride K), j < nr ≤ 4 rows
// of W (stride K); y row stride ldy. Rows of W past nr repeat the last one
// (read, never stored). Named accumulators rather than an array: GCC 12
// keeps an array of them in registers only at -O3, where it then copies
// each one twice per step.
template <size_t MR>
inline void Tile(const uint8_t* x, size_t K, const int8_t* w, size_t nr, int32_t* y, size_t ldy) {
  static_assert(MR >= 1 && MR <= 4, "tile rows");
  const int8_t* w0 = w;
  const int8_t* w1 = w + (nr > 1 ? 1 : 0) * K;
  const int8_t* w2 = w + (nr > 2 ? 2 : nr - 1) * K;
  const int8_t* w3 = w + (nr > 3 ? 3 : nr - 1) * K;
  const uint8_t* x0 = x;
  const uint8_t* x1 = x + (MR > 1 ? 1 : 0) * K;
  const uint8_t* x2 = x + (MR > 2 ? 2 : 0) * K;
  const uint8_t* x3 = x + (MR > 3 ? 3 : 0) * K;
  V a00 = Zero(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  V a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
#define EDGESEQ_VNNI_ROW(i, LOADX)        \
  if constexpr (MR > i) {                 \
    const V xv = LOADX(x##i);             \
    a##i##0 = Dot(a##i##0, xv, b0);       \
    a##i##1 = Dot(a##i##1, xv, b1);       \
    a##i##2 = Dot(a##i##2, xv, b2);       \
    a##i##3 = Dot(a##i##3, xv, b3);       \
  }
#define EDGESEQ_VNNI_STEP(LOADW, LOADX)                                            \
  {                                                                                \
    const V b0 = LOADW(w0), b1 = LOADW(w1), b2 = LOADW(w2), b3 = LOADW(w3);        \
    EDGESEQ_VNNI_ROW(0, LOADX) EDGESEQ_VNNI_ROW(1, LOADX) EDGESEQ_VNNI_ROW(2, LOADX) \
    EDGESEQ_VNNI_ROW(3, LOADX)                                                     \
  }
  // The next tiles' weights, one cache line per row and step: a decode step
  // streams every weight once, and the hardware prefetcher alone leaves
  // bandwidth unused (see gemm_u8s8-inl.h).
  const char* ahead = reinterpret_cast<const char*>(w) + 2 * kTileCols * K;
  size_t k = 0;
#define EDGESEQ_VNNI_LOAD(p) Load((p) + k)
  for (; k + kBytes <= K; k += kBytes) {
    _mm_prefetch(ahead + k, _MM_HINT_T0);
    _mm_prefetch(ahead + K + k, _MM_HINT_T0);
    _mm_prefetch(ahead + 2 * K + k, _MM_HINT_T0);
    _mm_prefetch(ahead + 3 * K + k, _MM_HINT_T0);
    EDGESEQ_VNNI_STEP(EDGESEQ_VNNI_LOAD, EDGESEQ_VNNI_LOAD)
  }
#undef EDGESEQ_VNNI_LOAD
  if (k < K) {
    const size_t rest = K - k;
#define EDGESEQ_VNNI_LOAD_TAIL(p) LoadTail((p) + k, rest)
    EDGESEQ_VNNI_STEP(EDGESEQ_VNNI_LOAD_TAIL, EDGESEQ_VNNI_LOAD_TAIL)
#undef EDGESEQ_VNNI_LOAD_TAIL
  }
#undef EDGESEQ_VNNI_STEP
#undef EDGESEQ_VNNI_ROW
  const __m128i s[4] = {Sum4(a00, a01, a02, a03), Sum4(a10, a11, a12, a13), Sum4(a20, a21, a22, a23),
                        Sum4(a30, a31, a32, a33)};
  for (size_t i = 0; i < MR; ++i) {
    if (nr == kTileCols) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i * ldy), s[i]);
    } else {
      alignas(16) int32_t t[kTileCols];
      _mm_store_si128(reinterpret_cast<__m128i*>(t), s[i]);
      for (size_t j = 0; j < nr; ++j) y[i * ldy + j] = t[j];
    }
  }
}

template <size_t MR>
inline void Rows(const uint8_t* x, size_t K, const int8_t* w, size_t n0, size_t n1, int32_t* y, size_t ldy) {
  for (size_t n = n0; n < n1; n += kTileCols) {
    Tile<MR>(x, K, w + n * K, n1 - n < kTileCols ? n1 - n : kTileCols, y + n, ldy);
  }
}

// acc[m, n] (row stride ldy) = Σ_k xq[m, k]·w[n, k] for m < M, n < N. W in
// blocks of rows that stay in L2 while every tile of x passes over them.
inline void Block(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, int32_t* acc, size_t ldy) {
  const size_t block = K * 64 <= (256u << 10) ? 64 : 16;
  for (size_t n0 = 0; n0 < N; n0 += block) {
    const size_t n1 = N - n0 < block ? N : n0 + block;
    size_t m = 0;
    for (; m + kTileRows <= M; m += kTileRows) Rows<kTileRows>(xq + m * K, K, w, n0, n1, acc + m * ldy, ldy);
    const uint8_t* x = xq + m * K;
    int32_t* y = acc + m * ldy;
    switch (M - m) {
      case 3: Rows<3>(x, K, w, n0, n1, y, ldy); break;
      case 2: Rows<2>(x, K, w, n0, n1, y, ldy); break;
      case 1: Rows<1>(x, K, w, n0, n1, y, ldy); break;
      default: break;
    }
  }
}

}  // namespace edgeseq::ops::vnni
