#!/usr/bin/env bash
# `mlx install-hooks` at work: pre-commit refuses a commit while tracked data has unrecorded
# changes, post-checkout makes the data follow `git switch`, and pre-push sends the data of the
# pushed commits to the default remote before git sends the commits themselves.
#
# Usage: examples/git-hooks/run.sh          (uses target/release/mlx, or $MLX)
#        KEEP=1 examples/git-hooks/run.sh   (keep the demo folders afterwards)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mlx=${MLX:-$root/target/release/mlx}
if [ ! -x "$mlx" ]; then
    echo "mlx binary not found at $mlx; build it with: cargo build --release" >&2
    exit 2
fi
# The hooks call `mlx` from PATH; MLX_BIN makes them use the binary this script runs.
export MLX_BIN="$mlx"

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx-hooks.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
objects() { find "$work/storage" -type f -path '*/??/*' 2>/dev/null | wc -l; }

step "A project with tracked data, a folder remote and a bare git origin"
mkdir "$work/alice"
cd "$work/alice"
git init -q -b main .
git config user.name "alice"
git config user.email "alice@example.com"
run "$mlx" init -q
mkdir -p data/images
for i in $(seq -w 1 20); do head -c 4096 /dev/urandom >"data/images/img_$i.bin"; done
for i in $(seq -w 1 20); do echo "images/img_$i.bin,$((10#$i % 2))"; done >data/labels.csv
echo "# Alice's project" >README.md
run "$mlx" add -q data
run "$mlx" remote add storage "$work/storage" --default
git init -q --bare -b main "$work/origin.git"
git remote add origin "$work/origin.git"

step "Install the hooks (and the merge driver for mlx.lock and pointers)"
run "$mlx" install-hooks
ls .git/hooks | grep -v '\.sample$'
git add -A     # data.mlx, .gitignore, mlx.toml, .gitattributes, README.md
git commit -qm "dataset v1"
git log --oneline

step "pre-commit: a commit is refused while data has changes not recorded with mlx add"
echo "images/img_01.bin,1" >>data/labels.csv
echo "Labels fixed." >>README.md
printf '$ git commit -am "fix labels"\n'
if git commit -qam "fix labels"; then
    fail "the commit should have been refused"
fi
git log --oneline -1 | grep -q "dataset v1" || fail "a commit was made"
run "$mlx" add -q data
git add data.mlx
run git commit -qam "fix labels"
run "$mlx" status --check

step "post-checkout: the data follows git switch"
run git switch -q -c more-data
for i in 21 22 23; do head -c 4096 /dev/urandom >"data/images/img_$i.bin"; done
run "$mlx" add -q data
git commit -qam "dataset v2: three more images"
run git switch -q main
test ! -e data/images/img_21.bin || fail "main should not have img_21.bin"
run "$mlx" status --check
run git switch -q more-data
test -e data/images/img_23.bin || fail "more-data should have img_23.bin back"
run "$mlx" status --check
git switch -q main

step "pre-push: git push first sends the data of the pushed commits to the default remote"
[ "$(objects)" = 0 ] || fail "the remote should be empty before the push"
run git push -q origin main more-data
echo "objects on the remote: $(objects)"
[ "$(objects)" -gt 0 ] || fail "the pre-push hook pushed no data"
run "$mlx" status --remote storage --check

step "pre-push: when the data cannot be pushed, the commits are not pushed either"
echo "More notes." >>README.md
git commit -qam "notes"
# This clone only: point the remote at a path that cannot be created (its parent is a file,
# outside the project: mlx refuses a folder remote inside the work tree).
echo "not a folder" >"$work/blocker"
run "$mlx" remote modify storage url "$work/blocker/storage" --local
printf '$ git push origin main\n'
if git push -q origin main; then
    fail "git push should have stopped"
fi
[ "$(git rev-parse main)" != "$(git -C "$work/origin.git" rev-parse main)" ] ||
    fail "origin received a commit whose data was not pushed"
run "$mlx" remote modify storage url --unset --local
run git push -q origin main

step "A teammate clones the origin: the data of both pushed branches is there"
git clone -q "$work/origin.git" "$work/bob"
cd "$work/bob"
run "$mlx" pull -q
diff -r "$work/alice/data" data || fail "bob's data differs from alice's main"
run "$mlx" install-hooks -q
run "$mlx" fetch -q --rev origin/more-data
run git switch -q more-data
test -e data/images/img_23.bin || fail "the hook did not check out more-data's data"
run "$mlx" status --check

printf '\nAll steps passed.%s\n' "${KEEP:+ Demo folders kept in $work}"
