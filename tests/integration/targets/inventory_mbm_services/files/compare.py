# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compare.py EXPECTED.json INVENTORY.json SECRET...: the ansible-inventory --list output matches the fixture."""

from __future__ import annotations

import json
import sys


def plain(value):
    """Drop the unsafe markers some ansible-inventory versions print."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        expected = json.load(handle)
    with open(sys.argv[2], encoding="utf-8") as handle:
        raw = handle.read()
    for secret in sys.argv[3:]:
        if secret in raw:
            sys.exit("a secret or token appears in the inventory output")
    inventory = plain(json.loads(raw))
    hostvars = inventory["_meta"]["hostvars"]
    errors = []
    if sorted(hostvars) != sorted(expected["hostvars"]):
        errors.append("hosts %s, expected %s" % (sorted(hostvars), sorted(expected["hostvars"])))
    for host, wanted in expected["hostvars"].items():
        got = hostvars.get(host, {})
        for key, value in wanted.items():
            if got.get(key) != value:
                errors.append("%s: %s is %r, expected %r" % (host, key, got.get(key), value))
        if got.get("mbm_service_name") != host:
            errors.append("%s: mbm_service_name is %r" % (host, got.get("mbm_service_name")))
    for group, hosts in expected["groups"].items():
        got = sorted((inventory.get(group) or {}).get("hosts") or [])
        if got != sorted(hosts):
            errors.append("group %s has %s, expected %s" % (group, got, sorted(hosts)))
    if errors:
        sys.exit("inventory does not match the fixture:\n  " + "\n  ".join(errors))
    print("inventory matches the fixture: %d hosts, %d groups" % (len(hostvars), len(expected["groups"])))


if __name__ == "__main__":
    main()
