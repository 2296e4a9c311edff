#!/usr/bin/env bash
# Runs benchmarks/scaling.py on the MLP config with 1 and 2 ranks for a few steps and checks
# what a user opens afterwards: results.csv with the expected columns and one row per rank
# count, report.md with the table, the recommendation of the bucket sweep, the timeline cost,
# and the two plots.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=/usr/share/datasets/fashion-mnist
"$DPTRAIN" prepare idx --images $src/t10k-images-idx3-ubyte.gz --labels $src/t10k-labels-idx1-ubyte.gz \
  --out "$work/data" --shards 2 >/dev/null
/usr/bin/python3 "$DPT_SOURCE_DIR/benchmarks/scaling.py" --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" \
  --ranks 1,2 --steps 12 --log-every 4 --repeats 1 --micro-batch 32 --bucket-mb 0.1,1 --timeline-cost --dptrain "$DPTRAIN" \
  --out "$work/out" -- --data.train="$work/data" >"$work/log.txt" 2>&1 || { cat "$work/log.txt"; exit 1; }
/usr/bin/python3 - "$work/out" <<'PY'
import csv, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/results.csv")))
expected = ["ranks", "samples_per_s", "efficiency", "step_time_s", "data_wait_s", "forward_backward_s",
            "comm_exposed_s", "optimizer_s", "exposed_comm_share", "oversubscribed"]
assert list(rows[0].keys()) == expected, rows[0].keys()
assert [r["ranks"] for r in rows] == ["1", "2"], rows
assert abs(float(rows[0]["efficiency"]) - 1.0) < 1e-9, rows[0]
assert all(float(r["samples_per_s"]) > 0 for r in rows)
report = open(f"{out}/report.md").read()
for needle in ["| ranks | samples/s | efficiency", "Recommendation: ddp.bucket_mb =", "busbw", "Command:",
               "Median per-pair throughput ratio on/off", "--log.timeline=true"]:
    assert needle in report, needle
for png in ["throughput.png", "step_split.png"]:
    data = open(f"{out}/{png}", "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000, png
print("scaling script: ok")
PY
