#!/usr/bin/env bash
# The main job: build, convert the embedded grapheme-to-phoneme model
# (examples/g2p/g2p.pth, a PyTorch state dict) to int8 with edgeseq-convert,
# and print the pronunciations of a few words with the time taken. A word
# the model cannot read (a digit, an accented letter: it knows a-z only) gets
# an empty line and a warning naming the character.
#   scripts/main.sh [WORD...]
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# Only what the main job runs (the CLI, the converter, the self-check), on
# every core, with ninja's progress; the tests and benchmarks are the test
# command's (scripts/test.sh turns them back on in the same folder).
echo "== Building the edgeseq CLI, edgeseq-convert and edgeseq-selfcheck"
EDGESEQ_TARGETS="edgeseq_cli edgeseq-convert edgeseq-selfcheck" scripts/build.sh build -DCMAKE_BUILD_TYPE=Release \
  -DEDGESEQ_BUILD_TESTS=OFF -DEDGESEQ_BUILD_BENCHMARKS=OFF
echo
build/tools/edgeseq-selfcheck | sed -n '1,7p'
echo
build/tools/edgeseq-convert examples/g2p/g2p.pth -o build/g2p.esq --config examples/g2p/convert.toml \
  --quantize int8 --src-vocab examples/g2p/letters.txt --tgt-vocab examples/g2p/phones.txt -q
echo "converted examples/g2p/g2p.pth -> build/g2p.esq ($(stat -c %s build/g2p.esq) bytes, int8)"
if [ $# -gt 0 ]; then words="$*"; else words="hello world edge device speech synthesis pronunciation don't"; fi
echo "$words" | tr ' ' '\n' > build/g2p-words.txt
build/tools/edgeseq generate -m build/g2p.esq --max-len 32 --beam 4 --skip-bad --stats < build/g2p-words.txt > build/g2p-out.txt \
  2> build/g2p-stats.txt
paste build/g2p-words.txt build/g2p-out.txt
cat build/g2p-stats.txt
