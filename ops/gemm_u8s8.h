// Exact integer GEMM in Highway: the int8 matmul's Highway backend (the
// default on Arm, and on x86 for the few-row decode case, where oneDNN's
// per-call overhead dominates).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::ops {

// acc[m, n] = Σ_k xq[m, k]·w[n, k] for xq [M, K] u8 and w [N, K] s8 (W in
// PyTorch's [out, in] order, row-major), acc [M, N] s32. Exact for any u8
// and s8 values while K·255·128 < 2³¹ (K ≤ 65793): products are widened to
// 16 bits and pairs summed in 32 bits, so nothing saturates. Any alignment.
// Register tiles of 2 rows of x by 4 rows of W, W in L2-sized blocks; splits
// N across OpenMP threads when M·N·K ≥ 2²¹ (results are the same exact
// integers whatever the split).
// w_sum[n] = Σ_k w[n, k], or nullptr: with it, CPUs with dot-product
// instructions take them, still exact: Arm NEON asimddp (Cortex-A55/A76+,
// e.g. Raspberry Pi 5) and every SVE CPU use SDOT (x is shifted to s8 and
// the shift undone with w_sum); x86 CPUs with AVX-512 VNNI (AVX3 target) or
// AVX-VNNI (AVX2 target) use vpdpbusd, u8 × s8 as they are.
void GemmU8S8(const uint8_t* xq, size_t M, size_t K, const int8_t* w, size_t N,
              int32_t* acc, const int32_t* w_sum = nullptr);

// The dot-product instructions GemmU8S8 uses on this CPU (with w_sum and
// when allowed): "avx512-vnni", "avx-vnni", "neon-sdot", "sve-sdot", or ""
// (the widening path).
const char* GemmU8S8DotName();

// Whether GemmU8S8 may use dot-product instructions where the CPU has them
// (default true). Tests and benchmarks turn it off to reach the widening path.
void SetGemmU8S8DotProduct(bool enabled);

}  // namespace edgeseq::ops
