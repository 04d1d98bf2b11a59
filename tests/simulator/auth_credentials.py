# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Consumer-key requests: ``POST /auth/credential`` and their validation through the admin API.

The real flow (docs/api-assumptions.md, "Consumer-key requests"): an application asks, with its application key only
(no consumer key, no signature), for a consumer key with a list of access rules; the API answers
``{validationUrl, consumerKey, state: "pendingValidation"}``; the key is bound to no account and every signed call
with it is refused (403 ``INVALID_CREDENTIAL``) until a person opens the validation URL, logs in and validates it.
Here, the admin API plays that person: ``POST /_sim/credentials/<credentialToken or consumerKey>/validate``.
"""

from __future__ import annotations

import secrets
import string

from .model import Credential, ModelError
from .routes import Route, api_error, bad_request
from .timeutil import parse_time

METHODS = ("GET", "POST", "PUT", "DELETE")
_ALPHABET = string.ascii_letters + string.digits


def _requests(state):
    """credentialToken -> consumer key, kept on the state (created on first use)."""
    if not hasattr(state, "credential_requests"):
        state.credential_requests = {}
    return state.credential_requests


def _access_rules(body):
    if not isinstance(body, dict):
        raise bad_request("Invalid body: a JSON object is expected")
    unknown = sorted(set(body) - {"accessRules", "redirection", "allowedIPs"})
    if unknown:
        raise bad_request("Invalid body: unknown field(s) %s" % ", ".join(unknown))
    rules = body.get("accessRules")
    if not isinstance(rules, list) or not rules:
        raise bad_request("Invalid body: accessRules must be a non-empty list")
    for rule in rules:
        if (
            not isinstance(rule, dict)
            or set(rule) != {"method", "path"}
            or rule["method"] not in METHODS
            or not isinstance(rule["path"], str)
            or not rule["path"].startswith("/")
        ):
            raise bad_request("Invalid access rule %r: {method: GET|POST|PUT|DELETE, path: /...} expected" % (rule,))
    redirection = body.get("redirection")
    if redirection is not None and not (isinstance(redirection, str) and redirection.startswith(("http://", "https://"))):
        raise bad_request("Invalid redirection: an http(s) URL is expected")
    return [dict(rule) for rule in rules]


def request_credential(req):
    """``POST /auth/credential``: authenticated by the application key alone."""
    app_key = req.headers.get("X-Ovh-Application")
    if not app_key or app_key not in req.state.applications:
        raise api_error(403, "This application key is invalid", "INVALID_KEY")
    rules = _access_rules(req.json)
    consumer_key = "".join(secrets.choice(_ALPHABET) for dummy in range(32))
    token = "".join(secrets.choice(_ALPHABET) for dummy in range(64))
    cred = Credential({"consumerKey": consumer_key, "applicationKey": app_key, "status": "pendingValidation", "rules": rules}, None, req.now)
    req.state.register_credential(cred)
    _requests(req.state)[token] = consumer_key
    host = req.headers.get("Host") or "127.0.0.1"
    return {"validationUrl": "http://%s/auth/?credentialToken=%s" % (host, token), "consumerKey": consumer_key, "state": "pendingValidation"}


ROUTE = Route("POST", "/auth/credential", request_credential, signed=False)


def register(routes):
    """Add the route to the simulator's route table (called once by the server module)."""
    if all(route.key != ROUTE.key for route in routes):
        routes.append(ROUTE)


# --- admin API ----------------------------------------------------------------------------------------------


def _find(state, key):
    """A requested credential by its credentialToken (from the validation URL) or its consumer key."""
    consumer_key = _requests(state).get(key, key)
    cred = state.credentials.get(consumer_key)
    if cred is None or consumer_key not in _requests(state).values():
        raise ModelError("no consumer key was requested with %s" % key)
    return cred


def validate(state, key, data, now):
    """What the person who opens the validation URL does: log in to an account and validate (or refuse) the key."""
    cred = _find(state, key)
    if cred.status != "pendingValidation":
        raise ModelError("the consumer key is %s, not pendingValidation" % cred.status)
    if data.get("refuse"):
        cred.status = "refused"
        return _public(describe(state, cred, now))
    nic = data.get("account")
    if nic is None:
        if len(state.accounts) != 1:
            raise ModelError("several accounts: say which one validates the key ({\"account\": nic})")
        nic = next(iter(state.accounts))
    if nic not in state.accounts:
        raise ModelError("unknown account %s" % nic)
    cred.account = state.accounts[nic]
    cred.status = "validated"
    cred.expiration = parse_time(data["expiration"], now) if data.get("expiration") else None
    return _public(describe(state, cred, now))


def _public(described):
    """The answer to a validation, as a browser would see it: without the consumer key."""
    described.pop("consumerKey")
    return described


def describe(state, cred, now):
    token = [t for t, ck in _requests(state).items() if ck == cred.consumer_key]
    return {
        "credentialToken": token[0] if token else None,
        "consumerKey": cred.consumer_key,
        "credentialId": cred.credential_id,
        "status": cred.effective_status(now),
        "account": cred.account.nic if cred.account else None,
        "rules": [dict(rule) for rule in cred.rules],
    }


def admin_handler(method, path):
    """The admin handler ``(core, data) -> answer`` of ``GET /_sim/credentials`` and
    ``POST /_sim/credentials/<credentialToken or consumerKey>/validate`` (body ``{account?, expiration?, refuse?}``)."""

    def handler(core, data):
        with core.lock:
            now = core.clock.now()
            if method == "GET" and path == "/credentials":
                return [describe(core.state, core.state.credentials[ck], now) for ck in _requests(core.state).values()]
            if method == "POST" and path.startswith("/credentials/") and path.endswith("/validate"):
                return validate(core.state, path[len("/credentials/") : -len("/validate")], data, now)
        raise ModelError("Unknown admin route %s %s" % (method, path))

    return handler
