#!/usr/bin/env bash
# A 2-rank run with log.timeline=true writes runs/<name>/timeline.json: valid Chrome-trace JSON
# with the step-loop spans on every rank, properly nested, and gradient all-reduces on the
# communication track that overlap backward spans (small buckets, so that several are
# launched while backward runs).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=/usr/share/datasets/fashion-mnist
"$DPTRAIN" prepare idx --images $src/t10k-images-idx3-ubyte.gz --labels $src/t10k-labels-idx1-ubyte.gz \
  --out "$work/data" --shards 2 >/dev/null
mpiexec -n 2 "$DPTRAIN" train --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" --data.train="$work/data" \
  --data.test= --run.dir="$work/runs" --run.name=tl --train.steps=30 --log.timeline=true --log.progress=off \
  --ddp.first_bucket_mb=0.05 --ddp.bucket_mb=0.1 >"$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
/usr/bin/python3 - "$work/runs/tl/timeline.json" <<'PY'
import json, sys
trace = json.load(open(sys.argv[1]))
events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
names = {(e["pid"], e["tid"], e["name"].split(" ")[0]) for e in events}
for rank in (0, 1):
    for name in ("data", "forward", "backward", "gradient", "optimizer"):
        assert (rank, 0, name) in names, (rank, name)
    assert (rank, 1, "allreduce") in names, f"rank {rank}: no all-reduce on the communication track"
    assert any(e["pid"] == rank and e["name"] == "thread_name" for e in trace["traceEvents"] if e["ph"] == "M")
# Proper nesting on each (rank, track): two spans either nest or are disjoint.
for rank in (0, 1):
    for tid in (0, 1):
        # By begin, the longer first: a parent and a child may start in the same microsecond.
        spans = sorted(((e["ts"], e["ts"] + e["dur"]) for e in events if e["pid"] == rank and e["tid"] == tid),
                       key=lambda s: (s[0], -s[1]))
        stack = []
        for begin, end in spans:
            while stack and stack[-1] <= begin:
                stack.pop()
            assert not stack or end <= stack[-1], f"rank {rank} track {tid}: span [{begin},{end}] crosses its parent"
            stack.append(end)
# Overlap: some all-reduce on the communication track runs while backward runs on the same rank.
overlaps = 0
for rank in (0, 1):
    backward = [(e["ts"], e["ts"] + e["dur"]) for e in events if e["pid"] == rank and e["name"] == "backward"]
    reduces = [(e["ts"], e["ts"] + e["dur"]) for e in events if e["pid"] == rank and e["tid"] == 1]
    overlaps += sum(1 for a, b in reduces if any(a < d and c < b for c, d in backward))
assert overlaps > 0, "no all-reduce overlapped backward"
print(f"timeline: {len(events)} spans, {overlaps} all-reduces overlapping backward")
PY
echo "timeline: ok"
