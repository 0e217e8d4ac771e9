#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# bounded time from its committed seed corpus (tests/fuzz/corpus/<corpus>).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]    (default 60)
# New interesting inputs go to a scratch corpus under build-fuzz/, not into
# the repository. A crash stops the run with a non-zero status and leaves the
# reproducer in build-fuzz/artifacts/: add it to tests/fuzz/corpus/<corpus>/
# so the replay test (plain ctest) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
targets=("esq_reader_fuzz:esq" "pickle_fuzz:pickle" "safetensors_fuzz:safetensors" "torch_zip_fuzz:torch_zip" "cli_input_fuzz:cli" "bpe_fuzz:bpe" "sentencepiece_fuzz:sentencepiece" "audio_fuzz:audio")

cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGESEQ_FUZZ=ON -DEDGESEQ_SANITIZE=address,undefined \
  -DEDGESEQ_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C build-fuzz "${targets[@]%%:*}" >/dev/null
mkdir -p build-fuzz/artifacts
for entry in "${targets[@]}"; do
  target="${entry%%:*}"
  corpus="tests/fuzz/corpus/${entry##*:}"
  scratch="build-fuzz/corpus-$target"
  log="build-fuzz/$target.log"
  mkdir -p "$scratch"
  status=0
  # Leaks inside system libraries we cannot fix are suppressed by name (the file says which and why).
  LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan_suppressions.txt" ASAN_OPTIONS=detect_leaks=1 "build-fuzz/tests/fuzz/$target" "$scratch" "$corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz $target: ${seconds}s, $runs inputs executed, corpus $(ls "$scratch" | wc -l) units, exit $status"
  if [ "$status" -ne 0 ]; then
    grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -20
    exit "$status"
  fi
done
