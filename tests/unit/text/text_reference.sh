#!/usr/bin/env bash
# The tokenizer and `prepare text` against BERT's reference tokenizer (bert_reference.py, run
# by /usr/bin/python3, whose unicodedata the Unicode tables come from):
#  1. `dptrain tokenize --ids` = the reference on seeded stress text (every basic-tokenizer rule),
#     uncased and cased, with a vocabulary built from that text;
#  2. the same on every fortune of the Debian package fortunes (when installed);
#  3. the labelled and packed splits of `prepare text`, read by h5py, row for row equal to the
#     reference tokenization of the documents in the split the hash assigns.
set -u
py=/usr/bin/python3
$py -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: no python3-h5py"; exit 77; }
here=$DPT_SOURCE_DIR/tests/unit/text
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$DPT_SOURCE_DIR/tests/support/cli_expect.sh"
same_ids() {  # same_ids <vocab> <file> [--cased]
  local flags=() ref=()
  [[ ${3:-} == --cased ]] && flags=(--lower-case false) ref=(--cased)
  "$DPTRAIN" tokenize --vocab "$1" --file "$2" --ids "${flags[@]}" >"$tmp/ours" || fail "dptrain tokenize failed"
  $py "$here/bert_reference.py" "$1" "$2" "${ref[@]}" >"$tmp/ref" || fail "bert_reference.py failed"
  if ! cmp -s "$tmp/ours" "$tmp/ref"; then
    line=$(cmp "$tmp/ours" "$tmp/ref" | grep -oE "line [0-9]+" | grep -oE "[0-9]+")
    fail "$2 ${3:-}: line $line differs: input $(sed -n "${line}p" "$2" | od -c | head -3) ours $(sed -n "${line}p" "$tmp/ours") reference $(sed -n "${line}p" "$tmp/ref")"
  fi
  echo "tokenizer = reference on $(wc -l <"$2") lines of $(basename "$2") ${3:-}"
}

$py "$here/make_stress_text.py" "$tmp/stress.txt" 3000
for mode in "" --cased; do
  flags=()
  [[ $mode == --cased ]] && flags=(--lower-case false)
  "$DPTRAIN" vocab --input "$tmp/stress.txt" --format lines --size 1500 --min-frequency 1 "${flags[@]}" \
    --out "$tmp/stress_vocab.txt" >/dev/null 2>&1 || fail "vocab on stress text"
  same_ids "$tmp/stress_vocab.txt" "$tmp/stress.txt" $mode
done
same_ids "$here/fixtures/vocab.txt" "$tmp/stress.txt"

fortunes=/usr/share/games/fortunes
if [[ -d $fortunes ]]; then
  "$DPTRAIN" vocab --input $fortunes --format fortune --size 4000 --out "$tmp/fortune_vocab.txt" >/dev/null 2>&1 ||
    fail "vocab on fortunes"
  find -L $fortunes -maxdepth 1 -type f ! -name "*.dat" ! -name "*.u8" | sort | xargs cat >"$tmp/fortunes.txt"
  same_ids "$tmp/fortune_vocab.txt" "$tmp/fortunes.txt"
else
  echo "note: $fortunes missing (apt-get install fortunes): the fortunes comparison did not run"
fi

"$here/make_tiny_corpus.sh" "$tmp/corpus"
"$DPTRAIN" vocab --input "$tmp/corpus" --format fortune --size 150 --out "$tmp/vocab.txt" >/dev/null 2>&1 || fail "vocab"
for mode in labelled packed; do
  labels=()
  [[ $mode == labelled ]] && labels=(--labels file)
  "$DPTRAIN" prepare text --input "$tmp/corpus" --format fortune --vocab "$tmp/vocab.txt" --max-len 12 \
    --test-fraction 0.25 --shards 2 "${labels[@]}" --out "$tmp/$mode" >/dev/null || fail "prepare text ($mode)"
  $py "$here/prepare_text_check.py" $mode "$tmp/$mode" "$tmp/corpus" "$tmp/vocab.txt" 12 0.25 || fail "$mode splits"
done
echo "text reference: ok"
