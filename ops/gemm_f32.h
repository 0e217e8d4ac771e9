// f32 GEMM for small M, in Highway: the f32 matmul's path for the decode
// case, where oneDNN's per-call overhead (and its allocations) dominate.
#pragma once

#include <stddef.h>

namespace edgeseq::ops {

// y[m, n] = Σ_k x[m, k]·w[n, k] for x [M, K], w [N, K] (PyTorch's [out, in]),
// y [M, N], all row-major. Error bound against a double-accumulated
// reference: |Δ| ≤ 1e-6·Σ_k|x·w| + 1e-30. Any alignment. Streams W once per
// row of x, so it suits small M.
void GemmF32(const float* x, size_t M, size_t K, const float* w, size_t N, float* y);

}  // namespace edgeseq::ops
