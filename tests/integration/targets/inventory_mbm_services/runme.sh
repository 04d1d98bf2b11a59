#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The inventory plugin ovhcloud.mbm.mbm_services against the simulator: its output matches the fixture
# (hosts, host variables, constructed groups), it never shows a secret or token, and its cache answers when
# the API is gone.

set -eu

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=../setup_simulator/simulator.sh
source ../setup_simulator/simulator.sh

HERE="$(pwd)"
WORK="$(mktemp -d)"
cleanup() {
    stop_simulator
    rm -rf "${WORK}"
}

start_simulator "${HERE}/files/fixture.json"
trap cleanup EXIT

# Endpoint and credentials come from the OVH_* environment exported by start_simulator.
cat >"${WORK}/test.mbm_services.yml" <<YAML
plugin: ovhcloud.mbm.mbm_services
state_dir: ${WORK}/state
api_retry_max_wait: 0
keyed_groups:
  - key: mbm_location
    prefix: location
groups:
  expiring_before_2027: mbm_expiration < '2027-01-01'
  requested: mbm_termination_status == 'termination_requested'
YAML

SECRETS=("${OVH_APPLICATION_SECRET}" "${OVH_CONSUMER_KEY}" InventoryTestToken00000000000004)

ansible-inventory -i "${WORK}/test.mbm_services.yml" --list >"${WORK}/list.json"
"${SIM_PYTHON}" "${HERE}/files/compare.py" "${HERE}/files/expected.json" "${WORK}/list.json" "${SECRETS[@]}"

# A name that does not end in mbm_services.yml is not this plugin's.
cp "${WORK}/test.mbm_services.yml" "${WORK}/other.yml"
if ansible-inventory -i "${WORK}/other.yml" --list 2>/dev/null | grep -q pcc-198-18-0-1; then
    echo "other.yml must not be parsed by ovhcloud.mbm.mbm_services" >&2
    exit 1
fi

# The cache: filled on the first run, then used even when the API is unreachable.
cat "${WORK}/test.mbm_services.yml" - >"${WORK}/cached.mbm_services.yml" <<YAML
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ${WORK}/cache
cache_timeout: 3600
YAML
ansible-inventory -i "${WORK}/cached.mbm_services.yml" --list >"${WORK}/cached1.json"
"${SIM_PYTHON}" "${HERE}/files/compare.py" "${HERE}/files/expected.json" "${WORK}/cached1.json" "${SECRETS[@]}"
if grep -rq -e "${OVH_APPLICATION_SECRET}" -e "${OVH_CONSUMER_KEY}" "${WORK}/cache"; then
    echo "a credential was written to the inventory cache" >&2
    exit 1
fi
stop_simulator
ansible-inventory -i "${WORK}/cached.mbm_services.yml" --list >"${WORK}/cached2.json"
"${SIM_PYTHON}" "${HERE}/files/compare.py" "${HERE}/files/expected.json" "${WORK}/cached2.json" "${SECRETS[@]}"

# Without the cache and without the API, the inventory fails (it never invents hosts).
if ansible-inventory -i "${WORK}/test.mbm_services.yml" --list 2>/dev/null | grep -q pcc-198-18-0-1; then
    echo "the uncached inventory listed hosts without the API" >&2
    exit 1
fi

echo "inventory_mbm_services: passed"
