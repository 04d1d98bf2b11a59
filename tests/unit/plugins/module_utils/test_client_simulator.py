# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client layer against the real simulator (HTTP on 127.0.0.1, unmodified python-ovh underneath)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._routes import IAM_ACTIONS
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as cr
from ansible_collections.ovhcloud.mbm.tests.simulator.routes import ROUTES
from ansible_collections.ovhcloud.mbm.tests.simulator.server import rule_allows
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import FakeTime

SERVICE = "/dedicatedCloud/{serviceName}"
VM_LIST = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm"
VM_ITEM = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"


def client_for(sim, tmp_path, consumer_key=cr.CK_FULL, application_secret=cr.APPLICATION_SECRET, **kwargs):
    fake_time = kwargs.pop("fake_time", None) or FakeTime()
    options = dict(
        endpoint=sim.url,
        application_key=cr.APPLICATION_KEY,
        application_secret=application_secret,
        consumer_key=consumer_key,
        api_rate_limit=0,
        state_dir=str(tmp_path / "state"),
        sleep=fake_time.sleep,
        environ={},
        config_paths=[],
    )
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


def test_refusal_by_authentication_names_the_action(sim, tmp_path):
    sim.set_option("iam_refusal_key", "authentication")
    client = client_for(sim, tmp_path, consumer_key=cr.CK_IAM)
    with pytest.raises(OvhApiError) as info:
        client.post(SERVICE + "/confirmTermination", body={"token": "x"}, serviceName=cr.IAM_SERVICE)
    assert info.value.details == {"unauthorizedActionsByAuthentication": "pccVMware:apiovh:confirmTermination", "unauthorizedActionsByIAM": ""}
    assert "authentication of this identity does not allow the action pccVMware:apiovh:confirmTermination" in info.value.hint


@pytest.mark.parametrize(
    "kwargs, code, text",
    [
        (dict(consumer_key=cr.CK_PENDING), "INVALID_CREDENTIAL", "not valid or not validated"),
        (dict(application_secret="WrongSecret0000000000000000000001"), "INVALID_SIGNATURE", "pair is wrong"),
    ],
)
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


@pytest.mark.parametrize("after_apply, applied", [(True, True), (False, False)])
def test_write_answered_5xx_is_outcome_unknown_whether_or_not_it_was_applied(sim, tmp_path, after_apply, applied):
    sim.add_fault("POST /dedicatedCloud/{serviceName}/terminate", status=502, html=True, after_apply=after_apply)
    client = client_for(sim, tmp_path)
    before = len(sim.emails())
    with pytest.raises(OvhApiError) as info:
        client.post(SERVICE + "/terminate", serviceName=cr.HEALTHY)
    err = info.value
    assert (err.status, err.outcome_unknown) == (502, True)
    assert err.query_id and "may or may not have been applied" in str(err)
    assert sim.calls()["POST /dedicatedCloud/{serviceName}/terminate"] == 1
    assert (len(sim.emails()) == before + 1) is applied


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
    assert client.api_calls["rate_limit_wait_seconds"] == pytest.approx(61.0, abs=0.01)
    assert sim.calls()["GET /me"] == 4


# -- the least-privilege key of docs/design.md section 2 --------------------------------------------------------

LINK = re.compile(r"/managedBaremetal/([a-z0-9-]+)\?action=confirmcancel(?:&amp;|&)token=([A-Za-z0-9]+)")
DC = "/dedicatedCloud/{serviceName}"
DCD = DC + "/datacenter/{datacenterId}"


def test_least_privilege_key_runs_the_whole_termination_flow_and_nothing_else(sim, tmp_path):
    name = cr.HEALTHY
    client = client_for(sim, tmp_path, consumer_key=cr.CK_LEAST_PRIVILEGE)
    # preflight: the key itself, the account, the service and its billing entry
    rules = client.get("/auth/currentCredential")["rules"]
    assert {"method": "PUT", "path": "/dedicatedCloud/*/serviceInfos"} not in rules
    assert client.get("/me")["nichandle"] == cr.NIC
    assert name in [svc["serviceName"] for svc in client.list_objects("/dedicatedCloud", DC, "serviceName")]
    assert client.get(DC, serviceName=name)["productReference"] == "MBM"
    service_id = client.get(DC + "/serviceInfos", serviceName=name)["serviceId"]
    assert client.get("/services", query={"resourceName": name}) == [service_id]
    assert client.get("/services/{serviceId}", serviceId=service_id)["resource"]["state"] == "active"
    # backup evidence, with and without list expansion
    for expand in (True, False):
        for datacenter in client.list_objects(DC + "/datacenter", DCD, "datacenterId", expand=expand, serviceName=name):
            dc_id = datacenter["datacenterId"]
            assert client.get(DCD + "/backup", serviceName=name, datacenterId=dc_id)["state"]
            client.list_objects(DCD + "/vm", DCD + "/vm/{vmId}", "vmId", expand=expand, serviceName=name, datacenterId=dc_id)
            client.list_objects(DCD + "/filer", DCD + "/filer/{filerId}", "filerId", expand=expand, serviceName=name, datacenterId=dc_id)
        client.list_objects(DC + "/filer", DC + "/filer/{filerId}", "filerId", expand=expand, serviceName=name)
        client.list_objects(DC + "/backupRepository", DC + "/backupRepository/{repositoryId}", "repositoryId", expand=expand, serviceName=name)
    # request, find the token in the e-mail history, confirm
    before = max(client.get("/me/notification/email/history"))
    assert client.post(DC + "/terminate", serviceName=name).query_id
    emails = client.list_objects("/me/notification/email/history", "/me/notification/email/history/{emailId}", "emailId")
    newest = max(emails, key=lambda mail: mail["id"])
    assert newest["id"] > before
    link_name, token = LINK.search(newest["body"]).groups()
    assert link_name == name and service_id
    confirmed = client.post(DC + "/confirmTermination", body={"token": token, "reason": "NOT_NEEDED_ANYMORE"}, serviceName=name)
    assert confirmed.query_id and confirmed.status == 200
    assert client.get(DC, serviceName=name)["state"] == "toUnprovision"
    # removal done: the evidence of "terminated" is readable with the same key
    sim.clock.advance(sim.options()["removal_seconds"] + 1)
    with pytest.raises(OvhApiError) as info:
        client.get(DC, serviceName=name)
    assert info.value.status == 404
    assert client.get("/services/{serviceId}", serviceId=service_id)["resource"]["state"] == "deleted"
    # ... and nothing else: the only other write of the API surface is refused, naming the rule to add
    with pytest.raises(OvhApiError) as info:
        client.put(DC + "/serviceInfos", body={"renew": {"deleteAtExpiration": False}}, serviceName=cr.SCHEDULED)
    assert info.value.error_code == "NOT_GRANTED_CALL"
    assert "add the access rule PUT /dedicatedCloud/*/serviceInfos" in str(info.value)
    assert sim.service(cr.SCHEDULED).service_infos["renew"]["deleteAtExpiration"] is True
    assert client.api_calls["by_route"] == sim.calls()


def test_least_privilege_rules_grant_exactly_the_reads_and_the_two_termination_writes(sim):
    rules = sim.state.credentials[cr.CK_LEAST_PRIVILEGE].rules
    samples = {"serviceName": "pcc-1-2-3-4", "datacenterId": "1", "vmId": "2", "filerId": "3", "repositoryId": "4", "emailId": "5", "serviceId": "6"}
    granted = set()
    for route in ROUTES:
        if route.signed and rule_allows(rules, route.method, route.template.format(**samples)):
            granted.add(route.key)
    every_signed = {route.key for route in ROUTES if route.signed}
    expected = {key for key in every_signed if key.startswith("GET ") and key != "GET /auth/currentCredential"}
    expected |= {"POST /dedicatedCloud/{serviceName}/terminate", "POST /dedicatedCloud/{serviceName}/confirmTermination"}
    assert granted == expected
    # other writes anywhere stay refused
    for method, path in (
        ("POST", "/dedicatedCloud/pcc-1-2-3-4/changeContact"),
        ("PUT", "/dedicatedCloud/pcc-1-2-3-4"),
        ("DELETE", "/dedicatedCloud/pcc-1-2-3-4/datacenter/1"),
        ("POST", "/me/task"),
        ("POST", "/services/6/terminate"),
    ):
        assert not rule_allows(rules, method, path), (method, path)


def test_client_iam_table_matches_the_simulator_routes():
    governed = {route.key: route.iam for route in ROUTES if route.iam}
    assert IAM_ACTIONS == governed
