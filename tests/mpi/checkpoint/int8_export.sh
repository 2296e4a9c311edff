#!/usr/bin/env bash
# Int8 export (docs/compression.md): a trained MLP exported with --quantize int8 is <= 0.3 x the
# float32 export, 'dptrain eval --model' evaluates it on 2 ranks within 0.5 points of the
# checkpoint's accuracy, and a float32 export given to --model is refused with a clear message.
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
train 2 run
ck=$(ckpt run 40)
"$DPTRAIN" export --checkpoint "$ck" --out "$work/fp32.pt" >"$work/export.log" 2>&1
"$DPTRAIN" export --checkpoint "$ck" --out "$work/int8.pt" --quantize int8 >>"$work/export.log" 2>&1 ||
  { cat "$work/export.log"; exit 1; }
grep -q "weights quantized per channel" "$work/export.log" || { echo "FAIL: no int8 report"; cat "$work/export.log"; exit 1; }
fp32=$(stat -c %s "$work/fp32.pt"); int8=$(stat -c %s "$work/int8.pt")
echo "export sizes: float32 $fp32 bytes, int8 $int8 bytes"
/usr/bin/python3 -c "import sys; r = $int8 / $fp32; print(f'ratio {r:.3f}'); sys.exit(r > 0.3)" ||
  { echo "FAIL: int8 export larger than 0.3 x float32"; exit 1; }
accuracy() { sed -n 's/^eval: .*accuracy \([0-9.e-]*\) .*/\1/p' "$1"; }
mpiexec -n 2 "$DPTRAIN" eval --checkpoint "$ck" --data.test="$work/test" >"$work/eval_fp32.log" 2>&1
mpiexec -n 2 "$DPTRAIN" eval --model "$work/int8.pt" --data.test="$work/test" >"$work/eval_int8.log" 2>&1 ||
  { cat "$work/eval_int8.log"; exit 1; }
a=$(accuracy "$work/eval_fp32.log"); b=$(accuracy "$work/eval_int8.log")
echo "accuracy: float32 checkpoint $a, int8 export $b"
/usr/bin/python3 -c "import sys; sys.exit(not ($a > 0.5 and abs($a - $b) <= 0.005))" ||
  { echo "FAIL: int8 accuracy $b vs $a"; exit 1; }
if "$DPTRAIN" eval --model "$work/fp32.pt" --data.test="$work/test" >"$work/bad.log" 2>&1; then
  echo "FAIL: a float32 export was accepted as int8"; exit 1
fi
grep -q "not an int8 export" "$work/bad.log" || { echo "FAIL: unclear error:"; cat "$work/bad.log"; exit 1; }
echo "int8 export: ok"
