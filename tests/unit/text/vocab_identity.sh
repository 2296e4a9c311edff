#!/usr/bin/env bash
# Note [Vocabulary identity] (src/data/manifest.h): token ids mean tokens only with their
# vocabulary. On a tiny corpus and two vocabularies of the same size that differ in two ids:
# checkpoints record the training split's vocabulary; train (init_from, data.test), eval and
# explain accept matching vocabularies and refuse the other one, naming both files; explain
# refuses a vocabulary file that changed after prepare.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$DPT_SOURCE_DIR/tests/support/cli_expect.sh"
"$DPT_SOURCE_DIR/tests/unit/text/make_tiny_corpus.sh" "$tmp/corpus"
corpus=(--input "$tmp/corpus" --format fortune)
"$DPTRAIN" vocab "${corpus[@]}" --size 150 --out "$tmp/a.txt" >/dev/null || fail "dptrain vocab"
# b.txt: the same 150 tokens with two ordinary ones (ids 9 and 10) swapped.
awk 'NR == 10 { held = $0; next } NR == 11 { print; print held; next } { print }' "$tmp/a.txt" >"$tmp/b.txt"
cmp -s "$tmp/a.txt" "$tmp/b.txt" && fail "b.txt equals a.txt"
[[ $(wc -l <"$tmp/b.txt") -eq 150 ]] || fail "b.txt has $(wc -l <"$tmp/b.txt") tokens"
prep() {  # prep OUT VOCAB [options]
  local out=$1 vocab=$2
  shift 2
  "$DPTRAIN" prepare text "${corpus[@]}" --vocab "$tmp/$vocab" --max-len 16 --test-fraction 0.2 --out "$tmp/$out" \
    "$@" >/dev/null || fail "prepare text --out $out"
}
prep mlm a.txt
prep cls a.txt --labels file
prep clsb b.txt --labels file
hash_a=$(grep -o 'fnv1a64:[0-9a-f]*' "$tmp/cls/train/manifest.json")
tiny=(--model.type=bert --model.hidden=16 --model.layers=1 --model.heads=2 --model.ffn=32 --model.dropout=0
      --train.global_batch=8 --train.micro_batch=8 --train.steps=2 --eval.every_steps=0 --log.progress=off
      --run.dir="$tmp/runs")
cls=(--train.task=classify --data.train="$tmp/cls/train")

# Pre-training records the vocabulary in its checkpoints (manifest extra.model_input).
expect 0 "" "$DPTRAIN" train "${tiny[@]}" --train.task=mlm --data.train="$tmp/mlm/train" --data.test="$tmp/mlm/test" \
  --run.name=pre
grep -qa "\"vocab_hash\": *\"$hash_a\"" "$tmp/runs/pre/checkpoints/step_00000002.h5" ||
  fail "the checkpoint does not record vocab_hash $hash_a"

# train: init_from a checkpoint of another vocabulary, a test split of another vocabulary,
# resuming a run on a split of another vocabulary.
expect 0 "train.init_from $tmp/runs/pre: loaded" "$DPTRAIN" train "${tiny[@]}" "${cls[@]}" \
  --data.test="$tmp/cls/test" --train.init_from="$tmp/runs/pre" --run.name=cls
expect 1 "train.init_from=$tmp/runs/pre was trained on ids of the vocabulary $tmp/a.txt \(fnv1a64:[0-9a-f]{16}\), but the split $tmp/clsb/train was tokenized with $tmp/b.txt \(fnv1a64:[0-9a-f]{16}\): the same token id means a different token there" \
  "$DPTRAIN" train "${tiny[@]}" --train.task=classify --data.train="$tmp/clsb/train" --train.init_from="$tmp/runs/pre" \
  --run.name=x1
expect 1 "the training split $tmp/cls/train was tokenized with $tmp/a.txt \($hash_a\), but the split $tmp/clsb/test was tokenized with $tmp/b.txt" \
  "$DPTRAIN" train "${tiny[@]}" "${cls[@]}" --data.test="$tmp/clsb/test" --run.name=x2
expect 1 "\-\-resume: $tmp/runs/cls/checkpoints/step_00000002.h5 was trained on ids of the vocabulary $tmp/a.txt \($hash_a\), but the split $tmp/clsb/train was tokenized with $tmp/b.txt" \
  "$DPTRAIN" train "${tiny[@]}" --train.task=classify --data.train="$tmp/clsb/train" --run.name=cls --resume auto

# eval: the checkpoint on a test split of another vocabulary.
ckpt=$tmp/runs/cls/checkpoints/step_00000002.h5
expect 0 "eval: loss .* accuracy" "$DPTRAIN" eval --checkpoint "$ckpt"
expect 1 "checkpoint $ckpt was trained on ids of the vocabulary $tmp/a.txt \($hash_a\), but the split $tmp/clsb/test was tokenized with $tmp/b.txt" \
  "$DPTRAIN" eval --checkpoint "$ckpt" --data.test="$tmp/clsb/test"

# explain: the split's vocabulary (by its recorded path, or a copy elsewhere) works; another
# one of the same size given with --vocab, or the recorded file changed in place, does not.
text=(--checkpoint "$ckpt" --text "The cats and the dogs" --steps 4)
expect 0 "^predicted: " "$DPTRAIN" explain "${text[@]}"
cp "$tmp/a.txt" "$tmp/copy.txt"
expect 0 "^predicted: " "$DPTRAIN" explain "${text[@]}" --vocab "$tmp/copy.txt"
expect 1 "\-\-vocab is $tmp/b.txt \(fnv1a64:[0-9a-f]{16}\), but the split $tmp/cls/train was tokenized with $tmp/a.txt \($hash_a\).*Pass the vocabulary the split was prepared with" \
  "$DPTRAIN" explain "${text[@]}" --vocab "$tmp/b.txt"
cp "$tmp/b.txt" "$tmp/a.txt"
expect 1 "the vocabulary file is now $tmp/a.txt \(fnv1a64:[0-9a-f]{16}\), but the split $tmp/cls/train was tokenized with $tmp/a.txt \($hash_a\).*changed after 'dptrain prepare text'" \
  "$DPTRAIN" explain "${text[@]}"
expect 0 "^predicted: " "$DPTRAIN" explain "${text[@]}" --vocab "$tmp/copy.txt"
echo "vocab identity: ok"
