# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one exception type of the client layer, the result of a write, and the translation of API errors into
actionable hints.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports only the standard library, ``_routes`` (for the access rule and IAM action a hint names) and ``_secrets``
(``scrub_secret``: an error is built scrubbed of what the request sent).
"""

from __future__ import annotations

import re

from ansible_collections.ovhcloud.mbm.plugins.module_utils._routes import access_rule, iam_action
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import scrub_secret


class OvhApiError(Exception):
    """Every failure of the client layer: HTTP errors, transport errors and configuration errors."""

    def __init__(
        self, message, status=None, error_code=None, query_id=None, method=None, path=None, route=None, details=None, hint=None, outcome_unknown=False
    ):
        self.message = message
        self.status = status
        self.error_code = error_code
        self.query_id = query_id
        self.method = method
        self.path = path
        self.route = route
        self.details = details or {}
        self.hint = hint
        # True when this failure of a write (POST/PUT) does not say whether the write was applied: its response
        # was lost (status None), or it was answered with a 5xx, which a proxy or gateway can send after the API
        # applied it. The caller must re-read the state before deciding anything. Always False for reads, for
        # 4xx answers (refused before being applied; a 429 comes from the rate limit in front of the API) and for
        # failures raised before anything was sent.
        self.outcome_unknown = bool(outcome_unknown)
        super().__init__(self.text())

    def text(self):
        parts = []
        if self.method and self.path:
            parts.append("%s %s failed:" % (self.method, self.path))
        if self.status is not None:
            parts.append("HTTP %s%s:" % (self.status, " " + self.error_code if self.error_code else ""))
        parts.append(sentence(self.message))
        if self.hint:
            parts.append(sentence(self.hint))
        if self.query_id:
            parts.append("(query id %s)" % self.query_id)
        return " ".join(parts)

    def __str__(self):
        return self.text()

    def to_failure(self):
        return {
            "status": self.status,
            "error_code": self.error_code,
            "message": self.message,
            "query_id": self.query_id,
            "method": self.method,
            "path": self.path,
        }


def sentence(text):
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def config_error(message):
    return OvhApiError(message, error_code="INVALID_CONFIGURATION")


class WriteResult:
    """What post()/put() return: the decoded body and the X-Ovh-QueryID reports can cite."""

    def __init__(self, data, query_id, status):
        self.data = data
        self.query_id = query_id
        self.status = status

    def __repr__(self):
        return "WriteResult(status=%r, query_id=%r)" % (self.status, self.query_id)


# --------------------------------------------------------------------------------------------------------
# Error translation
# --------------------------------------------------------------------------------------------------------


def query_id_of(response):
    return response.headers.get("X-Ovh-QueryID") if response is not None else None


def decode_body(response):
    """Return (ok, data): ok is False when the body is not JSON (an HTML error page, say)."""
    if response.status_code == 204 or not response.content:
        return True, None
    try:
        return True, response.json()
    except ValueError:
        return False, None


SHORT_TEXT_CHARS = 160


def _short_text(response, secrets=()):
    """The text of a non-JSON page, scrubbed of the secrets, THEN cut: a secret across the cut never survives in part."""
    text = re.sub(r"<[^>]*>", " ", response.text or "")
    text = scrub_secret(" ".join(text.split()), list(secrets))
    return text[:SHORT_TEXT_CHARS]


def translate_error(response, method, path, route, secrets=()):
    """Turn a non-2xx response (or an undecodable body) into an OvhApiError with a hint, scrubbed of ``secrets``
    (what the request sent that the answer may echo) in every field before anything reads it."""
    return scrub_secret(_translate(response, method, path, route, secrets), list(secrets))


def _translate(response, method, path, route, secrets):
    status = response.status_code
    qid = query_id_of(response)
    ok, body = decode_body(response)
    if not ok:
        ctype = response.headers.get("Content-Type", "unknown type")
        hint = _status_hint(status, method, route)
        return OvhApiError(
            "The API answered with a non-JSON body (%s): %s" % (ctype, _short_text(response, secrets) or "empty"),
            status=status,
            error_code="INVALID_RESPONSE",
            query_id=qid,
            method=method,
            path=path,
            route=route,
            hint=hint,
        )
    body = body if isinstance(body, dict) else {"message": str(body)}
    error_code = body.get("errorCode") or body.get("class")
    message = body.get("message") or "HTTP %s" % status
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    hint = _error_hint(status, body.get("errorCode"), body.get("class"), details, method, route)
    return OvhApiError(message, status=status, error_code=error_code, query_id=qid, method=method, path=path, route=route, details=details, hint=hint)


IAM_KEY = "unauthorizedActionsByIAM"
AUTHENTICATION_KEY = "unauthorizedActionsByAuthentication"


def _actions(value):
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(a) for a in value if a not in (None, ""))
    return value.strip() if isinstance(value, str) else ""


def _error_hint(status, code, klass, details, method, route):
    rule = access_rule(method, route)
    if code == "NOT_GRANTED_CALL":
        return "The consumer key lacks an access rule: add the access rule %s to the consumer key (or create a new key with it)" % rule
    if status == 403 and (klass == "Client::Forbidden" or IAM_KEY in details or AUTHENTICATION_KEY in details):
        # Either key may be present, as a string (empty when none) or, defensively, a list (go-ovh ovh/error.go).
        actions = _actions(details.get(IAM_KEY))
        by_authentication = _actions(details.get(AUTHENTICATION_KEY))
        parts = []
        if actions:
            parts.append("An IAM policy of the account refuses the action %s: grant the IAM action %s to this identity in a policy" % (actions, actions))
        if by_authentication:
            parts.append(
                "The authentication of this identity does not allow the action %s (%s): grant it to this identity in an "
                "IAM policy, and check that the consumer key has the access rule %s (for OAuth2, the service "
                "account's rights)" % (by_authentication, AUTHENTICATION_KEY, rule)
            )
        if parts:
            return "; ".join(parts)
        likely = iam_action(method, route)
        if likely:
            return "An IAM policy of the account refuses this call (%s), probably the IAM action %s: grant the IAM action %s to this identity in a policy" % (
                rule,
                likely,
                likely,
            )
        return "An IAM policy of the account refuses this call (%s); grant the matching IAM action to this identity" % rule
    if code == "INVALID_CREDENTIAL":
        return "The consumer key is not valid or not validated (expired, revoked, or its validation URL was never visited): create and validate a new one"
    if code == "INVALID_KEY":
        return "The application key is unknown on this endpoint: check application_key and that endpoint matches the region where the application was created"
    if code == "NOT_CREDENTIAL":
        return "The call was not signed with a consumer key the API knows: check consumer_key"
    if code == "INVALID_SIGNATURE":
        return "The signature does not match: the application_secret and consumer_key pair is wrong for this application_key"
    if code == "FORBIDDEN":
        return (
            "The API forbids this call for this account or key (not a missing access rule): check that the service belongs to "
            "the account of the consumer key and that the account may do this, in the control panel"
        )
    if code == "QUERY_TIME_OUT":
        return (
            "The API refused the request timestamp even after re-reading its clock (GET /auth/time): check the controller's "
            "clock and that nothing between the controller and the API delays requests"
        )
    return _status_hint(status, method, route)


def _status_hint(status, method, route):
    write = method != "GET"
    if status == 400:
        return "The API rejected the request parameters (bad parameters)"
    if status == 401:
        return "The API did not accept the authentication: check the credentials (for OAuth2, client_id and client_secret)"
    if status == 403:
        return "Access refused: check that the consumer key has the access rule %s" % access_rule(method, route)
    if status == 404:
        return "The resource was not found: check the service name or id"
    if status == 409:
        return "The request conflicts with the current state of the resource: re-read its state"
    if status == 460:
        return "The service is expired (suspended for non-renewal): renew it or check its state in the control panel"
    if status == 429:
        return "The API rate limit was hit: lower api_rate_limit" + ("; this write was not retried: re-read state before retrying" if write else "")
    if status is not None and status >= 500:
        return "The API had a server error" + ("; the write may or may not have been applied: re-read state before retrying" if write else "")
    return None
