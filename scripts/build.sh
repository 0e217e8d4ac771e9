#!/usr/bin/env bash
# Configures and builds one build tree: scripts/build.sh DIR [cmake args...]
# EDGESEQ_TARGETS="a b": build only those targets (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$1"; shift
# ccache: hash paths relative to the checkout, so a fresh clone elsewhere (as
# CI makes) still hits the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
# One job per core. Ninja's default (cores + 2) only adds memory pressure.
jobs="${EDGESEQ_JOBS:-$(scripts/cores.sh)}"
# shellcheck disable=SC2086  # a list of target names
ninja -C "$dir" -j "$jobs" ${EDGESEQ_TARGETS:-}
