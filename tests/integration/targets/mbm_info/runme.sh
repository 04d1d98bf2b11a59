#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mbm_info against the local OVHcloud API simulator: every status of one service, the account list, the
# fail-closed errors, and no write at all.

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
trap cleanup EXIT

start_simulator "$(pwd)/files/termination.json"
trap cleanup EXIT
ansible-playbook -i localhost, info.yml "$@"
