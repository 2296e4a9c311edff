#!/usr/bin/env bash
# The bad-input catalogue: drives `dptrain` (train, eval, export, prepare idx/text, vocab,
# tokenize, explain, inspect, bench) with malformed inputs that each case builds itself, and
# checks that every one ends with a clean failure: exit code 1 or 2, one error line naming the
# input, no crash, nothing left behind (lib.sh has the exact contract). Cases live in
# cases/<group>.sh, one `bad` line each; a new input format adds a file there (as cases/text.sh
# did for corpora and vocabularies).
#
#   tests/bad_inputs/run.sh [group...]     # all groups by default; DPTRAIN = the binary (absolute path)
#
# Prints one line per case and "bad inputs: N tried, M handled cleanly"; exits 1 when M < N.
# Skips (77) without the Debian Fashion-MNIST package or python3-h5py, which build the inputs.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DPTRAIN:?set DPTRAIN to the dptrain binary}"
src=/usr/share/datasets/fashion-mnist
[[ -f $src/t10k-images-idx3-ubyte.gz ]] || { echo "SKIP: $src missing (apt-get install dataset-fashion-mnist)"; exit 77; }
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: no python3-h5py"; exit 77; }
# One process per case (a singleton MPI world): one rank's error line, no mpirun banner.
export OMPI_MCA_rmaps_base_oversubscribe=1 DPT_LOG_LEVEL=warn
ulimit -c unlimited 2>/dev/null || true  # a crash would leave a core file in the case's directory

top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
work=$top/work
logs=$top/logs
fixtures=$top/fixtures  # valid inputs the cases copy and damage; outside $work, never changed
mkdir -p "$work" "$logs" "$fixtures"
source "$here/lib.sh"
source "$here/fixtures.sh"
make_fixtures || { echo "FAIL: could not build the valid fixtures"; exit 1; }

groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=($(cd "$here/cases" && ls ./*.sh | sed 's|^\./||; s|\.sh$||'))
for group in "${groups[@]}"; do
  echo "== $group"
  source "$here/cases/$group.sh"
done
echo "bad inputs: $tried tried, $clean handled cleanly"
[[ ${#failures[@]} -eq 0 ]] || { echo "not handled cleanly: ${failures[*]}"; exit 1; }
