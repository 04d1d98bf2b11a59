# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mbm_report: reports, manifests and the audit log (files only, no API)."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _report as report_parts
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _report_run as report_run
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_report
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def manifest(**extra):
    content = {
        "kind": "ovhcloud.mbm.backup_manifest",
        "service_name": "pcc-1",
        "evidence_time": "2026-11-20T10:00:00Z",
        "datacenters": [{"name": "dc1", "vms": [{"name": "web-01"}]}],
    }
    content.update(extra)
    return content


def test_manifest_written_0600_in_new_0700_directories(tmp_path):
    path = tmp_path / "reports" / "manifests" / "pcc-1.json"
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest()})
    assert not result["failed"]
    assert result["changed"] is True
    assert json.loads(path.read_text())["datacenters"][0]["vms"][0]["name"] == "web-01"
    assert mode_of(path) == 0o600
    assert mode_of(tmp_path / "reports") == 0o700
    assert mode_of(tmp_path / "reports" / "manifests") == 0o700


def test_manifest_idempotent_when_only_evidence_time_changes(tmp_path):
    path = tmp_path / "m.json"
    run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest()})
    before = path.read_text()
    again = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest(evidence_time="2026-11-21T10:00:00Z")})
    assert again["changed"] is False
    assert path.read_text() == before


def test_manifest_rewritten_when_evidence_changes(tmp_path):
    path = tmp_path / "m.json"
    run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest()})
    changed = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest(datacenters=[])})
    assert changed["changed"] is True
    assert json.loads(path.read_text())["datacenters"] == []


def test_manifest_mode_fixed(tmp_path):
    path = tmp_path / "m.json"
    run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest()})
    os.chmod(str(path), 0o644)
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest()})
    assert result["changed"] is True
    assert mode_of(path) == 0o600


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "m.json"
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": manifest()}, check_mode=True)
    assert result["changed"] is True
    assert result["check_mode"] is True
    assert not path.exists()
    audit = tmp_path / "audit.jsonl"
    result = run_module(mbm_report, {"kind": "audit", "path": str(audit), "entries": [{"phase": "request"}]}, check_mode=True)
    assert result["changed"] is True and result["entries"] == 1
    assert not audit.exists()


def test_empty_audit_is_a_noop_probe(tmp_path):
    audit = tmp_path / "audit.jsonl"
    result = run_module(mbm_report, {"kind": "audit", "path": str(audit), "entries": []})
    assert result["changed"] is False
    assert result["check_mode"] is False
    assert not audit.exists()


@pytest.mark.parametrize(
    "content, where",
    [
        ({"token": "AbCdEf0123456789AbCdEf0123456789"}, "content.token"),
        ({"nested": [{"Consumer_Key": "ck-value-1"}]}, "content.nested[0].Consumer_Key"),
        ({"detail": "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1&token=abc"}, "content.detail"),
        ({"detail": "see ?x=1&amp;token=abc"}, "content.detail"),
    ],
)
def test_secrets_refused(tmp_path, content, where):
    path = tmp_path / "m.json"
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": content})
    assert result["failed"]
    assert where in result["msg"]
    text = json.dumps(result)
    for secret in ("token=abc", "AbCdEf0123456789", "ck-value-1"):
        assert secret not in text
    assert not path.exists()


@pytest.mark.usefixtures("fresh_warnings")
def test_secret_in_audit_entry_redacted(tmp_path):
    """An audit entry holding a secret is written with the value redacted and marked, never refused: the entry of a
    host's write must not be lost, nor the report after it (issue 9, item 5)."""
    audit = tmp_path / "audit.jsonl"
    result = run_module(
        mbm_report,
        {"kind": "audit", "path": str(audit), "entries": [{"client_secret": "s3cr3t", "detail": "see https://x.example/?sig=SiG0123", "phase": "request"}]},
    )
    assert not result["failed"]
    assert "s3cr3t" not in json.dumps(result) and "SiG0123" not in json.dumps(result)
    text = audit.read_text()
    assert "s3cr3t" not in text and "SiG0123" not in text
    entry = json.loads(text)
    assert entry["phase"] == "request" and sorted(entry["redacted"]) == ["client_secret", "detail"]
    assert any("redacted" in warning for warning in warning_texts(result))


@pytest.mark.parametrize(
    "value",
    [
        "https://exports.example.net/pcc.tar?X-Amz-Credential=AKIA&X-Amz-Signature=AttSig0123",
        "https://share.example.net/download?id=42&token=AttSig0123",
        "sftp://export:AttSig0123@sftp.example.net/pcc/",
    ],
)
def test_check_refuses_a_secret_looking_value_without_echoing_it(value):
    result = run_module(mbm_report, {"kind": "check", "content": {"decommission_data_exported": value}})
    assert result["failed"]
    assert result["msg"].startswith("decommission_data_exported looks like it holds a secret")
    assert result["secrets"] == ["decommission_data_exported"]
    assert "AttSig0123" not in json.dumps(result)


def test_check_accepts_a_plain_reference_and_writes_nothing(tmp_path):
    result = run_module(mbm_report, {"kind": "check", "content": {"decommission_data_exported": "OPS-42: copied to /srv/exports"}})
    assert not result["failed"]
    assert result["changed"] is False and result["secrets"] == []
    missing = run_module(mbm_report, {"kind": "report", "hosts": ["a"]})
    assert missing["failed"] and "path" in missing["msg"]


def test_report_written_for_every_host_when_one_record_holds_a_secret(tmp_path):
    path = tmp_path / "report.json"
    records = {"a": {"outcome": "held", "reason": "hook: https://x.example/o?X-Amz-Signature=HookSig0123"}, "b": {"outcome": "done"}}
    result = run_module(mbm_report, {"kind": "report", "path": str(path), "hosts": ["a", "b"], "records": records})
    assert not result["failed"] and result["summary"] == {"total": 2, "held": 1, "done": 1}
    report = json.loads(path.read_text())
    assert [item.get("redacted") for item in report["hosts"]] == [["reason"], None]
    for text in (path.read_text(), (tmp_path / "report.md").read_text(), json.dumps(result)):
        assert "HookSig0123" not in text


def test_empty_secret_keys_and_token_dates_are_fine(tmp_path):
    path = tmp_path / "m.json"
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": {"token": None, "token_expires_at": "2026-11-23T10:00:00Z"}})
    assert not result["failed"]


def test_audit_appends_json_lines(tmp_path):
    audit = tmp_path / "logs" / "audit.jsonl"
    for phase in ("request", "confirm"):
        result = run_module(mbm_report, {"kind": "audit", "path": str(audit), "entries": [{"phase": phase, "service_name": "pcc-1"}]})
        assert result["changed"] is True
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["phase"] for line in lines] == ["request", "confirm"]
    assert all(line["logged_at"].endswith("Z") for line in lines)
    assert "controller_user" in lines[0]
    assert mode_of(audit) == 0o600


def _append_many(args):
    path, worker = args
    for index in range(50):
        report_run.append_audit(path, [{"worker": worker, "index": index, "pad": "x" * 2000}], 0o600)


def test_audit_safe_under_parallel_writers(tmp_path):
    path = str(tmp_path / "audit.jsonl")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_many, [(path, worker) for worker in range(4)])
    with open(path, encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    assert len(lines) == 200
    for worker in range(4):
        assert sorted(line["index"] for line in lines if line["worker"] == worker) == list(range(50))


def record(**extra):
    item = {
        "service_name": "pcc-1",
        "phase_reached": "verify",
        "status_before": "active",
        "status_after": "terminating",
        "phases": {"request": {"result": "written"}, "confirm": {"result": "written", "detail": "Confirmed."}},
        "termination": {"token_expires_at": "2026-11-23T10:00:00Z"},
    }
    item.update(extra)
    return item


def test_report_names_every_host_and_derives_outcomes(tmp_path):
    path = tmp_path / "r.json"
    records = {
        "pcc-1": record(),
        "pcc-2": record(phases={"request": {"result": "written"}}, status_after="termination_requested"),
        "pcc-3": record(phases={"request": {"result": "would request"}}, planned=["request", "confirm"]),
        "pcc-4": record(phases={"request": {"result": "not needed", "detail": "already requested"}}),
        "pcc-5": {"outcome": "held", "reason": "backup gate failed", "phase_reached": "backup_gate"},
        "pcc-6": {"outcome": "skipped", "reason": "not approved"},
    }
    hosts = ["pcc-1", "pcc-2", "pcc-3", "pcc-4", "pcc-5", "pcc-6", "pcc-7"]
    result = run_module(mbm_report, {"kind": "report", "path": str(path), "hosts": hosts, "records": records, "content": {"check_mode": False}})
    assert not result["failed"]
    report = json.loads(path.read_text())
    outcomes = dict((item["host"], item["outcome"]) for item in report["hosts"])
    assert outcomes == {
        "pcc-1": "confirmed",
        "pcc-2": "requested",
        "pcc-3": "planned",
        "pcc-4": "nothing_to_do",
        "pcc-5": "held",
        "pcc-6": "skipped",
        "pcc-7": "not_reached",
    }
    assert [item["host"] for item in report["hosts"]] == hosts
    assert report["hosts"][2]["next_action"] == "decommission would request then confirm"
    assert report["hosts"][3]["reason"] == "already requested"
    assert result["summary"]["total"] == 7 and result["summary"]["held"] == 1
    markdown = (tmp_path / "r.md").read_text()
    for host in hosts:
        assert "| %s |" % host in markdown
    assert "backup gate failed" in markdown
    assert mode_of(path) == 0o600 and mode_of(tmp_path / "r.md") == 0o600


def test_report_idempotent_and_markdown_path(tmp_path):
    path = tmp_path / "r.json"
    md = tmp_path / "custom.md"
    args = {"kind": "report", "path": str(path), "markdown_path": str(md), "hosts": ["pcc-1"], "records": {"pcc-1": record()}}
    assert run_module(mbm_report, args)["changed"] is True
    assert md.exists()
    assert run_module(mbm_report, args)["changed"] is False
    args["records"] = {"pcc-1": record(status_after="terminated")}
    assert run_module(mbm_report, args)["changed"] is True


def test_report_hosts_required(tmp_path):
    result = run_module(mbm_report, {"kind": "report", "path": str(tmp_path / "r.json")})
    assert result["failed"]
    assert "hosts" in result["msg"]


def test_markdown_escapes_pipes():
    text = report_parts.render_markdown(
        {"title": "T", "generated_at": "now", "run": {}, "summary": {"total": 1, "held": 1}, "hosts": [{"host": "h", "outcome": "held", "reason": "a | b"}]}
    )
    assert "a \\| b" in text


@pytest.fixture
def fresh_warnings(monkeypatch):
    """Warnings of earlier module runs in this process stay in ansible's global list: start from none."""
    if hasattr(ansible_warnings, "_global_warnings"):
        monkeypatch.setattr(ansible_warnings, "_global_warnings", {})


def warning_texts(result):
    return [item["event"]["msg"] if isinstance(item, dict) else item for item in result.get("warnings", [])]


@pytest.mark.usefixtures("fresh_warnings")
def test_approved_not_in_run_listed_and_warned(tmp_path):
    path = tmp_path / "r.json"
    result = run_module(
        mbm_report,
        {"kind": "report", "path": str(path), "hosts": ["pcc-1"], "records": {"pcc-1": record()}, "approved_not_in_run": ["pcc-2x", "PCC-1", "pcc-2x"]},
    )
    assert not result["failed"]
    assert json.loads(path.read_text())["approved_not_in_run"] == ["PCC-1", "pcc-2x"]
    assert "Approved but not in this run" in (tmp_path / "r.md").read_text()
    assert any("pcc-2x" in warning and "PCC-1" in warning for warning in warning_texts(result))


@pytest.mark.usefixtures("fresh_warnings")
def test_report_without_unmatched_approvals_has_no_such_section(tmp_path):
    path = tmp_path / "r.json"
    result = run_module(mbm_report, {"kind": "report", "path": str(path), "hosts": ["pcc-1"], "records": {"pcc-1": record()}, "approved_not_in_run": []})
    assert "approved_not_in_run" not in json.loads(path.read_text())
    assert "Approved but not in this run" not in (tmp_path / "r.md").read_text()
    assert not warning_texts(result)


@pytest.mark.usefixtures("fresh_warnings")
def test_warnings_option_warns_and_writes_nothing(tmp_path):
    path = tmp_path / "audit.jsonl"
    result = run_module(mbm_report, {"kind": "audit", "path": str(path), "entries": [], "warnings": ["APPROVED BUT NOT IN THIS RUN: x"]})
    assert result["changed"] is False
    assert warning_texts(result) == ["APPROVED BUT NOT IN THIS RUN: x"]
    assert not path.exists()


def test_failure_rendered_in_words_without_double_escaping():
    msg = 'backup gate failed with 1 violation(s): stale_restore_point on VM "erp-db-01"'
    text = report_parts.render_markdown(
        {
            "title": "T",
            "generated_at": "now",
            "run": {},
            "summary": {"total": 1, "held": 1},
            "hosts": [
                {
                    "host": "h",
                    "outcome": "held",
                    "reason": "r",
                    "failure": {"phase": "backup_gate", "task": "Backup gate", "msg": msg, "api": {"status": 403, "query_id": None}},
                }
            ],
        }
    )
    line = [line for line in text.splitlines() if line.startswith("- Failure:")][0]
    assert line == '- Failure: at phase backup_gate (task "Backup gate"): %s [API: status 403]' % msg
    assert "\\" not in line


def window(action, is_open=False):
    return {
        "day_of_month": 20,
        "last_day_of_month": 30,
        "days_left_in_month": 10,
        "timezone": "UTC",
        "from_day": 25,
        "action": action,
        "open": is_open,
        "mode": "warn",
        "message": "day 20 of 30 (UTC): before the billing window for the %s (from day 25); OVHcloud bills whole months "
        "with no pro-rata refund, so acting now gives up 10 day(s) of this month already paid for" % action,
    }


def test_billing_window_without_pending_action_is_not_presented_as_a_loss(tmp_path):
    path = tmp_path / "r.json"
    records = {
        "pcc-1": record(outcome="nothing_to_do", reason="already terminating", billing_window=window("confirm")),
        "pcc-2": record(phases={"request": {"result": "written"}}, billing_window=window("request")),
    }
    run_module(mbm_report, {"kind": "report", "path": str(path), "hosts": ["pcc-1", "pcc-2"], "records": records})
    report = dict((item["host"], item) for item in json.loads(path.read_text())["hosts"])
    assert report["pcc-1"]["billing_window"]["action_pending"] is False
    assert report["pcc-1"]["billing_window"]["days_left_in_month"] == 10
    assert report["pcc-2"]["billing_window"]["action_pending"] is True
    markdown = (tmp_path / "r.md").read_text()
    section_1 = markdown.split("## pcc-1")[1].split("## pcc-2")[0]
    section_2 = markdown.split("## pcc-2")[1]
    assert "acting now" not in section_1
    assert "(no action pending) day 20 of 30 (UTC), 10 day(s) left in this month; the window for the confirm opens on day 25" in section_1
    assert "acting now gives up 10 day(s)" in section_2 and "for the request" in section_2
