# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_report: the report, its outcomes, its Markdown and JSON renderings and the audit lines, as functions over data
(the module itself is run in tests/unit/plugins/modules/test_mbm_report.py)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _report as R
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _secrets as S


def params(hosts, records=None, **extra):
    result = {"hosts": hosts, "records": records, "title": "Decommission", "content": {"check_mode": False}}
    result.update(extra)
    return result


@pytest.mark.parametrize(
    "record, outcome, reason",
    [
        (
            {"phases": {"confirm": {"result": "written", "detail": "confirmed with the e-mail token"}, "request": {"result": "written"}}},
            "confirmed",
            "confirmed with the e-mail token",
        ),
        ({"phases": {"request": {"result": "written", "detail": "requested"}}}, "requested", "requested"),
        ({"planned": ["request"], "status_after": "active"}, "planned", "the service reads active"),
        ({"status_after": "terminating"}, "nothing_to_do", "the service reads terminating"),
        ({"outcome": "held", "reason": "backup gate", "phases": {"request": {"result": "written"}}}, "held", "backup gate"),
    ],
)
def test_derive_outcome(record, outcome, reason):
    item = R.derive_outcome(record)
    assert item["outcome"] == outcome
    assert item["reason"] == reason
    assert "outcome" not in record or record["outcome"] == outcome  # the record itself is not changed


def test_planned_outcome_names_the_next_action():
    assert R.derive_outcome({"planned": ["request", "confirm"]})["next_action"] == "decommission would request then confirm"
    assert R.derive_outcome({"planned": ["request"], "next_action": "run again"})["next_action"] == "run again"


def test_build_report_lists_every_host_and_counts_outcomes():
    records = {"b": {"outcome": "done"}, "a": {"phases": {"request": {"result": "written"}}}, "z": {"outcome": "failed"}}
    report = R.build_report(params(["b", "a", "c"], records), generated_at="2026-11-26T12:00:00Z")
    assert [item["host"] for item in report["hosts"]] == ["b", "a", "c", "z"]  # hosts first, then other records sorted
    assert [item["outcome"] for item in report["hosts"]] == ["done", "requested", "not_reached", "failed"]
    assert report["hosts"][2]["reason"].startswith("the role did not run for this host")
    assert report["summary"] == {"total": 4, "done": 1, "requested": 1, "not_reached": 1, "failed": 1}
    assert report["generated_at"] == "2026-11-26T12:00:00Z"
    assert report["title"] == "Decommission" and report["run"] == {"check_mode": False}
    assert "approved_not_in_run" not in report


def test_build_report_marks_pending_actions_and_sorts_unmatched_approvals():
    window = {"day_of_month": 20, "message": "before the window"}
    records = {"a": {"outcome": "done", "billing_window": window}, "b": {"planned": ["request"], "billing_window": window}}
    report = R.build_report(params(["a", "b"], records, approved_not_in_run=["x", "X", "x"]))
    assert [item["billing_window"]["action_pending"] for item in report["hosts"]] == [False, True]
    assert "action_pending" not in window
    assert report["approved_not_in_run"] == ["X", "x"]
    assert report["generated_at"].endswith("Z")


def test_markdown_rendering():
    report = R.build_report(
        params(
            ["pcc-1", "pcc-2"],
            {
                "pcc-1": {
                    "service_name": "pcc-1",
                    "outcome": "held",
                    "reason": "backup | gate",
                    "backup": {"passed": False, "violations": [{"rule": "no_backup"}], "manifest_path": "/m.json"},
                },
            },
        ),
        generated_at="2026-11-26T12:00:00Z",
    )
    text = R.render_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "# Decommission"
    assert lines[2] == "Generated at 2026-11-26T12:00:00Z. Mode: apply."
    assert lines[3] == "Hosts: 2 (held: 1, not_reached: 1)."
    assert "| pcc-1 | pcc-1 | held | - | - | - | FAILED (1 violations) | - | backup \\| gate |" in lines
    assert "- Backup manifest: /m.json" in lines
    assert '- Backup violation: {"rule": "no_backup"}' in lines
    assert "## pcc-2" in lines
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert R.strip_generated(text.encode()) == R.strip_generated(text.replace("2026-11-26T12:00:00Z", "later").encode())


def test_markdown_says_where_the_email_goes_what_to_set_and_a_retry():
    recipient = {"admin_contact": "xy999-ovh", "account": "ab12345-ovh", "visible": False}
    report = R.build_report(
        params(
            ["pcc-1", "pcc-2", "pcc-3"],
            {
                "pcc-1": {
                    "outcome": "awaiting_token",
                    "reason": "e-mail went to xy999-ovh",
                    "email_recipient": recipient,
                    "awaiting_token": {"variable": "decommission_token", "host": "pcc-1", "admin_contact": "xy999-ovh"},
                },
                "pcc-2": {
                    "outcome": "confirmed",
                    "termination": {"email_recipient": dict(recipient, admin_contact="ab12345-ovh", visible=True)},
                    "retry_after_unknown": {"first_query_id": "EU.q-1", "first_sent_at": "2026-11-26T10:00:00Z", "email_id": 7},
                },
                "pcc-3": {"outcome": "planned", "email_recipient": dict(recipient, visible=None), "retry_after_unknown": None},
            },
        ),
        generated_at="2026-11-26T12:00:00Z",
    )
    lines = R.render_markdown(report).splitlines()
    assert report["summary"]["awaiting_token"] == 1
    assert (
        "- Termination e-mail goes to: xy999-ovh (admin contact; account ab12345-ovh): another NIC: its token must be given by hand (decommission_token)"
    ) in lines
    assert "- Awaiting token: set decommission_token for host pcc-1 (the token is in the termination e-mail sent to xy999-ovh)" in lines
    assert "- Termination e-mail goes to: ab12345-ovh (admin contact; account ab12345-ovh): the account's own e-mails: the role reads the token" in lines
    assert (
        "- Retry after an unknown outcome: yes, the one retry after the unknown outcome of the confirmation sent at "
        "2026-11-26T10:00:00Z (first query id EU.q-1, e-mail 7)"
    ) in lines
    assert len([line for line in lines if line.startswith("- Retry after")]) == 1
    assert any(line.startswith("- Termination e-mail goes to: xy999-ovh") and "unknown (not readable)" in line for line in lines)
    assert R.render_recipient({}) is None and R.render_retry(None) is None


def test_json_rendering_is_stable():
    data = R.render_json({"b": 1, "a": "é"})
    assert data == '{\n  "a": "é",\n  "b": 1\n}\n'.encode("utf-8")


def test_render_window_without_pending_action():
    window = {
        "day_of_month": 20,
        "last_day_of_month": 30,
        "timezone": "UTC",
        "days_left_in_month": 10,
        "action": "confirm",
        "from_day": 25,
        "message": "acting now gives up 10 day(s)",
    }
    assert R.render_window({"outcome": "done", "billing_window": window}).startswith("(no action pending) day 20 of 30 (UTC)")
    assert R.render_window({"outcome": "planned", "billing_window": window}) == "acting now gives up 10 day(s)"
    assert R.render_window({"outcome": "done"}) is None


@pytest.mark.parametrize(
    "value, where",
    [
        ({"run": {"token": "abc"}}, "content.run.token"),
        ({"hosts": [{"link": "https://www.ovh.com/manager/#/confirmTerminate?id=1&token=abc"}]}, "content.hosts[0].link"),
        ({"x": "https://example.test/?a=1&token=abc"}, "content.x"),
    ],
)
def test_find_secret(value, where):
    with pytest.raises(S.SecretFound) as info:
        S.find_secret(value)
    assert str(info.value) == where


def test_find_secret_ignores_empty_secret_keys_and_plain_text():
    S.find_secret({"token": None, "consumer_key": "", "note": "the token is in the e-mail"})


@pytest.mark.parametrize(
    "text",
    [
        "https://share.example.net/download?id=42&token=AttTok0123456789",
        "https://bucket.s3.amazonaws.com/pcc.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA&X-Amz-Signature=abc123",
        "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=abc123",
        "https://acct.blob.core.windows.net/c/pcc.tar?sv=2022-11-02&se=2026-12-01&sr=b&sp=r&sig=abc123",
        "https://storage.example.net/v1/AUTH_x/c/o?temp_url_sig=abc123&temp_url_expires=1",
        "https://api.example.net/export?access_token=abc123",
        "https://api.example.net/export#id_token=abc123",
        "sftp://export:Passw0rd@sftp.example.net/pcc/",
        "https://user:pa55@files.example.net/pcc.tar",
        "exported to the NAS, password: hunter2",
        "pwd=hunter2",
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1&token=abc",
    ],
)
def test_find_secret_spots_secret_looking_text(text):
    """The detector shared by the report, the audit log and the role's attestation check (issue 9, item 5)."""
    with pytest.raises(S.SecretFound) as info:
        S.find_secret({"decommission_data_exported": text})
    assert str(info.value) == "content.decommission_data_exported"


@pytest.mark.parametrize(
    "text",
    [
        "TEST-EXPORT-1: copied to /srv/exports",
        "nothing to keep: test platform",
        "https://tickets.example.net/browse/OPS-1234?focusedCommentId=5&page=2",
        "s3://backups/pcc-192-0-2-8/ (ticket OPS-42)",
        "the token is in the e-mail; the password was rotated",
        "http://127.0.0.1:8080/1.0",
        "mailto:ops@example.net",
        "https://user@files.example.net/pcc.tar",
    ],
)
def test_find_secret_accepts_plain_references(text):
    S.find_secret({"decommission_data_exported": text})


def test_redact_secrets_replaces_each_value_and_lists_the_paths():
    record = {
        "reason": "hook: upload failed: https://x.example/o?X-Amz-Signature=abc",
        "token": "t0k",
        "failure": {"msg": "see ?a=1&token=abc", "api": {}},
        "phases": {"request": {"result": "written"}},
        "writes": ["fine", "sftp://u:p@h/"],
        "consumer_key": "",
    }
    clean, paths = S.redact_secrets(record, "")
    assert paths == [".reason", ".token", ".failure.msg", ".writes[1]"]
    assert clean["reason"] == clean["token"] == clean["failure"]["msg"] == clean["writes"][1] == S.REDACTED
    assert clean["writes"][0] == "fine" and clean["phases"] == record["phases"] and clean["consumer_key"] == ""
    assert record["token"] == "t0k"  # the input is left alone
    S.find_secret(clean)


def test_build_report_redacts_one_host_and_keeps_the_others():
    """One host's secret-looking value never costs every host its report (issue 9, item 5)."""
    records = {
        "a": {"outcome": "held", "reason": "pre_request_hook: https://x.example/o?X-Amz-Signature=HookSig1"},
        "b": {"phases": {"request": {"result": "written", "detail": "requested"}}},
    }
    report = R.build_report(params(["a", "b"], records), generated_at="2026-11-26T12:00:00Z")
    hosts = {item["host"]: item for item in report["hosts"]}
    assert hosts["a"]["outcome"] == "held" and hosts["a"]["reason"] == S.REDACTED
    assert hosts["a"]["redacted"] == ["reason"]
    assert any("redacted" in warning for warning in hosts["a"]["warnings"])
    assert "redacted" not in hosts["b"] and hosts["b"]["outcome"] == "requested"
    text = R.render_markdown(report)
    assert "HookSig1" not in text and "HookSig1" not in json.dumps(report)
    assert "redacted from this record" in text


def test_audit_lines_stamp_each_entry():
    data = R.audit_lines([{"event": "a"}, {"event": "b", "logged_at": "then", "controller_user": "me"}])
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert data.endswith(b"\n")
    assert [line["event"] for line in lines] == ["a", "b"]
    assert lines[0]["logged_at"].endswith("Z") and "controller_user" in lines[0]
    assert lines[1]["logged_at"] == "then" and lines[1]["controller_user"] == "me"
