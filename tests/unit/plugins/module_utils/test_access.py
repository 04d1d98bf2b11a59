# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access rules: matching and the rules each operation needs (_access)."""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _access


def test_rule_matching_with_wildcards():
    assert _access.rule_matches({"method": "GET", "path": "/dedicatedCloud*"}, "GET", "/dedicatedCloud/pcc-1/serviceInfos")
    assert _access.rule_matches({"method": "POST", "path": "/dedicatedCloud/*/terminate"}, "POST", "/dedicatedCloud/pcc-1/terminate")
    assert not _access.rule_matches({"method": "POST", "path": "/dedicatedCloud/*/terminate"}, "POST", "/dedicatedCloud/pcc-1/confirmTermination")
    assert not _access.rule_matches({"method": "GET", "path": "/dedicatedCloud*"}, "POST", "/dedicatedCloud/pcc-1/terminate")
    assert not _access.rule_matches({"method": "GET", "path": "/me"}, "GET", "/me/notification/email/history")


def test_missing_rules_are_named_as_design_lists_them():
    least = [
        {"method": "GET", "path": "/dedicatedCloud*"},
        {"method": "GET", "path": "/services*"},
        {"method": "GET", "path": "/me/notification/email/history*"},
        {"method": "POST", "path": "/dedicatedCloud/*/terminate"},
        {"method": "GET", "path": "/me"},
    ]
    assert _access.missing_access_rules(least, _access.CALLS_BY_OPERATION["request"], "pcc-1") == []
    # issue 8: GET /me (who receives the e-mail, the records' key) is checked before any write
    assert _access.missing_access_rules(least[:-1], _access.CALLS_BY_OPERATION["request"], "pcc-1") == ["GET /me"]
    assert _access.missing_access_rules(least, _access.CALLS_BY_OPERATION["confirm"], "pcc-1") == ["POST /dedicatedCloud/*/confirmTermination"]
    read_only = [{"method": "GET", "path": "/*"}]
    assert _access.missing_access_rules(read_only, _access.CALLS_BY_OPERATION["cancel"], "pcc-1") == ["PUT /dedicatedCloud/*/serviceInfos"]
    assert _access.missing_access_rules([], _access.CALLS_BY_OPERATION["read"], "pcc-1") == [
        "GET /dedicatedCloud*",
        "GET /services*",
        "GET /me/notification/email/history*",
        "GET /me",
    ]


def test_confirm_with_token_does_not_need_the_email_history():
    rules = [
        {"method": "GET", "path": "/dedicatedCloud*"},
        {"method": "GET", "path": "/services*"},
        {"method": "POST", "path": "/dedicatedCloud/*/confirmTermination"},
    ]
    assert _access.missing_access_rules(rules, _access.CALLS_BY_OPERATION["confirm_with_token"], "pcc-1") == []
    assert _access.missing_access_rules(rules, _access.CALLS_BY_OPERATION["confirm"], "pcc-1") == ["GET /me/notification/email/history*", "GET /me"]
