// How many threads the matmuls (oneDNN, through OpenMP) use at most. Our
// Highway kernels split a matmul's columns across OpenMP threads when the
// work pays for it (two threads on tiny work lose to one). Threads() is an
// upper bound: ops/thread_tuner.h picks, per call, 1 thread or up to this
// many by measurement, so more threads never make a call slower.
//
// Default: OMP_NUM_THREADS when set, else the number of physical cores the
// process may run on (hyper-threads share a core's SIMD units, so counting
// them only adds contention). Idle threads do not spin: libgomp, with
// OMP_WAIT_POLICY unset, spins for a bounded count (~0.1-1 ms) after a
// parallel region and then sleeps in the kernel; tests/runtime/threads_test
// checks that an idle process uses no CPU. OMP_WAIT_POLICY=active would
// make them spin; don't set it.
#pragma once

namespace edgeseq::ops {

// Physical cores in this process's CPU affinity mask (at least 1).
int PhysicalCores();

// OMP_NUM_THREADS if set to a positive number, else PhysicalCores().
int DefaultThreads();

// Sets the process-wide thread count; 0 or less restores DefaultThreads().
void SetThreads(int threads);

// The process-wide thread count.
int Threads();

// Makes the calling thread's OpenMP setting match Threads(). OpenMP keeps
// the count per thread, so every entry point calls this on its own thread
// (cheap: one comparison when nothing changed).
void ApplyThreads();

}  // namespace edgeseq::ops
