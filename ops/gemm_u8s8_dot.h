// Dot-product paths of ops/gemm_u8s8 for CPUs that have the instructions:
// Arm NEON SDOT (asimddp) and x86 vpdpbusd (AVX-512 VNNI, AVX-VNNI).
// Internal to ops/: GemmU8S8's NEON, AVX3 and AVX2 targets call them.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::ops {

#if defined(__aarch64__)
// Whether this CPU has NEON's dot-product instructions.
bool NeonHasDotProduct();

// acc[m, n] (row stride ldy) = Σ_k xq[m, k]·w[n, k], exactly: x is shifted to
// s8 (x − 128) for SDOT and the shift undone with 128·w_sum[n], w_sum[n] =
// Σ_k w[n, k]. Needs NeonHasDotProduct(). Any alignment, any K.
void DotBlockU8S8Neon(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, const int32_t* w_sum,
                      int32_t* acc, size_t ldy);
#endif

#if defined(__x86_64__)
// Whether this CPU (and OS) can run the AVX-512 VNNI path: AVX-512 F, BW, VL
// and VNNI (AMD Zen4/Zen5, Intel Ice Lake server and later).
bool X86HasAvx512Vnni();
// Whether it can run the AVX-VNNI path: AVX2 and AVX-VNNI (Intel Alder Lake
// and later client cores, Atom/N100, AMD Zen5).
bool X86HasAvxVnni();

// acc[m, n] (row stride ldy) = Σ_k xq[m, k]·w[n, k], exactly, with vpdpbusd
// (u8 × s8, no shift needed). Need X86HasAvx512Vnni() / X86HasAvxVnni().
// Any alignment, any K ≤ 65793.
void DotBlockU8S8Avx512Vnni(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, int32_t* acc,
                            size_t ldy);
void DotBlockU8S8AvxVnni(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N, int32_t* acc,
                         size_t ldy);
#endif

}  // namespace edgeseq::ops
