#!/usr/bin/env bash
# CI for an ML project, simulated on one machine: a team repository (examples/pipeline) with a
# folder remote and a bare git origin; CI clones it fresh and runs ci.sh, which passes on main
# and fails (exit 1) on a branch whose param change breaks the quality gate.
#
# Usage: examples/ci/run.sh          (uses target/release/mlx, or $MLX)
#        KEEP=1 examples/ci/run.sh   (keep the demo folders afterwards)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mlx=${MLX:-$root/target/release/mlx}
if [ ! -x "$mlx" ]; then
    echo "mlx binary not found at $mlx; build it with: cargo build --release" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "python3 is needed for this example" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx-ci.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
ci() { MLX="$mlx" bash "$here/ci.sh"; }   # what the CI job's one step runs

step "The team's repository: the pipeline project, results committed, data pushed"
mkdir "$work/team"
cp -r "$root/examples/pipeline/src" "$root/examples/pipeline/mlx.toml" \
    "$root/examples/pipeline/params.toml" "$work/team/"
cd "$work/team"
git init -q -b main .
git config user.name "mlx demo"
git config user.email "demo@example.com"
run "$mlx" init -q
mkdir -p data
python3 src/generate.py data/raw.csv 3000 7
run "$mlx" add -q data/raw.csv
run "$mlx" remote add storage "$work/storage" --default
run "$mlx" run -q
git add -A
git commit -qm "pipeline, data and first results"
run "$mlx" push
run "$mlx" status --remote storage --check

step "A bare git origin, as on a git server"
git clone -q --bare "$work/team" "$work/origin.git"
git remote add origin "$work/origin.git"
git fetch -q origin

step "CI on main: a fresh clone; nothing is retrained, the gate passes"
git clone -q "$work/origin.git" "$work/ci-main"
cd "$work/ci-main"
out=$(PUSH_RUNS=1 ci 2>&1) || { echo "$out"; fail "ci.sh failed on main"; }
echo "$out"
grep -q '^train: up to date' <<<"$out" || fail "CI retrained an up-to-date model"
grep -q '^ok *metrics.accuracy' <<<"$out" || fail "the gate was not checked"
test -s mlx-report/report.md || fail "no report written"
test -z "$(git status --porcelain --untracked-files=no)" || fail "CI changed tracked files"
ls "$work/storage/runs" >/dev/null || fail "run records were not pushed"

step "CI on main again, merging the run records the first job pushed: nothing reruns at all"
git clone -q "$work/origin.git" "$work/ci-main-again"
cd "$work/ci-main-again"
out=$(PULL_RUNS=1 PUSH=0 ci 2>&1) || { echo "$out"; fail "ci.sh failed with PULL_RUNS=1"; }
echo "$out"
if grep -q -- '--single --force' <<<"$out"; then
    fail "CI evaluated again, though the pulled runs measured this commit"
fi
grep -q '^check passed for experiment ' <<<"$out" || fail "the gate did not name what it judged"

step "A branch with a bad param (a sign slip in the learning rate), pushed without running it"
cd "$work/team"
git checkout -q -b bad-lr
sed -i 's/^lr = 0.5$/lr = -0.5/' params.toml
git diff --stat
git commit -qam "train: lr = -0.5"
git push -q origin bad-lr

step "CI on the branch: only train and evaluate rerun, the report shows the drop, the gate fails"
git clone -q -b bad-lr "$work/origin.git" "$work/ci-branch"
cd "$work/ci-branch"
rc=0
out=$(ci 2>&1) || rc=$?
echo "$out"
echo "ci.sh exited with $rc"
[ "$rc" = 1 ] || fail "expected exit code 1 from the failed gate, got $rc"
grep -q '^prepare: up to date' <<<"$out" || fail "prepare should not rerun"
grep -q '^train: ran' <<<"$out" || fail "train should rerun"
grep -q '^FAIL *metrics.accuracy' <<<"$out" || fail "the gate should name the failing metric"
grep -q 'accuracy' mlx-report/report.md || fail "the report should show the accuracy change"

step "A broken remote is exit 3 (retry the job), not exit 1 (fix the change)"
mv "$work/storage" "$work/storage.away"
git clone -q "$work/origin.git" "$work/ci-offline"
cd "$work/ci-offline"
rc=0
ci >/dev/null 2>&1 || rc=$?
mv "$work/storage.away" "$work/storage"
echo "ci.sh exited with $rc with the storage gone"
[ "$rc" != 0 ] && [ "$rc" != 1 ] || fail "expected an error other than 'check failed', got $rc"

printf '\nAll steps passed.%s\n' "${KEEP:+ Demo folders kept in $work}"
