#!/usr/bin/env bash
# The main job until the runtime exists: build, print what the kernels run on
# (CPU features, Highway target, matmul backend) with a self-check against
# the scalar references, then the kernel and matmul benchmarks (1 thread).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
build/tools/edgeseq-selfcheck
echo
build/benchmarks/kernels_bench --benchmark_filter='cols:512' --benchmark_min_time=0.05
build/benchmarks/matmul_bench --benchmark_min_time=0.05
