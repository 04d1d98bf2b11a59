#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mbm_termination_request against the local OVHcloud API simulator: missing option -> check mode writes
# nothing -> apply -> re-apply unchanged; a lost response and a late e-mail never lead to a second request;
# request -> token expires (clock moved) -> new request; refusals before any write.

set -eux

# shellcheck disable=SC1091
source ../setup_simulator/simulator.sh

export ANSIBLE_STDOUT_CALLBACK=default
MBM_STATE_DIR="$(mktemp -d)"
export MBM_STATE_DIR
cleanup() {
    stop_simulator
    rm -rf "${MBM_STATE_DIR}"
}

start_simulator "$(pwd)/files/termination.json"
trap cleanup EXIT
ansible-playbook -i localhost, request.yml "$@"

# Five requests in all, whatever was re-run.
test "$(sim_call_count "POST /dedicatedCloud/{serviceName}/terminate")" = 5
