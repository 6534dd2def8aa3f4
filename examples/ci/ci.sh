#!/usr/bin/env bash
# What a CI job runs on a fresh clone of an mlx project: get the data, reproduce the pipeline,
# report the metrics against the base branch, gate on quality, share the outputs.
#
# Usage (from the project root, after `git clone`):
#     examples/ci/ci.sh                       # or copy this file into your project
#
# Settings, all optional, from the environment:
#     MLX        the mlx binary                              (default: mlx on PATH)
#     GATE       the quality gate, an `mlx exp list --filter` expression checked on the
#                experiment of this commit, with the metrics of all its stages
#                                                            (default: metrics.accuracy >= 0.8)
#     EVAL_STAGE the stage run again when nothing measured this commit (default: evaluate)
#     BASE       the commit to compare metrics with          (default: origin/main)
#     REPORT     the folder the report goes to: report.md, and the changed plots as SVG files
#                in plots/ beside it                        (default: mlx-report)
#     PUSH       0 to skip `mlx push` (read-only CI, forks)  (default: 1)
#     PULL_RUNS  1 to merge the team's run records first (`mlx pull --runs`), so the gate
#                reads the measurement committed with mlx.lock (default: 0)
#     PUSH_RUNS  1 to push run records too (`--runs`)        (default: 0)
#
# Exit codes are mlx's own, passed through unchanged (set -e stops at the first failing step):
#     0  everything passed
#     1  a check failed: the quality gate is false, a stage's command failed, or data this
#        commit needs was never pushed by anyone (`mlx pull` lists it). Fix the change.
#     2  usage or input error: bad mlx.toml or params file, bad GATE expression, unknown
#        remote or revision. Fix the project or this job's settings.
#     3  remote or IO error after retries: storage unreachable, credentials refused, a corrupt
#        object. Infrastructure, not the change: rerunning the job is reasonable.
set -euo pipefail

mlx=${MLX:-mlx}
gate=${GATE:-metrics.accuracy >= 0.8}
eval_stage=${EVAL_STAGE:-evaluate}
base=${BASE:-origin/main}
report=${REPORT:-mlx-report}

# Echo each command before running it, so the CI log shows what ran.
run() {
    printf '\n$ %s\n' "$*" >&2
    "$@"
}

# Whether the experiment that stands for this commit has a finished run of the evaluation
# stage recorded here (`mlx exp check` exits 2 when there is nothing to judge).
measured() {
    "$mlx" exp check -q "status = 'finished'" --stage "$eval_stage" >/dev/null 2>&1
}

# 1. Data: the tracked data and the stage outputs recorded in mlx.lock for this commit (and,
#    with PULL_RUNS=1, the team's run records). A fresh clone needs no `mlx init`; the remote
#    comes from mlx.toml (credentials from the CI environment, e.g. AWS_ACCESS_KEY_ID, never
#    from the repository).
if [ "${PULL_RUNS:-0}" = 1 ]; then
    run "$mlx" pull --runs
else
    run "$mlx" pull
fi

# 2. Reproduce: only stages whose command, deps or params differ from mlx.lock run. On a commit
#    whose mlx.lock is current nothing runs; a commit that changed a param reruns just the
#    stages that read it.
run "$mlx" run

# The gate judges the experiment that stands for this commit: the one whose mlx.lock is the
#    one the commit holds, or that `mlx run` just recorded on it from a clean work tree, with the
#    metrics of all its stages. When every stage was up to date and the runs behind their
#    results are not here (the team's run records were not pulled), nothing measured this
#    commit: evaluate once more (the models are not retrained) so the gate has a measurement.
if ! measured; then
    run "$mlx" run "$eval_stage" --single --force
fi

# 3. Report: metrics, changed params and changed plots against the base branch, as markdown
#    for a pull-request comment (the plots as SVG files beside it). The base commit's metrics
#    and plots files are cached outputs, so fetch its objects first. Written before the gate,
#    so a failing change still gets its report.
if git rev-parse --verify -q "$base^{commit}" >/dev/null; then
    run "$mlx" fetch --rev "$base"
    run "$mlx" report --base "$base" -o "$report"
    cat "$report/report.md"
else
    echo "note: $base not found (a shallow clone?); no report" >&2
fi

# 4. Quality gate: exit 1 when the expression is false for this commit's experiment; the output
#    names the experiment and commit judged.
run "$mlx" exp check "$gate"

# 5. Share: push what this job produced (outputs of stages that ran), so the next job and
#    teammates pull instead of recomputing. PUSH_RUNS=1 also uploads run records, which
#    `mlx fetch --runs` merges into anyone's `mlx exp list`.
if [ "${PUSH:-1}" != 0 ]; then
    if [ "${PUSH_RUNS:-0}" = 1 ]; then
        run "$mlx" push --runs
    else
        run "$mlx" push
    fi
fi

echo "ci: passed (gate: $gate)" >&2
