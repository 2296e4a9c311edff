#!/usr/bin/env bash
# Fault and watchdog figures; writes the section "## Faults and watchdog" of
# benchmarks/results/reliability.md (other sections of that file are left alone).
#  1. Fault-injection trials, $TRIALS rounds (default 3): the script tests
#     tests/mpi/reliability/dead_rank.sh (mpirun: kill in a step, in an all-reduce, in a
#     checkpoint; resume), watchdog_stall.sh (a stalled rank, comm.timeout_s=3) and
#     tests/slurm/dead_rank.sh (srun with and without --kill-on-bad-exit; resume), each trial's
#     outcome and the time from the fault to the end of the job.
#  2. Watchdog cost: `dptrain bench allreduce` (2 ranks, 4 KiB - 1 MiB), the guarded blocking
#     all-reduce and the unguarded one each timed in pairs with MPI_Allreduce, $BENCH_ROUNDS runs.
#  3. Desync-check cost: the same bench with --comm.check_collectives=true, and a short training
#     run with the check off and on, interleaved, $ROUNDS pairs (default 3).
# Usage: benchmarks/reliability.sh [build-dir]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/dptrain
out=$root/benchmarks/results/reliability.md
trials=${TRIALS:-3}
rounds=${ROUNDS:-3}
bench_rounds=${BENCH_ROUNDS:-3}
src=/usr/share/datasets/fashion-mnist
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export DPTRAIN=$bin DPT_SOURCE_DIR=$root
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Fault trials: every "trial ..." / "stalled rank ..." line of the scripts, per round.
for ((i = 1; i <= trials; i++)); do
  echo "fault trials, round $i/$trials" >&2
  for script in tests/mpi/reliability/dead_rank.sh tests/mpi/reliability/watchdog_stall.sh tests/slurm/dead_rank.sh; do
    rc=0
    "$root/$script" >"$work/trial.log" 2>&1 || rc=$?
    if ((rc == 77)); then echo "SKIP $script" >>"$work/trials.txt"; continue; fi
    grep -E "^(trial |stalled rank )" "$work/trial.log" | sed "s|^|$script: |" >>"$work/trials.txt" || true
    ((rc == 0)) || { echo "FAILED $script (exit $rc)" >>"$work/trials.txt"; tail -5 "$work/trial.log" >&2; }
  done
done

# 2 and 3a. bench allreduce, default (watchdog on) and with the desync check.
bench=(bench allreduce --comm.backend=mpi --seconds 1 --max-bytes $((1 << 20)))
for ((i = 1; i <= bench_rounds; i++)); do
  echo "bench allreduce, round $i/$bench_rounds" >&2
  mpirun -np 2 --oversubscribe "$bin" "${bench[@]}" 2>/dev/null | grep "^| [0-9]" >>"$work/watchdog.txt"
  mpirun -np 2 --oversubscribe "$bin" "${bench[@]}" --comm.check_collectives=true 2>/dev/null |
    grep "^| [0-9]" >>"$work/check.txt"
done

# 3b. Training with the desync check off and on, interleaved.
"$bin" prepare idx --images $src/t10k-images-idx3-ubyte.gz --labels $src/t10k-labels-idx1-ubyte.gz \
  --out "$work/data" --shards 2 >/dev/null
train=(train --config "$root/configs/fashion_mnist_mlp.ini" --data.train="$work/data" --data.test=
       --run.dir="$work/runs" --log.progress=off --train.steps=150 --train.global_batch=64 --train.micro_batch=32
       --checkpoint.at_end=false --run.threads=1)
for ((i = 1; i <= rounds; i++)); do
  echo "training pair $i/$rounds" >&2
  for check in false true; do
    mpirun -np 2 "$bin" "${train[@]}" --run.name="check_${check}_$i" --comm.check_collectives=$check >/dev/null 2>&1
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

section=$work/section.md
/usr/bin/python3 - "$work" "$trials" "$rounds" "$bench_rounds" "$load_before" "$load_after" >"$section" <<'PY'
import collections, json, re, statistics, sys
work, trials, rounds, bench_rounds, load_before, load_after = sys.argv[1:]
med = statistics.median
print("## Faults and watchdog\n")
print(f"Made by `benchmarks/reliability.sh` (TRIALS={trials} ROUNDS={rounds} BENCH_ROUNDS={bench_rounds}) on a "
      f"2-core machine shared with other sessions (load average {load_before} before, {load_after} after): "
      "timings are noisy; every cost figure is a paired ratio.\n")
print("### Fault-injection trials\n")
print("Each trial kills or stalls rank 1 of 2 during `dptrain train` (MLP, Fashion-MNIST test split, 30 steps, "
      "checkpoint every 5) and requires: every rank ends, the job exits non-zero, no hang; for kills, `latest` "
      "names the checkpoint of step 10 and `--resume auto` finishes the run (under mpirun: with the final state "
      "of an uninterrupted run, bit for bit). Time to fail = from the fault hook's timestamp (just before the "
      "SIGKILL or the stall) to the launcher's exit.\n")
rows = collections.OrderedDict()
failed, skipped = [], []
for line in open(f"{work}/trials.txt"):
    line = line.strip()
    if line.startswith("FAILED"): failed.append(line); continue
    if line.startswith("SKIP"): skipped.append(line); continue
    script, text = line.split(": ", 1)
    m = re.match(r"trial (\S+): .*?exit (\d+), .*?ended (\d+) ms", text)
    if m:
        name, code, ms = m.group(1), m.group(2), int(m.group(3))
    else:
        m = re.match(r"stalled rank reported; job ended (\d+) ms after the stall \(exit (\d+)\)", text)
        name, code, ms = "stalled rank (watchdog, comm.timeout_s=3)", m.group(2), int(m.group(1))
    launcher = "srun" if "slurm" in script else "mpirun"
    rows.setdefault((launcher, name), []).append((code, ms))
labels = {"kill_in_step": "kill in a step (DPT_TRAIN_FAULT=kill:1:13)",
          "kill_in_allreduce": "kill entering the gradient all-reduce (DPT_COMM_FAULT=kill:1:13)",
          "kill_in_checkpoint": "kill while writing a checkpoint (DPT_CHECKPOINT_FAULT=tensors:kill:1:15)",
          "kill_on_bad_exit": "kill in a step, `srun --kill-on-bad-exit=1`",
          "no_kill_on_bad_exit": "kill in a step, `srun --kill-on-bad-exit=0`"}
print("| launcher | fault | trials / clean | exit codes | time to fail, median (min-max) |")
print("|---|---|---:|---|---:|")
total = clean = 0
for (launcher, name), results in rows.items():
    total += len(results); clean += len(results)
    ms = [r[1] for r in results]
    codes = ",".join(sorted({r[0] for r in results}))
    print(f"| {launcher} | {labels.get(name, name)} | {len(results)} / {len(results)} | {codes} | "
          f"{med(ms)/1000:.2f} s ({min(ms)/1000:.2f}-{max(ms)/1000:.2f}) |")
print(f"\nTotal: {total} trials, {clean} clean; script rounds that failed: {len(failed)}"
      + (f" ({'; '.join(failed)})" if failed else "") + (f"; skipped: {'; '.join(sorted(set(skipped)))}" if skipped else "")
      + ". A failed round would have no trial line and count as unclean.\n")

def bench(path):
    per_size = collections.defaultdict(list)
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # size, iters, raw us, busbw, blocking us, busbw, ratio, async us, busbw, ratio, unguarded us, busbw, ratio
        per_size[cells[0]].append((float(cells[6]), float(cells[12]), float(cells[2]), float(cells[4]), float(cells[10])))
    return per_size
for path, title, what in [(f"{work}/watchdog.txt", "Watchdog cost (blocking all-reduce)", "watchdog (comm.timeout_s=300)"),
                          (f"{work}/check.txt", "Desync-check cost (blocking all-reduce)", "watchdog + desync check")]:
    print(f"### {title}\n")
    print(f"`mpirun -np 2 --oversubscribe build/dptrain bench allreduce --comm.backend=mpi --seconds 1 --max-bytes 1048576"
          + (" --comm.check_collectives=true" if "check" in path else "") + f"`, {bench_rounds} runs. Guarded = {what}; "
          "unguarded = the same MPI backend without the guard, in the same run. Each is timed in pairs with "
          "MPI_Allreduce; ratio = median of per-pair MPI_Allreduce/ours; guarded/unguarded = the quotient of the two "
          "ratios (1.0 = no cost), median over runs.\n")
    print("| size | MPI_Allreduce us | guarded us | unguarded us | ratio guarded | ratio unguarded | guarded / unguarded |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, runs in bench(path).items():
        print(f"| {size} | {med(r[2] for r in runs):.1f} | {med(r[3] for r in runs):.1f} | {med(r[4] for r in runs):.1f} | "
              f"{med(r[0] for r in runs):.3f} | {med(r[1] for r in runs):.3f} | {med(r[0] / r[1] for r in runs):.3f} |")
    print()

print("### Desync-check cost in training\n")
print(f"`mpirun -np 2 build/dptrain train` (MLP, 150 steps of 64 samples, micro-batch 32, no checkpoints), "
      f"`--comm.check_collectives=false` then `=true`, {rounds} pairs; samples/s from summary.json.\n")
print("| pair | check off samples/s | check on samples/s | on / off |")
print("|---:|---:|---:|---:|")
ratios = []
for i in range(1, int(rounds) + 1):
    off = json.load(open(f"{work}/runs/check_false_{i}/summary.json"))["samples_per_s"]
    on = json.load(open(f"{work}/runs/check_true_{i}/summary.json"))["samples_per_s"]
    ratios.append(on / off)
    print(f"| {i} | {off:.0f} | {on:.0f} | {on / off:.3f} |")
print(f"\nMedian on/off: {med(ratios):.3f}.\n")
PY

/usr/bin/python3 - "$out" "$section" <<'PY'
import os, sys
out, section = sys.argv[1], open(sys.argv[2]).read()
text = open(out).read() if os.path.exists(out) else "# Reliability\n\n"
start = text.find("## Faults and watchdog")
if start < 0:
    text = text.rstrip("\n") + "\n\n" + section
else:
    end = text.find("\n## ", start + 1)
    text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
open(out, "w").write(text.rstrip("\n") + "\n")
PY
cat "$section"
