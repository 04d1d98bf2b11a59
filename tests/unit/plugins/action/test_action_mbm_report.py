# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin of mbm_report: on the controller it does the module's work in-process, with the module's
argument spec and result; anywhere else it runs the module."""

from __future__ import annotations

import json
import os
from unittest import mock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.ovhcloud.mbm.plugins.action import mbm_report as action_plugin
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_report
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

# Keys only a module process adds (its arguments, echoed back masked) or that differ between two runs.
MODULE_ONLY = ("invocation", "warnings", "failed")


def make_action(args, check_mode=False, transport="local", become=False, async_val=0):
    task = mock.MagicMock()
    task.args = dict(args)
    task.check_mode = check_mode
    task.async_val = async_val
    task.action = "ovhcloud.mbm.mbm_report"
    connection = mock.MagicMock()
    connection.transport = transport
    connection._shell.tmpdir = None
    play_context = mock.MagicMock()
    play_context.become = become
    return action_plugin.ActionModule(task, connection, play_context, loader=None, templar=None, shared_loader_obj=None)


def run_action(args, check_mode=False, **kwargs):
    action = make_action(args, check_mode=check_mode, **kwargs)
    with mock.patch.object(action, "_execute_module", side_effect=AssertionError("no module process on the controller")):
        return action.run(task_vars={})


def comparable(result):
    return dict((key, value) for key, value in result.items() if key not in MODULE_ONLY)


def manifest():
    return {"kind": "ovhcloud.mbm.backup_manifest", "service_name": "pcc-1", "evidence_time": "2026-11-20T10:00:00Z", "vms": ["web-01"]}


@pytest.mark.parametrize("check_mode", [False, True])
def test_manifest_same_files_and_result_as_the_module(tmp_path, check_mode):
    by_action, by_module = tmp_path / "a" / "m.json", tmp_path / "b" / "m.json"
    result = run_action({"kind": "manifest", "path": str(by_action), "content": manifest()}, check_mode=check_mode)
    expected = run_module(mbm_report, {"kind": "manifest", "path": str(by_module), "content": manifest()}, check_mode=check_mode)
    assert not result.get("failed") and not expected["failed"]
    assert by_action.exists() is by_module.exists() is (not check_mode)
    if not check_mode:
        assert by_action.read_bytes() == by_module.read_bytes()
        assert oct(os.stat(str(by_action)).st_mode & 0o777) == "0o600"
    expected["path"] = str(by_action)
    assert comparable(result) == comparable(expected)
    again = run_action({"kind": "manifest", "path": str(by_action), "content": dict(manifest(), evidence_time="2026-11-21T10:00:00Z")})
    assert again["changed"] is check_mode  # unchanged evidence leaves the file alone


def test_report_same_files_and_result_as_the_module(tmp_path):
    records = {"a": {"outcome": "held", "reason": "hook: https://x.example/o?X-Amz-Signature=HookSig0123"}, "b": {"outcome": "done"}}
    args = {"hosts": ["a", "b", "c"], "records": records, "approved_not_in_run": ["pcc-typo"], "content": {"check_mode": False}}
    result = run_action(dict(args, kind="report", path=str(tmp_path / "a" / "r.json")))
    expected = run_module(mbm_report, dict(args, kind="report", path=str(tmp_path / "b" / "r.json")))
    for name in ("r.json", "r.md"):
        mine, theirs = (tmp_path / "a" / name).read_text(), (tmp_path / "b" / name).read_text()
        drop = ("generated_at", "Generated at")
        assert [line for line in mine.splitlines() if not any(d in line for d in drop)] == [
            line for line in theirs.splitlines() if not any(d in line for d in drop)
        ]
        assert "HookSig0123" not in mine
    assert result["summary"] == expected["summary"] == {"total": 3, "held": 1, "done": 1, "not_reached": 1}
    assert result["markdown_path"] == str(tmp_path / "a" / "r.md")
    assert [str(w) for w in result["warnings"]] == [
        "Approved but not in this run (no host of the play has these service names; a typo, or a --limit subset): pcc-typo"
    ]
    assert "HookSig0123" not in json.dumps(result)


def test_audit_appends_and_redacts_but_never_in_check_mode(tmp_path):
    audit = tmp_path / "audit.jsonl"
    entries = [{"phase": "request", "action": "written"}, {"phase": "confirm", "client_secret": "s3cr3t"}]
    rehearsal = run_action({"kind": "audit", "path": str(audit), "entries": entries}, check_mode=True)
    assert rehearsal["changed"] is True and rehearsal["entries"] == 2 and rehearsal["check_mode"] is True
    assert not audit.exists()
    result = run_action({"kind": "audit", "path": str(audit), "entries": entries})
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["phase"] for line in lines] == ["request", "confirm"]
    assert lines[1]["redacted"] == ["client_secret"] and "s3cr3t" not in audit.read_text()
    assert all(line["logged_at"].endswith("Z") and "controller_user" in line for line in lines)
    assert result["entries"] == 2 and "s3cr3t" not in json.dumps(result)
    assert any("redacted client_secret" in str(w) for w in result["warnings"])


def test_check_refuses_a_secret_without_echoing_it():
    value = "https://share.example.net/download?id=42&token=AttSig0123"
    result = run_action({"kind": "check", "content": {"decommission_data_exported": value}})
    expected = run_module(mbm_report, {"kind": "check", "content": {"decommission_data_exported": value}})
    assert result["failed"] is True and expected["failed"]
    assert result["msg"] == expected["msg"] and result["secrets"] == expected["secrets"] == ["decommission_data_exported"]
    assert "AttSig0123" not in json.dumps(result)
    assert run_action({"kind": "check", "content": {"decommission_data_exported": "OPS-42"}}) == {"changed": False, "check_mode": False, "secrets": []}


def test_refused_manifest_and_bad_mode_fail_like_the_module(tmp_path):
    path = tmp_path / "m.json"
    refused = run_action({"kind": "manifest", "path": str(path), "content": {"token": "AbCdEf0123456789AbCdEf0123456789"}})
    assert refused["failed"] and "content.token" in refused["msg"] and "AbCdEf0123456789" not in json.dumps(refused)
    assert not path.exists()
    bad = run_action({"kind": "manifest", "path": str(path), "content": manifest(), "mode": "rw"})
    assert bad["failed"] and bad["msg"] == "mode must be an octal number such as '0600', got 'rw'"


@pytest.mark.parametrize(
    "args, message",
    [
        ({"kind": "report", "hosts": ["a"]}, "path"),
        ({"kind": "nope", "path": "/x"}, "kind"),
        ({"kind": "check", "content": {}, "bogus": 1}, "bogus"),
    ],
)
def test_arguments_validated_with_the_module_spec(args, message):
    with pytest.raises(AnsibleActionFail) as caught:
        run_action(args, check_mode=True)
    assert message in str(caught.value)


@pytest.mark.parametrize("kwargs", [{"transport": "ssh"}, {"become": True}, {"async_val": 30}])
def test_elsewhere_the_module_runs(tmp_path, kwargs):
    path = tmp_path / "m.json"
    action = make_action({"kind": "manifest", "path": str(path), "content": manifest()}, **kwargs)
    with mock.patch.object(action, "_execute_module", return_value={"changed": True, "path": str(path)}) as execute:
        result = action.run(task_vars={})
    assert execute.call_args.kwargs["module_name"] == "ovhcloud.mbm.mbm_report"
    assert execute.call_args.kwargs["module_args"]["kind"] == "manifest"
    assert result["changed"] is True
    assert not path.exists()  # the module did the work there, not this process
