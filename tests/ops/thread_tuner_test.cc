// ThreadTuner's policy on made-up workloads whose time depends on the thread
// count it picks: it settles on the faster count, tries the slower one
// rarely, and follows a change. (The load check is off here: it reads the
// machine's state, which a test cannot control; tools/edgeseq-selfcheck and
// docs/PERFORMANCE.md cover the busy-neighbour case end to end.)
#include "ops/thread_tuner.h"

#include <omp.h>

#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "ops/threads.h"

namespace edgeseq::ops {
namespace {

using Kind = ThreadTuner::Kind;

// Runs `calls` calls of one class whose time is `one` on one thread and
// `all` on more; returns how many ran on more than one thread.
int RunCalls(ThreadTuner& tuner, int calls, std::chrono::microseconds one, std::chrono::microseconds all) {
  int multi = 0;
  for (int i = 0; i < calls; ++i) {
    tuner.Run(Kind::kDecodeStep, 16, [&] {
      const bool many = omp_get_max_threads() > 1;
      multi += many;
      std::this_thread::sleep_for(many ? all : one);
    });
  }
  return multi;
}

class ThreadTunerTest : public ::testing::Test {
 protected:
  void SetUp() override { SetThreads(2); }
  void TearDown() override { SetThreads(0); }
};

TEST_F(ThreadTunerTest, SettlesOnOneThreadWhenMoreLoseAndTriesThemRarely) {
  ThreadTuner tuner(false);
  using std::chrono::microseconds;
  const int multi = RunCalls(tuner, 300, microseconds(200), microseconds(2000));
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
  // One measurement, then tries after 16 calls and after ≥ 160 more.
  EXPECT_LE(multi, 3);
  EXPECT_GE(multi, 1);
}

TEST_F(ThreadTunerTest, SettlesOnAllThreadsWhenTheyWin) {
  ThreadTuner tuner(false);
  using std::chrono::microseconds;
  const int multi = RunCalls(tuner, 100, microseconds(1500), microseconds(300));
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 2);
  EXPECT_GE(multi, 100 - 10);
}

TEST_F(ThreadTunerTest, FollowsAChange) {
  ThreadTuner tuner(false);
  using std::chrono::microseconds;
  RunCalls(tuner, 50, microseconds(1500), microseconds(300));
  ASSERT_EQ(tuner.Current(Kind::kDecodeStep, 16), 2);
  // A neighbour arrives: more threads now lose. Within a few calls the
  // average of the slowed winner passes the other's and it takes over.
  const int multi = RunCalls(tuner, 50, microseconds(300), microseconds(3000));
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
  EXPECT_LE(multi, 6);
}

TEST_F(ThreadTunerTest, ClassesAreSeparate) {
  ThreadTuner tuner(false);
  using std::chrono::microseconds;
  RunCalls(tuner, 40, microseconds(200), microseconds(2000));
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 1), 2);  // not measured yet: all threads
  EXPECT_EQ(tuner.Current(Kind::kEncode, 16), 2);
}

TEST(ThreadTuner, OneThreadSettingIsNeverExceeded) {
  SetThreads(1);
  ThreadTuner tuner;
  int multi = 0;
  for (int i = 0; i < 20; ++i) tuner.Run(Kind::kEncode, 100, [&] { multi += omp_get_max_threads() > 1; });
  EXPECT_EQ(multi, 0);
  SetThreads(0);
}

}  // namespace
}  // namespace edgeseq::ops
