# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access rules: which calls each operation makes, the match of a consumer key's rules, and the preflight.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _routes (templates and suggested rules), _client (OvhApiError), _time and _termination_errors.
"""

from __future__ import annotations

import re

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time, parse_api_time

# GET /me: the account's NIC, read once per run (who receives the termination e-mail, the request records' key).
_READ_CALLS = (
    ("GET", routes.SERVICE),
    ("GET", routes.SERVICE_INFOS),
    ("GET", routes.SERVICES),
    ("GET", routes.SERVICES_ITEM),
    ("GET", routes.EMAILS),
    ("GET", routes.EMAIL),
    ("GET", routes.ME),
)
CALLS_BY_OPERATION = {
    "read": _READ_CALLS,
    "request": _READ_CALLS + (("POST", routes.TERMINATE),),
    "confirm": _READ_CALLS + (("POST", routes.CONFIRM),),
    "cancel": _READ_CALLS + (("PUT", routes.SERVICE_INFOS),),
    # with a token given, the e-mail history and GET /me are optional (a key may lack those rules on purpose: the
    # token comes by hand, the records then use today's key, with a warning)
    "confirm_with_token": tuple(call for call in _READ_CALLS if call[1] not in (routes.EMAILS, routes.EMAIL, routes.ME)) + (("POST", routes.CONFIRM),),
}


def rule_matches(rule, method, path):
    """True when an access rule ``{method, path}`` (``*`` matches any characters, ``/`` included) allows the call."""
    if not isinstance(rule, dict):
        return False
    rule_method = str(rule.get("method", "")).upper()
    if rule_method not in (method.upper(), "*"):
        return False
    pattern = "^" + ".*".join(re.escape(part) for part in str(rule.get("path", "")).split("*")) + "$"
    return re.match(pattern, path) is not None


def _concrete(template, service_name):
    return template.replace("{serviceName}", service_name).replace("{serviceId}", "1").replace("{emailId}", "1")


suggested_rule = routes.suggested_rule


def missing_access_rules(rules, calls, service_name):
    """The suggested rule texts (docs/design.md section 2) for every call in ``calls`` (``(method, template)``) that
    ``rules`` do not allow, without duplicates, in call order."""
    missing = []
    for method, template in calls:
        path = _concrete(template, service_name)
        if not any(rule_matches(rule, method, path) for rule in rules or []):
            text = suggested_rule(method, template)
            if text not in missing:
                missing.append(text)
    return missing


CREDENTIAL_SHARED_SECONDS = 300
"""How long the access rules read by one module run serve the others of the same run (``run_id``): a key whose rules
were cut meanwhile is still refused by the API at the call itself."""


def preflight(client, service_name, operation, warn):
    """Read ``GET /auth/currentCredential`` and fail, before any write, when the credential is not usable or
    its access rules lack a call ``operation`` will make. Returns the credential summary (no secrets).

    OAuth2 clients and keys that cannot read their own credential are not checked here: a warning says so,
    and refusals are then named when they happen (the client names the missing rule or IAM action)."""
    run_shared = getattr(client, "run_shared", None)
    read = {}

    def read_credential():
        read["credential"] = client.get(routes.CURRENT_CREDENTIAL)
        credential = read["credential"]
        if isinstance(credential, dict) and credential.get("status") == "validated":
            # Only what is judged here (no secret in it): any other answer is never shared, so it is read again.
            return {key: credential.get(key) for key in ("credentialId", "status", "expiration", "rules")}
        return None

    try:
        credential = run_shared.fetch("credential", CREDENTIAL_SHARED_SECONDS, read_credential) if run_shared is not None else None
        if credential is None:
            credential = read["credential"] if "credential" in read else client.get(routes.CURRENT_CREDENTIAL)
    except OvhApiError as err:
        if err.error_code in ("INVALID_KEY", "INVALID_CREDENTIAL", "NOT_CREDENTIAL") or err.status == 401:
            raise TerminationError("preflight", "The credentials are not usable: %s" % err, error=err)
        warn("Could not read the consumer key's access rules (%s); refusals will be named when they happen." % err)
        return None
    if not isinstance(credential, dict):
        return None
    status = credential.get("status")
    if status is not None and status != "validated":
        raise TerminationError(
            "preflight", "The consumer key is %s, not validated: validate it (or create a new one) before running this module. Nothing was written." % status
        )
    expiration = parse_api_time(credential.get("expiration"))
    if expiration is not None and expiration <= client.now():
        raise TerminationError("preflight", "The consumer key expired at %s: create a new one. Nothing was written." % format_time(expiration))
    rules = credential.get("rules")
    if isinstance(rules, list):
        missing = missing_access_rules(rules, CALLS_BY_OPERATION[operation], service_name)
        if missing:
            raise TerminationError(
                "preflight",
                "The consumer key lacks access rule(s) needed to %s %s: %s. Add them to the key (or create a key with "
                "them); nothing was written." % (operation.split("_")[0], service_name, ", ".join(missing)),
            )
    return {"credential_id": credential.get("credentialId"), "status": status, "expiration": format_time(expiration) if expiration is not None else None}
