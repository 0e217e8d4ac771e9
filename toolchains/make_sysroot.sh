#!/usr/bin/env bash
# Makes a sysroot for cross-compiling edgeseq: the target architecture's
# Debian 12 (bookworm) builds of our -dev packages, unpacked (not installed)
# with mmdebstrap. A few seconds to a minute; ~130 MB.
#   toolchains/make_sysroot.sh arm64|armhf [DIR]     (default out/sysroot-ARCH)
# Suite bookworm, not stable (now Debian 13, other library versions). No
# dpkg --add-architecture: amd64 and arm64 libdnnl-dev cannot coexist.
# No oneDNN in either: arm64's has no optimized GEMM, armhf has none; the
# Highway matmul backend serves every shape on Arm.
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${1:?usage: toolchains/make_sysroot.sh arm64|armhf [DIR]}"
dir="${2:-out/sysroot-$arch}"
case "$arch" in
  arm64|armhf) ;;
  *) echo "make_sysroot.sh: unknown architecture '$arch' (arm64 or armhf)" >&2; exit 2 ;;
esac
pkgs="libc6-dev,libstdc++-12-dev,libgcc-12-dev,libgomp1,libhwy-dev,libmimalloc-dev,libxxhash-dev,libzip-dev,zlib1g-dev"
pkgs="$pkgs,nlohmann-json3-dev,libcli11-dev,libgtest-dev,libgmock-dev,libbenchmark-dev,libsentencepiece-dev,libpcre2-dev"
pkgs="$pkgs,libsndfile1-dev,libsoxr-dev,libkissfft-dev"
if [ -f "$dir/.edgeseq-sysroot" ] && [ "$(cat "$dir/.edgeseq-sysroot")" = "$pkgs" ]; then
  echo "sysroot $dir is up to date"; exit 0
fi
for p in mmdebstrap; do
  command -v "$p" >/dev/null || { echo "make_sysroot.sh: needs $p (scripts/setup.sh --cross installs it)" >&2; exit 1; }
done
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"   # mmdebstrap wants an absolute path
rm -rf "$dir.tmp"
if ! mmdebstrap --quiet --arch="$arch" --variant=extract --include="$pkgs" bookworm "$dir.tmp"; then
  # Seen here: the security archive's index for one architecture mid-sync
  # ("File has unexpected size"). The build needs headers and link-time
  # libraries, which the point releases carry; retry without that suite.
  echo "make_sysroot.sh: retrying without bookworm-security" >&2
  rm -rf "$dir.tmp"
  mmdebstrap --quiet --arch="$arch" --variant=extract --include="$pkgs" bookworm "$dir.tmp" \
    "deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main"
fi
# Absolute symlinks inside the sysroot (e.g. libfoo.so -> /lib/...) must
# point into it: make them relative.
find "$dir.tmp" -type l -lname '/*' | while read -r link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir.tmp$target")" "$link"
done
echo "$pkgs" > "$dir.tmp/.edgeseq-sysroot"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "sysroot for $arch in $dir ($(du -sh "$dir" | cut -f1))"
