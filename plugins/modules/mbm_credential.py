#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mbm_credential
short_description: Ask OVHcloud for a least-privilege consumer key for this collection, and check it once validated
version_added: 0.2.0
description:
  - With O(state=requested), asks the OVHcloud API for a new consumer key (C(POST /auth/credential)) holding exactly
    the access rules this collection needs, and writes it to the file O(path) (mode 0600). It returns the
    RV(validation_url) that a person must open, log in to the OVHcloud account and validate; until then every call
    signed with the key is refused.
  - This needs the application key and secret of an OVHcloud API application, and no consumer key.
  - With O(state=validated), reads the key from O(path) and checks it with C(GET /auth/currentCredential) (signed with
    it), which must answer validated, not expired, and holding the rules that were asked for. With O(wait=true) it waits for the
    validation.
  - The access rules come from the collection's own table of routes (C(plugins/module_utils/_routes.py)), not from a
    document. With O(service_names), the rules under C(/dedicatedCloud) are narrowed to those services; the rules
    for C(/services*), the e-mail history (C(/me/notification/email/history*)), C(/me) and
    C(/auth/currentCredential) cannot be narrowed to one service (they are account-wide routes) and are returned
    in RV(not_narrowed).
  - The consumer key is never printed, logged or returned. Keep the file like a password (or move the key into a
    vault) and delete it when the key is stored elsewhere.
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
options:
  state:
    description:
      - V(requested) asks for a new key (unless O(path) already holds one for the same rules); V(validated) checks
        the key in O(path).
    type: str
    choices: [requested, validated]
    default: requested
  path:
    description:
      - The file that receives the consumer key, as JSON (C(consumer_key), C(validation_url), C(endpoint),
        C(application_key), C(access_rules), C(requested_at)), mode 0600. Its directory is created (mode 0700) when
        missing.
      - "To use the key: C(export OVH_CONSUMER_KEY=\"$(jq -r .consumer_key FILE)\"), or
        C(lookup('ansible.builtin.file', FILE) | from_json) into a vaulted variable."
    type: path
    required: true
  service_names:
    description:
      - Narrow the C(/dedicatedCloud) rules to these services (exact names, for example V(pcc-192-0-2-10)).
      - When not set, the rules cover every C(dedicatedCloud) service of the account (C(GET /dedicatedCloud*),
        C(POST /dedicatedCloud/*/terminate), ...), which the inventory plugin needs to list the services.
      - A key narrowed to services cannot list the account's services (C(GET /dedicatedCloud)); use a static inventory
        with one host per service.
    type: list
    elements: str
  cancel:
    description:
      - Also ask for C(PUT /dedicatedCloud/*/serviceInfos), which only M(ovhcloud.mbm.mbm_termination_cancel) needs.
    type: bool
    default: false
  redirection:
    description:
      - The URL the validation page sends the person to once the key is validated (C(redirection) of the request).
    type: str
  force:
    description:
      - With O(state=requested), ask for a new key even when O(path) already holds one, and replace the file. The
        old key stays valid until it expires or is revoked (control panel, or C(DELETE /me/api/credential/{id})).
    type: bool
    default: false
  wait:
    description:
      - With O(state=validated), wait until the key is validated (or O(wait_timeout) passes) instead of failing at
        once when it is not validated yet.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the validation with O(wait=true).
    type: int
    default: 900
  wait_delay:
    description:
      - Seconds between two checks with O(wait=true).
    type: int
    default: 10
  endpoint:
    description:
      - The OVHcloud API (V(ovh-eu), V(ovh-ca), V(ovh-us), V(kimsufi-eu), V(kimsufi-ca), V(soyoustart-eu),
        V(soyoustart-ca)), or its base URL including C(/1.0) (https, or http on a loopback host).
      - When not set, E(OVH_ENDPOINT), then the C([default]) C(endpoint) of python-ovh's configuration files, then
        V(ovh-eu).
    type: str
  application_key:
    description:
      - The application key (AK) of the OVHcloud API application that asks for the key.
      - When neither O(application_key) nor O(application_secret) is set, both come from E(OVH_APPLICATION_KEY) and
        E(OVH_APPLICATION_SECRET), then from python-ovh's configuration files.
    type: str
  application_secret:
    description:
      - The application secret (AS) of that application. It signs the calls of O(state=validated).
    type: str
  api_timeout:
    description:
      - Timeout in seconds of each HTTP request to the API.
    type: int
    default: 30
  api_retry_max_wait:
    description:
      - Longest total time in seconds spent waiting between retries of a read (429, 5xx, timeouts).
    type: int
    default: 60
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - With O(state=requested), check mode sends nothing and writes no file; it returns the rules it would ask for.
      - With O(state=validated), check mode makes the same read-only call.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: full
    details:
      - O(state=requested) asks for nothing when O(path) already holds a key for the same endpoint, application and
        rules (set O(force=true) to ask again).
notes:
  - "Not in the action group C(ovhcloud.mbm.mbm): it takes no consumer key, so the group's C(module_defaults) would
    break it."
  - "The flow: C(state=requested) prints RV(validation_url); a person opens it, logs in to the OVHcloud account that
    owns the services, chooses the key's validity and validates; C(state=validated) then confirms the key works. The
    playbook C(ovhcloud.mbm.credentials) runs both steps."
  - "C(POST /auth/credential) is authenticated by the application key alone (no signature); the key it returns is
    pending until validated (docs/api-assumptions.md)."
  - "Accounts governed by IAM policies still need the IAM actions of the collection (docs/troubleshooting.md): access
    rules restrict a key, they do not grant what a policy refuses."
seealso:
  - module: ovhcloud.mbm.mbm_info
  - name: Creating OVHcloud API credentials (python-ovh)
    description: python-ovh's consumer key request, which this module's request mirrors.
    link: https://github.com/ovh/python-ovh#2-configure-your-application
"""

EXAMPLES = r"""
- name: Ask for a key limited to two services (needs the application key and secret only)
  ovhcloud.mbm.mbm_credential:
    state: requested
    path: ~/.ansible/ovhcloud_mbm/consumer_key.json
    service_names:
      - pcc-192-0-2-10
      - pcc-192-0-2-11
    redirection: https://www.ovhcloud.com/
  register: mbm_key_request

- name: Show where to validate it
  ansible.builtin.debug:
    msg: "Open {{ mbm_key_request.validation_url }}, log in and validate the key."

- name: Wait for the validation, then check the key's rules
  ovhcloud.mbm.mbm_credential:
    state: validated
    path: ~/.ansible/ovhcloud_mbm/consumer_key.json
    wait: true
    wait_timeout: 900
"""

RETURN = r"""
path:
  description: The file that holds the consumer key (mode 0600).
  returned: always
  type: str
access_rules:
  description: The access rules asked for (O(state=requested)) or recorded in O(path) (O(state=validated)).
  returned: always
  type: list
  elements: dict
  sample: [{method: GET, path: /dedicatedCloud/pcc-192-0-2-10*}, {method: GET, path: /services*}]
not_narrowed:
  description: The access rules that cannot be narrowed to the services of O(service_names) (account-wide routes).
  returned: success
  type: list
  elements: dict
  sample: [{method: GET, path: /services*}, {method: GET, path: /me}]
validation_url:
  description: The URL where a person validates the key (not a secret; it only works after logging in to the account).
  returned: when a key was requested now or earlier
  type: str
  sample: https://eu.api.ovh.com/auth/?credentialToken=...
credential:
  description: What the API says about the key (never the key itself).
  returned: when O(state=validated) succeeded
  type: dict
  contains:
    credential_id:
      description: The key's id (C(credentialId)), used to revoke it.
      type: int
    application_id:
      description: The application's id.
      type: int
    status:
      description: V(validated).
      type: str
    expiration:
      description: When the key expires (null when it does not).
      type: str
    rules:
      description: The access rules the key holds.
      type: list
      elements: dict
api_calls:
  description: API calls made, in total and per route template.
  returned: always
  type: dict
failure:
  description: Why the module failed (C(error_code) V(NOT_VALIDATED), V(RULES_MISMATCH), V(INVALID), or the API's).
  returned: failure
  type: dict
"""

import json
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import HAS_OVH, OVH_IMPORT_ERROR, OvhClient, empty_api_calls
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import write_json_atomic

# POST /auth/credential is not signed: the client is built with this stand-in, which is never sent.
UNSIGNED = "unsigned-consumer-key-request"
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class CredentialError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def wanted_rules(service_names, cancel):
    """The collection's rules (plus reading the key itself), narrowed to services when asked."""
    rules = routes.required_access_rules(cancel=cancel, service_names=service_names)
    method, path = routes.RULE_CURRENT_CREDENTIAL
    rules.append({"method": method, "path": path})
    return rules


def build_client(params, consumer_key):
    """A client for the application of the options (or of the OVH_* environment / python-ovh config files)."""
    options = {}
    environ = None
    if params["application_key"] or params["application_secret"]:
        options = {"application_key": params["application_key"], "application_secret": params["application_secret"], "consumer_key": consumer_key}
    else:
        environ = dict((name, value) for name, value in os.environ.items() if name not in ("OVH_CLIENT_ID", "OVH_CLIENT_SECRET"))
        environ["OVH_CONSUMER_KEY"] = consumer_key
    return OvhClient(
        endpoint=params["endpoint"],
        api_timeout=params["api_timeout"],
        api_rate_limit=0,
        api_retry_max_wait=params["api_retry_max_wait"],
        environ=environ,
        **options,
    )


def read_file(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError) as err:
        raise CredentialError("INVALID", "Cannot read %s (%s)." % (path, err.strerror or err)) from None
    except ValueError:
        raise CredentialError("INVALID", "%s is not the JSON file this module writes." % path) from None
    if not isinstance(data, dict) or not isinstance(data.get("consumer_key"), str) or not data["consumer_key"]:
        raise CredentialError("INVALID", "%s holds no consumer key." % path)
    return data


def rule_set(rules):
    return set((rule.get("method"), rule.get("path")) for rule in rules or [] if isinstance(rule, dict))


def request(module, client, rules, result):
    params = module.params
    path = params["path"]
    if os.path.exists(path) and not params["force"]:
        existing = read_file(path)
        if (
            existing.get("endpoint") == client.base_url
            and rule_set(existing.get("access_rules")) == rule_set(rules)
            and existing.get("application_key") == client.application_key
        ):
            result.update(
                changed=False,
                validation_url=existing.get("validation_url"),
                msg="%s already holds a key requested for these rules: nothing was asked. Validate it at the "
                "URL, check it with state=validated, or set force=true for a new one." % path,
            )
            return
        raise CredentialError(
            "INVALID",
            "%s already holds a key for other rules, another application or another endpoint: nothing was asked. Choose another path or set force=true." % path,
        )
    result["changed"] = True
    if module.check_mode:
        result["msg"] = "Would ask for a consumer key with %d access rules and write it to %s." % (len(rules), path)
        return
    body = {"accessRules": rules}
    if params["redirection"]:
        body["redirection"] = params["redirection"]
    # Unsigned: only the application key identifies the caller (python-ovh's request_consumerkey does the same).
    answer = client.post_unsigned(routes.CREDENTIAL_REQUEST, body=body).data
    if not isinstance(answer, dict) or not answer.get("consumerKey") or not answer.get("validationUrl"):
        raise CredentialError("INVALID_RESPONSE", "POST %s did not return a consumer key and a validation URL." % routes.CREDENTIAL_REQUEST)
    # mkstemp makes the temporary file 0600: the key never sits in a readable file
    record = {
        "consumer_key": answer["consumerKey"],
        "validation_url": answer["validationUrl"],
        "endpoint": client.base_url,
        "application_key": client.application_key,
        "access_rules": rules,
        "state": answer.get("state"),
        "requested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_json_atomic(path, record, 0o600)
    result.update(
        validation_url=answer["validationUrl"],
        msg="A consumer key was requested and written to %s (mode 0600). Open the validation URL, log in to the "
        "OVHcloud account that owns the services and validate it; then run with state=validated." % path,
    )


def check(module, client, stored, result):
    params = module.params
    deadline = time.time() + max(0, params["wait_timeout"])
    while True:
        try:
            credential = client.get(routes.CURRENT_CREDENTIAL)
            break
        except OvhApiError as err:
            if err.error_code != "INVALID_CREDENTIAL":
                raise
            if not params["wait"] or time.time() + params["wait_delay"] > deadline:
                raise CredentialError(
                    "NOT_VALIDATED",
                    "The consumer key in %s is not validated%s (the API refuses it: %s). Open %s, log in "
                    "to the OVHcloud account and validate it (a refused or expired key needs a new request: force=true)."
                    % (
                        params["path"],
                        " after waiting %d s" % params["wait_timeout"] if params["wait"] else " yet",
                        err.error_code,
                        stored.get("validation_url") or "its validation URL",
                    ),
                ) from None
            time.sleep(params["wait_delay"])
    if not isinstance(credential, dict) or credential.get("status") != "validated":
        raise CredentialError(
            "NOT_VALIDATED",
            "The consumer key in %s reads status %r, not validated."
            % (params["path"], credential.get("status") if isinstance(credential, dict) else credential),
        )
    granted = rule_set(credential.get("rules"))
    missing = sorted(rule_set(stored.get("access_rules")) - granted)
    result["credential"] = {
        "credential_id": credential.get("credentialId"),
        "application_id": credential.get("applicationId"),
        "status": credential.get("status"),
        "expiration": credential.get("expiration"),
        "rules": credential.get("rules"),
    }
    if missing:
        raise CredentialError(
            "RULES_MISMATCH",
            "The consumer key in %s lacks access rules that were asked for: %s." % (params["path"], ", ".join("%s %s" % rule for rule in missing)),
        )
    extra = sorted(granted - rule_set(stored.get("access_rules")))
    if extra:
        module.warn("The consumer key holds access rules beyond the ones asked for: %s." % ", ".join("%s %s" % r for r in extra))
    result["msg"] = "The consumer key in %s is validated%s and holds the %d access rules asked for." % (
        params["path"],
        " until %s" % credential["expiration"] if credential.get("expiration") else "",
        len(granted),
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="requested", choices=["requested", "validated"]),
            path=dict(type="path", required=True),
            service_names=dict(type="list", elements="str"),
            cancel=dict(type="bool", default=False),
            redirection=dict(type="str"),
            force=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=900),
            wait_delay=dict(type="int", default=10),
            endpoint=dict(type="str", fallback=(env_fallback, ["OVH_ENDPOINT"])),
            application_key=dict(type="str", no_log=False),
            application_secret=dict(type="str", no_log=True),
            api_timeout=dict(type="int", default=30),
            api_retry_max_wait=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {"changed": False, "path": params["path"], "api_calls": empty_api_calls()}
    if not HAS_OVH:
        module.fail_json(msg=missing_required_lib("ovh"), exception=OVH_IMPORT_ERROR, **result)
    names = params["service_names"]
    if names is not None and (not names or not all(SERVICE_NAME.match(name) for name in names)):
        module.fail_json(
            msg="service_names must list exact service names (letters, digits, '.', '_', '-'; no patterns).",
            failure={"status": None, "error_code": "INVALID", "message": "service_names", "query_id": None, "method": None, "path": None},
            **result,
        )
    if params["wait_delay"] < 1 or params["wait_timeout"] < 0:
        module.fail_json(msg="wait_delay must be at least 1 and wait_timeout 0 or more.", **result)
    client = None
    try:
        if params["state"] == "requested":
            rules = wanted_rules(names, params["cancel"])
            result["access_rules"] = rules
            client = build_client(params, UNSIGNED)
            request(module, client, rules, result)
        else:
            stored = read_file(params["path"])
            rules = stored.get("access_rules") or []
            result["access_rules"] = rules
            result["validation_url"] = stored.get("validation_url")
            client = build_client(params, stored["consumer_key"])
            if (stored.get("application_key"), stored.get("endpoint")) != (client.application_key, client.base_url):
                raise CredentialError(
                    "INVALID",
                    "The key in %s was requested by application %s on %s: check it with that "
                    "application's key and secret and that endpoint, not %s on %s."
                    % (params["path"], stored.get("application_key"), stored.get("endpoint"), client.application_key, client.base_url),
                )
            check(module, client, stored, result)
        # Only the rules under /dedicatedCloud name a service; the others are account-wide.
        result["not_narrowed"] = [rule for rule in result["access_rules"] if not rule["path"].startswith(routes.SERVICE_LIST)]
    except CredentialError as err:
        result["api_calls"] = client.api_calls if client is not None else result["api_calls"]
        module.fail_json(
            msg=err.msg,
            failure={
                "status": None,
                "error_code": err.code,
                "message": err.msg,
                "query_id": getattr(client, "last_query_id", None),
                "method": None,
                "path": None,
            },
            **result,
        )
    except OvhApiError as err:
        result["api_calls"] = client.api_calls if client is not None else result["api_calls"]
        module.fail_json(msg=str(err), failure=err.to_failure(), **result)
    result["api_calls"] = client.api_calls
    module.exit_json(**result)


if __name__ == "__main__":
    main()
