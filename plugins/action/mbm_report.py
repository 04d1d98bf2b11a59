# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of ovhcloud.mbm.mbm_report (documented by the module of the same name).

mbm_report only works on local files. When its task runs on the controller (a local connection, for instance
``delegate_to: localhost``, without become or async), this plugin does the module's work in the controller's worker
process, with the same argument spec, the same code (module_utils/_report_run.py) and the same result, so no module
process is started (no AnsiballZ payload, no second Python). Anywhere else (another host, become, async) it runs
the module as usual.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat

from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.ovhcloud.mbm.plugins.module_utils._report_run import ARGUMENT_SPEC, REQUIRED_IF, ReportFailure, run, secret_values

MODULE = "ovhcloud.mbm.mbm_report"


def path_info(path):
    """The facts AnsibleModule adds to a result that names a path (uid, gid, owner, group, mode, state, size)."""
    if path is None or not os.path.exists(path):
        return {}
    st = os.lstat(path)
    try:
        owner = pwd.getpwuid(st.st_uid)[0]
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid)[0]
    except KeyError:
        group = str(st.st_gid)
    if os.path.islink(path):
        state = "link"
    elif os.path.isdir(path):
        state = "directory"
    elif os.stat(path).st_nlink > 1:
        state = "hard"
    else:
        state = "file"
    return dict(uid=st.st_uid, gid=st.st_gid, owner=owner, group=group, mode="0%03o" % stat.S_IMODE(st.st_mode), state=state, size=st.st_size)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True  # as the module: async runs the module (below)

    def _runs_on_controller(self):
        """True when the module would run on the controller itself, as the controller's user, in the foreground."""
        return self._connection.transport == "local" and not self._play_context.become and not self._task.async_val

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no temporary files here: nothing is transferred
        if not self._runs_on_controller():
            # Another host, become or async: the module runs there, as any module does.
            wrap_async = self._task.async_val
            result = merge_hash(result, self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result

        # The module's own validation (types, choices, defaults, required_if), with its messages; fails in check mode too.
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)
        warnings = []
        try:
            outcome = run(params, bool(self._task.check_mode), warnings.append)
        except ReportFailure as exc:
            outcome = dict(exc.result, failed=True, msg=exc.msg)
        outcome.update(path_info(outcome.get("path")))
        if warnings:
            outcome["warnings"] = warnings
        # As the module does with its no_log values: no secret-looking value of the arguments is ever echoed (booleans
        # and None are kept as they are).
        preserved = dict((key, value) for key, value in outcome.items() if value is None or isinstance(value, bool))
        outcome = remove_values(outcome, secret_values(params))
        outcome.update(preserved)
        result.update(outcome)
        return result
