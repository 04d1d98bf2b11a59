# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup policy's verdict over the evidence dict at a given "now" (the API's clock, as epoch seconds), for a
policy normalized by ``_backup.normalize_policy()``.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Pure functions over data. Imports the standard library and ``_backup_evidence`` (its date helpers).
"""

from __future__ import annotations

import fnmatch

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_rules as rules
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_evidence import format_time, parse_time, sort_key_id
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_states import (
    DATACENTER_BACKUP_ENABLED_STATES,
    VM_JOB_ACTIVE_STATE,
    job_state_meaning,
)

# ----------------------------------------------------------------------------------------------------------
# Policy evaluation
# ----------------------------------------------------------------------------------------------------------


def _vm_findings(datacenter, vm, policy, now):
    """(violations, warnings, counts) for one VM under the policy, measured at `now` (epoch seconds)."""
    violations = []
    warnings = []
    counts = {"restore_points": 0, "restore_points_corrupted": 0}
    backup = vm.get("backup")
    if not backup:
        violations.append(rules.finding(datacenter, vm, rules.RULE_NO_BACKUP, "The VM has no backup job (no managed backup configured)."))
        return violations, warnings, counts
    state = backup.get("state")
    points = backup.get("restore_points") or []
    counts["restore_points"] = len(points)
    accepted = policy["accepted_job_states"]
    if not isinstance(state, str) or state not in accepted:
        violations.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_NO_BACKUP,
                "The VM's backup job is in state %r (%s); %s passes (accepted_job_states)."
                % (state, job_state_meaning(state), " or ".join(repr(a) for a in accepted)),
            )
        )
    result = backup.get("last_result")
    allowed = ("success", "warning") if policy["allow_warning"] else ("success",)
    if result not in allowed:
        last = backup.get("last_creation_time")
        hint = " A backup run is in progress: check again when it has ended." if result in rules.IN_PROGRESS_RESULTS else ""
        violations.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_LAST_RESULT,
                "The last backup run%s ended with %r; %s required.%s" % (" (%s)" % last if last else "", result, " or ".join(repr(a) for a in allowed), hint),
            )
        )
    elif result == "warning":
        warnings.append(rules.finding(datacenter, vm, rules.RULE_LAST_RESULT, "The last backup run ended with 'warning' (accepted: allow_warning is true)."))

    sound = []
    corrupted = []
    unreadable = []
    future = []
    for point in points:
        if point.get("is_corrupted") is not False:
            # True, or unknown: a point is sound only when the API says it is not corrupted.
            corrupted.append(point)
            continue
        epoch = parse_time(point.get("creation_time"))
        if epoch is None:
            unreadable.append(point)
            continue
        if epoch > now + rules.FUTURE_TOLERANCE_SECONDS:
            future.append(point)
            continue
        sound.append(epoch)
    counts["restore_points_corrupted"] = len(corrupted)
    if corrupted:
        ids = ", ".join(str(p.get("restore_point_id")) for p in corrupted)
        warnings.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_CORRUPTED_RESTORE_POINTS,
                "%d restore point(s) corrupted or of unknown integrity, not counted: %s." % (len(corrupted), ids),
            )
        )
    if unreadable:
        ids = ", ".join(str(p.get("restore_point_id")) for p in unreadable)
        warnings.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_UNREADABLE_RESTORE_POINT,
                "%d restore point(s) with an unreadable creation time, not counted: %s." % (len(unreadable), ids),
            )
        )
    if future:
        ids = ", ".join("%s (%s)" % (p.get("restore_point_id"), p.get("creation_time")) for p in future)
        warnings.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_FUTURE_RESTORE_POINT,
                "%d restore point(s) dated more than %d s after the evidence time, not counted: %s." % (len(future), rules.FUTURE_TOLERANCE_SECONDS, ids),
            )
        )
    if not sound:
        violations.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_NO_RESTORE_POINT,
                "No sound restore point (%d listed, %d corrupted or unknown, %d with unreadable dates, %d dated in the future)."
                % (len(points), len(corrupted), len(unreadable), len(future)),
            )
        )
        return violations, warnings, counts
    newest = max(sound)
    if now - newest > policy["max_age_hours"] * 3600.0:
        violations.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_STALE_RESTORE_POINT,
                "The newest sound restore point was created at %s, more than %s (max_age_hours) before the evidence time."
                % (format_time(newest), rules.hours(policy["max_age_hours"])),
            )
        )
    if len(sound) < policy["min_restore_points"]:
        violations.append(
            rules.finding(
                datacenter,
                vm,
                rules.RULE_TOO_FEW_RESTORE_POINTS,
                "%d sound restore point(s); at least %d required (min_restore_points)." % (len(sound), policy["min_restore_points"]),
            )
        )
    return violations, warnings, counts


def _datacenter_findings(datacenter):
    backup = datacenter.get("backup")
    if backup is None:
        return [
            rules.finding(
                datacenter, None, rules.RULE_DATACENTER_BACKUP_DISABLED, "The datacenter has no managed backup option (the API answered 404 for its backup)."
            )
        ]
    state = backup.get("state")
    if state not in DATACENTER_BACKUP_ENABLED_STATES:
        return [
            rules.finding(
                datacenter, None, rules.RULE_DATACENTER_BACKUP_DISABLED, "The datacenter's managed backup option is in state %r, not enabled." % (state,)
            )
        ]
    return []


def _match_datacenter_waiver(datacenter, waivers):
    keys = set()
    for value in (datacenter.get("datacenter_id"), datacenter.get("name")):
        if value is not None and not isinstance(value, bool) and str(value).strip():
            keys.add(str(value))
    for index, waiver in enumerate(waivers):
        if waiver["datacenter"] in keys:
            return index, waiver
    return None, None


def _match_exclusion(vm, exclusions):
    name = vm.get("name")
    if not isinstance(name, str):
        return None, None
    for index, exclusion in enumerate(exclusions):
        if fnmatch.fnmatchcase(name, exclusion["pattern"]):
            return index, exclusion
    return None, None


def _is_replicated(repository):
    replication = repository.get("replication")
    if isinstance(replication, str):
        return replication.strip().lower() not in rules.NOT_REPLICATED
    if isinstance(replication, dict):
        return bool(replication) and replication.get("enabled", True) not in (False, "false", "disabled")
    return replication not in rules.NOT_REPLICATED


def _strip_ids(finding):
    return dict((k, v) for k, v in finding.items() if k not in ("datacenter", "datacenter_id", "vm", "vm_id"))


def evaluate_policy(evidence, policy, now):
    """Apply the (normalized) policy to the evidence at `now` (epoch seconds, the API's clock).

    Returns {passed, violations, warnings, waivers, summary}. Violations waived by an exclusion, the
    powered-off option or a datacenter waiver are not violations; they are listed under the waiver that
    covered them. Deterministic: same evidence, policy and now give the same result.
    """
    violations = []
    warnings = []
    waivers = []
    summary = {
        "datacenters": 0,
        "datacenters_waived": 0,
        "datacenters_without_backup": 0,
        "vms": 0,
        "vms_evaluated": 0,
        "vms_passed": 0,
        "vms_failed": 0,
        "vms_excluded": 0,
        "vms_skipped_powered_off": 0,
        "vms_waived_with_datacenter": 0,
        "restore_points": 0,
        "restore_points_corrupted": 0,
        "repositories": 0,
        "repositories_out_of_sync": 0,
    }
    used_exclusions = set()
    used_waivers = set()
    evaluated_repo_ids = {}
    extra_states = [s for s in policy["accepted_job_states"] if s != VM_JOB_ACTIVE_STATE]
    vms_in_extra_states = []

    for datacenter in evidence.get("datacenters") or []:
        summary["datacenters"] += 1
        dc_violations = _datacenter_findings(datacenter)
        if dc_violations:
            summary["datacenters_without_backup"] += 1
        waiver_index, waiver = _match_datacenter_waiver(datacenter, policy["datacenter_waivers"])
        waived_here = []
        violations_here = []
        vms_here = 0
        for vm in datacenter.get("vms") or []:
            summary["vms"] += 1
            vm_violations, vm_warnings, counts = _vm_findings(datacenter, vm, policy, now)
            summary["restore_points"] += counts["restore_points"]
            summary["restore_points_corrupted"] += counts["restore_points_corrupted"]
            ex_index, exclusion = _match_exclusion(vm, policy["exclusions"])
            if exclusion is not None:
                used_exclusions.add(ex_index)
                summary["vms_excluded"] += 1
                waivers.append(
                    {
                        "kind": rules.WAIVER_EXCLUSION,
                        "datacenter": datacenter.get("name"),
                        "datacenter_id": datacenter.get("datacenter_id"),
                        "vm": vm.get("name"),
                        "vm_id": vm.get("vm_id"),
                        "match": exclusion["pattern"],
                        "reason": exclusion["reason"],
                        "waived_violations": [_strip_ids(v) for v in vm_violations],
                    }
                )
                continue
            if not policy["include_powered_off"] and vm.get("power_state") == "poweredOff":
                summary["vms_skipped_powered_off"] += 1
                waivers.append(
                    {
                        "kind": rules.WAIVER_POWERED_OFF,
                        "datacenter": datacenter.get("name"),
                        "datacenter_id": datacenter.get("datacenter_id"),
                        "vm": vm.get("name"),
                        "vm_id": vm.get("vm_id"),
                        "match": "poweredOff",
                        "reason": "The VM is powered off and include_powered_off is false.",
                        "waived_violations": [_strip_ids(v) for v in vm_violations],
                    }
                )
                continue
            repo_id = (vm.get("backup") or {}).get("backup_repository_id")
            if waiver is not None:
                vms_here += 1
                summary["vms_waived_with_datacenter"] += 1
                waived_here.extend(vm_violations)
                continue
            if repo_id is not None:
                evaluated_repo_ids.setdefault(repo_id, []).append(vm)
            if (vm.get("backup") or {}).get("state") in extra_states:
                vms_in_extra_states.append(str(vm.get("name")))
            summary["vms_evaluated"] += 1
            if vm_violations:
                summary["vms_failed"] += 1
            else:
                summary["vms_passed"] += 1
            violations_here.extend(vm_violations)
            warnings.extend(vm_warnings)
        if waiver is not None:
            used_waivers.add(waiver_index)
            summary["datacenters_waived"] += 1
            waivers.append(
                {
                    "kind": rules.WAIVER_DATACENTER,
                    "datacenter": datacenter.get("name"),
                    "datacenter_id": datacenter.get("datacenter_id"),
                    "vm": None,
                    "vm_id": None,
                    "match": waiver["datacenter"],
                    "reason": waiver["reason"],
                    "vms": vms_here,
                    "waived_violations": [dict((k, v) for k, v in f.items() if k not in ("datacenter", "datacenter_id")) for f in dc_violations + waived_here],
                }
            )
        else:
            violations.extend(dc_violations)
        violations.extend(violations_here)

    repositories = evidence.get("repositories") or []
    known_repo_ids = set(r.get("repository_id") for r in repositories)
    for repo_id in sorted(evaluated_repo_ids, key=sort_key_id):
        if repo_id not in known_repo_ids:
            names = sorted(str(vm.get("name")) for vm in evaluated_repo_ids[repo_id])
            warnings.append(
                rules.finding(
                    None,
                    None,
                    rules.RULE_UNKNOWN_REPOSITORY,
                    "Backup repository %s (used by %s) is not listed by the API; its replication is unknown." % (repo_id, ", ".join(names)),
                )
            )
    for repository in repositories:
        summary["repositories"] += 1
        status = repository.get("sync_status")
        if status == rules.SYNC_OK:
            continue
        # A repository that is not replicated has no meaningful sync status, unless the API reports a
        # replication problem outright: then the setting and the status disagree, and doubt fails.
        if not _is_replicated(repository) and status not in rules.SYNC_BAD:
            continue
        summary["repositories_out_of_sync"] += 1
        users = evaluated_repo_ids.get(repository.get("repository_id"), [])
        detail = "Backup repository %s (%s) %s sync status %r (last successful replication: %s)%s." % (
            repository.get("repository_id"),
            repository.get("repository_name"),
            "is replicated but its" if _is_replicated(repository) else "says it is not replicated, yet reports the",
            status,
            repository.get("last_successful_replication_date") or "never",
            "; used by %d VM(s)" % len(users) if users else "",
        )
        finding = rules.finding(None, None, rules.RULE_REPLICATION_OUT_OF_SYNC, detail)
        if policy["replication_out_of_sync"] == "warn":
            warnings.append(finding)
        else:
            violations.append(finding)

    for index, exclusion in enumerate(policy["exclusions"]):
        if index not in used_exclusions:
            warnings.append(rules.finding(None, None, rules.RULE_UNUSED_EXCLUSION, "Exclusion pattern %r matched no VM." % exclusion["pattern"]))
    for index, waiver in enumerate(policy["datacenter_waivers"]):
        if index not in used_waivers:
            warnings.append(
                rules.finding(
                    None, None, rules.RULE_UNUSED_DATACENTER_WAIVER, "Datacenter waiver %r matched no datacenter (by name or id)." % waiver["datacenter"]
                )
            )
    if extra_states:
        warnings.append(
            rules.finding(
                None,
                None,
                rules.RULE_ACCEPTED_JOB_STATES,
                "accepted_job_states also accepts VM backup jobs in state %s, "
                "besides %r (active); %d checked VM(s) passed in those states%s."
                % (
                    ", ".join("%r (%s)" % (s, job_state_meaning(s)) for s in extra_states),
                    VM_JOB_ACTIVE_STATE,
                    len(vms_in_extra_states),
                    ": " + ", ".join(sorted(vms_in_extra_states)) if vms_in_extra_states else "",
                ),
            )
        )
    if summary["datacenters"] == 0:
        violations.append(
            rules.finding(
                None,
                None,
                rules.RULE_NO_DATACENTER,
                "The API lists no datacenter for the service; a Managed Bare Metal has at least one, so the evidence cannot be complete.",
            )
        )
    elif summary["vms"] == 0:
        if summary["datacenters_waived"] == summary["datacenters"]:
            warnings.append(rules.finding(None, None, rules.RULE_NO_VMS, "The service lists no VM, and every datacenter is waived with a reason."))
        else:
            violations.append(
                rules.finding(
                    None,
                    None,
                    rules.RULE_NO_VMS,
                    "The service lists no VM. An empty listing is not proof that there is nothing to "
                    "lose: if the service is really empty, waive its datacenter(s) in "
                    "datacenter_waivers with a reason.",
                )
            )
    elif summary["vms_evaluated"] == 0:
        warnings.append(rules.finding(None, None, rules.RULE_NO_VM_EVALUATED, "No VM was checked: all %d VM(s) are excluded or skipped." % summary["vms"]))

    summary["violations"] = len(violations)
    summary["warnings"] = len(warnings)
    summary["waivers"] = len(waivers)
    return {
        "passed": not violations,
        "violations": violations,
        "warnings": warnings,
        "waivers": waivers,
        "summary": summary,
    }
