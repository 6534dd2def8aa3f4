#!/usr/bin/env bash
# mlx's main job, end to end: track a generated dataset in a fresh git repository, change it,
# see the change, move between versions and restore the data from the cache.
#
# Usage: examples/data-versioning/run.sh          (uses target/release/mlx, or $MLX)
#        KEEP=1 examples/data-versioning/run.sh   (keep the demo repository afterwards)
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
mlx=${MLX:-$here/target/release/mlx}
if [ ! -x "$mlx" ]; then
    echo "mlx binary not found at $mlx; build it with: cargo build --release" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx-demo.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
mlx() { "$mlx" "$@"; }
export -f mlx 2>/dev/null || true

step "A fresh git repository becomes an mlx project"
git init -q .
git config user.name "mlx demo"
git config user.email "demo@example.com"
run "$mlx" init

step "Generate a dataset: 300 images in 3 classes, a labels file"
mkdir -p data/images/{cat,dog,bird}
for class in cat dog bird; do
    for i in $(seq -w 1 100); do
        head -c 8192 /dev/urandom > "data/images/$class/img_$i.bin"
    done
done
{
    echo "file,label"
    for class in cat dog bird; do
        for i in $(seq -w 1 100); do echo "images/$class/img_$i.bin,$class"; done
    done
} > data/labels.csv
echo "*.tmp" > data/.mlxignore
echo "scratch" > data/notes.tmp

step "Track it: content goes to the cache, git gets a small pointer"
run "$mlx" add data
run cat data.mlx
git add data.mlx .gitignore mlx.toml
git commit -qm "dataset v1"
run "$mlx" status --check

step "Change the data: relabel, drop an image, add a new class"
sed -i 's/img_001.bin,cat/img_001.bin,dog/' data/labels.csv
rm data/images/bird/img_100.bin
mkdir -p data/images/fish
for i in 1 2 3; do head -c 4096 /dev/urandom > "data/images/fish/img_$i.bin"; done
run "$mlx" status || true
if "$mlx" status --check -q >/dev/null 2>&1; then
    echo "expected status --check to fail on modified data" >&2
    exit 1
fi

step "Record version 2"
run "$mlx" add data
git commit -qam "dataset v2"

step "Go back to version 1: the data follows the pointer"
git checkout -q HEAD~1 -- data.mlx
run "$mlx" checkout
test -f data/images/bird/img_100.bin
test ! -e data/images/fish
run "$mlx" status --check

step "Return to version 2"
git checkout -q HEAD -- data.mlx
run "$mlx" checkout
test -d data/images/fish

step "Lose the workspace copy entirely, then restore it"
rm -rf data
run "$mlx" checkout
run "$mlx" status --check
run "$mlx" ls data/images/fish

step "Housekeeping: what is cached, is it intact"
run "$mlx" gc --dry-run
run "$mlx" cache verify

printf '\nAll steps passed.%s\n' "${KEEP:+ Demo repository kept at $work}"
