# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backup evidence of a Managed Bare Metal service and the backup policy evaluated over it.

This module is private to the ovhcloud.mbm collection: it has no API stability guarantee and may change
in any release without notice.

Everything here except gather_evidence() is a pure function over data: gather_evidence() reads the API
through the client (the only place that talks HTTP), normalize_*() turn API objects into the evidence
dict, evaluate_policy() applies the policy to that dict at a given "now" (the API's clock, as epoch
seconds), and build_manifest() makes the deterministic record of what existed before deletion.
"""

from __future__ import annotations

import copy
import datetime
import fnmatch
import hashlib
import json
import re

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError

MANIFEST_VERSION = 1
MANIFEST_KIND = "ovhcloud.mbm.backup_manifest"

# Route templates (docs/architecture.md); the client counts calls by these.
ROUTE_SERVICE = routes.SERVICE
ROUTE_DATACENTERS = routes.DATACENTERS
ROUTE_DATACENTER = routes.DATACENTER
ROUTE_DATACENTER_BACKUP = routes.DATACENTER_BACKUP
ROUTE_VMS = routes.VMS
ROUTE_VM = routes.VM
ROUTE_DC_FILERS = routes.DC_FILERS
ROUTE_DC_FILER = routes.DC_FILER
ROUTE_FILERS = routes.FILERS
ROUTE_FILER = routes.FILER
ROUTE_REPOSITORIES = routes.REPOSITORIES
ROUTE_REPOSITORY = routes.REPOSITORY

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

# Only these states mean "the backup option / the VM's backup job works" (dedicatedCloud.backup.StateEnum);
# every other value (disabled, disabling, enabling, error, migrating, removing, unknown ones) fails closed.
BACKUP_ENABLED_STATES = ("enabled",)
# Replication settings that mean "this repository is not replicated" (syncStatus is then not meaningful).
NOT_REPLICATED = (None, False, "", "none", "disabled", "false", "no")
SYNC_OK = "ok"
# Sync statuses that report a replication problem whatever the repository's replication setting says.
SYNC_BAD = ("out-of-sync", "sync-required")
# A restore point dated later than the API's clock plus this many seconds is not counted (clock skew between
# the backup system and the API is tolerated up to this much; beyond it the date is not credible).
FUTURE_TOLERANCE_SECONDS = 600
# Page size asked for in whole-object list mode (X-Pagination-Size).
LIST_PAGE_SIZE = 500
# lastResult values of a run that has not ended yet (dedicatedCloud.backup.JobStateEnum).
IN_PROGRESS_RESULTS = ("running", "stopping")

DEFAULT_POLICY = {
    "max_age_hours": 24,
    "min_restore_points": 1,
    "allow_warning": False,
    "include_powered_off": True,
    "exclusions": [],
    "datacenter_waivers": [],
    "replication_out_of_sync": "fail",
}


class PolicyError(ValueError):
    """The policy options are not usable (e.g. an exclusion without a reason)."""


# ----------------------------------------------------------------------------------------------------------
# Time
# ----------------------------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"^\s*(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?\s*$"
)


def parse_time(value):
    """Parse an API date (ISO 8601, with or without offset, fraction or time part) into epoch seconds.

    A date without an offset is read as UTC; a date without a time part as midnight UTC. Returns None for
    None, empty or unreadable values, numbers included: the API writes dates as text, and a number could be
    seconds or milliseconds (callers treat None as "no evidence", never as "recent").
    """
    if not isinstance(value, str):
        return None
    match = _ISO_RE.match(value)
    if not match:
        return None
    parts = match.groupdict()
    try:
        frac = parts["frac"] or "0"
        micro = int((frac + "000000")[:6])
        moment = datetime.datetime(
            int(parts["y"]), int(parts["mo"]), int(parts["d"]),
            int(parts["h"] or 0), int(parts["mi"] or 0), int(parts["s"] or 0), micro,
            tzinfo=datetime.timezone.utc,
        )
    except ValueError:
        return None
    offset = 0
    tz = parts["tz"]
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = sign * (hours * 3600 + minutes * 60)
    return moment.timestamp() - offset


def format_time(epoch):
    """Epoch seconds -> ISO 8601 UTC with a Z suffix, to the second (None stays None)."""
    if epoch is None:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(int(epoch // 1), tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_time(value):
    """An API date normalized to ISO 8601 UTC (Z); an unreadable value is kept as given, None stays None."""
    epoch = parse_time(value)
    if epoch is None:
        return value if value not in ("",) else None
    return format_time(epoch)


# ----------------------------------------------------------------------------------------------------------
# Policy options
# ----------------------------------------------------------------------------------------------------------

def _reason(entry, what):
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError("%s needs a non-empty reason (it is recorded in the manifest)." % what)
    return reason.strip()


def normalize_policy(options):
    """Validate and normalize the policy options (module parameters); raise PolicyError when unusable."""
    policy = dict(DEFAULT_POLICY)
    for key in DEFAULT_POLICY:
        if options.get(key) is not None:
            policy[key] = options[key]
    max_age = policy["max_age_hours"]
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0:
        raise PolicyError("max_age_hours must be a positive number of hours, got %r." % (max_age,))
    min_points = policy["min_restore_points"]
    if isinstance(min_points, bool) or not isinstance(min_points, int) or min_points < 0:
        raise PolicyError("min_restore_points must be an integer >= 0, got %r." % (min_points,))
    if policy["replication_out_of_sync"] not in ("fail", "warn"):
        raise PolicyError("replication_out_of_sync must be fail or warn, got %r." % (policy["replication_out_of_sync"],))
    exclusions = []
    for index, entry in enumerate(policy["exclusions"] or []):
        if not isinstance(entry, dict):
            raise PolicyError("exclusions[%d] must be a dict with pattern and reason." % index)
        pattern = entry.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise PolicyError("exclusions[%d] needs a non-empty pattern (fnmatch on the VM name)." % index)
        exclusions.append({"pattern": pattern, "reason": _reason(entry, "exclusions[%d] (pattern %r)" % (index, pattern))})
    waivers = []
    for index, entry in enumerate(policy["datacenter_waivers"] or []):
        if not isinstance(entry, dict):
            raise PolicyError("datacenter_waivers[%d] must be a dict with datacenter and reason." % index)
        datacenter = entry.get("datacenter")
        if isinstance(datacenter, int) and not isinstance(datacenter, bool):
            datacenter = str(datacenter)
        if not isinstance(datacenter, str) or not datacenter.strip():
            raise PolicyError("datacenter_waivers[%d] needs a datacenter (its name or id)." % index)
        waivers.append({"datacenter": datacenter.strip(),
                        "reason": _reason(entry, "datacenter_waivers[%d] (datacenter %r)" % (index, datacenter))})
    policy["exclusions"] = exclusions
    policy["datacenter_waivers"] = waivers
    policy["allow_warning"] = bool(policy["allow_warning"])
    policy["include_powered_off"] = bool(policy["include_powered_off"])
    return policy


# ----------------------------------------------------------------------------------------------------------
# Evidence normalization (API objects -> evidence dict, deterministic order)
# ----------------------------------------------------------------------------------------------------------

def _int_or_raw(value):
    if isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _sort_key_id(value):
    """Sort key that orders ints numerically and anything else after them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _canonical_list(value):
    """A list whose order carries no meaning for the record, in a fixed order (by canonical JSON), so that the
    evidence and the manifest fingerprint do not depend on the order in which the API lists it."""
    if not isinstance(value, list):
        return copy.deepcopy(value)
    return sorted((copy.deepcopy(item) for item in value), key=canonical_json)


def normalize_service(service_name, raw):
    raw = raw or {}
    return {
        "service_name": service_name,
        "product_reference": raw.get("productReference"),
        "state": raw.get("state"),
        "location": raw.get("location"),
        "description": raw.get("description"),
        "version": copy.deepcopy(raw.get("version")),
        "management_interface": raw.get("managementInterface"),
    }


def normalize_restore_point(raw):
    return {
        "restore_point_id": _int_or_raw(raw.get("restorePointId")),
        "creation_time": normalize_time(raw.get("creationTime")),
        "is_corrupted": raw.get("isCorrupted"),
        "type": raw.get("type"),
        "size": copy.deepcopy(raw.get("size")),
    }


def _restore_point_sort_key(point):
    epoch = parse_time(point.get("creation_time"))
    # newest first; unreadable dates last; ties broken by id
    return (0 if epoch is not None else 1, -(epoch or 0), _sort_key_id(point.get("restore_point_id")))


def normalize_vm_backup(raw):
    """The VM's `backup` object; None when the VM has no backup job at all."""
    if not raw or not isinstance(raw, dict):
        return None
    points = [normalize_restore_point(p) for p in (raw.get("restorePoints") or []) if isinstance(p, dict)]
    points.sort(key=_restore_point_sort_key)
    return {
        "state": raw.get("state"),
        "last_result": raw.get("lastResult"),
        "last_successful_creation_time": normalize_time(raw.get("lastSuccessfulCreationTime")),
        "last_creation_time": normalize_time(raw.get("lastCreationTime")),
        "retention_time": copy.deepcopy(raw.get("retentionTime")),
        "backup_days": _canonical_list(raw.get("backupDays")),
        "offer_type": raw.get("offerType"),
        "backup_repository_id": _int_or_raw(raw.get("backupRepositoryId")),
        "restore_points": points,
    }


def normalize_vm(raw):
    return {
        "vm_id": _int_or_raw(raw.get("vmId")),
        "name": raw.get("name"),
        "mo_ref": raw.get("moRef"),
        "power_state": raw.get("powerState"),
        "filers": _canonical_list(raw.get("filers") or []),
        "networks": _canonical_list(raw.get("networks") or []),
        "backup": normalize_vm_backup(raw.get("backup")),
    }


def normalize_filer(raw):
    return {
        "filer_id": _int_or_raw(raw.get("filerId")),
        "name": raw.get("name"),
        "size": copy.deepcopy(raw.get("size")),
        "space_used": copy.deepcopy(raw.get("spaceUsed")),
        "vm_total": raw.get("vmTotal"),
        "state": raw.get("state"),
    }


def normalize_datacenter_backup(raw):
    """The datacenter's managed backup option; None when the API says it does not exist (404)."""
    if raw is None:
        return None
    return {
        "state": raw.get("state"),
        "backup_offer": raw.get("backupOffer"),
        "replication_zone": raw.get("replicationZone"),
    }


def normalize_repository(raw):
    return {
        "repository_id": _int_or_raw(raw.get("repositoryId", raw.get("backupRepositoryId"))),
        "repository_name": raw.get("repositoryName"),
        "replication": copy.deepcopy(raw.get("replication")),
        "sync_status": raw.get("syncStatus"),
        "last_successful_replication_date": normalize_time(raw.get("lastSuccessfulReplicationDate")),
    }


def _vm_sort_key(vm):
    return (str(vm.get("name") or ""), _sort_key_id(vm.get("vm_id")))


def _filer_sort_key(filer):
    return (str(filer.get("name") or ""), _sort_key_id(filer.get("filer_id")))


def normalize_datacenter(raw, backup, vms, filers):
    """One datacenter with its backup option (raw or None), VMs and filers (raw API objects)."""
    return {
        "datacenter_id": _int_or_raw(raw.get("datacenterId")),
        "name": raw.get("name"),
        "commercial_name": raw.get("commercialName"),
        "backup": normalize_datacenter_backup(backup),
        "vms": sorted((normalize_vm(v) for v in vms), key=_vm_sort_key),
        "filers": sorted((normalize_filer(f) for f in filers), key=_filer_sort_key),
    }


def build_evidence(service_name, service, datacenters, filers, repositories):
    """Assemble the evidence dict.

    `service` is the raw service object, `datacenters` a list of already normalized datacenters
    (normalize_datacenter), `filers` and `repositories` raw API objects.
    """
    return {
        "service": normalize_service(service_name, service),
        "datacenters": sorted(datacenters, key=lambda d: _sort_key_id(d.get("datacenter_id"))),
        "filers": sorted((normalize_filer(f) for f in filers), key=_filer_sort_key),
        "repositories": sorted((normalize_repository(r) for r in repositories),
                               key=lambda r: _sort_key_id(r.get("repository_id"))),
    }


# ----------------------------------------------------------------------------------------------------------
# Policy evaluation
# ----------------------------------------------------------------------------------------------------------

def _finding(datacenter, vm, rule, detail):
    return {
        "datacenter": datacenter.get("name") if datacenter else None,
        "datacenter_id": datacenter.get("datacenter_id") if datacenter else None,
        "vm": vm.get("name") if vm else None,
        "vm_id": vm.get("vm_id") if vm else None,
        "rule": rule,
        "detail": detail,
    }


def _hours(value):
    return ("%g" % value) + " h"


def _vm_findings(datacenter, vm, policy, now):
    """(violations, warnings, counts) for one VM under the policy, measured at `now` (epoch seconds)."""
    violations = []
    warnings = []
    counts = {"restore_points": 0, "restore_points_corrupted": 0}
    backup = vm.get("backup")
    if not backup:
        violations.append(_finding(datacenter, vm, RULE_NO_BACKUP, "The VM has no backup job (no managed backup configured)."))
        return violations, warnings, counts
    state = backup.get("state")
    points = backup.get("restore_points") or []
    counts["restore_points"] = len(points)
    if state not in BACKUP_ENABLED_STATES:
        violations.append(_finding(datacenter, vm, RULE_NO_BACKUP,
                                   "The VM's backup job is in state %r, not enabled." % (state,)))
    result = backup.get("last_result")
    allowed = ("success", "warning") if policy["allow_warning"] else ("success",)
    if result not in allowed:
        last = backup.get("last_creation_time")
        hint = " A backup run is in progress: check again when it has ended." if result in IN_PROGRESS_RESULTS else ""
        violations.append(_finding(
            datacenter, vm, RULE_LAST_RESULT,
            "The last backup run%s ended with %r; %s required.%s" % (
                " (%s)" % last if last else "", result, " or ".join(repr(a) for a in allowed), hint)))
    elif result == "warning":
        warnings.append(_finding(datacenter, vm, RULE_LAST_RESULT,
                                 "The last backup run ended with 'warning' (accepted: allow_warning is true)."))

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
        if epoch > now + FUTURE_TOLERANCE_SECONDS:
            future.append(point)
            continue
        sound.append(epoch)
    counts["restore_points_corrupted"] = len(corrupted)
    if corrupted:
        ids = ", ".join(str(p.get("restore_point_id")) for p in corrupted)
        warnings.append(_finding(datacenter, vm, RULE_CORRUPTED_RESTORE_POINTS,
                                 "%d restore point(s) corrupted or of unknown integrity, not counted: %s." % (len(corrupted), ids)))
    if unreadable:
        ids = ", ".join(str(p.get("restore_point_id")) for p in unreadable)
        warnings.append(_finding(datacenter, vm, RULE_UNREADABLE_RESTORE_POINT,
                                 "%d restore point(s) with an unreadable creation time, not counted: %s." % (len(unreadable), ids)))
    if future:
        ids = ", ".join("%s (%s)" % (p.get("restore_point_id"), p.get("creation_time")) for p in future)
        warnings.append(_finding(datacenter, vm, RULE_FUTURE_RESTORE_POINT,
                                 "%d restore point(s) dated more than %d s after the evidence time, not counted: %s." % (
                                     len(future), FUTURE_TOLERANCE_SECONDS, ids)))
    if not sound:
        violations.append(_finding(
            datacenter, vm, RULE_NO_RESTORE_POINT,
            "No sound restore point (%d listed, %d corrupted or unknown, %d with unreadable dates, %d dated in the future)." % (
                len(points), len(corrupted), len(unreadable), len(future))))
        return violations, warnings, counts
    newest = max(sound)
    if now - newest > policy["max_age_hours"] * 3600.0:
        violations.append(_finding(
            datacenter, vm, RULE_STALE_RESTORE_POINT,
            "The newest sound restore point was created at %s, more than %s (max_age_hours) before the evidence time." % (
                format_time(newest), _hours(policy["max_age_hours"]))))
    if len(sound) < policy["min_restore_points"]:
        violations.append(_finding(
            datacenter, vm, RULE_TOO_FEW_RESTORE_POINTS,
            "%d sound restore point(s); at least %d required (min_restore_points)." % (len(sound), policy["min_restore_points"])))
    return violations, warnings, counts


def _datacenter_findings(datacenter):
    backup = datacenter.get("backup")
    if backup is None:
        return [_finding(datacenter, None, RULE_DATACENTER_BACKUP_DISABLED,
                         "The datacenter has no managed backup option (the API answered 404 for its backup).")]
    state = backup.get("state")
    if state not in BACKUP_ENABLED_STATES:
        return [_finding(datacenter, None, RULE_DATACENTER_BACKUP_DISABLED,
                         "The datacenter's managed backup option is in state %r, not enabled." % (state,))]
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
        return replication.strip().lower() not in NOT_REPLICATED
    if isinstance(replication, dict):
        return bool(replication) and replication.get("enabled", True) not in (False, "false", "disabled")
    return replication not in NOT_REPLICATED


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
        "datacenters": 0, "datacenters_waived": 0, "datacenters_without_backup": 0,
        "vms": 0, "vms_evaluated": 0, "vms_passed": 0, "vms_failed": 0,
        "vms_excluded": 0, "vms_skipped_powered_off": 0, "vms_waived_with_datacenter": 0,
        "restore_points": 0, "restore_points_corrupted": 0, "repositories": 0,
        "repositories_out_of_sync": 0,
    }
    used_exclusions = set()
    used_waivers = set()
    evaluated_repo_ids = {}

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
                waivers.append({
                    "kind": WAIVER_EXCLUSION, "datacenter": datacenter.get("name"), "datacenter_id": datacenter.get("datacenter_id"),
                    "vm": vm.get("name"), "vm_id": vm.get("vm_id"), "match": exclusion["pattern"], "reason": exclusion["reason"],
                    "waived_violations": [_strip_ids(v) for v in vm_violations],
                })
                continue
            if not policy["include_powered_off"] and vm.get("power_state") == "poweredOff":
                summary["vms_skipped_powered_off"] += 1
                waivers.append({
                    "kind": WAIVER_POWERED_OFF, "datacenter": datacenter.get("name"), "datacenter_id": datacenter.get("datacenter_id"),
                    "vm": vm.get("name"), "vm_id": vm.get("vm_id"), "match": "poweredOff",
                    "reason": "The VM is powered off and include_powered_off is false.",
                    "waived_violations": [_strip_ids(v) for v in vm_violations],
                })
                continue
            repo_id = (vm.get("backup") or {}).get("backup_repository_id")
            if waiver is not None:
                vms_here += 1
                summary["vms_waived_with_datacenter"] += 1
                waived_here.extend(vm_violations)
                continue
            if repo_id is not None:
                evaluated_repo_ids.setdefault(repo_id, []).append(vm)
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
            waivers.append({
                "kind": WAIVER_DATACENTER, "datacenter": datacenter.get("name"), "datacenter_id": datacenter.get("datacenter_id"),
                "vm": None, "vm_id": None, "match": waiver["datacenter"], "reason": waiver["reason"],
                "vms": vms_here,
                "waived_violations": [dict((k, v) for k, v in f.items() if k not in ("datacenter", "datacenter_id"))
                                      for f in dc_violations + waived_here],
            })
        else:
            violations.extend(dc_violations)
        violations.extend(violations_here)

    repositories = evidence.get("repositories") or []
    known_repo_ids = set(r.get("repository_id") for r in repositories)
    for repo_id in sorted(evaluated_repo_ids, key=_sort_key_id):
        if repo_id not in known_repo_ids:
            names = sorted(str(vm.get("name")) for vm in evaluated_repo_ids[repo_id])
            warnings.append(_finding(None, None, RULE_UNKNOWN_REPOSITORY,
                                     "Backup repository %s (used by %s) is not listed by the API; its replication is unknown." % (
                                         repo_id, ", ".join(names))))
    for repository in repositories:
        summary["repositories"] += 1
        status = repository.get("sync_status")
        if status == SYNC_OK:
            continue
        # A repository that is not replicated has no meaningful sync status, unless the API reports a
        # replication problem outright: then the setting and the status disagree, and doubt fails.
        if not _is_replicated(repository) and status not in SYNC_BAD:
            continue
        summary["repositories_out_of_sync"] += 1
        users = evaluated_repo_ids.get(repository.get("repository_id"), [])
        detail = "Backup repository %s (%s) %s sync status %r (last successful replication: %s)%s." % (
            repository.get("repository_id"), repository.get("repository_name"),
            "is replicated but its" if _is_replicated(repository) else "says it is not replicated, yet reports the", status,
            repository.get("last_successful_replication_date") or "never",
            "; used by %d VM(s)" % len(users) if users else "")
        finding = _finding(None, None, RULE_REPLICATION_OUT_OF_SYNC, detail)
        if policy["replication_out_of_sync"] == "warn":
            warnings.append(finding)
        else:
            violations.append(finding)

    for index, exclusion in enumerate(policy["exclusions"]):
        if index not in used_exclusions:
            warnings.append(_finding(None, None, RULE_UNUSED_EXCLUSION,
                                     "Exclusion pattern %r matched no VM." % exclusion["pattern"]))
    for index, waiver in enumerate(policy["datacenter_waivers"]):
        if index not in used_waivers:
            warnings.append(_finding(None, None, RULE_UNUSED_DATACENTER_WAIVER,
                                     "Datacenter waiver %r matched no datacenter (by name or id)." % waiver["datacenter"]))
    if summary["datacenters"] == 0:
        violations.append(_finding(None, None, RULE_NO_DATACENTER,
                                   "The API lists no datacenter for the service; a Managed Bare Metal has at least one, "
                                   "so the evidence cannot be complete."))
    elif summary["vms"] == 0:
        if summary["datacenters_waived"] == summary["datacenters"]:
            warnings.append(_finding(None, None, RULE_NO_VMS,
                                     "The service lists no VM, and every datacenter is waived with a reason."))
        else:
            violations.append(_finding(None, None, RULE_NO_VMS,
                                       "The service lists no VM. An empty listing is not proof that there is nothing to "
                                       "lose: if the service is really empty, waive its datacenter(s) in "
                                       "datacenter_waivers with a reason."))
    elif summary["vms_evaluated"] == 0:
        warnings.append(_finding(None, None, RULE_NO_VM_EVALUATED,
                                 "No VM was checked: all %d VM(s) are excluded or skipped." % summary["vms"]))

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


# ----------------------------------------------------------------------------------------------------------
# Manifest
# ----------------------------------------------------------------------------------------------------------

def canonical_json(data):
    """The one serialization used for fingerprints (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def manifest_fingerprint(manifest):
    """sha256 of the manifest without its volatile fields (evidence_time, fingerprint)."""
    stable = dict((k, v) for k, v in manifest.items() if k not in ("evidence_time", "fingerprint"))
    return "sha256:" + hashlib.sha256(canonical_json(stable).encode("utf-8")).hexdigest()


def policy_record(policy):
    """The policy as recorded in the manifest (all options that decide the verdict)."""
    return {
        "max_age_hours": policy["max_age_hours"],
        "min_restore_points": policy["min_restore_points"],
        "allow_warning": policy["allow_warning"],
        "include_powered_off": policy["include_powered_off"],
        "replication_out_of_sync": policy["replication_out_of_sync"],
        "exclusions": copy.deepcopy(policy["exclusions"]),
        "datacenter_waivers": copy.deepcopy(policy["datacenter_waivers"]),
    }


def build_manifest(evidence, verdict, policy, evidence_time):
    """The record of what existed before deletion, with the policy verdict.

    The content is deterministic: only evidence_time is volatile. `fingerprint` hashes everything else,
    so a writer can keep the file unchanged (and its evidence_time: when this evidence was first seen)
    as long as the fingerprint is the same.
    """
    manifest = {
        "kind": MANIFEST_KIND,
        "version": MANIFEST_VERSION,
        "service_name": evidence["service"]["service_name"],
        "evidence_time": evidence_time,
        "service": copy.deepcopy(evidence["service"]),
        "policy": policy_record(policy),
        "verdict": {
            "passed": verdict["passed"],
            "summary": copy.deepcopy(verdict["summary"]),
            "violations": copy.deepcopy(verdict["violations"]),
            "warnings": copy.deepcopy(verdict["warnings"]),
            "waivers": copy.deepcopy(verdict["waivers"]),
        },
        "datacenters": copy.deepcopy(evidence["datacenters"]),
        "filers": copy.deepcopy(evidence["filers"]),
        "repositories": copy.deepcopy(evidence["repositories"]),
    }
    manifest["fingerprint"] = manifest_fingerprint(manifest)
    return manifest


# ----------------------------------------------------------------------------------------------------------
# Gathering (the only part that uses the client)
# ----------------------------------------------------------------------------------------------------------

def _duplicate_ids(objects, item_key):
    """The ids that occur more than once in a list of objects (objects without the id are not counted)."""
    seen = set()
    duplicates = set()
    for obj in objects:
        value = obj.get(item_key) if isinstance(obj, dict) else None
        if value is None:
            continue
        key = str(value)
        if key in seen:
            duplicates.add(key)
        seen.add(key)
    return sorted(duplicates)


def _id_set(values):
    return set(str(value) for value in values)


def _check_objects(client, objects, path, list_template):
    if not isinstance(objects, list) or not all(isinstance(obj, dict) for obj in objects):
        raise OvhApiError("The API returned something else than a list of objects for %s" % path,
                          error_code="INVALID_RESPONSE", method="GET", path=path, route=list_template,
                          query_id=getattr(client, "last_query_id", None))
    return objects


def list_objects(client, list_template, item_template, item_key, expansion=True, concurrency=4, **path_params):
    """Whole objects of a list route: the client's list expansion (falls back to one GET per id by itself),
    or straight to one GET per id when expansion is off.

    Whole objects are trusted only when their ids are exactly the ids of the plain list (one more call per
    list, whatever its length): a cached, truncated or repeated page (an API that ignores the page number
    repeats page 1 and the count still adds up) would otherwise hide a VM from the gate. When they differ, the
    list is read again one object at a time. A list whose ids repeat even then cannot be read (fail closed).
    """
    path = list_template.format(**path_params)
    objects = _check_objects(client, client.list_objects(list_template, item_template, item_key, concurrency=concurrency,
                                                         expand=expansion, page_size=LIST_PAGE_SIZE, **path_params),
                             path, list_template)
    if expansion:
        ids = client.get(list_template, **path_params)
        if not isinstance(ids, list) or not all(isinstance(i, (int, str)) and not isinstance(i, bool) for i in ids):
            raise OvhApiError("The API returned something else than a list of ids for %s" % path,
                              error_code="INVALID_RESPONSE", method="GET", path=path, route=list_template,
                              query_id=getattr(client, "last_query_id", None))
        seen = [obj.get(item_key) for obj in objects]
        if _duplicate_ids(objects, item_key) or len(seen) != len(ids) or _id_set(seen) != _id_set(ids):
            objects = _check_objects(client, client.list_objects(list_template, item_template, item_key, concurrency=concurrency,
                                                                 expand=False, page_size=LIST_PAGE_SIZE, **path_params),
                                     path, list_template)
    duplicates = _duplicate_ids(objects, item_key)
    if duplicates:
        raise OvhApiError("The API listed %s %s more than once in %s, so the list cannot be trusted to be complete" % (
            item_key, ", ".join(duplicates), path),
            error_code="INVALID_RESPONSE", method="GET", path=path, route=list_template,
            query_id=getattr(client, "last_query_id", None),
            hint="Run again later; if it persists, quote the query id to OVHcloud support")
    return objects


def gather_evidence(client, service_name, expansion=True, concurrency=4):
    """Read every fact the policy and the manifest need, and return the evidence dict.

    Raises the client's error on any failed read (fail closed), except a 404 on a datacenter's backup
    option, which is evidence ("no managed backup option") that the policy then rejects unless waived.
    """
    kw = {"expansion": expansion, "concurrency": concurrency}
    service = client.get(ROUTE_SERVICE, serviceName=service_name)
    raw_datacenters = list_objects(client, ROUTE_DATACENTERS, ROUTE_DATACENTER, "datacenterId", serviceName=service_name, **kw)
    datacenters = []
    for raw_dc in raw_datacenters:
        dc_id = raw_dc.get("datacenterId")
        if dc_id is None:
            raise OvhApiError("The API returned a datacenter without datacenterId; the evidence cannot be read",
                              error_code="INVALID_RESPONSE", method="GET", path=ROUTE_DATACENTERS, route=ROUTE_DATACENTERS)
        try:
            backup = client.get(ROUTE_DATACENTER_BACKUP, serviceName=service_name, datacenterId=dc_id)
        except OvhApiError as error:
            if error.status != 404:
                raise
            backup = None
        vms = list_objects(client, ROUTE_VMS, ROUTE_VM, "vmId", serviceName=service_name, datacenterId=dc_id, **kw)
        filers = list_objects(client, ROUTE_DC_FILERS, ROUTE_DC_FILER, "filerId", serviceName=service_name, datacenterId=dc_id, **kw)
        datacenters.append(normalize_datacenter(raw_dc, backup, vms, filers))
    filers = list_objects(client, ROUTE_FILERS, ROUTE_FILER, "filerId", serviceName=service_name, **kw)
    repositories = list_objects(client, ROUTE_REPOSITORIES, ROUTE_REPOSITORY, "repositoryId", serviceName=service_name, **kw)
    return build_evidence(service_name, service, datacenters, filers, repositories)


def run(client, service_name, policy, expansion=True, concurrency=4):
    """Gather, evaluate and build the manifest for a normalized policy; returns the module result (without
    api_calls). The evidence time is the API's clock read after gathering, so ages are never under-estimated.
    """
    evidence = gather_evidence(client, service_name, expansion=expansion, concurrency=concurrency)
    now = client.now()
    evidence_time = format_time(now)
    verdict = evaluate_policy(evidence, policy, now)
    result = {
        "passed": verdict["passed"],
        "violations": verdict["violations"],
        # "warnings" is reserved for Ansible's own warnings (a list of strings) in module results.
        "policy_warnings": verdict["warnings"],
        "waivers": verdict["waivers"],
        "summary": verdict["summary"],
    }
    result["evidence"] = evidence
    result["evidence_time"] = evidence_time
    result["manifest"] = build_manifest(evidence, verdict, policy, evidence_time)
    return result


def verdict_message(service_name, result):
    """One sentence for the module's msg."""
    summary = result["summary"]
    head = "Backup policy %s for %s" % ("passed" if result["passed"] else "FAILED", service_name)
    text = "%s: %d VM(s) in %d datacenter(s), %d evaluated, %d passed, %d failed, %d waived or excluded; %d violation(s), %d warning(s)." % (
        head, summary["vms"], summary["datacenters"], summary["vms_evaluated"], summary["vms_passed"], summary["vms_failed"],
        summary["vms_excluded"] + summary["vms_skipped_powered_off"] + summary["vms_waived_with_datacenter"],
        summary["violations"], summary["warnings"])
    if result["violations"]:
        rules = sorted(set(v["rule"] for v in result["violations"]))
        text += " Rules broken: %s." % ", ".join(rules)
    return text
