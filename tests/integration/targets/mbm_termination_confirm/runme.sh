#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mbm_termination_confirm against the local OVHcloud API simulator: request -> e-mail -> confirm (check mode
# first) -> terminating -> terminated; expired, foreign and missing tokens fail without sending anything; no
# token ever shows in the output, even at -vvv. link_forms.yml: request -> confirm with each confirmation link
# form, and a token given by hand when the e-mail's link form is unknown.

set -eux

# shellcheck disable=SC1091
source ../setup_simulator/simulator.sh

export ANSIBLE_STDOUT_CALLBACK=default
MBM_STATE_DIR="$(mktemp -d)"
OUTPUT="$(mktemp)"
export MBM_STATE_DIR
cleanup() {
    stop_simulator
    rm -rf "${MBM_STATE_DIR}" "${OUTPUT}"
}

start_simulator "$(pwd)/files/termination.json"
trap cleanup EXIT
ansible-playbook -i localhost, confirm.yml -vvv "$@" | tee "${OUTPUT}"

# Four confirmations were sent in all: two accepted, two refused by the API (one quoting the token).
test "$(sim_call_count "POST /dedicatedCloud/{serviceName}/confirmTermination")" = 4

# Request -> confirm with each link form (four), then a token given by hand for an unknown form (one).
ansible-playbook -i localhost, link_forms.yml -vvv "$@" | tee -a "${OUTPUT}"
test "$(sim_call_count "POST /dedicatedCloud/{serviceName}/confirmTermination")" = 9

# No token (the e-mail bodies hold them too) appears in the output.
sim_admin GET /emails | "${SIM_PYTHON}" -c '
import json, sys
output = open(sys.argv[1], encoding="utf-8").read()
tokens = [mail["token"] for mail in json.load(sys.stdin) if mail.get("token")]
assert len(tokens) >= 4, tokens
leaked = [token for token in tokens if token in output]
assert not leaked, "tokens in the output: %s" % leaked
' "${OUTPUT}"
