#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Issue 8: a service whose admin contact is another NIC is requested without an e-mail wait, then confirmed with
# the token given by hand (read from that NIC's mailbox through the simulator's admin API): exactly one terminate
# and one confirm. Issue 9: a confirmation whose answer is a 503 is retried once, with the same token, and says so.
# No token ever shows in the output, even at -vvv.

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

start_simulator "$(pwd)/files/fixture.json"
trap cleanup EXIT
ansible-playbook -i localhost, admin_contact.yml -vvv "$@" | tee "${OUTPUT}"

# One terminate per service; one confirm for the hand-token service, two (the first, then its one retry) for the other.
test "$(sim_call_count "POST /dedicatedCloud/{serviceName}/terminate")" = 2
test "$(sim_call_count "POST /dedicatedCloud/{serviceName}/confirmTermination")" = 3

# No token (the e-mail bodies hold them too, in the account's history and in the admin contact's mailbox) appears.
sim_admin GET /emails | "${SIM_PYTHON}" -c '
import json, sys
output = open(sys.argv[1], encoding="utf-8").read()
mails = json.load(sys.stdin)
tokens = [mail["token"] for mail in mails if mail.get("token")]
assert len(tokens) == 2, tokens
assert [mail.get("mailbox") for mail in mails if mail["serviceName"] == "pcc-192-0-2-30"] == ["xy999-ovh"], mails
leaked = [token for token in tokens if token in output]
assert not leaked, "tokens in the output: %s" % leaked
' "${OUTPUT}"
