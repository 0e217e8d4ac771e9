#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time from its committed seed corpus (tests/fuzz/corpus/<corpus>),
# one target per core at a time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]    (default 60)
# New interesting inputs go to a scratch corpus under build-fuzz/, not into
# the repository. A crash makes the run end with a non-zero status and leaves the
# reproducer in build-fuzz/artifacts/: add it to tests/fuzz/corpus/<corpus>/
# so the replay test (plain ctest) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
# libFuzzer reads 0 (and below) as no limit: refuse it rather than run forever.
case "$seconds" in
  ''|*[!0-9]*|0) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number above 0, not '$seconds'" >&2; exit 2 ;;
esac
targets=("esq_reader_fuzz:esq" "pickle_fuzz:pickle" "safetensors_fuzz:safetensors" "torch_zip_fuzz:torch_zip" "cli_input_fuzz:cli" "bpe_fuzz:bpe" "sentencepiece_fuzz:sentencepiece" "audio_fuzz:audio")

cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGESEQ_FUZZ=ON -DEDGESEQ_SANITIZE=address,undefined \
  -DEDGESEQ_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C build-fuzz "${targets[@]%%:*}" >/dev/null
mkdir -p build-fuzz/artifacts
rm -f build-fuzz/*.status
# Runs one target; its libFuzzer output goes to build-fuzz/<target>.log and its
# exit status to build-fuzz/<target>.status.
run_target() {
  local target="${1%%:*}" corpus="tests/fuzz/corpus/${1##*:}"
  local scratch="build-fuzz/corpus-$target" log="build-fuzz/$target.log" status=0
  mkdir -p "$scratch"
  # Leaks inside system libraries we cannot fix are suppressed by name (the file says which and why).
  LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan_suppressions.txt" ASAN_OPTIONS=detect_leaks=1 "build-fuzz/tests/fuzz/$target" "$scratch" "$corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 >"$log" 2>&1 || status=$?
  echo "$status" > "build-fuzz/$target.status"
}
# One target per core at a time (each libFuzzer process uses one).
cores="$(scripts/cores.sh)"
for entry in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$cores" ]; do wait -n || true; done
  run_target "$entry" &
done
wait
failed=0
for entry in "${targets[@]}"; do
  target="${entry%%:*}"
  scratch="build-fuzz/corpus-$target"
  log="build-fuzz/$target.log"
  status=$(cat "build-fuzz/$target.status" 2>/dev/null || echo "?")
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz $target: ${seconds}s, $runs inputs executed, corpus $(ls "$scratch" | wc -l) units, exit $status"
  if [ "$status" != 0 ]; then
    grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -20 || tail -5 "$log"
    failed=1
  fi
done
exit "$failed"
