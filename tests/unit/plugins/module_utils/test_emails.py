# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Termination e-mails: confirmation links, parsing, the history scanner (_emails)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _emails, _links, _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import HOUR, NOW, OTHER_TOKEN, TOKEN, email, facts, link


def test_link_in_text_body():
    body = "Please follow the link below within 72 hours:\n%s\n\nKind regards" % link(1001, TOKEN)
    assert _links.find_confirmation_links(body) == [(1001, TOKEN)]


def test_link_in_html_body_with_amp_entity_and_other_host():
    url = link(1001, TOKEN, host="ca.ovh.com", amp="&amp;")
    body = '<p><a href="%s">%s</a></p>' % (url, url)
    assert _links.find_confirmation_links(body) == [(1001, TOKEN)]


def test_numeric_amp_entity_is_decoded():
    assert _links.find_confirmation_links(link(7, TOKEN, amp="&#38;")) == [(7, TOKEN)]


def test_cancel_link_is_never_a_confirmation_link():
    cancel = "https://www.ovh.com/fr/support/resiliation/?action=cancel&amp;t=%s&amp;n=ab12345-ovh" % OTHER_TOKEN
    body = '<p>Cancel: <a href="%s">%s</a></p><p>Confirm: <a href="%s">x</a></p>' % (cancel, cancel, link(1003, TOKEN, amp="&amp;"))
    assert _links.find_confirmation_links(body) == [(1003, TOKEN)]


def test_cancel_link_carrying_confirmation_parameters_is_ignored():
    trap = "https://www.ovh.com/fr/support/resiliation/?action=cancel&redirect=/billing/confirmTerminate?id=1003&token=%s" % OTHER_TOKEN
    assert _links.find_confirmation_links(trap) == []


@pytest.mark.parametrize(
    "body",
    [
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001",
        "https://www.ovh.com/manager/#/billing/confirmTerminate?token=%s" % TOKEN,
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=abc&token=%s" % TOKEN,
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001&token=short",
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001&id=1002&token=%s" % TOKEN,
        "https://www.ovh.com/manager/#/billing/somethingElse?id=1001&token=%s" % TOKEN,
        "",
        None,
    ],
)
def test_incomplete_or_foreign_links_are_ignored(body):
    assert _links.find_confirmation_links(body) == []


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
    assert parsed.ambiguous and parsed.fingerprint is None
    assert parsed.token_matches(TOKEN) and parsed.token_matches(OTHER_TOKEN) and not parsed.token_matches(None)


def test_an_ambiguous_newest_email_still_supersedes_older_ones():
    # Dropping the unreadable newer e-mail would make the older (superseded) token look valid.
    body = "%s %s" % (link(1001, TOKEN), link(1001, OTHER_TOKEN))
    mails = [email(3, link(1001, "OlderToken0123456789")), email(9, body)]
    found = _emails.termination_emails(mails, 1001)
    assert [e.email_id for e in found] == [9, 3] and found[0].ambiguous
    out = _status.decide_status(facts(emails=found), NOW)
    assert out["status"] == "termination_requested" and out["email"].email_id == 9 and out["email"].fingerprint is None


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


def test_scanner_reads_by_id_past_old_dated_emails_up_to_the_limit():
    mails = [email(i, "x", date=_time.format_time(NOW - (10 - i) * 24 * HOUR)) for i in range(1, 11)]
    client = ListClient(mails)
    scanner = _emails.EmailScanner(client, lookback_hours=96, scan_limit=500)
    found = scanner.scan(NOW)
    assert [m["id"] for m in found] == list(range(10, 0, -1))  # every id, newest first: dates never stop the scan
    assert scanner.newest_id == 10
    assert scanner.scan_info() == {"read": 10, "limit": 500, "listed": 10, "complete": True, "oldest_date": "2026-11-11T10:00:00Z"}
    limited = _emails.EmailScanner(ListClient(mails), lookback_hours=96, scan_limit=3)
    assert [m["id"] for m in limited.scan(NOW)] == [10, 9, 8]
    assert limited.scan_info()["complete"] is False and limited.scan_info()["read"] == 3  # 0 to 2 days old: window not covered
    covered = _emails.EmailScanner(ListClient(mails), lookback_hours=96, scan_limit=6)
    covered.scan(NOW)
    assert covered.scan_info()["complete"] is True  # the 5-day-old e-mail 5 reaches past the window


def test_scanner_rescan_reads_only_new_emails():
    client = ListClient([email(1, "x", date=_time.format_time(NOW - HOUR))])
    scanner = _emails.EmailScanner(client)
    scanner.scan(NOW)
    client.mails[2] = email(2, link(1001, TOKEN), date=_time.format_time(NOW))
    found = scanner.scan(NOW)
    assert [m["id"] for m in found] == [2, 1]
    assert [eid for tpl, eid in client.gets if tpl == routes.EMAIL] == [1, 2]


def test_scanner_skips_ids_that_are_not_ascii_numbers():
    client = ListClient([email(1, "x", date=_time.format_time(NOW - HOUR))])
    original = client.get

    def get(template, **params):
        if template == routes.EMAILS:
            return [1, "1\u00b2", True, None, "x"]
        return original(template, **params)

    client.get = get
    assert [m["id"] for m in _emails.EmailScanner(client).scan(NOW)] == [1]
