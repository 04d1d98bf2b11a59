# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client layer against the real simulator (HTTP on 127.0.0.1, unmodified python-ovh underneath)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError, OvhClient
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as cr
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import FakeTime

SERVICE = "/dedicatedCloud/{serviceName}"
VM_LIST = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm"
VM_ITEM = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"


def client_for(sim, tmp_path, consumer_key=cr.CK_FULL, application_secret=cr.APPLICATION_SECRET, **kwargs):
    fake_time = kwargs.pop("fake_time", None) or FakeTime()
    options = dict(endpoint=sim.url, application_key=cr.APPLICATION_KEY, application_secret=application_secret,
                   consumer_key=consumer_key, api_rate_limit=0, state_dir=str(tmp_path / "state"), sleep=fake_time.sleep,
                   environ={}, config_paths=[])
    options.update(kwargs)
    return OvhClient(**options)


def test_reads_and_accounting_match_the_simulator(sim, tmp_path):
    client = client_for(sim, tmp_path)
    service = client.get(SERVICE, serviceName=cr.HEALTHY)
    assert service["serviceName"] == cr.HEALTHY and service["productReference"] == "MBM"
    infos = client.get(SERVICE + "/serviceInfos", serviceName=cr.HEALTHY)
    assert infos["serviceId"] == cr.SERVICE_IDS[cr.HEALTHY]
    assert client.get("/services", query={"resourceName": cr.HEALTHY}) == [cr.SERVICE_IDS[cr.HEALTHY]]
    assert client.last_query_id
    assert client.api_calls["by_route"] == sim.calls()
    assert abs(client.now() - sim.clock.now()) <= 2


@pytest.mark.parametrize("pagination", [True, False])
def test_list_objects_with_and_without_expansion(sim, tmp_path, pagination):
    sim.set_option("pagination", pagination)
    client = client_for(sim, tmp_path)
    datacenters = client.get(SERVICE + "/datacenter", serviceName=cr.HEALTHY)
    objects = client.list_objects(VM_LIST, VM_ITEM, "vmId", serviceName=cr.HEALTHY, datacenterId=datacenters[0])
    ids = client.get(VM_LIST, serviceName=cr.HEALTHY, datacenterId=datacenters[0])
    assert [vm["vmId"] for vm in objects] == ids and ids
    item_calls = sim.calls().get("GET " + VM_ITEM, 0)
    assert item_calls == (0 if pagination else len(ids))
    assert client.api_calls["by_route"] == sim.calls()


def test_not_granted_call_names_the_rule_and_changes_nothing(sim, tmp_path):
    client = client_for(sim, tmp_path, consumer_key=cr.CK_READ_ONLY)
    emails_before = len(sim.emails())
    with pytest.raises(OvhApiError) as info:
        client.post(SERVICE + "/terminate", serviceName=cr.HEALTHY)
    err = info.value
    assert (err.status, err.error_code) == (403, "NOT_GRANTED_CALL")
    assert "add the access rule POST /dedicatedCloud/*/terminate to the consumer key" in str(err)
    assert err.query_id and err.query_id in str(err)
    assert len(sim.emails()) == emails_before


def test_iam_refusal_names_the_action(sim, tmp_path):
    client = client_for(sim, tmp_path, consumer_key=cr.CK_IAM)
    with pytest.raises(OvhApiError) as info:
        client.post(SERVICE + "/confirmTermination", body={"token": "x"}, serviceName=cr.IAM_SERVICE)
    assert info.value.error_code == "Client::Forbidden"
    assert "pccVMware:apiovh:confirmTermination" in info.value.hint


@pytest.mark.parametrize("kwargs, code, text", [
    (dict(consumer_key=cr.CK_PENDING), "INVALID_CREDENTIAL", "not valid or not validated"),
    (dict(application_secret="WrongSecret0000000000000000000001"), "INVALID_SIGNATURE", "pair is wrong"),
])
def test_credential_refusals(sim, tmp_path, kwargs, code, text):
    client = client_for(sim, tmp_path, **kwargs)
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    assert info.value.error_code == code and text in str(info.value)


def test_429_then_success_is_retried_with_retry_after(sim, tmp_path):
    fake_time = FakeTime()
    sim.add_fault("GET /dedicatedCloud/{serviceName}", status=429, retry_after=3, count=2)
    client = client_for(sim, tmp_path, fake_time=fake_time)
    assert client.get(SERVICE, serviceName=cr.HEALTHY)["serviceName"] == cr.HEALTHY
    assert fake_time.sleeps == [3.0, 3.0]
    assert sim.calls()["GET /dedicatedCloud/{serviceName}"] == 3
    assert client.api_calls["retries"] == 2


def test_dropped_write_response_is_outcome_unknown_and_sent_once(sim, tmp_path):
    sim.add_fault("POST /dedicatedCloud/{serviceName}/terminate", drop_after_apply=True)
    client = client_for(sim, tmp_path)
    with pytest.raises(OvhApiError) as info:
        client.post(SERVICE + "/terminate", serviceName=cr.HEALTHY)
    assert info.value.error_code == "OUTCOME_UNKNOWN" and info.value.status is None
    assert sim.calls()["POST /dedicatedCloud/{serviceName}/terminate"] == 1


def test_html_error_page_from_the_simulator(sim, tmp_path):
    sim.add_fault("GET /me", status=502, html=True, count=1)
    client = client_for(sim, tmp_path, api_retry_max_wait=0)
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    assert (info.value.status, info.value.error_code) == (502, "INVALID_RESPONSE")
    assert info.value.query_id


def test_moved_clock_is_resynced(sim, tmp_path):
    client = client_for(sim, tmp_path)
    client.get("/me")
    sim.clock.advance(3 * 3600)  # the signed timestamps are now hours behind the simulator
    assert client.get("/me")
    assert sim.calls()["GET /auth/time"] == 2
    assert abs(client.now() - sim.clock.now()) <= 2


def test_rate_limit_on_against_the_simulator(sim, tmp_path):
    fake_time = FakeTime()
    client = client_for(sim, tmp_path, fake_time=fake_time, api_rate_limit=3, clock=fake_time.clock)
    for dummy in range(4):
        client.get("/me")
    # /auth/time + 2 GETs fill the window of 3; the last GET waited one window of the fake clock
    assert client.api_calls["rate_limit_wait_seconds"] == pytest.approx(60.0, abs=0.01)
    assert sim.calls()["GET /me"] == 4
