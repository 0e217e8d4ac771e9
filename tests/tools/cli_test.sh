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
printf '5\n\n7 9 11\n\n' | run "$inspect" generate -m "$tmp/p.esq" --ids --scores > "$tmp/empty.txt" 2> "$tmp/err.txt"
check "an empty line is an empty source: an empty hypothesis, score 0, no error" '[ $? -eq 0 ] && [ ! -s "$tmp/err.txt" ] && [ "$(wc -l < "$tmp/empty.txt")" -eq 4 ] && [ "$(sed -n 2p "$tmp/empty.txt")" = "$(printf "0.000000\t")" ] && [ "$(sed -n 4p "$tmp/empty.txt")" = "$(printf "0.000000\t")" ] && [ "$(sed -n 3p "$tmp/empty.txt" | cut -f2)" = "$(sed -n 2p "$tmp/out1.txt")" ]'
printf '\n\n' | run "$inspect" generate -m "$tmp/p.esq" --ids > "$tmp/empty.txt" 2> "$tmp/err.txt"
check "a batch of only empty sources works" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/empty.txt")" -eq 2 ] && [ ! -s "$tmp/err.txt" ]'
printf '5\n99\nx y\n99\n7 9 11\n' > "$tmp/bad.txt"
run "$inspect" generate -m "$tmp/p.esq" --ids < "$tmp/bad.txt" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "a bad line stops with exit 1 naming it" '[ $? -eq 1 ] && grep -q "line 2: id 99 is outside the vocabulary of 20" "$tmp/err.txt" && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ]'
run "$inspect" generate -m "$tmp/p.esq" --ids --skip-bad < "$tmp/bad.txt" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "--skip-bad keeps the output aligned" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/out.txt")" -eq 5 ] && [ -z "$(sed -n 2p "$tmp/out.txt")" ] && [ -z "$(sed -n 3p "$tmp/out.txt")" ] && [ -z "$(sed -n 4p "$tmp/out.txt")" ] && [ -n "$(sed -n 5p "$tmp/out.txt")" ]'
check "--skip-bad warns per bad line" 'grep -q "line 2: id 99 is outside the vocabulary of 20" "$tmp/err.txt" && grep -q "line 3: .x. is not a token id" "$tmp/err.txt" && grep -q "line 4: id 99" "$tmp/err.txt"'
run "$inspect" generate -m "$tmp/p.esq" --ids --max-len 0 < "$tmp/in.txt" > /dev/null 2> "$tmp/err.txt"
check "--max-len 0 is an error" '[ $? -eq 1 ] && grep -q "at least 1" "$tmp/err.txt"'
run "$inspect" generate -m "$tmp/p.esq" < "$tmp/in.txt" > /dev/null 2> "$tmp/err.txt"
check "text mode without vocabularies says to use --ids" '[ $? -eq 1 ] && grep -q "(--ids)" "$tmp/err.txt"'
printf '7 9 11\t15 13 11\n5\t9\n' | run "$inspect" score -m "$tmp/p.esq" --ids > "$tmp/score.txt"
check "score prints one log-probability per line" '[ $? -eq 0 ] && [ "$(wc -l < "$tmp/score.txt")" -eq 2 ] && grep -qE "^-[0-9]+\.[0-9]{6}$" "$tmp/score.txt"'
printf '7 9 11\t15 13 11\n5\t9\n' | run "$inspect" score -m "$tmp/p.esq" --ids --tokens > "$tmp/tokens.txt"
check "score --tokens prints target length + 1 values per line" '[ $? -eq 0 ] && [ "$(awk "{print NF}" "$tmp/tokens.txt" | tr "\n" " ")" = "4 2 " ]'
check "score: an empty source scores 0 (as CTranslate2)" '[ "$(printf "\t15 13 11\n" | run "$inspect" score -m "$tmp/p.esq" --ids)" = "0.000000" ]'
check "score --tokens sums to the score" '[ "$(paste "$tmp/score.txt" "$tmp/tokens.txt" | awk "{s=0; for (i = 2; i <= NF; ++i) s += \$i; d = s - \$1; if (d < 0) d = -d; if (d > 1e-4) bad = 1} END {print bad + 0}")" = 0 ]'

# CTranslate2's TranslationOptions (issue 17) on the CLI: the flags exist,
# do what they say, and bad values stop before any input with exit 1 and
# one line (agreement with CTranslate2 itself: ct2_options_test).
run "$inspect" generate --help > "$tmp/help.txt"
check "generate --help lists the CTranslate2 options" 'for f in --repetition-penalty --no-repeat-ngram-size --disable-unk --suppress --end-token --return-end-token --max-input-len --normalize-scores --target-prefix --return-alternatives --min-alternative-expansion-prob --return-attention --patience --prefix-bias-beta --coverage-penalty --replace-unknowns; do grep -q -- "$f" "$tmp/help.txt" || exit 1; done'
gen_ids() { run "$inspect" generate -m "$tmp/p.esq" --ids "$@"; }
s0="4 19 6 8 10 12 14"
plain=$(echo "$s0" | gen_ids)
first=$(echo "$plain" | cut -d" " -f1); second=$(echo "$plain" | cut -d" " -f2)
unique() { [ "$(echo "$1" | tr " " "\n" | sort | uniq -d | wc -l)" -eq 0 ]; }
check "the source's output repeats a token" '! unique "$plain"'
check "--repetition-penalty 100: no token twice" 'unique "$(echo "$s0" | gen_ids --repetition-penalty 100)" && unique "$(echo "$s0" | gen_ids --repetition-penalty 100 --beam 4)"'
check "--repetition-penalty 1 is off" '[ "$(echo "$s0" | gen_ids --repetition-penalty 1)" = "$plain" ]'
check "--no-repeat-ngram-size 1: no token twice" 'unique "$(echo "$s0" | gen_ids --no-repeat-ngram-size 1)"'
check "--suppress: the token never comes" '! echo " $(echo "$s0" | gen_ids --suppress "$first" --beam 4) " | grep -q " $first "'
check "--end-token: output before it; --return-end-token keeps it" '[ "$(echo "$s0" | gen_ids --end-token "$second")" = "$first" ] && [ "$(echo "$s0" | gen_ids --end-token "$second" --end-token 99999 2>/dev/null; echo $?)" = 1 ] && [ "$(echo "$s0" | gen_ids --end-token "$second" --return-end-token)" = "$first $second" ]'
check "--return-end-token: the model's EOS (3) last" '[ "$(echo "$s0" | gen_ids --return-end-token)" = "$plain 3" ]'
check "--max-input-len 3 answers as the cut source" '[ "$(echo "$s0" | gen_ids --max-input-len 3)" = "$(echo "4 19 6" | gen_ids)" ]'
long=$(for i in $(seq 70); do printf "9 "; done)
echo "$long" | gen_ids > /dev/null 2> "$tmp/err.txt"
check "a source beyond the model's 64 positions is a bad line" '[ $? -eq 1 ] && grep -q "70 tokens, more than the 64" "$tmp/err.txt"'
check "--max-input-len 64 cuts it instead" '[ "$(echo "$long" | gen_ids --max-input-len 64)" = "$(for i in $(seq 64); do printf "9 "; done | gen_ids)" ]'
raw=$(echo "$s0" | gen_ids --scores | cut -f1); norm=$(echo "$s0" | gen_ids --scores --normalize-scores | cut -f1)
check "--normalize-scores: score / (tokens + EOS)" 'awk -v r="$raw" -v n="$norm" -v l="$(echo "$plain" | wc -w)" "BEGIN { d = r / (l + 1) - n; exit !(d < 1e-5 && d > -1e-5) }"'
check "--target-prefix: the output's own first tokens give it back" '[ "$(printf "%s\t%s %s\n" "$s0" "$first" "$second" | gen_ids --target-prefix)" = "$plain" ]'
check "--target-prefix: other tokens are forced first (beam 4 too); no tab: none" '[ "$(printf "%s\t5 6\n" "$s0" | gen_ids --target-prefix | cut -d" " -f1-2)" = "5 6" ] && [ "$(printf "%s\t5 6\n" "$s0" | gen_ids --target-prefix --beam 4 | cut -d" " -f1-2)" = "5 6" ] && [ "$(echo "$s0" | gen_ids --target-prefix)" = "$plain" ]'
printf "%s\t5 6 7 8\n" "$s0" | gen_ids --target-prefix --max-len 3 > /dev/null 2> "$tmp/err.txt"
check "--target-prefix longer than --max-len is a bad line" '[ $? -eq 1 ] && grep -q "the target prefix has 4 tokens, more than --max-len 3" "$tmp/err.txt"'
alts=$(echo "$s0" | gen_ids --return-alternatives --num-hypotheses 3)
check "--return-alternatives: 3 outputs, the greedy one first" '[ "$(echo "$alts" | awk -F" [|][|][|] " "{print NF}")" = 3 ] && [ "$(echo "$alts" | awk -F" [|][|][|] " "{print \$1}")" = "$plain" ]'
att=$(echo "$s0" | gen_ids --return-attention)
check "--return-attention: the output, a tab, one row of 7 weights summing to 1 per output token" '[ "$(echo "$att" | cut -f1)" = "$plain" ] && [ "$(echo "$att" | cut -f2 | awk -F" ; " "{print NF}")" = "$(echo "$plain" | wc -w)" ] && echo "$att" | cut -f2 | tr ";" "\n" | awk "{ if (NF != 7) exit 1; s = 0; for (i = 1; i <= NF; i++) s += \$i; if (s < 0.999 || s > 1.001) exit 1 }"'
check "--patience 2: beam 2 gives up to 4 hypotheses, the best as without" '[ "$(echo "$s0" | gen_ids --beam 2 --patience 2 --num-hypotheses 4 | awk -F" [|][|][|] " "{print \$1}")" = "$(echo "$s0" | gen_ids --beam 2)" ]'
check "--sample --num-hypotheses 3: three samples, best score first" '[ "$(echo "$s0" | gen_ids --sample --num-hypotheses 3 --scores --temperature 2 | awk -F" [|][|][|] " "{print NF}")" = 3 ] && echo "$s0" | gen_ids --sample --num-hypotheses 3 --scores --temperature 2 | awk -F" [|][|][|] " "{ for (i = 2; i <= NF; i++) { split(\$(i-1), a, \"\t\"); split(\$i, b, \"\t\"); if (a[1] + 0 < b[1] + 0) exit 1 } }"'
check "--prefix-bias-beta 0.99: the prefix 5 6 kept as a soft bias (beam 1 and 4); 1e-7: the plain output" '[ "$(printf "%s\t5 6\n" "$s0" | gen_ids --target-prefix --prefix-bias-beta 0.99 | cut -d" " -f1-2)" = "5 6" ] && [ "$(printf "%s\t5 6\n" "$s0" | gen_ids --target-prefix --prefix-bias-beta 0.99 --beam 4 | cut -d" " -f1-2)" = "5 6" ] && [ "$(printf "%s\t5 6\n" "$s0" | gen_ids --target-prefix --prefix-bias-beta 1e-7)" = "$plain" ]'
cov=$(echo "$s0" | gen_ids --scores --normalize-scores --coverage-penalty 0.5 | cut -f1)
check "--coverage-penalty: the greedy output, its normalized score lowered by the penalty" '[ "$(echo "$s0" | gen_ids --coverage-penalty 0.5)" = "$plain" ] && awk -v c="$cov" -v n="$norm" "BEGIN { exit !(c < n) }" && [ -n "$(echo "$s0" | gen_ids --coverage-penalty 0.5 --beam 4)" ]'
bad_option() {  # bad_option NAME MESSAGE FLAGS...: exit 1, one line with MESSAGE, before reading input
  local name="$1" msg="$2"
  run "$inspect" generate -m "$tmp/p.esq" --ids "${@:3}" < /dev/null > /dev/null 2> "$tmp/err.txt"
  check "$name" '[ $? -eq 1 ] && [ "$(wc -l < "$tmp/err.txt")" -eq 1 ] && grep -q -- "$msg" "$tmp/err.txt"'
}
bad_option "--patience 0 is an error" "patience must be finite and > 0" --patience 0
bad_option "--prefix-bias-beta 1 is an error" "prefix_bias_beta must be in \[0, 1)" --prefix-bias-beta 1 --target-prefix
bad_option "--prefix-bias-beta without --target-prefix is an error" "give both" --prefix-bias-beta 0.5
bad_option "--replace-unknowns with --ids is an error" "not with --ids" --replace-unknowns
bad_option "--repetition-penalty 0 is an error" "repetition penalty must be finite and > 0" --repetition-penalty 0
bad_option "--repetition-penalty -1 is an error" "repetition penalty must be finite and > 0" --repetition-penalty -1
bad_option "--end-token outside the vocabulary is an error" "^edgeseq generate: --end-token: id 99 is outside the vocabulary of 24" --end-token 99
bad_option "--suppress outside the vocabulary is an error" "^edgeseq generate: --suppress: id 99 is outside the vocabulary of 24" --suppress "5 99"
bad_option "--end-token that is not an id is an error" "--end-token: .x. is not a token id" --end-token x
bad_option "--max-input-len beyond the model is an error" "max input length 65 exceeds the generator's max_source of 64" --max-input-len 65
# Text mode: tokens of the target vocabulary.
printf '%s\n' 0 1 2 3 a b c d e f g h i j k l m n o p > "$tmp/src.txt"
for i in $(seq 0 23); do echo "T$i"; done > "$tmp/tgt.txt"
run "$convert" "$src/tests/fixtures/parity/post_relu.pth" -o "$tmp/pv.esq" --heads 4 -q --src-vocab "$tmp/src.txt" --src-tokenizer chars --tgt-vocab "$tmp/tgt.txt"
text_plain=$(printf "dfh\n" | run "$inspect" generate -m "$tmp/pv.esq")
text_first=$(echo "$text_plain" | cut -d" " -f1)
text_out=$(printf "dfh\n" | run "$inspect" generate -m "$tmp/pv.esq" --suppress "$text_first")
check "text: --replace-unknowns without unknown tokens changes nothing" '[ "$(printf "dfh\n" | run "$inspect" generate -m "$tmp/pv.esq" --replace-unknowns)" = "$text_plain" ]'
check "text: --suppress takes target tokens" '[ $? -eq 0 ] && [ -n "$text_out" ] && echo "$text_first" | grep -q "^T[0-9]*$" && ! echo " $text_out " | grep -q " $text_first "'
text_end=$(echo "$text_plain" | awk '{print $NF}')
text_until=$(echo "$text_plain" | awk -v e="$text_end" '{for (i = 1; i <= NF; ++i) {printf "%s%s", (i > 1 ? " " : ""), $i; if ($i == e) break}}')
check "text: --end-token takes a target token" '[ "$(printf "dfh\n" | run "$inspect" generate -m "$tmp/pv.esq" --end-token "$text_end")" = "${text_until% *}" ] && [ "$(printf "dfh\n" | run "$inspect" generate -m "$tmp/pv.esq" --end-token "$text_end" --return-end-token)" = "$text_until" ]'
printf "abc\n" | run "$inspect" generate -m "$tmp/pv.esq" --end-token XYZ > /dev/null 2> "$tmp/err.txt"
check "text: an unknown --end-token is an error" '[ $? -eq 1 ] && grep -q -- "--end-token: .XYZ. is not in the target vocabulary" "$tmp/err.txt"'
printf "abc\n" | run "$inspect" generate -m "$tmp/pv.esq" --suppress "T1 XYZ" > /dev/null 2> "$tmp/err.txt"
check "text: an unknown --suppress token is an error" '[ $? -eq 1 ] && grep -q -- "--suppress: .XYZ. is not in the target vocabulary" "$tmp/err.txt"'
printf "abc\n" | run "$inspect" generate -m "$tmp/pv.esq" --end-token "T1 T2" > /dev/null 2> "$tmp/err.txt"
check "text: --end-token takes one token" '[ $? -eq 1 ] && grep -q "is not one token" "$tmp/err.txt"'

# A line is answered when it arrives (issue 15): with the default --batch 16,
# a writer that sends one line and pauses gets its answer during the pause.
# The reader stamps each output line; the writer stamps the moment the pause
# ends. Only "before the pause ends" is asserted (the pause is 3 s).
stamp_lines() { while IFS= read -r l; do echo "$(date +%s.%N) $l"; done; }
before() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
(printf '5\n\n'; sleep 3; date +%s.%N > "$tmp/resumed"; printf '7 9 11\n') \
  | run "$inspect" generate -m "$tmp/p.esq" --ids --skip-bad 2> /dev/null | stamp_lines > "$tmp/stamped.txt"
check "generate from a pausing pipe answers every line" '[ "$(wc -l < "$tmp/stamped.txt")" -eq 3 ]'
check "generate answers the first line before the pause ends" \
  'before "$(sed -n 1p "$tmp/stamped.txt" | cut -d" " -f1)" "$(cat "$tmp/resumed")"'
check "generate answers a bad line (--skip-bad: empty) before the pause ends" \
  '[ "$(sed -n 2p "$tmp/stamped.txt" | cut -d" " -f2-)" = "" ] && before "$(sed -n 2p "$tmp/stamped.txt" | cut -d" " -f1)" "$(cat "$tmp/resumed")"'
printf '5\n\n7 9 11\n' | run "$inspect" generate -m "$tmp/p.esq" --ids --skip-bad 2> /dev/null > "$tmp/at_once.txt"
check "generate gives the same answers paused or not" '[ "$(cut -d" " -f2- "$tmp/stamped.txt")" = "$(cat "$tmp/at_once.txt")" ]'
(printf '7 9 11\t15 13 11\n'; sleep 3; date +%s.%N > "$tmp/resumed"; printf '5\t9\n') \
  | run "$inspect" score -m "$tmp/p.esq" --ids | stamp_lines > "$tmp/stamped.txt"
check "score from a pausing pipe answers every line" '[ "$(wc -l < "$tmp/stamped.txt")" -eq 2 ]'
check "score answers the first line before the pause ends" \
  'before "$(sed -n 1p "$tmp/stamped.txt" | cut -d" " -f1)" "$(cat "$tmp/resumed")"'
check "score gives the same answers paused or not" '[ "$(cut -d" " -f2- "$tmp/stamped.txt")" = "$(cat "$tmp/score.txt")" ]'
# ... and lines that are already there are still batched 16 at a time.
for i in $(seq 40); do echo "7 9 11"; done > "$tmp/in40.txt"
cat "$tmp/in40.txt" | run "$inspect" generate -m "$tmp/p.esq" --ids --stats > "$tmp/out40.txt" 2> "$tmp/stats.txt"
check "a piped file is decoded 16 lines at a time" 'grep -q "40 lines in 3 batches" "$tmp/stats.txt" && [ "$(wc -l < "$tmp/out40.txt")" -eq 40 ]'
run "$inspect" generate -m "$tmp/p.esq" --ids --stats --batch 8 < "$tmp/in40.txt" > /dev/null 2> "$tmp/stats.txt"
check "a redirected file is decoded --batch lines at a time" 'grep -q "40 lines in 5 batches" "$tmp/stats.txt"'
printf '7 9 11\t15 13 11\n5\t9\n5\tx\n5\t9 9\n' | run "$inspect" score -m "$tmp/p.esq" --ids --skip-bad > "$tmp/scores.txt" 2> /dev/null
check "score batches keep --skip-bad aligned" '[ "$(sed -n 1,2p "$tmp/scores.txt")" = "$(cat "$tmp/score.txt")" ] && [ -z "$(sed -n 3p "$tmp/scores.txt")" ] && [ -n "$(sed -n 4p "$tmp/scores.txt")" ] && [ "$(wc -l < "$tmp/scores.txt")" -eq 4 ]'

# A file that cannot be opened: one line saying why, the tool's usual status.
missing="$tmp/no-such-file"
one_line_why() {  # one_line_why ERRFILE: exactly one line, "cannot open $missing...: No such file or directory"
  [ "$(wc -l < "$1")" -eq 1 ] && grep -q "cannot open $missing[^:]*: No such file or directory" "$1"
}
echo 5 | run "$inspect" generate -m "$missing.esq" --ids > /dev/null 2> "$tmp/err.txt"
check "generate: a missing model says why (exit 1)" '[ $? -eq 1 ] && one_line_why "$tmp/err.txt" && grep -q "^edgeseq generate: cannot open $missing.esq: No such file or directory$" "$tmp/err.txt"'
printf '5\t9\n' | run "$inspect" score -m "$missing.esq" --ids > /dev/null 2> "$tmp/err.txt"
check "score: a missing model says why (exit 1)" '[ $? -eq 1 ] && one_line_why "$tmp/err.txt"'
run "$inspect" inspect "$missing.esq" > /dev/null 2> "$tmp/err.txt"
check "inspect: a missing model says why (exit 1)" '[ $? -eq 1 ] && one_line_why "$tmp/err.txt"'
run "$inspect" inspect "$tmp" > /dev/null 2> "$tmp/err.txt"
check "inspect: a directory says so (exit 1)" '[ $? -eq 1 ] && grep -q "cannot open $tmp: is a directory" "$tmp/err.txt"'
run "$convert" "$missing.pth" -o "$tmp/out.esq" --heads 2 -q 2> "$tmp/err.txt"
check "convert: a missing checkpoint says why (exit 2)" '[ $? -eq 2 ] && one_line_why "$tmp/err.txt" && grep -q "^edgeseq-convert: error: cannot open $missing.pth: No such file or directory$" "$tmp/err.txt"'
run "$convert" "$fx/state_dict.pth" -o "$tmp/out.esq" --heads 2 --map "$missing.json" -q 2> "$tmp/err.txt"
check "convert: a missing --map says why (exit 2)" '[ $? -eq 2 ] && one_line_why "$tmp/err.txt" && grep -q -- "--map" "$tmp/err.txt"'
run "$convert" "$fx/state_dict.pth" -o "$tmp/out.esq" --heads 2 --src-vocab "$missing.src" -q 2> "$tmp/err.txt"
check "convert: a missing --src-vocab says why (exit 2)" '[ $? -eq 2 ] && one_line_why "$tmp/err.txt" && grep -q "source vocabulary" "$tmp/err.txt"'
run "$convert" "$fx/state_dict.pth" -o "$tmp/out.esq" --heads 2 --tgt-vocab "$missing.tgt" -q 2> "$tmp/err.txt"
check "convert: a missing --tgt-vocab says why (exit 2)" '[ $? -eq 2 ] && one_line_why "$tmp/err.txt" && grep -q "target vocabulary" "$tmp/err.txt"'
if [ "$(id -u)" -ne 0 ]; then  # root reads any file
  cp "$tmp/p.esq" "$tmp/locked.esq" && chmod 000 "$tmp/locked.esq"
  echo 5 | run "$inspect" generate -m "$tmp/locked.esq" --ids > /dev/null 2> "$tmp/err.txt"
  check "generate: an unreadable model says why" '[ $? -eq 1 ] && grep -q "cannot open $tmp/locked.esq: Permission denied" "$tmp/err.txt"'
  run "$convert" "$fx/state_dict.pth" -o "$tmp/out.esq" --heads 2 --src-vocab "$tmp/locked.esq" -q 2> "$tmp/err.txt"
  check "convert: an unreadable vocabulary says why" '[ $? -eq 2 ] && grep -q "cannot open $tmp/locked.esq: Permission denied" "$tmp/err.txt"'
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
