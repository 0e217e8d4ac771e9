#!/usr/bin/env bash
# Trains the default G2P model from scratch on a GPU machine in a fixed time,
# as the device tool's `run` (a bare machine with PyTorch and no network), and
# writes each recipe's result to $OUT. The recipe is train.py's, unchanged
# (same schedule, batches and seed; --device cuda only moves the tensors), so
# the CPU can reproduce it: the same command without --device, ~7 min an epoch
# at 2 threads instead of seconds.
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
# Each recipe runs as its own process (the model is small: one process leaves
# the GPU mostly idle), for at most MINUTES, and then, finished or not, has
# its kept epochs averaged. $OUT gets NAME.pth (f16 state dict, the tutorial
# layout: copy it to examples/g2p/g2p.pth to release) and NAME.log (every
# epoch's dev WER, the final choice). letters.txt and phones.txt come from
# the dictionary and do not change.
set -euo pipefail
cd "$(dirname "$0")"
out="${OUT:?OUT: the folder to write the results to}"
dict="${G2P_DICT:-../../.g2pdata/cmudict-0.4.out}"
[ -f "$dict" ] || dict=/usr/share/festival/dicts/cmu/cmudict-0.4.out
[ -f "$dict" ] || { echo "train_device.sh: no cmudict-0.4.out (see the setup lines at the top)" >&2; exit 2; }
py=python3
[ -x /usr/bin/python3 ] && ! python3 -c 'import torch' 2>/dev/null && py=/usr/bin/python3

extra=(--device cuda)
minutes=8
if [ "${1:-}" = --smoke ]; then
  extra=(--device cpu --epoch-steps 3 --dev-limit 50 --threads 1)
  minutes=5
  set -- smoke:0.2:2
elif [ $# -gt 0 ]; then
  minutes="$1"
  shift
fi
[ $# -gt 0 ] || set -- d2:0.2:40 d3:0.3:40
mkdir -p "$out"
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'

pids=()
for recipe in "$@"; do
  IFS=: read -r name dropout epochs <<< "$recipe"
  work="/tmp/g2p-$name"
  (
    "$py" train.py --size base --schedule cosine --dropout "$dropout" --epochs "$epochs" --minutes "$minutes" \
      --dict "$dict" --work "$work" "${extra[@]}"
    # Stopped by the clock before the last epoch: average what was kept.
    grep -q '^done:' "$out/$name.log" ||
      "$py" train.py --size base --dict "$dict" --work "$work" "${extra[@]}" --average-only
    cp "$work/release/g2p.pth" "$out/$name.pth"
  ) > "$out/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for recipe in "$@"; do
  name="${recipe%%:*}"
  echo "== $name"
  grep -E "^\{'epoch'|dev WER|wrote|done:|Error|error" "$out/$name.log" | tail -n 12 || true
done
ls -l "$out"
exit "$status"
