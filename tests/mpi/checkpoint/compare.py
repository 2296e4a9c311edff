"""Helpers of the checkpoint script tests (run with /usr/bin/python3; h5py + numpy).

  compare.py state A.h5 B.h5 [atol]   every dataset but /meta and /rng equal (atol 0: bitwise)
  compare.py losses RUN_A RUN_B [rtol] metrics.jsonl loss and eval lines equal (rtol 0: exactly)
  compare.py latest DIR [STEP]         `latest` names a committed, complete file (of STEP)
  compare.py same DATASET A.h5 B.h5    one dataset identical in both files
"""
import json
import os
import sys

import h5py
import numpy as np


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith(("meta", "rng")):
                out[name] = obj[()]
        f.visititems(visit)
    return out


def state(a, b, atol=0.0):
    x, y = datasets(a), datasets(b)
    assert x.keys() == y.keys(), sorted(set(x) ^ set(y))
    worst = 0.0
    for name in x:
        assert x[name].shape == y[name].shape and x[name].dtype == y[name].dtype, name
        if atol == 0.0 or x[name].dtype.kind in "iub":
            assert np.array_equal(x[name], y[name]), f"{name} differs"
        else:
            diff = float(np.max(np.abs(x[name].astype(np.float64) - y[name]))) if x[name].size else 0.0
            assert diff <= atol, f"{name}: max |difference| {diff} > {atol}"
            worst = max(worst, diff)
    print(f"state: {len(x)} datasets match (max |difference| {worst:.3g}, atol {atol})")


def lines(run):
    with open(os.path.join(run, "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    losses = [(r["step"], r["loss"]) for r in records if "loss" in r]
    evals = [(r["step"], r["eval_loss"], r["eval_accuracy"]) for r in records if "eval_loss" in r]
    return losses, evals


def losses(a, b, rtol=0.0):
    (la, ea), (lb, eb) = lines(a), lines(b)
    assert [s for s, _ in la] == [s for s, _ in lb], (la, lb)
    assert [e[0] for e in ea] == [e[0] for e in eb], (ea, eb)
    for (step, x), (_, y) in zip(la, lb):
        assert (x == y) if rtol == 0 else abs(x - y) <= rtol * abs(x), f"step {step}: loss {x} vs {y}"
    for x, y in zip(ea, eb):
        assert (x == y) if rtol == 0 else abs(x[1] - y[1]) <= rtol * abs(x[1]), f"eval {x} vs {y}"
    print(f"losses: {len(la)} loss lines and {len(ea)} eval lines match (rtol {rtol})")


def latest(directory, step=None):
    name = open(os.path.join(directory, "latest")).read().strip()
    assert name.startswith("step_") and name.endswith(".h5"), name
    path = os.path.join(directory, name)
    assert os.path.isfile(path), f"latest names {name}, which does not exist"
    with h5py.File(path, "r") as f:
        manifest = json.loads(f["meta/manifest"][()])
        for t in manifest["tensors"]:
            assert t["name"] in f, f"{name} lacks {t['name']}"
    if step is not None:
        assert manifest["step"] == int(step), (name, manifest["step"], step)
    print(f"latest: {name} (step {manifest['step']}) is complete")


def same(dataset, a, b):
    with h5py.File(a, "r") as f, h5py.File(b, "r") as g:
        assert np.array_equal(f[dataset][()], g[dataset][()]), f"{dataset} differs between {a} and {b}"


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "state":
        state(args[0], args[1], float(args[2]) if len(args) > 2 else 0.0)
    elif command == "losses":
        losses(args[0], args[1], float(args[2]) if len(args) > 2 else 0.0)
    elif command == "latest":
        latest(*args)
    elif command == "same":
        same(*args)
    else:
        sys.exit(f"unknown command {command}")
