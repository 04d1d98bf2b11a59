# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Request pipeline of the client: signing, accounting, retries, writes, clock resync, error translation."""

from __future__ import annotations

import hashlib
import time

import ovh.exceptions
import pytest
import requests

from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError, WriteResult
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import ANY, CREDS, ScriptedSession, ex, scripted_client, time_ex

SN = "pcc-1-2-3-4"
ROUTE = "/dedicatedCloud/{serviceName}"


def run(tmp_path, exchanges, **kwargs):
    return scripted_client(exchanges, tmp_path, **kwargs)


# -- signing, quoting and accounting ---------------------------------------------------------------


def test_get_signs_with_server_time_and_counts_every_request(tmp_path):
    server_time = int(time.time()) + 3600  # the API clock is one hour ahead of ours
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(server_time),
            ex("GET", "/dedicatedCloud/" + SN, {"serviceName": SN}, headers={"X-Ovh-QueryID": "EU.q1"}),
            ex("GET", "/services?resourceName=" + SN, [42]),
        ],
    )
    assert client.get(ROUTE, serviceName=SN) == {"serviceName": SN}
    assert client.get("/services", query={"resourceName": SN}) == [42]
    session.assert_done()

    auth_time, signed = session.sent[0], session.sent[1]
    assert "X-Ovh-Signature" not in auth_time["headers"]
    stamp = signed["headers"]["X-Ovh-Timestamp"]
    assert abs(int(stamp) - server_time) <= 2
    expected = hashlib.sha1(
        "+".join([CREDS["application_secret"], CREDS["consumer_key"], "GET", client.base_url + "/dedicatedCloud/" + SN, "", stamp]).encode()
    ).hexdigest()
    assert signed["headers"]["X-Ovh-Signature"] == "$1$" + expected
    assert signed["headers"]["X-Ovh-Application"] == CREDS["application_key"]
    assert signed["timeout"] == 30
    assert client.last_query_id is None  # the last call had no query id header
    assert abs(client.now() - server_time) <= 2

    calls = client.api_calls
    assert calls["total"] == 3
    assert calls["by_route"] == {"GET /auth/time": 1, "GET /dedicatedCloud/{serviceName}": 1, "GET /services": 1}
    assert calls["retries"] == 0


def test_path_parameters_are_quoted_and_counted_by_template(tmp_path):
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/dedicatedCloud/a%2Fb%20c/datacenter/7/vm/12", {"vmId": 12}),
        ],
    )
    assert client.get("/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}", serviceName="a/b c", datacenterId=7, vmId=12) == {"vmId": 12}
    session.assert_done()
    assert client.api_calls["by_route"]["GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"] == 1


def test_missing_path_parameter_is_a_programming_error(tmp_path):
    client, session, dummy = run(tmp_path, [])
    with pytest.raises(ValueError, match="serviceName"):
        client.get(ROUTE)
    session.assert_done()


def test_time_is_fetched_once_per_client(tmp_path):
    client, session, dummy = run(tmp_path, [time_ex(), ex("GET", "/me", {}), ex("GET", "/me", {})])
    client.get("/me")
    client.get("/me")
    session.assert_done()
    assert client.api_calls["by_route"] == {"GET /auth/time": 1, "GET /me": 2}


# -- writes ----------------------------------------------------------------------------------------


def test_post_returns_data_and_query_id(tmp_path):
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex("POST", "/dedicatedCloud/%s/confirmTermination" % SN, "ok", body={"token": "tok", "reason": "OTHER"}, headers={"X-Ovh-QueryID": "EU.ext-3.abc"}),
            ex(
                "PUT",
                "/dedicatedCloud/%s/serviceInfos" % SN,
                None,
                status=204,
                body={"renew": {"deleteAtExpiration": False}},
                headers={"X-Ovh-QueryID": "EU.ext-3.def"},
            ),
        ],
    )
    result = client.post("/dedicatedCloud/{serviceName}/confirmTermination", body={"token": "tok", "reason": "OTHER"}, serviceName=SN)
    assert isinstance(result, WriteResult)
    assert (result.data, result.query_id, result.status) == ("ok", "EU.ext-3.abc", 200)
    result = client.put("/dedicatedCloud/{serviceName}/serviceInfos", body={"renew": {"deleteAtExpiration": False}}, serviceName=SN)
    assert (result.data, result.query_id, result.status) == (None, "EU.ext-3.def", 204)
    session.assert_done()


def test_successful_write_with_non_json_body_is_still_a_success(tmp_path):
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex("POST", "/dedicatedCloud/%s/terminate" % SN, raw="done", headers={"X-Ovh-QueryID": "EU.w"}),
        ],
    )
    assert client.post("/dedicatedCloud/{serviceName}/terminate", serviceName=SN).query_id == "EU.w"
    session.assert_done()


@pytest.mark.parametrize(
    "error", [requests.exceptions.ReadTimeout("read timed out"), requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")]
)
def test_lost_write_response_is_outcome_unknown_and_never_resent(tmp_path, error):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("POST", "/dedicatedCloud/%s/terminate" % SN, error=error),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.post("/dedicatedCloud/{serviceName}/terminate", serviceName=SN)
    session.assert_done()  # exactly one POST was sent
    err = info.value
    assert (err.status, err.error_code, err.method, err.path) == (None, "OUTCOME_UNKNOWN", "POST", "/dedicatedCloud/%s/terminate" % SN)
    assert "re-read" in str(err).lower()
    assert fake_time.sleeps == []
    assert client.api_calls["by_route"]["POST /dedicatedCloud/{serviceName}/terminate"] == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_write_answered_429_or_5xx_is_not_retried(tmp_path, status):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("POST", "/dedicatedCloud/%s/terminate" % SN, {"message": "busy"}, status=status, headers={"Retry-After": "1", "X-Ovh-QueryID": "EU.busy"}),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.post("/dedicatedCloud/{serviceName}/terminate", serviceName=SN)
    session.assert_done()
    assert info.value.status == status
    assert info.value.query_id == "EU.busy"
    assert "re-read state before retrying" in str(info.value)
    assert fake_time.sleeps == []
    assert client.api_calls["retries"] == 0


# -- retries of reads ------------------------------------------------------------------------------


def test_read_retries_5xx_with_exponential_full_jitter_backoff(tmp_path):
    draws = iter([0.5, 0.25, 1.0])
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", {"message": "oops"}, status=500),
            ex("GET", "/me", {"message": "oops"}, status=502),
            ex("GET", "/me", raw="<html>Gateway Timeout</html>", status=504),
            ex("GET", "/me", {"nichandle": "ab1-ovh"}),
        ],
        jitter=lambda: next(draws),
    )
    assert client.get("/me") == {"nichandle": "ab1-ovh"}
    session.assert_done()
    # base 1 s doubling per attempt, times the jitter draw
    assert fake_time.sleeps == [0.5, 0.5, 4.0]
    calls = client.api_calls
    assert (calls["retries"], calls["retry_wait_seconds"], calls["by_route"]["GET /me"]) == (3, 5.0, 4)


def test_read_honours_retry_after(tmp_path):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", {"message": "slow down"}, status=429, headers={"Retry-After": "7"}),
            ex("GET", "/me", {"message": "slow down"}, status=429),
            ex("GET", "/me", {"nichandle": "x"}),
        ],
    )
    assert client.get("/me") == {"nichandle": "x"}
    session.assert_done()
    assert fake_time.sleeps == [7.0, 2.0]  # Retry-After, then backoff (attempt 2: 2 s x jitter 1.0)


def test_retry_after_beyond_the_budget_gives_up_at_once(tmp_path):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", {"message": "slow down"}, status=429, headers={"Retry-After": "120", "X-Ovh-QueryID": "EU.429"}),
        ],
        api_retry_max_wait=60,
    )
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert fake_time.sleeps == []
    assert info.value.status == 429 and info.value.query_id == "EU.429"


@pytest.mark.parametrize(
    "error, code", [(requests.exceptions.ReadTimeout("t"), "TIMEOUT"), (requests.exceptions.ConnectionError("refused"), "CONNECTION_ERROR")]
)
def test_read_retries_transport_errors_within_the_total_budget(tmp_path, error, code):
    exchanges = [time_ex()] + [ex("GET", "/me", error=error) for dummy in range(5)]
    client, session, fake_time = run(tmp_path, exchanges, api_retry_max_wait=10)
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    # 1 + 2 + 4 = 7 s, then only 3 s are left of the 10 s budget, then nothing.
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 3.0]
    assert sum(fake_time.sleeps) <= 10
    err = info.value
    assert err.error_code == code and err.status is None
    assert "after 5 attempts" in str(err) and "10.0 s" in str(err)


def test_retry_budget_zero_disables_retries(tmp_path):
    client, session, fake_time = run(tmp_path, [time_ex(), ex("GET", "/me", {"message": "down"}, status=503)], api_retry_max_wait=0)
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert fake_time.sleeps == [] and info.value.status == 503
    assert "attempts" not in str(info.value)


def test_client_errors_are_not_retried(tmp_path):
    client, session, fake_time = run(tmp_path, [time_ex(), ex("GET", "/dedicatedCloud/x", {"message": "not found"}, status=404)])
    with pytest.raises(OvhApiError):
        client.get(ROUTE, serviceName="x")
    session.assert_done()
    assert fake_time.sleeps == []


def test_auth_time_is_retried_like_any_read(tmp_path):
    client, session, fake_time = run(tmp_path, [ex("GET", "/auth/time", {"message": "down"}, status=502), time_ex(), ex("GET", "/me", {})])
    assert client.get("/me") == {}
    session.assert_done()
    assert fake_time.sleeps == [1.0]
    assert client.api_calls["by_route"]["GET /auth/time"] == 2


# -- clock resync ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_stale_timestamp_resyncs_the_clock_and_resends_once(tmp_path, method):
    now = int(time.time())
    path = "/dedicatedCloud/%s/terminate" % SN if method == "POST" else "/me"
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(now - 1000),
            ex(method, path, {"errorCode": "QUERY_TIME_OUT", "message": "Query out of time"}, status=400),
            time_ex(now + 500),
            ex(method, path, "ok"),
        ],
    )
    if method == "POST":
        assert client.post("/dedicatedCloud/{serviceName}/terminate", serviceName=SN).data == "ok"
    else:
        assert client.get("/me") == "ok"
    session.assert_done()
    stamps = [int(s["headers"]["X-Ovh-Timestamp"]) for s in session.sent if s["path"] == path]
    assert abs(stamps[0] - (now - 1000)) <= 2 and abs(stamps[1] - (now + 500)) <= 2
    assert fake_time.sleeps == []


def test_stale_timestamp_twice_fails(tmp_path):
    stale = ex("GET", "/me", {"errorCode": "QUERY_TIME_OUT", "message": "Query out of time"}, status=400)
    client, session, dummy = run(tmp_path, [time_ex(), stale, time_ex(), stale])
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert info.value.error_code == "QUERY_TIME_OUT"


# -- error translation (docs/design.md section 2) --------------------------------------------------------

TERMINATE = "/dedicatedCloud/{serviceName}/terminate"


@pytest.mark.parametrize(
    "status, answer, code, hint",
    [
        (
            403,
            {"errorCode": "NOT_GRANTED_CALL", "message": "This call has not been granted", "httpCode": "403 Forbidden"},
            "NOT_GRANTED_CALL",
            "add the access rule POST /dedicatedCloud/*/terminate to the consumer key",
        ),
        (
            403,
            {
                "class": "Client::Forbidden",
                "message": "User not granted for this request",
                "details": {"unauthorizedActionsByIAM": "pccVMware:apiovh:terminate"},
            },
            "Client::Forbidden",
            "grant the IAM action pccVMware:apiovh:terminate",
        ),
        (
            403,
            {"errorCode": "INVALID_CREDENTIAL", "message": "This credential is not valid"},
            "INVALID_CREDENTIAL",
            "consumer key is not valid or not validated",
        ),
        (403, {"errorCode": "INVALID_KEY", "message": "This application key is invalid"}, "INVALID_KEY", "application key is unknown"),
        (403, {"errorCode": "NOT_CREDENTIAL", "message": "This credential does not exist"}, "NOT_CREDENTIAL", "check consumer_key"),
        (403, {"errorCode": "FORBIDDEN", "message": "Forbidden"}, "FORBIDDEN", "forbids this call"),
        (400, {"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"}, "INVALID_SIGNATURE", "application_secret and consumer_key pair is wrong"),
        (404, {"class": "Client::NotFound", "message": "The requested object (serviceName = x) does not exist"}, "Client::NotFound", "not found"),
        (400, {"class": "Client::BadRequest", "message": "Invalid body"}, "Client::BadRequest", "bad parameters"),
        (409, {"message": "A termination is already pending"}, None, "conflicts with the current state"),
        (460, {"message": "This Service is expired"}, None, "the service is expired"),
        (401, {"message": "You must login first"}, None, "did not accept the authentication"),
        (429, {"message": "Too many requests"}, None, "re-read state before retrying"),
        (500, {"message": "Internal server error"}, None, "re-read state before retrying"),
    ],
)
def test_error_translation(tmp_path, status, answer, code, hint):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("POST", "/dedicatedCloud/%s/terminate" % SN, answer, status=status, headers={"X-Ovh-QueryID": "EU.ext-1.q"}),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.post(TERMINATE, serviceName=SN)
    session.assert_done()
    err = info.value
    assert err.status == status
    assert err.error_code == code
    assert err.message == answer["message"]
    assert err.route == TERMINATE
    assert hint.lower() in str(err).lower()
    assert "(query id EU.ext-1.q)" in str(err)
    assert err.to_failure() == {
        "status": status,
        "error_code": code,
        "message": answer["message"],
        "query_id": "EU.ext-1.q",
        "method": "POST",
        "path": "/dedicatedCloud/%s/terminate" % SN,
    }
    assert CREDS["application_secret"] not in str(err) and CREDS["consumer_key"] not in str(err)


def test_iam_refusal_with_a_list_of_actions(tmp_path):
    refusal = {
        "class": "Client::Forbidden",
        "message": "User not granted",
        "details": {"unauthorizedActionsByIAM": ["account:apiovh:me/notification/email/history/get"]},
    }
    client, session, dummy = run(tmp_path, [time_ex(), ex("GET", "/me/notification/email/history", refusal, status=403)])
    with pytest.raises(OvhApiError) as info:
        client.get("/me/notification/email/history")
    session.assert_done()
    assert "account:apiovh:me/notification/email/history/get" in info.value.hint
    assert info.value.details == {"unauthorizedActionsByIAM": ["account:apiovh:me/notification/email/history/get"]}


def test_html_error_page_is_handled(tmp_path):
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", raw="<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, headers={"X-Ovh-QueryID": "EU.html"}),
        ],
        api_retry_max_wait=0,
    )
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    err = info.value
    assert (err.status, err.error_code, err.query_id) == (502, "INVALID_RESPONSE", "EU.html")
    assert "non-JSON" in err.message and "502 Bad Gateway" in err.message and "<h1>" not in err.message


def test_non_json_success_body_on_a_read_is_an_error(tmp_path):
    client, session, dummy = run(tmp_path, [time_ex(), ex("GET", "/me", raw="<html>login</html>", status=200)])
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert info.value.error_code == "INVALID_RESPONSE" and info.value.status == 200


def test_error_body_that_is_not_an_object(tmp_path):
    client, session, dummy = run(tmp_path, [time_ex(), ex("GET", "/me", "plain message", status=400)])
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert info.value.message == "plain message" and info.value.status == 400


def test_retry_after_as_http_date(tmp_path):
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 20))
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", {"message": "slow down"}, status=429, headers={"Retry-After": when}),
            ex("GET", "/me", {}),
        ],
    )
    assert client.get("/me") == {}
    session.assert_done()
    assert len(fake_time.sleeps) == 1 and 17 <= fake_time.sleeps[0] <= 21


# -- OAuth2 --------------------------------------------------------------------------------------------


class FailingOAuth2Session:
    def request(self, *args, **kwargs):
        raise ovh.exceptions.OAuth2FailureError("OAuth2 failure: invalid_client")


def oauth2_client(tmp_path, exchanges):
    return scripted_client(exchanges, tmp_path, application_key=None, application_secret=None, consumer_key=None, client_id="cid-1", client_secret="cs-SECRET")


def test_oauth2_calls_go_through_the_oauth2_session_and_are_counted(tmp_path):
    client, session, dummy = oauth2_client(tmp_path, [time_ex(1700000000)])
    api = ScriptedSession([ex("GET", "/me", {"nichandle": "sa"})], base_url=client.base_url)
    client._ovh._oauth2._session = api  # python-ovh sends token-authenticated calls through its OAuth2 session
    assert client.get("/me") == {"nichandle": "sa"}
    api.assert_done()
    assert "X-Ovh-Signature" not in api.sent[0]["headers"]
    assert client.api_calls["by_route"] == {"GET /me": 1}  # no /auth/time: nothing to sign
    assert abs(client.now() - 1700000000) <= 2  # the API clock still comes from the unsigned /auth/time
    session.assert_done()
    assert client.api_calls["by_route"] == {"GET /me": 1, "GET /auth/time": 1}


def test_oauth2_token_failure_is_translated(tmp_path):
    client, session, dummy = oauth2_client(tmp_path, [])
    client._ovh._oauth2._session = FailingOAuth2Session()
    with pytest.raises(OvhApiError) as info:
        client.post("/dedicatedCloud/{serviceName}/terminate", serviceName=SN)
    session.assert_done()
    assert info.value.error_code == "OAUTH2_FAILURE" and "client_secret" in str(info.value)
    assert "cs-SECRET" not in str(info.value)


# -- outcome of failed writes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, answer, raw, unknown",
    [
        (500, {"message": "Internal server error"}, None, True),
        (502, None, "<html><body><h1>502 Bad Gateway</h1></body></html>", True),
        (503, {"message": "Service unavailable"}, None, True),
        (504, None, "<html>Gateway Time-out</html>", True),
        (429, {"message": "Too many requests"}, None, False),
        (400, {"message": "Invalid token"}, None, False),
        (403, {"errorCode": "NOT_GRANTED_CALL", "message": "This call has not been granted"}, None, False),
        (409, {"message": "A termination is already pending"}, None, False),
        (460, {"message": "This Service is expired"}, None, False),
    ],
)
def test_write_failures_say_whether_the_outcome_is_unknown(tmp_path, status, answer, raw, unknown):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("POST", "/dedicatedCloud/%s/confirmTermination" % SN, answer, raw=raw, status=status, body={"token": "t"}, headers={"X-Ovh-QueryID": "EU.w1"}),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.post("/dedicatedCloud/{serviceName}/confirmTermination", body={"token": "t"}, serviceName=SN)
    session.assert_done()
    err = info.value
    assert err.outcome_unknown is unknown
    assert err.status == status and err.query_id == "EU.w1"
    assert ("may or may not have been applied" in str(err)) is unknown
    assert fake_time.sleeps == []


def test_lost_write_is_outcome_unknown_and_a_failed_read_never_is(tmp_path):
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex("PUT", "/dedicatedCloud/%s/serviceInfos" % SN, error=requests.exceptions.ReadTimeout("t"), body=ANY),
            ex("GET", "/me", {"message": "down"}, status=503),
            ex("GET", "/me", error=requests.exceptions.ConnectionError("reset")),
        ],
        api_retry_max_wait=0,
    )
    with pytest.raises(OvhApiError) as info:
        client.put("/dedicatedCloud/{serviceName}/serviceInfos", body={"renew": {}}, serviceName=SN)
    assert info.value.outcome_unknown is True and info.value.error_code == "OUTCOME_UNKNOWN"
    for dummy in range(2):
        with pytest.raises(OvhApiError) as info:
            client.get("/me")
        assert info.value.outcome_unknown is False
    session.assert_done()


def test_configuration_errors_are_not_outcome_unknown():
    assert OvhApiError("x", error_code="INVALID_CONFIGURATION").outcome_unknown is False


# -- more actionable texts ---------------------------------------------------------------------------------


def test_retry_after_beyond_the_budget_says_so(tmp_path):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", {"message": "slow down"}, status=429, headers={"Retry-After": "10"}),
            ex("GET", "/me", {"message": "slow down"}, status=429, headers={"Retry-After": "300"}),
        ],
        api_retry_max_wait=60,
    )
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert fake_time.sleeps == [10.0]
    text = str(info.value)
    assert "retry after 300 s" in text and "50 s left of api_retry_max_wait" in text
    assert "after 2 attempts" in text
    assert info.value.args == (text,)


def test_iam_refusal_without_details_names_the_likely_action(tmp_path):
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex(
                "POST",
                "/dedicatedCloud/%s/terminate" % SN,
                {"class": "Client::Forbidden", "message": "User not granted"},
                status=403,
                headers={"X-Ovh-QueryID": "EU.iam"},
            ),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.post(TERMINATE, serviceName=SN)
    session.assert_done()
    assert "probably the IAM action pccVMware:apiovh:terminate" in str(info.value)
    assert "(query id EU.iam)" in str(info.value)


def test_stale_timestamp_after_resync_has_an_actionable_hint(tmp_path):
    stale = ex("GET", "/me", {"errorCode": "QUERY_TIME_OUT", "message": "Query out of time"}, status=400)
    client, session, dummy = run(tmp_path, [time_ex(), stale, time_ex(), stale])
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert "controller's clock" in info.value.hint


def test_non_list_answer_to_a_plain_listing_names_the_concrete_path(tmp_path):
    vms = "/dedicatedCloud/%s/datacenter/1/vm" % SN
    client, session, dummy = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", vms, {"unexpected": "shape"}),
            ex("GET", vms, {"still": "unexpected"}, headers={"X-Ovh-QueryID": "EU.l"}),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.list_objects(
            "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm",
            "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}",
            "vmId",
            serviceName=SN,
            datacenterId=1,
        )
    session.assert_done()
    assert (info.value.error_code, info.value.path, info.value.query_id) == ("INVALID_RESPONSE", vms, "EU.l")


def test_tls_failure_of_a_read_is_not_retried_and_says_what_to_check(tmp_path):
    client, session, fake_time = run(
        tmp_path,
        [
            time_ex(),
            ex("GET", "/me", error=requests.exceptions.SSLError("certificate verify failed")),
        ],
    )
    with pytest.raises(OvhApiError) as info:
        client.get("/me")
    session.assert_done()
    assert fake_time.sleeps == []
    assert info.value.error_code == "CONNECTION_ERROR" and "TLS" in str(info.value)
    assert "REQUESTS_CA_BUNDLE" in info.value.hint


# -- IAM refusals: both detail keys (go-ovh ovh/error.go; ovh/docs IAM troubleshooting guide) -------------


def _refused(tmp_path, details, klass="Client::Forbidden"):
    body = {"message": "User not granted for this request", "details": details}
    if klass:
        body["class"] = klass
    client, session, dummy = run(tmp_path, [time_ex(), ex("POST", "/dedicatedCloud/%s/terminate" % SN, body, status=403)])
    with pytest.raises(OvhApiError) as info:
        client.post(TERMINATE, serviceName=SN)
    session.assert_done()
    return info.value


def test_refusal_by_authentication_names_the_action(tmp_path):
    err = _refused(tmp_path, {"unauthorizedActionsByAuthentication": "pccVMware:apiovh:terminate", "unauthorizedActionsByIAM": ""})
    assert "authentication" in err.hint
    assert "pccVMware:apiovh:terminate" in err.hint
    assert "POST /dedicatedCloud/*/terminate" in err.hint  # the access rule to check as well
    assert "IAM policy of the account refuses the action" not in err.hint  # the empty IAM key names nothing
    assert "pccVMware:apiovh:terminate" in str(err)


def test_refusal_by_authentication_without_a_class_is_still_recognised(tmp_path):
    err = _refused(tmp_path, {"unauthorizedActionsByAuthentication": "pccVMware:apiovh:terminate"}, klass=None)
    assert "pccVMware:apiovh:terminate" in err.hint and "authentication" in err.hint


def test_refusal_by_both_names_both_actions(tmp_path):
    err = _refused(tmp_path, {"unauthorizedActionsByAuthentication": "pccVMware:apiovh:get", "unauthorizedActionsByIAM": "pccVMware:apiovh:terminate"})
    assert "pccVMware:apiovh:get" in err.hint and "pccVMware:apiovh:terminate" in err.hint
    assert "authentication" in err.hint and "IAM policy" in err.hint


def test_refusal_with_both_keys_empty_guesses_the_action(tmp_path):
    err = _refused(tmp_path, {"unauthorizedActionsByAuthentication": "", "unauthorizedActionsByIAM": ""})
    assert "probably the IAM action pccVMware:apiovh:terminate" in err.hint
