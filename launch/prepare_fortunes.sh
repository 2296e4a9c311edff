#!/usr/bin/env bash
# Prepares the text data of the fortunes workflow (docs/text.md, "The fortunes data") from the
# Debian package fortunes, with an already built dptrain:
#   <data>/fortunes/vocab.txt        WordPiece vocabulary (dptrain vocab), from training text only
#   <data>/fortunes/mlm/{train,test}  every fortune, packed, for masked-LM pre-training
#   <data>/fortunes/cls/{train,test}  the classification task: a fortune -> its file's category
# Both use the same hash split (--test-fraction), so no test fortune of the classifier is ever
# seen in pre-training or in the vocabulary. Steps whose output exists are skipped.
# Usage: launch/prepare_fortunes.sh [data-dir (data)] [dptrain ($DPTRAIN, else build/dptrain)]
# Environment: MAX_LEN (128), VOCAB_SIZE (8000), TEST_FRACTION (0.1), CLASSES (below).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
data=${1:-$DPT_ROOT/data}/fortunes
dptrain=${2:-${DPTRAIN:-$DPT_ROOT/build/dptrain}}
src=/usr/share/games/fortunes
[[ -d $src ]] || { echo "prepare_fortunes.sh: $src missing: run launch/install-deps.sh (package fortunes)" >&2; exit 1; }
max_len=${MAX_LEN:-128}
vocab_size=${VOCAB_SIZE:-8000}
fraction=${TEST_FRACTION:-0.1}
# Topical categories with >= 400 fortunes each; docs/text.md says why these.
classes=${CLASSES:-art,computers,definitions,men-women,people,politics,science,songs-poems,work,zippy}
mkdir -p "$data"
if [[ ! -f $data/vocab.txt ]]; then
  "$dptrain" vocab --input $src --format fortune --size "$vocab_size" --test-fraction "$fraction" --out "$data/vocab.txt"
fi
if [[ ! -f $data/mlm/test/manifest.json ]]; then
  "$dptrain" prepare text --input $src --format fortune --vocab "$data/vocab.txt" --max-len "$max_len" \
    --test-fraction "$fraction" --out "$data/mlm" --overwrite
fi
if [[ ! -f $data/cls/test/manifest.json ]]; then
  "$dptrain" prepare text --input $src --format fortune --labels file --classes "$classes" --vocab "$data/vocab.txt" \
    --max-len "$max_len" --test-fraction "$fraction" --out "$data/cls" --overwrite
fi
