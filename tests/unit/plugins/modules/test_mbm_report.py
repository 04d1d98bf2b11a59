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

from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_report
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def manifest(**extra):
    content = {"kind": "ovhcloud.mbm.backup_manifest", "service_name": "pcc-1", "evidence_time": "2026-11-20T10:00:00Z",
               "datacenters": [{"name": "dc1", "vms": [{"name": "web-01"}]}]}
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


@pytest.mark.parametrize("content, where", [
    ({"token": "AbCdEf0123456789AbCdEf0123456789"}, "content.token"),
    ({"nested": [{"Consumer_Key": "ck-value-1"}]}, "content.nested[0].Consumer_Key"),
    ({"detail": "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1&token=abc"}, "content.detail"),
    ({"detail": "see ?x=1&amp;token=abc"}, "content.detail"),
])
def test_secrets_refused(tmp_path, content, where):
    path = tmp_path / "m.json"
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path), "content": content})
    assert result["failed"]
    assert where in result["msg"]
    text = json.dumps(result)
    for secret in ("token=abc", "AbCdEf0123456789", "ck-value-1"):
        assert secret not in text
    assert not path.exists()


def test_secret_in_audit_entry_refused(tmp_path):
    audit = tmp_path / "audit.jsonl"
    result = run_module(mbm_report, {"kind": "audit", "path": str(audit), "entries": [{"client_secret": "s3cr3t"}]})
    assert result["failed"]
    assert "s3cr3t" not in json.dumps(result)
    assert not audit.exists()


def test_empty_secret_keys_and_token_dates_are_fine(tmp_path):
    path = tmp_path / "m.json"
    result = run_module(mbm_report, {"kind": "manifest", "path": str(path),
                                     "content": {"token": None, "token_expires_at": "2026-11-23T10:00:00Z"}})
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
        mbm_report.append_audit(path, [{"worker": worker, "index": index, "pad": "x" * 2000}], 0o600)


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
    item = {"service_name": "pcc-1", "phase_reached": "verify", "status_before": "active", "status_after": "terminating",
            "phases": {"request": {"result": "written"}, "confirm": {"result": "written", "detail": "Confirmed."}},
            "termination": {"token_expires_at": "2026-11-23T10:00:00Z"}}
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
    result = run_module(mbm_report, {"kind": "report", "path": str(path), "hosts": hosts, "records": records,
                                     "content": {"check_mode": False}})
    assert not result["failed"]
    report = json.loads(path.read_text())
    outcomes = dict((item["host"], item["outcome"]) for item in report["hosts"])
    assert outcomes == {"pcc-1": "confirmed", "pcc-2": "requested", "pcc-3": "planned", "pcc-4": "nothing_to_do",
                        "pcc-5": "held", "pcc-6": "skipped", "pcc-7": "not_reached"}
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
    text = mbm_report.render_markdown({"title": "T", "generated_at": "now", "run": {}, "summary": {"total": 1, "held": 1},
                                       "hosts": [{"host": "h", "outcome": "held", "reason": "a | b"}]})
    assert "a \\| b" in text
