# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Attribute texts shared by the modules.

    ``ovhcloud.mbm.attributes`` describes the attributes every API module has (the action group, each with an action
    plugin); each module states its own
    C(support) for check_mode, diff_mode and idempotent (or uses ``ovhcloud.mbm.attributes.info_module``).
    """

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
  action_group:
    description: Use C(group/ovhcloud.mbm.mbm) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - ovhcloud.mbm.mbm
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - On the controller (a local connection such as C(delegate_to=localhost), without become, async or a task
        environment, with the Python of C(ansible-playbook)), the action plugin runs the module in a process forked
        from Ansible's worker instead of starting a new Python interpreter; the module, its options and its result
        are the same. Anywhere else the module runs as usual.
"""

    # For modules that only read: check mode runs the same read-only calls.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; check mode makes the same read-only API calls.
  diff_mode:
    support: N/A
    details:
      - This module only reads.
  idempotent:
    support: full
    details:
      - This module only reads.
"""

    # For write modules: check mode makes every read-only call and predicts the change, but never writes.
    CHECK_MODE_READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module makes every read-only API call, then reports the change it would make; it sends
        no write and never waits.
"""
