#!/usr/bin/env bash
# End to end through the executables: convert the fixtures, inspect the
# results, and check the exit status, the one-line error and that nothing is
# left behind for each bad checkpoint.
#   cli_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$1"; src="$2"
convert="$build/tools/edgeseq-convert"; inspect="$build/tools/edgeseq"
fx="$src/tests/fixtures/checkpoints"
# EDGESEQ_EMULATOR (set by ctest for cross builds, e.g. "qemu-aarch64 -L
# SYSROOT") runs the target's executables.
run() { ${EDGESEQ_EMULATOR:-} "$@"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
check() {  # check NAME CONDITION...
  if eval "${@:2}"; then passes=$((passes + 1)); else echo "FAILED: $1"; fails=$((fails + 1)); fi
}

for f in state_dict.pth whole_model.pth model.safetensors; do
  run "$convert" "$fx/$f" -o "$tmp/$f.esq" --arch torch-transformer --heads 2 -q
  check "convert $f exits 0" '[ $? -eq 0 ]'
  run "$inspect" inspect "$tmp/$f.esq" --verify > "$tmp/$f.txt"
  check "inspect $f exits 0" '[ $? -eq 0 ]'
  check "inspect $f shows the model" 'grep -q "d_model 16, heads 2, encoder layers 2, decoder layers 2, ffn 32" "$tmp/$f.txt"'
  check "inspect $f verified" 'grep -q "all 72 tensors verified" "$tmp/$f.txt"'
done
check "state dict and whole model convert identically" 'cmp -s "$tmp/state_dict.pth.esq" "$tmp/whole_model.pth.esq"'
run "$convert" "$fx/nested.pth" -o "$tmp/nested.esq" --key model --heads 2 -q
check "nested --key model" '[ $? -eq 0 ] && cmp -s "$tmp/state_dict.pth.esq" "$tmp/nested.esq"'

for f in evil_os_system.pth evil_builtins_eval.pth truncated.pth not_a_zip.pth missing_storage.pth \
         short_storage.pth bad_opcode.pth unknown_dtype.pth inflates_too_much.pth; do
  echo "previous" > "$tmp/out.esq"
  run "$convert" "$fx/$f" -o "$tmp/out.esq" --heads 2 2> "$tmp/err.txt"
  status=$?
  check "$f exits 2" '[ $status -eq 2 ]'
  check "$f says one line" '[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] && grep -q "^edgeseq-convert: error: " "$tmp/err.txt"'
  check "$f leaves the output untouched" '[ "$(cat "$tmp/out.esq")" = previous ] && [ "$(ls "$tmp" | grep -c "out.esq")" -eq 1 ]'
done
check "nothing ran" '[ ! -e /tmp/edgeseq-pwned ]'

run "$convert" --heads 2 2> "$tmp/usage.txt"
check "missing arguments exit 2" '[ $? -eq 2 ]'
run "$convert" --help > "$tmp/help.txt"
check "--help exits 0 and lists the flags" '[ $? -eq 0 ] && grep -q -- "--quantize" "$tmp/help.txt" && grep -q -- "--map" "$tmp/help.txt"'
run "$inspect" inspect "$fx/state_dict.pth" 2> "$tmp/err.txt"
check "inspect of a non-model exits 1 with one line" '[ $? -eq 1 ] && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ]'

# generate / score through the CLI on a parity model (values are checked
# against PyTorch by runtime_parity_test; here: the line contract).
run "$convert" "$src/tests/fixtures/parity/post_relu.pth" -o "$tmp/p.esq" --heads 4 -q
printf '5\n7 9 11\n4 19 6 8 10 12 14\n' > "$tmp/in.txt"
run "$inspect" generate -m "$tmp/p.esq" --ids < "$tmp/in.txt" > "$tmp/out.txt"
check "generate exits 0" '[ $? -eq 0 ]'
check "generate writes one line per input" '[ "$(wc -l < "$tmp/out.txt")" -eq 3 ]'
run "$inspect" generate -m "$tmp/p.esq" --ids --batch 1 < "$tmp/in.txt" > "$tmp/out1.txt"
run "$inspect" generate -m "$tmp/p.esq" --ids --stats < "$tmp/in.txt" > /dev/null 2> "$tmp/stats.txt"
check "--stats reports timings and peak memory" 'grep -qE "tokens/s.*peak memory [0-9]+\.[0-9] MB" "$tmp/stats.txt"'

check "batch size does not change the output" 'cmp -s "$tmp/out.txt" "$tmp/out1.txt"'
printf '5\n\n99\nx y\n7 9 11\n' > "$tmp/bad.txt"
run "$inspect" generate -m "$tmp/p.esq" --ids < "$tmp/bad.txt" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "a bad line stops with exit 1 naming it" '[ $? -eq 1 ] && grep -q "line 2: the line is empty" "$tmp/err.txt" && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ]'
run "$inspect" generate -m "$tmp/p.esq" --ids --skip-bad < "$tmp/bad.txt" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "--skip-bad keeps the output aligned" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/out.txt")" -eq 5 ] && [ -z "$(sed -n 2p "$tmp/out.txt")" ] && [ -z "$(sed -n 3p "$tmp/out.txt")" ] && [ -z "$(sed -n 4p "$tmp/out.txt")" ] && [ -n "$(sed -n 5p "$tmp/out.txt")" ]'
check "--skip-bad warns per bad line" 'grep -q "line 3: id 99 is outside the vocabulary of 20" "$tmp/err.txt" && grep -q "line 4: .x. is not a token id" "$tmp/err.txt"'
run "$inspect" generate -m "$tmp/p.esq" --ids --max-len 0 < "$tmp/in.txt" > /dev/null 2> "$tmp/err.txt"
check "--max-len 0 is an error" '[ $? -eq 1 ] && grep -q "at least 1" "$tmp/err.txt"'
run "$inspect" generate -m "$tmp/p.esq" < "$tmp/in.txt" > /dev/null 2> "$tmp/err.txt"
check "text mode without vocabularies says to use --ids" '[ $? -eq 1 ] && grep -q "(--ids)" "$tmp/err.txt"'
printf '7 9 11\t15 13 11\n5\t9\n' | run "$inspect" score -m "$tmp/p.esq" --ids > "$tmp/score.txt"
check "score prints one log-probability per line" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/score.txt")" -eq 2 ] && grep -qE "^-[0-9]+\.[0-9]{6}$" "$tmp/score.txt"'
printf '7 9 11\t15 13 11\n5\t9\n' | run "$inspect" score -m "$tmp/p.esq" --ids --tokens > "$tmp/tokens.txt"
check "score --tokens prints target length + 1 values per line" '[ $? -eq 0 ] && [ "$(awk "{print NF}" "$tmp/tokens.txt" | tr "\n" " ")" = "4 2 " ]'
check "score --tokens sums to the score" '[ "$(paste "$tmp/score.txt" "$tmp/tokens.txt" | awk "{s=0; for (i = 2; i <= NF; ++i) s += \$i; d = s - \$1; if (d < 0) d = -d; if (d > 1e-4) bad = 1} END {print bad + 0}")" = 0 ]'

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
