#include "ops/thread_tuner.h"

#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "ops/threads.h"

namespace edgeseq::ops {

size_t ThreadTuner::Index(Kind kind, size_t rows) {
  size_t cls = 0;
  while (cls + 1 < kRowClasses && (size_t{1} << cls) < rows) ++cls;  // ceil(log2(rows))
  return static_cast<size_t>(kind) * kRowClasses + cls;
}

int ThreadTuner::Current(Kind kind, size_t rows) const {
  const State& s = state_[Index(kind, rows)];
  const int all = allowed_ > 0 ? std::min(allowed_, Threads()) : Threads();
  if (all <= 1 || s.samples[0] == 0 || s.samples[1] == 0) return all;
  return s.best == 1 ? all : 1;
}

namespace {

// Tasks runnable on the whole machine now: the numerator of /proc/loadavg's
// fourth field ("0.50 0.40 0.30 2/345 6789"; proc(5)). -1 if it cannot be
// read. open/read into a stack buffer, not stdio: this runs inside the
// decode loop, which allocates nothing (fopen mallocs its FILE).
int RunnableTasks() {
  const int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* p = buf;
  for (int field = 0; field < 3; ++field) {  // skip the three load averages
    while (*p && *p != ' ') ++p;
    while (*p == ' ') ++p;
  }
  if (*p < '0' || *p > '9') return -1;
  int running = 0;
  for (; *p >= '0' && *p <= '9'; ++p) running = running * 10 + (*p - '0');
  return *p == '/' ? running : -1;
}

}  // namespace

int ThreadTuner::Allowed(std::chrono::steady_clock::time_point now) {
  const int all = Threads();
  if (all <= 1) return 1;
  if (!watch_load_) return all;
  if (allowed_ > 0 && now - last_check_ < std::chrono::duration<double>(kLoadCheckSeconds)) {
    return std::min(allowed_, all);
  }
  last_check_ = now;
  const int running = RunnableTasks();
  if (running < 0) {
    allowed_ = all;
  } else {
    // Our own threads may be among the runnable ones: this one, and the
    // last call's OpenMP helpers, which spin for a moment after a region.
    const int ours = last_threads_;
    const int others = std::max(0, running - ours);
    allowed_ = std::max(1, std::min(all, omp_get_num_procs() - others));
  }
  return allowed_;
}

ThreadTuner::Pick ThreadTuner::Choose(Kind kind, size_t rows, std::chrono::steady_clock::time_point now) {
  State& s = state_[Index(kind, rows)];
  const int allowed = Allowed(now);
  int arm = -1;  // not learned from: one thread is all there is, or the first call
  if (s.calls > 0 && Threads() > 1) {
    if (allowed <= 1) {
      arm = 0;  // other work holds the other cores
    } else if (s.samples[1] == 0) {
      arm = 1;
    } else if (s.samples[0] == 0) {
      arm = 0;
    } else {
      arm = s.calls >= s.next_try ? 1 - s.best : s.best;
    }
  }
  // The first call of a class pays one-time costs (first touches of its
  // buffers) and is no fair sample: it runs on one thread.
  ++s.calls;
  const int threads = arm == 1 ? allowed : 1;
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
  last_threads_ = threads;
  return {&s, arm};
}

int ThreadTuner::Begin(Kind kind, size_t rows) {
  pending_ = Choose(kind, rows, std::chrono::steady_clock::now());
  return last_threads_;
}

void ThreadTuner::End(double seconds) {
  if (pending_.state != nullptr) Learn(pending_, seconds);
  pending_ = {nullptr, -1};
}

void ThreadTuner::Learn(const Pick& p, double seconds) {
  if (p.arm < 0) return;
  State& s = *p.state;
  const int arm = p.arm;
  auto& r = s.recent[arm];
  r[s.samples[arm] % 3] = seconds;
  ++s.samples[arm];
  const uint32_t n = std::min<uint32_t>(s.samples[arm], 3);
  s.seconds[arm] = n == 1   ? r[0]
                   : n == 2 ? std::min(r[0], r[1])
                            : std::max(std::min(r[0], r[1]), std::min(std::max(r[0], r[1]), r[2]));
  if (s.samples[0] == 0 || s.samples[1] == 0) return;
  const int other = 1 - arm;
  if (s.samples[0] + s.samples[1] == 2) {  // both measured once: pick
    s.best = s.seconds[1] < s.seconds[0] ? 1 : 0;
    s.next_try = s.calls + s.interval;
    return;
  }
  if (arm == s.best) {
    // The winner slowed down for good (a neighbour arrived): the other one's
    // older median now looks better, so it runs next and is measured afresh.
    if (kMargin * s.seconds[arm] > s.seconds[other]) s.best = other;
    return;
  }
  // A try of the loser: take over if clearly faster, else wait longer before
  // the next try, in proportion to how much it lost.
  if (s.seconds[arm] < kMargin * s.seconds[other]) {
    s.best = arm;
    s.interval = kFirstInterval;
  } else {
    const double ratio = s.seconds[arm] / std::max(s.seconds[other], 1e-9);
    const double grow = std::max(2.0, std::ceil(ratio));
    s.interval = static_cast<uint32_t>(std::min<double>(kMaxInterval, s.interval * grow));
  }
  s.next_try = s.calls + s.interval;
}

}  // namespace edgeseq::ops
