#!/usr/bin/env bash
# The default model end to end in text mode: convert the committed G2P
# checkpoint (f32 and int8), pronounce the words of
# tests/fixtures/g2p/expected.tsv through `edgeseq generate` and compare with
# PyTorch's greedy output on the same checkpoint (made by
# tests/fixtures/make_g2p_expected.py); then the conventions the conversion
# records (lowercasing, no source framing, no source unknown id: characters
# outside a-z refused, the rest of the input kept) and what unknown characters
# get when a conversion does give an unknown id.
#   g2p_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$1"; src="$2"
convert="$build/tools/edgeseq-convert"; edgeseq="$build/tools/edgeseq"
g2p="$src/examples/g2p"; expected="$src/tests/fixtures/g2p/expected.tsv"
# EDGESEQ_EMULATOR (set by ctest for cross builds, e.g. "qemu-aarch64 -L
# SYSROOT") runs the target's executables.
run() { ${EDGESEQ_EMULATOR:-} "$@"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
check() {  # check NAME CONDITION...
  if eval "${@:2}"; then passes=$((passes + 1)); else echo "FAILED: $1"; fails=$((fails + 1)); fi
}

digest=$(sha256sum "$g2p/g2p.pth" | cut -d' ' -f1)
if ! head -1 "$expected" | grep -q "$digest"; then
  echo "FAILED: $expected was made from another checkpoint than examples/g2p/g2p.pth;"
  echo "        regenerate it: /usr/bin/python3 tests/fixtures/make_g2p_expected.py"
  exit 1
fi
for q in f32 int8; do
  run "$convert" "$g2p/g2p.pth" -o "$tmp/g2p-$q.esq" --config "$g2p/convert.toml" --quantize "$q" \
    --src-vocab "$g2p/letters.txt" --tgt-vocab "$g2p/phones.txt" -q
  check "convert $q" '[ $? -eq 0 ]'
done
tail -n +2 "$expected" | cut -f1 > "$tmp/words.txt"
run "$edgeseq" generate -m "$tmp/g2p-f32.esq" < "$tmp/words.txt" > "$tmp/f32.txt"
check "f32 generate exits 0" '[ $? -eq 0 ]'
run "$edgeseq" generate -m "$tmp/g2p-int8.esq" < "$tmp/words.txt" > "$tmp/int8.txt"
check "int8 generate exits 0" '[ $? -eq 0 ]'
run "$edgeseq" generate -m "$tmp/g2p-int8.esq" --batch 5 < "$tmp/words.txt" > "$tmp/int8-b5.txt"
check "int8 batch 5 gives the batch-1 answers" 'cmp -s "$tmp/int8.txt" "$tmp/int8-b5.txt"'

# f32 must equal PyTorch wherever PyTorch's own top-two margin is above 1e-3;
# int8 wherever it is above 0.5 (int8 moves these logits by up to a few
# tenths: the margin rule of the parity tests, with int8's tolerance).
n=0; f32_same=0; f32_due=0; int8_same=0; int8_due=0
while IFS=$'\t' read -r word phones margin; do
  n=$((n + 1))
  got32=$(sed -n "${n}p" "$tmp/f32.txt"); got8=$(sed -n "${n}p" "$tmp/int8.txt")
  if awk "BEGIN{exit !($margin > 0.001)}"; then
    f32_due=$((f32_due + 1))
    if [ "$got32" = "$phones" ]; then f32_same=$((f32_same + 1)); else echo "f32 $word: '$got32', PyTorch '$phones'"; fi
  fi
  if awk "BEGIN{exit !($margin > 0.5)}"; then
    int8_due=$((int8_due + 1))
    if [ "$got8" = "$phones" ]; then int8_same=$((int8_same + 1)); else echo "int8 $word: '$got8', PyTorch '$phones'"; fi
  fi
done < <(tail -n +2 "$expected")
echo "f32: $f32_same of $f32_due words as PyTorch; int8: $int8_same of $int8_due (margin > 0.5)"
check "some words are compared" '[ "$n" -ge 10 ] && [ "$int8_due" -ge 5 ]'
check "f32 pronounces as PyTorch" '[ "$f32_same" -eq "$f32_due" ]'
check "int8 pronounces as PyTorch" '[ "$int8_same" -eq "$int8_due" ]'

# A line of several words: one pronunciation per word, joined by " | ".
w1=$(sed -n 1p "$tmp/words.txt"); w2=$(sed -n 2p "$tmp/words.txt")
p1=$(sed -n 1p "$tmp/f32.txt"); p2=$(sed -n 2p "$tmp/f32.txt")
echo "$w1  $w2" | run "$edgeseq" generate -m "$tmp/g2p-f32.esq" > "$tmp/line.txt"
check "words of a line are pronounced one by one" '[ "$(cat "$tmp/line.txt")" = "$p1 | $p2" ]'

# The model was trained on lowercase words (examples/g2p/cmudict.py) and the
# conversion records it: upper case reads as lower case.
printf 'hello\nHello\nHELLO\n' | run "$edgeseq" generate -m "$tmp/g2p-int8.esq" > "$tmp/case.txt" 2> "$tmp/err.txt"
check "upper case is lowercased" '[ $? -eq 0 ] && [ ! -s "$tmp/err.txt" ] && [ "$(sort -u "$tmp/case.txt" | wc -l)" -eq 1 ] && [ -n "$(head -1 "$tmp/case.txt")" ]'

# The conversion records lowercase-join (format 1.5): apostrophes (' and ’)
# and hyphens are removed, so a contraction or a hyphenated compound reads as
# the one word the dictionary has, without warnings.
printf "don't\nDONT\no\xe2\x80\x99clock\noclock\nwell-known\nwellknown\n" |
  run "$edgeseq" generate -m "$tmp/g2p-int8.esq" > "$tmp/join.txt" 2> "$tmp/err.txt"
check "apostrophes and hyphens are joined" '[ $? -eq 0 ] && [ ! -s "$tmp/err.txt" ] && [ "$(wc -l < "$tmp/join.txt")" -eq 6 ] &&
  [ "$(sed -n 1p "$tmp/join.txt")" = "$(sed -n 2p "$tmp/join.txt")" ] &&
  [ "$(sed -n 3p "$tmp/join.txt")" = "$(sed -n 4p "$tmp/join.txt")" ] &&
  [ "$(sed -n 5p "$tmp/join.txt")" = "$(sed -n 6p "$tmp/join.txt")" ] && [ -n "$(sed -n 1p "$tmp/join.txt")" ]'

# Characters outside the vocabulary, as the default model is converted
# (--src-unk -1: training never showed the model an unknown token): the line
# is refused with one clear line naming the input line and the character;
# with --skip-bad the other lines are pronounced and the output stays aligned.
bad() {  # bad INPUT EXPECTED_MESSAGE
  printf '%s\n' "$1" | run "$edgeseq" generate -m "$tmp/g2p-int8.esq" > "$tmp/out.txt" 2> "$tmp/err.txt"
  local rc=$? msg="$2"
  check "'$1' is refused" '[ $rc -eq 1 ] && [ ! -s "$tmp/out.txt" ] && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ]'
  check "'$1' names the problem" 'grep -qF "$msg" "$tmp/err.txt"'
}
bad "wörld" "line 1: 'ö' is not in the model's vocabulary (which has no unknown token to read it as)"
bad "r2d2" "line 1: '2' is not in the model's vocabulary"
bad "3d" "line 1: '3' is not in the model's vocabulary"
printf 'hello\n3d\nworld\n' | run "$edgeseq" generate -m "$tmp/g2p-int8.esq" --skip-bad > "$tmp/out.txt" 2> "$tmp/err.txt"
check "--skip-bad: a digit's line is empty, the others pronounced" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/out.txt")" -eq 3 ] &&
  [ -n "$(sed -n 1p "$tmp/out.txt")" ] && [ -z "$(sed -n 2p "$tmp/out.txt")" ] && [ -n "$(sed -n 3p "$tmp/out.txt")" ] &&
  [ "$(cat "$tmp/err.txt")" = "edgeseq generate: warning: line 2: '"'3d'"': '"'3'"' is not in the model'"'"'s vocabulary (which has no unknown token to read it as) (skipped)" ]'
# Several words on a line: only the bad one is left out (empty between the separators).
printf 'hello 3d world\n' | run "$edgeseq" generate -m "$tmp/g2p-int8.esq" --skip-bad > "$tmp/out.txt" 2> "$tmp/err.txt"
check "--skip-bad: a bad word of several is left out alone" '[ $? -eq 0 ] &&
  [ "$(cat "$tmp/out.txt")" = "$(sed -n 1p "$tmp/out.txt" | cut -d"|" -f1)|  |$(sed -n 1p "$tmp/out.txt" | cut -d"|" -f3)" ] &&
  [ "$(cut -d"|" -f1 "$tmp/out.txt")" = "$(printf "hello\n" | run "$edgeseq" generate -m "$tmp/g2p-int8.esq") " ] &&
  [ "$(cut -d"|" -f3 "$tmp/out.txt")" = " $(printf "world\n" | run "$edgeseq" generate -m "$tmp/g2p-int8.esq")" ] &&
  grep -qF "line 1: '"'3d'"': '"'3'"' is not in the model" "$tmp/err.txt" && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ]'
# The build's default model and the main job convert with the same flags.
if [ -f "$build/g2p-default.esq" ]; then
  printf '3d\n' | run "$edgeseq" generate -m "$build/g2p-default.esq" > /dev/null 2> "$tmp/err.txt"
  check "the build's default model refuses digits" '[ $? -eq 1 ] && grep -qF "'"'3'"' is not in the model" "$tmp/err.txt"'
  check "the build's default model is this test's int8 conversion, byte for byte" 'cmp -s "$build/g2p-default.esq" "$tmp/g2p-int8.esq"'
fi
check "the main job converts with examples/g2p/convert.toml and pronounces with --skip-bad" \
  'grep -q -- "--config examples/g2p/convert.toml" "$src/scripts/main.sh" && grep -q -- "--skip-bad" "$src/scripts/main.sh"'
check "convert.toml gives the model no source unknown id" 'grep -qx "src-unk = -1" "$g2p/convert.toml"'

# With an unknown id (--unk 0, as a user may convert it): read as <unk>
# (id 0), one warning line each naming the input line and the character.
run "$convert" "$g2p/g2p.pth" -o "$tmp/g2p-unk.esq" --config "$g2p/convert.toml" --src-unk 0 --quantize int8 \
  --src-vocab "$g2p/letters.txt" --tgt-vocab "$g2p/phones.txt" -q
unk() {  # unk INPUT CHARACTER...
  printf '%s\n' "$1" | run "$edgeseq" generate -m "$tmp/g2p-unk.esq" > "$tmp/out.txt" 2> "$tmp/err.txt"
  local rc=$? word="$1"; shift
  local n=$#
  check "'$word' is pronounced" '[ $rc -eq 0 ] && [ "$(wc -l < "$tmp/out.txt")" -eq 1 ] && [ -n "$(cat "$tmp/out.txt")" ]'
  check "'$word' warns once per unknown character" '[ "$(wc -l < "$tmp/err.txt")" -eq "$n" ]'
  for ch in "$@"; do
    check "'$word' names '$ch'" 'grep -qF "warning: line 1: '"'$ch'"' is not in the model'"'"'s vocabulary; read as the unknown token (id 0)" "$tmp/err.txt"'
  done
}
unk "wörld" "ö"
unk "r2d2" "2" "2"
printf 'hello\n\xff\xfe\n' | run "$edgeseq" generate -m "$tmp/g2p-int8.esq" > /dev/null 2> "$tmp/err.txt"
check "invalid UTF-8 is refused" '[ $? -eq 1 ] && grep -q "line 2: .*UTF-8" "$tmp/err.txt"'
printf 'hello\nw\xffrld\nspeech\n' | run "$edgeseq" generate -m "$tmp/g2p-int8.esq" --skip-bad > "$tmp/out.txt" 2> "$tmp/err.txt"
check "--skip-bad keeps the output aligned" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/out.txt")" -eq 3 ] && [ -z "$(sed -n 2p "$tmp/out.txt")" ] && grep -q "line 2" "$tmp/err.txt"'

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
