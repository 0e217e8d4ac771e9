#!/usr/bin/env bash
# The whole test suite: a Release build and its tests, the unit tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer, each fuzz target for a
# bounded time (EDGESEQ_FUZZ_SECONDS, default 60) from its committed corpus,
# then the Arm cross builds and their tests under qemu (scripts/test_cross.sh).
# Assumes scripts/setup.sh ran.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1   # two OpenMP threads lose to one on small work here

echo "== Release build and tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "== Installed package: examples/embed built against it"
scripts/check_install.sh build

echo "== ASan + UBSan build and tests"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGESEQ_SANITIZE=address,undefined -DEDGESEQ_BUILD_BENCHMARKS=OFF
# oneDNN's JIT and OpenMP runtime are not instrumented; leak checks on their
# process-lifetime caches would only be noise.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

echo "== Fuzz targets (${EDGESEQ_FUZZ_SECONDS:-60}s each)"
scripts/fuzz.sh "${EDGESEQ_FUZZ_SECONDS:-60}"

echo "== Arm cross builds, tests under qemu"
scripts/test_cross.sh
