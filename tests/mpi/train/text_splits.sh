# Sourced by the script tests on synthetic text splits: make_text_splits' path is the script's
# first argument. Skips with 77 without python3-h5py, makes the scratch directory $work (removed
# on exit) with the splits under $work/data, and sets compare (tests/mpi/checkpoint/compare.py).
# shellcheck shell=bash
set -euo pipefail
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: no python3-h5py"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$1" "$work/data"
compare=(/usr/bin/python3 "$DPT_SOURCE_DIR/tests/mpi/checkpoint/compare.py")
