# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""list_objects: whole-object pages with X-Pagination-Mode, and the one-GET-per-id fallback."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import ScriptedSession, ex, scripted_client, time_ex

SN = "pcc-1-2-3-4"
LIST = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm"
ITEM = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"
VMS = "/dedicatedCloud/%s/datacenter/1/vm" % SN


def vm(vm_id):
    return {"vmId": vm_id, "name": "vm-%d" % vm_id}


def page_headers(size, number):
    return {"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": str(size), "X-Pagination-Number": str(number)}


def test_whole_objects_are_fetched_page_by_page(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, [vm(5), vm(3)], headers={"X-Pagination-Elements": "5"}, request_headers=page_headers(2, 1)),
            ex("GET", VMS, [vm(9), vm(1)], headers={"X-Pagination-Elements": "5"}, request_headers=page_headers(2, 2)),
            ex("GET", VMS, [vm(4)], headers={"X-Pagination-Elements": "5"}, request_headers=page_headers(2, 3)),
        ],
        tmp_path,
    )
    objects = client.list_objects(LIST, ITEM, "vmId", page_size=2, serviceName=SN, datacenterId=1)
    session.assert_done()
    assert [o["vmId"] for o in objects] == [5, 3, 9, 1, 4]
    assert client.api_calls["by_route"] == {"GET /auth/time": 1, "GET " + LIST: 3}


def test_objects_without_total_header_are_not_trusted(tmp_path):
    # Without X-Pagination-Elements a short page could be a truncated list: use the plain listing instead.
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, [vm(1), vm(2)]),
            ex("GET", VMS, [1, 2]),
            ex("GET", VMS + "/1", vm(1)),
            ex("GET", VMS + "/2", vm(2)),
        ],
        tmp_path,
    )
    assert client.list_objects(LIST, ITEM, "vmId", concurrency=1, serviceName=SN, datacenterId=1) == [vm(1), vm(2)]
    session.assert_done()


def test_short_page_before_the_total_fails_closed(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, [vm(1), vm(2)], headers={"X-Pagination-Elements": "3"}),
            ex("GET", VMS, [], headers={"X-Pagination-Elements": "3"}),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.list_objects(LIST, ITEM, "vmId", page_size=2, serviceName=SN, datacenterId=1)
    session.assert_done()
    assert "2 of 3 objects" in str(info.value) and info.value.path == VMS


@pytest.mark.parametrize("headers", [{"X-Pagination-Elements": "0"}, {}])
def test_empty_list(tmp_path, headers):
    client, session, dummy = scripted_client([time_ex(), ex("GET", VMS, [], headers=headers)], tmp_path)
    assert client.list_objects(LIST, ITEM, "vmId", serviceName=SN, datacenterId=1) == []
    session.assert_done()


def test_header_ignored_falls_back_to_one_get_per_id_in_id_order(tmp_path):
    ids = [30, 10, 20, 50, 40]
    exchanges = [time_ex(), ex("GET", VMS, ids)] + [ex("GET", "%s/%d" % (VMS, i), vm(i)) for i in ids]
    client, session, dummy = scripted_client(exchanges, tmp_path, ordered=False)
    objects = client.list_objects(LIST, ITEM, "vmId", concurrency=3, serviceName=SN, datacenterId=1)
    session.assert_done()
    assert [o["vmId"] for o in objects] == ids
    calls = client.api_calls
    assert calls["by_route"] == {"GET /auth/time": 1, "GET " + LIST: 1, "GET " + ITEM: 5}
    assert calls["total"] == 7


def test_non_list_answer_falls_back_to_a_plain_listing(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, {"unexpected": "shape"}),
            ex("GET", VMS, [7]),
            ex("GET", VMS + "/7", vm(7)),
        ],
        tmp_path,
    )
    assert client.list_objects(LIST, ITEM, "vmId", serviceName=SN, datacenterId=1) == [vm(7)]
    session.assert_done()
    assert "X-Pagination-Mode" not in session.sent[2]["headers"]


def test_refused_pagination_header_falls_back(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, {"message": "Invalid header"}, status=400),
            ex("GET", VMS, [7]),
            ex("GET", VMS + "/7", vm(7)),
        ],
        tmp_path,
    )
    assert client.list_objects(LIST, ITEM, "vmId", serviceName=SN, datacenterId=1) == [vm(7)]
    session.assert_done()


def test_expand_false_never_sends_the_pagination_header(tmp_path):
    client, session, dummy = scripted_client([time_ex(), ex("GET", VMS, [8]), ex("GET", VMS + "/8", vm(8))], tmp_path)
    assert client.list_objects(LIST, ITEM, "vmId", expand=False, serviceName=SN, datacenterId=1) == [vm(8)]
    session.assert_done()
    assert all("X-Pagination-Mode" not in sent["headers"] for sent in session.sent)


def test_refusal_of_the_list_is_not_hidden_by_the_fallback(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, {"errorCode": "NOT_GRANTED_CALL", "message": "This call has not been granted"}, status=403),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.list_objects(LIST, ITEM, "vmId", serviceName=SN, datacenterId=1)
    session.assert_done()
    assert "GET /dedicatedCloud/*/datacenter/*/vm" in str(info.value)


def test_a_failing_item_fails_the_listing(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, [1, 2]),
            ex("GET", VMS + "/1", vm(1)),
            ex("GET", VMS + "/2", {"message": "gone"}, status=404),
        ],
        tmp_path,
        ordered=False,
    )
    with pytest.raises(OvhApiError) as info:
        client.list_objects(LIST, ITEM, "vmId", concurrency=2, serviceName=SN, datacenterId=1)
    assert info.value.status == 404 and info.value.path == VMS + "/2"


class GatheringSession(ScriptedSession):
    """Holds each item request until ``width`` of them are in flight together (no sleeping, no timing).

    With ``concurrency=width`` every group of item requests meets at the barrier; with fewer workers the
    barrier would time out and break, failing the test. It also records the largest number in flight.
    """

    def __init__(self, *args, width=3, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_flight = 0
        self.max_in_flight = 0
        self._count_lock = threading.Lock()
        self._barrier = threading.Barrier(width, timeout=30)

    def request(self, method, url, headers=None, data=None, timeout=None):
        is_item = url.rstrip("/").split("/")[-1].isdigit()
        with self._count_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if is_item:
                self._barrier.wait()
            return super().request(method, url, headers=headers, data=data, timeout=timeout)
        finally:
            with self._count_lock:
                self.in_flight -= 1


def test_fallback_concurrency_is_bounded_and_counters_are_exact(tmp_path):
    ids = list(range(1, 13))
    client, session, dummy = scripted_client([], tmp_path)
    exchanges = [time_ex(), ex("GET", VMS, ids)] + [ex("GET", "%s/%d" % (VMS, i), vm(i)) for i in ids]
    session = GatheringSession(exchanges, base_url=client.base_url, ordered=False, width=3)
    client._ovh._session = session
    objects = client.list_objects(LIST, ITEM, "vmId", concurrency=3, serviceName=SN, datacenterId=1)
    session.assert_done()
    assert [o["vmId"] for o in objects] == ids
    assert session.max_in_flight == 3
    assert client.api_calls["by_route"]["GET " + ITEM] == 12 and client.api_calls["total"] == 14


def test_expanded_pages_ask_for_fresh_objects_with_pragma_no_cache(tmp_path):
    # The control panel sends Pragma: no-cache with X-Pagination-Mode (ovh/manager iceberg.ts) so the API's cached
    # object list is rebuilt; the plain id list and the per-id GETs are sent without either header.
    fresh = dict(page_headers(2, 1), Pragma="no-cache")
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, [vm(5), vm(3)], headers={"X-Pagination-Elements": "3"}, request_headers=fresh),
            ex("GET", VMS, [vm(9)], headers={"X-Pagination-Elements": "3"}, request_headers=dict(page_headers(2, 2), Pragma="no-cache")),
            ex("GET", VMS, [5, 3, 9]),
        ],
        tmp_path,
    )
    objects = client.list_objects_checked(LIST, ITEM, "vmId", page_size=2, serviceName=SN, datacenterId=1)
    session.assert_done()
    assert [o["vmId"] for o in objects] == [5, 3, 9]
    expanded = [sent["headers"] for sent in session.sent if "X-Pagination-Mode" in sent["headers"]]
    assert len(expanded) == 2 and all(h.get("Pragma") == "no-cache" for h in expanded)
    plain = [sent["headers"] for sent in session.sent[1:] if "X-Pagination-Mode" not in sent["headers"]]
    assert len(plain) == 1 and all("Pragma" not in h for h in plain)


def test_plain_listing_sends_no_pragma(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("GET", VMS, [1]),
            ex("GET", VMS + "/1", vm(1)),
        ],
        tmp_path,
    )
    assert client.list_objects(LIST, ITEM, "vmId", expand=False, serviceName=SN, datacenterId=1) == [vm(1)]
    session.assert_done()
    assert all("Pragma" not in sent["headers"] for sent in session.sent)
