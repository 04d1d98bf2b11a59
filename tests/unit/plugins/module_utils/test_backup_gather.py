# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gather_evidence() and run() over a scripted client (no HTTP): which reads, in which mode, and fail-closed errors.

The completeness check of each list (expanded list vs id list) is the client's: test_client_list_checked.py."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup as backup
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_evidence as backup_evidence
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError

NOW = backup_evidence.parse_time("2026-11-26T12:00:00Z")


class ScriptedClient:
    """Answers get()/list_objects_checked() from dicts keyed by (template, sorted path params); records every call.

    The completeness check behind list_objects_checked() is the client's (tests in test_client_list_checked.py).
    """

    def __init__(self, answers, lists):
        self.answers = answers
        self.lists = lists
        self.calls = []

    def get(self, template, **params):
        self.calls.append(("get", template, tuple(sorted(params.items())), None, None))
        answer = self.answers[(template, tuple(sorted(params.items())))]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list_objects_checked(self, list_template, item_template, item_key, concurrency=4, expand=True, page_size=500, **params):
        self.calls.append(("list", list_template, tuple(sorted(params.items())), expand, concurrency))
        assert item_template.startswith(list_template + "/{")
        assert item_template.endswith("{%s}" % item_key)
        assert item_key == ID_KEYS[list_template]
        assert page_size == backup_evidence.LIST_PAGE_SIZE
        return self.lists[(list_template, tuple(sorted(params.items())))]

    def now(self):
        return NOW


SN = (("serviceName", "pcc-1"),)
ID_KEYS = {
    backup_evidence.ROUTE_DATACENTERS: "datacenterId",
    backup_evidence.ROUTE_VMS: "vmId",
    backup_evidence.ROUTE_DC_FILERS: "filerId",
    backup_evidence.ROUTE_FILERS: "filerId",
    backup_evidence.ROUTE_REPOSITORIES: "repositoryId",
}


def dc_key(dc_id):
    return (("datacenterId", dc_id), ("serviceName", "pcc-1"))


def scripted(backup_answer=None, datacenters=None):
    vm = {
        "vmId": 7,
        "name": "web",
        "powerState": "poweredOn",
        "backup": {
            "state": "delivered",
            "lastResult": "success",
            "backupRepositoryId": 1,
            "restorePoints": [{"restorePointId": 1, "creationTime": "2026-11-26T10:00:00Z", "isCorrupted": False}],
        },
    }
    answers = {
        (backup_evidence.ROUTE_SERVICE, SN): {"productReference": "MBM", "state": "delivered"},
        (backup_evidence.ROUTE_DATACENTER_BACKUP, dc_key(1)): backup_answer if backup_answer is not None else {"state": "enabled"},
    }
    lists = {
        (backup_evidence.ROUTE_DATACENTERS, SN): datacenters if datacenters is not None else [{"datacenterId": 1, "name": "dc1"}],
        (backup_evidence.ROUTE_VMS, dc_key(1)): [vm],
        (backup_evidence.ROUTE_DC_FILERS, dc_key(1)): [{"filerId": 3, "name": "ds"}],
        (backup_evidence.ROUTE_FILERS, SN): [],
        (backup_evidence.ROUTE_REPOSITORIES, SN): [{"repositoryId": 1, "repositoryName": "r", "replication": False, "syncStatus": "ok"}],
    }
    return ScriptedClient(answers, lists)


@pytest.mark.parametrize("expansion, concurrency", [(True, 4), (False, 9)])
def test_every_list_uses_the_mode_and_concurrency(expansion, concurrency):
    client = scripted()
    evidence = backup_evidence.gather_evidence(client, "pcc-1", expansion=expansion, concurrency=concurrency)
    lists = [call for call in client.calls if call[0] == "list"]
    assert sorted(call[1] for call in lists) == sorted(
        [
            backup_evidence.ROUTE_DATACENTERS,
            backup_evidence.ROUTE_VMS,
            backup_evidence.ROUTE_DC_FILERS,
            backup_evidence.ROUTE_FILERS,
            backup_evidence.ROUTE_REPOSITORIES,
        ]
    )
    assert all(call[3] is expansion and call[4] == concurrency for call in lists)
    assert evidence["datacenters"][0]["vms"][0]["name"] == "web"
    assert evidence["datacenters"][0]["backup"]["state"] == "enabled"
    assert evidence["repositories"][0]["repository_id"] == 1


def test_backup_option_404_is_evidence_of_no_option():
    client = scripted(backup_answer=OvhApiError("not found", status=404, error_code="ResourceNotFoundError"))
    evidence = backup_evidence.gather_evidence(client, "pcc-1")
    assert evidence["datacenters"][0]["backup"] is None
    result = backup.run(client, "pcc-1", backup.normalize_policy({}))
    assert [v["rule"] for v in result["violations"]] == ["datacenter_backup_disabled"]


@pytest.mark.parametrize("status", [403, 500, None])
def test_other_backup_option_errors_propagate(status):
    client = scripted(backup_answer=OvhApiError("boom", status=status))
    with pytest.raises(OvhApiError):
        backup_evidence.gather_evidence(client, "pcc-1")


def test_datacenter_without_id_fails_closed():
    client = scripted(datacenters=[{"name": "mystery"}])
    with pytest.raises(OvhApiError) as info:
        backup_evidence.gather_evidence(client, "pcc-1")
    assert info.value.error_code == "INVALID_RESPONSE"


def test_run_measures_against_the_client_clock():
    result = backup.run(scripted(), "pcc-1", backup.normalize_policy({}))
    assert result["evidence_time"] == "2026-11-26T12:00:00Z"
    assert result["passed"] is True
    assert result["manifest"]["evidence_time"] == result["evidence_time"]
    assert set(result) == {"passed", "violations", "policy_warnings", "waivers", "summary", "evidence", "evidence_time", "manifest"}
    stale = backup.run(scripted(), "pcc-1", backup.normalize_policy({"max_age_hours": 1}))
    assert [v["rule"] for v in stale["violations"]] == ["stale_restore_point"]


def test_verdict_message():
    passed = backup.run(scripted(), "pcc-1", backup.normalize_policy({}))
    assert backup.verdict_message("pcc-1", passed).startswith("Backup policy passed for pcc-1: 1 VM(s)")
    failed = backup.run(scripted(), "pcc-1", backup.normalize_policy({"max_age_hours": 1}))
    assert "FAILED" in backup.verdict_message("pcc-1", failed)
    assert "stale_restore_point" in backup.verdict_message("pcc-1", failed)


def test_run_with_no_datacenter_is_a_failed_verdict():
    result = backup.run(scripted(datacenters=[]), "pcc-1", backup.normalize_policy({}))
    assert result["passed"] is False
    assert [v["rule"] for v in result["violations"]] == ["no_datacenter"]
