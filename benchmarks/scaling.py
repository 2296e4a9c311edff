#!/usr/bin/env python3
"""Scaling benchmark: runs `dptrain train` for a config at several rank counts and reports
throughput, step-time split and scaling efficiency as a CSV, a markdown report and PNG plots.

  benchmarks/scaling.py --config configs/fashion_mnist_cnn.ini --ranks 1,2,4 \
      --out benchmarks/results/scaling-fashion-cnn [--bucket-mb 1,5,25,100]

Weak scaling (default) keeps train.micro_batch per rank fixed (global batch = micro × ranks);
strong scaling keeps --global-batch fixed. Efficiency = throughput(N) / (N × throughput(1)).
Every point is repeated (--repeats, interleaved so that drift hits all points alike) and the
medians are reported; the first logged interval of every run is dropped as warm-up. With
--bucket-mb the largest rank count is also run at each ddp.bucket_mb and the report
recommends the fastest. The all-reduce busbw at the model's bucket sizes comes from
`dptrain bench allreduce`. With --timeline-cost [PAIRS] the same rank count also runs PAIRS (default --repeats) pairs of
runs without and with log.timeline=true (alternating which goes first) and the report gives
the median per-pair throughput ratio. The sweep and the timeline pairs use the largest rank
count that is not oversubscribed. Inside a Slurm allocation ranks are started with
`srun --mpi=pmix` (default ranks: 1, 2, 4, … up to SLURM_NTASKS), else with mpirun
(default: 1, 2, … up to the cores). Plots are drawn with gnuplot (Debian: gnuplot-nox).
"""
import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

SPLIT = ["data_wait_s", "forward_backward_s", "comm_exposed_s", "optimizer_s"]
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def launcher(args, ranks):
    if args.launcher == "srun" or (args.launcher == "auto" and "SLURM_JOB_ID" in os.environ):
        return ["srun", "--mpi=pmix", "-n", str(ranks), "--overcommit"]
    return ["mpirun", "-np", str(ranks), "--oversubscribe", "--bind-to", "none"]


def run(cmd):
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return done


def train_point(args, ranks, overrides, run_dir, name):
    g = args.micro_batch * ranks if args.mode == "weak" else args.global_batch
    cmd = launcher(args, ranks) + [args.dptrain, "train", "--config", args.config,
                                   f"--train.steps={args.steps}", f"--train.global_batch={g}",
                                   f"--train.micro_batch={args.micro_batch}", f"--log.every_steps={args.log_every}",
                                   "--run.threads=1", "--log.progress=off", f"--run.dir={run_dir}",
                                   f"--run.name={name}", "--data.test=", "--eval.every_steps=0"] + overrides + args.extra
    done = run(cmd)
    params = re.search(r"(\d+) parameters", done.stderr)
    lines = [json.loads(l) for l in open(os.path.join(run_dir, name, "metrics.jsonl"))]
    lines = [l for l in lines if "loss" in l][1:]
    if not lines:
        sys.exit("no metrics after the warm-up interval: raise --steps")
    row = {k: statistics.median(l[k] for l in lines) for k in ["samples_per_s", "step_time_s"] + SPLIT}
    row["parameters"] = int(params.group(1)) if params else 0
    return row, " ".join(cmd).replace(args.dptrain, "build/dptrain")


def busbw_at(args, ranks, nbytes):
    """Median busbw (GB/s) of dptrain's async all-reduce at `nbytes`, from `dptrain bench allreduce`."""
    nbytes = max(4096, nbytes // 4 * 4)
    done = run(launcher(args, ranks) + [args.dptrain, "bench", "allreduce", "--comm.backend=mpi",
                                        f"--min-bytes={nbytes}", f"--max-bytes={nbytes}", "--seconds=0.5"])
    row = [c.strip() for c in done.stdout.strip().splitlines()[-1].strip("|").split("|")]
    return float(row[8])  # the async column's busbw


def bucket_sizes(parameters, first_mb, bucket_mb):
    total = parameters * 4
    sizes, first = [], int(first_mb * 2**20)
    sizes.append(min(total, first))
    rest = total - sizes[0]
    while rest > 0:
        sizes.append(min(rest, int(bucket_mb * 2**20)))
        rest -= sizes[-1]
    return sizes


def timeline_pairs(args, ranks, tmp):
    """Throughput without and with log.timeline=true, in pairs alternating which runs first."""
    off, on, ratios, command = [], [], [], ""
    pairs = args.timeline_cost or args.repeats
    for k in range(pairs):
        order = ["off", "on"] if k % 2 == 0 else ["on", "off"]
        got = {}
        for key in order:
            row, cmd = train_point(args, ranks, [f"--log.timeline={'true' if key == 'on' else 'false'}"], tmp,
                                   f"t{key}_{k}")
            got[key] = row["samples_per_s"]
            if key == "on":
                command = cmd
        off.append(got["off"])
        on.append(got["on"])
        ratios.append(got["on"] / got["off"])
        print(f"timeline pair {k + 1}/{pairs}: off {got['off']:.0f}, on {got['on']:.0f} samples/s",
              file=sys.stderr)
    return {"off": off, "on": on, "ratio": statistics.median(ratios), "command": command}


def plot(out, rows):
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plots (apt-get install gnuplot-nox)", file=sys.stderr)
        return
    dat = os.path.join(out, "plot.dat")
    with open(dat, "w") as f:
        for r in rows:
            f.write(f"{r['ranks']} {r['samples_per_s']} {r['efficiency']} " +
                    " ".join(str(r[k] * 1e3) for k in SPLIT) + "\n")
    script = f"""
set terminal pngcairo size 800,500 font ",11"
set datafile separator " "
set grid
set output "{out}/throughput.png"
set title "Throughput and scaling efficiency"
set xlabel "ranks"
set ylabel "samples/s"
set y2label "efficiency"
set y2range [0:1.2]
set ytics nomirror
set y2tics
set key left top
plot "{dat}" using 1:2 with linespoints lw 2 title "samples/s", \\
     "{dat}" using 1:3 axes x1y2 with linespoints lw 2 dt 2 title "efficiency"
unset y2label
unset y2tics
set output "{out}/step_split.png"
set title "Step time split (ms)"
set ylabel "ms per step"
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set key outside right
plot "{dat}" using 4:xtic(1) title "data wait", "" using 5 title "forward+backward", \\
     "" using 6 title "exposed comm", "" using 7 title "optimizer"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.remove(dat)


def summarize(points, ranks, cores):
    base = statistics.median(r["samples_per_s"] for r in points[ranks[0]]) / ranks[0]
    rows = []
    for n in ranks:
        med = {k: statistics.median(r[k] for r in points[n]) for k in points[n][0]}
        med.update(ranks=n, efficiency=med["samples_per_s"] / (n * base),
                   exposed_comm_share=med["comm_exposed_s"] / med["step_time_s"], oversubscribed=n > cores)
        rows.append(med)
    return rows


def write_report(args, rows, sweep, timeline, side, commands, busbw, cores):
    fields = ["ranks", "samples_per_s", "efficiency", "step_time_s"] + SPLIT + ["exposed_comm_share", "oversubscribed"]
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in fields})
    ms = lambda s: f"{s * 1e3:.2f}"
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(f"# {args.mode.capitalize()} scaling: {os.path.basename(args.config)}\n\n")
        f.write(f"Machine: {platform.node()}, {cores} cores ({platform.machine()}), {platform.platform()}. "
                f"{args.repeats} repeats per point, medians; {args.steps} steps per run, the first "
                f"{args.log_every} dropped; 1 thread per rank; micro-batch {args.micro_batch} per rank.\n\n")
        f.write(f"Command: `{' '.join(sys.argv)}`\n\n")
        f.write("| ranks | samples/s | efficiency | step ms | data wait ms | fwd+bwd ms | exposed comm ms "
                "| optimizer ms | exposed comm share |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            mark = " (oversubscribed)" if r["oversubscribed"] else ""
            f.write(f"| {r['ranks']}{mark} | {r['samples_per_s']:.0f} | {r['efficiency']:.3f} | {ms(r['step_time_s'])} "
                    f"| {ms(r['data_wait_s'])} | {ms(r['forward_backward_s'])} | {ms(r['comm_exposed_s'])} "
                    f"| {ms(r['optimizer_s'])} | {r['exposed_comm_share']:.3f} |\n")
        f.write("\n![throughput](throughput.png) ![step split](step_split.png)\n")
        if busbw:
            f.write(f"\nAll-reduce busbw at this model's bucket sizes ({rows[-1]['ranks']} ranks, "
                    "dptrain async, `dptrain bench allreduce`):\n\n| bucket bytes | busbw GB/s |\n|---:|---:|\n")
            for nbytes, bw in busbw:
                f.write(f"| {nbytes} | {bw:.3f} |\n")
        if sweep:
            best = max(sweep, key=lambda s: s[1]["samples_per_s"])
            f.write(f"\nBucket-size sweep at {side} ranks (ddp.first_bucket_mb = min(1, ddp.bucket_mb)):\n\n"
                    "| ddp.bucket_mb | buckets | samples/s | exposed comm ms |\n|---:|---:|---:|---:|\n")
            for mb, r in sweep:
                n = len(bucket_sizes(r["parameters"], min(1.0, mb), mb)) if r["parameters"] else "?"
                f.write(f"| {mb} | {n} | {r['samples_per_s']:.0f} | {ms(r['comm_exposed_s'])} |\n")
            f.write(f"\nRecommendation: ddp.bucket_mb = {best[0]} (highest throughput).\n")
        if timeline:
            f.write(f"\nTimeline cost at {side} ranks ({len(timeline['on'])} pairs of runs without and with "
                    "`--log.timeline=true`, alternating which goes first):\n\n"
                    "| log.timeline | samples/s (median) | runs |\n|---|---:|---|\n")
            for key in ("off", "on"):
                runs = " ".join(f"{x:.0f}" for x in timeline[key])
                f.write(f"| {key} | {statistics.median(timeline[key]):.0f} | {runs} |\n")
            f.write(f"\nMedian per-pair throughput ratio on/off: {timeline['ratio']:.3f} "
                    f"({(1 - timeline['ratio']) * 100:+.1f}% cost; target <= 2%).\n")
        f.write("\nPer-run commands:\n\n")
        for c in commands:
            f.write(f"- `{c}`\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--ranks", help="comma-separated rank counts (default: powers of 2 up to the node/allocation)")
    p.add_argument("--mode", choices=["weak", "strong"], default="weak")
    p.add_argument("--micro-batch", type=int, default=64, help="samples per rank per micro-step")
    p.add_argument("--global-batch", type=int, default=256, help="strong scaling: the fixed global batch")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--bucket-mb", default="",
                   help="also sweep ddp.bucket_mb (comma-separated MiB; first_bucket_mb = min(1, value)) at the "
                        "largest rank count that is not oversubscribed")
    p.add_argument("--timeline-cost", nargs="?", type=int, const=0, default=None, metavar="PAIRS",
                   help="also measure the throughput cost of log.timeline=true: PAIRS pairs of runs "
                        "(default: --repeats)")
    p.add_argument("--launcher", choices=["auto", "mpirun", "srun"], default="auto")
    p.add_argument("--dptrain", default="build/dptrain")
    p.add_argument("--out", required=True)
    p.add_argument("extra", nargs="*", help="further --section.key=value overrides for every run")
    args = p.parse_args()
    cores = os.cpu_count() or 1
    limit = int(os.environ.get("SLURM_NTASKS", cores))
    ranks = [int(r) for r in args.ranks.split(",")] if args.ranks else \
        [n for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if n <= limit]
    os.makedirs(args.out, exist_ok=True)
    points, commands, sweep, timeline = {n: [] for n in ranks}, [], [], None
    side = max([n for n in ranks if n <= limit] or ranks[:1])  # the sweep's and timeline pairs' rank count
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for n in ranks:
                row, cmd = train_point(args, n, [], tmp, f"r{n}_{rep}")
                points[n].append(row)
                if rep == 0:
                    commands.append(cmd)
                print(f"repeat {rep + 1}/{args.repeats}, {n} rank(s): {row['samples_per_s']:.0f} samples/s",
                      file=sys.stderr)
        for mb in [float(x) for x in args.bucket_mb.split(",") if x]:
            overrides = [f"--ddp.bucket_mb={mb}", f"--ddp.first_bucket_mb={min(1.0, mb)}"]
            reps = [train_point(args, side, overrides, tmp, f"b{mb}_{k}") for k in range(args.repeats)]
            sweep.append((mb, {k: statistics.median(r[0][k] for r in reps) for k in reps[0][0]}))
            commands.append(reps[0][1])
        if args.timeline_cost is not None:
            timeline = timeline_pairs(args, side, tmp)
            commands.append(timeline["command"])
    rows = summarize(points, ranks, limit)
    busbw = []
    if ranks[-1] > 1 and rows[0]["parameters"]:
        for nbytes in sorted(set(bucket_sizes(rows[0]["parameters"], 1, 25))):
            busbw.append((nbytes, busbw_at(args, ranks[-1], nbytes)))
    plot(args.out, rows)
    write_report(args, rows, sweep, timeline, side, commands, busbw, cores)
    print(open(os.path.join(args.out, "report.md")).read())


if __name__ == "__main__":
    main()
