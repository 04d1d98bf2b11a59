# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generate large fixtures for benchmarks: N services x M VMs (healthy backups), with the unit fixture's credentials.

``python -m tests.simulator.generate --services 10 --vms 100 [--datacenters 2] [--out big.json]``
"""

from __future__ import annotations

import argparse
import json
import sys

from . import credentials

FULL_RULES = [{"method": method, "path": "/*"} for method in ("GET", "POST", "PUT", "DELETE")]


def _vm(vm_id, name, repository_id, stale_every, index):
    age = 50 if stale_every and index % stale_every == stale_every - 1 else 6
    return {
        "vmId": vm_id,
        "name": name,
        "powerState": "poweredOn",
        "backup": {
            "state": "delivered",
            "lastResult": "success",
            "lastSuccessfulCreationTime": "-%dh" % age,
            "lastCreationTime": "-%dh" % age,
            "restorePoints": [
                {"creationTime": "-%dh" % age, "type": "incremental"},
                {"creationTime": "-%dh" % (age + 24), "type": "incremental"},
                {"creationTime": "-%dh" % (age + 48), "type": "full"},
            ],
            "backupRepositoryId": repository_id,
        },
    }


def unrelated_emails(count, hours=90):
    """``count`` e-mails that are not termination e-mails (invoices, notices), dated over the last ``hours`` hours
    (the lookback window): the mailbox every scan has to read past."""
    return [
        {
            "date": "-%ds" % int(3600 * hours * (index + 1) / (count + 1)),
            "subject": "Your invoice FR%07d is available" % (index + 1),
            "body": "<html><body><p>Invoice FR%07d is available in your control panel: "
            "https://www.ovh.com/manager/#/billing/history</p></body></html>" % (index + 1),
        }
        for index in range(count)
    ]


def generate(services=1, vms=10, datacenters=1, now=None, stale_every=0, product="MBM", emails=0):
    """Return a fixture dict: ``services`` services of ``vms`` VMs each, spread over ``datacenters`` datacenters,
    and ``emails`` unrelated e-mails in the account's history.

    ``stale_every`` = k > 0 makes every k-th VM's newest backup 50 h old (for failing-policy benchmarks).
    Service names are ``pcc-10-<a>-<b>-<c>``, service ids start at 100001.
    """
    if services < 0 or vms < 0 or datacenters < 1:
        raise ValueError("services and vms must be >= 0 and datacenters >= 1")
    service_specs = []
    for index in range(services):
        name = "pcc-10-%d-%d-%d" % (index // 65536 % 256, index // 256 % 256, index % 256)
        dcs = []
        for dc_index in range(datacenters):
            dc_id = dc_index + 1
            count = vms // datacenters + (1 if dc_index < vms % datacenters else 0)
            first = sum(vms // datacenters + (1 if i < vms % datacenters else 0) for i in range(dc_index))
            dcs.append(
                {
                    "datacenterId": dc_id,
                    "name": "datacenter%d" % dc_id,
                    "backup": {"state": "enabled", "backupOffer": "advanced"},
                    "vms": [_vm(dc_id * 100000 + i + 1, "vm-%05d" % (first + i + 1), 1, stale_every, first + i) for i in range(count)],
                    "filers": [{"filerId": dc_id * 100 + 1, "name": "ssd-%06d" % (dc_id * 100 + 1), "vmTotal": count}],
                }
            )
        service_specs.append(
            {
                "serviceName": name,
                "serviceId": 100001 + index,
                "productReference": product,
                "state": "delivered",
                "description": "generated %d" % (index + 1),
                "datacenters": dcs,
                "backupRepositories": [{"repositoryId": 1, "replication": True, "syncStatus": "ok", "lastSuccessfulReplicationDate": "-5h"}],
            }
        )
    fixture = {
        "applications": [{"applicationKey": credentials.APPLICATION_KEY, "applicationSecret": credentials.APPLICATION_SECRET, "applicationId": 4242}],
        "accounts": [
            {
                "nic": credentials.NIC,
                "consumerKeys": [
                    {"consumerKey": credentials.CK_FULL, "applicationKey": credentials.APPLICATION_KEY, "credentialId": 5001, "rules": FULL_RULES}
                ],
                "services": service_specs,
                "emails": unrelated_emails(emails),
            }
        ],
    }
    if now is not None:
        fixture["now"] = now
    return fixture


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.simulator.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1)
    parser.add_argument("--vms", type=int, default=10, help="VMs per service")
    parser.add_argument("--datacenters", type=int, default=1, help="datacenters per service")
    parser.add_argument("--stale-every", type=int, default=0, help="every k-th VM gets a 50 h old backup")
    parser.add_argument("--emails", type=int, default=0, help="unrelated e-mails in the account's history")
    parser.add_argument("--now", help="fixture start time (ISO 8601 or epoch); default: real time at start")
    parser.add_argument("--out", help="output file (default: stdout)")
    args = parser.parse_args(argv)
    fixture = generate(args.services, args.vms, args.datacenters, now=args.now, stale_every=args.stale_every, emails=args.emails)
    text = json.dumps(fixture, indent=1) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
