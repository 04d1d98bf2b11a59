# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark-only callback (tests/perf/bench_fleet.py): counts the module runs of a playbook by action, written as
JSON to $MBM_BENCH_MODULE_COUNTS at the end. Controller-side actions (set_fact, assert, debug, ...) that start no
module are left out. Not shipped as a plugin of the collection (it lives under tests/)."""

from __future__ import annotations

DOCUMENTATION = """
name: module_counts
type: aggregate
short_description: count module runs (benchmark only)
description: Counts the tasks that ran a module, by action, and writes them to $MBM_BENCH_MODULE_COUNTS.
requirements:
  - enable in the callbacks_enabled setting
"""

import json
import os

from ansible.plugins.callback import CallbackBase

# Actions that run on the controller without starting a module process.
CONTROLLER_ONLY = {
    "set_fact",
    "assert",
    "debug",
    "fail",
    "meta",
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "include_vars",
    "add_host",
    "group_by",
    "set_stats",
    # An action plugin that never starts a module (the role's argument specs).
    "validate_argument_spec",
}

# Collection actions whose action plugin does the work in the controller's worker when the task runs on a local
# connection (delegate_to: localhost, as in the role), with no module process.
IN_PROCESS_ON_CONTROLLER = {"ovhcloud.mbm.mbm_report"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "module_counts"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counts = {}

    def _count(self, result):
        action = result._task.action  # pylint: disable=protected-access
        if action.split(".")[-1] in CONTROLLER_ONLY:
            return
        if action in IN_PROCESS_ON_CONTROLLER and result._task.delegate_to in ("localhost", "127.0.0.1"):  # pylint: disable=protected-access
            return
        self.counts[action] = self.counts.get(action, 0) + 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("MBM_BENCH_MODULE_COUNTS")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.counts, handle, sort_keys=True)
