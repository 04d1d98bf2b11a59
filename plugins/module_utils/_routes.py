# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one home of every OVHcloud API route the collection calls: its template, its IAM action and the
consumer-key access rule that grants it (docs/design.md sections 2 and 3).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Adding a route means adding one line to ``_TABLE``. The client counts calls by these templates, the access
check and the key helper read their rules from here, and a unit test keeps every template, IAM action and rule
string out of every other file.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

# Route templates (placeholders are always these names).
AUTH_TIME = "/auth/time"
CURRENT_CREDENTIAL = "/auth/currentCredential"
CREDENTIAL_REQUEST = "/auth/credential"
ME = "/me"
SERVICE_LIST = "/dedicatedCloud"
SERVICE = "/dedicatedCloud/{serviceName}"
SERVICE_INFOS = "/dedicatedCloud/{serviceName}/serviceInfos"
TERMINATE = "/dedicatedCloud/{serviceName}/terminate"
CONFIRM = "/dedicatedCloud/{serviceName}/confirmTermination"
DATACENTERS = "/dedicatedCloud/{serviceName}/datacenter"
DATACENTER = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}"
DATACENTER_BACKUP = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/backup"
VMS = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm"
VM = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"
DC_FILERS = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/filer"
DC_FILER = "/dedicatedCloud/{serviceName}/datacenter/{datacenterId}/filer/{filerId}"
FILERS = "/dedicatedCloud/{serviceName}/filer"
FILER = "/dedicatedCloud/{serviceName}/filer/{filerId}"
REPOSITORIES = "/dedicatedCloud/{serviceName}/backupRepository"
REPOSITORY = "/dedicatedCloud/{serviceName}/backupRepository/{repositoryId}"
EMAILS = "/me/notification/email/history"
EMAIL = "/me/notification/email/history/{emailId}"
SERVICES = "/services"
SERVICES_ITEM = "/services/{serviceId}"

# Access rules a least-privilege consumer key holds (docs/design.md section 2): wide enough for every call below.
RULE_READ_DEDICATED_CLOUD = ("GET", "/dedicatedCloud*")
RULE_TERMINATE = ("POST", "/dedicatedCloud/*/terminate")
RULE_CONFIRM = ("POST", "/dedicatedCloud/*/confirmTermination")
RULE_EDIT_SERVICE_INFOS = ("PUT", "/dedicatedCloud/*/serviceInfos")
RULE_EMAIL_HISTORY = ("GET", "/me/notification/email/history*")
RULE_SERVICES = ("GET", "/services*")
RULE_ME = ("GET", "/me")
RULE_CURRENT_CREDENTIAL = ("GET", "/auth/currentCredential")

# method, template, IAM action (None: not governed by IAM), the access rule that grants it (None: unsigned).
# IAM actions: docs/design.md section 2; the sub-service ones are assumed (docs/api-assumptions.md).
_TABLE = (
    ("GET", AUTH_TIME, None, None),
    ("GET", CURRENT_CREDENTIAL, None, RULE_CURRENT_CREDENTIAL),
    ("POST", CREDENTIAL_REQUEST, None, None),
    ("GET", ME, "account:apiovh:me/get", RULE_ME),
    ("GET", SERVICE_LIST, "pccVMware:apiovh:get", RULE_READ_DEDICATED_CLOUD),
    ("GET", SERVICE, "pccVMware:apiovh:get", RULE_READ_DEDICATED_CLOUD),
    ("GET", SERVICE_INFOS, "pccVMware:apiovh:serviceInfos/get", RULE_READ_DEDICATED_CLOUD),
    ("PUT", SERVICE_INFOS, "pccVMware:apiovh:serviceInfos/edit", RULE_EDIT_SERVICE_INFOS),
    ("POST", TERMINATE, "pccVMware:apiovh:terminate", RULE_TERMINATE),
    ("POST", CONFIRM, "pccVMware:apiovh:confirmTermination", RULE_CONFIRM),
    ("GET", DATACENTERS, "pccVMware:apiovh:datacenter/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", DATACENTER, "pccVMware:apiovh:datacenter/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", DATACENTER_BACKUP, "pccVMware:apiovh:datacenter/backup/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", VMS, "pccVMware:apiovh:datacenter/vm/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", VM, "pccVMware:apiovh:datacenter/vm/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", DC_FILERS, "pccVMware:apiovh:datacenter/filer/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", DC_FILER, "pccVMware:apiovh:datacenter/filer/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", FILERS, "pccVMware:apiovh:filer/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", FILER, "pccVMware:apiovh:filer/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", REPOSITORIES, "pccVMware:apiovh:backupRepository/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", REPOSITORY, "pccVMware:apiovh:backupRepository/get", RULE_READ_DEDICATED_CLOUD),
    ("GET", EMAILS, "account:apiovh:me/notification/email/history/get", RULE_EMAIL_HISTORY),
    ("GET", EMAIL, "account:apiovh:me/notification/email/history/get", RULE_EMAIL_HISTORY),
    ("GET", SERVICES, "account:apiovh:services/get", RULE_SERVICES),
    ("GET", SERVICES_ITEM, "account:apiovh:services/get", RULE_SERVICES),
)

IAM_ACTIONS = dict(("%s %s" % (method, template), action) for method, template, action, dummy in _TABLE if action)
_RULES = dict(((method, template), rule) for method, template, dummy, rule in _TABLE if rule)

# The rules every use of the collection needs; cancelling adds RULE_EDIT_SERVICE_INFOS.
REQUIRED_RULES = (RULE_READ_DEDICATED_CLOUD, RULE_TERMINATE, RULE_CONFIRM, RULE_EMAIL_HISTORY, RULE_SERVICES, RULE_ME)

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def routes():
    """Every ``(method, template)`` the collection calls, in table order."""
    return [(method, template) for method, template, dummy, dummy2 in _TABLE]


def iam_action(method, route):
    """The IAM action that governs a call (None when unknown)."""
    return IAM_ACTIONS.get("%s %s" % (method, (route or "").split("?", 1)[0]))


def access_rule(method, route):
    """The narrowest access rule that grants a call: placeholders become '*'."""
    return "%s %s" % (method, PLACEHOLDER.sub("*", route.split("?", 1)[0]))


def suggested_rule(method, template):
    """The least-privilege rule text (docs/design.md section 2) that grants a call."""
    rule = _RULES.get((method, template))
    return "%s %s" % rule if rule else "%s %s" % (method, template)


def required_access_rules(cancel=False, service_names=None):
    """The access rules (``[{method, path}]``) a consumer key needs for this collection.

    With ``service_names``, the rules under ``/dedicatedCloud`` are narrowed to those services; the e-mail history,
    ``/services`` and ``/me`` cannot be narrowed to one service."""
    wanted = list(REQUIRED_RULES) + ([RULE_EDIT_SERVICE_INFOS] if cancel else [])
    rules = []
    for method, path in wanted:
        if service_names is not None and path.startswith("/dedicatedCloud"):
            for name in service_names:
                narrowed = path.replace("/dedicatedCloud/*", "/dedicatedCloud/" + name)
                if narrowed == path:  # GET /dedicatedCloud*: the service and everything below it
                    narrowed = "/dedicatedCloud/%s*" % name
                rules.append({"method": method, "path": narrowed})
        else:
            rules.append({"method": method, "path": path})
    return rules


def fill_path(template, path_params, query=None):
    """Replace {placeholders} with URL-quoted values; append the query string (booleans as true/false)."""

    def value(match):
        name = match.group(1)
        if name not in path_params or path_params[name] is None:
            raise ValueError("Missing path parameter %r for %s" % (name, template))
        return quote(str(path_params[name]), safe="")

    path = PLACEHOLDER.sub(value, template)
    if query:
        encoded = dict((k, str(v).lower() if isinstance(v, bool) else v) for k, v in query.items() if v is not None)
        if encoded:
            path += "?" + urlencode(encoded)
    return path
