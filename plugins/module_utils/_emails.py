# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Termination e-mails: parsing an e-mail (its links: _links.py), scanning the account's history, and what the
history says about a token given by hand.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _routes, _errors (OvhApiError), _links, _time, _secrets and _termination_errors; never another termination room.
Nothing here returns, logs or stores a token or an e-mail body. An e-mail is read once per controller and
credential and kept as its *facts* (``email_facts``: id, date, subject, and per confirmation link its form, service
id or name and the token's fingerprint) in the shared index (``_shared``); every decision is made on facts, and a
confirmation re-reads its one e-mail to take the token (``read_token``), checked against the fingerprint.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._links import ID_RE, NAMED, ConfirmationLink, confirmation_links
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import token_fingerprint
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import api_failure
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time, parse_api_time

TOKEN_VALIDITY_SECONDS = 72 * 3600
"""A termination link is valid 72 h after the first e-mail that carried it (docs/design.md section 4)."""

DEFAULT_LOOKBACK_HOURS = 96
DEFAULT_SCAN_LIMIT = 500
"""How many e-mails (by id, newest first) a scan reads at most (option ``email_scan_limit``)."""
INDEX_KEEP = 5000
"""How many e-mails' facts the shared index keeps (the highest ids)."""


class TerminationEmail(object):
    """A termination e-mail for one service, as facts: ``fingerprints`` are its tokens' fingerprints (never a token).

    An e-mail holding two different confirmation links for the same service is kept as ``ambiguous``: it still
    supersedes every older e-mail (an older token is never used because a newer e-mail could not be read), but
    its own token is never picked by the module (only a token given by the user and found in it is sent).
    ``first_date``/``first_id``: the first (oldest) e-mail that carried its token; the expiry counts from there,
    so a later e-mail quoting the link (a support ticket) never extends it."""

    __slots__ = ("email_id", "date", "subject", "service_id", "service_name", "first_date", "first_id", "fingerprints")

    def __init__(self, email_id, date, subject, service_id, fingerprint, service_name=None):
        self.email_id = email_id
        self.date = date
        self.subject = subject
        self.service_id = service_id
        self.service_name = service_name
        self.first_date = date
        self.first_id = email_id
        self.fingerprints = tuple(fingerprint) if isinstance(fingerprint, (list, tuple)) else (fingerprint,)

    def __repr__(self):
        return "TerminationEmail(id=%r, date=%r, service_id=%r)" % (self.email_id, format_time(self.date), self.service_id)

    @property
    def ambiguous(self):
        return len(self.fingerprints) != 1

    @property
    def fingerprint(self):
        """The fingerprint of the one token of the e-mail, None when it is ambiguous."""
        return None if self.ambiguous else self.fingerprints[0]

    @property
    def token_expires(self):
        return None if self.first_date is None else self.first_date + TOKEN_VALIDITY_SECONDS

    def token_matches(self, token):
        return token is not None and token_fingerprint(token) in self.fingerprints

    def summary(self):
        return {"id": self.email_id, "date": format_time(self.date), "subject": self.subject}


def email_facts(email):
    """What is kept of an e-mail of the history (the shared index, ``EmailScanner``): id, date, subject and per
    confirmation link ``[form, service_id, service_name, token fingerprint]``. Never its body or a token."""
    if not isinstance(email, dict):
        return {"id": None, "date": None, "subject": None, "links": []}
    subject = email.get("subject") if isinstance(email.get("subject"), str) else None
    links = [[link.form, link.service_id, link.service_name, token_fingerprint(link.token)] for link in confirmation_links(email.get("body"))]
    return {"id": _email_id(email), "date": email.get("date"), "subject": subject, "links": links}


def _links_of(email):
    """The confirmation links of an e-mail (facts, or a raw e-mail with a body), each with the token's fingerprint in
    place of the token."""
    if not isinstance(email, dict):
        return []
    if "links" in email:
        links = email.get("links") if isinstance(email.get("links"), list) else []
        return [ConfirmationLink(*link) for link in links if isinstance(link, list) and len(link) == 4]
    return [ConfirmationLink(link.form, link.service_id, link.service_name, token_fingerprint(link.token)) for link in confirmation_links(email.get("body"))]


def _email_id(email):
    value = email.get("id") if isinstance(email, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_termination_email(email, service_id, service_name=None):
    """A ``TerminationEmail`` when the e-mail (``{id, date, subject, body}`` or its ``email_facts``) holds a confirmation link for this
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
    fingerprints = []
    for link in _links_of(email):
        if link.names(service_id, service_name) and link.token not in fingerprints:
            fingerprints.append(link.token)  # the fingerprint (see _links_of)
    if not fingerprints:
        return None
    subject = email.get("subject") if isinstance(email.get("subject"), str) else None
    return TerminationEmail(_email_id(email), _safe_time(email.get("date")), subject, service_id, fingerprints, service_name=service_name)


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
        seen = [first[t] for t in mail.fingerprints if t in first]
        if mail.date is not None and len(seen) == len(mail.fingerprints):
            continue  # a quote of older links
        for fingerprint in mail.fingerprints:
            first.setdefault(fingerprint, mail)
        if not mail.ambiguous:
            origin = first[mail.fingerprint]
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
    fingerprint = token_fingerprint(token)
    for email in emails or []:
        if not isinstance(email, dict):
            continue
        for link in _links_of(email):
            if link.token != fingerprint:
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
    """Reads the account's e-mail history by id, newest (highest id) first, up to ``scan_limit`` e-mails, as facts.

    Ids are never assumed to follow dates: an old-dated e-mail does not stop the scan; the caller decides by date
    (``termination_emails(..., since=...)``). Every e-mail read is returned, older ones too: the first e-mail
    that carried a token may be older than the window. ``scan_info()`` says how far it went:
    ``{read, limit, listed, complete, oldest_date}``; ``complete`` is true when every id was read, or when the
    e-mails read reach back past the lookback window; false means the limit stopped the scan first (the status is
    then unknown).

    An e-mail never changes, so its facts (``email_facts``) are read once per controller and credential: the client's
    ``shared`` index holds them for every module run (forks too); only e-mails it does not hold are read. The id
    list is read on every scan, except that a read-only run given ``list_max_age`` may take the list another run of
    the same ``run_id`` read less than that many seconds ago (``run_shared``)."""

    def __init__(self, client, lookback_hours=DEFAULT_LOOKBACK_HOURS, scan_limit=DEFAULT_SCAN_LIMIT, list_max_age=0):
        self.client = client
        self.lookback = float(lookback_hours) * 3600
        self.limit = int(scan_limit)
        self.list_max_age = list_max_age
        self.newest_id = None
        self._cache = {}
        self._emails = None
        self._info = None
        self.read_from_api = 0  # e-mails this scanner read with GET (the rest came from the index)
        self._fetched = {}

    def _read_ids(self):
        try:
            ids = self.client.get(routes.EMAILS)
        except OvhApiError as err:
            raise api_failure(err, "Could not list the account's e-mail history")
        return sorted(set(_history_id(i) for i in (ids or [])) - {None}, reverse=True)

    def _list_ids(self):
        run_shared = getattr(self.client, "run_shared", None)
        if self.list_max_age and run_shared is not None:
            shared = run_shared.fetch("email_ids", self.list_max_age, self._read_ids)
            if isinstance(shared, list):
                return shared
        ids = self._read_ids()
        if run_shared is not None:
            run_shared.put("email_ids", ids)
        return ids

    def _index(self):
        shared = getattr(self.client, "shared", None)
        value = shared.value("emails") if shared is not None else None
        return value if isinstance(value, dict) else {}

    def scan(self, now):
        """Read the history (see the class)."""
        ids = self._list_ids()
        self.newest_id = ids[0] if ids else 0
        wanted = ids[: self.limit]
        shared = getattr(self.client, "shared", None)
        if shared is None or all(email_id in self._cache for email_id in wanted):
            return self._scan(now, ids, wanted, {})
        index = self._index()
        if all(_usable(index.get(str(i)), i) for i in wanted if i not in self._cache):
            return self._scan(now, ids, wanted, index)
        with shared.exclusive("emails-fill"):  # parallel runs read a new e-mail once: the others wait, then find it
            return self._scan(now, ids, wanted, self._index())

    def _scan(self, now, ids, wanted, index):
        missing = [i for i in wanted if i not in self._cache and not _usable(index.get(str(i)), i)]
        if len(missing) > EXPAND_FROM and hasattr(self.client, "list_expanded"):
            # Many e-mails to read (a first run, a full mailbox): the whole-object list, when the API gives it, fills the
            # index in a call or a few; the plain id list above stays the one that says which e-mails exist.
            wanted_missing = set(missing)
            for email in self.client.list_expanded(routes.EMAILS) or []:
                email_id = _email_id(email)
                if email_id in wanted_missing:
                    index[str(email_id)] = email_facts(email)
                    self._fetched[str(email_id)] = index[str(email_id)]
        new = dict(self._fetched)
        self._fetched = {}
        emails = []
        oldest = None
        for email_id in wanted:
            facts = self._cache.get(email_id)
            if facts is None:
                facts = index.get(str(email_id))
                if not _usable(facts, email_id):
                    try:
                        email = self.client.get(routes.EMAIL, emailId=email_id)
                    except OvhApiError as err:
                        raise api_failure(err, "Could not read e-mail %s of the account's history" % email_id)
                    self.read_from_api += 1
                    facts = email_facts(email if isinstance(email, dict) else {})
                    facts["id"] = email_id
                    new[str(email_id)] = facts
                self._cache[email_id] = facts
            date = _safe_time(facts.get("date"))
            if date is not None:
                oldest = date if oldest is None else min(oldest, date)
            emails.append(facts)
        shared = getattr(self.client, "shared", None)
        if new and shared is not None:
            shared.merge("emails", new, keep=INDEX_KEEP)
        complete = len(wanted) == len(ids) or (oldest is not None and oldest < now - self.lookback)
        self._info = {"read": len(wanted), "limit": self.limit, "listed": len(ids), "complete": complete, "oldest_date": format_time(oldest)}
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


EXPAND_FROM = 3
"""Above this many e-mails missing from the index, a scan first asks for the whole-object list."""


def _usable(facts, email_id):
    return isinstance(facts, dict) and facts.get("id") == email_id and isinstance(facts.get("links"), list)


def read_token(client, email, service_id, service_name):
    """Read termination e-mail ``email`` (a ``TerminationEmail``) again and return the token of its confirmation link
    for this service whose fingerprint is the e-mail's, or None (the e-mail is not readable, ambiguous, or no longer
    holds that link): the one place a token is taken from an e-mail, right before the confirmation that sends it."""
    if email is None or email.fingerprint is None or email.email_id is None:
        return None
    try:
        body = client.get(routes.EMAIL, emailId=email.email_id)
    except OvhApiError as err:
        raise api_failure(err, "Could not read termination e-mail %s again to take its token" % email.email_id)
    if not isinstance(body, dict) or _email_id(body) not in (None, email.email_id):
        return None
    tokens = {link.token for link in confirmation_links(body.get("body")) if link.names(service_id, service_name)}
    matching = [token for token in tokens if token_fingerprint(token) == email.fingerprint]
    return matching[0] if len(tokens) == 1 and len(matching) == 1 else None
