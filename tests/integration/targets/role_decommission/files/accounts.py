# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the "accounts" scenario of runme.sh (standard library only).

  accounts.py FIXTURE.json OUTDIR      writes OUTDIR/eu.json and OUTDIR/ca.json

Two simulated endpoints, each with its own application and consumer keys (the same values are in
files/accounts/group_vars/):

- "eu": account eu11111-ovh with pcc-192-0-2-11 and pcc-192-0-2-12;
- "ca": account ca22222-ovh with pcc-192-0-2-21 and pcc-192-0-2-22, and account env33333-ovh with pcc-192-0-2-31,
  reached with the credentials simulator.sh exports as OVH_* (application SimAppKey0000001, consumer key
  SimCkFullAccess00000000000000001). A host of one account that used the other account's (or the
  environment's) endpoint or keys would find no service, or be refused.

Every service is a copy of pcc-192-0-2-1 of FIXTURE.json (good backups).
"""

from __future__ import annotations

import copy
import json
import os
import sys

ENV_APPLICATION = {"applicationKey": "SimAppKey0000001", "applicationSecret": "SimAppSecret000000000000000000001", "applicationId": 4242, "name": "environment"}
ENV_CONSUMER_KEY = "SimCkFullAccess00000000000000001"


def service(template, name, service_id, **extra):
    svc = copy.deepcopy(template)
    svc.update(serviceName=name, serviceId=service_id, description="account scenario (%s)" % name, **extra)
    for datacenter in svc["datacenters"]:
        for filer in datacenter.get("filers", []):
            filer["name"] = "ssd-%06d" % service_id
    for filer in svc.get("filers", []):
        filer["name"] = "pcc-%06d" % service_id
    return svc


def account(nic, application_key, consumer_key, credential_id, services):
    return {
        "nic": nic,
        "email": "ops@%s.example.com" % nic,
        "consumerKeys": [{"consumerKey": consumer_key, "applicationKey": application_key, "credentialId": credential_id, "description": "full access"}],
        "services": services,
    }


def fixture(comment, source, applications, accounts):
    return {"_comment": comment, "now": source["now"], "options": {"email_delay_seconds": 0}, "applications": applications, "accounts": accounts}


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        source = json.load(handle)
    template = next(svc for svc in source["accounts"][0]["services"] if svc["serviceName"] == "pcc-192-0-2-1")
    eu_app = {"applicationKey": "SimAppKeyEu00011", "applicationSecret": "SimAppSecretEu000000000000000011", "applicationId": 4311, "name": "mbm-eu"}
    ca_app = {"applicationKey": "SimAppKeyCa00021", "applicationSecret": "SimAppSecretCa000000000000000021", "applicationId": 4321, "name": "mbm-ca"}
    ca_mail = {"emailStyle": "en_text", "emailHost": "ca.ovh.com"}
    eu = fixture(
        "accounts scenario: the ovh-eu account",
        source,
        [eu_app],
        [
            account(
                "eu11111-ovh",
                eu_app["applicationKey"],
                "SimCkEuAccount00000000000000011",
                5011,
                [service(template, "pcc-192-0-2-11", 9011), service(template, "pcc-192-0-2-12", 9012)],
            ),
        ],
    )
    ca = fixture(
        "accounts scenario: the ovh-ca account and the account of the OVH_* environment",
        source,
        [ca_app, ENV_APPLICATION],
        [
            account(
                "ca22222-ovh",
                ca_app["applicationKey"],
                "SimCkCaAccount00000000000000021",
                5021,
                [service(template, "pcc-192-0-2-21", 9021, **ca_mail), service(template, "pcc-192-0-2-22", 9022, **ca_mail)],
            ),
            account("env33333-ovh", ENV_APPLICATION["applicationKey"], ENV_CONSUMER_KEY, 5031, [service(template, "pcc-192-0-2-31", 9031, **ca_mail)]),
        ],
    )
    for name, data in (("eu", eu), ("ca", ca)):
        with open(os.path.join(sys.argv[2], name + ".json"), "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
