#!/usr/bin/env bash
# Installs the Debian 12 packages edgeseq needs. Idempotent: installs only
# what is missing, and runs apt-get only then.
#   scripts/setup.sh            the main job: build the library and the tools
#   scripts/setup.sh --tests    and the test suite (GoogleTest, Google Benchmark,
#                               clang's libFuzzer and its OpenMP runtime)
#   scripts/setup.sh --cross    and the Arm cross builds (cross compilers,
#                               qemu-user, mmdebstrap for toolchains/make_sysroot.sh)
#   scripts/setup.sh --all      everything (the README's test command, CI)
set -euo pipefail

build=(
  g++ cmake ninja-build ccache pkg-config
  # ops: oneDNN (its amd64 CMake config needs OpenCL headers), Highway, mimalloc
  libdnnl-dev ocl-icd-opencl-dev libhwy-dev libmimalloc-dev
  # loaders and tools: xxHash (header-only use), libzip (PyTorch checkpoints),
  # nlohmann-json (safetensors headers, mapping files), CLI11
  libxxhash-dev libzip-dev nlohmann-json3-dev libcli11-dev
  # runtime: SentencePiece and PCRE2 (byte-level BPE's pre-tokenizer): the
  # tokenizers carried in the model file; zlib: Whisper's compression-ratio test
  libsentencepiece-dev libpcre2-dev zlib1g-dev
  # runtime/audio (Whisper's front end): decoding, resampling, the FFT
  # (kissfft: BSD; FFTW would be GPL)
  libsndfile1-dev libsoxr-dev libkissfft-dev
)
tests=(
  # tests and benchmarks; clang's libFuzzer for the fuzz targets, and its
  # OpenMP runtime (the CLI input target links the runtime)
  libgtest-dev libbenchmark-dev clang libclang-rt-14-dev libomp-dev
)
cross=(
  # Arm: cross compilers, qemu-user to run the cross-built tests, mmdebstrap
  # for the sysroots (toolchains/make_sysroot.sh)
  crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user mmdebstrap
)

packages=("${build[@]}")
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=("${tests[@]}") ;;
    --cross) packages+=("${cross[@]}") ;;
    --all) packages+=("${tests[@]}" "${cross[@]}") ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (--tests, --cross, --all)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 \
  "${missing[@]}"
echo "setup: done"
