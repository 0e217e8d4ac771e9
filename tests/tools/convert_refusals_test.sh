#!/usr/bin/env bash
# edgeseq-convert is faithful or refuses: every input that would make a wrong
# model gets exit status 2, exactly one line on stderr naming the flag or the
# tensor (never a temporary file), no output file, and an existing output file
# untouched. Fixtures: tests/fixtures/convert_cases (make_convert_cases.py);
# what PyTorch computes for the faithful cases is checked by
# convert_cases_test.cc.
#   convert_refusals_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$1"; src="$2"
convert="$build/tools/edgeseq-convert"
fx="$src/tests/fixtures/convert_cases"
run() { ${EDGESEQ_EMULATOR:-} "$@"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
check() {  # check NAME CONDITION...
  if eval "${@:2}"; then passes=$((passes + 1)); else echo "FAILED: $1"; fails=$((fails + 1)); fi
}
ids="--pad 0 --bos 1 --eos 2 --unk 3"

# refuses NAME EXPECTED_TEXT ARGS...: once into a new file, once over an existing one.
refuses() {
  local name="$1" want="$2"; shift 2
  for existing in no yes; do
    rm -f "$tmp"/out.esq*
    [ $existing = yes ] && echo "previous" > "$tmp/out.esq"
    run "$convert" "$@" -o "$tmp/out.esq" 2> "$tmp/err.txt"
    local status=$?
    check "$name: exit 2 (got $status)" '[ $status -eq 2 ]'
    check "$name: one line: $(head -c 300 "$tmp/err.txt")" \
      '[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] && grep -q "^edgeseq-convert: error: " "$tmp/err.txt"'
    check "$name: says '$want': $(cat "$tmp/err.txt")" 'grep -qF -- "$want" "$tmp/err.txt"'
    check "$name: names no temporary file" '! grep -q "\.tmp\." "$tmp/err.txt"'
    if [ $existing = yes ]; then
      check "$name: existing output untouched" '[ "$(cat "$tmp/out.esq")" = previous ] && [ "$(ls "$tmp" | grep -c "^out.esq")" -eq 1 ]'
    else
      check "$name: no output file" '[ "$(ls "$tmp" | grep -c "^out.esq")" -eq 0 ]'
    fi
  done
}

# Settings: from the file, a flag, or refused.
printf 'heads = 4\nhaeds = 2\n' > "$tmp/misspelt.toml"
refuses "--config: a misspelt name" "haeds" "$fx/user_state_dict.pth" --config "$tmp/misspelt.toml" $ids
refuses "--config: a missing file" "no-such.toml" "$fx/user_state_dict.pth" --config "$tmp/no-such.toml" $ids
refuses "flag contradicts the file" "--heads 2 contradicts the checkpoint" "$fx/user_whole.pth" --heads 2 $ids
refuses "eps contradicts the file" "--eps 1e-05 contradicts" "$fx/user_whole.pth" --eps 1e-5 $ids
refuses "post-norm contradicts the file" "--norm-first false contradicts" "$fx/user_whole.pth" --post-norm $ids
refuses "state dict without heads" "--heads is required" "$fx/user_state_dict.pth" $ids
refuses "strict refuses defaults" "--strict: " "$fx/user_state_dict.pth" --heads 4 --strict
refuses "module activation disagreeing with the decoder's" "disagree on the activation" \
  "$fx/whole_module_activation.pth" $ids
refuses "biases under other names" "bias tensor(s) it does not use" "$fx/biases_renamed.pth" --heads 4 $ids
refuses "strict names the flag pair" "--post-norm" "$fx/user_state_dict.pth" --heads 4 --strict
# Values.
refuses "NaN weight" "transformer.encoder.layers.1.linear1.weight holds NaN" "$fx/nan_ffn.pth" --heads 4 $ids
# Flags, named as flags.
refuses "heads that do not divide d_model" "--heads 3 does not divide d_model 16" "$fx/user_state_dict.pth" --heads 3 $ids
refuses "bos outside the vocabulary" "--bos 99 is not an id of the target vocabulary" \
  "$fx/user_state_dict.pth" --heads 4 --pad 0 --bos 99 --eos 2 --unk 3
refuses "unknown tokenizer" "--src-tokenizer" "$fx/user_state_dict.pth" --heads 4 $ids \
  --src-tokenizer sentencepiece:m.model
refuses "tokenizer without vocabulary" "needs --src-vocab" "$fx/user_state_dict.pth" --heads 4 $ids --src-tokenizer chars
refuses "unknown activation" "--activation" "$fx/user_state_dict.pth" --heads 4 $ids --activation swish
refuses "unknown quantization" "--quantize" "$fx/user_state_dict.pth" --heads 4 $ids --quantize int4
refuses "unknown weight bits" "--weight-bits" "$fx/user_state_dict.pth" --heads 4 $ids --weight-bits 6
refuses "--arch with --map" "--map excludes --arch" "$fx/user_state_dict.pth" --heads 4 $ids \
  --arch torch-transformer --map "$fx/qkv_zero_part.json"
refuses "--max-positions beyond a learned table" "--max-positions 33 exceeds the 32 positions the learned table" \
  "$fx/learned_positions.pth" --heads 4 $ids --max-positions 33
# Structure: a layout that does not match points to --map and the file's names.
refuses "other names" "--map" "$fx/other_names.pth" --heads 4 $ids
refuses "optional rule with a present part" "null" "$fx/qkv_no_key_bias.pth" --heads 4 $ids --map "$fx/qkv_optional.json"
# Hugging Face directories (tests/fixtures/hf_families): a model_type edgeseq
# does not read, and an index whose shard is not there.
hf="$src/tests/fixtures/hf_families"
mkdir -p "$tmp/hf_pegasus" "$tmp/hf_shard"
sed 's/"model_type": "marian"/"model_type": "pegasus"/' "$hf/marian/config.json" > "$tmp/hf_pegasus/config.json"
cp "$hf/marian/model.safetensors" "$tmp/hf_pegasus/"
refuses "unknown model_type" "model_type 'pegasus' is not supported (supported: bart, m2m_100, marian, mbart, mt5, t5, whisper)" "$tmp/hf_pegasus"
cp "$hf/bart/config.json" "$hf/bart/model.safetensors.index.json" "$hf/bart/model-00001-of-00002.safetensors" \
  "$tmp/hf_shard/"
refuses "missing shard" "names shard model-00002-of-00002.safetensors, which is not in" "$tmp/hf_shard"

# The faithful side, through the executable: a summary of every setting with
# its origin, notes for a stripped prefix and for tensors kept f32.
run "$convert" "$fx/user_whole.pth" -o "$tmp/whole.esq" $ids 2> "$tmp/log.txt"
check "whole model converts without --heads" '[ $? -eq 0 ]'
check "summary: heads from the file" 'grep -Eq "^  --heads +4 +file: .*num_heads" "$tmp/log.txt"'
check "summary: eps from the file" 'grep -Eq "^  --eps +1e-06 +file: " "$tmp/log.txt"'
check "summary: a default says so" 'grep -Eq "^  --embedding-scale +4 +default: " "$tmp/log.txt"'
run "$convert" "$fx/user_module_prefix.pth" -o "$tmp/prefix.esq" --heads 4 $ids 2> "$tmp/log.txt"
check "module. prefix converts" '[ $? -eq 0 ] && grep -q "began with .module.." "$tmp/log.txt"'
run "$convert" "$fx/beyond_f16.pth" -o "$tmp/f16.esq" --heads 4 $ids --quantize f16 -q 2> "$tmp/log.txt"
check "beyond f16 converts" '[ $? -eq 0 ]'
check "beyond f16: says which tensor stays f32" 'grep -q "encoder.embed_tokens.weight stays f32" "$tmp/log.txt"'
run "$convert" "$fx/user_whole.pth" --list > "$tmp/list.txt"
check "--list exits 0" '[ $? -eq 0 ]'
check "--list names the container" 'grep -q "pickled object" "$tmp/list.txt"'
check "--list shows each tensor" 'grep -Eq "^  generator.weight +float32 +\[17, 16\]" "$tmp/list.txt"'

# Out of memory is one line, not an abort (not under qemu or a sanitizer,
# which reserve more address space than the limit).
if [ -z "${EDGESEQ_EMULATOR:-}" ] && [ -z "${ASAN_OPTIONS:-}" ] && [ -z "${TSAN_OPTIONS:-}" ]; then
  (ulimit -v 400000; "$convert" "$fx/needs_256mb.pth" -o "$tmp/big.esq" --heads 4 --map "$fx/needs_256mb.json" \
     2> "$tmp/err.txt")
  status=$?
  check "out of memory: exit 2 (got $status)" '[ $status -eq 2 ]'
  check "out of memory: one line: $(cat "$tmp/err.txt")" \
    '[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] && grep -q "out of memory" "$tmp/err.txt"'
  check "out of memory: no output" '[ ! -e "$tmp/big.esq" ]'
else
  echo "skipped: the out-of-memory check (ulimit -v) under qemu or a sanitizer, which reserve more address space"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
