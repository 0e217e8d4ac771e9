#!/usr/bin/env bash
# Installs a build tree into BUILD/install, builds examples/embed against the
# installed package (CMake and pkg-config), and checks that the C++ example,
# the C example and the installed CLI give the same answer on a small model.
#   scripts/check_install.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build="$1"
prefix="$PWD/$build/install"
rm -rf "$prefix" "$build/embed"
cmake --install "$build" --prefix "$prefix" >/dev/null
# C++14 asked for: the installed target must raise it to the C++17 its header needs.
cmake -S examples/embed -B "$build/embed" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_STANDARD=14 >/dev/null
ninja -C "$build/embed" >/dev/null
# pkg-config route, as a Makefile user would; its flags carry the rpath, so
# the program runs without LD_LIBRARY_PATH.
cc examples/embed/main.c -o "$build/embed/embed_pkgconfig" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs edgeseq)

model="$build/embed/model.esq"
"$prefix/bin/edgeseq-convert" tests/fixtures/parity/post_relu.pth -o "$model" --heads 4 -q
src="4 19 6 8 10 12 14"
cli=$(echo "$src" | "$prefix/bin/edgeseq" generate -m "$model" --ids)
cpp=$("$build/embed/embed" "$model" $src | head -1 | sed 's/ *$//')
c=$("$build/embed/embed_c" "$model" $src | head -1 | sed 's/ *$//')
pc=$("$build/embed/embed_pkgconfig" "$model" $src | head -1 | sed 's/ *$//')
echo "installed CLI: $cli | C++ example: $cpp | C example: $c | pkg-config build: $pc"
[ -n "$cli" ] && [ "$cli" = "$cpp" ] && [ "$cli" = "$c" ] && [ "$cli" = "$pc" ]
# The default model comes with the installation.
g2p=$(echo "hello" | "$prefix/bin/edgeseq" generate -m "$prefix/share/edgeseq/g2p.esq")
echo "installed default model: hello -> $g2p"
[ -n "$g2p" ]
echo "install check: ok"
