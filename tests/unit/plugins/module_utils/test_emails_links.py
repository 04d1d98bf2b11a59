# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Termination e-mails (issue 8 "Links", issue 9 items 4, 6, 8): every link form, look-alike names, escapes, quotes,
the scan by id decided by date, the first e-mail giving a token's expiry, and a token given by hand."""

from __future__ import annotations

import random
import string

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _emails, _links, _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import token_fingerprint
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import (
    HOUR,
    NOW,
    OTHER_TOKEN,
    TOKEN,
    email,
    facts,
    link,
)

NAME = "pcc-198-51-100-1"
DECOY = "pcc-198-51-100-14"  # shares NAME as a prefix
SID = 1001


def mbm_link(name, token, amp="&", prefix="https://www.ovh.com/manager/dedicated/#/configuration"):
    return "%s/managedBaremetal/%s?action=confirmcancel%stoken=%s" % (prefix, name, amp, token)


def named(name, token):
    return _links.ConfirmationLink(_links.NAMED, None, name, token)


def billing(service_id, token):
    return _links.ConfirmationLink(_links.BILLING, service_id, None, token)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}?action=confirmcancel&token={t}",
        "https://www.ovh.com/manager/dedicated/#/configuration/dedicated_cloud/{n}?action=confirmcancel&token={t}",
        "https://www.ovh.com/manager/#/dedicated/managedBaremetal/{n}?action=confirmcancel&token={t}",
        "https://ca.ovh.com/manager/dedicated/#/dedicated_cloud/{n}?token={t}&action=confirmcancel",
        "https://www.ovh.com/manager/dedicated/#/managedBaremetal/{n}/terminate-confirm?token={t}",
        "https://www.ovh.com/manager/#/dedicated/dedicated_cloud/{n}/terminate-confirm?token={t}&foo=bar",
        "https://eu.ovhcloud.com/manager/dedicated/index.html?x=1#/configuration/managedBaremetal/{n}?action=confirmcancel&amp;token={t}",
        "https://www.ovh.com/manager/dedicated/%23/configuration/managedBaremetal/{n}%3Faction%3Dconfirmcancel%26token%3D{t}",
    ],
)
def test_named_forms_match_by_exact_name(url):
    body = "Confirm: %s\nThanks" % url.format(n=NAME, t=TOKEN)
    assert _links.confirmation_links(body) == [named(NAME, TOKEN)]
    assert _emails.parse_termination_email(email(1, body), None, service_name=NAME).token_matches(TOKEN)
    assert _emails.parse_termination_email(email(1, body), SID, service_name=DECOY) is None
    assert _emails.parse_termination_email(email(1, body), SID, service_name="pcc-198-51-100") is None


def test_prefix_sharing_decoy_never_matches():
    body = "%s\n" % mbm_link(DECOY, OTHER_TOKEN)
    assert _links.confirmation_links(body) == [named(DECOY, OTHER_TOKEN)]
    assert _emails.parse_termination_email(email(1, body), SID, service_name=NAME) is None
    both = "%s %s" % (mbm_link(DECOY, OTHER_TOKEN), mbm_link(NAME, TOKEN))
    parsed = _emails.parse_termination_email(email(2, both), SID, service_name=NAME)
    assert parsed.token_matches(TOKEN) and not parsed.ambiguous and not parsed.token_matches(OTHER_TOKEN)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}?action=cancel&token={t}",
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}?token={t}",
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}?action=confirmcancel",
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}?action=confirmcancel&token={t}&token={t}x",
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}/dashboard?action=confirmcancel&token={t}",
        "https://www.ovh.com/fr/support/resiliation/?action=cancel&t={t}&n=ab12345-ovh&r=/managedBaremetal/{n}/terminate-confirm?token={t}",
        "https://www.ovh.com/manager/dedicated/#/configuration/xmanagedBaremetal/{n}?action=confirmcancel&token={t}",
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/{n}?action=confirmcancel&token=short",
    ],
)
def test_named_non_confirmation_links_are_ignored(url):
    assert _links.confirmation_links(url.format(n=NAME, t=TOKEN)) == []


def test_billing_form_percent_encoded_inside_a_redirect_and_params_in_any_order():
    inner = "https://www.ovh.com/manager/#/billing/confirmTerminate?token=%s&id=%s" % (TOKEN, SID)
    wrapped = "https://click.example.net/r?u=" + inner.replace(":", "%3A").replace("/", "%2F").replace("#", "%23").replace("?", "%3F").replace(
        "&", "%26"
    ).replace("=", "%3D")
    assert _links.confirmation_links(wrapped) == [billing(SID, TOKEN)]
    assert _links.find_confirmation_links(inner) == [(SID, TOKEN)]


def test_billing_links_need_the_service_id():
    body = link(SID, TOKEN)
    assert _emails.parse_termination_email(email(1, body), None, service_name=NAME) is None
    assert _emails.parse_termination_email(email(1, body), SID, service_name=NAME).token_matches(TOKEN)


def test_two_tokens_for_one_service_in_two_forms_are_ambiguous():
    body = "%s %s" % (link(SID, TOKEN), mbm_link(NAME, OTHER_TOKEN))
    parsed = _emails.parse_termination_email(email(1, body), SID, service_name=NAME)
    assert parsed.ambiguous and parsed.fingerprint is None


def test_same_token_in_two_forms_is_one_token():
    body = "%s %s" % (link(SID, TOKEN, amp="&amp;"), mbm_link(NAME, TOKEN))
    assert not _emails.parse_termination_email(email(1, body), SID, service_name=NAME).ambiguous


# --- item 8: ASCII only; trailing punctuation --------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1²&token=%s" % TOKEN,
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=١٠٠١&token=%s" % TOKEN,
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1001&token=%sé" % TOKEN,
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/pcc-١?action=confirmcancel&token=%s" % TOKEN,
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=99999999999999999999999&token=%s" % TOKEN,
    ],
)
def test_unicode_digits_and_letters_never_crash_and_never_match(body):
    assert _links.confirmation_links(body) == []
    assert _emails.parse_termination_email(email(1, body), 1, service_name="pcc-1") is None


def test_one_malformed_email_never_breaks_another_service():
    mails = [
        email(1, "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1²&token=%s" % OTHER_TOKEN, date="not a date"),
        email(2, link(SID, TOKEN)),
        {"id": "x", "body": None},
        "not a dict",
    ]
    found = _emails.termination_emails(mails, SID, service_name=NAME)
    assert [m.email_id for m in found] == [2] and found[0].token_matches(TOKEN)


def test_token_ending_in_a_dot_is_kept_when_delimited():
    dotted = TOKEN + "."
    html = '<a href="%s">confirm</a>' % mbm_link(NAME, dotted, amp="&amp;")
    assert _links.confirmation_links(html) == [named(NAME, dotted)]
    assert _links.confirmation_links(mbm_link(NAME, dotted) + "&lang=fr") == [named(NAME, dotted)]


def test_undelimited_trailing_dot_is_read_both_ways_so_none_is_picked():
    text = "Follow %s. Thanks" % mbm_link(NAME, TOKEN)
    assert _links.confirmation_links(text) == [named(NAME, TOKEN + "."), named(NAME, TOKEN)]
    parsed = _emails.parse_termination_email(email(1, text), SID, service_name=NAME)
    assert parsed.ambiguous and parsed.token_matches(TOKEN) and parsed.token_matches(TOKEN + ".")


def test_undelimited_trailing_dot_is_settled_by_a_delimited_copy():
    for token in (TOKEN, TOKEN + "."):
        body = '<a href="%s">here</a> or copy %s.' % (mbm_link(NAME, token, amp="&amp;"), mbm_link(NAME, token))
        assert _links.confirmation_links(body) == [named(NAME, token)]


@pytest.mark.parametrize("tail", [")", ",", ";", "!", "?", "),", ""])
def test_prose_punctuation_after_a_link_is_not_part_of_the_token(tail):
    assert _links.confirmation_links("(see %s%s next" % (mbm_link(NAME, TOKEN), tail)) == [named(NAME, TOKEN)]


# --- item 6: the first e-mail gives the expiry; quotes are not termination e-mails -------------------------


def test_a_later_email_quoting_the_link_never_extends_it():
    original = email(10, link(SID, TOKEN), date=_time.format_time(NOW - 80 * HOUR))
    ticket = email(11, "Re: your ticket\n> %s" % link(SID, TOKEN), date=_time.format_time(NOW - 1 * HOUR), subject="Ticket 42")
    found = _emails.termination_emails([ticket, original], SID, since=NOW - 96 * HOUR)
    assert [m.email_id for m in found] == [10]
    assert found[0].token_expires == NOW - 8 * HOUR
    out = _status.decide_status(facts(emails=found), NOW)
    assert out["status"] == "token_expired"


def test_a_quote_of_a_link_older_than_the_lookback_is_not_a_fresh_link():
    original = email(10, link(SID, TOKEN), date=_time.format_time(NOW - 200 * HOUR))
    ticket = email(11, "> %s" % link(SID, TOKEN), date=_time.format_time(NOW - 1 * HOUR))
    assert _emails.termination_emails([original, ticket], SID, since=NOW - 96 * HOUR) == []


def test_quote_of_an_old_link_after_a_newer_request_keeps_the_newer_one():
    first = email(10, link(SID, TOKEN), date=_time.format_time(NOW - 30 * HOUR))
    newer = email(12, link(SID, OTHER_TOKEN), date=_time.format_time(NOW - 20 * HOUR))
    quote = email(13, "> %s" % link(SID, TOKEN), date=_time.format_time(NOW - 1 * HOUR))
    found = _emails.termination_emails([first, newer, quote], SID)
    assert [m.email_id for m in found] == [12, 10]
    out = _status.decide_status(facts(emails=found), NOW)
    assert out["status"] == "termination_requested" and out["email"].token_matches(OTHER_TOKEN)


# --- item 4: decide by date, not by id; fail closed when the scan is incomplete -----------------------------


def test_newest_by_date_not_by_id():
    resent = email(20, "Your invoice (resent)", date=_time.format_time(NOW - 100 * HOUR))
    valid = email(15, link(SID, TOKEN), date=_time.format_time(NOW - 2 * HOUR))
    older = email(18, link(SID, OTHER_TOKEN), date=_time.format_time(NOW - 10 * HOUR))  # higher id, older date
    found = _emails.termination_emails([resent, valid, older], SID)
    assert [m.email_id for m in found] == [15, 18]
    assert _status.decide_status(facts(emails=found), NOW)["email"].token_matches(TOKEN)


def test_incomplete_scan_undated_email_and_missing_service_id_fail_closed():
    incomplete = {"read": 3, "limit": 3, "listed": 9, "complete": False, "oldest_date": "2026-11-19T10:00:00Z"}
    assert "email_scan_limit" in _emails.email_evidence_problem(incomplete, [], SID)
    undated = _emails.termination_emails([email(4, link(SID, TOKEN), date="yesterday")], SID)
    assert undated[0].date is None and "cannot be read" in _emails.email_evidence_problem(None, undated, SID)
    assert "no serviceId" in _emails.email_evidence_problem(None, [], None)
    assert _emails.email_evidence_problem({"complete": True}, [], SID) is None
    for problem in ("scan stopped", "undated"):
        with pytest.raises(TerminationError) as err:
            _status.decide_status(facts(email_problem=problem), NOW)
        assert err.value.kind == "email_unknown" and problem in err.value.msg
    tolerated = _status.decide_status(facts(emails=undated, email_problem="undated", email_problem_tolerated=True), NOW)
    assert tolerated["status"] == "active" and tolerated["email_problem"] == "undated"


def test_terminal_and_busy_states_still_win_over_an_incomplete_scan():
    assert _status.decide_status(facts(dedicated_cloud={"state": "toRemove"}, email_problem="x"), NOW)["status"] == "terminating"
    with pytest.raises(TerminationError) as err:
        _status.decide_status(facts(dedicated_cloud={"state": "upgrading"}, email_problem="x"), NOW)
    assert err.value.kind == "busy"


# --- a token given by hand (issue 8; issue 9 item 7) --------------------------------------------------------


def evidence(token, mails, service_id=SID, name=NAME):
    return _emails.given_token_evidence(token, mails, service_id, name, NOW)


def test_given_token_unseen_when_no_email_carries_it():
    assert evidence(TOKEN, [])["verdict"] == "unseen"
    assert evidence(TOKEN, [email(1, "https://www.ovh.com/manager/#/some/new/form?t=%s" % TOKEN)])["verdict"] == "unseen"


def test_given_token_current():
    out = evidence(TOKEN, [email(3, mbm_link(NAME, TOKEN), date=_time.format_time(NOW - 2 * HOUR))])
    assert out["verdict"] == "current" and out["email_id"] == 3 and out["expires_at"] == NOW + 70 * HOUR


@pytest.mark.parametrize(
    "mail",
    [
        email(5, mbm_link(DECOY, TOKEN)),
        email(5, mbm_link(NAME + "0", TOKEN, prefix="https://x/#/configuration")),
        email(5, link(2002, TOKEN)),
        email(5, "https://www.ovh.com/manager/dedicated/#/dedicated_cloud/pcc-9/terminate-confirm?token=%s" % TOKEN),
    ],
)
def test_given_token_foreign_when_a_link_names_another_service(mail):
    out = evidence(TOKEN, [mail])
    assert out["verdict"] == "foreign" and out["email_id"] == 5


def test_billing_link_cannot_be_foreign_without_a_service_id():
    assert evidence(TOKEN, [email(5, link(2002, TOKEN))], service_id=None)["verdict"] == "unseen"


def test_given_token_stale_when_superseded_or_past_72_h_from_its_first_email():
    first = email(3, mbm_link(NAME, TOKEN), date=_time.format_time(NOW - 30 * HOUR))
    newer = email(4, mbm_link(NAME, OTHER_TOKEN), date=_time.format_time(NOW - 10 * HOUR))
    out = evidence(TOKEN, [first, newer])
    assert out["verdict"] == "stale" and "newer" in out["reason"]
    assert evidence(OTHER_TOKEN, [first, newer])["verdict"] == "current"
    old = email(3, mbm_link(NAME, TOKEN), date=_time.format_time(NOW - 80 * HOUR))
    quote = email(9, "> " + mbm_link(NAME, TOKEN), date=_time.format_time(NOW - 1 * HOUR))
    out = evidence(TOKEN, [quote, old])
    assert out["verdict"] == "stale" and out["email_id"] == 3 and out["expires_at"] == NOW - 8 * HOUR


def test_given_token_carried_by_an_undated_email_is_left_to_ovhcloud():
    assert evidence(TOKEN, [email(3, mbm_link(NAME, TOKEN), date="garbage")])["verdict"] == "unseen"


# --- property-style: random bodies never crash the parser nor give a foreign token -------------------------

_NOISE = string.ascii_letters + string.digits + " \n\t<>\"'&;#%=?/.:,-_()[]" + "²³¹١٢٣éß€\u00a0\u200b"
_LOOKALIKES = [
    "pcc-198-51-100-1",
    "pcc-198-51-100-14",
    "pcc-198-51-100-10",
    "pcc-198-51-100",
    "PCC-198-51-100-1",
    "pcc-198-51-100-1x",
    "pcc-198-51-100-١",
    "pcc-198-51-100-1.",
    "xpcc-198-51-100-1",
]


def _random_token(rng):
    return "".join(rng.choice(string.ascii_letters + string.digits) for dummy in range(rng.randint(8, 40)))


def _random_link(rng, name, service_id, token):
    amp = rng.choice(["&", "&amp;", "&#38;", "%26"])
    kind = rng.randrange(5)
    if kind == 0:
        url = "https://www.ovh.com/manager/#/billing/confirmTerminate?id=%s%stoken=%s" % (service_id, amp, token)
    elif kind == 1:
        url = "https://www.ovh.com/manager/dedicated/#/configuration/%s/%s?action=confirmcancel%stoken=%s" % (
            rng.choice(["managedBaremetal", "dedicated_cloud"]),
            name,
            amp,
            token,
        )
    elif kind == 2:
        url = "https://ca.ovh.com/manager/#/managedBaremetal/%s?token=%s%saction=confirmcancel" % (name, token, amp)
    elif kind == 3:
        url = "https://www.ovh.com/manager/dedicated/#/dedicated_cloud/%s/terminate-confirm?token=%s" % (name, token)
    else:
        url = "https://www.ovh.com/fr/support/resiliation/?action=cancel%st=%s%sn=ab12345-ovh" % (amp, token, amp)
    if rng.random() < 0.2:
        url = "https://click.example/r?u=" + "".join("%%%02X" % ord(c) if c in ":/?#&=" else c for c in url)
    wrap = rng.randrange(4)
    if wrap == 0:
        return '<a href="%s">%s</a>' % (url, url)
    if wrap == 1:
        return "\n> %s\n" % url
    if wrap == 2:
        return "(%s)%s" % (url, rng.choice([".", ",", "", "!"]))
    return url


@pytest.mark.parametrize("seed", range(200))
def test_random_bodies_never_crash_and_never_give_a_foreign_token(seed):
    rng = random.Random(seed)
    mine = rng.choice(_LOOKALIKES[:1])
    my_id = 1001
    my_tokens = set()
    foreign_tokens = set()
    mails = []
    for email_id in range(1, rng.randint(2, 8)):
        parts = []
        for dummy in range(rng.randint(0, 6)):
            roll = rng.random()
            if roll < 0.35:
                parts.append("".join(rng.choice(_NOISE) for dummy2 in range(rng.randint(0, 80))))
            else:
                is_mine = rng.random() < 0.3
                name = mine if is_mine else rng.choice(_LOOKALIKES[1:])
                service_id = my_id if is_mine else rng.choice([1002, 10011, 100, 1])
                token = _random_token(rng)
                (my_tokens if is_mine else foreign_tokens).add(token)
                parts.append(_random_link(rng, name, service_id, token))
        date = rng.choice([_time.format_time(NOW - rng.randint(0, 200) * HOUR), "garbage", None, 12, "2026-13-45T99:99:99Z"])
        # parts are separated as in any e-mail (text glued to a link would be read as part of its token)
        mails.append({"id": email_id, "date": date, "subject": "s", "body": rng.choice([" ", "\n", "<br>", "\r\n> "]).join(parts)})
    my_fingerprints = {token_fingerprint(token) for token in my_tokens}
    foreign_fingerprints = {token_fingerprint(token) for token in foreign_tokens}
    for mail in mails:
        for found in _links.confirmation_links(mail["body"]):
            assert isinstance(found.token, str)
        parsed = _emails.parse_termination_email(mail, my_id, service_name=mine)
        if parsed is not None:
            for fingerprint in parsed.fingerprints:
                assert fingerprint not in foreign_fingerprints or fingerprint in my_fingerprints
    for mail in _emails.termination_emails(mails, my_id, service_name=mine, since=NOW - 96 * HOUR):
        if mail.fingerprint is not None:
            assert mail.fingerprint in my_fingerprints
    for token in foreign_tokens - my_tokens:
        assert _emails.given_token_evidence(token, mails, my_id, mine, NOW)["verdict"] in ("foreign", "unseen")
