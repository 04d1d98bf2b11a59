#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The execution environment, without a container runtime:
# 1. `ansible-builder create` on the example definition docs/ee/execution-environment.yml writes a build
#    context whose Galaxy requirements name ovhcloud.mbm and whose Containerfile introspects the collections;
# 2. the introspection script of that context (the one the image build runs on /usr/share/ansible/collections)
#    run on the built artifact, installed into an empty collections path, finds the collection's Python
#    requirement (python-ovh, from meta/execution-environment.yml -> requirements.txt) and no system package;
# 3. the requirement's range admits the python-ovh version CI tests (OVH_VERSION in tools/lib.sh).
#
#   tools/check_ee.sh [BIN_DIR]     BIN_DIR holds ansible-builder and ansible-galaxy (default: .cache/venvs/tools/bin)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${1:-${REPO_ROOT}/.cache/venvs/tools/bin}"
PYTHON="${BIN_DIR}/python"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mbm-ee.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
# shellcheck source=tools/lib.sh
. "${REPO_ROOT}/tools/lib.sh"

fail() {
    echo "ee: FAILED: $*" >&2
    exit 1
}

echo "== ansible-builder create -f docs/ee/execution-environment.yml"
"${BIN_DIR}/ansible-builder" create -f "${REPO_ROOT}/docs/ee/execution-environment.yml" -c "${WORK}/context" \
    --output-filename Containerfile -v 2
context="${WORK}/context"
[[ -f "${context}/Containerfile" ]] || fail "no Containerfile in the build context"
"${PYTHON}" - "${context}" <<'PY'
import os
import sys

import yaml

context = sys.argv[1]
requirements = yaml.safe_load(open(os.path.join(context, "_build", "requirements.yml")))
names = [entry["name"] for entry in requirements["collections"]]
assert "ovhcloud.mbm" in names, names
containerfile = open(os.path.join(context, "Containerfile")).read()
for wanted in ("ansible-galaxy collection install", "introspect.py introspect", "ansible-runner==", "ansible-core=="):
    assert wanted in containerfile, wanted
print("context: Galaxy requirements %s; Containerfile installs them and introspects their requirements" % names)
PY

echo "== the context's introspection on the installed artifact"
(cd "${REPO_ROOT}" && "${BIN_DIR}/ansible-galaxy" collection build --force --output-path "${WORK}/dist" . >/dev/null)
ANSIBLE_COLLECTIONS_PATH="${WORK}/collections" "${BIN_DIR}/ansible-galaxy" collection install \
    "${WORK}"/dist/ovhcloud-mbm-*.tar.gz -p "${WORK}/collections" >/dev/null
[[ -f "${WORK}/collections/ansible_collections/ovhcloud/mbm/meta/execution-environment.yml" ]] \
    || fail "meta/execution-environment.yml is not in the installed artifact"
"${PYTHON}" "${context}/_build/scripts/introspect.py" introspect "${WORK}/collections" \
    --write-pip="${WORK}/requirements.txt" --write-bindep="${WORK}/bindep.txt"
[[ -f "${WORK}/requirements.txt" ]] || fail "the introspection found no Python requirement"
cat "${WORK}/requirements.txt"
[[ ! -e "${WORK}/bindep.txt" ]] || fail "the introspection found system requirements: $(cat "${WORK}/bindep.txt")"

"${PYTHON}" - "${WORK}/requirements.txt" "${OVH_VERSION}" <<'PY'
import sys

from packaging.requirements import Requirement

lines = [line for line in open(sys.argv[1]).read().splitlines() if line.strip()]
ovh = [line for line in lines if Requirement(line.split("#", 1)[0]).name == "ovh"]
assert len(ovh) == 1 and "from collection ovhcloud.mbm" in ovh[0], lines
requirement = Requirement(ovh[0].split("#", 1)[0])
assert requirement.specifier.contains(sys.argv[2]), "%s does not admit the tested ovh %s" % (requirement, sys.argv[2])
assert not requirement.specifier.contains("2.0.0"), "%s admits the next major version" % requirement
print("ee: OK (%s admits ovh %s, the version CI tests)" % (requirement, sys.argv[2]))
PY
