#include "ops/threads.h"

#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <set>
#include <utility>

namespace edgeseq::ops {
namespace {

// -1 on any failure to read the topology.
long ReadSysInt(int cpu, const char* what) {
  char path[128];
  snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, what);
  FILE* f = fopen(path, "r");
  if (f == nullptr) return -1;
  long v = -1;
  if (fscanf(f, "%ld", &v) != 1) v = -1;
  fclose(f);
  return v;
}

int Computed() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return omp_get_num_procs() > 0 ? omp_get_num_procs() : 1;
  std::set<std::pair<long, long>> cores;
  int cpus = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    ++cpus;
    const long core = ReadSysInt(cpu, "core_id"), package = ReadSysInt(cpu, "physical_package_id");
    if (core < 0 || package < 0) return cpus > 0 ? CPU_COUNT(&set) : 1;  // no topology: count CPUs
    cores.insert({package, core});
  }
  return cores.empty() ? 1 : static_cast<int>(cores.size());
}

std::atomic<int> g_threads{0};  // 0: not decided yet

}  // namespace

int PhysicalCores() {
  static const int n = Computed();
  return n;
}

int DefaultThreads() {
  if (const char* env = getenv("OMP_NUM_THREADS")) {
    char* end = nullptr;
    const long v = strtol(env, &end, 10);
    if (end != env && v > 0 && v <= 1024) return static_cast<int>(v);
  }
  return PhysicalCores();
}

void SetThreads(int threads) { g_threads.store(threads > 0 ? threads : DefaultThreads()); }

int Threads() {
  int t = g_threads.load();
  if (t == 0) {
    int expected = 0;
    g_threads.compare_exchange_strong(expected, DefaultThreads());
    t = g_threads.load();
  }
  return t;
}

void ApplyThreads() {
  const int t = Threads();
  if (omp_get_max_threads() != t) omp_set_num_threads(t);
}

}  // namespace edgeseq::ops
