// Chooses, by measurement, how many threads each kind of call runs on.
//
// More threads can lose: every parallel region ends at a barrier that waits
// for its slowest thread, and on a small device another busy process (a UI,
// audio capture) makes one of our threads wait for a time slice of several
// milliseconds. Measured on a 2-core VM with one other busy process, a decode
// step took 10-90 times longer on 2 threads than on 1 (docs/PERFORMANCE.md).
// So the thread count is not assumed, it is measured, two ways:
// - Other work: Linux's count of runnable tasks (/proc/loadavg, read at most
//   every kLoadCheckSeconds) minus our own threads tells how many cores
//   other processes are using now; calls then use at most the rest (at least
//   one). This costs nothing to try, where trying a thread count that loses
//   to a busy neighbour costs a time slice per parallel region (measured:
//   one 0.4 ms decode step took 85-98 ms on 2 threads).
// - Speed: each call class (what the call is and how many rows it has, in
//   powers of two) runs on 1 thread and on all allowed threads, keeps the
//   median of each one's last three times, and uses the faster. The slower one
//   is tried again now and then; the gap between tries grows with how badly
//   it lost (at most kMaxInterval calls), which bounds what the tries cost.
//
// Results never depend on the choice (every kernel computes each output the
// same way whatever the thread count). One tuner per Generator: not
// thread-safe, allocates nothing.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <array>
#include <chrono>

namespace edgeseq::ops {

class ThreadTuner {
 public:
  enum class Kind { kEncode = 0, kDecodeStep = 1 };
  static constexpr uint32_t kFirstInterval = 16;
  static constexpr uint32_t kMaxInterval = 4096;
  // A candidate must be this much faster to take over (hysteresis).
  static constexpr double kMargin = 0.95;
  static constexpr double kLoadCheckSeconds = 0.005;

  // watch_load false: ignore other processes (tests of the timing policy).
  explicit ThreadTuner(bool watch_load = true) : watch_load_(watch_load) {}

  // Runs f() on the thread count chosen for (kind, rows) (OpenMP's count on
  // the calling thread) and learns from how long it took.
  template <class F>
  void Run(Kind kind, size_t rows, const F& f) {
    const auto t0 = std::chrono::steady_clock::now();
    pending_ = Choose(kind, rows, t0);
    f();
    End(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  // Run in two halves, for callers that time the work themselves (and for
  // tests, which feed it made-up times): Begin sets OpenMP's count on the
  // calling thread for the next call of this class and returns it; End
  // reports how long that call took.
  int Begin(Kind kind, size_t rows);
  void End(double seconds);

  // The thread count the next call of this class would run on (for tests
  // and reports).
  int Current(Kind kind, size_t rows) const;

 private:
  struct State {
    uint32_t calls = 0;
    uint32_t next_try = 0;          // call number at which the loser runs again
    uint32_t interval = kFirstInterval;
    // Per arm ([0] 1 thread, [1] all): the last three call times, and their
    // median (the smaller of two; the one), so that one outlier moves
    // nothing and a lasting change shows after two calls.
    std::array<std::array<double, 3>, 2> recent{};
    std::array<double, 2> seconds{};
    std::array<uint32_t, 2> samples{};
    int best = 1;
  };
  struct Pick {
    State* state;
    int arm;  // 0: one thread, 1: all; -1: not learned from (cold first call)
  };
  static constexpr size_t kRowClasses = 24;
  static size_t Index(Kind kind, size_t rows);
  Pick Choose(Kind kind, size_t rows, std::chrono::steady_clock::time_point now);
  void Learn(const Pick& p, double seconds);
  // Threads() less the cores other processes keep busy now (at least 1).
  int Allowed(std::chrono::steady_clock::time_point now);

  bool watch_load_ = true;
  std::array<State, 2 * kRowClasses> state_{};
  std::chrono::steady_clock::time_point last_check_{};
  int allowed_ = 0;
  int last_threads_ = 1;  // what the last call ran on
  Pick pending_{nullptr, -1};  // the call between Begin and End
};

}  // namespace edgeseq::ops
