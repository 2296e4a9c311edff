#!/usr/bin/env bash
# `srun -n 2 --mpi=pmix dptrain train` on the local Slurm cluster trains as one 2-rank world and
# logs exactly the losses of the same run under `mpiexec -n 2`.
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
slurm_setup
prepare_small_data

common=(--config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" --data.train="$work/data/test"
        --data.test="$work/data/test" --run.dir="$work/runs" --train.steps=40 --log.every_steps=10
        --eval.every_steps=0 --log.progress=off --run.threads=1)
srun -n 2 --mpi=pmix "$DPTRAIN" train "${common[@]}" --run.name=srun >"$work/srun.txt" 2>&1 ||
  { cat "$work/srun.txt"; fail "srun -n 2 --mpi=pmix dptrain train failed"; }
mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name=mpirun >"$work/mpirun.txt" 2>&1 ||
  { cat "$work/mpirun.txt"; fail "mpiexec -n 2 dptrain train failed"; }
grep -q "2 rank(s)" "$work/srun.txt" || { cat "$work/srun.txt"; fail "srun did not form one 2-rank world"; }

/usr/bin/python3 - "$work/runs" <<'PY'
import json, sys
runs = sys.argv[1]
def losses(name):
    lines = [json.loads(l) for l in open(f"{runs}/{name}/metrics.jsonl")]
    return {l["step"]: l["loss"] for l in lines if "loss" in l}
a, b = losses("srun"), losses("mpirun")
assert sorted(a) == [10, 20, 30, 40], a
assert a == b, f"srun losses {a} differ from mpiexec losses {b}"
for name in ("srun", "mpirun"):
    summary = json.load(open(f"{runs}/{name}/summary.json"))
    assert summary["world_size"] == 2 and summary["steps"] == 40, summary
print("srun and mpiexec losses equal:", [round(a[s], 5) for s in sorted(a)])
PY
echo "srun train: ok"
