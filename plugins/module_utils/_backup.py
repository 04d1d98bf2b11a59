# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup gate of a Managed Bare Metal service as the module uses it: the policy options (validated and
normalized), then run(): gather the evidence, evaluate the policy, build the manifest; and the verdict sentence.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

The rooms: ``_backup_evidence`` (reading through the client and normalization), ``_backup_policy`` (the
verdict), ``_backup_manifest`` (the record and its fingerprint). This file holds the options and composes the rooms.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_evidence import format_time, gather_evidence
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_manifest import build_manifest
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_policy import evaluate_policy
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_states import DEFAULT_ACCEPTED_JOB_STATES, VM_JOB_STATES

DEFAULT_POLICY = {
    "max_age_hours": 24,
    "min_restore_points": 1,
    "allow_warning": False,
    "include_powered_off": True,
    "exclusions": [],
    "datacenter_waivers": [],
    "replication_out_of_sync": "fail",
    "accepted_job_states": list(DEFAULT_ACCEPTED_JOB_STATES),
}


class PolicyError(ValueError):
    """The policy options are not usable (e.g. an exclusion without a reason)."""


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
    accepted = policy["accepted_job_states"]
    if not isinstance(accepted, (list, tuple)) or not accepted:
        raise PolicyError("accepted_job_states must be a non-empty list of VM backup job states, got %r." % (accepted,))
    unknown = [state for state in accepted if state not in VM_JOB_STATES]
    if unknown:
        raise PolicyError(
            "accepted_job_states holds %s, not a value of dedicatedCloud.backup.StateEnum (%s)."
            % (", ".join(repr(s) for s in unknown), ", ".join(VM_JOB_STATES))
        )
    # Schema order, no repeats: the manifest and the fingerprint do not depend on how the list was written.
    policy["accepted_job_states"] = [state for state in VM_JOB_STATES if state in accepted]
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
        waivers.append({"datacenter": datacenter.strip(), "reason": _reason(entry, "datacenter_waivers[%d] (datacenter %r)" % (index, datacenter))})
    policy["exclusions"] = exclusions
    policy["datacenter_waivers"] = waivers
    policy["allow_warning"] = bool(policy["allow_warning"])
    policy["include_powered_off"] = bool(policy["include_powered_off"])
    return policy


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
        head,
        summary["vms"],
        summary["datacenters"],
        summary["vms_evaluated"],
        summary["vms_passed"],
        summary["vms_failed"],
        summary["vms_excluded"] + summary["vms_skipped_powered_off"] + summary["vms_waived_with_datacenter"],
        summary["violations"],
        summary["warnings"],
    )
    if result["violations"]:
        rules = sorted(set(v["rule"] for v in result["violations"]))
        text += " Rules broken: %s." % ", ".join(rules)
    return text
