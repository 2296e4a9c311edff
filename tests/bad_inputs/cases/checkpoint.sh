# Bad checkpoints for eval, export, inspect and train --resume. Exit 1 (CheckpointError), or 2
# for a checkpoint of another model; export leaves no output file, a resume no new checkpoint.
train=("$DPTRAIN" train --config "$fixtures/train.ini" --run.dir="$work/runs")

c=$(copy_ckpt truncated); truncate -s $(($(stat -c %s "$c") * 2 / 3)) "$c"
bad ckpt_truncated_eval 1 "truncated.h5" -- "$DPTRAIN" eval --checkpoint "$c" --data.test="$fixtures/test"
c=$(copy_ckpt flipped)
/usr/bin/python3 - "$c" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    offset = f["model/fc0.weight"].id.get_offset() + 1000
with open(sys.argv[1], "r+b") as f:
    f.seek(offset); b = f.read(1); f.seek(offset); f.write(bytes([b[0] ^ 0x10]))
PY
bad ckpt_flipped_byte_export 1 "flipped.h5.*checksum" -- "$DPTRAIN" export --checkpoint "$c" --out "$work/model.pt"
bad ckpt_flipped_byte_resume 1 "flipped.h5.*checksum" -- "${train[@]}" --resume "$c"
c=$(copy_ckpt version2)
edit_ckpt "$c" 'm = manifest(f); m["format_version"] = 2; rewrite_manifest(f, m)'
bad ckpt_wrong_format_version 1 "version2.h5.*format version 2" -- "$DPTRAIN" eval --checkpoint "$c" --data.test="$fixtures/test"
c=$(copy_ckpt no_optimizer); edit_ckpt "$c" 'del f["optimizer/fc0.weight"]'
bad ckpt_missing_optimizer_state 1 "no_optimizer.h5.*optimizer/fc0.weight" -- "${train[@]}" --resume "$c"
bad ckpt_wrong_model 2 "ckpt.h5.*model/fc0.weight" -- "${train[@]}" --model.hidden=64 --resume "$fixtures/ckpt.h5"
bad ckpt_wrong_model_type 2 "ckpt.h5.*model" -- "${train[@]}" --model.type=cnn --resume "$fixtures/ckpt.h5"
echo "not a checkpoint" >"$work/text.h5"
bad ckpt_not_hdf5_inspect 1 "text.h5" -- "$DPTRAIN" inspect "$work/text.h5"
bad ckpt_not_hdf5_eval 1 "text.h5" -- "$DPTRAIN" eval --checkpoint "$work/text.h5" --data.test="$fixtures/test"
bad ckpt_missing_export 1 "$work/none.h5" -- "$DPTRAIN" export --checkpoint "$work/none.h5" --out "$work/model.pt"
bad ckpt_export_no_out 2 "--out" -- "$DPTRAIN" export --checkpoint "$fixtures/ckpt.h5"
