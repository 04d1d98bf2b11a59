# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets: the shape of a termination token and the one scrubber that hides a secret in an API error.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports nothing of the collection (the error it scrubs is duck-typed: an ``OvhApiError``).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, quote_plus

HIDDEN = "********"
"""What replaces a secret in every message (documented by mbm_termination_confirm)."""

TOKEN_CHARACTERS = "A-Za-z0-9._~+/=-"
"""The characters of a token (URL-safe, ASCII only), as the inside of a regular expression class."""

_TOKEN_RE = re.compile(r"^[" + TOKEN_CHARACTERS + r"]{8,512}\Z", re.ASCII)


def token_fingerprint(token):
    """A short sha256 fingerprint of a token (16 hex digits), never the token: the request records keep it (to retry
    with the same token only) and the shared e-mail index keeps it per link (to tell tokens apart without holding
    them)."""
    if not token:
        return None
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def valid_token_shape(token):
    """True when ``token`` looks like a termination token (no spaces, URL-safe ASCII characters, 8 to 512 long)."""
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


PARTIAL_MIN = 8
"""A cut text ending with this many or more leading characters of a secret (in any of its forms) hides them."""

# Text a cut may leave after the partial secret (an ellipsis, spaces, a closing quote or bracket).
_CUT_TAIL = r"(?:\.\.\.|\u2026|[\s\"'<>)\]}&;,])*\Z"
# Names of the fields of an ``OvhApiError`` that can hold API text; ``to_failure()``'s keys are added to them.
_ERROR_FIELDS = ("message", "hint", "path", "route", "error_code", "query_id", "method")


def _forms(secret):
    """The forms in which a secret can come back: as sent, percent-encoded (either case of the hex digits, with or
    without ``/`` kept) and JSON-escaped (``\\/``)."""
    forms = set([secret, secret.replace("/", "\\/")])
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    return sorted(forms, key=len, reverse=True)


def _partial_pattern(forms):
    """A regex for a cut text that ends with the first PARTIAL_MIN or more characters of one of the forms."""
    prefixes = set()
    for form in forms:
        for size in range(PARTIAL_MIN, len(form)):
            prefixes.add(form[:size])
    if not prefixes:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile("(?:%s)(?=%s)" % (alternatives, _CUT_TAIL))


def scrub_secret(err, secret):
    """Hide ``secret`` (a token, or a list of them) wherever the API may have echoed it; the one scrubber.

    ``err`` is an ``OvhApiError`` (scrubbed in place and returned: every text field, ``error_code`` included, every
    field ``to_failure()`` returns, and ``details`` with its keys, nested) or a plain value (a string, a dict or a
    list, returned scrubbed). A secret is hidden as sent, percent-encoded (either case of the hex digits) and
    JSON-escaped, and so is a cut one: a text ending with its first PARTIAL_MIN or more characters (a page cut in
    the middle of the token). Scrub before cutting where possible (the client does): a cut prefix shorter than
    PARTIAL_MIN cannot be told from ordinary text."""
    secrets = [secret] if isinstance(secret, str) else [item for item in (secret or []) if isinstance(item, str)]
    secrets = [item for item in secrets if item]
    if not secrets:
        return err
    forms = sorted(set(form for item in secrets for form in _forms(item)), key=len, reverse=True)
    partial = _partial_pattern(forms)

    def clean(value):
        if isinstance(value, str):
            for form in forms:
                value = value.replace(form, HIDDEN)
            return partial.sub(HIDDEN, value) if partial is not None else value
        if isinstance(value, dict):
            return dict((clean(k), clean(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    if not hasattr(err, "to_failure"):
        return clean(err)
    names = set(_ERROR_FIELDS) | set(err.to_failure())
    for name in sorted(names):
        if isinstance(getattr(err, name, None), str):
            setattr(err, name, clean(getattr(err, name)))
    err.details = clean(err.details or {})
    err.args = (err.text(),)
    return err


# What a report, manifest or audit line may never hold: mbm_report refuses it in a manifest or run metadata, redacts it
# from a host record or an audit entry, and checks the role's attestations with it (kind=check).
FORBIDDEN_KEYS = frozenset(("token", "application_secret", "consumer_key", "client_secret", "password", "secret"))
# Text that looks like it carries a secret: a termination confirmation link; a query parameter that carries a token, a
# signature, a secret, a password or a key (pre-signed and shared-access links: token=, access_token=, X-Amz-Signature=,
# X-Amz-Credential=, X-Goog-Signature=, sig=, temp_url_sig=, ...); a password in a link (scheme://user:password@host);
# a password written out (password: ..., pwd=...).
FORBIDDEN_TEXT = re.compile(
    r"confirmTerminate\?"
    r"|[?&;#][\w.-]*(?:token|signature|credential|secret|password|passwd|pwd|api[_-]?key|access[_-]?key)="
    r"|[?&;#](?:[\w.-]*_)?sig="
    r"|[a-z][a-z0-9+.-]*://[^/?#@\s:]+:[^/?#@\s]+@"
    r"|\b(?:password|passwd|pwd)\s*[:=]\s*\S",
    re.IGNORECASE,
)
# What a redacted value is replaced with.
REDACTED = "[redacted: looked like a secret]"


def secrets_in(body):
    """The strings of ``body`` (a request body) under a secret-named key (FORBIDDEN_KEYS), nested, of PARTIAL_MIN or
    more characters (a token has at least 8, see valid_token_shape): what an error page that echoes the body could
    give back, so the client scrubs them from the error it builds."""
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            if str(key).lower() in FORBIDDEN_KEYS and isinstance(value, str) and len(value) >= PARTIAL_MIN:
                found.append(value)
            else:
                found.extend(secrets_in(value))
    elif isinstance(body, (list, tuple)):
        for value in body:
            found.extend(secrets_in(value))
    return found


class SecretFound(Exception):
    def __init__(self, where, value):
        super().__init__(where)
        self.value = value


def iter_secrets(value, where="content"):
    """Yield (key path, value) for each forbidden key holding a value (other than REDACTED), and each string that looks
    like it carries a secret, in value. The one detector of the collection's records: find_secret, redact_secrets and the role's
    attestation check (mbm_report kind=check) all use it."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = "%s.%s" % (where, key)
            if str(key).lower() in FORBIDDEN_KEYS and item not in (None, "", [], {}, REDACTED):
                yield path, item
            else:
                yield from iter_secrets(item, path)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from iter_secrets(item, "%s[%d]" % (where, index))
    elif isinstance(value, str) and FORBIDDEN_TEXT.search(value):
        yield where, value


def find_secret(value, where="content"):
    """Raise SecretFound with the key path when value holds a forbidden key or a token-bearing string."""
    for path, item in iter_secrets(value, where):
        raise SecretFound(path, item)


def redact_secrets(value, where="content"):
    """(copy of value with every secret found by iter_secrets replaced by REDACTED, list of their key paths)."""
    paths = []

    def walk(item, path):
        if isinstance(item, dict):
            clean = {}
            for key, sub in item.items():
                sub_path = "%s.%s" % (path, key)
                if str(key).lower() in FORBIDDEN_KEYS and sub not in (None, "", [], {}, REDACTED):
                    paths.append(sub_path)
                    clean[key] = REDACTED
                else:
                    clean[key] = walk(sub, sub_path)
            return clean
        if isinstance(item, (list, tuple)):
            return [walk(sub, "%s[%d]" % (path, index)) for index, sub in enumerate(item)]
        if isinstance(item, str) and FORBIDDEN_TEXT.search(item):
            paths.append(path)
            return REDACTED
        return item

    return walk(value, where), paths
