// Splitting a GEMM's output columns (rows of W) across OpenMP threads, for
// the Highway GEMMs. Coarse grain only, and only when the work pays for
// waking the threads (two threads lose to one on tiny work): a few
// contiguous ranges per thread, handed out as threads ask for them, so a
// thread that starts late (descheduled for a moment) leaves its share to the
// others instead of holding everyone at the barrier. Each output is computed
// by the same code whatever the split, so results do not depend on the
// thread count.
#pragma once

#include <omp.h>
#include <stddef.h>

#include <algorithm>

namespace edgeseq::ops {

inline constexpr size_t kSplitMinMacs = size_t{1} << 21;
inline constexpr size_t kSplitChunksPerThread = 4;

// Calls f(n0, n1) over ranges covering [0, N); n0 is a multiple of 4.
template <class F>
void SplitColumns(size_t M, size_t N, size_t K, const F& f) {
  const int threads = omp_get_max_threads();
  if (threads <= 1 || N < 8 * static_cast<size_t>(threads) || M * N * K < kSplitMinMacs || omp_in_parallel()) {
    f(0, N);
    return;
  }
  const long chunks = static_cast<long>(std::min<size_t>(kSplitChunksPerThread * static_cast<size_t>(threads), N / 8));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (long c = 0; c < chunks; ++c) {
    const size_t n0 = N * static_cast<size_t>(c) / static_cast<size_t>(chunks) / 4 * 4;
    const size_t n1 = c + 1 == chunks ? N : N * static_cast<size_t>(c + 1) / static_cast<size_t>(chunks) / 4 * 4;
    if (n1 > n0) f(n0, n1);
  }
}

}  // namespace edgeseq::ops
