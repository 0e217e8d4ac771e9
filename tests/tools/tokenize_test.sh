#!/usr/bin/env bash
# `edgeseq tokenize` / `edgeseq detokenize` on the default model (characters
# on the source side, whitespace-separated phones on the target side): ids
# and pieces out, text back, special ids dropped unless --keep-special, bad
# lines named by number. (Byte-level BPE and SentencePiece models go through
# the same code: tests/runtime/bpe_model_test.cc runs it on a BPE model.)
#   tokenize_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$1"; src="$2"
convert="$build/tools/edgeseq-convert"; edgeseq="$build/tools/edgeseq"
g2p="$src/examples/g2p"
run() { ${EDGESEQ_EMULATOR:-} "$@"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
check() {  # check NAME CONDITION...
  if eval "${@:2}"; then passes=$((passes + 1)); else echo "FAILED: $1"; fails=$((fails + 1)); fi
}

run "$convert" "$g2p/g2p.pth" -o "$tmp/g2p.esq" --config "$g2p/convert.toml" --src-unk 0 --quantize int8 \
  --src-vocab "$g2p/letters.txt" --tgt-vocab "$g2p/phones.txt" -q
check "convert" '[ $? -eq 0 ]'
m="$tmp/g2p.esq"

out=$(printf 'abc\n\nBad\n' | run "$edgeseq" tokenize -m "$m")
check "tokenize: one line of ids per line" '[ "$out" = "$(printf "4 5 6\n\n5 4 7")" ]'
out=$(printf 'abc\n' | run "$edgeseq" tokenize -m "$m" --pieces)
check "tokenize --pieces" '[ "$out" = "a b c" ]'
out=$(printf '4 5 6\n' | run "$edgeseq" detokenize -m "$m")
check "detokenize" '[ "$out" = "abc" ]'
out=$(printf 'aa0 ae1\n' | run "$edgeseq" tokenize -m "$m" --target)
check "tokenize --target" '[ "$out" = "4 7" ]'
out=$(printf '2 4 7 3\n' | run "$edgeseq" detokenize -m "$m" --target)
check "detokenize drops the special ids" '[ "$out" = "aa0 ae1" ]'
out=$(printf '4 7 3\n' | run "$edgeseq" detokenize -m "$m" --target --keep-special)
check "detokenize --keep-special" '[ "$out" = "aa0 ae1 </s>" ]'

printf '4 5\n4 x\n4\n' | run "$edgeseq" detokenize -m "$m" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "a bad id line is named" '[ $? -eq 1 ] && grep -q "detokenize: line 2: .x. is not a token id" "$tmp/err.txt" && [ "$(wc -l < "$tmp/out.txt")" -eq 1 ]'
printf '4 99999\n' | run "$edgeseq" detokenize -m "$m" 2> "$tmp/err.txt" > /dev/null
check "an id outside the vocabulary is named" '[ $? -eq 1 ] && grep -q "line 1: id 99999 is outside" "$tmp/err.txt"'
printf 'ok\nw\xffrld\n' | run "$edgeseq" tokenize -m "$m" 2> "$tmp/err.txt" > /dev/null
check "invalid UTF-8 is named" '[ $? -eq 1 ] && grep -q "tokenize: line 2: .*UTF-8" "$tmp/err.txt"'
printf 'w2\n' | run "$edgeseq" tokenize -m "$m" 2> "$tmp/err.txt" > "$tmp/out.txt"
check "an unknown character warns and reads as <unk>" '[ $? -eq 0 ] && grep -q "line 1: .2. is not in the model" "$tmp/err.txt" && [ "$(cat "$tmp/out.txt")" = "26 0" ]'
run "$edgeseq" tokenize -m "$tmp/missing.esq" < /dev/null 2> "$tmp/err.txt"
check "a missing model is one line" '[ $? -eq 1 ] && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ]'
run "$edgeseq" tokenize --help > "$tmp/help.txt"
check "tokenize --help" '[ $? -eq 0 ] && grep -q -- "--pieces" "$tmp/help.txt" && grep -q -- "--target" "$tmp/help.txt"'
run "$edgeseq" detokenize --help > "$tmp/help.txt"
check "detokenize --help" '[ $? -eq 0 ] && grep -q -- "--keep-special" "$tmp/help.txt"'

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
