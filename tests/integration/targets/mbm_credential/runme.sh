#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The least-privilege consumer key helper end to end on the simulator: ansible-playbook ovhcloud.mbm.credentials
# asks for a key (application key and secret only), prints the validation URL and waits; meanwhile this script
# validates the key through the simulator's admin API, as a person opening the URL would. Then credential.yml uses
# the key, checks its narrowing, idempotence, check mode, a pending and a refused key. The key is never printed.

set -eux

# shellcheck disable=SC1091
source ../setup_simulator/simulator.sh

export ANSIBLE_STDOUT_CALLBACK=default
WORK="$(mktemp -d)"
cleanup() {
    stop_simulator
    rm -rf "${WORK}"
}
trap cleanup EXIT

start_simulator unit
trap cleanup EXIT
unset OVH_CONSUMER_KEY   # the helper needs no consumer key

ansible-playbook ovhcloud.mbm.credentials -v -e '{"credentials_services": ["pcc-145-239-10-1"]}' \
    -e "credentials_path=${WORK}/keys/ck.json" -e credentials_wait_delay=1 -e credentials_wait_timeout=120 \
    > "${WORK}/credentials.log" 2>&1 &
playbook=$!
token=""
for _ in $(seq 1 600); do
    token="$(grep -o 'credentialToken=[A-Za-z0-9]*' "${WORK}/credentials.log" | head -n 1 | cut -d= -f2 || true)"
    [[ -n "${token}" ]] && break
    kill -0 "${playbook}" 2>/dev/null || break
    sleep 0.1
done
[[ -n "${token}" ]] || { cat "${WORK}/credentials.log"; exit 1; }
# Still pending: the playbook waits. Validate as the account's owner would at the validation URL.
test "$(sim_admin GET /credentials | "${SIM_PYTHON}" -c 'import json, sys; print(json.load(sys.stdin)[0]["status"])')" = pendingValidation
sim_admin POST "/credentials/${token}/validate" '{"account": "ab12345-ovh", "expiration": "+30d"}'
wait "${playbook}" || { cat "${WORK}/credentials.log"; exit 1; }
cat "${WORK}/credentials.log"

"${SIM_PYTHON}" - "${WORK}/keys/ck.json" "${WORK}/credentials.log" "$(sim_admin GET /credentials)" <<'PY'
import json
import os
import stat
import sys

path, log, sim = sys.argv[1], open(sys.argv[2]).read(), json.loads(sys.argv[3])
assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
data = json.load(open(path))
assert len(sim) == 1 and sim[0]["status"] == "validated" and sim[0]["consumerKey"] == data["consumer_key"], sim
assert data["consumer_key"] not in log, "the consumer key was printed"
assert "Validation URL: http" in log and "validated until" in log, log
expected = [
    {"method": "GET", "path": "/dedicatedCloud/pcc-145-239-10-1*"},
    {"method": "POST", "path": "/dedicatedCloud/pcc-145-239-10-1/terminate"},
    {"method": "POST", "path": "/dedicatedCloud/pcc-145-239-10-1/confirmTermination"},
    {"method": "GET", "path": "/me/notification/email/history*"},
    {"method": "GET", "path": "/services*"},
    {"method": "GET", "path": "/me"},
    {"method": "GET", "path": "/auth/currentCredential"},
]
assert sim[0]["rules"] == expected, sim[0]["rules"]
assert data["access_rules"] == expected
print("credentials playbook: OK")
PY

ansible-playbook -i localhost, credential.yml -v -e "key_dir=${WORK}/keys" "$@" > "${WORK}/credential.log" 2>&1 \
    || { cat "${WORK}/credential.log"; exit 1; }
cat "${WORK}/credential.log"
# No consumer key the simulator handed out appears in any output.
sim_admin GET /credentials | "${SIM_PYTHON}" -c '
import json, sys
keys = [c["consumerKey"] for c in json.load(sys.stdin)]
assert len(keys) == 2, keys  # the validated key and the refused one
log = open(sys.argv[1]).read()
leaked = [k for k in keys if k in log]
assert not leaked, "consumer keys printed"
print("no consumer key in the output of %d keys" % len(keys))' "${WORK}/credential.log"
