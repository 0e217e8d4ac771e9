// ThreadTuner's policy on made-up call times that depend on the thread count
// it picks (fed through Begin/End, so the test does not depend on the
// machine's timing): it settles on the faster count, tries the slower one
// rarely, shrugs off an outlier, and follows a change. (The load check is
// off here: it reads the machine's state, which a test cannot control;
// scripts/bench_peers.sh and docs/PERFORMANCE.md cover the busy-neighbour
// case end to end.)
#include "ops/thread_tuner.h"

#include <omp.h>

#include "gtest/gtest.h"
#include "ops/threads.h"

namespace edgeseq::ops {
namespace {

using Kind = ThreadTuner::Kind;

// Runs `calls` calls of one class whose time is `one` seconds on one thread
// and `all` on more (made-up times: the policy, not the machine, is under
// test); returns how many ran on more than one thread.
int RunCalls(ThreadTuner& tuner, int calls, double one, double all) {
  int multi = 0;
  for (int i = 0; i < calls; ++i) {
    const int threads = tuner.Begin(Kind::kDecodeStep, 16);
    EXPECT_EQ(threads, omp_get_max_threads());
    multi += threads > 1;
    tuner.End(threads > 1 ? all : one);
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
  const int multi = RunCalls(tuner, 300, 200e-6, 2000e-6);
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
  // One measurement, then tries after 16 calls and after ≥ 160 more.
  EXPECT_LE(multi, 3);
  EXPECT_GE(multi, 1);
}

TEST_F(ThreadTunerTest, SettlesOnAllThreadsWhenTheyWin) {
  ThreadTuner tuner(false);
  const int multi = RunCalls(tuner, 100, 1500e-6, 300e-6);
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 2);
  EXPECT_GE(multi, 100 - 10);
}

TEST_F(ThreadTunerTest, FollowsAChange) {
  ThreadTuner tuner(false);
  RunCalls(tuner, 50, 1500e-6, 300e-6);
  ASSERT_EQ(tuner.Current(Kind::kDecodeStep, 16), 2);
  // A neighbour arrives: more threads now lose. Within a few calls the
  // average of the slowed winner passes the other's and it takes over.
  const int multi = RunCalls(tuner, 50, 300e-6, 3000e-6);
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
  EXPECT_LE(multi, 6);
}

// A one-off slow call of the winner (the scheduler, a page fault) may send
// one call to the loser, whose fresh time then sends it back.
TEST_F(ThreadTunerTest, AnOutlierCostsAtMostOneTryOfTheLoser) {
  ThreadTuner tuner(false);
  RunCalls(tuner, 300, 200e-6, 2000e-6);
  ASSERT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
  ASSERT_EQ(tuner.Begin(Kind::kDecodeStep, 16), 1);
  tuner.End(20e-3);  // 100 times the usual
  EXPECT_LE(RunCalls(tuner, 100, 200e-6, 2000e-6), 1);
  EXPECT_EQ(tuner.Current(Kind::kDecodeStep, 16), 1);
}

TEST_F(ThreadTunerTest, ClassesAreSeparate) {
  ThreadTuner tuner(false);
  RunCalls(tuner, 40, 200e-6, 2000e-6);
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
  EXPECT_EQ(tuner.Begin(Kind::kEncode, 100), 1);
  tuner.End(1e-3);
  SetThreads(0);
}

}  // namespace
}  // namespace edgeseq::ops
