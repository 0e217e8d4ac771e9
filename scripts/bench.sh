#!/usr/bin/env bash
# Runs the kernel and matmul benchmarks on one thread and prints the markdown
# tables of docs/BENCHMARKS.md. Assumes scripts/setup.sh ran.
#   scripts/bench.sh [OUT_DIR]      (JSON results are kept in OUT_DIR, default out/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
mkdir -p "$out"
export OMP_NUM_THREADS=1
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release >/dev/null
build/benchmarks/kernels_bench --benchmark_min_time=0.2 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/kernels.json" \
  --benchmark_out_format=json >/dev/null
build/benchmarks/matmul_bench --benchmark_min_time=0.2 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/matmul.json" \
  --benchmark_out_format=json >/dev/null
build/benchmarks/loaders_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/loaders.json" --benchmark_out_format=json >/dev/null
python3 scripts/bench_table.py "$out/kernels.json" "$out/matmul.json"
