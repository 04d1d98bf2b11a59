#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The decommission role and its playbooks against the simulator (fleet: files/fixture.json).
# Every scenario starts a fresh simulator (the "accounts" scenario two: one per account and endpoint, fixtures
# from files/accounts.py) and asserts on its call counts, its state and e-mails, and on the report and audit log
# the role writes.

set -eu

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh

HERE="$(pwd)"
CHECK=("${SIM_PYTHON}" "${HERE}/files/check.py")
WORK="$(mktemp -d)"
SECOND_SIM_PID=""
cleanup() {
    stop_second_simulator
    stop_simulator
    rm -rf "${WORK}"
}
trap cleanup EXIT

export ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_RETRY_FILES_ENABLED=False

POST_TERMINATE="POST /dedicatedCloud/{serviceName}/terminate"
POST_CONFIRM="POST /dedicatedCloud/{serviceName}/confirmTermination"
PUT_INFOS="PUT /dedicatedCloud/{serviceName}/serviceInfos"

# scenario NAME [FIXTURE]: fresh simulator (default fixture: files/fixture.json), output directory and inventories
scenario() {
    echo "=== scenario: $1"
    OUT="${WORK}/$1"
    mkdir -p "${OUT}"
    INVENTORY=(-i "${HERE}/files/inventory.yml" -i "${HERE}/files/extra.yml")
    start_simulator "${2:-${HERE}/files/fixture.json}"
    # start_simulator replaced the EXIT trap
    trap cleanup EXIT
}

# start_second_simulator FIXTURE URL_FILE: simulator.sh runs one simulator at a time; this one (same Python, same
# collection root) is stopped by stop_second_simulator or on exit. Sets SECOND_SIM_URL and SECOND_SIM_ADMIN_URL.
start_second_simulator() {
    local tries=0
    (cd "${SIM_COLLECTION_ROOT}" && exec "${SIM_PYTHON}" -m tests.simulator --fixture "$1" --port 0 --url-file "$2") \
        >"$2.log" 2>&1 &
    SECOND_SIM_PID=$!
    while [[ ! -s "$2" ]]; do
        tries=$((tries + 1))
        if [[ ${tries} -gt 300 ]] || ! kill -0 "${SECOND_SIM_PID}" 2>/dev/null; then
            cat "$2.log" >&2
            echo "the second simulator did not start" >&2
            exit 1
        fi
        sleep 0.1
    done
    SECOND_SIM_URL="$("${SIM_PYTHON}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$2")"
    SECOND_SIM_ADMIN_URL="$("${SIM_PYTHON}" -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin_url"])' "$2")"
}

stop_second_simulator() {
    if [[ -n "${SECOND_SIM_PID}" ]]; then
        kill "${SECOND_SIM_PID}" 2>/dev/null || true
        wait "${SECOND_SIM_PID}" 2>/dev/null || true
        SECOND_SIM_PID=""
    fi
}

# playbook EXPECTED_RC NAME [args]: run ansible-playbook ovhcloud.mbm.NAME on the scenario's inventories (by default
# inventory.yml and extra.yml: one merged report)
playbook() {
    local expected="$1" name="$2" rc=0
    shift 2
    ansible-playbook "ovhcloud.mbm.${name}" "${INVENTORY[@]}" \
        -e "decommission_report_dir=${OUT}" -e "decommission_state_dir=${OUT}/state" "$@" >"${OUT}/last.log" 2>&1 || rc=$?
    cat "${OUT}/last.log" >>"${OUT}/all.log"
    if [[ "${rc}" != "${expected}" ]]; then
        cat "${OUT}/last.log"
        echo "ansible-playbook ovhcloud.mbm.${name} $* exited with ${rc}, expected ${expected}" >&2
        exit 1
    fi
}

writes() {
    echo "$(sim_call_count "${POST_TERMINATE}") $(sim_call_count "${POST_CONFIRM}") $(sim_call_count "${PUT_INFOS}")"
}

# expect_writes "TERMINATE CONFIRM PUT" [ADMIN_URL]: call counts of the simulator (default: the one of simulator.sh)
expect_writes() {
    local got
    got="$(SIM_ADMIN_URL="${2:-${SIM_ADMIN_URL}}" writes)"
    if [[ "${got}" != "$1" ]]; then
        echo "writes (terminate confirm put) on ${2:-${SIM_ADMIN_URL}} are '${got}', expected '$1'" >&2
        exit 1
    fi
}

# expect_no_change: the PLAY RECAP of the last run shows changed=0 for every host
expect_no_change() {
    if sed -n '/^PLAY RECAP/,$p' "${OUT}/last.log" | grep -E 'changed=[1-9]'; then
        echo "the last run reported a change on a host (see the PLAY RECAP above)" >&2
        exit 1
    fi
    grep -q '^PLAY RECAP' "${OUT}/last.log"
}

# json_check FILE PYTHON_EXPRESSION: the expression (over the JSON document "d") is true
json_check() {
    "${SIM_PYTHON}" -c 'import json, sys
d = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]):
    sys.exit("check failed on %s: %s" % (sys.argv[1], sys.argv[2]))' "$1" "$2"
}

# ---------------------------------------------------------------------------------------------------------
# 1. Unapproved, look-alike-approved, non-MBM, stale-backup and unattested services are never written to, even
#    with decommission_confirm=true; every host of the play fails or is skipped, and the report (merged from
#    two inventories) still names every one of them.
test_never_write() {
    scenario never_write
    playbook 2 decommission -e target=never_write -e decommission_confirm=true
    expect_writes "0 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" --check-mode no \
        pcc-192-0-2-3=held@backup_gate pcc-192-0-2-4=held@attestation pcc-192-0-2-5=skipped@approval \
        pcc-192-0-2-60=skipped@approval pcc-192-0-2-7=held@preflight
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" emails "${OUT}/emails.json" pcc-192-0-2-3=0 pcc-192-0-2-4=0 pcc-192-0-2-5=0 pcc-192-0-2-60=0 pcc-192-0-2-7=0
    "${CHECK[@]}" audit "${OUT}/audit.jsonl" pcc-192-0-2-5:request:skipped pcc-192-0-2-60:confirm:skipped pcc-192-0-2-7:request:skipped
    test -f "${OUT}/manifests/pcc-192-0-2-3.json"
    test "$(stat -c %a "${OUT}/manifests/pcc-192-0-2-3.json")" = 600
    test "$(stat -c %a "${OUT}/decommission-report.json")" = 600
    grep -q 'erp-db' "${OUT}/decommission-report.md"
    # Approved names that match no host of the play: a real warning at preflight, and listed in both reports.
    grep -q 'WARNING.*APPROVED BUT NOT IN THIS RUN' "${OUT}/last.log"
    json_check "${OUT}/decommission-report.json" \
        "({'PCC-192-0-2-60', 'pcc-192-0-2-6*', 'pcc-192-0-2-600', 'pcc-192-0-2-1', 'all'} <= set(d['approved_not_in_run'])
          and not {'pcc-192-0-2-3', 'pcc-192-0-2-7'} & set(d['approved_not_in_run']))"
    grep -q 'Approved but not in this run.*PCC-192-0-2-60' "${OUT}/decommission-report.md"
}

# ---------------------------------------------------------------------------------------------------------
# 2. A failing backup gate or a missing attestation stops that host only; the others are requested and confirmed
#    (token from the e-mail, or from decommission_token); at -vvv no token appears in any output, report,
#    manifest or log. A second run makes no write.
test_gates_and_good() {
    scenario gates_and_good
    playbook 2 decommission -e target=gates_and_good -e decommission_confirm=true -vvv
    expect_writes "1 2 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" \
        pcc-192-0-2-1=confirmed@verify pcc-192-0-2-3=held@backup_gate pcc-192-0-2-4=held@attestation pcc-192-0-2-9=confirmed@verify
    sim_admin GET /state >"${OUT}/state.json"
    "${CHECK[@]}" removal "${OUT}/state.json" pcc-192-0-2-1=yes pcc-192-0-2-9=yes pcc-192-0-2-3=no pcc-192-0-2-4=no
    "${CHECK[@]}" audit "${OUT}/audit.jsonl" pcc-192-0-2-1:request:written pcc-192-0-2-1:confirm:written \
        pcc-192-0-2-9:confirm:written pcc-192-0-2-3:request:skipped
    # The billing window reported is that of the first phase that acted: the request (pcc-192-0-2-1), or the
    # confirmation of an already requested service (pcc-192-0-2-9).
    json_check "${OUT}/decommission-report.json" \
        "({h['host']: h['billing_window'].get('action') for h in d['hosts'] if h['billing_window']}
          == {'pcc-192-0-2-1': 'request', 'pcc-192-0-2-9': 'confirm', 'pcc-192-0-2-3': 'request', 'pcc-192-0-2-4': 'request'}
          and all(h['billing_window']['action_pending'] for h in d['hosts']))"
    playbook 2 decommission -e target=gates_and_good -e decommission_confirm=true -vvv
    expect_writes "1 2 0"
    expect_no_change
    "${CHECK[@]}" report "${OUT}/decommission-report.json" \
        pcc-192-0-2-1=nothing_to_do pcc-192-0-2-3=held@backup_gate pcc-192-0-2-4=held@attestation pcc-192-0-2-9=nothing_to_do
    json_check "${OUT}/decommission-report.json" \
        "[h['host'] for h in d['hosts'] if not h['billing_window']['action_pending']] == ['pcc-192-0-2-1', 'pcc-192-0-2-9']"
    grep -q 'Billing window: (no action pending) day' "${OUT}/decommission-report.md"
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" emails "${OUT}/emails.json" pcc-192-0-2-1=1 pcc-192-0-2-9=1 pcc-192-0-2-3=0 pcc-192-0-2-4=0
    "${CHECK[@]}" no-secret "${OUT}/emails.json" "${OUT}/all.log" "${OUT}/decommission-report.json" \
        "${OUT}/decommission-report.md" "${OUT}/audit.jsonl" "${OUT}/manifests"
}

# ---------------------------------------------------------------------------------------------------------
# 3. Check mode writes nothing and never waits: the termination e-mail would take an hour, the wait timeout is
#    15 minutes; the plan and a --check decommission end in seconds with a report marked as check mode.
test_check_mode() {
    scenario check_mode
    sim_admin POST /options '{"email_delay_seconds": 3600}' >/dev/null
    SECONDS=0
    playbook 0 plan -e decommission_confirm=true -e decommission_wait_timeout=900
    playbook 2 decommission --check -e decommission_confirm=true -e decommission_wait_timeout=900
    elapsed=${SECONDS}
    expect_writes "0 0 0"
    test "${elapsed}" -lt 600
    "${CHECK[@]}" report "${OUT}/plan-report.json" --check-mode yes \
        pcc-192-0-2-1=planned pcc-192-0-2-2=planned pcc-192-0-2-3=held pcc-192-0-2-4=held pcc-192-0-2-5=skipped \
        pcc-192-0-2-8=planned pcc-192-0-2-9=planned pcc-192-0-2-60=skipped pcc-192-0-2-7=held
    "${CHECK[@]}" report "${OUT}/decommission-report.json" --check-mode yes \
        pcc-192-0-2-1=planned pcc-192-0-2-2=planned pcc-192-0-2-3=held pcc-192-0-2-4=held pcc-192-0-2-5=skipped \
        pcc-192-0-2-8=planned pcc-192-0-2-9=planned pcc-192-0-2-60=skipped pcc-192-0-2-7=held
    test ! -e "${OUT}/audit.jsonl"
}

# ---------------------------------------------------------------------------------------------------------
# 4. The pre-request hook runs under "always" (here with --tags request) after the gates, and its failure
#    holds that host back only.
test_hook() {
    scenario hook
    playbook 2 decommission -e target=pcc-192-0-2-1,pcc-192-0-2-8 -e "decommission_pre_request_tasks=${HERE}/files/hook.yml" --tags request
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-1=held@pre_request_hook pcc-192-0-2-8=requested
    test -f "${OUT}/hook-pcc-192-0-2-1.txt"
    test -f "${OUT}/hook-pcc-192-0-2-8.txt"
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" emails "${OUT}/emails.json" pcc-192-0-2-1=0 pcc-192-0-2-8=1
    grep -q 'change ticket for pcc-192-0-2-1 is not approved' "${OUT}/decommission-report.md"
}

# ---------------------------------------------------------------------------------------------------------
# 5. --tags and --skip-tags cannot skip a gate: with --tags request the gates still run (the stale host is held,
#    the good one requested); skipping a gate's tag, or "always", holds the host instead of writing. The same
#    with the prefixed tag aliases (decommission_request, decommission_backup_gate).
test_tags() {
    scenario tags
    playbook 2 decommission -e target=pcc-192-0-2-1,pcc-192-0-2-3 --tags request
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-1=requested pcc-192-0-2-3=held@backup_gate
    playbook 2 decommission -e target=pcc-192-0-2-8 --skip-tags backup_gate
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=held@gates
    grep -q 'backup_gate did not pass' "${OUT}/decommission-report.md"
    playbook 2 decommission -e target=pcc-192-0-2-8 --skip-tags preflight,attestation,pre_request_hook -e decommission_confirm=true
    expect_writes "1 0 0"
    playbook 2 decommission -e target=pcc-192-0-2-8 --skip-tags always --tags request,confirm -e decommission_confirm=true
    expect_writes "1 0 0"
    # The prefixed aliases (decommission_<phase>) select and skip the same phases, under the same gates.
    playbook 2 decommission -e target=pcc-192-0-2-2,pcc-192-0-2-3 --tags decommission_request
    expect_writes "2 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-2=requested pcc-192-0-2-3=held@backup_gate
    playbook 2 decommission -e target=pcc-192-0-2-9 --skip-tags decommission_backup_gate
    expect_writes "2 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-9=held@gates
}

# ---------------------------------------------------------------------------------------------------------
# 6. Interrupted runs finish on re-run: "request today, confirm after review" (two runs), and a run killed
#    between the request and the confirmation (its e-mail takes 20 s) that is simply run again.
test_interrupted() {
    scenario interrupted
    playbook 0 decommission -e target=pcc-192-0-2-8
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=requested@verify
    grep -q 'decommission_confirm=true' "${OUT}/decommission-report.md"
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "1 1 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=confirmed@verify

    setsid ansible-playbook ovhcloud.mbm.decommission -i "${HERE}/files/inventory.yml" -i "${HERE}/files/extra.yml" \
        -e "decommission_report_dir=${OUT}" -e "decommission_state_dir=${OUT}/state" \
        -e target=pcc-192-0-2-2 -e decommission_confirm=true >"${OUT}/killed.log" 2>&1 &
    victim=$!
    tries=0
    while [[ "$(sim_call_count "${POST_TERMINATE}")" != 2 ]]; do
        tries=$((tries + 1))
        if [[ ${tries} -gt 600 ]] || ! kill -0 "${victim}" 2>/dev/null; then
            cat "${OUT}/killed.log"
            echo "the run to interrupt never sent its request" >&2
            exit 1
        fi
        sleep 0.1
    done
    kill -TERM -- "-${victim}" 2>/dev/null || true
    wait "${victim}" 2>/dev/null || true
    sleep 1
    expect_writes "2 1 0"
    playbook 0 decommission -e target=pcc-192-0-2-2 -e decommission_confirm=true
    expect_writes "2 2 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-2=confirmed@verify
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" emails "${OUT}/emails.json" pcc-192-0-2-2=1 pcc-192-0-2-8=1
}

# ---------------------------------------------------------------------------------------------------------
# 7. Usability: relative paths resolve against the directory ansible-playbook was started from (never the
#    collection's playbooks/ folder) and are reported as absolute paths; a target that matches no host (empty
#    inventory, failed inventory plugin) fails the run with an actionable message instead of an empty recap;
#    a re-run of an unapproved or nothing-to-do host shows no change.
test_usability() {
    scenario usability
    mkdir -p "${OUT}/cwd"
    (cd "${OUT}/cwd" && playbook 0 plan -e target=pcc-192-0-2-8 -e decommission_report_dir=./rel-reports \
        -e decommission_state_dir=rel-state)
    test -f "${OUT}/cwd/rel-reports/plan-report.json"
    test -f "${OUT}/cwd/rel-reports/plan-report.md"
    test -f "${OUT}/cwd/rel-reports/manifests/pcc-192-0-2-8.json"
    test ! -e "${HERE}/../../../../playbooks/rel-reports"
    grep -q "Report: ${OUT}/cwd/rel-reports/plan-report.json" "${OUT}/last.log"
    json_check "${OUT}/cwd/rel-reports/plan-report.json" "d['run']['audit_log'] == '${OUT}/cwd/rel-reports/audit.jsonl'"
    (cd "${OUT}/cwd" && playbook 0 decommission -e target=pcc-192-0-2-5 -e decommission_report_dir=rel-reports)
    expect_writes "0 0 0"
    test -f "${OUT}/cwd/rel-reports/audit.jsonl"
    (cd "${OUT}/cwd" && playbook 0 decommission -e target=pcc-192-0-2-5 -e decommission_report_dir=rel-reports)
    expect_no_change
    "${CHECK[@]}" report "${OUT}/cwd/rel-reports/decommission-report.json" pcc-192-0-2-5=skipped@approval

    playbook 2 plan -e target=no_such_group
    grep -q "No inventory host matches the target 'no_such_group'" "${OUT}/last.log"
    grep -q 'ANSIBLE_INVENTORY_UNPARSED_FAILED=true' "${OUT}/last.log"
    printf -- '---\nall:\n  hosts: {}\n' >"${OUT}/empty.yml"
    rc=0
    ansible-playbook ovhcloud.mbm.decommission -i "${OUT}/empty.yml" >"${OUT}/last.log" 2>&1 || rc=$?
    test "${rc}" != 0
    grep -q "No inventory host matches the target 'mbm_services'" "${OUT}/last.log"
    expect_writes "0 0 0"
}

# ---------------------------------------------------------------------------------------------------------
# 8. Several accounts and endpoints in one run, over two inventories (files/accounts/eu.yml and ca.yml): the
#    groups ovh_eu and ovh_ca take the endpoint and credentials of their account from group_vars, and
#    pcc-192-0-2-31 (no such variable) falls back to the OVH_* environment, which simulator.sh points at the "ca"
#    simulator with the keys of a third account. Two simulators stand for ovh-eu and ovh-ca, each with its own
#    application and consumer keys (files/accounts.py): a host that used another account's endpoint or keys
#    would find no service or be refused. Each simulator receives the writes of its own services only, every
#    host is confirmed (terminating), one merged report names them all, and at -vvv no application secret,
#    consumer key or token of either simulator appears in any output, report, manifest, state file or log.
test_accounts() {
    local fixtures="${WORK}/accounts-fixtures" vars="${HERE}/files/accounts/group_vars" secrets=() value group field
    mkdir -p "${fixtures}"
    "${SIM_PYTHON}" "${HERE}/files/accounts.py" "${HERE}/files/fixture.json" "${fixtures}"
    scenario accounts "${fixtures}/ca.json"
    start_second_simulator "${fixtures}/eu.json" "${fixtures}/eu-url.json"
    local ca_admin="${SIM_ADMIN_URL}" eu_admin="${SECOND_SIM_ADMIN_URL}"
    export ACCOUNTS_EU_ENDPOINT="${SECOND_SIM_URL}" ACCOUNTS_CA_ENDPOINT="${SIM_URL}"
    INVENTORY=(-i "${HERE}/files/accounts/eu.yml" -i "${HERE}/files/accounts/ca.yml")
    playbook 0 decommission -e decommission_confirm=true -vvv
    expect_writes "2 2 0" "${eu_admin}"
    expect_writes "3 3 0" "${ca_admin}"
    SIM_ADMIN_URL="${eu_admin}" sim_admin GET /state >"${fixtures}/eu-state.json"
    SIM_ADMIN_URL="${ca_admin}" sim_admin GET /state >"${fixtures}/ca-state.json"
    "${CHECK[@]}" removal "${fixtures}/eu-state.json" pcc-192-0-2-11=yes pcc-192-0-2-12=yes
    "${CHECK[@]}" removal "${fixtures}/ca-state.json" pcc-192-0-2-21=yes pcc-192-0-2-22=yes pcc-192-0-2-31=yes
    SIM_ADMIN_URL="${eu_admin}" sim_admin GET /emails >"${fixtures}/eu-emails.json"
    SIM_ADMIN_URL="${ca_admin}" sim_admin GET /emails >"${fixtures}/ca-emails.json"
    "${CHECK[@]}" emails "${fixtures}/eu-emails.json" pcc-192-0-2-11=1 pcc-192-0-2-12=1 \
        pcc-192-0-2-21=0 pcc-192-0-2-22=0 pcc-192-0-2-31=0
    "${CHECK[@]}" emails "${fixtures}/ca-emails.json" pcc-192-0-2-21=1 pcc-192-0-2-22=1 pcc-192-0-2-31=1 \
        pcc-192-0-2-11=0 pcc-192-0-2-12=0
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-11=confirmed@verify pcc-192-0-2-12=confirmed@verify \
        pcc-192-0-2-21=confirmed@verify pcc-192-0-2-22=confirmed@verify pcc-192-0-2-31=confirmed@verify
    json_check "${OUT}/decommission-report.json" \
        "({h['host']: (h['endpoint'], h['status_after']) for h in d['hosts']}
          == dict([(n, ('${SECOND_SIM_URL}', 'terminating')) for n in ('pcc-192-0-2-11', 'pcc-192-0-2-12')]
                  + [(n, ('${SIM_URL}', 'terminating')) for n in ('pcc-192-0-2-21', 'pcc-192-0-2-22', 'pcc-192-0-2-31')]))"
    "${CHECK[@]}" audit "${OUT}/audit.jsonl" pcc-192-0-2-11:confirm:written pcc-192-0-2-12:confirm:written \
        pcc-192-0-2-21:confirm:written pcc-192-0-2-22:confirm:written pcc-192-0-2-31:confirm:written
    # The secrets of the run: both groups' (read from their group_vars) and the environment's.
    for group in ovh_eu ovh_ca; do
        for field in application_secret consumer_key; do
            value="$(sed -n "s/^decommission_${field}: *//p" "${vars}/${group}.yml")"
            test -n "${value}"
            secrets+=(--secret "${value}")
        done
    done
    secrets+=(--secret "${OVH_APPLICATION_SECRET}" --secret "${OVH_CONSUMER_KEY}")
    "${CHECK[@]}" no-secret "${fixtures}/eu-emails.json" --emails "${fixtures}/ca-emails.json" "${secrets[@]}" "${OUT}"
    stop_second_simulator
}

# ---------------------------------------------------------------------------------------------------------
# 9. The pre-request hook runs only after every gate before it passed in this run, whatever tags are skipped, and an
#    unapproved host is never read beyond the approval check (issue 9, item 2): with the preflight, the backup gate or
#    the attestation skipped (today's tags or their decommission_ aliases) the hook leaves no trace, no manifest is
#    written, and the unapproved host makes no API call at all and is reported as skipped, not held.
test_hook_gates() {
    local hook="decommission_pre_request_tasks=${HERE}/files/hook.yml"
    scenario hook_gates
    playbook 2 decommission -e target=pcc-192-0-2-5,pcc-192-0-2-8 -e "${hook}" --skip-tags preflight
    sim_admin GET /calls >"${OUT}/calls.json"
    "${CHECK[@]}" calls "${OUT}/calls.json" total=0
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-5=skipped@approval pcc-192-0-2-8=held@gates
    grep -q 'preflight did not pass' "${OUT}/decommission-report.md"
    test ! -e "${OUT}/hook-pcc-192-0-2-5.txt"
    test ! -e "${OUT}/hook-pcc-192-0-2-8.txt"
    test ! -e "${OUT}/manifests"
    playbook 0 decommission -e target=pcc-192-0-2-5 -e "${hook}" --skip-tags decommission_preflight
    playbook 0 decommission -e target=pcc-192-0-2-5 -e "${hook}" --tags request -e decommission_confirm=true
    sim_admin GET /calls >"${OUT}/calls.json"
    "${CHECK[@]}" calls "${OUT}/calls.json" total=0
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-5=skipped@approval
    test ! -e "${OUT}/hook-pcc-192-0-2-5.txt"
    test ! -e "${OUT}/manifests"
    playbook 2 decommission -e target=pcc-192-0-2-8 -e "${hook}" --skip-tags backup_gate,attestation
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=held@gates
    grep -q 'backup_gate, attestation did not pass' "${OUT}/decommission-report.md"
    test ! -e "${OUT}/hook-pcc-192-0-2-8.txt"
    playbook 2 decommission -e target=pcc-192-0-2-8 -e "${hook}" --skip-tags decommission_attestation --tags decommission_request
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=held@gates
    grep -q 'attestation did not pass' "${OUT}/decommission-report.md"
    test ! -e "${OUT}/hook-pcc-192-0-2-8.txt"
    playbook 2 decommission -e target=pcc-192-0-2-3,pcc-192-0-2-4 -e "${hook}" --tags request
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-3=held@backup_gate pcc-192-0-2-4=held@attestation
    test ! -e "${OUT}/hook-pcc-192-0-2-3.txt"
    test ! -e "${OUT}/hook-pcc-192-0-2-4.txt"
    expect_writes "0 0 0"
}

# ---------------------------------------------------------------------------------------------------------
# 10. Every role input is checked before the first write (issue 9, item 3): a reason or future use OVHcloud does not
#     know, or a wait option out of bounds, with decommission_confirm=true, fails the host with a message naming the
#     variable, and no terminate is sent; the same options, valid, are those the confirmation sends.
test_bad_inputs() {
    local setting
    scenario bad_inputs
    for setting in decommission_confirm_reason=NOT_NEEDED decommission_confirm_future_use=LATER decommission_wait_timeout=-1 \
        decommission_wait_delay=0 decommission_backup_api_concurrency=0 decommission_request_from_day=32; do
        playbook 2 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -e "${setting}"
        expect_writes "0 0 0"
        if ! grep -q "${setting%%=*}" "${OUT}/last.log"; then
            cat "${OUT}/last.log"
            echo "the run with ${setting} did not name ${setting%%=*}" >&2
            exit 1
        fi
    done
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -e decommission_confirm_reason=NOT_NEEDED_ANYMORE \
        -e decommission_confirm_future_use=NOT_REPLACING_SERVICE -e decommission_wait_timeout=0 -e decommission_wait_delay=1
    expect_writes "1 1 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=confirmed@verify
}

# ---------------------------------------------------------------------------------------------------------
# 11. An attestation that looks like it holds a secret (a pre-signed URL, a token, a password in a URL) is refused at
#     the attestation gate, before any write, by the detector the report uses (issue 9, item 5); the other hosts go
#     on. A secret-looking value that reaches a host's record another way (here the message of a failing hook) is
#     redacted from the report, which is still written for every host and marks that host.
test_attestation_secret() {
    scenario attestation_secret
    cat >"${OUT}/attest.yml" <<'YAML'
all:
  hosts:
    pcc-192-0-2-1:
      decommission_data_exported: "https://share.example.net/download?id=42&token=AttTok0123456789abcdef"
    pcc-192-0-2-8:
      decommission_data_exported: "https://exports.example.net/pcc.tar?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=AttSig0123456789abcdef"
    pcc-192-0-2-9:
      decommission_data_exported: "sftp://export:AttPassw0rd0123456789@sftp.example.net/pcc-192-0-2-9/"
YAML
    INVENTORY+=(-i "${OUT}/attest.yml")
    playbook 2 decommission -e target=pcc-192-0-2-1,pcc-192-0-2-2,pcc-192-0-2-8,pcc-192-0-2-9
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-1=held@attestation pcc-192-0-2-2=requested@verify \
        pcc-192-0-2-8=held@attestation pcc-192-0-2-9=held@attestation
    json_check "${OUT}/decommission-report.json" \
        "all('looks like it holds a secret' in h['reason'] for h in d['hosts'] if h['host'] != 'pcc-192-0-2-2')"
    sim_admin GET /emails >"${OUT}/emails.json"
    # (pcc-192-0-2-9's one e-mail is the fixture's; pcc-192-0-2-2's takes 20 s to come)
    "${CHECK[@]}" emails "${OUT}/emails.json" pcc-192-0-2-1=0 pcc-192-0-2-8=0 pcc-192-0-2-9=1
    for value in AttTok0123456789abcdef AttSig0123456789abcdef AttPassw0rd0123456789; do
        "${CHECK[@]}" absent "${value}" "${OUT}/decommission-report.json" "${OUT}/decommission-report.md" "${OUT}/audit.jsonl" \
            "${OUT}/manifests"
    done

    playbook 2 decommission -e target=pcc-192-0-2-2,pcc-192-0-2-8 -e decommission_data_exported=TEST-EXPORT-2 \
        -e "decommission_pre_request_tasks=${HERE}/files/hook_secret.yml"
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-2=nothing_to_do pcc-192-0-2-8=held@pre_request_hook
    json_check "${OUT}/decommission-report.json" \
        "[h['host'] for h in d['hosts'] if h.get('redacted')] == ['pcc-192-0-2-8']"
    grep -q 'redacted' "${OUT}/decommission-report.md"
    "${CHECK[@]}" absent HookSig0123456789abcdef "${OUT}/decommission-report.json" "${OUT}/decommission-report.md" "${OUT}/audit.jsonl"
}

# ---------------------------------------------------------------------------------------------------------
# 12. A confirmation whose outcome is unknown is never sent again blindly (issue 9, item 1): the first
#     confirmTermination answers 503 without being applied; the run fails for that host and sends nothing else; the
#     next run reads the state first, then sends exactly one retry with the same token, and the report says it is a
#     retry (termination.retry_after_unknown, the write's retry: true, the audit entry's detail); a third run writes
#     nothing. With a lost answer (the confirmation applied, the connection dropped) the module reads the state again in
#     the same run, finds the removal started and sends nothing more; the next runs send no confirm either.
#     No token appears in any output, report, manifest or log.
test_confirm_retry() {
    local confirm_fault
    scenario confirm_retry
    confirm_fault="{\"route\": \"${POST_CONFIRM}\", \"status\": 503, \"count\": 1}"
    sim_admin POST /faults "${confirm_fault}" >/dev/null
    playbook 2 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -vvv
    expect_writes "1 1 0"
    grep -q 'The outcome of the confirmation of pcc-192-0-2-8 is unknown' "${OUT}/last.log"
    sim_admin GET /state >"${OUT}/state.json"
    "${CHECK[@]}" removal "${OUT}/state.json" pcc-192-0-2-8=no
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -vvv
    expect_writes "1 2 0"
    grep -q 'WARNING.*Confirming pcc-192-0-2-8 again with the same token' "${OUT}/last.log"
    "${SIM_PYTHON}" -c 'import json, sys
entries = [json.loads(line) for line in open(sys.argv[1])]
if not [e for e in entries if e.get("service_name") == "pcc-192-0-2-8" and e.get("phase") == "confirm"
        and e.get("action") == "written" and "the one retry after the unknown outcome" in e.get("detail", "")]:
    sys.exit("no audit entry of the confirmation retry of pcc-192-0-2-8")' "${OUT}/audit.jsonl"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=confirmed@verify
    sim_admin GET /state >"${OUT}/state.json"
    "${CHECK[@]}" removal "${OUT}/state.json" pcc-192-0-2-8=yes
    json_check "${OUT}/decommission-report.json" \
        "[(h['termination'].get('retry_after_unknown') not in (None, False, {}, ''),
           [w.get('retry') for w in h['writes'] if w.get('phase') == 'confirm'])
          for h in d['hosts'] if h['host'] == 'pcc-192-0-2-8'] == [(True, [True])]"
    "${CHECK[@]}" audit "${OUT}/audit.jsonl" pcc-192-0-2-8:confirm:written
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "1 2 0"
    expect_no_change
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=nothing_to_do
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" emails "${OUT}/emails.json" pcc-192-0-2-8=1
    "${CHECK[@]}" no-secret "${OUT}/emails.json" "${OUT}/all.log" "${OUT}/decommission-report.json" \
        "${OUT}/decommission-report.md" "${OUT}/audit.jsonl" "${OUT}/manifests" "${OUT}/state"

    scenario confirm_retry_drop
    sim_admin POST /faults "{\"route\": \"${POST_CONFIRM}\", \"drop_after_apply\": true, \"count\": 1}" >/dev/null
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -vvv
    expect_writes "1 1 0"
    grep -q 'WARNING.*The outcome of the confirmation of pcc-192-0-2-8 was unknown.*now reads terminating' "${OUT}/last.log"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=confirmed@verify
    sim_admin GET /state >"${OUT}/state.json"
    "${CHECK[@]}" removal "${OUT}/state.json" pcc-192-0-2-8=yes
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -vvv
    expect_writes "1 1 0"
    expect_no_change
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=nothing_to_do
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" no-secret "${OUT}/emails.json" "${OUT}/all.log" "${OUT}/decommission-report.json" \
        "${OUT}/decommission-report.md" "${OUT}/audit.jsonl" "${OUT}/manifests" "${OUT}/state"
}

# 13. A service whose admin contact is another NIC (issue 8): the plan says where its e-mail goes; with
#     decommission_confirm=true and no token the request is sent once, nothing is confirmed and the host is reported
#     awaiting_token (exit 2) with the variable to set and who received the e-mail; with decommission_token (read from
#     that NIC's mailbox) the next run confirms it, once. The same decommission_token for two hosts is refused before
#     any call. No token appears in any output, report or log.
test_awaiting_token() {
    local token
    scenario awaiting_token
    sim_admin POST /services/pcc-192-0-2-8 '{"serviceInfos": {"contactAdmin": "xy999-ovh"}}' >/dev/null
    playbook 0 plan -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "0 0 0"
    "${CHECK[@]}" report "${OUT}/plan-report.json" --check-mode yes pcc-192-0-2-8=planned
    json_check "${OUT}/plan-report.json" \
        "d['hosts'][0]['email_recipient'] == {'admin_contact': 'xy999-ovh', 'account': 'ab12345-ovh', 'visible': False}"
    grep -q 'Termination e-mail goes to: xy999-ovh (admin contact; account ab12345-ovh): another NIC' "${OUT}/plan-report.md"

    playbook 2 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=awaiting_token@request
    json_check "${OUT}/decommission-report.json" \
        "(d['hosts'][0]['awaiting_token']['variable'] == 'decommission_token' and d['hosts'][0]['awaiting_token']['host'] == 'pcc-192-0-2-8'
          and d['hosts'][0]['awaiting_token']['admin_contact'] == 'xy999-ovh' and d['summary']['awaiting_token'] == 1
          and 'decommission_token' in d['hosts'][0]['next_action'])"
    grep -q 'Awaiting token: set decommission_token for host pcc-192-0-2-8 (the token is in the termination e-mail sent to xy999-ovh)' \
        "${OUT}/decommission-report.md"
    grep -q 'pcc-192-0-2-8 was awaiting_token at phase request.*set decommission_token for host pcc-192-0-2-8' "${OUT}/last.log"
    "${CHECK[@]}" audit "${OUT}/audit.jsonl" pcc-192-0-2-8:request:written pcc-192-0-2-8:confirm:skipped
    # A re-run without the token sends nothing and says the same.
    playbook 2 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "1 0 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=awaiting_token@request

    sim_admin GET /mailboxes/xy999-ovh >"${WORK}/awaiting-mailbox.json"
    token="$("${SIM_PYTHON}" -c 'import json, sys
print([m for m in json.load(open(sys.argv[1])) if m.get("serviceName") == "pcc-192-0-2-8"][0]["token"])' "${WORK}/awaiting-mailbox.json")"
    test -n "${token}"

    # The same token for two hosts: refused at preflight, before any call to OVHcloud, naming the hosts only.
    sim_admin DELETE /calls >/dev/null
    playbook 2 decommission -e target=pcc-192-0-2-1,pcc-192-0-2-2 -e decommission_confirm=true -e "decommission_token=${token}" -vvv
    sim_admin GET /calls >"${OUT}/calls.json"
    "${CHECK[@]}" calls "${OUT}/calls.json" total=0
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-1=held@preflight pcc-192-0-2-2=held@preflight
    json_check "${OUT}/decommission-report.json" \
        "('is also the decommission_token of pcc-192-0-2-2' in d['hosts'][0]['reason']
          and 'is also the decommission_token of pcc-192-0-2-1' in d['hosts'][1]['reason'])"

    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true -e "decommission_token=${token}" -vvv
    # (counted since the DELETE /calls above: the terminate of the first run is not counted again, and nothing else was sent)
    expect_writes "0 1 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=confirmed@verify
    "${CHECK[@]}" audit "${OUT}/audit.jsonl" pcc-192-0-2-8:confirm:written
    sim_admin GET /state >"${OUT}/state.json"
    "${CHECK[@]}" removal "${OUT}/state.json" pcc-192-0-2-8=yes

    sim_admin GET /emails >"${WORK}/awaiting-emails.json"
    "${CHECK[@]}" no-secret "${WORK}/awaiting-emails.json" --emails "${WORK}/awaiting-mailbox.json" --secret "${token}" \
        "${OUT}/all.log" "${OUT}/plan-report.json" "${OUT}/plan-report.md" "${OUT}/decommission-report.json" \
        "${OUT}/decommission-report.md" "${OUT}/audit.jsonl" "${OUT}/manifests" "${OUT}/state"
}

# ---------------------------------------------------------------------------------------------------------
# 14. A confirmation answered by a 503 (outcome unknown, issue 9 item 1) fails that run; the next run sends the one
#     retry, with the same token, and the report (JSON and Markdown) and the audit log say it was a retry, with the
#     first confirmation's query id.
test_confirm_retry_report() {
    scenario confirm_retry_report
    sim_admin POST /faults '{"route": "POST /dedicatedCloud/{serviceName}/confirmTermination", "status": 503}' >/dev/null
    playbook 2 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "1 1 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=failed@confirm
    playbook 0 decommission -e target=pcc-192-0-2-8 -e decommission_confirm=true
    expect_writes "1 2 0"
    "${CHECK[@]}" report "${OUT}/decommission-report.json" pcc-192-0-2-8=confirmed@verify
    json_check "${OUT}/decommission-report.json" \
        "(d['hosts'][0]['retry_after_unknown']['first_query_id'] and d['hosts'][0]['writes'][-1]['retry'] is True)"
    grep -q 'Retry after an unknown outcome: yes, the one retry' "${OUT}/decommission-report.md"
    "${SIM_PYTHON}" -c 'import json, sys
entries = [json.loads(line) for line in open(sys.argv[1])]
written = [e for e in entries if e["phase"] == "confirm" and e["action"] == "written"]
assert len(written) == 1 and written[0]["retry_after_unknown"]["first_query_id"], written' "${OUT}/audit.jsonl"
    sim_admin GET /emails >"${OUT}/emails.json"
    "${CHECK[@]}" no-secret "${OUT}/emails.json" "${OUT}/all.log" "${OUT}/decommission-report.json" \
        "${OUT}/decommission-report.md" "${OUT}/audit.jsonl"
}

# ROLE_SCENARIOS="hook tags" runs only these scenarios (default: all).
for name in never_write gates_and_good check_mode hook tags interrupted usability accounts hook_gates bad_inputs attestation_secret confirm_retry awaiting_token confirm_retry_report; do
    if [[ -z "${ROLE_SCENARIOS:-}" || " ${ROLE_SCENARIOS} " == *" ${name} "* ]]; then
        "test_${name}"
    fi
done

echo "role_decommission: scenarios passed"
