// Arm dot-product path of ops/gemm_u8s8, for CPUs whose NEON has SDOT
// (asimddp). Internal to ops/: GemmU8S8's NEON target calls it.
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

}  // namespace edgeseq::ops
