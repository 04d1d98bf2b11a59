# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Termination e-mails: parsing an e-mail (its links: _links.py), scanning the account's history, and what the
history says about a token given by hand.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _routes, _errors (OvhApiError), _links, _time, _secrets and _termination_errors; never another termination room.
Nothing here returns or logs a token or an e-mail body: a token lives only in a private attribute of
``TerminationEmail``, and ``summary()`` is what is shown.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._links import ID_RE, NAMED, confirmation_links
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import api_failure
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time, parse_api_time

TOKEN_VALIDITY_SECONDS = 72 * 3600
"""A termination link is valid 72 h after the first e-mail that carried it (docs/design.md section 4)."""

DEFAULT_LOOKBACK_HOURS = 96
DEFAULT_SCAN_LIMIT = 500
"""How many e-mails (by id, newest first) a scan reads at most (option ``email_scan_limit``)."""


class TerminationEmail(object):
    """A termination e-mail for one service. The token is kept private: ``summary()`` is what is shown.

    An e-mail holding two different confirmation links for the same service is kept as ``ambiguous``: it still
    supersedes every older e-mail (an older token is never used because a newer e-mail could not be read), but
    its own token is never picked by the module (only a token given by the user and found in it is sent).
    ``first_date``/``first_id``: the first (oldest) e-mail that carried its token; the expiry counts from there,
    so a later e-mail quoting the link (a support ticket) never extends it."""

    __slots__ = ("email_id", "date", "subject", "service_id", "service_name", "first_date", "first_id", "_tokens")

    def __init__(self, email_id, date, subject, service_id, token, service_name=None):
        self.email_id = email_id
        self.date = date
        self.subject = subject
        self.service_id = service_id
        self.service_name = service_name
        self.first_date = date
        self.first_id = email_id
        self._tokens = tuple(token) if isinstance(token, (list, tuple)) else (token,)

    def __repr__(self):
        return "TerminationEmail(id=%r, date=%r, service_id=%r)" % (self.email_id, format_time(self.date), self.service_id)

    @property
    def ambiguous(self):
        return len(self._tokens) != 1

    @property
    def _token(self):
        """The one token of the e-mail, None when it is ambiguous (never shown: see the class docstring)."""
        return None if self.ambiguous else self._tokens[0]

    @property
    def token_expires(self):
        return None if self.first_date is None else self.first_date + TOKEN_VALIDITY_SECONDS

    def token_matches(self, token):
        return token is not None and token in self._tokens

    def summary(self):
        return {"id": self.email_id, "date": format_time(self.date), "subject": self.subject}


def _email_id(email):
    value = email.get("id") if isinstance(email, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_termination_email(email, service_id, service_name=None):
    """A ``TerminationEmail`` when the e-mail (``{id, date, subject, body}``) holds a confirmation link for this
    service: a billing link whose ``id`` is ``service_id``, or a named link whose path segment is exactly
    ``service_name``; else None. The subject is never used to decide. Two different tokens for the service in one
    e-mail give an ``ambiguous`` one (never used on its own). Its ``date`` is None when unparseable (callers fail
    closed on it)."""
    if not isinstance(email, dict) or (service_id is None and not service_name):
        return None
    try:
        service_id = None if service_id is None else int(service_id)
    except (TypeError, ValueError):
        service_id = None
    tokens = []
    for link in confirmation_links(email.get("body")):
        if link.names(service_id, service_name) and link.token not in tokens:
            tokens.append(link.token)
    if not tokens:
        return None
    subject = email.get("subject") if isinstance(email.get("subject"), str) else None
    return TerminationEmail(_email_id(email), _safe_time(email.get("date")), subject, service_id, tokens, service_name=service_name)


def _safe_time(value):
    try:
        return parse_api_time(value)
    except (TypeError, ValueError, OverflowError):
        return None


def email_summary(email):
    """What may be shown of any e-mail: id, date and subject (never the body)."""
    return {"id": email.get("id"), "date": format_time(_safe_time(email.get("date"))), "subject": email.get("subject")}


def _newest_first(mail):
    return (mail.date if mail.date is not None else float("inf"), mail.email_id if mail.email_id is not None else -1)


def termination_emails(emails, service_id, service_name=None, since=None):
    """The termination e-mails for the service among ``emails``, newest (by date, then id) first.

    An e-mail whose tokens were all carried by an older e-mail is a quote (a support ticket, a forward), not a
    termination e-mail: it is left out, and each kept e-mail's ``first_date`` is that of the first e-mail carrying
    its token. Undated e-mails sort first (newest) so that callers see them and fail closed. ``since`` (epoch):
    leave out the e-mails dated before it (after the quotes were told apart, so an old original still unmasks a
    recent quote)."""
    parsed = [p for p in (parse_termination_email(email, service_id, service_name) for email in emails or []) if p is not None]
    parsed.sort(key=_newest_first)  # oldest first; undated last
    first = {}
    found = []
    for mail in parsed:
        seen = [first[t] for t in mail._tokens if t in first]  # pylint: disable=protected-access
        if mail.date is not None and len(seen) == len(mail._tokens):  # pylint: disable=protected-access
            continue  # a quote of older links
        for token in mail._tokens:  # pylint: disable=protected-access
            first.setdefault(token, mail)
        if not mail.ambiguous:
            origin = first[mail._token]  # pylint: disable=protected-access
            mail.first_date, mail.first_id = origin.date, origin.email_id
        found.append(mail)
    if since is not None:
        found = [mail for mail in found if mail.date is None or mail.date >= since]
    found.sort(key=_newest_first, reverse=True)
    return found


def given_token_evidence(token, emails, service_id, service_name, now):
    """What this run's e-mail history says about a token given by hand; pure.

    Returns ``{verdict, email_id, date, expires_at, other_service, reason}`` where ``verdict`` is:
    ``foreign`` (the token is in a link for another service: refuse), ``stale`` (its first e-mail is older than a
    newer termination e-mail of this service, or its 72 h counted from that first e-mail are over: refuse),
    ``current`` (its first e-mail is the newest termination e-mail of this service and still valid) or ``unseen``
    (the history proves nothing: OVHcloud judges it). Dates are epoch seconds; ``email_id`` is the first e-mail that
    carried the token."""
    out = {"verdict": "unseen", "email_id": None, "date": None, "expires_at": None, "other_service": None, "reason": None}
    try:
        service_id = None if service_id is None else int(service_id)
    except (TypeError, ValueError):
        service_id = None
    carriers = []
    for email in emails or []:
        if not isinstance(email, dict):
            continue
        for link in confirmation_links(email.get("body")):
            if link.token != token:
                continue
            if link.foreign_to(service_id, service_name):
                out.update(
                    verdict="foreign",
                    email_id=_email_id(email),
                    date=_safe_time(email.get("date")),
                    other_service=link.service_name if link.form == NAMED else link.service_id,
                    reason="e-mail %s carries it in a link for another service (%s)"
                    % (_email_id(email), link.service_name if link.form == NAMED else "service id %s" % link.service_id),
                )
                return out
            if link.names(service_id, service_name):
                carriers.append(email)
    if not carriers:
        out["reason"] = "no e-mail of the history read carries it"
        return out
    dates = [_safe_time(email.get("date")) for email in carriers]
    if any(date is None for date in dates):
        out["reason"] = "an e-mail carrying it has a date that cannot be read"
        return out
    first_date, first = min(zip(dates, carriers), key=lambda pair: (pair[0], _email_id(pair[1]) or -1))
    expires = first_date + TOKEN_VALIDITY_SECONDS
    out.update(email_id=_email_id(first), date=first_date, expires_at=expires)
    newer = [
        mail
        for mail in termination_emails(emails, service_id, service_name)
        if not mail.token_matches(token) and mail.date is not None and mail.date > first_date
    ]
    if newer:
        out.update(
            verdict="stale",
            reason="termination e-mail %s of %s is newer than e-mail %s of %s that first carried it"
            % (newer[0].email_id, format_time(newer[0].date), out["email_id"], format_time(first_date)),
        )
    elif now >= expires:
        out.update(
            verdict="stale", reason="e-mail %s of %s first carried it: it expired at %s" % (out["email_id"], format_time(first_date), format_time(expires))
        )
    else:
        out.update(
            verdict="current", reason="e-mail %s of %s first carried it: valid until %s" % (out["email_id"], format_time(first_date), format_time(expires))
        )
    return out


def email_evidence_problem(scan_info, mails, service_id, lookback_hours=DEFAULT_LOOKBACK_HOURS):
    """Why the e-mail evidence of a service cannot decide its status (a sentence), or None when it can; pure.

    ``scan_info``: ``EmailScanner.scan_info()``; ``mails``: the service's ``termination_emails``. The evidence is
    incomplete when the scan limit stopped the scan before the lookback window was covered, when a termination
    e-mail has a date that cannot be read, or when the service has no serviceId (billing-form links cannot be
    matched then)."""
    problems = []
    if scan_info is not None and not scan_info.get("complete"):
        problems.append(
            "the e-mail scan stopped at email_scan_limit (%s of %s e-mails read, the oldest dated %s) before covering the "
            "last %s h" % (scan_info.get("read"), scan_info.get("listed"), scan_info.get("oldest_date"), lookback_hours)
        )
    undated = [str(mail.email_id) for mail in mails or [] if mail.date is None]
    if undated:
        problems.append("termination e-mail %s has a date that cannot be read" % ", ".join(undated))
    if service_id is None:
        problems.append("the service has no serviceId, so links of the billing form (confirmTerminate?id=) cannot be matched")
    return "; ".join(problems) or None


def _history_id(value):
    """An e-mail id of the history list: an int, or a string of ASCII digits; anything else is None (skipped)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and ID_RE.match(value):
        return int(value)
    return None


class EmailScanner(object):
    """Reads the account's e-mail history by id, newest (highest id) first, up to ``scan_limit`` e-mails.

    Ids are never assumed to follow dates: an old-dated e-mail does not stop the scan; the caller decides by date
    (``termination_emails(..., since=...)``). Every e-mail read is returned, older ones too: the first e-mail
    that carried a token may be older than the window. ``scan_info()`` says how far it went:
    ``{read, limit, listed, complete, oldest_date}``; ``complete`` is true when every id was read, or when the
    e-mails read reach back past the lookback window; false means the limit stopped the scan first (the status is
    then unknown). E-mails already read are cached, so a second scan reads only the list and the new ones."""

    def __init__(self, client, lookback_hours=DEFAULT_LOOKBACK_HOURS, scan_limit=DEFAULT_SCAN_LIMIT):
        self.client = client
        self.lookback = float(lookback_hours) * 3600
        self.limit = int(scan_limit)
        self.newest_id = None
        self._cache = {}
        self._emails = None
        self._info = None

    def scan(self, now):
        try:
            ids = self.client.get(routes.EMAILS)
        except OvhApiError as err:
            raise api_failure(err, "Could not list the account's e-mail history")
        ids = sorted(set(_history_id(i) for i in (ids or [])) - {None}, reverse=True)
        self.newest_id = ids[0] if ids else 0
        emails = []
        oldest = None
        read = 0
        for email_id in ids[: self.limit]:
            email = self._cache.get(email_id)
            if email is None:
                try:
                    email = self.client.get(routes.EMAIL, emailId=email_id)
                except OvhApiError as err:
                    raise api_failure(err, "Could not read e-mail %s of the account's history" % email_id)
                if not isinstance(email, dict):
                    email = {"id": email_id}
                self._cache[email_id] = email
            read += 1
            date = _safe_time(email.get("date"))
            if date is not None:
                oldest = date if oldest is None else min(oldest, date)
            emails.append(email)
        complete = read == len(ids) or (oldest is not None and oldest < now - self.lookback)
        self._info = {"read": read, "limit": self.limit, "listed": len(ids), "complete": complete, "oldest_date": format_time(oldest)}
        self._emails = emails
        return emails

    def emails(self, now):
        """The e-mails of the last scan, scanning once if needed."""
        if self._emails is None:
            return self.scan(now)
        return self._emails

    def scan_info(self):
        """How far the last scan went (None before the first scan)."""
        return dict(self._info) if self._info is not None else None
