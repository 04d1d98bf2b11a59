# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the collection's API modules on the controller without starting a Python interpreter for each task.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

A module task delegated to localhost normally costs the controller a new Python process: a shell, the interpreter,
the unpacking of the AnsiballZ payload and the import of ansible's module_utils, python-ovh and requests, about
0.4 s of CPU for every task of every host. The action plugins of the API modules (plugins/action/mbm_*.py) derive
from ModuleInProcessAction. Ansible builds the module's payload and its arguments as for any module (same
module_defaults, check mode, no_log, diff, verbosity); when the task runs on the controller as the controller's
user, with the Python of ansible-playbook, and without async or task environment, the payload then runs in a child
forked from the worker (which has those libraries imported already, by the action plugin in the main process)
instead of in a new interpreter. The child gets what a module process gets (stdin from /dev/null, its own stdout and
stderr, the task's directory as working directory, target-side module_utils behaviour) and its output is parsed by
Ansible exactly as a module's. Anywhere else (another host, become, async, another interpreter, environment, or a
worker that runs other threads) the module runs as usual.
"""

from __future__ import annotations

import io
import os
import selectors
import sys
import threading
import traceback

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

try:  # ansible-core 2.19+: module_utils behave as on a target only when this is False
    from ansible.module_utils import _internal as _module_internal
except ImportError:  # pragma: no cover - 2.18
    _module_internal = None


def _exec_payload(payload):
    """Run an AnsiballZ payload in this process as its interpreter would; return the exit code."""
    try:
        exec(compile(payload, "<AnsiballZ>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})  # pylint: disable=exec-used
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write("%s\n" % (code,))
        return 1
    return 0


def _child(payload, cwd, out_w, err_w):  # pragma: no cover - runs in the forked child, which ends with os._exit
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="surrogateescape")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
        if _module_internal is not None:
            _module_internal.is_controller = False
        if cwd:
            try:
                os.chdir(cwd)
            except OSError:
                pass
        code = _exec_payload(payload)
    except BaseException:  # pylint: disable=broad-except
        try:
            traceback.print_exc()
        except BaseException:  # pylint: disable=broad-except
            pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # pylint: disable=broad-except
                pass
        os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)  # pylint: disable=protected-access


def run_payload_in_child(payload, cwd=None, encoding_errors="surrogate_then_replace"):
    """Run payload (the AnsiballZ script) in a forked child; return the result _low_level_execute_command returns."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(out_r)
        os.close(err_r)
        _child(payload, cwd, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    chunks = {out_r: [], err_r: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _events in selector.select():
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    _pid, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    out = to_text(b"".join(chunks[out_r]), errors=encoding_errors)
    err = to_text(b"".join(chunks[err_r]), errors=encoding_errors)
    return dict(rc=rc, stdout=out, stdout_lines=out.splitlines(), stderr=err, stderr_lines=err.splitlines())


class ModuleInProcessAction(ActionBase):
    """The action plugin of a module that talks to the API from the controller (see the module docstring)."""

    _supports_check_mode = True
    _supports_async = True

    _mbm_in_process = False

    def _mbm_on_controller(self):
        """The task runs here, as this user, in the foreground, without an environment of its own, and this worker
        runs no other thread."""
        environment = self._task.environment or []
        if not isinstance(environment, list):
            environment = [environment]
        return (
            self._connection.transport == "local"
            and not self._play_context.become
            and not self._task.async_val
            and not any(environment)
            and not C.DEFAULT_KEEP_REMOTE_FILES
            # Forking a process that runs other threads could leave the child waiting on a lock one of them held.
            and threading.active_count() == 1
        )

    def _is_pipelining_enabled(self, module_style, wrap_async=False):
        # The payload is handed over in memory, as with pipelining (no temporary files, no shell commands for them).
        if self._mbm_in_process and not wrap_async:
            return module_style == "new"
        return super()._is_pipelining_enabled(module_style, wrap_async)

    def _low_level_execute_command(self, cmd, sudoable=True, in_data=None, executable=None, encoding_errors="surrogate_then_replace", chdir=None, **kwargs):
        interpreter = (self._used_interpreter or "").lstrip("#!").strip()
        if self._mbm_in_process and in_data is not None and interpreter == sys.executable and not kwargs.get("process_result") and not chdir:
            # The local connection runs a command in the task's directory (the playbook's).
            return run_payload_in_child(in_data, cwd=self._loader.get_basedir() if self._loader else None, encoding_errors=encoding_errors)
        return super()._low_level_execute_command(
            cmd, sudoable=sudoable, in_data=in_data, executable=executable, encoding_errors=encoding_errors, chdir=chdir, **kwargs
        )

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no longer has any effect
        wrap_async = self._task.async_val
        self._mbm_in_process = self._mbm_on_controller()
        try:
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        finally:
            self._mbm_in_process = False
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access
        return result
