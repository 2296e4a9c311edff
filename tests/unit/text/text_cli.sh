#!/usr/bin/env bash
# dptrain vocab / prepare text / tokenize / inspect / bench tokenizer end to end on a tiny
# fortune-format corpus: outputs, exit codes (0 ok, 1 runtime error, 2 usage), one-line errors.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$DPT_SOURCE_DIR/tests/support/cli_expect.sh"
"$DPT_SOURCE_DIR/tests/unit/text/make_tiny_corpus.sh" "$tmp/corpus"
corpus=(--input "$tmp/corpus" --format fortune)

expect 0 "wrote .*vocab.txt: 150 tokens \(5 special" "$DPTRAIN" vocab "${corpus[@]}" --size 150 --out "$tmp/vocab.txt"
[[ $(head -5 "$tmp/vocab.txt" | tr '\n' ' ') == "[PAD] [UNK] [CLS] [SEP] [MASK] " ]] || fail "specials: $(head -5 "$tmp/vocab.txt")"
[[ $(wc -l <"$tmp/vocab.txt") -eq 150 ]] || fail "vocab lines: $(wc -l <"$tmp/vocab.txt")"
"$DPTRAIN" vocab "${corpus[@]}" --size 150 --out "$tmp/vocab2.txt" >/dev/null 2>&1
cmp -s "$tmp/vocab.txt" "$tmp/vocab2.txt" || fail "vocab is not deterministic"
expect 0 "not 5000" "$DPTRAIN" vocab "${corpus[@]}" --size 5000 --out "$tmp/big.txt"

prep=("$DPTRAIN" prepare text "${corpus[@]}" --vocab "$tmp/vocab.txt" --max-len 16 --test-fraction 0.2)
expect 0 "train: [0-9]+ samples from [0-9]+ documents" "${prep[@]}" --labels file --out "$tmp/cls"
grep -qE "^    0 alpha: [0-9]+" <<<"$out" || fail "class lines: $out"
expect 0 "check: OK" "$DPTRAIN" inspect "$tmp/cls/train"
grep -qE "^  input_ids +int32 +\[16\] +value" <<<"$out" || fail "input_ids line: $out"
grep -qE "^  attention_mask +uint8 +\[16\] +value" <<<"$out" || fail "attention_mask line: $out"
grep -qE "^  label +int32 +\[\] +label +3 classes" <<<"$out" || fail "label line: $out"
grep -q "classes: 0=alpha, 1=beta, 2=gamma" <<<"$out" || fail "class names: $out"
grep -qE "^text: max_len 16, one document per sample, vocab .*vocab.txt \(150 tokens, fnv1a64:[0-9a-f]{16}, lower-cased, accents stripped\)" <<<"$out" || fail "text line: $out"
grep -q "special ids: \[PAD\]=0 \[UNK\]=1 \[CLS\]=2 \[SEP\]=3 \[MASK\]=4" <<<"$out" || fail "special ids: $out"
samples_train=$(grep -oE "^samples: [0-9]+" <<<"$out")
expect 0 "check: OK" "$DPTRAIN" inspect "$tmp/cls/test"
expect 0 "packed" "${prep[@]}" --out "$tmp/mlm"
expect 0 "text: max_len 16, packed" "$DPTRAIN" inspect "$tmp/mlm/train"

# The same corpus in another order and place gives the same splits.
mkdir -p "$tmp/other/z"
cp "$tmp/corpus/gamma" "$tmp/other/a-gamma" && cp "$tmp/corpus/alpha" "$tmp/other/z/alpha" && cp "$tmp/corpus/beta" "$tmp/other/beta"
expect 0 "wrote" "$DPTRAIN" prepare text --input "$tmp/other" --format fortune --vocab "$tmp/vocab.txt" --max-len 16 \
  --test-fraction 0.2 --out "$tmp/other-mlm"
for s in train test; do
  cmp -s <(h5dump -d /input_ids -y -w 0 "$tmp/mlm/$s/shard-00000.h5" | grep -v HDF5) \
    <(h5dump -d /input_ids -y -w 0 "$tmp/other-mlm/$s/shard-00000.h5" | grep -v HDF5) ||
    fail "$s split depends on the file order"
done

expect 1 "already exists; pass --overwrite" "${prep[@]}" --labels file --out "$tmp/cls"
expect 0 "wrote" "${prep[@]}" --labels file --out "$tmp/cls" --overwrite
expect 0 "$samples_train" "$DPTRAIN" inspect "$tmp/cls/train"
expect 0 "dropped 1 label\(s\) not in --classes or under --min-docs: gamma \(60\)" "${prep[@]}" --labels file --classes beta,alpha --out "$tmp/two"
expect 0 "classes: 0=beta, 1=alpha" "$DPTRAIN" inspect "$tmp/two/train"
expect 1 "class 'delta' of --classes has no documents" "${prep[@]}" --labels file --classes delta --out "$tmp/x"
expect 2 "needs --vocab" "$DPTRAIN" prepare text "${corpus[@]}" --out "$tmp/x"
expect 2 "unknown corpus format 'csv'" "$DPTRAIN" prepare text --input "$tmp/corpus" --format csv --vocab "$tmp/vocab.txt" --out "$tmp/x"
printf 'fine\n%%\ncaf\xe9\n%%\n' >"$tmp/corpus/latin1"
expect 1 "corpus file '.*latin1': invalid UTF-8 at byte offset 10 \(bytes 0xE9 0x0A" "${prep[@]}" --out "$tmp/x"
[[ $(grep -c "DataError" <<<"$out") -eq 1 ]] || fail "expected one error line: $out"
[[ ! -e $tmp/x/train ]] || fail "a failed prepare left output"
rm "$tmp/corpus/latin1"

expect 0 "^the .+ , number 1$" "$DPTRAIN" tokenize --vocab "$tmp/vocab.txt" --text "The cats and the purr, number 1"
expect 0 "^[0-9]+( [0-9]+)+$" "$DPTRAIN" tokenize --vocab "$tmp/vocab.txt" --text "The cats" --ids
expect 2 "give either --text or --file" "$DPTRAIN" tokenize --vocab "$tmp/vocab.txt"
expect 0 "\| tokenizer \(basic \+ WordPiece\) \| [0-9.]+ \|" "$DPTRAIN" bench tokenizer "${corpus[@]}" --vocab "$tmp/vocab.txt" --rounds 1
echo "text cli: ok"
