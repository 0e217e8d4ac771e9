// f32 GEMM in Highway: the matmul's Highway backend (the default on Arm, and
// on x86 for the few-row decode case, where oneDNN's per-call overhead and
// allocations dominate).
#pragma once

#include <stddef.h>

namespace edgeseq::ops {

// y[m, n] = Σ_k x[m, k]·w[n, k] for x [M, K], w [N, K] (PyTorch's [out, in]),
// y [M, N], all row-major. Error bound against a double-accumulated
// reference: |Δ| ≤ 1e-6·Σ_k|x·w| + 1e-30 (K ≤ 65536). Any alignment.
// Register tiles of 2 (x86) or 4 (Arm) rows of x by 4 rows of W, W walked in
// L2-sized blocks. Splits N across OpenMP threads (ops/threads.h) when
// M·N·K ≥ 2²¹ multiply-adds; the split does not change any output bit.
void GemmF32(const float* x, size_t M, size_t K, const float* w, size_t N, float* y);

}  // namespace edgeseq::ops
