# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets: the shape of a termination token and the one scrubber that hides a secret in an API error.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports nothing of the collection (the error it scrubs is duck-typed: an ``OvhApiError``).
"""

from __future__ import annotations

import re

from urllib.parse import quote

HIDDEN = "********"
"""What replaces a secret in every message (documented by mbm_termination_confirm)."""

_TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")


def valid_token_shape(token):
    """True when ``token`` looks like a termination token (no spaces, URL-safe characters, 8 to 512 long)."""
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


def scrub_secret(err, secret):
    """Remove ``secret`` (a token) from an ``OvhApiError`` in place: the API may echo a token it refuses.

    The secret is hidden as given and percent-encoded (both ways python-ovh may have put it in a path or a
    message), in ``message``, ``hint``, ``path`` and ``details`` (keys and values, nested). Returns ``err``."""
    if not secret:
        return err
    variants = sorted({secret, quote(secret, safe=""), quote(secret)}, key=len, reverse=True)

    def clean(value):
        if isinstance(value, str):
            for variant in variants:
                value = value.replace(variant, HIDDEN)
            return value
        if isinstance(value, dict):
            return dict((clean(k), clean(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    for name in ("message", "hint", "path"):
        setattr(err, name, clean(getattr(err, name, None)))
    err.details = clean(err.details or {})
    err.args = (err.text(),)
    return err


# What a report, manifest or audit line may never hold (mbm_report refuses it; the role checks attestations with it).
FORBIDDEN_KEYS = frozenset(("token", "application_secret", "consumer_key", "client_secret", "password", "secret"))
FORBIDDEN_TEXT = re.compile(r"confirmTerminate\?|[?&;]token=", re.IGNORECASE)


class SecretFound(Exception):
    def __init__(self, where, value):
        super().__init__(where)
        self.value = value


def find_secret(value, where="content"):
    """Raise SecretFound with the key path when value holds a forbidden key or a token-bearing string."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = "%s.%s" % (where, key)
            if str(key).lower() in FORBIDDEN_KEYS and item not in (None, "", [], {}):
                raise SecretFound(path, item)
            find_secret(item, path)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            find_secret(item, "%s[%d]" % (where, index))
    elif isinstance(value, str) and FORBIDDEN_TEXT.search(value):
        raise SecretFound(where, value)
