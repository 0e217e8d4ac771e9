#!/usr/bin/env bash
# edgeseq against CTranslate2 4.8.1 (the runtime our users would otherwise
# pick), side by side in one run, int8 only, on the bench-base and bench-tiny
# models made from the same PyTorch weights. Prints a markdown table: edgeseq
# ms, CT2 ms, the ratio edgeseq / CT2 and the goal for each row, headed by the
# date, the git revision, the CPU model and the ISA it has (AVX2, AVX-512,
# VNNI), so that ratios from different machines are never mixed up.
#
# Rows (each edgeseq case runs right before its CT2 case, so that both see
# the same machine weather):
#   - greedy, exactly 24 tokens, batch 1 (workload a) and batch 16 (b), and
#     the encoder alone over 16 x 24 tokens (c16); 1 thread. edgeseq:
#     benchmarks/e2e_bench (median of REPS repetitions); CT2:
#     $SHARED/peers/bench_ct2.py (median of 2 x REPS calls after 3 warm-ups).
#   - beam 4, batch 1, exactly 24 tokens, 1 thread. CT2: bench_ct2.py
#     workload d. edgeseq: the whole `edgeseq generate --ids --beam 4` process
#     (start, model load and its first and only call) on the same source ids
#     as CT2 (refs-<model>.json, key "1"), median of REPS runs after one
#     untimed run (page cache); the CLI's own generate-only time is shown too.
#   - bench-base greedy batch 1 with 2 threads, on the machine as it is
#     (quiet, if nothing else runs) and again next to one busy process that
#     this script starts and stops. Each also shows edgeseq's 1-thread time
#     measured in the same conditions: 2 threads must never be slower.
#   - peak RSS: the edgeseq CLI decoding one sentence of bench-base int8
#     (/usr/bin/time -f %M) against CT2's ru_maxrss for workload a (a whole
#     Python process: interpreter + ctranslate2 module + model).
#   - FAMILIES=1 (or only): a second table on two Hugging Face family models
#     with random weights, marian-base (OPUS-MT base shape) and t5-small,
#     made by benchmarks/family_bench.py as checkpoint directories, converted
#     with `edgeseq-convert DIR --quantize int8` (and f32; and int8 with
#     `--embeddings int8`, which makes the tied output projection int8 as
#     CT2's), and built for CT2
#     from the same arrays with its spec API: greedy and beam 4, batch 1 and
#     16, exactly 24 tokens, 1 thread, int8 (CT2 quantizes at load). edgeseq:
#     benchmarks/e2e_bench (BM_Greedy24, BM_Beam24); CT2: family_bench.py
#     time (as bench_ct2.py). First an equivalence check in f32: greedy
#     outputs of both on 64 seeded sources (ending with EOS), and the
#     teacher-forced per-token log-probabilities of a seeded random target
#     for each under both.
# CT2 is built without MKL and so allocates with glibc malloc; as in
# $SHARED/peers/side_by_side.sh each CT2 case takes the better of the default
# and GLIBC_TUNABLES with a large mmap threshold. Every process gets
# OMP_NUM_THREADS set to its thread count. Progress goes to stderr, the table
# to stdout. About 5 minutes on 2 cores; compare ratios from one run on a
# quiet machine.
#
#   scripts/bench_peers.sh [BUILD_DIR]
#     BUILD_DIR (default build, relative to the checkout or absolute): a
#     Release build with the benchmarks, already built:
#       scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DEDGESEQ_BUILD_BENCHMARKS=ON
# Environment:
#   PEERS   where $SHARED/peers/build_ct2.sh installed CTranslate2 and made
#           its models (default /tmp/edgeseq-peers)
#   SHARED  the shared folder holding peers/ (default <checkout>/../shared)
#   OUT     edgeseq's bench models (default out/bench); made here as
#           scripts/bench_e2e.sh makes them if absent (needs python3-torch)
#   REPS    repetitions per case (default 5)
#   QUICK=1 a smoke test: bench-tiny only (the 2-thread and RSS rows, which
#           are bench-base rows, run on bench-tiny instead)
#   FAMILIES 0 (default): the bench-base / bench-tiny table only; 1: and the
#           Hugging Face family table after it; only: the family table alone.
#           Its models: $OUT/<name>-hf, $OUT/<name>-{int8,int8-emb8,f32}.esq and
#           $PEERS/models/<name>-ct2 (made here when absent; ~1.5 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# The command as given (the knobs the caller set), for the last line.
CMD=""
for v in PEERS SHARED OUT REPS QUICK FAMILIES; do [ -n "${!v:-}" ] && CMD+="$v=${!v} "; done
CMD+="scripts/bench_peers.sh${1:+ $1}"
B="${1:-build}"
PEERS="${PEERS:-/tmp/edgeseq-peers}"
SHARED="${SHARED:-$REPO/../shared}"
OUT="${OUT:-out/bench}"
REPS="${REPS:-5}"
QUICK="${QUICK:-0}"
FAMILIES="${FAMILIES:-0}"
case $FAMILIES in 0|1|only) ;; *) echo "bench_peers: FAMILIES is 0, 1 or only" >&2; exit 2 ;; esac
FAM_MODELS="marian-base t5-small"
FB=benchmarks/family_bench.py
SHARED="$(cd "$SHARED" 2>/dev/null && pwd || echo "$SHARED")"
H="$SHARED/peers"

log() { echo "[bench_peers] $*" >&2; }

# ---- prerequisites ---------------------------------------------------------
if [ ! -x "$B/benchmarks/e2e_bench" ] || [ ! -x "$B/tools/edgeseq" ]; then
  echo "bench_peers: no $B/benchmarks/e2e_bench (or $B/tools/edgeseq). Build it first:" >&2
  echo "  scripts/build.sh $B -DCMAKE_BUILD_TYPE=Release -DEDGESEQ_BUILD_BENCHMARKS=ON" >&2
  exit 2
fi
if [ ! -d "$PEERS/ct2install/lib" ] || [ ! -d "$PEERS/models" ] || [ ! -d "$PEERS/ct2src/python" ]; then
  echo "bench_peers: CTranslate2 is not installed in PEERS=$PEERS (no ct2install/lib, ct2src/python or models)." >&2
  echo "Build it there (~8 min on 2 cores), MIRROR being a folder of bare git mirrors OWNER+NAME/repo of" >&2
  echo "OpenNMT/CTranslate2, gabime/spdlog and google/cpu_features:" >&2
  echo "  MIRROR=${MIRROR:-DIR} PEERS=$PEERS $H/build_ct2.sh" >&2
  exit 2
fi
if [ ! -f "$H/bench_ct2.py" ]; then
  echo "bench_peers: no $H/bench_ct2.py (set SHARED to the folder holding peers/)" >&2
  exit 2
fi
[ -x /usr/bin/time ] || { echo "bench_peers: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

# edgeseq's bench models, made as scripts/bench_e2e.sh makes them (int8 only here).
if [ ! -f "$OUT/bench-base.pth" ] || [ ! -f "$OUT/bench-tiny.pth" ] || [ ! -f "$OUT/inputs.txt" ]; then
  log "making the bench models in $OUT (python3-torch)"
  /usr/bin/python3 benchmarks/make_bench_models.py "$OUT" >&2
fi
for m in base tiny; do
  heads=8; [ "$m" = tiny ] && heads=4
  [ -f "$OUT/bench-$m-int8.esq" ] || "$B/tools/edgeseq-convert" "$OUT/bench-$m.pth" -o "$OUT/bench-$m-int8.esq" \
    --heads "$heads" --quantize int8 -q
done
OUT_ABS="$(cd "$OUT" && pwd)"

# ---- the busy neighbour, and its cleanup on any exit ------------------------
BUSY=""
stop_busy() {
  if [ -n "$BUSY" ]; then
    kill "$BUSY" 2>/dev/null || true
    wait "$BUSY" 2>/dev/null || true
    BUSY=""
  fi
}
trap stop_busy EXIT
trap 'stop_busy; exit 130' INT
trap 'stop_busy; exit 143' TERM
start_busy() {
  # `nice` execs sh, so $! is the looping process itself: kill exactly that PID.
  nice -n 0 sh -c 'while :; do :; done' &
  BUSY=$!
  sleep 1  # let it settle on a core (and show in /proc/loadavg)
}

# ---- measurement helpers (each prints a number, or n/a) ---------------------
export PEERS PYTHONPATH="$PEERS/ct2src/python" LD_LIBRARY_PATH="$PEERS/ct2install/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
TUNED=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824

# The family models: checkpoint directories, their edgeseq conversions and CT2 models.
if [ "$FAMILIES" != 0 ]; then
  log "family models in $OUT and $PEERS/models (benchmarks/family_bench.py)"
  /usr/bin/python3 "$FB" hf "$OUT" >&2
  for m in $FAM_MODELS; do
    for q in int8 f32; do
      [ -f "$OUT/$m-$q.esq" ] || "$B/tools/edgeseq-convert" "$OUT/$m-hf" -o "$OUT/$m-$q.esq" --quantize "$q" -q >&2
    done
    [ -f "$OUT/$m-int8-emb8.esq" ] || "$B/tools/edgeseq-convert" "$OUT/$m-hf" -o "$OUT/$m-int8-emb8.esq" \
      --quantize int8 --embeddings int8 -q >&2
  done
  /usr/bin/python3 "$FB" ct2 "$OUT" "$PEERS/models" >&2
fi

# ct2one MODEL THREADS WORKLOAD -> "ms_median maxrss_mb" (int8). The family
# models are timed by family_bench.py, the same way.
ct2one() {
  local timer=("$H/bench_ct2.py")
  case " $FAM_MODELS " in *" $1 "*) timer=("$FB" time "$PEERS/models") ;; esac
  OMP_NUM_THREADS=$2 FAMILY_INPUTS="$OUT_ABS/inputs.txt" /usr/bin/python3 "${timer[@]}" "$1" int8 "$2" "$3" \
    "$((2 * REPS))" 2>/dev/null |
    /usr/bin/python3 -c "import json,sys
try: d=json.load(sys.stdin); print('%.1f %.1f'%(d['ms_median'],d['maxrss_mb']))
except Exception: print('n/a n/a')"
}
# ct2 MODEL THREADS WORKLOAD -> "best_ms lower_maxrss_mb": the better of glibc's default malloc and $TUNED.
ct2() {
  local a b
  a=$(ct2one "$@"); b=$(GLIBC_TUNABLES=$TUNED ct2one "$@")
  echo "$a $b" | awk 'function lo(x,y){ if(x=="n/a") return y; if(y=="n/a") return x; return (x+0<y+0)?x:y }
    { print lo($1,$3), lo($2,$4) }'
}
# es BM MODELIDX BATCH THREADS -> median ms of benchmarks/e2e_bench (MODELIDX 0 = bench-base-int8, 2 = bench-tiny-int8)
es() {
  OMP_NUM_THREADS=$4 EDGESEQ_BENCH_DIR=$OUT_ABS "$B/benchmarks/e2e_bench" \
    --benchmark_filter="^$1/model:$2/batch:$3/threads:$4/" --benchmark_repetitions="$REPS" \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null |
    /usr/bin/python3 -c "import json,sys
try:
  d=json.load(sys.stdin); print('%.1f'%[b['real_time'] for b in d['benchmarks'] if b.get('aggregate_name')=='median' and not b.get('error_occurred')][0])
except Exception: print('n/a')"
}
# The source ids of CT2's batch-1 workloads, as one line for `edgeseq generate --ids`.
src1() {
  /usr/bin/python3 -c "import json,sys;print(' '.join(map(str,json.load(open(sys.argv[1]))['1']['src'][0])))" \
    "$PEERS/models/refs-$1.json"
}
# cli_beam MODEL -> "median_whole_process_ms median_generate_only_ms": edgeseq generate, beam 4, exactly 24 tokens.
cli_beam() {
  local src t0 t1 i whole="" gen="" st
  src=$(src1 "$1")
  st=$(mktemp)
  run() { echo "$src" | OMP_NUM_THREADS=1 "$B/tools/edgeseq" generate -m "$OUT/$1-int8.esq" --ids --beam 4 \
    --min-len 24 --max-len 24 --threads 1 --stats >/dev/null 2>"$st"; }
  run "$1" || { rm -f "$st"; echo "n/a n/a"; return; }  # untimed: page cache
  for ((i = 0; i < REPS; i++)); do
    t0=$(date +%s%N); run "$1"; t1=$(date +%s%N)
    whole+="$(( (t1 - t0) / 1000 )) "
    gen+="$(sed -n 's/.* tokens in \([0-9.]*\) ms.*/\1/p' "$st") "
  done
  rm -f "$st"
  echo "$whole" "|" "$gen" | /usr/bin/python3 -c "import sys,statistics as s
w,g=sys.stdin.read().split('|'); w=[float(x)/1000 for x in w.split()]; g=[float(x) for x in g.split()]
print('%.1f %s'%(s.median(w), '%.1f'%s.median(g) if g else 'n/a'))"
}
# cli_rss MODEL -> peak RSS in MB of `edgeseq generate` decoding one sentence (greedy, 24 tokens, 1 thread).
cli_rss() {
  local kb
  kb=$(src1 "$1" | OMP_NUM_THREADS=1 /usr/bin/time -f %M "$B/tools/edgeseq" generate -m "$OUT/$1-int8.esq" --ids \
    --min-len 24 --max-len 24 --threads 1 2>&1 >/dev/null | tail -n 1)
  case $kb in ''|*[!0-9]*) echo n/a ;; *) awk -v k="$kb" 'BEGIN{printf "%.1f", k/1024}' ;; esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="n/a" || b=="n/a" || b+0==0) print "n/a"; else printf "%.2f", a/b }'; }
# met RATIO GOAL(number) -> yes / no / blank
met() { awk -v r="$1" -v g="$2" 'BEGIN{ if (g=="" || r=="n/a") print ""; else print (r+0<=g+0)?"yes":"no" }'; }
# row MODEL WORKLOAD EDGESEQ_MS CT2_MS GOAL MET
row() { echo "| $1 | $2 | $3 | $4 | $(ratio "$3" "$4") | $5 | $6 |"; }

# ---- header ----------------------------------------------------------------
flags=$(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2 || true)
isa=""
for f in avx2 avx512f avx512_vnni avx_vnni; do
  if grep -qw "$f" <<<"$flags"; then isa+="$f "; else isa+="no-$f "; fi
done
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || rev+=" (+ uncommitted changes)"
echo "## edgeseq vs CTranslate2 4.8.1, int8"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- edgeseq: git $rev, build \`$B\`"
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
echo "- ISA: ${isa% }"
echo "- cores: $(scripts/cores.sh) (nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- repetitions: edgeseq $REPS, CT2 $((2 * REPS)) calls; CT2 takes the better of glibc malloc's default and a 32 MB mmap threshold"
echo "- edgeseq's view (\`$B/tools/edgeseq-selfcheck\`):"
echo
"$B/tools/edgeseq-selfcheck" 2>&1 | sed -n 1,8p | sed 's/^/        /' || true
echo

# ---- rows ------------------------------------------------------------------
MODELS="base tiny"; [ "$QUICK" = 1 ] && MODELS=tiny
if [ "$FAMILIES" != only ]; then
echo "| model | workload | edgeseq ms | CT2 ms | edgeseq / CT2 | goal | met |"
echo "|---|---|---:|---:|---:|---|---|"
for m in $MODELS; do
  mi=0; [ "$m" = tiny ] && mi=2
  for wl in a b c16; do
    case $wl in
      a) bm=BM_Greedy24; bs=1; what="greedy 24 tokens, batch 1, 1 thread"; goal=0.4 ;;
      b) bm=BM_Greedy24; bs=16; what="greedy 24 tokens, batch 16, 1 thread"; goal=0.6 ;;
      c16) bm=BM_Encoder; bs=16; what="encoder only, 16 × 24, 1 thread"; goal=0.7 ;;
    esac
    # the issue's goals for bench-tiny: greedy batch 1 and batch 16 (none for its encoder)
    [ "$m" = tiny ] && [ "$wl" = c16 ] && goal=""
    log "bench-$m $wl"
    e=$(es "$bm" "$mi" "$bs" 1); read -r c crss < <(ct2 "bench-$m" 1 "$wl")
    [ "$wl" = a ] && { declare "ct2rss_$m=$crss"; }
    row "bench-$m" "$what" "$e" "$c" "${goal:+≤ $goal}" "$(met "$(ratio "$e" "$c")" "$goal")"
  done
  log "bench-$m beam 4"
  goal=0.6; [ "$m" = tiny ] && goal=""
  read -r e egen < <(cli_beam "bench-$m"); read -r c _ < <(ct2 "bench-$m" 1 d)
  row "bench-$m" "beam 4, 24 tokens, batch 1, 1 thread (edgeseq: whole \`edgeseq generate\` process incl. start, load and first call; generate alone $egen ms)" \
    "$e" "$c" "${goal:+≤ $goal}" "$(met "$(ratio "$e" "$c")" "$goal")"
done

# 2 threads on bench-base (bench-tiny when QUICK), greedy batch 1: quiet, then next to one busy process.
m=base; mi=0; [ "$QUICK" = 1 ] && { m=tiny; mi=2; }
for cond in quiet busy; do
  if [ "$cond" = busy ]; then
    start_busy
    log "bench-$m a, 2 threads, next to a busy process (pid $BUSY)"
    desc="one other busy process"
  else
    log "bench-$m a, 2 threads, quiet"
    desc="quiet machine (nothing started by this script; load average $(cut -d' ' -f1 /proc/loadavg))"
  fi
  e2=$(es BM_Greedy24 "$mi" 1 2); read -r c2 _ < <(ct2 "bench-$m" 2 a); e1=$(es BM_Greedy24 "$mi" 1 1)
  [ "$cond" = busy ] && stop_busy
  ok=$(awk -v a="$e2" -v b="$e1" 'BEGIN{ if (a=="n/a" || b=="n/a") print ""; else print (a+0<=b+0)?"yes":"no" }')
  row "bench-$m" "greedy 24 tokens, batch 1, **2 threads**, $desc (edgeseq 1 thread, same conditions: $e1 ms)" \
    "$e2" "$c2" "≤ our 1 thread ($e1 ms)" "$ok"
done

# Peak RSS: the edgeseq CLI on one sentence vs CT2's whole Python process for workload a.
log "bench-$m peak RSS"
r=$(cli_rss "bench-$m"); v="ct2rss_$m"
echo "| bench-$m | peak RSS MB, greedy batch 1, 1 thread (edgeseq: \`edgeseq generate\` on one sentence, /usr/bin/time %M; CT2: ru_maxrss of bench_ct2.py, a Python process, lower of its two malloc settings) | $r | ${!v:-n/a} | $(ratio "$r" "${!v:-n/a}") | | |"
fi  # FAMILIES != only

# ---- the Hugging Face family models ------------------------------------------
if [ "$FAMILIES" != 0 ]; then
  echo
  echo "### Hugging Face family models (random weights; benchmarks/family_bench.py)"
  echo
  echo "Equivalence, f32 on both sides, 1 thread: greedy (exactly 24 tokens) on 64 seeded sources ending with EOS, and the per-token log-probabilities of a seeded random 24-token target (+ EOS) for each, teacher-forced:"
  echo
  echo "| model | greedy outputs identical | first tokens identical | mean common prefix (tokens) | max \\|Δ log p\\| per token, teacher-forced |"
  echo "|---|---:|---:|---:|---:|"
  tmp=$(mktemp -d)
  for m in $FAM_MODELS; do
    log "$m equivalence (f32)"
    /usr/bin/python3 "$FB" sources "$m" 64 >"$tmp/pairs"
    cut -f1 "$tmp/pairs" | OMP_NUM_THREADS=1 "$B/tools/edgeseq" generate -m "$OUT/$m-f32.esq" --ids --min-len 24 \
      --max-len 24 --threads 1 >"$tmp/es" 2>/dev/null || : >"$tmp/es"
    OMP_NUM_THREADS=1 /usr/bin/python3 "$FB" greedy "$PEERS/models" "$m" "$tmp/pairs" >"$tmp/ct2" 2>/dev/null || : >"$tmp/ct2"
    OMP_NUM_THREADS=1 "$B/tools/edgeseq" score -m "$OUT/$m-f32.esq" --ids --tokens --threads 1 <"$tmp/pairs" \
      >"$tmp/es_lp" 2>/dev/null || : >"$tmp/es_lp"
    OMP_NUM_THREADS=1 /usr/bin/python3 "$FB" score "$PEERS/models" "$m" "$tmp/pairs" >"$tmp/ct2_lp" 2>/dev/null || : >"$tmp/ct2_lp"
    echo "| $m | $(/usr/bin/python3 "$FB" compare "$tmp/es" "$tmp/ct2" "$tmp/es_lp" "$tmp/ct2_lp") |"
  done
  rm -rf "$tmp"
  echo
  echo "int8 on both sides, exactly 24 tokens, 1 thread. edgeseq: \`edgeseq-convert DIR --quantize int8\` (its defaults: f16 embeddings, so the tied output projection multiplies the f16 table in f32), and the same with \`--embeddings int8\` (the tied projection int8 too); CT2: compute_type int8 (embeddings and projection int8):"
  echo
  echo "| model | workload | edgeseq ms | edgeseq ms, --embeddings int8 | CT2 ms | edgeseq / CT2 | edgeseq --embeddings int8 / CT2 |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for m in $FAM_MODELS; do
    mi=4; mi8=8; [ "$m" = t5-small ] && { mi=6; mi8=9; }  # benchmarks/e2e_bench's kModels
    for wl in a b d e; do
      case $wl in
        a) bm=BM_Greedy24; bs=1; what="greedy, batch 1" ;;
        b) bm=BM_Greedy24; bs=16; what="greedy, batch 16" ;;
        d) bm=BM_Beam24; bs=1; what="beam 4, batch 1" ;;
        e) bm=BM_Beam24; bs=16; what="beam 4, batch 16" ;;
      esac
      log "$m $wl"
      e=$(es "$bm" "$mi" "$bs" 1); e8=$(es "$bm" "$mi8" "$bs" 1); read -r c _ < <(ct2 "$m" 1 "$wl")
      echo "| $m | $what | $e | $e8 | $c | $(ratio "$e" "$c") | $(ratio "$e8" "$c") |"
    done
  done
fi
echo
echo "Paste the table above into docs/PERFORMANCE.md together with the command that made it: \`$CMD\`"
