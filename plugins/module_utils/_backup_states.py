# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup states of the API schema and what each means for the backup gate (docs/api-assumptions.md).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Pure constants and one function; imports only the standard library. Two different enums are involved:

- a VM's backup job, ``dedicatedCloud.Vm.backup.state``, is ``dedicatedCloud.backup.StateEnum``: an active job
  reads ``delivered`` (there is no ``enabled`` in this enum);
- a datacenter's managed backup option, ``dedicatedCloud.Backup.state``, is ``dedicatedCloud.BackupStateEnum``:
  an active option reads ``enabled``.
"""

from __future__ import annotations

# dedicatedCloud.backup.StateEnum (a VM's backup job), in the schema's order.
VM_JOB_STATES = (
    "deleting",
    "delivered",
    "disabled",
    "disabling",
    "enabling",
    "error",
    "migrating",
    "pending",
    "removed",
    "stopping",
    "toCreate",
    "toDelete",
    "toDisable",
    "toEnable",
    "toStop",
    "unknown",
)
# The one value of a VM job that is active; the default of the policy option accepted_job_states.
VM_JOB_ACTIVE_STATE = "delivered"
DEFAULT_ACCEPTED_JOB_STATES = (VM_JOB_ACTIVE_STATE,)

# dedicatedCloud.BackupStateEnum (a datacenter's managed backup option) and its active value.
DATACENTER_BACKUP_STATES = ("disabled", "disabling", "enabled", "enabling", "error", "migrating", "removing")
DATACENTER_BACKUP_ENABLED_STATES = ("enabled",)

_NOT_YET = "not yet active: the backup job is being created or enabled and may have taken no backup"
_NO_BACKUP = "no backup: the backup job is disabled or removed, or being disabled or removed"
_UNREADABLE = "unreadable: the backup system reports an error or does not know the job's state"

VM_JOB_STATE_MEANINGS = {
    "delivered": "active: the backup job is in place and runs on its schedule",
    "enabling": _NOT_YET,
    "toEnable": _NOT_YET,
    "toCreate": _NOT_YET,
    "pending": _NOT_YET,
    "disabled": _NO_BACKUP,
    "disabling": _NO_BACKUP,
    "toDisable": _NO_BACKUP,
    "removed": _NO_BACKUP,
    "deleting": _NO_BACKUP,
    "toDelete": _NO_BACKUP,
    "error": _UNREADABLE,
    "unknown": _UNREADABLE,
    "migrating": "in transition: the backup job is being migrated, and whether it runs meanwhile is not known",
    "stopping": "being stopped: the backup job will take no further backup",
    "toStop": "being stopped: the backup job will take no further backup",
}


def job_state_meaning(state):
    """What a VM backup job's state means, in a few words, for any value (missing, null or not of the enum too)."""
    if state is None:
        return "unreadable: the API reports no state for the backup job"
    if isinstance(state, str) and state in VM_JOB_STATE_MEANINGS:
        return VM_JOB_STATE_MEANINGS[state]
    return "unreadable: not a value of dedicatedCloud.backup.StateEnum"
