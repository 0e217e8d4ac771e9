#!/usr/bin/env bash
# End-to-end benchmark against PyTorch on the same weights and inputs, in one
# run: makes the bench models (python3-torch), converts them (int8 and f32),
# runs benchmarks/e2e_bench, then benchmarks/peer_pytorch.py, which prints
# the table with the ratios. Needs python3-torch and libopenblas0-openmp
# (installed here if missing). A few minutes on 2 cores.
#   scripts/bench_e2e.sh [OUT_DIR]     (default out/bench; ~1.2 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/bench}"
for p in python3-torch libopenblas0-openmp; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="${need:-} $p"
done
if [ -n "${need:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
fi
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release >/dev/null
/usr/bin/python3 benchmarks/make_bench_models.py "$out"
for m in base tiny; do
  heads=8; [ "$m" = tiny ] && heads=4
  for q in int8 f32; do
    [ -f "$out/bench-$m-$q.esq" ] || build/tools/edgeseq-convert "$out/bench-$m.pth" -o "$out/bench-$m-$q.esq" \
      --heads "$heads" --quantize "$q" -q
  done
done
EDGESEQ_BENCH_DIR="$out" build/benchmarks/e2e_bench --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/edgeseq.json" --benchmark_out_format=json >/dev/null
/usr/bin/python3 benchmarks/peer_pytorch.py "$out" "$out/edgeseq.json" build/tools/edgeseq
