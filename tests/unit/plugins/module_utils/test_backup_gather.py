# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gather_evidence() and run() over a scripted client (no HTTP): which reads, in which mode, and fail-closed errors."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup as backup
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError

NOW = backup.parse_time("2026-11-26T12:00:00Z")


class ScriptedClient:
    """Answers get()/list_objects() from a dict keyed by (template, sorted path params); records every call."""

    def __init__(self, answers, lists):
        self.answers = answers
        self.lists = lists
        self.calls = []

    def get(self, template, **params):
        self.calls.append(("get", template, tuple(sorted(params.items())), None, None))
        key = (template, tuple(sorted(params.items())))
        if key not in self.answers and key in self.lists:
            # the plain list: the ids of the objects read one by one
            objects = self.lists[key]
            objects = objects[False] if isinstance(objects, dict) else objects
            return [obj.get(ID_KEYS[template]) if isinstance(obj, dict) else obj for obj in objects]
        answer = self.answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list_objects(self, list_template, item_template, item_key, concurrency=4, expand=True, page_size=500, **params):
        self.calls.append(("list", list_template, tuple(sorted(params.items())), expand, concurrency))
        assert item_template.startswith(list_template + "/{")
        assert item_template.endswith("{%s}" % item_key)
        assert page_size == backup.LIST_PAGE_SIZE
        answer = self.lists[(list_template, tuple(sorted(params.items())))]
        if isinstance(answer, dict):  # {True: objects when expanded, False: objects read one by one}
            answer = answer[expand]
        return answer

    def now(self):
        return NOW


SN = (("serviceName", "pcc-1"),)
ID_KEYS = {backup.ROUTE_DATACENTERS: "datacenterId", backup.ROUTE_VMS: "vmId", backup.ROUTE_DC_FILERS: "filerId",
           backup.ROUTE_FILERS: "filerId", backup.ROUTE_REPOSITORIES: "repositoryId"}


def dc_key(dc_id):
    return (("datacenterId", dc_id), ("serviceName", "pcc-1"))


def scripted(backup_answer=None, datacenters=None):
    vm = {"vmId": 7, "name": "web", "powerState": "poweredOn",
          "backup": {"state": "enabled", "lastResult": "success", "backupRepositoryId": 1,
                     "restorePoints": [{"restorePointId": 1, "creationTime": "2026-11-26T10:00:00Z", "isCorrupted": False}]}}
    answers = {
        (backup.ROUTE_SERVICE, SN): {"productReference": "MBM", "state": "delivered"},
        (backup.ROUTE_DATACENTER_BACKUP, dc_key(1)): backup_answer if backup_answer is not None else {"state": "enabled"},
    }
    lists = {
        (backup.ROUTE_DATACENTERS, SN): datacenters if datacenters is not None else [{"datacenterId": 1, "name": "dc1"}],
        (backup.ROUTE_VMS, dc_key(1)): [vm],
        (backup.ROUTE_DC_FILERS, dc_key(1)): [{"filerId": 3, "name": "ds"}],
        (backup.ROUTE_FILERS, SN): [],
        (backup.ROUTE_REPOSITORIES, SN): [{"repositoryId": 1, "repositoryName": "r", "replication": False, "syncStatus": "ok"}],
    }
    return ScriptedClient(answers, lists)


@pytest.mark.parametrize("expansion, concurrency", [(True, 4), (False, 9)])
def test_every_list_uses_the_mode_and_concurrency(expansion, concurrency):
    client = scripted()
    evidence = backup.gather_evidence(client, "pcc-1", expansion=expansion, concurrency=concurrency)
    lists = [call for call in client.calls if call[0] == "list"]
    assert sorted(call[1] for call in lists) == sorted([backup.ROUTE_DATACENTERS, backup.ROUTE_VMS, backup.ROUTE_DC_FILERS,
                                                        backup.ROUTE_FILERS, backup.ROUTE_REPOSITORIES])
    assert all(call[3] is expansion and call[4] == concurrency for call in lists)
    assert evidence["datacenters"][0]["vms"][0]["name"] == "web"
    assert evidence["datacenters"][0]["backup"]["state"] == "enabled"
    assert evidence["repositories"][0]["repository_id"] == 1


def test_backup_option_404_is_evidence_of_no_option():
    client = scripted(backup_answer=OvhApiError("not found", status=404, error_code="ResourceNotFoundError"))
    evidence = backup.gather_evidence(client, "pcc-1")
    assert evidence["datacenters"][0]["backup"] is None
    result = backup.run(client, "pcc-1", backup.normalize_policy({}))
    assert [v["rule"] for v in result["violations"]] == ["datacenter_backup_disabled"]


@pytest.mark.parametrize("status", [403, 500, None])
def test_other_backup_option_errors_propagate(status):
    client = scripted(backup_answer=OvhApiError("boom", status=status))
    with pytest.raises(OvhApiError):
        backup.gather_evidence(client, "pcc-1")


def test_datacenter_without_id_fails_closed():
    client = scripted(datacenters=[{"name": "mystery"}])
    with pytest.raises(OvhApiError) as info:
        backup.gather_evidence(client, "pcc-1")
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


def vm_object(vm_id, name):
    return {"vmId": vm_id, "name": name, "powerState": "poweredOn",
            "backup": {"state": "enabled", "lastResult": "success", "backupRepositoryId": 1,
                       "restorePoints": [{"restorePointId": vm_id, "creationTime": "2026-11-26T10:00:00Z", "isCorrupted": False}]}}


def test_repeated_objects_in_expanded_list_are_read_again_one_by_one():
    """An API that ignores X-Pagination-Number repeats page 1: the count adds up, VMs are missing."""
    client = scripted()
    complete = [vm_object(7, "web"), vm_object(8, "db"), vm_object(9, "app")]
    client.lists[(backup.ROUTE_VMS, dc_key(1))] = {True: [complete[0], complete[1], complete[0]], False: complete}
    evidence = backup.gather_evidence(client, "pcc-1", expansion=True)
    assert [vm["name"] for vm in evidence["datacenters"][0]["vms"]] == ["app", "db", "web"]
    vm_lists = [call[3] for call in client.calls if call[0] == "list" and call[1] == backup.ROUTE_VMS]
    assert vm_lists == [True, False]


@pytest.mark.parametrize("expansion", [True, False])
def test_repeated_ids_that_persist_fail_closed(expansion):
    client = scripted()
    client.lists[(backup.ROUTE_VMS, dc_key(1))] = [vm_object(7, "web"), vm_object(7, "web")]
    with pytest.raises(OvhApiError) as info:
        backup.gather_evidence(client, "pcc-1", expansion=expansion)
    assert info.value.error_code == "INVALID_RESPONSE"
    assert "vmId 7" in str(info.value)
    assert info.value.path == "/dedicatedCloud/pcc-1/datacenter/1/vm"


def test_repeated_datacenters_fail_closed():
    client = scripted(datacenters={True: [{"datacenterId": 1, "name": "dc1"}] * 2, False: [{"datacenterId": 1, "name": "dc1"}] * 2})
    with pytest.raises(OvhApiError):
        backup.gather_evidence(client, "pcc-1")


def test_a_list_of_something_else_than_objects_fails_closed():
    client = scripted()
    client.lists[(backup.ROUTE_VMS, dc_key(1))] = [7, 8]
    with pytest.raises(OvhApiError) as info:
        backup.gather_evidence(client, "pcc-1")
    assert info.value.error_code == "INVALID_RESPONSE"


def test_run_with_no_datacenter_is_a_failed_verdict():
    result = backup.run(scripted(datacenters=[]), "pcc-1", backup.normalize_policy({}))
    assert result["passed"] is False
    assert [v["rule"] for v in result["violations"]] == ["no_datacenter"]


@pytest.mark.parametrize("expanded_ids", [[7, 8], [7, 8, 10], [7, 8, 9, 10]])
def test_expanded_list_that_differs_from_the_id_list_is_read_one_by_one(expanded_ids):
    """A stale cache or a short total: the whole objects are not the objects of the id list."""
    client = scripted()
    complete = [vm_object(7, "web"), vm_object(8, "db"), vm_object(9, "app")]
    client.lists[(backup.ROUTE_VMS, dc_key(1))] = {True: [vm_object(i, "vm-%d" % i) for i in expanded_ids], False: complete}
    evidence = backup.gather_evidence(client, "pcc-1", expansion=True)
    assert [vm["vm_id"] for vm in evidence["datacenters"][0]["vms"]] == [9, 8, 7]
    assert [call[3] for call in client.calls if call[0] == "list" and call[1] == backup.ROUTE_VMS] == [True, False]


def test_matching_expanded_list_is_used_as_is_with_one_id_list_call():
    client = scripted()
    backup.gather_evidence(client, "pcc-1", expansion=True)
    lists = [call for call in client.calls if call[0] == "list"]
    plain = [call for call in client.calls if call[0] == "get" and call[1] in ID_KEYS]
    assert all(call[3] is True for call in lists)
    assert sorted(call[1] for call in plain) == sorted(call[1] for call in lists)
    client = scripted()
    backup.gather_evidence(client, "pcc-1", expansion=False)
    assert not [call for call in client.calls if call[0] == "get" and call[1] in ID_KEYS]


def test_an_id_list_that_is_not_a_list_of_ids_fails_closed():
    client = scripted()
    client.answers[(backup.ROUTE_VMS, dc_key(1))] = {"vmId": 7}
    with pytest.raises(OvhApiError) as info:
        backup.gather_evidence(client, "pcc-1", expansion=True)
    assert info.value.error_code == "INVALID_RESPONSE"
