#!/usr/bin/env bash
# A Makefile driving mlx, end to end: the pipeline project (examples/pipeline) with this folder's
# Makefile and a folder remote; `make train` twice (the second is a no-op because mlx finds
# every stage up to date, whatever the timestamps say), `make push`, and a teammate's fresh
# clone where `make` pulls the data instead of recomputing it.
#
# Usage: examples/makefile/run.sh          (uses target/release/mlx, or $MLX)
#        KEEP=1 examples/makefile/run.sh   (keep the demo folders afterwards)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mlx=${MLX:-$root/target/release/mlx}
if [ ! -x "$mlx" ]; then
    echo "mlx binary not found at $mlx; build it with: cargo build --release" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "python3 is needed for this example" >&2; exit 2; }
command -v make >/dev/null || { echo "make is needed for this example" >&2; exit 2; }
unset MAKEFLAGS MFLAGS MAKELEVEL

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx-makefile.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
mk() { printf '$ make %s\n' "$*"; make --no-print-directory MLX="$mlx" "$@"; }
runs() { "$mlx" exp list --stages -q --csv | wc -l; }

step "The pipeline project with the Makefile, raw data tracked, a folder remote"
mkdir "$work/team"
cp -r "$root/examples/pipeline/src" "$root/examples/pipeline/mlx.toml" \
    "$root/examples/pipeline/params.toml" "$here/Makefile" "$work/team/"
cd "$work/team"
git init -q -b main .
git config user.name "mlx demo"
git config user.email "demo@example.com"
run "$mlx" init -q
mkdir -p data
python3 src/generate.py data/raw.csv 3000 7
run "$mlx" add -q data/raw.csv
run "$mlx" remote add storage "$work/storage" --default
git add -A
git commit -qm "pipeline, Makefile and raw data"

step "make train: every stage runs, as a tracked run"
mk train
mk check
git add -A
git commit -qm "first results"

step "make train again: make runs the recipe, mlx finds every stage up to date"
touch src/*.py data/raw.csv params.toml     # newer timestamps would fool make, not mlx
before=$(runs)
out=$(mk train 2>&1) || { echo "$out"; fail "make train failed"; }
echo "$out"
[ "$(grep -c ': up to date$' <<<"$out")" = 4 ] || fail "expected 4 stages up to date"
[ "$(runs)" = "$before" ] || fail "the second make train recorded new runs"
git diff --quiet mlx.lock || fail "mlx.lock changed"

step "make push: data and outputs (and run records) to the remote"
mk push
test -n "$(find "$work/storage" -type f -path '*/runs/*')" || fail "no run records on the remote"
run "$mlx" status --remote storage --check
mk status

step "A teammate clones the repository: make pulls the data and runs, retrains nothing, checks"
git clone -q "$work/team" "$work/bob"
cd "$work/bob"
git config user.name "bob"
git config user.email "bob@example.com"
out=$(mk 2>&1) || { echo "$out"; fail "make failed in the fresh clone"; }
echo "$out"
grep -q '^train: up to date' <<<"$out" || fail "the fresh clone retrained"
grep -q '^ok *metrics.accuracy' <<<"$out" || fail "make check did not pass"

step "The teammate changes a param: make plan, then only train and evaluate rerun"
sed -i 's/^epochs = 30$/epochs = 60/' params.toml
mk plan
out=$(mk train check 2>&1) || { echo "$out"; fail "make train check failed"; }
echo "$out"
grep -q '^featurize: up to date' <<<"$out" || fail "featurize should not rerun"
grep -q '^train: ran' <<<"$out" || fail "train should rerun"
mk report

printf '\nAll steps passed.%s\n' "${KEEP:+ Demo folders kept in $work}"
