# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup policy's vocabulary: rule names of violations and warnings, waiver kinds, the repository states that
mean "not replicated" or "out of sync", tolerances, and the shape of one finding. Pure constants and helpers.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.
"""

from __future__ import annotations

# Stable rule names (violations and warnings).
RULE_DATACENTER_BACKUP_DISABLED = "datacenter_backup_disabled"
RULE_NO_BACKUP = "no_backup"
RULE_LAST_RESULT = "last_result"
RULE_NO_RESTORE_POINT = "no_restore_point"
RULE_STALE_RESTORE_POINT = "stale_restore_point"
RULE_TOO_FEW_RESTORE_POINTS = "too_few_restore_points"
RULE_REPLICATION_OUT_OF_SYNC = "replication_out_of_sync"
# Warning-only rules.
RULE_CORRUPTED_RESTORE_POINTS = "corrupted_restore_points"
RULE_UNREADABLE_RESTORE_POINT = "unreadable_restore_point"
RULE_UNKNOWN_REPOSITORY = "unknown_repository"
RULE_UNUSED_EXCLUSION = "unused_exclusion"
RULE_UNUSED_DATACENTER_WAIVER = "unused_datacenter_waiver"
RULE_FUTURE_RESTORE_POINT = "future_restore_point"
RULE_NO_VM_EVALUATED = "no_vm_evaluated"
# accepted_job_states accepts more than the active state (delivered): named once per run.
RULE_ACCEPTED_JOB_STATES = "accepted_job_states"
# A violation when the service lists no VM in a datacenter that is not waived (an empty listing is never taken
# as proof that there is nothing to lose); a warning when every datacenter is waived.
RULE_NO_VMS = "no_vms"
# Always a violation: every Managed Bare Metal has at least one datacenter, so an empty list is not evidence.
RULE_NO_DATACENTER = "no_datacenter"

VIOLATION_RULES = (
    RULE_DATACENTER_BACKUP_DISABLED,
    RULE_NO_BACKUP,
    RULE_LAST_RESULT,
    RULE_NO_RESTORE_POINT,
    RULE_STALE_RESTORE_POINT,
    RULE_TOO_FEW_RESTORE_POINTS,
    RULE_REPLICATION_OUT_OF_SYNC,
    RULE_NO_VMS,
    RULE_NO_DATACENTER,
)

WAIVER_EXCLUSION = "exclusion"
WAIVER_POWERED_OFF = "powered_off"
WAIVER_DATACENTER = "datacenter_waiver"

# The states that pass live in _backup_states: a VM job must be in policy["accepted_job_states"]
# (dedicatedCloud.backup.StateEnum, default delivered), a datacenter option in DATACENTER_BACKUP_ENABLED_STATES
# (dedicatedCloud.BackupStateEnum: enabled). Every other value, a missing one and an unknown one fail closed.
# Replication settings that mean "this repository is not replicated" (syncStatus is then not meaningful).
NOT_REPLICATED = (None, False, "", "none", "disabled", "false", "no")
SYNC_OK = "ok"
# Sync statuses that report a replication problem whatever the repository's replication setting says.
SYNC_BAD = ("out-of-sync", "sync-required")
# A restore point dated later than the API's clock plus this many seconds is not counted (clock skew between
# the backup system and the API is tolerated up to this much; beyond it the date is not credible).
FUTURE_TOLERANCE_SECONDS = 600
# lastResult values of a run that has not ended yet (dedicatedCloud.backup.JobStateEnum).
IN_PROGRESS_RESULTS = ("running", "stopping")


def finding(datacenter, vm, rule, detail):
    return {
        "datacenter": datacenter.get("name") if datacenter else None,
        "datacenter_id": datacenter.get("datacenter_id") if datacenter else None,
        "vm": vm.get("name") if vm else None,
        "vm_id": vm.get("vm_id") if vm else None,
        "rule": rule,
        "detail": detail,
    }


def hours(value):
    return ("%g" % value) + " h"
