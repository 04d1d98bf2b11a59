# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Confirmation links in a termination e-mail's body: every form the control panel and the billing page use.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _secrets only (pure: no API call). A link-parsing bug is fixed here; _emails.py reads the e-mails.

Link forms (docs/api-assumptions.md, "Termination e-mails"), in any host or prefix, in or out of a ``#`` fragment,
HTML-escaped (``&amp;``) or percent-encoded (also inside another link), query parameters in any order:

- ``/billing/confirmTerminate?id=<serviceId>&token=<token>`` (the billing page): matched by serviceId;
- ``/managedBaremetal/<serviceName>?action=confirmcancel&token=<token>`` and the same under ``/dedicated_cloud/``
  (the control panel's form for e-mails, with or without a ``/configuration`` prefix): matched by the exact path
  segment;
- ``/managedBaremetal/<serviceName>/terminate-confirm?token=<token>`` (and ``/dedicated_cloud/``): the same.

Cancel links (``action=cancel``, ``support/resiliation``) are never confirmation links.

Trailing punctuation: a token is made of URL-safe characters (``valid_token_shape``), ``.`` included, so a link
ending a sentence (``...token=AbC.``) is ambiguous. A token followed by ``&``, ``#``, a quote, ``<`` or ``>`` is
delimited and read as written; an undelimited one (followed by a space, the end of the text or other punctuation)
that ends in ``.`` is read both ways (with and without the dots) unless the same e-mail also carries one of the two
readings delimited. Two readings make the e-mail ambiguous: its token is never picked, but a token given by hand
is recognised in either reading. Nothing is ever stripped silently.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import TOKEN_CHARACTERS, valid_token_shape

# A run of characters that may belong to one link: anything but spaces, quotes and angle brackets.
_RUN_RE = re.compile(r"""[^\s"'<>]+""")
_DELIMITERS = frozenset("\"'<>")
_AMP_RE = re.compile(r"&(?:amp|#0*38|#x0*26);", re.IGNORECASE)
_CANCEL_MARKERS = ("resiliation", "action=cancel")
ID_RE = re.compile(r"^[0-9]{1,18}$", re.ASCII)
_NAME_RE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_BILLING_RE = re.compile(r"/billing/confirmTerminate\?([^#]*)", re.ASCII | re.IGNORECASE)
_NAMED_RE = re.compile(r"/(?i:managedBaremetal|dedicated_cloud)/(" + _NAME_RE + r")(/terminate-confirm)?\?([^#]*)", re.ASCII)
_TOKEN_PREFIX_RE = re.compile(r"^[" + TOKEN_CHARACTERS + r"]*", re.ASCII)
_PROSE_TAIL = ",;:!?)]}"
_MAX_DEPTH = 3

BILLING = "billing"
NAMED = "named"


class ConfirmationLink(tuple):
    """One confirmation link: ``(form, service_id, service_name, token)``; ``service_id`` is set for the billing
    form, ``service_name`` for the named forms."""

    __slots__ = ()

    def __new__(cls, form, service_id, service_name, token):
        return tuple.__new__(cls, (form, service_id, service_name, token))

    form = property(lambda self: self[0])
    service_id = property(lambda self: self[1])
    service_name = property(lambda self: self[2])
    token = property(lambda self: self[3])

    def names(self, service_id, service_name):
        """True when the link is for this service (by serviceId for the billing form, by exact name otherwise)."""
        if self.form == BILLING:
            return service_id is not None and self.service_id == service_id
        return service_name is not None and self.service_name == service_name

    def foreign_to(self, service_id, service_name):
        """True when the link provably names another service (a billing link cannot be judged without a serviceId)."""
        if self.form == BILLING:
            return service_id is not None and self.service_id != service_id
        return service_name is not None and self.service_name != service_name


def _query_params(query):
    """Parse ``a=1&b=2`` keeping ``+`` (tokens may hold it); ``(name, raw value)`` pairs, names percent-decoded."""
    params = {}
    for part in query.split("&"):
        name, sep, value = part.partition("=")
        if sep and name:
            params.setdefault(unquote(name), []).append(value)
    return params


def _token_readings(raw, delimited):
    """The readings of a raw (percent-encoded) token value: a list of one or two tokens, or [] when it is not one.
    See the module docstring for the rule on trailing punctuation."""
    value = unquote(raw)
    stripped = value.rstrip(_PROSE_TAIL)
    if stripped != value:
        delimited = False  # prose punctuation after the link: a trailing dot is prose too
    if _TOKEN_PREFIX_RE.match(stripped).group(0) != stripped:
        return []
    readings = [stripped] if valid_token_shape(stripped) else []
    if not delimited and stripped.endswith("."):
        shorter = stripped.rstrip(".")
        if valid_token_shape(shorter):
            readings.append(shorter)
    return readings


def _one(params, name):
    values = params.get(name, [])
    return values[0] if len(values) == 1 else None


def _token_delimited(run, query_end, query, run_delimited):
    """Whether the token value of a query is delimited: followed by ``&`` or ``#`` in the run, else by what
    follows the run (a quote or an angle bracket)."""
    if query_end < len(run):
        return True  # a '#' follows the query
    last_name = query.rsplit("&", 1)[-1].partition("=")[0]
    return run_delimited if unquote(last_name) == "token" else True


def _links_in_run(run, delimited, depth, out):
    """Append ``(link, delimited)`` for every confirmation link in one run of link characters."""
    lowered = run.lower()
    if any(marker in lowered for marker in _CANCEL_MARKERS):
        return
    for match in _BILLING_RE.finditer(run):
        params = _query_params(match.group(1))
        service_id, token = _one(params, "id"), _one(params, "token")
        if service_id is None or token is None or not ID_RE.match(unquote(service_id)):
            continue
        closed = _token_delimited(run, match.end(1), match.group(1), delimited)
        for reading in _token_readings(token, closed):
            out.append((ConfirmationLink(BILLING, int(unquote(service_id)), None, reading), closed))
    for match in _NAMED_RE.finditer(run):
        name, terminate_confirm, query = match.group(1), match.group(2), match.group(3)
        params = _query_params(query)
        token = _one(params, "token")
        if token is None:
            continue
        if not terminate_confirm and _one(params, "action") != "confirmcancel":
            continue
        closed = _token_delimited(run, match.end(3), query, delimited)
        for reading in _token_readings(token, closed):
            out.append((ConfirmationLink(NAMED, None, name, reading), closed))
    if depth < _MAX_DEPTH and "%" in run:
        decoded = _AMP_RE.sub("&", unquote(run))
        if decoded != run:
            _links_in_text(decoded, delimited, depth + 1, out)


def _links_in_text(text, end_delimited, depth, out):
    for match in _RUN_RE.finditer(text):
        after = text[match.end() : match.end() + 1]
        delimited = after in _DELIMITERS if after else end_delimited
        _links_in_run(match.group(0), delimited, depth, out)


def confirmation_links(body):
    """Every confirmation link in an e-mail body, as ``ConfirmationLink`` tuples, without repeats (see the
    module docstring for the forms and the trailing-punctuation rule). Never raises on any string."""
    if not isinstance(body, str) or not body:
        return []
    found = []
    _links_in_text(_AMP_RE.sub("&", body), False, 0, found)
    delimited = set(link for link, is_delimited in found if is_delimited)
    links = []
    for link, is_delimited in found:
        if not is_delimited and link not in delimited:
            # An undelimited reading is dropped when the same e-mail carries another reading of it delimited.
            siblings = [
                other for other in delimited if other[:3] == link[:3] and (other.token.rstrip(".") == link.token.rstrip(".")) and other.token != link.token
            ]
            if siblings:
                continue
        if link not in links:
            links.append(link)
    return links


def find_confirmation_links(body):
    """The billing-form confirmation links of a body, as ``(service_id, token)`` (kept for its callers; the
    named forms are in ``confirmation_links``)."""
    return [(link.service_id, link.token) for link in confirmation_links(body) if link.form == BILLING]
