#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# mbm_backup_info against the local OVHcloud API simulator: a passing and a failing fixture, check mode,
# fail-closed errors, and the same verdict with list expansion on, off, and refused by the API.

set -eux

# shellcheck disable=SC1091
source ../setup_simulator/simulator.sh

export ANSIBLE_STDOUT_CALLBACK=default

start_simulator "$(pwd)/files/passing.json"
ansible-playbook -i localhost, passing.yml "$@"

start_simulator "$(pwd)/files/failing.json"
ansible-playbook -i localhost, failing.yml "$@"

# The module only reads: every call the simulator counted is a GET (the fixtures' consumer key only has GET rules).
sim_admin GET /calls | "${SIM_PYTHON}" -c '
import json, sys
calls = json.load(sys.stdin)
writes = sorted(key for key in calls if not key.startswith("GET "))
assert calls and not writes, writes
'
