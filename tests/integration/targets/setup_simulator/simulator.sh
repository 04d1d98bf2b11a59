#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Bash library for script targets (runme.sh):
#
#   source ../setup_simulator/simulator.sh          (the target's aliases need: needs/target/setup_simulator)
#   start_simulator "$(pwd)/files/fixture.json"     # or a fixture name such as "unit"
#   sim_admin POST /clock '{"advance": 3600}'
#   sim_call_count "POST /dedicatedCloud/{serviceName}/terminate"
#
# start_simulator exports SIM_URL, SIM_ADMIN_URL, OVH_ENDPOINT, OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET,
# OVH_CONSUMER_KEY (the unit fixture's full-access key) and OVH_API_RATE_LIMIT=0, and stops the simulator on exit.

SIM_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The collection root holds tests/simulator. ansible-test runs targets from a copy under
# <root>/tests/output/.tmp/, so walk up from this file; then try ANSIBLE_COLLECTIONS_PATH.
_sim_find_root() {
    local dir="${SIM_LIB_DIR}"
    local entry
    local paths
    while [[ "${dir}" != "/" ]]; do
        if [[ -f "${dir}/tests/simulator/__main__.py" ]]; then
            echo "${dir}"
            return 0
        fi
        dir="$(dirname "${dir}")"
    done
    IFS=: read -r -a paths <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
    for entry in "${paths[@]}"; do
        if [[ -f "${entry}/ansible_collections/ovhcloud/mbm/tests/simulator/__main__.py" ]]; then
            echo "${entry}/ansible_collections/ovhcloud/mbm"
            return 0
        fi
    done
    echo "simulator.sh: cannot find the collection root (tests/simulator)" >&2
    return 1
}

SIM_COLLECTION_ROOT="${SIM_COLLECTION_ROOT:-$(_sim_find_root)}"
SIM_PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}"
SIM_PID=""
SIM_WORKDIR=""
export SIM_COLLECTION_ROOT SIM_PYTHON

stop_simulator() {
    if [[ -n "${SIM_PID}" ]]; then
        kill "${SIM_PID}" 2>/dev/null || true
        wait "${SIM_PID}" 2>/dev/null || true
        SIM_PID=""
    fi
    if [[ -n "${SIM_WORKDIR}" ]]; then
        rm -rf "${SIM_WORKDIR}"
        SIM_WORKDIR=""
    fi
}

_sim_json_field() {
    "${SIM_PYTHON}" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# start_simulator FIXTURE [extra simulator arguments, e.g. --option email_delay_seconds=600]
start_simulator() {
    local fixture="$1"
    shift
    if [[ -e "${fixture}" ]]; then
        fixture="$(cd "$(dirname "${fixture}")" && pwd)/$(basename "${fixture}")"
    fi
    stop_simulator
    SIM_WORKDIR="$(mktemp -d)"
    (cd "${SIM_COLLECTION_ROOT}" && exec "${SIM_PYTHON}" -m tests.simulator --fixture "${fixture}" --port 0 \
        --url-file "${SIM_WORKDIR}/url.json" "$@") >"${SIM_WORKDIR}/stdout" 2>"${SIM_WORKDIR}/stderr" &
    SIM_PID=$!
    trap stop_simulator EXIT
    local tries=0
    while [[ ! -s "${SIM_WORKDIR}/url.json" ]]; do
        if ! kill -0 "${SIM_PID}" 2>/dev/null; then
            echo "simulator failed to start:" >&2
            cat "${SIM_WORKDIR}/stderr" >&2
            SIM_PID=""
            return 1
        fi
        tries=$((tries + 1))
        if [[ ${tries} -gt 300 ]]; then
            echo "simulator did not start within 30 s" >&2
            cat "${SIM_WORKDIR}/stderr" >&2
            return 1
        fi
        sleep 0.1
    done
    SIM_URL="$(_sim_json_field "${SIM_WORKDIR}/url.json" url)"
    SIM_ADMIN_URL="$(_sim_json_field "${SIM_WORKDIR}/url.json" admin_url)"
    OVH_ENDPOINT="${SIM_URL}"
    OVH_APPLICATION_KEY="SimAppKey0000001"
    OVH_APPLICATION_SECRET="SimAppSecret000000000000000000001"
    OVH_CONSUMER_KEY="SimCkFullAccess00000000000000001"
    OVH_API_RATE_LIMIT=0
    export SIM_URL SIM_ADMIN_URL OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY OVH_API_RATE_LIMIT
}

# sim_admin METHOD PATH [JSON]: call the admin API (PATH relative to /_sim, e.g. /calls); prints the JSON answer.
sim_admin() {
    "${SIM_PYTHON}" - "${SIM_ADMIN_URL}" "$@" <<'PY'
import json
import sys
import urllib.error
import urllib.request

base, method, path = sys.argv[1], sys.argv[2].upper(), sys.argv[3]
data = sys.argv[4].encode("utf-8") if len(sys.argv) > 4 else None
url = base + ("" if path.startswith("/") else "/") + path
request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        print(json.dumps(json.loads(response.read().decode("utf-8")), sort_keys=True))
except urllib.error.HTTPError as err:
    sys.stderr.write("sim_admin %s %s: %s %s\n" % (method, path, err.code, err.read().decode("utf-8")))
    sys.exit(1)
PY
}

# sim_call_count "METHOD /template": prints how many times the route was called (0 if never).
sim_call_count() {
    sim_admin GET /calls | "${SIM_PYTHON}" -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"
}
