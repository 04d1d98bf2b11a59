#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The README's demo: the real decommission workflow on the local OVHcloud API simulator.
#
#   ANSIBLE_COLLECTIONS_PATH=<dir holding ansible_collections/ovhcloud/mbm> demo/run.sh
#
# Uses ansible-playbook from PATH (its Python needs the ovh package) and the collection found through
# ANSIBLE_COLLECTIONS_PATH. It starts the simulator with demo/fleet.json, runs the plan, then the
# decommission (request, termination e-mail, confirmation), shows the report, runs the decommission again
# to show that nothing is left to do, and stops the simulator on exit. Records go to demo/output/.
#
# The fleet: pcc-203-0-113-10 and -11 have healthy backups (terminated); -12 has a 5-day-old backup and is
# HELD BACK ON PURPOSE by the backup gate (so the decommission runs exit with 2); -13 is already scheduled
# for deletion at expiration (nothing to do); -14 is not approved (skipped, never touched); -20 is a Hosted
# Private Cloud (not MBM), which the inventory does not even list.

set -euo pipefail

DEMO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${DEMO_DIR}/output"
INVENTORY="${DEMO_DIR}/inventory"

# shellcheck source=../tests/integration/targets/setup_simulator/simulator.sh
source "${DEMO_DIR}/../tests/integration/targets/setup_simulator/simulator.sh"

if ! command -v ansible-playbook >/dev/null 2>&1; then
    echo "demo: ansible-playbook is not on PATH" >&2
    exit 1
fi

banner() {
    printf '\n==== %s ====\n\n' "$*"
}

writes() {
    # Number of write calls the simulator received so far.
    sim_admin GET /calls | "${SIM_PYTHON}" -c '
import json, sys
calls = json.load(sys.stdin)
print(sum(count for route, count in calls.items() if route.split(" ")[0] in ("POST", "PUT", "DELETE")))'
}

# run_playbook NAME [args]: runs ansible-playbook ovhcloud.mbm.NAME; exit code 2 (a host held back on purpose) is
# expected, anything else but 0 stops the demo.
run_playbook() {
    local name="$1"
    shift
    local rc=0
    ansible-playbook "ovhcloud.mbm.${name}" -i "${INVENTORY}" \
        -e "decommission_report_dir=${OUT}" -e "decommission_state_dir=${OUT}/state" "$@" || rc=$?
    if [[ ${rc} -ne 0 && ${rc} -ne 2 ]]; then
        echo "demo: ansible-playbook ovhcloud.mbm.${name} failed with exit code ${rc}" >&2
        exit "${rc}"
    fi
    echo "(ansible-playbook exit code ${rc}$([[ ${rc} -eq 2 ]] && echo ': a host was held back on purpose, see the report'))"
}

rm -rf "${OUT}"
mkdir -p "${OUT}"
chmod 700 "${OUT}"

banner "Starting the OVHcloud API simulator with demo/fleet.json"
start_simulator "${DEMO_DIR}/fleet.json"
echo "simulator: ${SIM_URL}"

# Show what changed or failed; set these to true to see every task.
export ANSIBLE_DISPLAY_SKIPPED_HOSTS="${ANSIBLE_DISPLAY_SKIPPED_HOSTS:-false}"
export ANSIBLE_DISPLAY_OK_HOSTS="${ANSIBLE_DISPLAY_OK_HOSTS:-false}"
export ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_RETRY_FILES_ENABLED=False

banner "The inventory (plugin ovhcloud.mbm.mbm_services): the account's Managed Bare Metal services"
ansible-inventory -i "${INVENTORY}" --graph

banner "1. Plan: ansible-playbook ovhcloud.mbm.plan -e decommission_confirm=true (check mode: reads only)"
run_playbook plan -e decommission_confirm=true
echo "writes sent to the API by the plan: $(writes)"
cat "${OUT}/plan-report.md"

banner "2. Decommission: request, termination e-mail, confirmation (decommission_confirm=true)"
run_playbook decommission -e decommission_confirm=true
echo "writes sent to the API so far: $(writes)"
cat "${OUT}/decommission-report.md"
echo
echo "The confirmation links the termination e-mails carried (the simulator's default managedBaremetal form; tokens hidden):"
sim_admin GET /emails | "${SIM_PYTHON}" -c '
import json, re, sys
for mail in json.load(sys.stdin):
    if mail.get("token"):
        for url in re.findall(r"https?://[^\s\x22<>]+", mail["body"]):
            if mail["token"] in url:
                print("  e-mail %s (%s): %s" % (mail["id"], mail["serviceName"], url.replace(mail["token"], "********").replace("&amp;", "&")))
                break
'

banner "3. Decommission again: nothing left to do"
before="$(writes)"
run_playbook decommission -e decommission_confirm=true
after="$(writes)"
echo "writes sent by the second run: $((after - before))"
"${SIM_PYTHON}" - "${OUT}/decommission-report.json" <<'PY'
import json
import sys
import textwrap


def reason(host):
    """The reason in words: a failed backup gate by its first violation, anything else as it is (wrapped below)."""
    violations = (host.get("backup") or {}).get("violations") or []
    if host.get("phase_reached") == "backup_gate" and violations:
        first = violations[0]
        text = "backup gate: %s" % first.get("rule", "violation")
        if first.get("vm"):
            text += " on VM %s" % first["vm"]
        if first.get("datacenter"):
            text += " (datacenter %s)" % first["datacenter"]
        if len(violations) > 1:
            text += ", and %d more violation(s)" % (len(violations) - 1)
        return text + "; see the report"
    return host.get("reason") or ""


report = json.load(open(sys.argv[1]))
print("%-20s %-15s %-22s %s" % ("host", "outcome", "status", "reason"))
for host in report["hosts"]:
    lines = textwrap.wrap(reason(host), 70) or [""]
    print("%-20s %-15s %-22s %s" % (host["host"], host.get("outcome"), host.get("status_after") or "-", lines[0]))
    for line in lines[1:]:
        print("%-60s %s" % ("", line))
if report.get("approved_not_in_run"):
    print("approved but not in this run: %s" % ", ".join(report["approved_not_in_run"]))
PY

banner "Audit log (${OUT}/audit.jsonl), last entries"
tail -n 8 "${OUT}/audit.jsonl"

banner "Done"
echo "Reports: ${OUT}/decommission-report.md (.json), ${OUT}/plan-report.md, manifests in ${OUT}/manifests/"
