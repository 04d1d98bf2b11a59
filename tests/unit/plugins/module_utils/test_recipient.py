# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who receives the termination e-mail, and the status of a request whose e-mail this key cannot read (_recipient)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _recipient, _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import HOUR, NOW, entry, facts, mail_at, record

VISIBLE = {"admin_contact": "ab12345-ovh", "account": "ab12345-ovh", "visible": True}
HIDDEN = {"admin_contact": "xy999-ovh", "account": "ab12345-ovh", "visible": False}
UNKNOWN = {"admin_contact": "xy999-ovh", "account": None, "visible": None}


class MeClient:
    def __init__(self, answer):
        self.answer = answer
        self.calls = 0

    def get(self, template, **params):
        assert template == routes.ME
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_me_is_read_once_per_client():
    client = MeClient({"nichandle": "ab12345-ovh"})
    assert _recipient.read_account(client) == {"nichandle": "ab12345-ovh", "error": None}
    assert _recipient.read_account(client)["nichandle"] == "ab12345-ovh" and client.calls == 1
    other = MeClient({"nichandle": "cd67890-ovh"})
    assert _recipient.read_account(other)["nichandle"] == "cd67890-ovh" and other.calls == 1


@pytest.mark.parametrize("answer", [OvhApiError("not granted", status=403, error_code="NOT_GRANTED_CALL"), {"nichandle": ""}, ["x"]])
def test_an_unreadable_me_is_not_fatal(answer):
    account = _recipient.read_account(MeClient(answer))
    assert account["nichandle"] is None and account["error"]
    assert _recipient.email_recipient({"contactAdmin": "ab12345-ovh"}, account)["visible"] is None


@pytest.mark.parametrize(
    "infos, nic, visible",
    [
        ({"contactAdmin": "ab12345-ovh"}, "ab12345-ovh", True),
        ({"contactAdmin": "AB12345-OVH "}, "ab12345-ovh", True),
        ({"contactAdmin": "xy999-ovh"}, "ab12345-ovh", False),
        ({}, "ab12345-ovh", None),
        (None, "ab12345-ovh", None),
        ({"contactAdmin": "xy999-ovh"}, None, None),
    ],
)
def test_email_recipient(infos, nic, visible):
    recipient = _recipient.email_recipient(infos, {"nichandle": nic})
    assert recipient["visible"] is visible and recipient["account"] == nic


def adjust(recipient, **kw):
    settings_lookback = kw.pop("lookback_hours", 96)
    service_entry = kw.pop("service", entry())
    now = kw.pop("now", NOW)
    the_facts = facts(service=service_entry, **kw)
    decision = _status.decide_status(the_facts, now, lookback_hours=settings_lookback)
    return _recipient.adjust_decision(decision, the_facts["record"], recipient, service_entry, now, settings_lookback, "pcc-1")


@pytest.mark.parametrize("recipient", [HIDDEN, UNKNOWN])
@pytest.mark.parametrize("age_hours", [0.1, 1.0, 50.0])
def test_a_request_whose_email_goes_elsewhere_reads_requested_with_a_hand_token(recipient, age_hours):
    # issue 8: token expiry = request time + 72 h, no e-mail id, never overdue
    out = adjust(recipient, record=record(request_age_hours=age_hours))
    sent_at = NOW - age_hours * HOUR
    assert out["status"] == "termination_requested" and out["awaiting_token"] is True
    assert out["token_expires_at"] == sent_at + 72 * HOUR and out["requested_at"] == sent_at
    assert out["email_id"] is None and out["email"] is None and out["request_overdue"] is False
    assert "given by hand" in out["reason"]


def test_the_same_request_with_a_visible_email_is_pending_then_overdue():
    assert adjust(VISIBLE, record=record(request_age_hours=0.1))["status"] == "request_pending"
    late = adjust(VISIBLE, record=record(request_age_hours=1.0))
    assert late["status"] == "active" and late["request_overdue"] is True and late["awaiting_token"] is False


def test_a_hand_token_request_lapses_after_72_hours():
    out = adjust(HIDDEN, record=record(request_age_hours=73.0))
    assert out["status"] == "token_expired" and out["request_overdue"] is False and out["awaiting_token"] is False
    assert out["token_expires_at"] == NOW - 1 * HOUR


def test_a_refused_request_is_no_request():
    assert adjust(HIDDEN, record=record(request_age_hours=0.1, outcome="refused"))["status"] == "active"


def test_an_email_that_does_arrive_still_wins():
    # the admin contact reads as another NIC, yet the e-mail is in this history: the token is picked from it
    out = adjust(HIDDEN, record=record(request_age_hours=1.0), emails=[mail_at(0.9)])
    assert out["status"] == "termination_requested" and out["email_id"] == 50 and out["awaiting_token"] is False


def _pending(actions, state="active"):
    service_entry = entry(state)
    service_entry["billing"]["lifecycle"]["current"]["pendingActions"] = actions
    return service_entry


@pytest.mark.parametrize("recipient, awaiting", [(VISIBLE, False), (HIDDEN, True)])
def test_a_terminate_pending_action_without_a_record_is_a_pending_request(recipient, awaiting):
    # issue 9: AWX job, another controller, a wiped home: no second terminate
    out = adjust(recipient, service=_pending(["terminate"]))
    assert out["status"] == "request_pending" and out["pending_source"] == "pending_actions" and out["awaiting_token"] is awaiting
    assert out["requested_at"] is None and out["request_overdue"] is False
    # after an expired e-mail too (a newer request made elsewhere)
    assert adjust(recipient, service=_pending(["terminate"]), emails=[mail_at(80)])["status"] == "request_pending"


@pytest.mark.parametrize("actions", [[], ["earlyRenewal"], ["terminateAtExpirationDate"], ["terminateAtEngagementDate"]])
def test_other_pending_actions_are_not_a_request(actions):
    assert adjust(VISIBLE, service=_pending(actions))["status"] == "active"


def test_a_pending_action_never_means_terminating():
    for status in ("active", "request_pending", "termination_requested"):
        out = adjust(VISIBLE, service=_pending(["terminate"]), emails=[mail_at(1)] if status == "termination_requested" else [])
        assert out["status"] != "terminating"
    # the local record rules when there is one
    out = adjust(VISIBLE, service=_pending(["terminate"]), record=record(request_age_hours=1.0))
    assert out["status"] == "active" and out["request_overdue"] is True and out["pending_source"] is None


def test_the_hand_token_warning_names_the_contact_and_the_option():
    out = adjust(HIDDEN, record=record(request_age_hours=1.0))
    text = _recipient.hand_token_warning("pcc-1", HIDDEN, out)
    assert "xy999-ovh" in text and "ab12345-ovh" in text and "token option" in text and "decommission_token" in text
    assert _time.format_time(out["token_expires_at"]) in text
