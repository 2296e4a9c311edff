#!/usr/bin/env bash
# The GPU checks of issue 11, in one run on a machine with an NVIDIA GPU and a CUDA PyTorch
# (tests/gpu/README.md says how it was prepared and how to start it):
#   env        what the machine has (GPU, driver, torch, CUDA, NCCL, compiler, CMake)
#   prefix     unpack .gpu-debs/carry (OpenMPI, parallel HDF5, Boost, GoogleTest; Fashion-MNIST)
#   configure  CMake against the torch package's LibTorch, DPT_WITH_CUDA=ON, DPT_WITH_NCCL=ON
#   build      dptrain and the GPU tests, Ninja, Release
#   nccl       1. the communicator tests with the NCCL backend (1 rank)
#   equiv      2. the equivalence test on the GPU (1 rank, accumulation) against the CPU
#   prepare    Fashion-MNIST IDX -> sharded HDF5 splits
#   train_fp32 3. CNN training on the GPU, fp32: samples/s and test accuracy
#   train_bf16 3. the same in bf16 autocast (train.precision=bf16)
#   eager      4. the same model and batch in PyTorch eager, fp32 and bf16
#   allreduce  5. dptrain bench allreduce with NCCL (1 rank: a sanity figure)
#   loader     5. dptrain bench loader: samples/s the loader delivers
#   train_acc  the config as it is (micro-batch 64, 2 accumulation micro-steps), 300 steps
# Each step has its own time limit and log; a failing step is recorded and the next one runs
# (steps that need the build are skipped when it failed). A table is printed last and written,
# with a .tar.gz of the logs, to $OUT when that is set (the device tool brings $OUT back).
# The script always exits 0: the table is the result.
#
# Usage: tests/gpu/run_gpu_checks.sh [LOG_DIR]     (default: $DPT_GPU_LOG_DIR or /tmp/dpt-gpu-logs)
# Environment: DPT_GPU_DEADLINE_S (default 540: steps are cut to end by then), DPT_GPU_JOBS
# (default: all cores), DPT_GPU_BUILD_DIR (default: build-gpu-check), DPT_GPU_WORK (/tmp/dpt-gpu),
# DPT_GPU_EPOCHS (3), DPT_GPU_STEPS (comma list of steps to run; default all), DPT_GPU_LIMIT_SCALE
# (1: multiplies every step's time limit, for slower machines).
# DPT_GPU_DRY_CPU=1 rehearses the script on a machine without a GPU (the host's LibTorch, MPI
# instead of NCCL, a few steps, GPU tests expected to skip): it checks the plumbing, not the GPU.
set -uo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$self")/../.." && pwd)
cd "$repo"
WORK=${DPT_GPU_WORK:-/tmp/dpt-gpu}
CARRY=${DPT_GPU_CARRY:-$repo/.gpu-debs/carry}
BUILD=${DPT_GPU_BUILD_DIR:-$repo/build-gpu-check}
JOBS=${DPT_GPU_JOBS:-$(nproc)}
EPOCHS=${DPT_GPU_EPOCHS:-3}
PREFIX=$WORK/prefix
DATA=$WORK/data
RUNS=$WORK/runs
STATE=$WORK/state.env
RESULTS=$WORK/results
DRY=${DPT_GPU_DRY_CPU:-0}
BACKEND=nccl; ((DRY)) && BACKEND=mpi

# ----------------------------------------------------------------------------------------------
# Steps. Each runs in its own process (`run_gpu_checks.sh __step NAME`, under `timeout`), with
# the facts of earlier steps from $STATE, and ends with `result STATUS "text"`.

result() { printf '%s\t%s\n' "$1" "$2" >"$RESULTS/$STEP"; }
fact() { printf '%s=%q\n' "$1" "$2" >>"$STATE"; }
metric() { printf '%s=%q\n' "$1" "$2" >>"$RESULTS/metrics.env"; }
have_option() { dpt_prefix_run "$BUILD/dptrain" "$1" --help 2>/dev/null | grep -q -- "--$2"; }
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2], ""))' "$1" "$2"; }

step_env() {
  set -x
  nvidia-smi || true
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
  uname -a; nproc; free -g || true; cat /etc/os-release || true
  g++ --version | head -1; cmake --version | head -1; ninja --version || true; which nvcc && nvcc --version | tail -2
  command -v dpkg xz ldconfig || true
  set +x
  python3 - >"$WORK/torch_facts.env" <<'EOF' || { result FAIL "python3 cannot import torch"; return; }
import os, shlex, torch
lib = os.path.join(os.path.dirname(torch.__file__), "lib")
nccl_root = ""
try:  # the NCCL torch itself loads (nvidia-nccl-cu* pip package: site-packages/nvidia/nccl)
    import nvidia.nccl as n
    candidates = list(getattr(n, "__path__", []))
except Exception:
    candidates = []
import sys
candidates += [os.path.join(p, "nvidia", "nccl") for p in sys.path if p]
for p in candidates:
    if os.path.exists(os.path.join(p, "include", "nccl.h")):
        nccl_root = p
        break
facts = {
    "TORCH_VERSION": torch.__version__, "TORCH_CUDA": torch.version.cuda or "",
    "TORCH_CMAKE": torch.utils.cmake_prefix_path, "TORCH_LIB": lib,
    "TORCH_CXX11_ABI": str(int(torch._C._GLIBCXX_USE_CXX11_ABI)),
    "TORCH_NCCL": ".".join(map(str, torch.cuda.nccl.version())) if torch.cuda.is_available() else "",
    "GPU_NAME": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
    "GPU_COUNT": str(torch.cuda.device_count()), "NCCL_ROOT": nccl_root,
}
for k, v in facts.items():
    print(f"{k}={shlex.quote(v)}")
EOF
  cat "$WORK/torch_facts.env"
  cat "$WORK/torch_facts.env" >>"$STATE"
  . "$WORK/torch_facts.env"
  local nvcc cuda_root
  nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
  cuda_root=$( [[ -n $nvcc ]] && cd "$(dirname "$(readlink -f "$nvcc")")/.." && pwd)
  fact CUDA_ROOT "${cuda_root:-/usr/local/cuda}"
  # NCCL: the pip package's (the library torch loads), else the toolkit's.
  if [[ -z $NCCL_ROOT && -f ${cuda_root:-/usr/local/cuda}/include/nccl.h ]]; then NCCL_ROOT=${cuda_root:-/usr/local/cuda}; fi
  fact NCCL_ROOT "$NCCL_ROOT"
  echo "CUDA_ROOT=${cuda_root:-?} NCCL_ROOT=${NCCL_ROOT:-?}"; ls -la "$NCCL_ROOT"/lib* 2>/dev/null | head
  ldd "$TORCH_LIB/libtorch_cuda.so" 2>/dev/null | grep -i nccl || true
  local gpu drv
  gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  drv=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
  fact GPU_DRIVER "$drv"
  if [[ ${GPU_COUNT:-0} -lt 1 ]] && ((!DRY)); then result FAIL "torch sees no GPU"; return; fi
  result PASS "${gpu:-$GPU_NAME} (driver ${drv:-?}), torch $TORCH_VERSION (CUDA $TORCH_CUDA, NCCL $TORCH_NCCL, cxx11abi $TORCH_CXX11_ABI), $(g++ -dumpfullversion 2>/dev/null || g++ -dumpversion), $(cmake --version | head -1), $(nproc) cores"
}

extract() {  # extract ARCHIVE DIR: tar with xz, or Python's lzma where xz is missing
  mkdir -p "$2"
  if command -v xz >/dev/null; then tar -xJf "$1" -C "$2"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; fi
}

step_prefix() {
  [[ -f $CARRY/prefix.tar.xz ]] || { result FAIL "no $CARRY/prefix.tar.xz: run tests/gpu/fetch_debs.sh and carry .gpu-debs/carry"; return; }
  (cd "$CARRY" && sed -n '/^# sha256/,$p' MANIFEST.txt | tail -n +2 | sha256sum -c --quiet) || { result FAIL "checksums differ from MANIFEST.txt"; return; }
  rm -rf "$PREFIX" && extract "$CARRY/prefix.tar.xz" "$PREFIX" || { result FAIL "cannot unpack prefix.tar.xz"; return; }
  mkdir -p "$DATA/raw"
  local f
  for f in "$CARRY"/fashion-mnist/*.xz; do
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      "$f" "$DATA/raw/$(basename "$f" .xz)" || { result FAIL "cannot unpack $f"; return; }
  done
  ls -la "$DATA/raw"
  source "$repo/tests/gpu/prefix_env.sh"
  dpt_prefix_setup "$PREFIX" || { result FAIL "dpt_prefix_setup failed"; return; }
  echo "fallback libraries exposed (the host lacks them): ${DPT_PREFIX_EXPOSED[*]:-none}"
  # A 2-rank MPI hello through the relocated Open MPI, compiled here.
  local ompi=$PREFIX/core/usr/lib/x86_64-linux-gnu/openmpi
  cat >"$WORK/hello_mpi.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
  int provided, rank, size, sum = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
  int v = rank + 1; MPI_Allreduce(&v, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d/%d sum %d thread level %d\n", rank, size, sum, provided);
  MPI_Finalize(); return 0;
}
EOF
  gcc -I"$ompi/include" "$WORK/hello_mpi.c" -L"$ompi/lib" -lmpi -Wl,-rpath-link,"$DPT_PREFIX_LIBRARY_PATH" \
    -o "$WORK/hello_mpi" || { result FAIL "cannot compile an MPI hello against the prefix"; return; }
  local out
  out=$(dpt_prefix_mpirun -np 2 --bind-to none "$WORK/hello_mpi" 2>&1); echo "$out"
  grep -q "sum 3 thread level 3" <<<"$out" || { result FAIL "2-rank MPI hello failed (see log)"; return; }
  result PASS "prefix + data unpacked; mpirun -np 2 hello OK; fallback libs exposed: ${#DPT_PREFIX_EXPOSED[@]}"
}

step_configure() {
  source "$repo/tests/gpu/prefix_env.sh"
  dpt_prefix_setup "$PREFIX" >/dev/null || { result FAIL "no prefix"; return; }
  rm -rf "$BUILD"
  # The torch package's LibTorch (its TorchConfig brings the CXX11-ABI flag and the CUDA setup),
  # NCCL from the pip package torch loads (else the toolkit), the prefix for MPI/HDF5/Boost/GTest.
  TORCH_CUDA_ARCH_LIST=9.0 cmake -S "$repo" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DDPT_BUILD_TESTS=ON -DDPT_WITH_CUDA=ON -DDPT_WITH_NCCL=ON \
    ${TORCH_CMAKE:+-DCMAKE_PREFIX_PATH="$TORCH_CMAKE"} -DCUDAToolkit_ROOT="$CUDA_ROOT" -DNCCL_ROOT="$NCCL_ROOT" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
    ${CUDA_ROOT:+-DCMAKE_CUDA_COMPILER="$CUDA_ROOT/bin/nvcc" -DCUDA_TOOLKIT_ROOT_DIR="$CUDA_ROOT"} \
    "${DPT_PREFIX_CMAKE_ARGS[@]}" || { result FAIL "cmake configure failed (see log)"; return; }
  grep -q "^DPT_WITH_NCCL:BOOL=ON" "$BUILD/CMakeCache.txt" || { result FAIL "DPT_WITH_NCCL is not ON"; return; }
  grep -q "^DPT_C10_CUDA_LIBRARY:FILEPATH=.*c10_cuda" "$BUILD/CMakeCache.txt" || ((DRY)) ||
    { result FAIL "configured, but LibTorch is not CUDA-enabled (no c10_cuda)"; return; }
  result PASS "CUDA LibTorch $TORCH_VERSION, NCCL $(grep -m1 '^NCCL_LIBRARY:' "$BUILD/CMakeCache.txt" | cut -d= -f2)"
}

step_build() {
  local start=$SECONDS
  cmake --build "$BUILD" -j "$JOBS" --target dptrain test_gpu_nccl_collectives test_gpu_equivalence ||
    { result FAIL "build failed (first errors in the log)"; return; }
  source "$repo/tests/gpu/prefix_env.sh"; dpt_prefix_setup "$PREFIX" >/dev/null
  local missing
  missing=$(dpt_prefix_run ldd "$BUILD/dptrain" | grep "not found" || true)
  dpt_prefix_run ldd "$BUILD/dptrain"
  [[ -z $missing ]] || { result FAIL "dptrain links but libraries are missing: $missing"; return; }
  result PASS "$((SECONDS - start)) s with -j$JOBS (dptrain + 2 GPU test binaries)"
}

gtest_step() {  # gtest_step BINARY: 1 rank under the prefix's mpirun; the result from gtest's summary
  source "$repo/tests/gpu/prefix_env.sh"; dpt_prefix_setup "$PREFIX" >/dev/null
  local xml=$WORK/$STEP.xml log
  log=$(NCCL_DEBUG=WARN dpt_prefix_mpirun -np 1 --bind-to none "$BUILD/tests/gpu/$1" --gtest_color=no --gtest_output=xml:"$xml" 2>&1)
  local rc=$?
  echo "$log"
  local passed skipped failed measured
  passed=$(grep -oE "\[  PASSED  \] [0-9]+" <<<"$log" | grep -oE "[0-9]+$" | tail -1)
  skipped=$(grep -oE "\[  SKIPPED \] [0-9]+ test" <<<"$log" | grep -oE "[0-9]+" | tail -1)
  failed=$(grep -cE "^\[  FAILED  \] [A-Za-z]" <<<"$log")
  measured=$(grep -oE "\[ measured \] .*" <<<"$log" | sed 's/\[ measured \] //' | awk -F': max relative difference ' '{printf "%s%s %s", (NR>1?"; ":""), $1, $2}')
  [[ -n $measured ]] && echo "$measured" >"$WORK/$STEP.measured"
  if [[ $rc -eq 0 && ${skipped:-0} -eq 0 && -n $passed ]]; then
    result PASS "$passed passed"
  elif ((DRY)) && [[ $rc -eq 0 && -n $skipped ]]; then
    result PASS "dry run: $skipped skipped without a GPU, as they should"
  else
    result FAIL "rc $rc: ${passed:-0} passed, $failed failed, ${skipped:-0} skipped"
  fi
}
step_nccl() { gtest_step test_gpu_nccl_collectives; }
step_equiv() { gtest_step test_gpu_equivalence; }

step_prepare() {
  source "$repo/tests/gpu/prefix_env.sh"; dpt_prefix_setup "$PREFIX" >/dev/null
  rm -rf "$DATA/fashion_mnist"
  local split src
  for split in train test; do
    src=$([[ $split == train ]] && echo train || echo t10k)
    dpt_prefix_run "$BUILD/dptrain" prepare idx --images "$DATA/raw/$src-images-idx3-ubyte" \
      --labels "$DATA/raw/$src-labels-idx1-ubyte" --out "$DATA/fashion_mnist/$split" ||
      { result FAIL "prepare idx $split failed"; return; }
  done
  dpt_prefix_run "$BUILD/dptrain" inspect "$DATA/fashion_mnist/train" || { result FAIL "inspect failed"; return; }
  result PASS "train + test splits in $DATA/fashion_mnist"
}

# train_step NAME PRECISION MICRO STEPS: dptrain train with the CNN config on the GPU (NCCL, 1 rank).
train_run() {
  local name=$1 precision=$2 micro=$3 steps=$4
  source "$repo/tests/gpu/prefix_env.sh"; dpt_prefix_setup "$PREFIX" >/dev/null
  ((DRY)) && steps=20
  local args=(train --config configs/fashion_mnist_cnn.ini --comm.backend=$BACKEND
    --data.train="$DATA/fashion_mnist/train" --data.test="$DATA/fashion_mnist/test"
    --train.micro_batch="$micro" --eval.every_steps=0 --log.progress=lines
    --run.dir="$RUNS" --run.name="$name")
  [[ $steps -gt 0 ]] && args+=(--train.steps="$steps") || args+=(--train.epochs="$EPOCHS")
  # Checkpoints are not what is measured here (and their options may not exist in this tree).
  have_option train checkpoint.at_end && args+=(--checkpoint.at_end=false)
  if [[ $precision != fp32 ]]; then
    have_option train train.precision || { result FAIL "not implemented: this dptrain has no train.precision"; metric "${name}_sps" ""; return; }
    args+=(--train.precision="$precision")
  fi
  rm -rf "${RUNS:?}/$name"
  NCCL_DEBUG=WARN dpt_prefix_mpirun -np 1 --bind-to none "$BUILD/dptrain" "${args[@]}" ||
    { result FAIL "dptrain train exited $?"; return; }
  local summary=$RUNS/$name/summary.json sps acc
  cat "$summary"; echo; tail -3 "$RUNS/$name/metrics.jsonl"
  sps=$(json_get "$summary" samples_per_s); acc=$(json_get "$summary" eval_accuracy)
  metric "${name}_sps" "$sps"; metric "${name}_acc" "$acc"
  result PASS "$(printf '%.0f samples/s, test accuracy %s (%s steps, micro-batch %s)' "$sps" "$acc" "$(json_get "$summary" steps)" "$micro")"
}
step_train_fp32() { train_run cnn_fp32 fp32 128 0; }
step_train_bf16() { train_run cnn_bf16 bf16 128 0; }
step_train_acc() { train_run cnn_fp32_acc2 fp32 64 300; }

step_eager() {
  local out=$WORK/eager.jsonl
  PYTHONUNBUFFERED=1 python3 "$repo/tests/gpu/torch_eager_cnn.py" --train "$DATA/raw/train" --test "$DATA/raw/t10k" \
    --epochs "$EPOCHS" --batch 128 --precision fp32,bf16 --data host,gpu \
    $( ((DRY)) && echo "--device cpu --steps 30 --warmup 5") | tee "$WORK/eager.out" ||
    { result FAIL "torch_eager_cnn.py exited $?"; return; }
  grep '^{' "$WORK/eager.out" >"$out"
  local line key
  while read -r line; do
    key=eager_$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["precision"] + "_" + d["data"])' "$line")
    metric "${key}_sps" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["samples_per_s"])' "$line")"
    metric "${key}_acc" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("test_accuracy", ""))' "$line")"
  done <"$out"
  . "$RESULTS/metrics.env"
  result PASS "fp32 $(printf %.0f "${eager_fp32_host_sps:-0}")/$(printf %.0f "${eager_fp32_gpu_sps:-0}"), bf16 $(printf %.0f "${eager_bf16_host_sps:-0}")/$(printf %.0f "${eager_bf16_gpu_sps:-0}") samples/s (host-fed/GPU-resident data)"
}

step_allreduce() {
  source "$repo/tests/gpu/prefix_env.sh"; dpt_prefix_setup "$PREFIX" >/dev/null
  local out
  out=$(NCCL_DEBUG=WARN dpt_prefix_mpirun -np 1 --bind-to none "$BUILD/dptrain" bench allreduce --comm.backend=$BACKEND \
    --min-bytes 4096 --max-bytes $((256 << 20)) --factor 16 --seconds 0.3 2>&1)
  local rc=$?
  echo "$out"
  [[ $rc -eq 0 ]] || { result FAIL "bench allreduce exited $rc"; return; }
  local last
  last=$(grep '^| 256 MiB' <<<"$out" | tail -1)
  metric allreduce_256mib "$last"
  result PASS "256 MiB: $(awk -F'|' '{gsub(/ /,"",$4); gsub(/ /,"",$5); print $4 " us, busbw " $5 " GB/s"}' <<<"$last") (1 rank: nothing crosses a link; a sanity figure)"
}

step_loader() {
  source "$repo/tests/gpu/prefix_env.sh"; dpt_prefix_setup "$PREFIX" >/dev/null
  local out
  out=$(dpt_prefix_mpirun -np 1 --bind-to none "$BUILD/dptrain" bench loader --dir "$DATA/fashion_mnist/train" \
    --global-batch 128 --micro-batch 128 --rounds 3 2>&1)
  local rc=$?
  echo "$out"
  [[ $rc -eq 0 ]] || { result FAIL "bench loader exited $rc"; return; }
  local sps
  sps=$(grep -E '^\| 0 \|' <<<"$out" | awk -F'|' '{gsub(/ /,"",$8); print $8}')
  metric loader_sps "$sps"
  result PASS "$sps samples/s delivered (1 rank, micro-batch 128)"
}

# ----------------------------------------------------------------------------------------------
# The driver: runs the steps in order, each under `timeout`, cut to the overall deadline.

STEPS=(env:60 prefix:120 configure:240 build:420 nccl:180 equiv:240 prepare:120 train_fp32:240 train_bf16:240
       eager:360 allreduce:120 loader:120 train_acc:150)
declare -A NEEDS=([configure]=prefix [build]=configure [nccl]=build [equiv]=build [prepare]=build
                  [train_fp32]=prepare [train_bf16]=prepare [train_acc]=prepare [eager]=prefix
                  [allreduce]=build [loader]=prepare [prefix]=env)

if [[ ${1:-} == __step ]]; then
  STEP=$2
  set -a; [[ -f $STATE ]] && . "$STATE"; set +a
  "step_$STEP"
  exit 0
fi

LOG=${1:-${DPT_GPU_LOG_DIR:-/tmp/dpt-gpu-logs}}
DEADLINE=${DPT_GPU_DEADLINE_S:-540}
mkdir -p "$LOG" "$WORK"
if [[ -n ${DPT_GPU_STEPS:-} ]]; then  # a partial rerun keeps the facts and results of the last run
  mkdir -p "$RESULTS" && touch "$STATE" "$RESULTS/metrics.env"
else
  rm -rf "$RESULTS" && mkdir -p "$RESULTS" && : >"$STATE" && : >"$RESULTS/metrics.env"
fi
declare -A STATUS
rows=()
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

write_summary() {
  local f=$LOG/summary.md
  {
    echo "# dptrain GPU checks ($started, commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'))$( ((DRY)) && echo ' -- DRY RUN ON CPU, not a GPU result')"
    echo
    echo "| # | step | status | result | s |"
    echo "|---:|---|---|---|---:|"
    printf '%s\n' "${rows[@]}"
    [[ -f $RESULTS/metrics.env ]] && comparison
  } >"$f"
  if [[ -n ${OUT:-} ]]; then
    cp "$f" "$OUT/summary.md" 2>/dev/null
    tar -C "$(dirname "$LOG")" -czf "$OUT/gpu-logs.tar.gz" "$(basename "$LOG")" 2>/dev/null
  fi
}

num() { python3 -c 'import sys; v = sys.argv[1]; print(f"{float(v):.0f}" if v else "n/a")' "${1:-}"; }
ratio() { python3 -c 'import sys; a, b = sys.argv[1:3]; print(f"{float(a) / float(b):.2f}" if a and b and float(b) > 0 else "n/a")' "${1:-}" "${2:-}"; }
points() { python3 -c 'import sys; a, b = sys.argv[1:3]; print(f"{100 * (float(a) - float(b)):+.2f}" if a and b else "n/a")' "${1:-}" "${2:-}"; }

comparison() {
  (
    . "$RESULTS/metrics.env"
    echo
    echo "## Figures (issue 11)"
    echo
    echo "| figure | value | target |"
    echo "|---|---:|---|"
    echo "| dptrain fp32 samples/s (micro-batch 128, 1 GPU) | $(num "${cnn_fp32_sps:-}") | |"
    echo "| dptrain bf16 samples/s | $(num "${cnn_bf16_sps:-}") | |"
    echo "| PyTorch eager fp32 samples/s, host-fed / GPU-resident data | $(num "${eager_fp32_host_sps:-}") / $(num "${eager_fp32_gpu_sps:-}") | |"
    echo "| PyTorch eager bf16 samples/s, host-fed / GPU-resident data | $(num "${eager_bf16_host_sps:-}") / $(num "${eager_bf16_gpu_sps:-}") | |"
    echo "| dptrain / eager, fp32 (host-fed) | $(ratio "${cnn_fp32_sps:-}" "${eager_fp32_host_sps:-}") | >= 1.0 |"
    echo "| dptrain / eager, fp32 (GPU-resident) | $(ratio "${cnn_fp32_sps:-}" "${eager_fp32_gpu_sps:-}") | (ceiling) |"
    echo "| dptrain / eager, bf16 (host-fed) | $(ratio "${cnn_bf16_sps:-}" "${eager_bf16_host_sps:-}") | >= 1.0 |"
    echo "| dptrain bf16 / fp32 | $(ratio "${cnn_bf16_sps:-}" "${cnn_fp32_sps:-}") | >= 1.3 |"
    echo "| test accuracy fp32 / bf16 (dptrain, $EPOCHS epochs) | ${cnn_fp32_acc:-n/a} / ${cnn_bf16_acc:-n/a} | |"
    echo "| accuracy bf16 - fp32, points | $(points "${cnn_bf16_acc:-}" "${cnn_fp32_acc:-}") | within ±0.5 |"
    echo "| eager test accuracy fp32 / bf16 (host-fed) | ${eager_fp32_host_acc:-n/a} / ${eager_bf16_host_acc:-n/a} | |"
    echo "| dptrain fp32, config as is (micro 64, 2 accumulation steps) samples/s | $(num "${cnn_fp32_acc2_sps:-}") | |"
    echo "| loader samples/s (1 rank) | $(num "${loader_sps:-}") | > training samples/s |"
    for s in nccl equiv; do
      [[ -f $WORK/$s.measured ]] && echo "| $s: measured | $(cat "$WORK/$s.measured") | |"
    done
  )
}

n=0
for entry in "${STEPS[@]}"; do
  name=${entry%%:*}; limit=$((${entry##*:} * ${DPT_GPU_LIMIT_SCALE:-1}))
  n=$((n + 1))
  if [[ -n ${DPT_GPU_STEPS:-} && ,$DPT_GPU_STEPS, != *,$name,* ]]; then
    if [[ -f $RESULTS/$name ]]; then  # not rerun: the last run's outcome stands
      IFS=$'\t' read -r status text <"$RESULTS/$name"
      STATUS[$name]=$status; rows+=("| $n | $name | $status | (earlier run) ${text//|//} | - |")
    fi
    continue
  fi
  log=$LOG/$(printf '%02d' "$n")-$name.log
  need=${NEEDS[$name]:-}
  left=$((DEADLINE - SECONDS))
  if [[ -n $need && ${STATUS[$need]:-} != PASS ]]; then
    STATUS[$name]=SKIP; rows+=("| $n | $name | SKIP | needs $need (${STATUS[$need]:-not run}) | 0 |"); write_summary; continue
  fi
  if ((left < 15)); then
    STATUS[$name]=SKIP; rows+=("| $n | $name | SKIP | no time left (deadline ${DEADLINE} s) | 0 |"); write_summary; continue
  fi
  ((limit > left - 5)) && limit=$((left - 5))
  echo "== [$n] $name (limit ${limit} s) -> $log" >&2
  t0=$SECONDS
  timeout -k 10 "$limit" bash "$self" __step "$name" >"$log" 2>&1
  rc=$?
  took=$((SECONDS - t0))
  if [[ -f $RESULTS/$name ]]; then
    IFS=$'\t' read -r status text <"$RESULTS/$name"
  elif ((rc == 124 || rc == 137)); then
    status=FAIL; text="timed out after ${limit} s (log: $(basename "$log"))"
  else
    status=FAIL; text="exited $rc without a result (log: $(basename "$log"))"
  fi
  STATUS[$name]=$status
  rows+=("| $n | $name | $status | ${text//|//} | $took |")
  echo "   $status: $text (${took} s)" >&2
  write_summary
done

write_summary
echo
cat "$LOG/summary.md"
exit 0
