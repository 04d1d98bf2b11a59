# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_routes.py is the one home of each route template, IAM action and access-rule string."""

from __future__ import annotations

import ast
import os

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(routes.__file__)), os.pardir)
CODE_DIRS = ("module_utils", "inventory", "modules", "action")


def _facts():
    facts = set()
    for method, template in routes.routes():
        facts.add(template)
        facts.add("%s %s" % (method, template))
    facts.update(routes.IAM_ACTIONS.values())
    for method, path in routes.REQUIRED_RULES + (routes.RULE_EDIT_SERVICE_INFOS, routes.RULE_CURRENT_CREDENTIAL):
        facts.add(path)
        facts.add("%s %s" % (method, path))
    return facts


def _code_strings(path):
    """String constants of a plugin's code, without docstrings and the DOCUMENTATION/EXAMPLES/RETURN blocks."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in ("DOCUMENTATION", "EXAMPLES", "RETURN") for t in node.targets):
            skipped.add(id(node.value))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body and isinstance(node.body[0], ast.Expr):
            skipped.add(id(node.body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.lineno, node.value


def test_every_route_fact_is_defined_only_in_routes():
    facts = _facts()
    found = []
    for folder in CODE_DIRS:
        directory = os.path.join(PLUGINS, folder)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".py") or (folder == "module_utils" and name == "_routes.py"):
                continue
            for line, value in _code_strings(os.path.join(directory, name)):
                if value in facts:
                    found.append("%s/%s:%d %r" % (folder, name, line, value))
    assert found == []


def test_the_scan_sees_a_route_literal():
    # the guard above must be able to fail: the literals of _routes.py itself are found
    assert routes.CONFIRM in [value for dummy, value in _code_strings(routes.__file__)]


def test_iam_action_and_rules_of_each_route():
    assert routes.iam_action("POST", routes.CONFIRM) == "pccVMware:apiovh:confirmTermination"
    assert routes.iam_action("GET", routes.SERVICES + "?resourceName=x") == "account:apiovh:services/get"
    assert routes.iam_action("GET", routes.AUTH_TIME) is None
    assert routes.access_rule("GET", routes.VM) == "GET /dedicatedCloud/*/datacenter/*/vm/*"
    assert routes.suggested_rule("GET", routes.VM) == "GET /dedicatedCloud*"
    assert routes.suggested_rule("POST", routes.TERMINATE) == "POST /dedicatedCloud/*/terminate"
    assert routes.suggested_rule("GET", routes.ME) == "GET /me"


def test_required_access_rules_cover_every_call_and_narrow_to_services():
    rules = routes.required_access_rules(cancel=True)
    assert {"method": "PUT", "path": "/dedicatedCloud/*/serviceInfos"} in rules
    assert {"method": "GET", "path": "/me"} in rules
    assert routes.required_access_rules() == [r for r in rules if r["method"] != "PUT"]
    narrowed = routes.required_access_rules(service_names=["pcc-1", "pcc-2"])
    assert {"method": "GET", "path": "/dedicatedCloud/pcc-1*"} in narrowed
    assert {"method": "POST", "path": "/dedicatedCloud/pcc-2/confirmTermination"} in narrowed
    assert {"method": "GET", "path": "/services*"} in narrowed
    assert not any(r["path"].startswith("/dedicatedCloud/*") or r["path"] == "/dedicatedCloud*" for r in narrowed)
