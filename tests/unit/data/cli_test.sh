#!/usr/bin/env bash
# dptrain prepare idx / inspect / bench loader end to end on the Fashion-MNIST test split:
# outputs, exit codes (0 ok, 1 runtime error, 2 usage) and the one-line errors.
set -u
src=/usr/share/datasets/fashion-mnist
images=$src/t10k-images-idx3-ubyte.gz
labels=$src/t10k-labels-idx1-ubyte.gz
[[ -f $images && -f $labels ]] || { echo "SKIP: $src missing (apt-get install dataset-fashion-mnist)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$DPT_SOURCE_DIR/tests/support/cli_expect.sh"
names="T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
prepare=("$DPTRAIN" prepare idx --images "$images" --labels "$labels" --shards 3 --class-names "$names")

expect 0 "wrote .*10000 samples, 3 shard" "${prepare[@]}" --out "$tmp/test"
expect 0 "samples: 10000 in 3 shard\(s\)" "$DPTRAIN" inspect "$tmp/test"
grep -qE "^  x +uint8 +\[28, 28\] +image +pixel mean 0\.28" <<<"$out" || fail "x field line: $out"
grep -qE "^  y +uint8 +\[\] +label +10 classes" <<<"$out" || fail "y field line: $out"
grep -q "9=Ankle boot" <<<"$out" || fail "class names: $out"
grep -q "^check: OK" <<<"$out" || fail "check line: $out"
[[ $(ls "$tmp") == "test" ]] || fail "prepare left other entries: $(ls "$tmp")"

expect 1 "already exists; pass --overwrite" "${prepare[@]}" --out "$tmp/test"
[[ $(grep -c "DataError" <<<"$out") -eq 1 ]] || fail "expected one error line: $out"
expect 2 "needs --labels" "$DPTRAIN" prepare idx --images "$images" --out "$tmp/x"

cp -r "$tmp/test" "$tmp/bad"
truncate -s 1000 "$tmp/bad/shard-00001.h5"
expect 1 "^check: 1 problem" "$DPTRAIN" inspect "$tmp/bad"
grep -q "shard-00001.h5' is 1000 bytes but manifest.json says" <<<"$out" || fail "truncation not named: $out"
expect 1 "does not exist" "$DPTRAIN" inspect "$tmp/none"

expect 0 "^\| 0 \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \|" \
  "$DPTRAIN" bench loader --dir "$tmp/test" --rounds 1 --global-batch 256 --micro-batch 64
expect 2 "not a multiple of micro-batch" \
  "$DPTRAIN" bench loader --dir "$tmp/test" --rounds 1 --global-batch 100 --micro-batch 64
expect 1 "has 10000 samples, fewer than one global batch of 16384" \
  "$DPTRAIN" bench loader --dir "$tmp/test" --rounds 1 --global-batch 16384 --micro-batch 64
echo "data cli: ok"
