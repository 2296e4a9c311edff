#!/usr/bin/env python3
"""Scaling benchmark driver: runs `dptrain train` for a config at several rank counts and
reports throughput, step-time split and scaling efficiency (medians over repeats).

  benchmarks/scaling.py --config configs/fashion_mnist_cnn.ini --ranks 1,2 --steps 200 \
      --out benchmarks/results/weak-scaling-cnn

Weak scaling keeps train.micro_batch per rank fixed (global batch = micro × ranks); strong
scaling keeps train.global_batch fixed. Efficiency = throughput(N) / (N × throughput(1)).
The first --warmup logged interval of every run is dropped, so start-up does not count.
Writes <out>/results.csv and <out>/report.md (tables + the commands + the machine).
"""
import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

SPLIT = ["data_wait_s", "forward_backward_s", "comm_exposed_s", "optimizer_s"]


def run_once(args, ranks, global_batch, run_dir):
    cmd = ["mpirun", "-np", str(ranks), "--oversubscribe", "--bind-to", "none", args.dptrain, "train",
           "--config", args.config, f"--train.steps={args.steps}", f"--train.global_batch={global_batch}",
           f"--train.micro_batch={args.micro_batch}", f"--log.every_steps={args.log_every}",
           "--run.threads=1", "--log.progress=off", f"--run.dir={run_dir}", f"--run.name=r{ranks}",
           "--data.test=", "--eval.every_steps=0"] + args.extra
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"run failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    lines = [json.loads(l) for l in open(os.path.join(run_dir, f"r{ranks}", "metrics.jsonl"))]
    lines = [l for l in lines if "loss" in l][args.warmup:]
    if not lines:
        sys.exit("no metrics left after warm-up: raise --steps or lower --warmup")
    row = {"samples_per_s": statistics.median(l["samples_per_s"] for l in lines),
           "step_time_s": statistics.median(l["step_time_s"] for l in lines)}
    for key in SPLIT:
        row[key] = statistics.median(l[key] for l in lines)
    return row, " ".join(cmd[:4] + ["build/dptrain"] + cmd[5:])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--ranks", default="1,2", help="comma-separated rank counts")
    p.add_argument("--mode", choices=["weak", "strong"], default="weak")
    p.add_argument("--micro-batch", type=int, default=64, help="samples per rank per micro-step")
    p.add_argument("--global-batch", type=int, default=0, help="strong scaling: fixed global batch")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--warmup", type=int, default=1, help="logged intervals dropped per run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dptrain", default="build/dptrain")
    p.add_argument("--out", required=True)
    p.add_argument("extra", nargs="*", help="further --section.key=value overrides")
    args = p.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    cores = os.cpu_count() or 1
    os.makedirs(args.out, exist_ok=True)
    results = {n: [] for n in ranks}
    commands = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):  # interleave rank counts so drift hits all alike
            for n in ranks:
                g = args.micro_batch * n if args.mode == "weak" else args.global_batch
                row, cmd = run_once(args, n, g, tmp)
                results[n].append(row)
                commands[n] = cmd
                print(f"repeat {rep + 1}/{args.repeats}, {n} rank(s): {row['samples_per_s']:.0f} samples/s",
                      file=sys.stderr)
    base = statistics.median(r["samples_per_s"] for r in results[ranks[0]]) / ranks[0]
    rows = []
    for n in ranks:
        med = {k: statistics.median(r[k] for r in results[n]) for k in results[n][0]}
        med["ranks"] = n
        med["efficiency"] = med["samples_per_s"] / (n * base)
        med["exposed_comm_share"] = med["comm_exposed_s"] / med["step_time_s"]
        med["oversubscribed"] = n > cores
        rows.append(med)
    fields = ["ranks", "samples_per_s", "efficiency", "step_time_s"] + SPLIT + ["exposed_comm_share", "oversubscribed"]
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in fields})
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(f"# {args.mode.capitalize()} scaling: {os.path.basename(args.config)}\n\n")
        f.write(f"Machine: {platform.node()}, {cores} cores, {platform.processor() or platform.machine()}. "
                f"{args.repeats} repeats per point, medians; {args.steps} steps per run, first "
                f"{args.warmup * args.log_every} dropped; 1 thread per rank.\n\n")
        f.write(f"Command: `{' '.join(sys.argv)}`\n\n")
        f.write("| ranks | samples/s | efficiency | step ms | data wait ms | fwd+bwd ms | exposed comm ms | optimizer ms | exposed comm share |\n")
        f.write("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            mark = " (oversubscribed)" if r["oversubscribed"] else ""
            f.write(f"| {r['ranks']}{mark} | {r['samples_per_s']:.0f} | {r['efficiency']:.3f} | "
                    f"{r['step_time_s'] * 1e3:.1f} | {r['data_wait_s'] * 1e3:.2f} | {r['forward_backward_s'] * 1e3:.1f} | "
                    f"{r['comm_exposed_s'] * 1e3:.2f} | {r['optimizer_s'] * 1e3:.2f} | {r['exposed_comm_share']:.3f} |\n")
        f.write("\nPer-run commands:\n\n")
        for n in ranks:
            f.write(f"- `{commands[n]}`\n")
    print(open(os.path.join(args.out, "report.md")).read())


if __name__ == "__main__":
    main()
