# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of ovhcloud.mbm.mbm_termination_cancel (documented by the module of the same name): on the controller, the module runs
in a child of the worker instead of a new interpreter (plugins/plugin_utils/_in_process.py); elsewhere as usual."""

from __future__ import annotations

# Imported here, so once in ansible-playbook's main process (which loads the action class), and so already in every
# worker it forks: the module's own imports (module_utils, python-ovh, requests) cost the tasks nothing.
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_termination_cancel as _module  # noqa: F401  pylint: disable=unused-import
from ansible_collections.ovhcloud.mbm.plugins.plugin_utils._in_process import ModuleInProcessAction


class ActionModule(ModuleInProcessAction):
    pass
