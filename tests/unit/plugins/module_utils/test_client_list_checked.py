# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""OvhClient.list_objects_checked: the expanded list is trusted only when its ids are the ids of the plain list;
otherwise the list is read again one object at a time, and ids that still repeat fail closed.

Most tests script list_objects() and get() of a real client (what list_objects_checked builds on, tested in
test_client_list.py) and count the calls; the last one scripts the HTTP exchanges end to end.
"""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import ex, scripted_client, time_ex

PARAMS = {"serviceName": "pcc-1", "datacenterId": 1}
VMS_PATH = "/dedicatedCloud/pcc-1/datacenter/1/vm"


def vm_object(vm_id, name):
    return {"vmId": vm_id, "name": name, "powerState": "poweredOn"}


COMPLETE = [vm_object(7, "web"), vm_object(8, "db"), vm_object(9, "app")]


class ListScript:
    """Replaces list_objects() and get() of a real OvhClient: expanded/one-by-one answers, the plain id list."""

    def __init__(self, client, expanded, one_by_one=None, ids=None, item_key="vmId"):
        self.expanded = expanded
        self.one_by_one = expanded if one_by_one is None else one_by_one
        self.ids = ids
        self.item_key = item_key
        self.calls = []
        client.list_objects = self.list_objects
        client.get = self.get

    def list_objects(self, list_template, item_template, item_key, concurrency=4, expand=True, page_size=500, **params):
        self.calls.append(("list", list_template, item_template, item_key, params, expand, concurrency, page_size))
        return self.expanded if expand else self.one_by_one

    def get(self, template, **params):
        self.calls.append(("get", template, params))
        if self.ids is not None:
            return self.ids
        return [obj.get(self.item_key) if isinstance(obj, dict) else obj for obj in self.one_by_one]

    def lists(self):
        return [call[5] for call in self.calls if call[0] == "list"]

    def id_lists(self):
        return [call for call in self.calls if call[0] == "get"]


def scripted(tmp_path, expanded, one_by_one=None, ids=None, item_key="vmId"):
    client, session, dummy = scripted_client([], tmp_path)
    return client, session, ListScript(client, expanded, one_by_one, ids, item_key)


def checked(client, expand=True, concurrency=4, page_size=500):
    return client.list_objects_checked(routes.VMS, routes.VM, "vmId", concurrency=concurrency, expand=expand, page_size=page_size, **PARAMS)


@pytest.mark.parametrize("expand, concurrency, page_size", [(True, 4, 500), (False, 9, 50)])
def test_mode_concurrency_and_page_size_are_passed_to_list_objects(tmp_path, expand, concurrency, page_size):
    client, session, script = scripted(tmp_path, COMPLETE)
    assert checked(client, expand=expand, concurrency=concurrency, page_size=page_size) == COMPLETE
    for call in script.calls:
        if call[0] == "list":
            assert call == ("list", routes.VMS, routes.VM, "vmId", PARAMS, expand, concurrency, page_size)
        else:
            assert call == ("get", routes.VMS, PARAMS)
    session.assert_done()


def test_repeated_objects_in_expanded_list_are_read_again_one_by_one(tmp_path):
    """An API that ignores X-Pagination-Number repeats page 1: the count adds up, VMs are missing."""
    client, session, script = scripted(tmp_path, [COMPLETE[0], COMPLETE[1], COMPLETE[0]], COMPLETE)
    objects = checked(client)
    assert [obj["name"] for obj in objects] == ["web", "db", "app"]
    assert script.lists() == [True, False]
    assert len(script.id_lists()) == 1


@pytest.mark.parametrize("expand", [True, False])
def test_repeated_ids_that_persist_fail_closed(tmp_path, expand):
    client, session, script = scripted(tmp_path, [vm_object(7, "web"), vm_object(7, "web")])
    client.last_query_id = "EU.ext-1.qid"
    with pytest.raises(OvhApiError) as info:
        checked(client, expand=expand)
    assert info.value.error_code == "INVALID_RESPONSE"
    assert "vmId 7" in str(info.value)
    assert info.value.path == VMS_PATH
    assert info.value.route == routes.VMS
    assert info.value.query_id == "EU.ext-1.qid"
    assert script.lists() == ([True, False] if expand else [False])
    assert len(script.id_lists()) == (1 if expand else 0)


def test_repeated_datacenters_fail_closed(tmp_path):
    client, session, script = scripted(tmp_path, [{"datacenterId": 1, "name": "dc1"}] * 2, item_key="datacenterId")
    with pytest.raises(OvhApiError) as info:
        client.list_objects_checked(routes.DATACENTERS, routes.DATACENTER, "datacenterId", serviceName="pcc-1")
    assert info.value.error_code == "INVALID_RESPONSE"
    assert "datacenterId 1" in str(info.value)
    assert script.lists() == [True, False]


@pytest.mark.parametrize("expand", [True, False])
def test_a_list_of_something_else_than_objects_fails_closed(tmp_path, expand):
    client, session, script = scripted(tmp_path, [7, 8])
    with pytest.raises(OvhApiError) as info:
        checked(client, expand=expand)
    assert info.value.error_code == "INVALID_RESPONSE"
    assert info.value.path == VMS_PATH
    assert script.lists() == [expand]
    assert not script.id_lists()


@pytest.mark.parametrize("expanded_ids", [[7, 8], [7, 8, 10], [7, 8, 9, 10]])
def test_expanded_list_that_differs_from_the_id_list_is_read_one_by_one(tmp_path, expanded_ids):
    """A stale cache or a short total: the whole objects are not the objects of the id list."""
    client, session, script = scripted(tmp_path, [vm_object(i, "vm-%d" % i) for i in expanded_ids], COMPLETE)
    assert [obj["vmId"] for obj in checked(client)] == [7, 8, 9]
    assert script.lists() == [True, False]
    assert len(script.id_lists()) == 1


def test_matching_expanded_list_is_used_as_is_with_one_id_list_call(tmp_path):
    client, session, script = scripted(tmp_path, COMPLETE, [])
    script.ids = [9, 7, 8]  # the same ids in another order
    assert checked(client) == COMPLETE
    assert script.lists() == [True]
    assert script.id_lists() == [("get", routes.VMS, PARAMS)]
    client, session, script = scripted(tmp_path, COMPLETE)
    assert checked(client, expand=False) == COMPLETE
    assert script.lists() == [False]
    assert not script.id_lists()


@pytest.mark.parametrize("ids", [{"vmId": 7}, [7, {"vmId": 8}], [True, 8, 9], "7,8,9"])
def test_an_id_list_that_is_not_a_list_of_ids_fails_closed(tmp_path, ids):
    client, session, script = scripted(tmp_path, COMPLETE)
    script.ids = ids
    with pytest.raises(OvhApiError) as info:
        checked(client)
    assert info.value.error_code == "INVALID_RESPONSE"
    assert "list of ids" in str(info.value)
    assert script.lists() == [True]


def test_over_http_a_repeated_page_is_read_again_one_get_per_id(tmp_path):
    page = {"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": "500", "X-Pagination-Number": "1"}
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS_PATH, [vm_object(7, "web"), vm_object(7, "web")], headers={"X-Pagination-Elements": "2"}, request_headers=page),
            ex("GET", VMS_PATH, [7, 8]),
            ex("GET", VMS_PATH, [7, 8]),
            ex("GET", VMS_PATH + "/7", vm_object(7, "web")),
            ex("GET", VMS_PATH + "/8", vm_object(8, "db")),
        ],
        tmp_path,
    )
    objects = client.list_objects_checked(routes.VMS, routes.VM, "vmId", concurrency=1, **PARAMS)
    session.assert_done()
    assert [obj["name"] for obj in objects] == ["web", "db"]
    assert client.api_calls["by_route"] == {"GET /auth/time": 1, "GET " + routes.VMS: 3, "GET " + routes.VM: 2}
