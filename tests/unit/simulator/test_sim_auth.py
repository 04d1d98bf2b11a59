# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulator: signatures, timestamps, keys, access rules and IAM refusals, with an unmodified python-ovh client."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import ovh
import pytest

from ansible_collections.ovhcloud.mbm.tests.simulator import compute_signature
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as creds
from ansible_collections.ovhcloud.mbm.tests.simulator.server import rule_allows


def error_of(excinfo):
    """Status and decoded body of the response behind a python-ovh exception."""
    response = excinfo.value.response
    return response.status_code, response.json()


def test_signature_matches_python_ovh_published_vector():
    signature = compute_signature(
        "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk", "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY", "GET", "https://eu.api.ovh.com/1.0/auth", "", 1457018875
    )
    assert signature == "$1$e9556054b6309771395efa467c22e627407461ad"


def test_signature_depends_on_every_field():
    base = ["AS", "CK", "GET", "https://x/1.0/a?b=c", "", "100"]
    reference = compute_signature(*base)
    for index, other in enumerate(["AS2", "CK2", "POST", "https://x/1.0/a?b=d", "{}", "101"]):
        changed = list(base)
        changed[index] = other
        assert compute_signature(*changed) != reference


def _signed_request(sim, method, path, signed_body, sent_body=None, signed_path=None, timestamp=None):
    """A hand-signed request: the signature covers ``signed_path``/``signed_body``, the request sends ``path``/``sent_body``."""
    stamp = str(int(sim.clock.now()) if timestamp is None else timestamp)
    url = sim.url + path
    signature = compute_signature(creds.APPLICATION_SECRET, creds.CK_FULL, method, sim.url + (signed_path or path), signed_body, stamp)
    sent = signed_body if sent_body is None else sent_body
    request = urllib.request.Request(
        url,
        data=sent.encode("utf-8") if sent else None,
        method=method,
        headers={
            "X-Ovh-Application": creds.APPLICATION_KEY,
            "X-Ovh-Consumer": creds.CK_FULL,
            "X-Ovh-Timestamp": stamp,
            "X-Ovh-Signature": signature,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_hand_signed_requests_are_checked_over_url_query_body_and_time(sim):
    name = creds.HEALTHY
    assert _signed_request(sim, "GET", "/services?resourceName=" + name, "")[0] == 200
    # the query string is signed
    status, body = _signed_request(sim, "GET", "/services?resourceName=" + name, "", signed_path="/services?resourceName=x")
    assert (status, body["errorCode"]) == (400, "INVALID_SIGNATURE")
    # the body is signed: a body other than the signed one is refused, and nothing is applied
    good = json.dumps({"renew": {"deleteAtExpiration": False}}, separators=(",", ":"))
    evil = json.dumps({"renew": {"deleteAtExpiration": True}}, separators=(",", ":"))
    status, body = _signed_request(sim, "PUT", "/dedicatedCloud/%s/serviceInfos" % name, good, sent_body=evil)
    assert (status, body["errorCode"]) == (400, "INVALID_SIGNATURE")
    assert sim.service(name).service_infos["renew"]["deleteAtExpiration"] is False
    # the timestamp: inside the tolerance it passes, outside it is refused even with a correct signature
    now = int(sim.clock.now())
    assert _signed_request(sim, "GET", "/me", "", timestamp=now - 290)[0] == 200
    status, body = _signed_request(sim, "GET", "/me", "", timestamp=now - 400)
    assert (status, body["errorCode"]) == (400, "QUERY_TIME_OUT")
    status, body = _signed_request(sim, "GET", "/me", "", timestamp=now + 400)
    assert (status, body["errorCode"]) == (400, "QUERY_TIME_OUT")


def test_auth_time_is_unsigned_and_follows_the_clock(sim):
    sim.clock.set(1000000000)
    with urllib.request.urlopen(sim.url + "/auth/time") as response:
        served = json.loads(response.read())
        assert response.headers["X-Ovh-QueryID"].startswith("EU.ext-")
    assert 1000000000 <= served <= 1000000002
    assert sim.calls()["GET /auth/time"] == 1


def test_signed_calls_succeed_with_python_ovh(sim, ovh_client):
    client = ovh_client(sim)
    assert client.get("/me")["nichandle"] == creds.NIC
    assert creds.HEALTHY in client.get("/dedicatedCloud")
    assert client.get("/services", resourceName=creds.HEALTHY) == [creds.SERVICE_IDS[creds.HEALTHY]]
    response = client.raw_call("GET", "/dedicatedCloud/%s" % creds.HEALTHY)
    assert response.status_code == 200
    assert response.headers["X-Ovh-QueryID"]


def test_bad_signature_is_refused(sim, ovh_client):
    client = ovh_client(sim, application_secret="not-the-secret")
    with pytest.raises(ovh.exceptions.BadParametersError) as excinfo:
        client.get("/me")
    status, body = error_of(excinfo)
    assert (status, body["errorCode"], body["message"]) == (400, "INVALID_SIGNATURE", "Invalid signature")


def test_stale_timestamp_is_refused(sim, ovh_client):
    client = ovh_client(sim)
    client._time_delta = int(sim.clock.now() - time.time()) - 400  # pylint: disable=protected-access
    with pytest.raises(ovh.exceptions.BadParametersError) as excinfo:
        client.get("/me")
    status, body = error_of(excinfo)
    assert (status, body["errorCode"], body["message"]) == (400, "QUERY_TIME_OUT", "Query out of time")
    sim.set_option("timestamp_tolerance", 1000)
    assert client.get("/me")["nichandle"] == creds.NIC


def test_moving_the_clock_needs_a_fresh_time_delta(sim, ovh_client):
    client = ovh_client(sim)
    client.get("/me")
    sim.clock.advance(3600)
    with pytest.raises(ovh.exceptions.BadParametersError):
        client.get("/me")
    client._time_delta = None  # pylint: disable=protected-access
    assert client.get("/me")["nichandle"] == creds.NIC


def test_unknown_application_key_is_refused(sim, ovh_client):
    client = ovh_client(sim, application_key="UnknownAppKey000")
    with pytest.raises(ovh.exceptions.InvalidKey) as excinfo:
        client.get("/me")
    assert error_of(excinfo) == (403, {"httpCode": "403 Forbidden", "errorCode": "INVALID_KEY", "message": "This application key is invalid"})


@pytest.mark.parametrize("consumer_key", ["UnknownConsumerKey00000000000001", creds.CK_PENDING, creds.CK_EXPIRED])
def test_invalid_credentials_are_refused(sim, ovh_client, consumer_key):
    client = ovh_client(sim, consumer_key=consumer_key)
    with pytest.raises(ovh.exceptions.InvalidCredential) as excinfo:
        client.get("/me")
    status, body = error_of(excinfo)
    assert (status, body["errorCode"], body["message"]) == (403, "INVALID_CREDENTIAL", "This credential is not valid")


def test_read_only_key_cannot_write(sim, ovh_client):
    client = ovh_client(sim, consumer_key=creds.CK_READ_ONLY)
    assert client.get("/dedicatedCloud/%s" % creds.HEALTHY)["productReference"] == "MBM"
    with pytest.raises(ovh.exceptions.NotGrantedCall) as excinfo:
        client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    status, body = error_of(excinfo)
    assert (status, body["errorCode"], body["message"]) == (403, "NOT_GRANTED_CALL", "This call has not been granted")
    assert sim.emails()[-1]["subject"] != 'Deleting your Managed Bare Metal "%s"' % creds.HEALTHY


def test_least_privilege_key_allows_exactly_the_documented_calls(sim, ovh_client):
    client = ovh_client(sim, consumer_key=creds.CK_LEAST_PRIVILEGE)
    assert client.get("/me")["nichandle"] == creds.NIC
    assert client.get("/dedicatedCloud/%s/serviceInfos" % creds.HEALTHY)["serviceId"] == 1001
    assert client.get("/dedicatedCloud/%s/datacenter/1/vm" % creds.HEALTHY) == [11, 12, 13]
    assert client.get("/me/notification/email/history")
    assert client.get("/services/1001")["resource"]["name"] == creds.HEALTHY
    assert "Please check your mailbox" in client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        client.put("/dedicatedCloud/%s/serviceInfos" % creds.SCHEDULED, renew={"deleteAtExpiration": False})
    current = client.get("/auth/currentCredential")
    assert current["status"] == "validated"
    assert current["applicationId"] == 4242
    assert current["credentialId"] == 5004
    assert {"method": "GET", "path": "/me"} in current["rules"]
    assert len(current["rules"]) == 6


def test_access_rule_matching_uses_star_as_any_characters():
    rules = [{"method": "GET", "path": "/dedicatedCloud*"}, {"method": "POST", "path": "/dedicatedCloud/*/terminate"}, {"method": "GET", "path": "/me"}]
    assert rule_allows(rules, "GET", "/dedicatedCloud")
    assert rule_allows(rules, "GET", "/dedicatedCloud/pcc-1/datacenter/1/vm/2")
    assert rule_allows(rules, "POST", "/dedicatedCloud/pcc-1/terminate")
    assert not rule_allows(rules, "POST", "/dedicatedCloud/pcc-1/confirmTermination")
    assert not rule_allows(rules, "PUT", "/dedicatedCloud/pcc-1")
    assert rule_allows(rules, "GET", "/me")
    assert not rule_allows(rules, "GET", "/me/notification/email/history")
    assert not rule_allows(rules, "GET", "/menu")


def test_current_credential_needs_a_rule_when_asked(sim, ovh_client):
    client = ovh_client(sim, consumer_key=creds.CK_LEAST_PRIVILEGE)
    sim.set_option("current_credential_needs_rule", True)
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        client.get("/auth/currentCredential")


def test_iam_governed_account_refuses_with_the_iam_body(sim, ovh_client):
    client = ovh_client(sim, consumer_key=creds.CK_IAM)
    assert client.get("/dedicatedCloud") == [creds.IAM_SERVICE]
    assert client.get("/dedicatedCloud/%s/datacenter/1/backup" % creds.IAM_SERVICE)["state"] == "enabled"
    with pytest.raises(ovh.exceptions.APIError) as excinfo:
        client.post("/dedicatedCloud/%s/confirmTermination" % creds.IAM_SERVICE, token="x" * 32)
    assert error_of(excinfo) == (
        403,
        {
            "class": "Client::Forbidden",
            "message": "User not granted for this request",
            "details": {"unauthorizedActionsByIAM": "pccVMware:apiovh:confirmTermination"},
        },
    )
    with pytest.raises(ovh.exceptions.APIError) as excinfo:
        client.put("/dedicatedCloud/%s/serviceInfos" % creds.IAM_SERVICE, renew={"deleteAtExpiration": True})
    assert error_of(excinfo)[1]["details"]["unauthorizedActionsByIAM"] == "pccVMware:apiovh:serviceInfos/edit"
    with sim.lock:
        sim.state.accounts[creds.IAM_NIC].iam_allowed.remove("account:apiovh:me/get")
    with pytest.raises(ovh.exceptions.APIError) as excinfo:
        client.get("/me")
    assert error_of(excinfo)[1]["details"]["unauthorizedActionsByIAM"] == "account:apiovh:me/get"


def test_accounts_do_not_see_each_other(sim, ovh_client):
    client = ovh_client(sim, consumer_key=creds.CK_IAM)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s" % creds.HEALTHY)
    assert client.get("/services", resourceName=creds.HEALTHY) == []


def test_unknown_routes_and_resources_are_404(sim, ovh_client):
    client = ovh_client(sim)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError) as excinfo:
        client.get("/dedicatedCloud/pcc-192-0-2-1")
    assert error_of(excinfo) == (404, {"message": "The requested object (serviceName = pcc-192-0-2-1) does not exist"})
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s/datacenter/9" % creds.HEALTHY)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s/datacenter/1/vm/999" % creds.HEALTHY)
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        client.get("/dedicatedCloud/%s/unknownThing" % creds.HEALTHY)
    assert sim.calls()["GET /dedicatedCloud/%s/unknownThing" % creds.HEALTHY] == 1
