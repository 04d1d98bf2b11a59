# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 8 (admin contact) and issue 9 (records, pendingActions) end to end, in-process against the simulator:
the e-mail goes to another NIC, records keyed by the account, a request known only from /services."""

from __future__ import annotations

import copy
import json

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _records, _time
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_info, mbm_termination_cancel, mbm_termination_confirm, mbm_termination_request
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.simulator.model import load_fixture
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

TERMINATE = "POST /dedicatedCloud/{serviceName}/terminate"
CONFIRM = "POST /dedicatedCloud/{serviceName}/confirmTermination"
ME = "GET /me"
OPEN = {"request_from_day": 1, "confirm_from_day": 1}
CONTACT = "xy999-ovh"


def _run(module, sim, api_args, check_mode=False, consumer_key=C.CK_FULL, **options):
    args = api_args(sim, consumer_key=consumer_key)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access  # in-process runs share them
    result = run_module(module, args, check_mode=check_mode, diff=True)
    text = json.dumps(result)
    for mail in sim.emails() + sim.mailbox(CONTACT):
        assert mail["token"] not in text if mail.get("token") else True, "a token leaked into the result"
        assert mail["body"] not in text
    assert "token_sha256" not in text
    return result


def request(sim, api_args, **options):
    return _run(mbm_termination_request, sim, api_args, **dict(OPEN, **options))


def confirm(sim, api_args, **options):
    return _run(mbm_termination_confirm, sim, api_args, **dict(OPEN, **options))


def info(sim, api_args, **options):
    return _run(mbm_info, sim, api_args, **options)


def calls(sim, key):
    return sim.calls().get(key, 0)


def hand_over(sim, name):
    sim.patch_service(name, serviceInfos={"contactAdmin": CONTACT})


def test_info_says_where_the_email_goes(sim, api_args):
    hand_over(sim, C.FR_TEXT)
    ours = info(sim, api_args, service_name=C.HEALTHY)["termination"]
    assert ours["email_recipient"] == {"admin_contact": C.NIC, "account": C.NIC, "visible": True}
    assert ours["awaiting_token"] is False and ours["retry_after_unknown"] is None
    listed = {entry["service_name"]: entry for entry in info(sim, api_args)["services"]}
    assert listed[C.FR_TEXT]["termination"]["email_recipient"] == {"admin_contact": CONTACT, "account": C.NIC, "visible": False}
    assert calls(sim, ME) == 2  # once per run, not once per service


def test_another_nics_email_is_not_waited_for_and_the_token_comes_by_hand(sim, api_args):
    hand_over(sim, C.HEALTHY)
    started = sim.clock.now()
    first = request(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_timeout=600, wait_delay=1)
    assert first["changed"] and not first["failed"] and calls(sim, TERMINATE) == 1
    term = first["termination"]
    assert term["status"] == "termination_requested" and term["awaiting_token"] is True and term["email_id"] is None
    assert term["email_recipient"] == {"admin_contact": CONTACT, "account": C.NIC, "visible": False}
    assert term["request_overdue"] is False
    expires = _time.parse_api_time(term["token_expires_at"]) - _time.parse_api_time(term["requested_at"])
    assert expires == 72 * 3600
    warning = json.dumps(first["warnings"])
    assert CONTACT in warning and "token option" in warning and "decommission_token" in warning
    assert sim.clock.now() - started < 60  # no e-mail wait
    # the e-mail went to the admin contact's mailbox, not to the account's history
    mailbox = sim.mailbox(CONTACT)
    assert len(mailbox) == 1 and mailbox[0]["serviceName"] == C.HEALTHY
    assert not [mail for mail in sim.emails() if mail.get("serviceName") == C.HEALTHY and mail.get("account") == C.NIC]

    # an hour later: still requested (never overdue), no second terminate
    sim.clock.advance(3600)
    again = request(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_timeout=600, wait_delay=1)
    assert not again["changed"] and again["termination"]["status"] == "termination_requested" and calls(sim, TERMINATE) == 1
    assert CONTACT in json.dumps(again["warnings"])

    # no token given: nothing to pick, nothing sent, and the failure says which option to set
    none = confirm(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_timeout=600, wait_delay=1)
    assert none["failed"] and none["failure"]["error_code"] == "NO_EMAIL" and "token option" in none["msg"]
    assert calls(sim, CONFIRM) == 0

    done = confirm(sim, api_args, service_name=C.HEALTHY, token=mailbox[0]["token"])
    assert done["changed"] and not done["failed"] and done["termination"]["status"] == "terminating"
    assert calls(sim, TERMINATE) == 1 and calls(sim, CONFIRM) == 1


def test_a_hand_token_request_lapses_after_72_hours(sim, api_args):
    hand_over(sim, C.HEALTHY)
    request(sim, api_args, service_name=C.HEALTHY)
    sim.clock.advance(72 * 3600 + 60)
    lapsed = request(sim, api_args, service_name=C.HEALTHY, check_mode=True)
    assert lapsed["termination"]["status"] == "token_expired" and lapsed["changed"] and calls(sim, TERMINATE) == 1


def test_an_unreadable_me_is_treated_as_not_visible_and_the_records_fall_back(sim_factory, api_args):
    fixture = copy.deepcopy(load_fixture("unit"))
    fixture["accounts"][0]["consumerKeys"].append(
        {
            "consumerKey": "SimCkNoMe00000000000000000000001",
            "applicationKey": C.APPLICATION_KEY,
            "credentialId": 5098,
            "rules": [
                {"method": "GET", "path": "/dedicatedCloud*"},
                {"method": "GET", "path": "/services*"},
                {"method": "GET", "path": "/me/notification/email/history*"},
            ],
        }
    )
    sim = sim_factory(fixture)
    result = info(sim, api_args, consumer_key="SimCkNoMe00000000000000000000001", service_name=C.HEALTHY)
    assert result["termination"]["email_recipient"] == {"admin_contact": C.NIC, "account": None, "visible": None}
    assert "keyed by the endpoint and the credential" in json.dumps(result["warnings"])
    # the preflight of a write names the missing rule before anything is sent
    refused = request(sim, api_args, consumer_key="SimCkNoMe00000000000000000000001", service_name=C.HEALTHY)
    assert refused["failed"] and "GET /me" in refused["msg"] and calls(sim, TERMINATE) == 0


def test_an_upgrade_in_the_middle_of_the_email_wait_sends_no_second_terminate(sim_factory, api_args, tmp_path):
    # the request was recorded by the previous version (today's file name only); the e-mail is still on its way
    sim = sim_factory(email_delay_seconds=900)
    sim.set_options(pending_action_on_request="")  # the record alone must hold the line
    args = api_args(sim)
    old = _records.RequestRecords(args["state_dir"], sim.url, C.CK_FULL)
    sent = sim.clock.now() - 300
    old.update(
        C.HEALTHY,
        "request",
        service_id=C.SERVICE_IDS[C.HEALTHY],
        sent_at=_time.format_time(sent),
        outcome="accepted",
        query_id="EU.ext-1.before-upgrade",
        updated_at=_time.format_time(sent),
    )
    assert set(old.paths(C.HEALTHY)) == {old.legacy_path(C.HEALTHY)}
    result = request(sim, api_args, service_name=C.HEALTHY)
    assert not result["changed"] and result["termination"]["status"] == "request_pending" and calls(sim, TERMINATE) == 0
    assert result["termination"]["request_record"]["request"]["query_id"] == "EU.ext-1.before-upgrade"
    # and a new consumer key of the same account, after the upgrade, sees it through the account key
    confirm_result = confirm(sim, api_args, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.HEALTHY)
    assert confirm_result["failed"] and confirm_result["failure"]["error_code"] == "NO_EMAIL" and calls(sim, CONFIRM) == 0


def test_a_request_made_elsewhere_is_known_from_pending_actions(sim, api_args, tmp_path):
    # issue 9: no local record at all (another controller, an AWX job, a wiped home)
    request(sim, api_args, service_name=C.DELAYED_EMAIL)  # the e-mail comes 900 s later
    assert calls(sim, TERMINATE) == 1
    wiped = str(tmp_path / "wiped-home")
    pending = request(sim, api_args, service_name=C.DELAYED_EMAIL, state_dir=wiped)
    assert not pending["changed"] and not pending["failed"] and calls(sim, TERMINATE) == 1
    assert pending["termination"]["status"] == "request_pending" and pending["termination"]["request_record"] is None
    assert "pending action" in pending["termination"]["reason"] and "force_new_request" in pending["msg"]
    forced = request(sim, api_args, service_name=C.DELAYED_EMAIL, state_dir=wiped, force_new_request=True)
    assert forced["changed"] and calls(sim, TERMINATE) == 2


def test_a_recorded_hand_token_request_accepts_a_given_token(sim, api_args):
    # issue 8: a record-only termination_requested (e-mail to another NIC, none in this history) takes the token given
    hand_over(sim, C.HEALTHY)
    request(sim, api_args, service_name=C.HEALTHY)
    token = sim.mailbox(CONTACT)[0]["token"]
    check = confirm(sim, api_args, service_name=C.HEALTHY, token=token, check_mode=True)
    assert check["changed"] and not check["failed"] and calls(sim, CONFIRM) == 0
    assert check["termination"]["status"] == "termination_requested" and check["termination"]["email_id"] is None
    done = confirm(sim, api_args, service_name=C.HEALTHY, token=token)
    assert done["changed"] and calls(sim, CONFIRM) == 1
    assert done["termination"]["request_record"]["confirm"]["email_id"] is None


def test_cancel_of_a_hand_token_request_needs_no_call(sim, api_args):
    hand_over(sim, C.HEALTHY)
    request(sim, api_args, service_name=C.HEALTHY)
    result = _run(mbm_termination_cancel, sim, api_args, service_name=C.HEALTHY)
    assert not result["failed"] and not result["changed"] and "72 h after the request" in result["msg"]
    assert result["termination"]["awaiting_token"] is True and "None" not in result["msg"]
