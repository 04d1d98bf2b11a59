# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulator: POST /auth/credential (application key only), the pending key, its validation through the admin API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import ovh
import pytest

from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as creds


def admin(sim, method, path, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(sim.admin_url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode("utf-8"))


def client(sim, application_key=creds.APPLICATION_KEY, consumer_key=None):
    result = ovh.Client(endpoint="ovh-eu", application_key=application_key, application_secret=creds.APPLICATION_SECRET, consumer_key=consumer_key)
    result._endpoint = sim.url
    return result


def test_request_validate_and_use_a_key(sim):
    app = client(sim)
    answer = app.request_consumerkey([{"method": "GET", "path": "/me"}], "https://example.com/done")
    assert answer["state"] == "pendingValidation"
    assert len(answer["consumerKey"]) == 32
    token = answer["validationUrl"].split("credentialToken=", 1)[1]
    assert answer["validationUrl"].startswith("http://127.0.0.1:")
    # Pending: every signed call is refused, the key's own description included.
    with pytest.raises(ovh.exceptions.InvalidCredential):
        app.get("/auth/currentCredential")
    # Several accounts in the unit fixture: the validating person says which one.
    status, body = admin(sim, "POST", "/credentials/%s/validate" % token, {})
    assert status == 400 and "several accounts" in body["message"]
    status, body = admin(sim, "POST", "/credentials/%s/validate" % token, {"account": creds.NIC, "expiration": "+1d"})
    assert status == 200 and body["status"] == "validated" and "consumerKey" not in body
    described = app.get("/auth/currentCredential")
    assert described["status"] == "validated" and described["rules"] == [{"method": "GET", "path": "/me"}]
    assert app.get("/me")["nichandle"] == creds.NIC
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        app.get("/dedicatedCloud")
    # A key is validated once.
    status, body = admin(sim, "POST", "/credentials/%s/validate" % token, {"account": creds.NIC})
    assert status == 400
    status, listed = admin(sim, "GET", "/credentials")
    assert [entry["consumerKey"] for entry in listed] == [answer["consumerKey"]]
    assert sim.calls()["POST /auth/credential"] == 1


def test_refused_key_stays_refused(sim):
    app = client(sim)
    answer = app.request_consumerkey([{"method": "GET", "path": "/me"}])
    status, body = admin(sim, "POST", "/credentials/%s/validate" % answer["consumerKey"], {"refuse": True})
    assert status == 200 and body["status"] == "refused"
    with pytest.raises(ovh.exceptions.InvalidCredential):
        app.get("/me")


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "a JSON object is expected"),
        ({"accessRules": []}, "accessRules"),
        ({"accessRules": [{"method": "PATCH", "path": "/me"}]}, "Invalid access rule"),
        ({"accessRules": [{"method": "GET", "path": "me"}]}, "Invalid access rule"),
        ({"accessRules": [{"method": "GET", "path": "/me"}], "redirection": "ftp://x"}, "redirection"),
        ({"accessRules": [{"method": "GET", "path": "/me"}], "validity": 3600}, "unknown field"),
    ],
)
def test_bad_requests_are_refused(sim, body, message):
    with pytest.raises(ovh.exceptions.BadParametersError) as info:
        client(sim).post("/auth/credential", _need_auth=False, **body)
    assert message in str(info.value)
    assert admin(sim, "GET", "/credentials") == (200, [])


def test_an_unknown_application_key_is_refused(sim):
    with pytest.raises(ovh.exceptions.InvalidKey):
        client(sim, application_key="UnknownAppKey001").request_consumerkey([{"method": "GET", "path": "/me"}])
