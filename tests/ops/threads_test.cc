// The thread setting: physical-core default, honoured on every calling
// thread, and idle OpenMP threads that sleep instead of spinning.
#include "ops/threads.h"

#include <omp.h>
#include <time.h>

#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ops/matmul.h"

namespace edgeseq::ops {
namespace {

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

TEST(Threads, PhysicalCoresWithinTheProcessorsWeMayUse) {
  EXPECT_GE(PhysicalCores(), 1);
  EXPECT_LE(PhysicalCores(), omp_get_num_procs());
}

TEST(Threads, SettingReachesEveryCallingThread) {
  SetThreads(2);
  EXPECT_EQ(Threads(), 2);
  int seen = 0;
  std::thread([&] {
    ApplyThreads();
    seen = omp_get_max_threads();
  }).join();
  EXPECT_EQ(seen, 2);
  SetThreads(0);
  EXPECT_EQ(Threads(), DefaultThreads());
  ApplyThreads();
  EXPECT_EQ(omp_get_max_threads(), DefaultThreads());
}

TEST(Threads, DefaultFollowsOmpNumThreadsElsePhysicalCores) {
  // ctest runs this with OMP_NUM_THREADS=1; the default must honour it.
  const char* env = getenv("OMP_NUM_THREADS");
  if (env != nullptr && atoi(env) > 0) {
    EXPECT_EQ(DefaultThreads(), atoi(env));
  } else {
    EXPECT_EQ(DefaultThreads(), PhysicalCores());
  }
}

// After parallel matmuls, an idle process must use (almost) no CPU: OpenMP's
// worker threads may spin briefly, then sleep. A pool that spins would burn
// a whole core per worker over the idle half second.
TEST(Threads, IdleThreadsDoNotSpin) {
  SetThreads(2);
  ApplyThreads();
  const size_t m = 16, n = 512, k = 512;  // 4M multiply-adds: split across threads
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> w(n * k), x(m * k), y(m * n);
  for (float& v : w) v = dist(rng);
  for (float& v : x) v = dist(rng);
  Matmul mm = Matmul::CreateF32(w.data(), n, k, nullptr);
  std::vector<char> scratch_mem(mm.ScratchBytes(m) + 64);
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch_mem.data()) + 63) & ~uintptr_t{63});
  const MatmulScratch scratch{aligned, mm.ScratchBytes(m)};
  for (int i = 0; i < 5; ++i) mm.Forward(x.data(), m, y.data(), Activation::kNone, scratch);
  // Let any bounded spin run out, then measure a quiet half second.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const double before = ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double used = ProcessCpuSeconds() - before;
  EXPECT_LT(used, 0.05) << "CPU seconds used while idle";
  SetThreads(0);
}

}  // namespace
}  // namespace edgeseq::ops
