# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API modules' action plugins: on the controller the module's payload runs in a forked child, as its own
interpreter would run it (output, exit code, working directory, stdin); anywhere else the module runs as usual."""

from __future__ import annotations

import json
import os
import sys
from unittest import mock

import pytest

from ansible_collections.ovhcloud.mbm.plugins.action import mbm_info as info_action
from ansible_collections.ovhcloud.mbm.plugins.plugin_utils import _in_process


def test_payload_output_exit_code_and_stderr_come_back(tmp_path):
    payload = b"import sys, json\nprint(json.dumps({'changed': False, 'cwd': __import__('os').getcwd()}))\nsys.stderr.write('note')\nsys.exit(3)\n"
    result = _in_process.run_payload_in_child(payload, cwd=str(tmp_path))
    assert result["rc"] == 3
    assert json.loads(result["stdout"]) == {"changed": False, "cwd": str(tmp_path)}
    assert result["stderr"] == "note" and result["stderr_lines"] == ["note"]


def test_payload_success_crash_and_stdin():
    assert _in_process.run_payload_in_child(b"print('ok')\n") == dict(rc=0, stdout="ok\n", stdout_lines=["ok"], stderr="", stderr_lines=[])
    crashed = _in_process.run_payload_in_child(b"raise ValueError('boom')\n")
    assert crashed["rc"] == 1 and "ValueError: boom" in crashed["stderr"] and crashed["stdout"] == ""
    assert _in_process.run_payload_in_child(b"import sys\nprint(repr(sys.stdin.read()))\n")["stdout"] == "''\n"
    assert _in_process.run_payload_in_child(b"import sys\nsys.exit('bad')\n")["rc"] == 1


def test_large_output_on_both_streams_does_not_block():
    payload = b"import sys\nsys.stderr.write('e' * 300000)\nsys.stdout.write('o' * 300000)\n"
    result = _in_process.run_payload_in_child(payload)
    assert result["rc"] == 0 and len(result["stdout"]) == 300000 and len(result["stderr"]) == 300000


def test_the_parent_keeps_its_streams_and_state():
    before = (sys.stdout, sys.stderr, os.getcwd())
    _in_process.run_payload_in_child(b"import os\nos.chdir('/')\nx = 1\n", cwd="/")
    assert (sys.stdout, sys.stderr, os.getcwd()) == before


def make_action(transport="local", become=False, async_val=0, environment=None):
    task = mock.MagicMock()
    task.args = {"service_name": "pcc-1"}
    task.check_mode = False
    task.async_val = async_val
    task.environment = environment
    task.action = "ovhcloud.mbm.mbm_info"
    connection = mock.MagicMock()
    connection.transport = transport
    connection._shell.tmpdir = None
    play_context = mock.MagicMock()
    play_context.become = become
    loader = mock.MagicMock()
    loader.get_basedir.return_value = "/"
    return info_action.ActionModule(task, connection, play_context, loader=loader, templar=None, shared_loader_obj=None)


def run_with(action, interpreter, threads=1):
    """Run the action with _execute_module replaced by the last step it takes: executing the payload."""
    seen = {}

    def execute_module(task_vars=None, wrap_async=False):
        seen["pipelining"] = action._is_pipelining_enabled("new", wrap_async)
        action._used_interpreter = "#!" + interpreter
        res = action._low_level_execute_command("/bin/sh -c 'python && sleep 0'", in_data=b"print('{\"changed\": false}')\n")
        return json.loads(res["stdout"])

    with mock.patch.object(action, "_execute_module", side_effect=execute_module), mock.patch(
        "ansible.plugins.action.ActionBase._low_level_execute_command", return_value=dict(rc=0, stdout='{"changed": true}', stderr="")
    ) as shell, mock.patch.object(_in_process.threading, "active_count", return_value=threads):
        result = action.run(task_vars={})
    return result, seen, shell


def test_on_the_controller_the_payload_runs_in_a_child():
    result, seen, shell = run_with(make_action(), sys.executable)
    assert result["changed"] is False and seen["pipelining"] is True
    shell.assert_not_called()


@pytest.mark.parametrize(
    "kwargs, interpreter",
    [
        ({"transport": "ssh"}, sys.executable),
        ({"become": True}, sys.executable),
        ({"environment": [{"HTTPS_PROXY": "http://proxy:3128"}]}, sys.executable),
        ({}, "/usr/bin/python3-another"),
        ({"threads": 2}, sys.executable),
    ],
)
def test_elsewhere_the_module_runs_as_usual(kwargs, interpreter):
    threads = kwargs.pop("threads", 1)
    result, _seen, shell = run_with(make_action(**kwargs), interpreter, threads)
    assert result["changed"] is True
    shell.assert_called_once()
