#!/usr/bin/env bash
# The whole test suite: a Release build and its tests, the unit tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer, the concurrency test
# under ThreadSanitizer, a 100,000-sentence soak, each fuzz target for a
# bounded time (EDGESEQ_FUZZ_SECONDS, default 60) from its committed corpus,
# then the Arm cross builds and their tests under qemu (scripts/test_cross.sh).
# Assumes scripts/setup.sh --all ran. Each build sets every option it needs, so a
# folder configured otherwise (by scripts/main.sh, or by hand) cannot break it.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1   # two OpenMP threads lose to one on small work here
# ctest runs one test per core (each test at one OpenMP thread).
cores="$(scripts/cores.sh)"
# Each stage's start, in minutes since this script began (CI stops at 90).
stage() { echo "== $* (at $((SECONDS / 60)) min)"; }

stage "Release build and tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DEDGESEQ_BUILD_TESTS=ON -DEDGESEQ_BUILD_BENCHMARKS=ON \
  -DEDGESEQ_DEFAULT_MODEL=ON
ctest --test-dir build --output-on-failure -j "$cores"

stage "Installed package: examples/embed built against it"
scripts/check_install.sh build

stage "ASan + UBSan build and tests"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGESEQ_SANITIZE=address,undefined -DEDGESEQ_BUILD_TESTS=ON -DEDGESEQ_BUILD_BENCHMARKS=OFF
# oneDNN's JIT and OpenMP runtime are not instrumented; leak checks on their
# process-lifetime caches would only be noise.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$cores"

stage "ThreadSanitizer: one Model, many Generators on many threads"
# The concurrency test only: std::threads sharing a Model, each with OpenMP at
# one thread. (libgomp is not instrumented, so TSan would report OpenMP's own
# synchronization as races; the thread-count test, which opens parallel
# regions, runs in the other builds.)
EDGESEQ_TARGETS=runtime_concurrency_test scripts/build.sh build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGESEQ_SANITIZE=thread -DEDGESEQ_BUILD_TESTS=ON -DEDGESEQ_BUILD_BENCHMARKS=OFF -DEDGESEQ_DEFAULT_MODEL=OFF
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/tests/runtime_concurrency_test \
  --gtest_filter='Concurrency.OneModelManyGeneratorsOnManyThreads'

stage "Soak: 100,000 sentences through one process, resident memory sampled"
/usr/bin/python3 scripts/soak.py --model build/g2p-default.esq --sentences 100000

stage "Fuzz targets (${EDGESEQ_FUZZ_SECONDS:-60}s each)"
scripts/fuzz.sh "${EDGESEQ_FUZZ_SECONDS:-60}"

stage "Arm cross builds, tests under qemu"
scripts/test_cross.sh

echo "== All stages passed in $((SECONDS / 60)) min"
