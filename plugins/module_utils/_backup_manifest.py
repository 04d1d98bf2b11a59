# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup manifest: the deterministic record of what existed before deletion, with the policy verdict, and
its fingerprint.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Pure functions over data. Imports the standard library and ``_backup_evidence`` (its canonical JSON).
"""

from __future__ import annotations

import copy
import hashlib

from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_evidence import canonical_json

MANIFEST_VERSION = 1
MANIFEST_KIND = "ovhcloud.mbm.backup_manifest"


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
        "accepted_job_states": list(policy["accepted_job_states"]),
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
