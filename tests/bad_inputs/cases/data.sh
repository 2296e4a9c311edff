# Bad datasets: splits whose files are missing, damaged or described wrongly by their
# manifest, and bad IDX sources for `prepare idx`. Exit 1 (DataError); a failing prepare
# leaves no output directory, a failing train no checkpoint.
train=("$DPTRAIN" train --config "$fixtures/train.ini" --run.dir="$work/runs")
prepare=("$DPTRAIN" prepare idx --out "$work/out")

d=$(copy_split missing_shard); rm "$d/shard-00001.h5"
bad data_missing_shard 1 "missing_shard/shard-00001.h5" -- "${train[@]}" --data.train="$d"
d=$(copy_split truncated_shard); truncate -s 100000 "$d/shard-00000.h5"
bad data_truncated_shard 1 "truncated_shard/shard-00000.h5" -- "${train[@]}" --data.train="$d"
d=$(copy_split garbage_shard); size=$(stat -c %s "$d/shard-00001.h5")
head -c "$size" /dev/zero >"$d/shard-00001.h5"
bad data_not_hdf5_shard 1 "garbage_shard/shard-00001.h5" -- "${train[@]}" --data.train="$d"
d=$(copy_split wrong_dtype); edit_manifest "$d" 'm["fields"][1]["dtype"] = "int32"'
bad data_wrong_dtype 1 "wrong_dtype.*shard-0000[01].h5.*y" -- "${train[@]}" --data.train="$d"
d=$(copy_split wrong_shape); edit_manifest "$d" 'm["fields"][0]["shape"] = [28, 27]'
bad data_manifest_lies_shape 1 "wrong_shape.*shard-0000[01].h5.*x" -- "${train[@]}" --data.train="$d"
d=$(copy_split wrong_count)
edit_manifest "$d" 'm["shards"][0]["samples"] -= 1000; m["total_samples"] -= 1000'
bad data_manifest_lies_count 1 "wrong_count.*shard-00000.h5" -- "${train[@]}" --data.train="$d"
d=$(copy_split wrong_total); edit_manifest "$d" 'm["total_samples"] += 1'
bad data_manifest_lies_total 1 "wrong_total/manifest.json.*total_samples" -- "${train[@]}" --data.train="$d"
d=$(copy_split empty_split); edit_manifest "$d" 'm["shards"] = []'; rm "$d"/shard-*.h5
bad data_empty_split 1 "empty_split/manifest.json.*no shards" -- "${train[@]}" --data.train="$d"
d=$(copy_split no_manifest); rm "$d/manifest.json"
bad data_missing_manifest 1 "no manifest.json in '$d'" -- "${train[@]}" --data.train="$d"
d=$(copy_split bad_json); sed -i '0,/,/s/,/,,/' "$d/manifest.json"
bad data_manifest_not_json 1 "bad_json/manifest.json:[0-9]+:[0-9]+" -- "${train[@]}" --data.train="$d"
d=$(copy_split future); edit_manifest "$d" 'm["format_version"] = 2'
bad data_manifest_future_version 1 "future/manifest.json.*format_version 2" -- "${train[@]}" --data.train="$d"
d=$(copy_split few_classes); edit_manifest "$d" 'm["fields"][1]["num_classes"] = 5; m.pop("class_names", None)'
# Found at the first batch that holds such a label: the run directory exists by then (its
# config.ini and metrics.jsonl are the run's record), but no checkpoint may appear.
bad data_label_out_of_range 1 "label 6 out of range \[0, 5\).*few_classes/shard-0000" --allow runs \
  --allow runs/fixture --allow runs/fixture/config.ini --allow runs/fixture/metrics.jsonl \
  --allow runs/fixture/checkpoints -- "${train[@]}" --data.train="$d"
bad data_missing_split 1 "dataset directory '$work/nowhere' does not exist" -- "${train[@]}" --data.train="$work/nowhere"
bad data_eval_missing_test_split 1 "'$work/nowhere' does not exist" \
  -- "$DPTRAIN" eval --checkpoint "$fixtures/ckpt.h5" --data.test="$work/nowhere"
d=$(copy_split bench_truncated); truncate -s 100000 "$d/shard-00001.h5"
bad data_bench_loader_truncated 1 "bench_truncated/shard-00001.h5" \
  -- "$DPTRAIN" bench loader --dir "$d" --rounds 1
bad data_inspect_missing 1 "'$work/nothing' does not exist" -- "$DPTRAIN" inspect "$work/nothing"

# prepare idx: the output directory must not appear when the input is bad.
head -c 5000000 "$fixtures/images.idx" >"$work/truncated.idx"
bad prepare_truncated_idx 1 "truncated.idx' is truncated" \
  -- "${prepare[@]}" --images "$work/truncated.idx" --labels "$fixtures/labels.idx"
printf 'P5\n28 28\n255\n' >"$work/not_idx.pgm"
bad prepare_bad_magic 1 "not_idx.pgm' is not an IDX file" \
  -- "${prepare[@]}" --images "$work/not_idx.pgm" --labels "$fixtures/labels.idx"
write_idx "$work/floats.idx" 0x0d 10,2,2 160
bad prepare_wrong_element_type 1 "floats.idx' holds element type 0xd" \
  -- "${prepare[@]}" --images "$work/floats.idx" --labels "$fixtures/labels.idx"
write_idx "$work/labels9999.idx" 0x08 9999 9999
bad prepare_count_mismatch 1 "labels9999.idx.*9999" \
  -- "${prepare[@]}" --images "$fixtures/images.idx" --labels "$work/labels9999.idx"
bad prepare_missing_idx 1 "cannot open IDX file '$work/none.idx'" \
  -- "${prepare[@]}" --images "$work/none.idx" --labels "$fixtures/labels.idx"
write_idx "$work/huge_header.idx" 0x08 60000,28,28000 100
bad prepare_header_promises_too_much 1 "huge_header.idx' is truncated" \
  -- "${prepare[@]}" --images "$work/huge_header.idx" --labels "$fixtures/labels.idx"
bad prepare_labels_over_num_classes 1 "labels.idx.*num-classes|labels.idx.*9" \
  -- "${prepare[@]}" --images "$fixtures/images.idx" --labels "$fixtures/labels.idx" --num-classes 5
