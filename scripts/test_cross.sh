#!/usr/bin/env bash
# Cross-builds edgeseq for Arm and runs its tests under qemu-user:
#   aarch64: the ctest suite twice, QEMU_CPU=cortex-a72 (a Raspberry Pi 4:
#            NEON) and QEMU_CPU=max (SVE and SVE2; the kernels and what
#            rests on their numbers, not the transcription layers above);
#            checks that the Highway tests ran on those targets.
#   armhf:   the suite, QEMU_CPU=cortex-a7 (armv7 + NEON; without Whisper's
#            whole-audio comparisons).
# Needs what scripts/setup.sh --cross installs (cross compilers, qemu-user,
# mmdebstrap); makes the sysroots in out/ on first use (network: Debian's
# archive, like apt). No timing assertions under emulation.
#   scripts/test_cross.sh [arm64|armhf]...     (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
cores="$(scripts/cores.sh)"   # one emulated test per core
arches=("$@"); [ ${#arches[@]} -eq 0 ] && arches=(arm64 armhf)

# Left out under emulation, like the large-model tests: the end-to-end
# comparisons with CTranslate2's answers over thousands of decodes (8 minutes
# for one of them under qemu); the Release build runs them, and the kernels
# and searches they rest on run here.
heavy='^(Ct2Options|Ct2Decoding)\.'
# Whisper's whole-audio comparisons (every window of jfk, several cases, 1 to
# 8 minutes each under qemu). Under the Raspberry Pi 4's CPU, the runtime's
# own (WhisperTranscribe.MatchesTheReference: every reference case, the
# numerics) runs; its C++/C API and CLI variants over the same audio and
# cases ($whole_audio_api) are the same code above the runtime on every
# architecture, so they run in the Release and ASan builds only (they
# took 13 of the cortex-a72 run's 29 minutes). armhf runs none of them, only
# the per-window and int8 reference checks (WhisperInt8.*, the language
# detection, the English-only window) and the kernels beneath.
whole_audio_api='^(TranscribeApi\.(BothApisMatchTheReference|CppApiGivesTheRuntimesSegments)|TranscribeCli\.(JsonMatchesTheReference|EachFormatIsTheRuntimesTranscript|DetectedLanguageOnStderr))$'
whole_audio="^WhisperTranscribe\\.MatchesTheReference\$|$whole_audio_api"
# QEMU_CPU=max (SVE, SVE2) is the same architecture as cortex-a72 with another
# vector unit: it runs the kernels and every test whose numbers come from
# them (parity, int8, the searches, the converters, Whisper's language and
# per-window decisions); the transcription layers above them (segments and
# callbacks over whole audio, the C++/C APIs, the CLI) are the same code on
# both and run under cortex-a72 only.
transcription_layers='^(TranscribeApi|TranscribeCli)\.|^WhisperTranscribe\.(MatchesTheReference|CommandLine|CallbackSeesEachSegmentAndStops|ErrorsAreRefused|LogitsCallbackAllocatesNothingPerStep|SampledFallbackIsReproducibleAndFollowsTheRules|SplitsWindowsAsTranscribePy)$'

# ctest the build tree in $1 with QEMU_CPU=$2, leaving out $heavy and the
# optional ctest -E regex $3; the log goes to $1/ctest-$2.log.
emulated_ctest() {
  local dir="$1" cpu="$2" also="${3:-}"
  echo "-- $dir under qemu, QEMU_CPU=$cpu${also:+, without $also} (at $((SECONDS / 60)) min of the cross stage)"
  QEMU_CPU="$cpu" ctest --test-dir "$dir" --output-on-failure -j "$cores" \
    -E "$heavy${also:+|$also}" > "$dir/ctest-$cpu.log" 2>&1 || { tail -50 "$dir/ctest-$cpu.log"; return 1; }
  grep -E "tests passed" "$dir/ctest-$cpu.log"
}

# Fails unless the per-target Highway tests run on each named target under
# QEMU_CPU=$2. gtest instantiates them for the targets the (emulated) CPU
# supports, so listing the tests under that CPU shows which really ran
# (ctest's names come from discovery at build time and may include targets
# that then match no test).
require_targets() {
  local dir="$1" cpu="$2"; shift 2
  local sysroot="out/sysroot-$(basename "$dir" | sed 's/^build-test-//')"
  local qemu; qemu=$(grep -o 'qemu-[a-z0-9]*' "$dir/CMakeCache.txt" | head -1)
  for t in "$@"; do
    local n=0
    for exe in "$dir"/tests/ops_*_test; do
      n=$((n + $(QEMU_CPU="$cpu" "$qemu" -L "$sysroot" "$exe" --gtest_list_tests 2>/dev/null | grep -c "^  .*/$t  #" || true)))
    done
    [ "$n" -gt 0 ] || { echo "test_cross: no Highway test runs on $t under QEMU_CPU=$cpu"; return 1; }
    echo "   Highway tests run on $t under $cpu: $n"
  done
}

for arch in "${arches[@]}"; do
  case "$arch" in
    arm64) triple=aarch64-linux-gnu ;;
    armhf) triple=arm-linux-gnueabihf ;;
    *) echo "test_cross.sh: unknown architecture '$arch'" >&2; exit 2 ;;
  esac
  echo "== $arch: sysroot, cross build (at $((SECONDS / 60)) min of the cross stage)"
  toolchains/make_sysroot.sh "$arch"
  # A folder of its own, every option set: the README's cross build (build-arm64,
  # tests off) can neither break this one nor be broken by it.
  dir="build-test-$arch"
  scripts/build.sh "$dir" -DCMAKE_TOOLCHAIN_FILE="toolchains/$triple.cmake" -DCMAKE_BUILD_TYPE=Release \
    -DEDGESEQ_BUILD_TESTS=ON -DEDGESEQ_BUILD_BENCHMARKS=ON -DEDGESEQ_DEFAULT_MODEL=ON
  # The deployable tree: install it and run its CLI on the default model.
  rm -rf "$dir/install"
  cmake --install "$dir" --prefix "$dir/install" > /dev/null
  qemu=$(grep -o 'qemu-[a-z0-9]*' "$dir/CMakeCache.txt" | head -1)
  out=$(echo "hello world" | "$qemu" -L "out/sysroot-$arch" "$dir/install/bin/edgeseq" generate \
        -m "$dir/install/share/edgeseq/g2p.esq")
  echo "   installed tree: 'hello world' -> $out"
  [ -n "$out" ]
  if [ "$arch" = arm64 ]; then
    emulated_ctest "$dir" cortex-a72 "$whole_audio_api"
    require_targets "$dir" cortex-a72 NEON
    emulated_ctest "$dir" max "$transcription_layers"
    require_targets "$dir" max NEON SVE SVE2
  else
    emulated_ctest "$dir" cortex-a7 "$whole_audio"
    require_targets "$dir" cortex-a7 NEON
  fi
done
