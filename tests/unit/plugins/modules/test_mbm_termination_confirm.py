# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mbm_termination_confirm: every branch, run in-process against the simulator."""

from __future__ import annotations

import copy
import json
import time

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_termination_confirm, mbm_termination_request
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.simulator.model import load_fixture
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

CONFIRM = "POST /dedicatedCloud/{serviceName}/confirmTermination"
OPEN = {"request_from_day": 1, "confirm_from_day": 1}


def _run(module, sim, api_args, check_mode=False, consumer_key=C.CK_FULL, **options):
    args = api_args(sim, consumer_key=consumer_key)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access  # in-process runs share them
    result = run_module(module, args, check_mode=check_mode, diff=True)
    text = json.dumps(result)
    for mail in sim.emails():
        if mail.get("token"):
            assert mail["token"] not in text, "a token leaked into the result"
        assert mail["body"] not in text
    return result


def confirm(sim, api_args, check_mode=False, **options):
    merged = dict(OPEN)
    merged.update(options)
    return _run(mbm_termination_confirm, sim, api_args, check_mode=check_mode, **merged)


def request(sim, api_args, **options):
    merged = dict(OPEN)
    merged.update(options)
    return _run(mbm_termination_request, sim, api_args, **merged)


def confirms(sim):
    return sim.calls().get(CONFIRM, 0)


def test_missing_service_name_fails(sim, api_args):
    result = run_module(mbm_termination_confirm, api_args(sim))
    assert result["failed"] and "service_name" in result["msg"] and sum(sim.calls().values()) == 0


def test_bad_reason_is_refused_by_the_argument_spec(sim, api_args):
    result = confirm(sim, api_args, service_name=C.REQUESTED, reason="BECAUSE")
    assert result["failed"] and "reason" in result["msg"] and confirms(sim) == 0


def test_check_mode_validates_the_token_and_sends_nothing(sim, api_args):
    result = confirm(sim, api_args, check_mode=True, service_name=C.REQUESTED)
    assert result["changed"] and not result["failed"]
    assert result["diff"] == {"before": {"status": "termination_requested"}, "after": {"status": "terminating"}}
    assert "e-mail 1003" in result["msg"] and result["writes"] == []
    assert confirms(sim) == 0 and not [r for r in sim.calls() if not r.startswith("GET ")]


def test_confirm_then_rerun_is_unchanged(sim, api_args):
    first = confirm(sim, api_args, service_name=C.REQUESTED, reason="NOT_NEEDED_ANYMORE", future_use="NOT_REPLACING_SERVICE", commentary="decommissioned")
    assert first["changed"] and not first["failed"]
    assert first["diff"] == {"before": {"status": "termination_requested"}, "after": {"status": "terminating"}}
    assert first["termination"]["status"] == "terminating" and first["query_id"]
    assert first["writes"][0]["path"] == "/dedicatedCloud/%s/confirmTermination" % C.REQUESTED
    assert first["termination"]["request_record"]["confirm"]["email_id"] == 1003
    again = confirm(sim, api_args, service_name=C.REQUESTED)
    assert not again["changed"] and not again["failed"] and again["termination"]["status"] == "terminating"
    sim.clock.advance(3601)
    gone = confirm(sim, api_args, service_name=C.REQUESTED)
    assert not gone["changed"] and gone["termination"]["status"] == "terminated"
    assert confirms(sim) == 1


def test_full_path_request_email_confirm_terminating_terminated(sim, api_args):
    requested = request(sim, api_args, service_name=C.ACCOUNT_LEVEL)
    assert requested["termination"]["status"] == "termination_requested"
    confirmed = confirm(sim, api_args, service_name=C.ACCOUNT_LEVEL)
    assert confirmed["changed"] and confirmed["termination"]["status"] == "terminating"
    assert sim.service(C.ACCOUNT_LEVEL).removing
    sim.clock.advance(3601)
    assert confirm(sim, api_args, service_name=C.ACCOUNT_LEVEL)["termination"]["status"] == "terminated"


def test_given_token_is_used(sim, api_args):
    result = confirm(sim, api_args, service_name=C.REQUESTED, token=C.REQUESTED_TOKEN + "\n")
    assert result["changed"] and result["termination"]["status"] == "terminating" and confirms(sim) == 1


@pytest.mark.parametrize("token", ["has spaces in it", "Token\u00b2\u00b3Token\u00b2\u00b3Token", "short"])
def test_malformed_given_token_is_never_sent(sim, api_args, token):
    result = confirm(sim, api_args, service_name=C.REQUESTED, token=token)
    assert result["failed"] and "shape" in result["msg"] and confirms(sim) == 0
    assert result["failure"]["error_code"] == "TOKEN" and token not in json.dumps(result)


def test_unseen_given_token_is_sent_and_its_refusal_is_a_token_problem(sim, api_args):
    # Not in the history: the history does not disprove it, so OVHcloud judges it (issue 8); its refusal is a token
    # problem, never retried in the run.
    token = "WrongToken000000000000000000000X"
    result = confirm(sim, api_args, service_name=C.REQUESTED, token=token)
    assert result["failed"] and result["failure"]["status"] == 400
    assert "refused the token given" in result["msg"] and "not tried again" in result["msg"]
    assert confirms(sim) == 1 and token not in json.dumps(result)
    assert result["termination"]["status"] == "termination_requested" and result["writes"][0]["outcome"] == "refused"


def test_superseded_token_is_never_sent(sim, api_args):
    request(sim, api_args, service_name=C.REQUESTED, force_new_request=True)
    result = confirm(sim, api_args, service_name=C.REQUESTED, token=C.REQUESTED_TOKEN)
    assert result["failed"] and "replaced" in result["msg"] and "newer" in result["msg"] and confirms(sim) == 0
    assert result["failure"]["error_code"] == "TOKEN"


def test_expired_token_fails_saying_a_new_request_is_needed(sim, api_args):
    result = confirm(sim, api_args, service_name=C.TOKEN_EXPIRED)
    assert result["failed"] and "new request" in result["msg"] and confirms(sim) == 0
    assert result["failure"]["error_code"] == "TOKEN_EXPIRED" and result["termination"]["status"] == "token_expired"
    given = confirm(sim, api_args, service_name=C.TOKEN_EXPIRED, token=C.EXPIRED_TOKEN)
    assert given["failed"] and "expired" in given["msg"] and confirms(sim) == 0


def test_token_expired_by_clock(sim, api_args):
    sim.clock.advance(69 * 3600)  # the e-mail is 2 h old at the start: 71 h old now
    assert confirm(sim, api_args, check_mode=True, service_name=C.REQUESTED)["changed"]
    sim.clock.advance(3600 + 60)
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and result["termination"]["status"] == "token_expired" and confirms(sim) == 0


def test_no_request_fails_at_once_and_check_mode_says_what_it_would_do(sim, api_args):
    started = time.monotonic()
    result = confirm(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_timeout=60)
    assert time.monotonic() - started < 20
    assert result["failed"] and "request is needed" in result["msg"] and confirms(sim) == 0
    assert result["failure"]["error_code"] == "NO_REQUEST"
    predicted = confirm(sim, api_args, check_mode=True, service_name=C.HEALTHY)
    assert predicted["changed"] and not predicted["failed"] and "No termination request exists" in predicted["msg"]
    assert predicted["diff"] == {"before": {"status": "active"}, "after": {"status": "terminating"}}


def test_email_of_another_service_is_not_used(sim, api_args):
    request(sim, api_args, service_name=C.FR_TEXT)
    result = confirm(sim, api_args, service_name=C.HEALTHY)
    assert result["failed"] and result["termination"]["status"] == "active" and confirms(sim) == 0


def test_pending_request_fails_without_wait_and_is_waited_for_with_it(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=2)
    assert request(sim, api_args, service_name=C.HEALTHY)["termination"]["status"] == "request_pending"
    no_wait = confirm(sim, api_args, service_name=C.HEALTHY)
    assert no_wait["failed"] and "wait_for_email" in no_wait["msg"] and confirms(sim) == 0
    predicted = confirm(sim, api_args, check_mode=True, service_name=C.HEALTHY, wait_for_email=True)
    assert predicted["changed"] and "once its e-mail arrives" in predicted["msg"] and confirms(sim) == 0
    waited = confirm(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_delay=1, wait_timeout=30)
    assert waited["changed"] and waited["termination"]["status"] == "terminating" and confirms(sim) == 1


def test_pending_request_wait_times_out(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=100000)
    request(sim, api_args, service_name=C.HEALTHY)
    result = confirm(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_delay=1, wait_timeout=2)
    assert result["failed"] and "wait_timeout" in result["msg"] and confirms(sim) == 0 and not result["changed"]


@pytest.mark.parametrize("status", [400, 403, 409])
def test_token_refused_by_the_api_whatever_the_status(sim_factory, api_args, status):
    sim = sim_factory(token_error_status=status)
    with sim.lock:
        sim.service(C.REQUESTED).tokens[-1]["used"] = True  # used elsewhere (e.g. in the control panel)
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and "token" in result["msg"] and "request" in result["msg"]
    assert result["failure"]["status"] == status and result["failure"]["query_id"]
    assert result["writes"][0]["outcome"] == "refused" and confirms(sim) == 1
    assert not sim.service(C.REQUESTED).removing


def test_iam_refusal_is_not_blamed_on_the_token(sim, api_args):
    request(sim, api_args, consumer_key=C.CK_IAM, service_name=C.IAM_SERVICE)
    result = confirm(sim, api_args, consumer_key=C.CK_IAM, service_name=C.IAM_SERVICE)
    assert result["failed"] and "pccVMware:apiovh:confirmTermination" in result["msg"]
    assert "token is wrong" not in result["msg"] and result["failure"]["status"] == 403


def test_preflight_names_the_missing_rule(sim, api_args):
    result = confirm(sim, api_args, consumer_key=C.CK_READ_ONLY, service_name=C.REQUESTED)
    assert result["failed"] and "POST /dedicatedCloud/*/confirmTermination" in result["msg"] and confirms(sim) == 0


def test_lost_response_is_resolved_by_reading_the_state(sim, api_args):
    sim.add_fault(CONFIRM, drop_after_apply=True)
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["changed"] and not result["failed"] and result["termination"]["status"] == "terminating"
    assert result["writes"][0]["outcome"] == "unknown" and "lost" in json.dumps(result["warnings"])


def test_lost_response_not_applied_is_outcome_unknown(sim, api_args):
    sim.add_fault(CONFIRM, drop=True)
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and "unknown" in result["msg"] and result["failure"]["error_code"] == "OUTCOME_UNKNOWN"
    assert not sim.service(C.REQUESTED).removing


def test_billing_window_refuse_and_figures(sim, api_args):
    result = confirm(sim, api_args, service_name=C.REQUESTED, billing_window="refuse", confirm_from_day=25)
    assert result["failed"] and "billing_window=refuse" in result["msg"] and confirms(sim) == 0
    window = result["termination"]["billing_window"]
    assert window["action"] == "confirm" and window["from_day"] == 25 and window["open"] is False


def test_nothing_to_confirm_when_scheduled_or_gone(sim, api_args):
    scheduled = confirm(sim, api_args, service_name=C.SCHEDULED)
    assert not scheduled["changed"] and not scheduled["failed"] and scheduled["termination"]["status"] == "termination_scheduled"
    gone = confirm(sim, api_args, service_name=C.DELETED)
    assert not gone["changed"] and gone["termination"]["status"] == "terminated"
    typo = confirm(sim, api_args, service_name="pcc-does-not-exist")
    assert typo["failed"] and "not found" in typo["msg"]
    assert confirms(sim) == 0


def _fixture_with_key_without_email_rules():
    fixture = copy.deepcopy(load_fixture("unit"))
    account = fixture["accounts"][0]
    account["consumerKeys"].append(
        {
            "consumerKey": "SimCkNoEmail0000000000000000001",
            "applicationKey": C.APPLICATION_KEY,
            "credentialId": 5099,
            "rules": [
                {"method": "GET", "path": "/dedicatedCloud*"},
                {"method": "GET", "path": "/services*"},
                {"method": "POST", "path": "/dedicatedCloud/*/confirmTermination"},
            ],
        }
    )
    return fixture


def test_given_token_works_without_email_history_rules(sim_factory, api_args):
    sim = sim_factory(_fixture_with_key_without_email_rules())
    without = confirm(sim, api_args, consumer_key="SimCkNoEmail0000000000000000001", service_name=C.REQUESTED)
    assert without["failed"] and "GET /me/notification/email/history*" in without["msg"] and confirms(sim) == 0
    result = confirm(sim, api_args, consumer_key="SimCkNoEmail0000000000000000001", service_name=C.REQUESTED, token=C.REQUESTED_TOKEN)
    assert result["changed"] and not result["failed"] and confirms(sim) == 1
    assert "not readable" in json.dumps(result["warnings"])


@pytest.mark.parametrize("status", [400, 403, 409])
@pytest.mark.parametrize("given", [None, C.REQUESTED_TOKEN + "\n"])
def test_token_echoed_by_the_api_is_scrubbed(sim, api_args, status, given):
    # the API may quote the token it refuses; neither the e-mail's token nor a given one may come back
    echo = {"message": "Invalid token %s (token=%s)" % (C.REQUESTED_TOKEN, C.REQUESTED_TOKEN), "details": {"token": C.REQUESTED_TOKEN}}
    sim.add_fault(CONFIRM, status=status, body=json.dumps(echo))
    options = {"token": given} if given else {}
    result = confirm(sim, api_args, service_name=C.REQUESTED, **options)
    assert result["failed"] and result["failure"]["status"] == status and confirms(sim) == 1
    text = json.dumps(result)
    assert C.REQUESTED_TOKEN not in text and "Invalid token" in result["msg"] and "********" in result["failure"]["message"]


def test_server_error_after_apply_is_resolved_by_reading_the_state(sim, api_args):
    sim.add_fault(CONFIRM, status=502, after_apply=True, body=json.dumps({"message": "Bad gateway"}))
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["changed"] and not result["failed"] and result["termination"]["status"] == "terminating"
    assert result["writes"][0]["outcome"] == "unknown" and "unknown" in json.dumps(result["warnings"])


def test_server_error_not_applied_is_outcome_unknown_not_a_token_refusal(sim, api_args):
    sim.add_fault(CONFIRM, status=500, body=json.dumps({"message": "Internal error"}))
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and result["failure"]["status"] == 500 and result["changed"]
    assert "unknown" in result["msg"] and "token is wrong" not in result["msg"]
    assert result["writes"][0]["outcome"] == "unknown" and not sim.service(C.REQUESTED).removing


def test_given_token_without_any_request_or_email_is_sent_and_ovhcloud_judges(sim, api_args):
    # No e-mail and no request record: the history proves nothing, so the token is sent (issue 8); a wrong one is refused
    predicted = confirm(sim, api_args, check_mode=True, service_name=C.HEALTHY, token="SomeToken0000000000000000000001")
    assert predicted["changed"] and not predicted["failed"] and "Would confirm" in predicted["msg"] and confirms(sim) == 0
    result = confirm(sim, api_args, service_name=C.HEALTHY, token="SomeToken0000000000000000000001")
    assert result["failed"] and result["failure"]["status"] == 400 and "refused the token given" in result["msg"]
    assert confirms(sim) == 1 and result["termination"]["status"] == "active"
    without = confirm(sim, api_args, service_name=C.HEALTHY)
    assert without["failed"] and without["failure"]["error_code"] == "NO_REQUEST" and confirms(sim) == 1


@pytest.mark.parametrize("delete_record", [False, True])
def test_given_token_after_the_wait_with_no_email_is_sent(sim_factory, api_args, tmp_path, delete_record):
    # The e-mail carries a link form the collection does not know (or goes to another mailbox): after the e-mail wait
    # the request reads overdue, yet the token copied by hand is sent and confirms (issue 8, "no_request" before).
    sim = sim_factory(email_link_form="unknown")
    requested = request(sim, api_args, service_name=C.HEALTHY)
    assert requested["changed"] and requested["termination"]["status"] == "request_pending"
    sim.clock.advance(2460)
    if delete_record:
        for path in (tmp_path / "mbm_state").rglob("*.json"):
            path.unlink()
    without = confirm(sim, api_args, service_name=C.HEALTHY)
    # with the record gone, /services' terminate pending action still says a request is pending (no e-mail yet)
    expected = "NO_EMAIL" if delete_record else "NO_REQUEST"
    assert without["failed"] and without["failure"]["error_code"] == expected and confirms(sim) == 0
    token = [m for m in sim.emails() if m.get("serviceName") == C.HEALTHY][-1]["token"]
    result = confirm(sim, api_args, service_name=C.HEALTHY, token=token)
    assert result["changed"] and not result["failed"] and result["termination"]["status"] == "terminating"
    assert confirms(sim) == 1 and sim.calls()["POST /dedicatedCloud/{serviceName}/terminate"] == 1
    assert "could not be checked" in json.dumps(result.get("warnings"))


def test_given_token_of_another_service_is_refused(sim, api_args):
    request(sim, api_args, service_name=C.FR_TEXT)
    other = [m for m in sim.emails() if m.get("serviceName") == C.FR_TEXT][-1]["token"]
    result = confirm(sim, api_args, service_name=C.REQUESTED, token=other)
    assert result["failed"] and "another service" in result["msg"] and C.FR_TEXT in result["msg"] and confirms(sim) == 0
    assert result["failure"]["error_code"] == "TOKEN"


@pytest.mark.parametrize("form", ["managedBaremetal", "billing"])
def test_given_token_of_another_service_is_refused_even_with_no_email_of_this_one(sim_factory, api_args, form):
    # issue 9 item 7: with no e-mail for this service, the foreign token used to be sent with a warning only.
    # HEALTHY (pcc-145-239-10-1) is also a prefix of REQUESTED (pcc-145-239-10-13): the decoy must not match.
    sim = sim_factory(email_link_form=form)
    foreign = C.REQUESTED_TOKEN  # carried by e-mail 1003 for pcc-145-239-10-13
    sim.patch_service(C.FR_TEXT, emailLinkForm=form)
    request(sim, api_args, service_name=C.FR_TEXT)
    for token in (foreign, [m for m in sim.emails() if m.get("serviceName") == C.FR_TEXT][-1]["token"]):
        result = confirm(sim, api_args, service_name=C.HEALTHY, token=token)
        assert result["failed"] and "another service" in result["msg"] and result["failure"]["error_code"] == "TOKEN"
    assert confirms(sim) == 0


def test_email_with_two_links_for_the_service_is_never_used_alone(sim, api_args):
    body = (
        "<a href=\"https://www.ovh.com/manager/#/billing/confirmTerminate?id=1013&amp;token=FirstToken00000000000000000001\">a</a> "
        "<a href=\"https://www.ovh.com/manager/#/billing/confirmTerminate?id=1013&amp;token=OtherToken00000000000000000002\">b</a>"
    )
    sim.add_email(subject="Deleting your Managed Bare Metal", body=body)
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and "two different" in result["msg"] and result["failure"]["error_code"] == "TOKEN"
    assert confirms(sim) == 0
    # the older, superseded e-mail's token is not used either
    stale = confirm(sim, api_args, service_name=C.REQUESTED, token=C.REQUESTED_TOKEN)
    assert stale["failed"] and "replaced" in stale["msg"] and confirms(sim) == 0


def test_check_mode_validates_the_token_and_writes_nothing(sim, api_args, tmp_path):
    result = confirm(sim, api_args, check_mode=True, service_name=C.REQUESTED, token=C.REQUESTED_TOKEN)
    assert result["changed"] and "e-mail 1003" in result["msg"] and "first carried it" in result["msg"] and result["writes"] == []
    request(sim, api_args, check_mode=True, service_name=C.FR_TEXT)
    bad = confirm(sim, api_args, check_mode=True, service_name=C.REQUESTED, token="ExpiredToken00000000000000001014")
    assert bad["failed"] and "another service" in bad["msg"]
    assert confirms(sim) == 0 and not [r for r in sim.calls() if not r.startswith("GET ")]
    assert not (tmp_path / "mbm_state" / "termination").exists()


def test_link_replaced_by_a_request_whose_email_never_came_is_never_used(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=100000)
    assert request(sim, api_args, service_name=C.REQUESTED, force_new_request=True)["termination"]["status"] == "request_pending"
    pending = confirm(sim, api_args, service_name=C.REQUESTED)
    assert pending["failed"] and pending["failure"]["error_code"] == "NO_EMAIL"
    sim.clock.advance(2460)  # past the e-mail wait; the older e-mail (1003) is still younger than 72 h
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and result["termination"]["status"] == "token_expired" and result["termination"]["request_overdue"]
    assert confirms(sim) == 0
    # By hand, the older link's token is not disproved by any newer e-mail: it is sent, and OVHcloud (which replaced
    # it with the new request) refuses it as a token problem.
    given = confirm(sim, api_args, service_name=C.REQUESTED, token=C.REQUESTED_TOKEN)
    assert given["failed"] and "refused the token given" in given["msg"] and given["termination"]["status"] == "token_expired"
    assert confirms(sim) == 1
    stuck = request(sim, api_args, service_name=C.REQUESTED)
    assert stuck["failed"] and stuck["failure"]["error_code"] == "OUTCOME_UNKNOWN"


def test_non_mbm_is_refused_unless_allowed(sim, api_args):
    request(sim, api_args, service_name=C.EPCC, allow_non_mbm=True)
    refused = confirm(sim, api_args, service_name=C.EPCC)
    assert refused["failed"] and refused["failure"]["error_code"] == "NOT_MBM" and "EPCC" in refused["msg"] and confirms(sim) == 0
    predicted = confirm(sim, api_args, check_mode=True, service_name=C.EPCC)
    assert predicted["failed"] and confirms(sim) == 0
    allowed = confirm(sim, api_args, service_name=C.EPCC, allow_non_mbm=True)
    assert allowed["changed"] and allowed["termination"]["status"] == "terminating" and confirms(sim) == 1
