# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The status precedence of decide_status (_status)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import HOUR, NOW, TOKEN, dc, decide, entry, infos, mail_at, record


def test_active():
    assert decide()["status"] == "active"


def test_terminated_on_404_with_deleted_record():
    out = decide(dedicated_cloud=None, dedicated_cloud_error=404, service_infos=None, service=entry("deleted", "2026-11-19T10:00:00+00:00"))
    assert out["status"] == "terminated"
    assert out["deletion_date"] == _time.parse_api_time("2026-11-19T10:00:00Z")


def test_terminated_on_460_with_deleted_record():
    assert decide(dedicated_cloud=None, dedicated_cloud_error=460, service=entry("deleted"))["status"] == "terminated"


def test_404_without_services_record_is_not_found():
    with pytest.raises(TerminationError) as err:
        decide(dedicated_cloud=None, dedicated_cloud_error=404, service_infos=None, service=None)
    assert err.value.kind == "not_found" and "typo" in err.value.msg


def test_404_with_a_live_record_fails_closed():
    with pytest.raises(TerminationError) as err:
        decide(dedicated_cloud=None, dedicated_cloud_error=404, service=entry("active"))
    assert err.value.kind == "not_found"


def test_460_without_deleted_is_expired():
    with pytest.raises(TerminationError) as err:
        decide(dedicated_cloud=None, dedicated_cloud_error=460, service=entry("suspended"))
    assert err.value.kind == "expired" and "suspended" in err.value.msg


@pytest.mark.parametrize("state", sorted(_status.REMOVAL_STATES))
def test_removal_states_are_terminating(state):
    assert decide(dedicated_cloud=dc(state), emails=[mail_at(1)])["status"] == "terminating"


def test_services_to_delete_is_terminating():
    assert decide(service=entry("toDelete"))["status"] == "terminating"


def test_pending_action_alone_is_not_terminating():
    svc = entry()
    svc["billing"]["lifecycle"]["current"]["pendingActions"] = ["terminate"]
    assert decide(service=svc)["status"] == "active"


def test_accepted_confirmation_in_the_record_is_terminating():
    rec = record(2, confirm={"sent_at": _time.format_time(NOW - 60), "outcome": "accepted", "query_id": "QC", "email_id": 50})
    out = decide(emails=[mail_at(1)], record=rec)
    assert out["status"] == "terminating" and "QC" in str(out["reason"])


def test_stale_accepted_confirmation_is_ignored():
    rec = {"confirm": {"sent_at": _time.format_time(NOW - 200 * HOUR), "outcome": "accepted"}}
    assert decide(record=rec)["status"] == "active"


@pytest.mark.parametrize("state", sorted(_status.BUSY_STATES))
def test_busy_states_fail_closed(state):
    with pytest.raises(TerminationError) as err:
        decide(dedicated_cloud=dc(state), emails=[mail_at(1)])
    assert err.value.kind == "busy" and state in err.value.msg


def test_unknown_state_fails_closed():
    with pytest.raises(TerminationError) as err:
        decide(dedicated_cloud=dc("somethingNew"))
    assert err.value.kind == "busy"


def test_valid_email_is_termination_requested():
    out = decide(emails=[mail_at(2)])
    assert out["status"] == "termination_requested"
    assert out["token_expires_at"] == NOW + 70 * HOUR
    assert out["requested_at"] == NOW - 2 * HOUR and out["email_id"] == 50
    assert out["email"].token_matches(TOKEN)


def test_requested_wins_over_scheduled():
    assert decide(emails=[mail_at(2)], service_infos=infos(True))["status"] == "termination_requested"


def test_email_just_past_72h_is_token_expired():
    out = decide(emails=[mail_at(72.01)])
    assert out["status"] == "token_expired" and out["email"] is None


def test_only_the_newest_email_counts():
    assert decide(emails=[mail_at(80, 51), mail_at(2, 50)])["status"] == "token_expired"


def test_fresh_request_without_email_is_pending():
    out = decide(record=record(0.2))
    assert out["status"] == "request_pending" and out["requested_at"] == NOW - 0.2 * HOUR


def test_request_recorded_a_second_ahead_of_the_api_clock_is_pending():
    # the API clock is read with whole-second offsets: a record may be a little "in the future"
    assert decide(record=record(-1 / HOUR))["status"] == "request_pending"


def test_request_recorded_far_ahead_of_the_api_clock_still_blocks():
    # clocks that moved must never turn a recorded terminate into "no request" (a second one could go out)
    assert decide(record=record(-2))["status"] == "request_pending"


def test_lost_request_is_pending_too():
    assert decide(record=record(0.2, outcome="unknown"))["status"] == "request_pending"
    assert decide(record=record(0.2, outcome="sending"))["status"] == "request_pending"


def test_refused_request_is_not_pending():
    assert decide(record=record(0.2, outcome="refused"))["status"] == "active"


def test_new_request_supersedes_an_older_valid_email():
    assert decide(emails=[mail_at(5)], record=record(0.1))["status"] == "request_pending"


def test_email_a_little_before_a_new_request_does_not_answer_it():
    assert decide(emails=[mail_at(30 / HOUR)], record=record(10 / HOUR))["status"] == "request_pending"


def test_email_after_the_request_answers_it():
    assert decide(emails=[mail_at(0.05)], record=record(0.1))["status"] == "termination_requested"


def test_pending_wins_over_scheduled_and_expired():
    assert decide(emails=[mail_at(80)], service_infos=infos(True), record=record(0.1))["status"] == "request_pending"


def test_request_without_email_past_the_wait_is_overdue():
    out = decide(record=record(1))
    assert out["status"] == "active" and out["request_overdue"] is True
    out = decide(record=record(1), emails=[mail_at(80)])
    assert out["status"] == "token_expired" and out["request_overdue"] is True


@pytest.mark.parametrize("outcome", ["accepted", "unknown", "sending"])
def test_email_superseded_by_a_request_whose_email_never_came_is_not_used(outcome):
    # the terminate replaced (or may have replaced) the older link: never offer it for a confirmation
    out = decide(emails=[mail_at(5)], record=record(1, outcome=outcome))
    assert out["status"] == "token_expired" and out["email"] is None and out["request_overdue"] is True
    assert "replaced" in str(out["reason"])


def test_request_older_than_the_lookback_is_forgotten():
    assert decide(record=record(100))["request_overdue"] is False


def test_scheduled_reports_expiration():
    out = decide(service_infos=infos(True, "2026-11-30"))
    assert out["status"] == "termination_scheduled" and out["deletion_date"] == _time.parse_api_time("2026-11-30")


def test_scheduled_wins_over_expired_token():
    assert decide(service_infos=infos(True), emails=[mail_at(80)])["status"] == "termination_scheduled"
