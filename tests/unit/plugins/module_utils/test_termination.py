# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions of the termination rooms (_time, _emails, _status, _billing, _access, _records, _state): dates,
e-mail links, status precedence, billing window, access rules, records."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _access, _billing, _emails, _records, _state, _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError

NOW = _time.parse_api_time("2026-11-20T10:00:00Z")
HOUR = 3600.0
TOKEN = "AbCdEf0123456789AbCdEf0123456789"
OTHER_TOKEN = "ZyXwVu9876543210ZyXwVu9876543210"


def link(service_id, token, host="www.ovh.com", amp="&"):
    return "https://%s/manager/#/billing/confirmTerminate?id=%s%stoken=%s" % (host, service_id, amp, token)


def email(email_id, body, date="2026-11-20T08:00:00+00:00", subject="Deleting your Managed Bare Metal"):
    return {"id": email_id, "date": date, "subject": subject, "body": body}


# --- time ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026-11-20T10:00:00Z", NOW),
    ("2026-11-20T10:00:00+00:00", NOW),
    ("2026-11-20T11:00:00+01:00", NOW),
    ("2026-11-20T05:00:00-0500", NOW),
    ("2026-11-20T12:00:00+02", NOW),
    ("2026-11-20T00:30:00-09:30", NOW),
    ("2026-11-21T01:00:00+15:00", NOW),
    ("2026-11-20T10:00:00z", NOW),
    ("2026-11-20T10:00:00.250Z", NOW + 0.25),
    ("2026-11-20T10:00:00", NOW),
    ("2026-11-20", NOW - 10 * HOUR),
])
def test_parse_api_time_formats(text, expected):
    assert _time.parse_api_time(text) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-01", True, {}])
def test_parse_api_time_unreadable_is_none(value):
    assert _time.parse_api_time(value) is None


def test_format_time_is_utc_with_z():
    assert _time.format_time(NOW + 0.9) == "2026-11-20T10:00:00Z"
    assert _time.format_time(None) is None


# --- e-mail links ----------------------------------------------------------------------------------------

def test_link_in_text_body():
    body = "Please follow the link below within 72 hours:\n%s\n\nKind regards" % link(1001, TOKEN)
    assert _emails.find_confirmation_links(body) == [(1001, TOKEN)]


def test_link_in_html_body_with_amp_entity_and_other_host():
    url = link(1001, TOKEN, host="ca.ovh.com", amp="&amp;")
    body = '<p><a href="%s">%s</a></p>' % (url, url)
    assert _emails.find_confirmation_links(body) == [(1001, TOKEN)]


def test_numeric_amp_entity_is_decoded():
    assert _emails.find_confirmation_links(link(7, TOKEN, amp="&#38;")) == [(7, TOKEN)]


def test_cancel_link_is_never_a_confirmation_link():
    cancel = "https://www.ovh.com/fr/support/resiliation/?action=cancel&amp;t=%s&amp;n=ab12345-ovh" % OTHER_TOKEN
    body = '<p>Cancel: <a href="%s">%s</a></p><p>Confirm: <a href="%s">x</a></p>' % (cancel, cancel, link(1003, TOKEN, amp="&amp;"))
    assert _emails.find_confirmation_links(body) == [(1003, TOKEN)]


def test_cancel_link_carrying_confirmation_parameters_is_ignored():
    trap = "https://www.ovh.com/fr/support/resiliation/?action=cancel&redirect=/billing/confirmTerminate?id=1003&token=%s" % OTHER_TOKEN
    assert _emails.find_confirmation_links(trap) == []


@pytest.mark.parametrize("body", [
    "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001",
    "https://www.ovh.com/manager/#/billing/confirmTerminate?token=%s" % TOKEN,
    "https://www.ovh.com/manager/#/billing/confirmTerminate?id=abc&token=%s" % TOKEN,
    "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001&token=short",
    "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001&id=1002&token=%s" % TOKEN,
    "https://www.ovh.com/manager/#/billing/somethingElse?id=1001&token=%s" % TOKEN,
    "",
    None,
])
def test_incomplete_or_foreign_links_are_ignored(body):
    assert _emails.find_confirmation_links(body) == []


def test_parse_termination_email_needs_this_service_id():
    mail = email(5, "Confirm: %s" % link(2002, TOKEN))
    assert _emails.parse_termination_email(mail, 1001) is None
    parsed = _emails.parse_termination_email(mail, 2002)
    assert parsed.email_id == 5 and parsed.service_id == 2002
    assert parsed.token_matches(TOKEN) and not parsed.token_matches(OTHER_TOKEN)


def test_subject_alone_never_makes_a_termination_email():
    mail = email(6, "Your service will be deleted. No link here.", subject='Deleting your Managed Bare Metal "pcc-1"')
    assert _emails.parse_termination_email(mail, 1001) is None


def test_generic_subject_with_link_is_a_termination_email():
    mail = email(7, "Closure: " + link(1003, TOKEN), subject="Request for closure of services for the account ab12345-ovh")
    assert _emails.parse_termination_email(mail, 1003) is not None


def test_one_email_with_links_for_several_services():
    body = "%s %s" % (link(1001, TOKEN), link(1002, OTHER_TOKEN))
    assert _emails.parse_termination_email(email(8, body), 1001).token_matches(TOKEN)
    assert _emails.parse_termination_email(email(8, body), 1002).token_matches(OTHER_TOKEN)


def test_two_different_tokens_for_the_same_service_are_not_trusted():
    body = "%s %s" % (link(1001, TOKEN), link(1001, OTHER_TOKEN))
    parsed = _emails.parse_termination_email(email(9, body), 1001)
    assert parsed.ambiguous and parsed._token is None  # pylint: disable=protected-access
    assert parsed.token_matches(TOKEN) and parsed.token_matches(OTHER_TOKEN) and not parsed.token_matches(None)


def test_an_ambiguous_newest_email_still_supersedes_older_ones():
    # Dropping the unreadable newer e-mail would make the older (superseded) token look valid.
    body = "%s %s" % (link(1001, TOKEN), link(1001, OTHER_TOKEN))
    mails = [email(3, link(1001, "OlderToken0123456789")), email(9, body)]
    found = _emails.termination_emails(mails, 1001)
    assert [e.email_id for e in found] == [9, 3] and found[0].ambiguous
    out = _status.decide_status(facts(emails=found), NOW)
    assert out["status"] == "termination_requested" and out["email"].email_id == 9 and out["email"]._token is None  # pylint: disable=protected-access


def test_summary_and_repr_never_hold_the_token():
    parsed = _emails.parse_termination_email(email(10, link(1001, TOKEN)), 1001)
    assert parsed.summary() == {"id": 10, "date": "2026-11-20T08:00:00Z", "subject": "Deleting your Managed Bare Metal"}
    assert TOKEN not in repr(parsed) and TOKEN not in json.dumps(parsed.summary())
    assert parsed.token_expires == _time.parse_api_time("2026-11-23T08:00:00Z")


def test_termination_emails_newest_first():
    mails = [email(3, link(1001, TOKEN)), email(9, "nothing"), email(12, link(1001, OTHER_TOKEN)), email(4, link(1002, TOKEN))]
    assert [e.email_id for e in _emails.termination_emails(mails, 1001)] == [12, 3]


class ListClient:
    """A tiny client stand-in for EmailScanner: serves an e-mail history and counts GETs."""

    def __init__(self, mails):
        self.mails = {m["id"]: m for m in mails}
        self.gets = []

    def get(self, template, **params):  # params: path parameters and query
        self.gets.append((template, params.get("emailId")))
        if template == routes.EMAILS:
            return list(self.mails)
        return dict(self.mails[params["emailId"]])


def test_scanner_reads_newest_first_and_stops_past_lookback():
    mails = [email(i, "x", date=_time.format_time(NOW - (10 - i) * 24 * HOUR)) for i in range(1, 11)]
    client = ListClient(mails)
    scanner = _emails.EmailScanner(client, lookback_hours=96)
    found = scanner.scan(NOW)
    assert [m["id"] for m in found] == [10, 9, 8, 7, 6]  # 0 to 4 days old
    assert [eid for tpl, eid in client.gets if tpl == routes.EMAIL] == [10, 9, 8, 7, 6, 5]  # one past the lookback, then stop
    assert scanner.newest_id == 10


def test_scanner_rescan_reads_only_new_emails():
    client = ListClient([email(1, "x", date=_time.format_time(NOW - HOUR))])
    scanner = _emails.EmailScanner(client)
    scanner.scan(NOW)
    client.mails[2] = email(2, link(1001, TOKEN), date=_time.format_time(NOW))
    found = scanner.scan(NOW)
    assert [m["id"] for m in found] == [2, 1]
    assert [eid for tpl, eid in client.gets if tpl == routes.EMAIL] == [1, 2]


# --- status precedence -----------------------------------------------------------------------------------

def dc(state="delivered", ref="MBM"):
    return {"serviceName": "pcc-1", "state": state, "productReference": ref}


def infos(delete_at_expiration=False, expiration="2026-12-10"):
    return {"serviceId": 1001, "expiration": expiration, "renew": {"automatic": True, "deleteAtExpiration": delete_at_expiration}}


def entry(state="active", termination_date=None):
    return {"serviceId": 1001, "resource": {"name": "pcc-1", "state": state},
            "billing": {"lifecycle": {"current": {"state": "active", "pendingActions": [], "terminationDate": termination_date}}}}


def mail_at(age_hours, email_id=50, token=TOKEN):
    return _emails.TerminationEmail(email_id, NOW - age_hours * HOUR, "subject", 1001, token)


def facts(**kw):
    base = {"service_name": "pcc-1", "dedicated_cloud": dc(), "dedicated_cloud_error": None, "service_infos": infos(),
            "service": entry(), "emails": [], "record": {}}
    base.update(kw)
    return base


def decide(**kw):
    return _status.decide_status(facts(**kw), NOW)


def record(request_age_hours=None, outcome="accepted", confirm=None):
    rec = {}
    if request_age_hours is not None:
        rec["request"] = {"sent_at": _time.format_time(NOW - request_age_hours * HOUR), "outcome": outcome, "query_id": "Q1"}
    if confirm:
        rec["confirm"] = confirm
    return rec


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


# --- billing window --------------------------------------------------------------------------------------

def test_window_before_and_from_the_day():
    before = _billing.billing_window(_time.parse_api_time("2026-11-24T23:59:00Z"))
    assert (before["day_of_month"], before["days_left_in_month"], before["open"]) == (24, 6, False)
    after = _billing.billing_window(_time.parse_api_time("2026-11-25T00:00:00Z"))
    assert (after["day_of_month"], after["days_left_in_month"], after["open"]) == (25, 5, True)
    assert after["last_day_of_month"] == 30


def test_window_counts_the_day_in_the_timezone():
    moment = _time.parse_api_time("2026-11-24T23:30:00Z")
    assert _billing.billing_window(moment, "UTC")["day_of_month"] == 24
    paris = _billing.billing_window(moment, "Europe/Paris")
    assert paris["day_of_month"] == 25 and paris["open"] is True and paris["timezone"] == "Europe/Paris"


def test_from_day_past_a_short_month_means_its_last_day():
    feb = _billing.billing_window(_time.parse_api_time("2027-02-28T12:00:00Z"), from_day=31)
    assert feb["open"] is True and feb["days_left_in_month"] == 0
    assert _billing.billing_window(_time.parse_api_time("2027-02-27T12:00:00Z"), from_day=31)["open"] is False


@pytest.mark.parametrize("moment, zone, day, last_day, days_left", [
    ("2026-12-01T03:00:00Z", "America/New_York", 30, 30, 0),    # behind UTC: still the last day of November
    ("2026-11-30T12:00:00Z", "Pacific/Auckland", 1, 31, 30),    # ahead of UTC: already December
    ("2026-12-31T23:30:00Z", "Asia/Tokyo", 1, 31, 30),          # ahead: January of the next year
    ("2027-01-01T00:30:00Z", "America/Los_Angeles", 31, 31, 0),  # behind: still December of the previous year
    ("2028-02-29T12:00:00Z", "UTC", 29, 29, 0),                 # leap day
    ("2027-03-01T00:30:00Z", "Europe/Paris", 1, 31, 30),
    ("2027-02-28T23:30:00Z", "Europe/Paris", 1, 31, 30),         # 00:30 on March 1st in Paris
    ("2026-03-29T01:30:00Z", "Europe/Paris", 29, 31, 2),         # the night clocks go forward
])
def test_window_figures_at_month_ends_and_across_zones(moment, zone, day, last_day, days_left):
    window = _billing.billing_window(_time.parse_api_time(moment), zone, from_day=31)
    assert (window["day_of_month"], window["last_day_of_month"], window["days_left_in_month"]) == (day, last_day, days_left)
    assert window["open"] is (day == last_day)
    assert window["timezone"] == zone


@pytest.mark.parametrize("kwargs", [{"timezone": "Mars/Olympus"}, {"from_day": 0}, {"from_day": 32}, {"mode": "maybe"}])
def test_window_rejects_bad_options(kwargs):
    with pytest.raises(ValueError):
        _billing.billing_window(NOW, **kwargs)


def test_check_billing_window_modes():
    warnings = []
    closed = _billing.billing_window(NOW, mode="warn")
    _billing.check_billing_window(closed, warnings.append)
    assert len(warnings) == 1 and "day 20 of 30" in warnings[0]
    _billing.check_billing_window(_billing.billing_window(NOW, mode="ignore"), warnings.append)
    assert len(warnings) == 1
    with pytest.raises(TerminationError) as err:
        _billing.check_billing_window(_billing.billing_window(NOW, mode="refuse"), warnings.append)
    assert err.value.kind == "billing_window" and "Nothing was written" in err.value.msg
    _billing.check_billing_window(_billing.billing_window(NOW, from_day=1, mode="refuse"), warnings.append)  # open: silent
    assert len(warnings) == 1


def test_settings_validate_options_before_any_call():
    with pytest.raises(TerminationError) as err:
        _state.Settings(billing_timezone="Nowhere/City")
    assert err.value.kind == "invalid"
    with pytest.raises(TerminationError):
        _state.Settings(email_lookback_hours=24)
    with pytest.raises(TerminationError):
        _state.Settings(confirm_from_day=40)


# --- access rules ----------------------------------------------------------------------------------------

def test_rule_matching_with_wildcards():
    assert _access.rule_matches({"method": "GET", "path": "/dedicatedCloud*"}, "GET", "/dedicatedCloud/pcc-1/serviceInfos")
    assert _access.rule_matches({"method": "POST", "path": "/dedicatedCloud/*/terminate"}, "POST", "/dedicatedCloud/pcc-1/terminate")
    assert not _access.rule_matches({"method": "POST", "path": "/dedicatedCloud/*/terminate"}, "POST", "/dedicatedCloud/pcc-1/confirmTermination")
    assert not _access.rule_matches({"method": "GET", "path": "/dedicatedCloud*"}, "POST", "/dedicatedCloud/pcc-1/terminate")
    assert not _access.rule_matches({"method": "GET", "path": "/me"}, "GET", "/me/notification/email/history")


def test_missing_rules_are_named_as_design_lists_them():
    least = [{"method": "GET", "path": "/dedicatedCloud*"}, {"method": "GET", "path": "/services*"},
             {"method": "GET", "path": "/me/notification/email/history*"}, {"method": "POST", "path": "/dedicatedCloud/*/terminate"}]
    assert _access.missing_access_rules(least, _access.CALLS_BY_OPERATION["request"], "pcc-1") == []
    assert _access.missing_access_rules(least, _access.CALLS_BY_OPERATION["confirm"], "pcc-1") == ["POST /dedicatedCloud/*/confirmTermination"]
    read_only = [{"method": "GET", "path": "/*"}]
    assert _access.missing_access_rules(read_only, _access.CALLS_BY_OPERATION["cancel"], "pcc-1") == ["PUT /dedicatedCloud/*/serviceInfos"]
    assert _access.missing_access_rules([], _access.CALLS_BY_OPERATION["read"], "pcc-1") == [
        "GET /dedicatedCloud*", "GET /services*", "GET /me/notification/email/history*"]


def test_confirm_with_token_does_not_need_the_email_history():
    rules = [{"method": "GET", "path": "/dedicatedCloud*"}, {"method": "GET", "path": "/services*"},
             {"method": "POST", "path": "/dedicatedCloud/*/confirmTermination"}]
    assert _access.missing_access_rules(rules, _access.CALLS_BY_OPERATION["confirm_with_token"], "pcc-1") == []


# --- request records -------------------------------------------------------------------------------------

def test_records_are_private_atomic_and_hold_no_credential(tmp_path):
    records = _records.RequestRecords(str(tmp_path / "state"), "http://127.0.0.1:1/1.0", "SecretConsumerKey123")
    records.update("pcc-1", "request", service_id=1001, sent_at="2026-11-20T10:00:00Z", outcome="sending")
    records.update("pcc-1", "request", outcome="accepted", query_id="Q1")
    path = records.path("pcc-1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    text = open(path).read()
    assert "SecretConsumerKey123" not in text and "SecretConsumerKey123" not in path
    data = records.load("pcc-1")
    assert data["request"] == {"sent_at": "2026-11-20T10:00:00Z", "outcome": "accepted", "query_id": "Q1"}
    assert data["service_id"] == 1001
    assert [name for name in os.listdir(os.path.dirname(path)) if name.startswith(".tmp")] == []


def test_records_are_per_endpoint_credential_and_service(tmp_path):
    one = _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK1")
    paths = {one.path("pcc-1"), one.path("pcc-2"), _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK2").path("pcc-1"),
             _records.RequestRecords(str(tmp_path), "https://ca.api.ovh.com/1.0", "CK1").path("pcc-1")}
    assert len(paths) == 4


def test_missing_record_reads_as_none(tmp_path):
    assert _records.RequestRecords(str(tmp_path), "e", "c").load("pcc-1") == {}
    assert _records.RequestRecords(None, "e", "c").load("pcc-1") == {}


@pytest.mark.parametrize("content", ["{torn", "[]", ""])
def test_unreadable_record_fails_closed(tmp_path, content):
    # Reading a damaged record as "no record" could let a second terminate go out during the e-mail wait.
    records = _records.RequestRecords(str(tmp_path), "e", "c")
    os.makedirs(os.path.dirname(records.path("pcc-1")))
    with open(records.path("pcc-1"), "w") as handle:
        handle.write(content)
    with pytest.raises(TerminationError) as err:
        records.load("pcc-1")
    assert err.value.kind == "invalid" and "nothing was written" in err.value.msg
    with pytest.raises(TerminationError):
        records.update("pcc-1", "request", outcome="sending")


def test_records_refuse_to_write_without_a_state_dir():
    with pytest.raises(TerminationError) as err:
        _records.RequestRecords("", "e", "c").update("pcc-1", "request", outcome="sending")
    assert err.value.kind == "invalid" and "state_dir" in err.value.msg


def test_record_survives_a_kill_between_sending_and_the_answer(tmp_path):
    # A run killed after writing "sending" leaves a record that reads as a pending request, then as overdue.
    records = _records.RequestRecords(str(tmp_path), "e", "c")
    records.update("pcc-1", "request", sent_at=_time.format_time(NOW - 60), outcome="sending", query_id=None)
    fresh = _records.RequestRecords(str(tmp_path), "e", "c").load("pcc-1")
    assert _status.decide_status(facts(record=fresh), NOW)["status"] == "request_pending"
    later = _status.decide_status(facts(record=fresh), NOW + _status.EMAIL_WAIT_SECONDS)
    assert later["status"] == "active" and later["request_overdue"] is True


# --- reading /services strictly --------------------------------------------------------------------------

class StubClient:
    """Serves fixed answers per route template; ``OvhApiError`` instances are raised."""

    def __init__(self, answers):
        self.answers = answers

    def now(self):
        return NOW

    def get(self, template, **params):  # params: path parameters and query
        key = (template, params.get("serviceId"))
        answer = self.answers.get(key, self.answers.get((template, None)))
        if isinstance(answer, Exception):
            raise answer
        return answer


def _api_error(status):
    from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError  # pylint: disable=import-outside-toplevel
    return OvhApiError("gone", status=status, query_id="Q404", method="GET", path="/dedicatedCloud/pcc-1")


def test_a_look_alike_services_record_never_reads_as_terminated():
    # 404, and /services answers an id whose resource is another service: a typo must stay "not found"
    look_alike = entry("deleted")
    look_alike["resource"]["name"] = "pcc-10"
    client = StubClient({(routes.SERVICE, None): _api_error(404), (routes.SERVICES, None): [5], (routes.SERVICES_ITEM, 5): look_alike})
    with pytest.raises(TerminationError) as err:
        _state.read_termination_state(client, "pcc-1")
    assert err.value.kind == "not_found" and err.value.error.status == 404


def test_a_services_entry_of_another_service_id_is_ignored():
    # serviceInfos names 1001; an entry 5 (deleted) listed for the name is not this service's record
    other = entry("deleted")
    other["serviceId"] = 5
    client = StubClient({(routes.SERVICE, None): dc(), (routes.SERVICE_INFOS, None): infos(), (routes.SERVICES, None): [5],
                         (routes.SERVICES_ITEM, 5): other, (routes.EMAILS, None): []})
    state = _state.read_termination_state(client, "pcc-1")
    assert state.status == "active" and state.service is None


def test_404_with_this_services_deleted_record_is_terminated():
    client = StubClient({(routes.SERVICE, None): _api_error(404), (routes.SERVICES, None): [7, 1001], (routes.SERVICES_ITEM, 7): None,
                         (routes.SERVICES_ITEM, 1001): entry("deleted")})
    assert _state.read_termination_state(client, "pcc-1").status == "terminated"
