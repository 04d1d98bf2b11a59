# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a module's main() in-process and return its JSON result (ansible-core 2.18 to 2.21)."""

from __future__ import annotations

import contextlib
import io
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core 2.19+: once controller code is imported (inventory, templating), warn() prints instead of returning
    from ansible.module_utils import _internal as _module_internal
except ImportError:  # 2.18
    _module_internal = None


def run_module(module, args, check_mode=False, diff=False):
    """Run ``module.main()`` with ``args``; return the result dict with a ``failed`` flag (False on success).

    ``module`` is the imported module (for example ``plugins.modules.mbm_info``). Exceptions other than the
    SystemExit of exit_json/fail_json propagate, so a crash shows as a test error.
    """
    module_args = dict(args)
    module_args["_ansible_check_mode"] = check_mode
    module_args["_ansible_diff"] = diff
    saved = (basic._ANSIBLE_ARGS, getattr(basic, "_ANSIBLE_PROFILE", None))
    saved_is_controller = getattr(_module_internal, "is_controller", None)
    if saved_is_controller:
        _module_internal.is_controller = False  # a module runs outside the controller: warnings go into its result
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
    if hasattr(basic, "_ANSIBLE_PROFILE"):  # 2.19+: without a profile the arguments are not decoded
        basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    exit_code = None
    try:
        with contextlib.redirect_stdout(out):
            try:
                module.main()
            except SystemExit as exc:
                exit_code = exc.code
    finally:
        if saved_is_controller:
            _module_internal.is_controller = saved_is_controller
        basic._ANSIBLE_ARGS = saved[0]
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            basic._ANSIBLE_PROFILE = saved[1]
    result = _parse_result(out.getvalue())
    result["failed"] = bool(result.get("failed")) or exit_code not in (0, None)
    return result


def _parse_result(text):
    text = text.strip()
    if not text:
        raise AssertionError("the module printed no result")
    try:
        return json.loads(text)
    except ValueError:
        # Anything printed before the result (there should be nothing) must not hide it.
        return json.loads(text[text.index("{") :])
