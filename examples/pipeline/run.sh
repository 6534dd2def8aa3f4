#!/usr/bin/env bash
# A small ML pipeline end to end: generated data tracked with mlx, four stages (prepare →
# featurize → train → evaluate) in pure Python, each stage a tracked run, params and metrics
# compared across commits.
#
# Usage: examples/pipeline/run.sh          (uses target/release/mlx, or $MLX)
#        KEEP=1 examples/pipeline/run.sh   (keep the demo repository afterwards)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mlx=${MLX:-$root/target/release/mlx}
if [ ! -x "$mlx" ]; then
    echo "mlx binary not found at $mlx; build it with: cargo build --release" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "python3 is needed for this example" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx-pipeline.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
cp -r "$here/src" "$here/mlx.toml" "$here/params.toml" "$work/"
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "A git repository with the pipeline; the raw data is tracked by mlx"
git init -q .
git config user.name "mlx demo"
git config user.email "demo@example.com"
run "$mlx" init -q
mkdir -p data
python3 src/generate.py data/raw.csv 3000 7
run "$mlx" add -q data/raw.csv
git add -A
git commit -qm "pipeline and raw data"

step "The graph, and what would run"
run "$mlx" dag
run "$mlx" run --dry-run

step "Run it: every stage is a tracked run; mlx.lock records what each produced"
run "$mlx" run
git add -A
git commit -qm "first results"
run "$mlx" status --check

step "Nothing changed: nothing runs"
run "$mlx" run

step "Try a learning rate for one run (params.toml is left as it was)"
run "$mlx" run --set train.lr=0.05
git diff --quiet params.toml

step "Back to the committed params: restored from the run cache, not retrained"
run "$mlx" run

step "Change a param for real: only train and evaluate rerun"
sed -i 's/epochs = 30/epochs = 60/' params.toml
run "$mlx" status || true
run "$mlx" run
run "$mlx" metrics diff
run "$mlx" params diff

step "The experiments: one row per mlx run, the params and metrics of all its stages"
run "$mlx" exp list --only-changed
run "$mlx" exp list --filter "params.train.epochs = 60 and metrics.accuracy >= 0.7"
run "$mlx" exp list --stages --filter "stage = 'train'" --limit 2

step "Commit the results; the CI gate judges the experiment of the committed mlx.lock"
git add -A
git commit -qm "more epochs"
run "$mlx" run     # a clean work tree: nothing reruns, and it stands for this commit
run "$mlx" exp check "metrics.accuracy >= 0.7"

step "Back to the first results: data and outputs follow the commit"
git checkout -q HEAD~1
run "$mlx" checkout
run "$mlx" run
git checkout -q -

printf '\nAll steps passed.%s\n' "${KEEP:+ Demo repository kept at $work}"
