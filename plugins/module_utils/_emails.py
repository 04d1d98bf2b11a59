# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Termination e-mails: the confirmation link forms, parsing an e-mail, and scanning the account's history.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _routes, _client (OvhApiError), _time, _secrets and _termination_errors; never another termination room.
Nothing here returns or logs a token or an e-mail body: a token lives only in a private attribute of
``TerminationEmail``, and ``summary()`` is what is shown.
"""

from __future__ import annotations

import re

from urllib.parse import unquote

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import valid_token_shape
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import api_failure
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time, parse_api_time


TOKEN_VALIDITY_SECONDS = 72 * 3600
"""A termination link is valid 72 h after its e-mail (docs/design.md section 4)."""

DEFAULT_LOOKBACK_HOURS = 96

_URL_RE = re.compile(r"""https?://[^\s"'<>()\[\]{}]+""", re.IGNORECASE)
_AMP_RE = re.compile(r"&(?:amp|#0*38|#x0*26);", re.IGNORECASE)
_CONFIRM_MARKER = "/billing/confirmterminate?"
_CANCEL_MARKERS = ("resiliation", "action=cancel")


def _query_params(query):
    """Parse ``a=1&b=2`` keeping ``+`` (tokens may hold it); values percent-decoded."""
    params = {}
    for part in query.split("&"):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            continue
        params.setdefault(unquote(name), []).append(unquote(value))
    return params


def find_confirmation_links(body):
    """Every confirmation link in an e-mail body, as a list of ``(service_id, token)`` (id as int).

    A confirmation link is any URL (any host, any prefix) whose path or fragment holds
    ``/billing/confirmTerminate?`` with exactly one numeric ``id`` and one ``token`` of a token's shape.
    HTML bodies may write ``&amp;``. Cancel links (``support/resiliation/?action=cancel...``) are never
    confirmation links, even if they carried those parameters.
    """
    if not isinstance(body, str) or not body:
        return []
    text = _AMP_RE.sub("&", body)
    links = []
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        lowered = url.lower()
        marker = lowered.find(_CONFIRM_MARKER)
        if marker < 0:
            continue
        if any(cancel in lowered for cancel in _CANCEL_MARKERS):
            continue
        query = url[marker + len(_CONFIRM_MARKER):].split("#", 1)[0]
        params = _query_params(query)
        ids = params.get("id", [])
        tokens = params.get("token", [])
        if len(ids) != 1 or len(tokens) != 1:
            continue
        if not ids[0].isdigit() or not valid_token_shape(tokens[0]):
            continue
        link = (int(ids[0]), tokens[0])
        if link not in links:
            links.append(link)
    return links


class TerminationEmail(object):
    """A termination e-mail for one service. The token is kept private: ``summary()`` is what is shown.

    An e-mail holding two different confirmation links for the same service is kept as ``ambiguous``: it still
    supersedes every older e-mail (an older token is never used because a newer e-mail could not be read), but
    its own token is never picked by the module (only a token given by the user and found in it is sent)."""

    __slots__ = ("email_id", "date", "subject", "service_id", "_tokens")

    def __init__(self, email_id, date, subject, service_id, token):
        self.email_id = email_id
        self.date = date
        self.subject = subject
        self.service_id = service_id
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
        return None if self.date is None else self.date + TOKEN_VALIDITY_SECONDS

    def token_matches(self, token):
        return token is not None and token in self._tokens

    def summary(self):
        return {"id": self.email_id, "date": format_time(self.date), "subject": self.subject}


def parse_termination_email(email, service_id):
    """A ``TerminationEmail`` when the e-mail (``{id, date, subject, body}``) holds a confirmation link whose
    ``id`` is ``service_id``; else None. The subject is never used to decide: an e-mail with a matching
    subject but no matching link is not a termination e-mail, and a generic subject with one is. Two different
    tokens for the service in one e-mail give an ``ambiguous`` one (never used on its own)."""
    if not isinstance(email, dict) or service_id is None:
        return None
    tokens = []
    for link_id, token in find_confirmation_links(email.get("body")):
        if link_id == int(service_id) and token not in tokens:
            tokens.append(token)
    if not tokens:
        return None
    return TerminationEmail(email.get("id"), parse_api_time(email.get("date")), email.get("subject"), int(service_id), tokens)


def email_summary(email):
    """What may be shown of any e-mail: id, date and subject (never the body)."""
    return {"id": email.get("id"), "date": format_time(parse_api_time(email.get("date"))), "subject": email.get("subject")}


class EmailScanner(object):
    """Reads the account's e-mail history newest first (highest id first) and stops past the lookback.

    E-mails already read are cached, so a second scan (after a write, or while waiting) reads only the list
    and the new ones. ``newest_id`` is the highest id seen by the last scan (0 when none)."""

    def __init__(self, client, lookback_hours=DEFAULT_LOOKBACK_HOURS):
        self.client = client
        self.lookback = float(lookback_hours) * 3600
        self.newest_id = None
        self._cache = {}
        self._emails = None

    def scan(self, now):
        try:
            ids = self.client.get(routes.EMAILS)
        except OvhApiError as err:
            raise api_failure(err, "Could not list the account's e-mail history")
        ids = sorted((int(i) for i in ids or []), reverse=True)
        self.newest_id = ids[0] if ids else 0
        emails = []
        for email_id in ids:
            email = self._cache.get(email_id)
            if email is None:
                try:
                    email = self.client.get(routes.EMAIL, emailId=email_id)
                except OvhApiError as err:
                    raise api_failure(err, "Could not read e-mail %s of the account's history" % email_id)
                self._cache[email_id] = email
            date = parse_api_time(email.get("date"))
            if date is not None and date < now - self.lookback:
                break
            emails.append(email)
        self._emails = emails
        return emails

    def emails(self, now):
        """The e-mails of the last scan, scanning once if needed."""
        if self._emails is None:
            return self.scan(now)
        return self._emails


def termination_emails(emails, service_id):
    """The termination e-mails for ``service_id`` among ``emails``, newest (highest id) first."""
    found = []
    for email in emails:
        parsed = parse_termination_email(email, service_id)
        if parsed is not None:
            found.append(parsed)
    found.sort(key=lambda e: (e.email_id if isinstance(e.email_id, int) else -1), reverse=True)
    return found
