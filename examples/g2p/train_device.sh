#!/usr/bin/env bash
# Trains the default G2P model from scratch on a GPU machine in a fixed time,
# as the device tool's `run` (a bare machine with PyTorch and no network), and
# writes each recipe's result to $OUT. The recipe is train.py's, unchanged
# (same schedule, batches and seed; --device cuda only moves the tensors), so
# the CPU can reproduce it (the train.py command below), in hours instead of
# minutes.
#
# Here, once (the dictionary travels in an ignored folder named in `carry`):
#   echo /.g2pdata/ >> .git/info/exclude
#   mkdir -p .g2pdata && cp /usr/share/festival/dicts/cmu/cmudict-0.4.out .g2pdata/
# Try it on the CPU for a few steps first (OUT is a scratch folder here):
#   OUT=/tmp/g2p-out examples/g2p/train_device.sh --smoke
# Then: run(command="examples/g2p/train_device.sh 8", carry=[".g2pdata"], timeout_s=600)
#
#   train_device.sh [MINUTES] [NAME:DROPOUT:EPOCHS ...]   (defaults: 8, d2:0.2:40 d3:0.3:40)
#   train_device.sh --smoke                                (CPU, 3 steps an epoch, 2 epochs)
#
# The same recipe on the CPU (about 7 minutes an epoch at 2 threads):
#   examples/g2p/train.py --size base --schedule cosine --dropout 0.2 --epochs 40 --work W
#
# Each recipe runs as its own process (the model is small: one process leaves
# the GPU mostly idle), for at most MINUTES, and then, finished or not, has
# its kept epochs averaged. Its resume state is in /tmp/g2p-train/NAME: run
# again on the same machine and it goes on from there (the summary says
# "resumed"). $OUT gets NAME.pth (f16 state dict, the tutorial layout: copy it
# to examples/g2p/g2p.pth to release) and NAME.log (every epoch's dev WER, the
# final choice). letters.txt and phones.txt come from the dictionary and do
# not change. G2P_DICT names another copy of cmudict-0.4.out.
set -euo pipefail
die() { echo "train_device.sh: $*" >&2; exit 2; }
[ -n "${OUT:-}" ] || die "set OUT to the folder for the results (the device tool sets it)"
mkdir -p "$OUT"
out="$(cd "$OUT" && pwd)"
cd "$(dirname "$0")"
dict="${G2P_DICT:-../../.g2pdata/cmudict-0.4.out}"
[ -f "$dict" ] || dict=/usr/share/festival/dicts/cmu/cmudict-0.4.out
[ -f "$dict" ] || die "no cmudict-0.4.out (see the setup lines at the top)"
py=python3
python3 -c 'import torch' 2>/dev/null || py=/usr/bin/python3

extra=(--device cuda)
minutes=8
work_root=/tmp/g2p-train
if [ "${1:-}" = --smoke ]; then
  [ $# -eq 1 ] || die "--smoke takes no other arguments"
  extra=(--device cpu --epoch-steps 3 --dev-limit 50 --threads 1)
  minutes=5
  work_root="$(mktemp -d)"  # always from scratch
  trap 'rm -rf "$work_root"' EXIT
  set -- smoke:0.2:2
else
  if [ $# -gt 0 ]; then
    [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "MINUTES must be a number, not '$1'"
    minutes="$1"
    shift
  fi
  [ $# -gt 0 ] || set -- d2:0.2:40 d3:0.3:40
fi
for recipe in "$@"; do
  [[ "$recipe" =~ ^[A-Za-z0-9_-]+:[0-9]*[.]?[0-9]+:[0-9]+$ ]] ||
    die "a recipe is NAME:DROPOUT:EPOCHS (e.g. d2:0.2:40), not '$recipe'"
done
[ "${extra[1]}" = cpu ] || "$py" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' ||
  die "PyTorch sees no GPU here (try --smoke on the CPU)"
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'

pids=()
for recipe in "$@"; do
  IFS=: read -r name dropout epochs <<< "$recipe"
  work="$work_root/$name"
  (
    "$py" train.py --size base --schedule cosine --dropout "$dropout" --epochs "$epochs" --minutes "$minutes" \
      --dict "$dict" --work "$work" "${extra[@]}"
    # Stopped by the clock before the last epoch: average what was kept.
    grep -q '^done:' "$out/$name.log" ||
      "$py" train.py --dict "$dict" --work "$work" "${extra[@]}" --average-only
    cp "$work/release/g2p.pth" "$out/$name.pth"
  ) > "$out/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for recipe in "$@"; do
  name="${recipe%%:*}"
  echo "== $name"
  grep -E "^\{'epoch'|resum|stopping|dev WER|wrote|done:|Error|error" "$out/$name.log" | tail -n 14 || true
done
ls -l "$out"
exit "$status"
