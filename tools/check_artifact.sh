#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The installable artifact, as the README's install section says: `ansible-galaxy collection build` in the
# checkout, `ansible-galaxy collection install <file>` into an empty collections path, then, with ONLY that path
# (ANSIBLE_COLLECTIONS_PATH) and from a directory outside the checkout, `ansible-doc ovhcloud.mbm.mbm_info` and
# the plan playbook `ovhcloud.mbm.plan` (inventory plugin included) against the local API simulator. The
# simulator is test tooling: it is started from the checkout, never from the installed copy.
# Also checks that the tarball holds only files git sees, and no tests output, caches or demo output.
#
#   tools/check_artifact.sh [BIN_DIR]     BIN_DIR holds ansible-galaxy/ansible-doc/ansible-playbook and a
#                                         python with ovh (default: .cache/venvs/tools/bin)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${1:-${REPO_ROOT}/.cache/venvs/tools/bin}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mbm-artifact.XXXXXX")"

fail() {
    echo "artifact: FAILED: $*" >&2
    exit 1
}

# The simulator library, with the checkout as its root and the tools Python.
SIM_COLLECTION_ROOT="${REPO_ROOT}"
SIM_PYTHON="${BIN_DIR}/python"
export SIM_COLLECTION_ROOT SIM_PYTHON
# shellcheck disable=SC1091
source "${REPO_ROOT}/tests/integration/targets/setup_simulator/simulator.sh"
cleanup() {
    stop_simulator
    rm -rf "${WORK}"
}
trap cleanup EXIT

version="$("${SIM_PYTHON}" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "${REPO_ROOT}/galaxy.yml")"

echo "== build (in the checkout, as the README says)"
(cd "${REPO_ROOT}" && "${BIN_DIR}/ansible-galaxy" collection build --force --output-path "${WORK}/dist" .)
tarball="${WORK}/dist/ovhcloud-mbm-${version}.tar.gz"
[[ -f "${tarball}" ]] || fail "no ${tarball}"

echo "== contents"
tar -tzf "${tarball}" | sed -e 's|^\./||' -e 's|/$||' | sort > "${WORK}/contents.txt"
echo "$(wc -l < "${WORK}/contents.txt") entries"
# Nothing generated, cached or private.
if grep -E '(^|/)(tests/output|tests/perf/output|demo/output|\.cache|\.ansible|\.git|\.venv|\.ci|__pycache__)(/|$)|\.pyc$|\.tar\.gz$|\.plugin-cache\.yaml$|(^|/)ovh\.conf$' \
        "${WORK}/contents.txt"; then
    fail "the artifact holds the generated, cached or private files listed above (see build_ignore in galaxy.yml)"
fi
# Every file comes from the files git sees (tracked, or untracked but not ignored).
(cd "${REPO_ROOT}" && git ls-files -co --exclude-standard) | sort > "${WORK}/git-files.txt"
tar -tzvf "${tarball}" | awk '$1 !~ /^d/ {print $NF}' | sed 's|^\./||' | grep -v -x -E 'MANIFEST\.json|FILES\.json' \
    | sort > "${WORK}/files.txt"
extra="$(comm -23 "${WORK}/files.txt" "${WORK}/git-files.txt")"
[[ -z "${extra}" ]] || fail "files git does not see are in the artifact: ${extra}"
for wanted in MANIFEST.json FILES.json README.md meta/runtime.yml plugins/modules/mbm_info.py \
        plugins/inventory/mbm_services.py roles/decommission/tasks/main.yml playbooks/plan.yml \
        playbooks/decommission.yml changelogs/changelog.yaml LICENSES/GPL-3.0-or-later.txt; do
    grep -q -x -F "${wanted}" "${WORK}/contents.txt" || fail "${wanted} is missing from the artifact"
done

echo "== install into an empty collections path"
mkdir -p "${WORK}/collections" "${WORK}/run"
ANSIBLE_COLLECTIONS_PATH="${WORK}/collections" "${BIN_DIR}/ansible-galaxy" collection install "${tarball}" \
    -p "${WORK}/collections"
installed="${WORK}/collections/ansible_collections/ovhcloud/mbm"
[[ -f "${installed}/MANIFEST.json" ]] || fail "the collection was not installed under ${installed}"

# From here on: only the installed copy is visible to Ansible, and nothing runs from the checkout.
export ANSIBLE_COLLECTIONS_PATH="${WORK}/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCAL_TEMP="${WORK}/tmp"
export ANSIBLE_HOME="${WORK}/ansible-home"
export ANSIBLE_RETRY_FILES_ENABLED=false
export ANSIBLE_INVENTORY_UNPARSED_FAILED=true
cd "${WORK}/run"

echo "== ansible-galaxy collection list"
"${BIN_DIR}/ansible-galaxy" collection list ovhcloud.mbm > "${WORK}/list.txt"
cat "${WORK}/list.txt"
grep -q -F "${WORK}/collections/ansible_collections" "${WORK}/list.txt" || fail "ovhcloud.mbm is not listed from the installed path"
if grep -q -F "${REPO_ROOT}" "${WORK}/list.txt"; then
    fail "the checkout is visible as a collection"
fi

echo "== ansible-doc ovhcloud.mbm.mbm_info (installed copy)"
"${BIN_DIR}/ansible-doc" --json ovhcloud.mbm.mbm_info > "${WORK}/doc.json"
"${SIM_PYTHON}" - "${WORK}/doc.json" "${installed}" <<'PY'
import json
import sys

doc = json.load(open(sys.argv[1]))["ovhcloud.mbm.mbm_info"]
assert doc["doc"]["collection"] == "ovhcloud.mbm", doc["doc"].get("collection")
assert doc["doc"]["filename"].startswith(sys.argv[2]), "ansible-doc read %s" % doc["doc"]["filename"]
for option in ("endpoint", "application_key", "consumer_key", "service_name", "state_dir"):
    assert option in doc["doc"]["options"], option
assert doc["examples"] and doc["return"], "examples and return documented"
print("ansible-doc: %s from %s" % (doc["doc"]["module"], doc["doc"]["filename"]))
PY

echo "== ansible-playbook ovhcloud.mbm.plan (installed copy) against the simulator"
start_simulator "${REPO_ROOT}/demo/fleet.json"
cp -R "${REPO_ROOT}/demo/inventory" "${WORK}/run/inventory"
"${BIN_DIR}/ansible-playbook" ovhcloud.mbm.plan -i "${WORK}/run/inventory" \
    -e decommission_report_dir=reports -e decommission_state_dir=state > "${WORK}/plan.log" 2>&1 \
    || { cat "${WORK}/plan.log"; fail "the plan playbook failed"; }
tail -n 12 "${WORK}/plan.log"
"${SIM_PYTHON}" - "${WORK}/run/reports/plan-report.json" "${installed}" "$(sim_admin GET /calls)" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
calls = json.loads(sys.argv[3])
hosts = dict((host["host"], host) for host in report["hosts"])
expected = {"pcc-203-0-113-10", "pcc-203-0-113-11", "pcc-203-0-113-12", "pcc-203-0-113-13", "pcc-203-0-113-14"}
assert set(hosts) == expected, sorted(hosts)
assert hosts["pcc-203-0-113-10"]["outcome"] == "planned", hosts["pcc-203-0-113-10"]
assert hosts["pcc-203-0-113-14"]["outcome"] == "skipped", hosts["pcc-203-0-113-14"]
assert hosts["pcc-203-0-113-12"]["outcome"] == "held", hosts["pcc-203-0-113-12"]
writes = dict((route, n) for route, n in calls.items() if route.split(" ")[0] in ("POST", "PUT", "DELETE"))
assert not writes, writes
assert calls.get("GET /dedicatedCloud/{serviceName}", 0) > 0, calls
print("plan report: %s" % ", ".join("%s=%s" % (name, hosts[name]["outcome"]) for name in sorted(hosts)))
PY
echo "artifact: OK (${tarball##*/}, $(wc -l < "${WORK}/files.txt") files)"
