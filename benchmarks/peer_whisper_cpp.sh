#!/usr/bin/env bash
# edgeseq against whisper.cpp (the runtime people use for Whisper on small
# CPUs), on the same random weights and the same audio, in one run. Prints a
# markdown table headed by the date, both revisions, the CPU and its ISA and
# the load average, so that ratios from different machines or runs are never
# mixed up.
#
# What it does:
#   1. whisper.cpp, outside the repository: copied from WHISPER_SRC (a source
#      tree, or a bare git mirror: `git archive HEAD`) to $PEERS/whisper.cpp,
#      built there Release, CPU only, GGML_NATIVE (-march=native, as its
#      README builds it), static, no network (curl, SDL, ffmpeg off): its
#      whisper-quantize and libraries, then benchmarks/peer_whisper_cpp_bench.cpp
#      against them. A rerun reuses the build.
#   2. The models, in $PEERS/whisper: benchmarks/peer_whisper_models.py writes
#      random whisper-tiny- and whisper-base-shaped openai-whisper checkpoints
#      (float16, as released); whisper.cpp's models/convert-pt-to-ggml.py makes
#      its f16 (default) and f32 files, its whisper-quantize the Q8_0 one;
#      edgeseq-convert makes int8 (its default: 7-bit weights, tied output
#      projection int8), f16 and f32 .esq files, with Whisper's tokenizer.
#   3. The measurement, ROUNDS times over all cases, each case a fresh process
#      (for its peak RSS) under OMP_NUM_THREADS=T and -t T, the two runtimes
#      of a pair run back to back (their order alternating between rounds):
#        edgeseq int8  vs whisper.cpp Q8_0
#        edgeseq f16   vs whisper.cpp f16 (its default)
#        edgeseq f32   vs whisper.cpp f32
#      Each process (benchmarks/whisper_peer_bench.cc and
#      peer_whisper_cpp_bench.cpp: the same work through each public API)
#      reads jfk.flac once, then per repetition times the log-mel (whole file
#      + 30 s padding), the encoder on the first 30-s window (cross-attention
#      K/V included) and exactly STEPS one-token greedy decoder steps from
#      <|startoftranscript|> (logits over the whole vocabulary, argmax; no
#      Whisper logit rules on either side): medians of REPS after one warm-up.
#      The table shows the median over rounds, and edgeseq / whisper.cpp.
#   4. A check that both ran the same model: the first 8 greedy tokens of the
#      f32 models (same checkpoint, same audio) must agree; a mismatch is
#      printed under the table, not an error: the mel front ends differ
#      slightly, and whisper.cpp's default flash attention (f16 K/V, cross
#      K/V padded to 1,536 rows without a mask) changes logits more than that
#      (on the random whisper-base it flips the second token, on which its
#      non-flash path and a float64 PyTorch forward agree with edgeseq).
#
#   benchmarks/peer_whisper_cpp.sh WHISPER_SRC [BUILD_DIR]
#     WHISPER_SRC  a whisper.cpp source tree or bare git repository (e.g.
#                  a mirror of github.com/ggml-org/whisper.cpp)
#     BUILD_DIR    edgeseq's Release build with the benchmarks (default build):
#                  scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DEDGESEQ_BUILD_BENCHMARKS=ON
# Environment knobs: PEERS (default /tmp/edgeseq-peers), SHARED (the shared
# folder holding testdata/whisper; default <checkout>/../shared), MODELS
# ("tiny base"), THREADS ("1 2"), ROUNDS (3), REPS (3), STEPS (50), JOBS (2:
# whisper.cpp's build), TABLE (a results.tsv from an earlier run, e.g. one
# stopped early: print its table and do nothing else; WHISPER_SRC may be
# left out). A round is 24
# processes; on a shared 2-vCPU machine at a load average of ~10 one took
# 10-12 minutes, most of it whisper.cpp's 2-thread cases. The first run adds
# ~5 minutes for whisper.cpp's build and the models (~1.5 GB in $PEERS/whisper).
# Progress on stderr, the table on stdout; every measurement also goes to
# $PEERS/whisper/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
CMD=""
for v in PEERS SHARED MODELS THREADS ROUNDS REPS STEPS TABLE; do [ -n "${!v:-}" ] && CMD+="$v=\"${!v}\" "; done
CMD+="benchmarks/peer_whisper_cpp.sh${1:+ $1}${2:+ $2}"
if { [ -z "${TABLE:-}" ] && [ $# -lt 1 ]; } || [ $# -gt 2 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
SRC="${1:-}"
B="${2:-build}"
B="$(cd "$B" 2>/dev/null && pwd || echo "$B")"
PEERS="${PEERS:-/tmp/edgeseq-peers}"
SHARED="${SHARED:-$REPO/../shared}"
MODELS="${MODELS:-tiny base}"
THREADS="${THREADS:-1 2}"
ROUNDS="${ROUNDS:-3}"
REPS="${REPS:-3}"
STEPS="${STEPS:-50}"
JOBS="${JOBS:-2}"
TD="$SHARED/testdata/whisper"
AUDIO="$TD/jfk.flac"
W="$PEERS/whisper.cpp"
WB="$W/build"
M="$PEERS/whisper"

log() { echo "[peer_whisper_cpp] $*" >&2; }

# ---- the table (function) ---------------------------------------------------------
# table RESULTS: the header written at the run's start ($RESULTS.head, the
# load average after it when it finished) and the medians over rounds.
table() {
cat "$1.head"
grep -q '^load average after' "$1.head" || echo "load average after: not recorded (the run was stopped early)"
echo
/usr/bin/python3 - "$1" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(m, t, rt, p, k):
    v = [float(r[k]) for r in rows if (r["model"], r["threads"], r["runtime"], r["precision"]) == (m, t, rt, p) and r[k]]
    return statistics.median(v) if v else float("nan")
print("| model | threads | edgeseq vs whisper.cpp | encoder ms | ratio | decode ms/token | ratio | "
      "encoder + all steps ms | ratio | log-mel ms | peak RSS MB | ratio | RSS anon + file MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
keys = []
for r in rows:
    k = (r["model"], r["threads"])
    if k not in keys:
        keys.append(k)
for m, t in keys:
    for ep, wp in (("int8", "q8_0"), ("f16", "f16"), ("f32", "f32")):
        cells = [f"whisper-{m}", t, f"{ep} vs {wp.upper() if wp == 'q8_0' else wp}"]
        for k, fmt in (("enc_ms", "{:.0f}"), ("dec_ms_per_token", "{:.2f}"), ("total_ms", "{:.0f}"),
                       ("mel_ms", "{:.0f}"), ("peak_rss_mb", "{:.0f}")):
            a, b = med(m, t, "edgeseq", ep, k), med(m, t, "whisper.cpp", wp, k)
            cells.append(f"{fmt.format(a)} / {fmt.format(b)}")
            if k != "mel_ms":
                cells.append(f"{a / b:.2f}")
        af = [med(m, t, rt, p, k) for rt, p in (("edgeseq", ep), ("whisper.cpp", wp)) for k in ("anon_mb", "file_mb")]
        cells.append(f"{af[0]:.0f} + {af[1]:.0f} / {af[2]:.0f} + {af[3]:.0f}")
        print("| " + " | ".join(cells) + " |")
print()
print("Each cell: edgeseq / whisper.cpp (median over rounds); ratio = edgeseq / whisper.cpp, below 1 = edgeseq "
      "faster or smaller. Decode ms/token: the steps after the encoder, over the whole vocabulary's logits. "
      "RSS anon + file: resident anonymous memory (heap, workspace, weights read or widened into memory) and "
      "file-backed pages "
      "(the mapped model, code) at the end of the run.")
bad = set()
for r in rows:
    if r["precision"] == "f32" and r["runtime"] == "edgeseq":
        for o in rows:
            if (o["round"], o["model"], o["threads"], o["precision"], o["runtime"]) == (
                    r["round"], r["model"], r["threads"], "f32", "whisper.cpp") and o["first_tokens"] != r["first_tokens"]:
                bad.add((r["model"], r["first_tokens"], o["first_tokens"]))
if bad:
    for m, a, b in sorted(bad):
        print(f"f32 first greedy tokens differ on whisper-{m}: edgeseq {a}, whisper.cpp {b}")
else:
    print("Same model on both sides: the f32 runs' first 8 greedy tokens agree for every model.")
EOF
}

if [ -n "${TABLE:-}" ]; then
  [ -f "$TABLE" ] && [ -f "$TABLE.head" ] || { echo "peer_whisper_cpp: no $TABLE or $TABLE.head" >&2; exit 2; }
  table "$TABLE"
  echo
  echo "Made by: $CMD (the table of an earlier run's $TABLE)"
  exit 0
fi

# ---- prerequisites ---------------------------------------------------------
for f in "$B/benchmarks/whisper_peer_bench" "$B/tools/edgeseq-convert"; do
  if [ ! -x "$f" ]; then
    echo "peer_whisper_cpp: no $f. Build edgeseq first:" >&2
    echo "  scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DEDGESEQ_BUILD_BENCHMARKS=ON" >&2
    exit 2
  fi
done
for f in jfk.flac multilingual.tiktoken gpt2.tiktoken mel_filters.npz; do
  [ -f "$TD/$f" ] || { echo "peer_whisper_cpp: no $TD/$f (set SHARED)" >&2; exit 2; }
done
for t in cmake ninja g++ git; do
  command -v $t > /dev/null || { echo "peer_whisper_cpp: needs $t" >&2; exit 2; }
done

# ---- 1. whisper.cpp ------------------------------------------------------------
mkdir -p "$PEERS"
if [ ! -f "$W/CMakeLists.txt" ]; then
  mkdir -p "$W"
  if git --git-dir="$SRC" rev-parse --verify -q HEAD > /dev/null 2>&1 && [ ! -f "$SRC/CMakeLists.txt" ]; then
    log "extracting $(git --git-dir="$SRC" rev-parse HEAD) from $SRC"
    git --git-dir="$SRC" archive HEAD | tar -x -C "$W"
    git --git-dir="$SRC" log -1 --format='%H %cs %s' HEAD > "$W/EDGESEQ_PEER_COMMIT"
  elif [ -f "$SRC/CMakeLists.txt" ] && [ -f "$SRC/include/whisper.h" ]; then
    log "copying $SRC"
    cp -a "$SRC/." "$W/"
    (git -C "$SRC" log -1 --format='%H %cs %s' HEAD 2>/dev/null || echo "unknown (a source tree without git)") \
      > "$W/EDGESEQ_PEER_COMMIT"
  else
    echo "peer_whisper_cpp: $SRC is neither a whisper.cpp source tree nor a git repository" >&2
    exit 2
  fi
fi
WCOMMIT="$(cat "$W/EDGESEQ_PEER_COMMIT" 2>/dev/null || echo unknown)"
if [ ! -x "$WB/bin/whisper-quantize" ] || [ ! -f "$WB/examples/libcommon.a" ]; then
  log "building whisper.cpp in $WB (-j$JOBS)"
  # GGML_NATIVE: tuned for this CPU, as whisper.cpp's own build does by
  # default (edgeseq dispatches at run time through Highway and oneDNN).
  nice -n 5 cmake -S "$W" -B "$WB" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF -DWHISPER_CURL=OFF \
    -DWHISPER_SDL2=OFF -DWHISPER_COMMON_FFMPEG=OFF > "$PEERS/whisper.cpp-cmake.log" 2>&1 ||
    { tail -20 "$PEERS/whisper.cpp-cmake.log" >&2; exit 1; }
  nice -n 5 ninja -C "$WB" -j"$JOBS" whisper-quantize whisper-cli whisper-bench common > "$PEERS/whisper.cpp-build.log" 2>&1 ||
    { tail -20 "$PEERS/whisper.cpp-build.log" >&2; exit 1; }
fi
HARNESS="$WB/bin/peer_whisper_cpp_bench"
if [ ! -x "$HARNESS" ] || [ benchmarks/peer_whisper_cpp_bench.cpp -nt "$HARNESS" ]; then
  log "building $HARNESS"
  nice -n 5 g++ -O2 -std=c++17 -I"$W/include" -I"$W/ggml/include" -I"$W/examples" \
    benchmarks/peer_whisper_cpp_bench.cpp -o "$HARNESS" "$WB/examples/libcommon.a" "$WB/src/libwhisper.a" \
    "$WB/ggml/src/libggml.a" "$WB/ggml/src/libggml-cpu.a" "$WB/ggml/src/libggml-base.a" -fopenmp -lpthread -ldl -lm
fi

# ---- 2. the models -------------------------------------------------------------
/usr/bin/python3 benchmarks/peer_whisper_models.py "$M" "$TD"
for m in $MODELS; do
  case $m in tiny|base) ;; *) echo "peer_whisper_cpp: MODELS are tiny and/or base" >&2; exit 2 ;; esac
  g="$M/ggml-$m"
  mkdir -p "$g"
  if [ ! -f "$g/ggml-model.bin" ]; then
    log "whisper.cpp f16 model: $g/ggml-model.bin"
    /usr/bin/python3 "$W/models/convert-pt-to-ggml.py" "$M/whisper-$m.pt" "$M/whisper-assets" "$g" > "$g/convert.log" 2>&1
  fi
  if [ ! -f "$g/ggml-model-f32.bin" ]; then
    log "whisper.cpp f32 model: $g/ggml-model-f32.bin"
    /usr/bin/python3 "$W/models/convert-pt-to-ggml.py" "$M/whisper-$m.pt" "$M/whisper-assets" "$g" use-f32 \
      > "$g/convert-f32.log" 2>&1
  fi
  if [ ! -f "$g/ggml-model-q8_0.bin" ]; then
    log "whisper.cpp Q8_0 model: $g/ggml-model-q8_0.bin"
    "$WB/bin/whisper-quantize" "$g/ggml-model.bin" "$g/ggml-model-q8_0.bin" q8_0 > "$g/quantize.log" 2>&1
  fi
  for q in int8 f16 f32; do
    if [ ! -f "$M/whisper-$m-$q.esq" ]; then
      log "edgeseq $q model: $M/whisper-$m-$q.esq"
      "$B/tools/edgeseq-convert" "$M/whisper-$m.pt" -o "$M/whisper-$m-$q.esq" --quantize $q \
        --tgt-tokenizer "tiktoken:$TD/multilingual.tiktoken" -q
    fi
  done
done

# ---- 3. the measurement ----------------------------------------------------------
RES="$M/results.tsv"
printf 'round\tmodel\tthreads\truntime\tprecision\tmel_ms\tenc_ms\tdec_ms_per_token\ttotal_ms\tpeak_rss_mb\tanon_mb\tfile_mb\tfirst_tokens\n' > "$RES"
CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
ISA="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|fma|f16c|avx512f|avx512bw|avx512_vnni|avx_vnni|amx_int8' | tr '\n' ' ')"
{
  echo "edgeseq $(git -C "$REPO" rev-parse --short HEAD) vs whisper.cpp $WCOMMIT, started $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "CPU: $CPU, $(scripts/cores.sh) CPUs; ISA: $ISA"
  echo "rounds $ROUNDS x (median of $REPS after one warm-up); encoder on one 30-s window of jfk.flac, $STEPS decoder steps"
  echo "load average (1/5/15 min) before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RES.head"
# one ROUND MODEL THREADS RUNTIME PRECISION: a fresh process; appends a row.
one() {
  local r=$1 m=$2 t=$3 rt=$4 p=$5 out err
  err="$(mktemp)"
  if [ "$rt" = edgeseq ]; then
    out="$(OMP_NUM_THREADS=$t "$B/benchmarks/whisper_peer_bench" "$M/whisper-$m-$p.esq" "$AUDIO" "$t" "$REPS" "$STEPS" 2> "$err")"
  else
    local f=ggml-model.bin
    [ "$p" = f32 ] && f=ggml-model-f32.bin
    [ "$p" = q8_0 ] && f=ggml-model-q8_0.bin
    out="$(OMP_NUM_THREADS=$t "$HARNESS" "$M/ggml-$m/$f" "$AUDIO" "$t" "$REPS" "$STEPS" 2> "$err")"
  fi
  local toks
  toks="$(sed -n 's/^first tokens: *//p' "$err" | tr ' ' ,)"
  rm -f "$err"
  # "mel_ms X enc_ms X ... file_mb X" -> the values
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$m" "$t" "$rt" "$p" \
    "$(echo "$out" | awk '{print $2"\t"$4"\t"$6"\t"$8"\t"$10"\t"$12"\t"$14}')" "$toks" >> "$RES"
  log "round $r $m t=$t $rt $p: $out"
}
for r in $(seq 1 "$ROUNDS"); do
  for m in $MODELS; do
    for t in $THREADS; do
      if [ $((r % 2)) = 1 ]; then
        for p in int8:q8_0 f16:f16 f32:f32; do
          one "$r" "$m" "$t" edgeseq "${p%%:*}"; one "$r" "$m" "$t" whisper.cpp "${p##*:}"
        done
      else
        for p in f32:f32 f16:f16 int8:q8_0; do
          one "$r" "$m" "$t" whisper.cpp "${p##*:}"; one "$r" "$m" "$t" edgeseq "${p%%:*}"
        done
      fi
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg), finished $(date -u '+%H:%M UTC')" >> "$RES.head"

table "$RES"
echo
echo "Made by: $CMD"

