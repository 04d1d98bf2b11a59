# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""VM backup job states (dedicatedCloud.backup.StateEnum) against the datacenter option's (BackupStateEnum), and
the policy option accepted_job_states (issue 8, item 2)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup as backup
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_manifest as backup_manifest
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_policy as backup_policy
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_rules as backup_rules
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_states as states
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.test_backup_policy import NOW, datacenter, evidence, policy, vm

# The schema's enum, written out here so that a change of the code's copy is seen.
SCHEMA_VM_JOB_STATES = [
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
]
MEANING_WORDS = {
    "enabling": "not yet active",
    "toEnable": "not yet active",
    "toCreate": "not yet active",
    "pending": "not yet active",
    "disabled": "no backup",
    "disabling": "no backup",
    "toDisable": "no backup",
    "removed": "no backup",
    "deleting": "no backup",
    "toDelete": "no backup",
    "error": "unreadable",
    "unknown": "unreadable",
    "migrating": "migrated",
    "stopping": "being stopped",
    "toStop": "being stopped",
}


def verdict(vms, dc_state="enabled", **options):
    return backup_policy.evaluate_policy(evidence([datacenter(1, "dc1", vms, backup_state=dc_state)]), policy(**options), NOW)


def test_the_code_knows_exactly_the_schema_enum():
    assert list(states.VM_JOB_STATES) == SCHEMA_VM_JOB_STATES
    assert set(states.VM_JOB_STATE_MEANINGS) == set(SCHEMA_VM_JOB_STATES)
    assert set(MEANING_WORDS) | {"delivered"} == set(SCHEMA_VM_JOB_STATES)


def test_a_delivered_job_passes_by_default():
    result = verdict([vm(1, "web-1", state="delivered")])
    assert result["passed"] is True
    assert result["warnings"] == []


@pytest.mark.parametrize("state", sorted(MEANING_WORDS))
def test_every_other_schema_state_is_a_no_backup_violation_that_says_what_it_means(state):
    result = verdict([vm(1, "web-1", state=state)])
    assert [(v["vm"], v["rule"]) for v in result["violations"]] == [("web-1", "no_backup")]
    detail = result["violations"][0]["detail"]
    assert repr(state) in detail
    assert MEANING_WORDS[state] in detail
    assert "'delivered'" in detail


@pytest.mark.parametrize("state", ["enabled", "Delivered", "DELIVERED", "", None, 1, ["delivered"]])
def test_a_vm_job_in_enabled_null_or_any_unknown_value_fails(state):
    result = verdict([vm(1, "web-1", state=state)])
    assert [(v["vm"], v["rule"]) for v in result["violations"]] == [("web-1", "no_backup")]
    assert "unreadable" in result["violations"][0]["detail"]


def test_a_missing_state_key_fails():
    raw = vm(1, "web-1")
    del raw["backup"]["state"]
    result = verdict([raw])
    assert [v["rule"] for v in result["violations"]] == ["no_backup"]
    assert "no state" in result["violations"][0]["detail"]


def test_the_datacenter_option_keeps_enabled():
    assert verdict([vm(1, "web-1")], dc_state="enabled")["passed"] is True
    for dc_state in ("delivered", "enabling", "removing", None):
        result = verdict([vm(1, "web-1")], dc_state=dc_state)
        assert [v["rule"] for v in result["violations"]] == ["datacenter_backup_disabled"], dc_state


def test_accepting_more_states_passes_them_with_a_warning_naming_them():
    vms = [vm(1, "web-1"), vm(2, "new-1", state="enabling"), vm(3, "old-1", state="toEnable")]
    strict = verdict(vms)
    assert sorted(v["vm"] for v in strict["violations"]) == ["new-1", "old-1"]
    relaxed = verdict(vms, accepted_job_states=["enabling", "delivered"])
    assert [v["vm"] for v in relaxed["violations"]] == ["old-1"]
    warnings = [w for w in relaxed["warnings"] if w["rule"] == backup_rules.RULE_ACCEPTED_JOB_STATES]
    assert len(warnings) == 1
    assert "'enabling'" in warnings[0]["detail"] and "not yet active" in warnings[0]["detail"]
    assert "1 checked VM(s)" in warnings[0]["detail"] and "new-1" in warnings[0]["detail"]
    assert "'delivered' or 'enabling'" in relaxed["violations"][0]["detail"]


def test_the_warning_is_given_even_when_no_vm_uses_the_extra_state():
    result = verdict([vm(1, "web-1")], accepted_job_states=["delivered", "migrating"])
    assert result["passed"] is True
    assert [w["rule"] for w in result["warnings"]] == ["accepted_job_states"]
    assert "0 checked VM(s)" in result["warnings"][0]["detail"]


def test_accepting_only_another_state_fails_delivered_jobs():
    result = verdict([vm(1, "web-1")], accepted_job_states=["pending"])
    assert [v["rule"] for v in result["violations"]] == ["no_backup"]


@pytest.mark.parametrize(
    "value, message",
    [
        ([], "non-empty"),
        ("delivered", "non-empty list"),
        (["enabled"], "'enabled'"),
        (["delivered", "Delivered"], "'Delivered'"),
    ],
)
def test_policy_rejects_unusable_accepted_job_states(value, message):
    with pytest.raises(backup.PolicyError, match=message):
        policy(accepted_job_states=value)


def test_policy_default_and_order_and_the_manifest_record():
    assert policy()["accepted_job_states"] == ["delivered"]
    normalized = policy(accepted_job_states=["toEnable", "delivered", "enabling", "delivered"])
    assert normalized["accepted_job_states"] == ["delivered", "enabling", "toEnable"]
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")])])
    result = backup_policy.evaluate_policy(ev, normalized, NOW)
    manifest = backup_manifest.build_manifest(ev, result, normalized, "2026-11-26T12:00:00Z")
    assert manifest["policy"]["accepted_job_states"] == ["delivered", "enabling", "toEnable"]
    default = backup_manifest.build_manifest(ev, result, policy(), "2026-11-26T12:00:00Z")
    assert default["policy"]["accepted_job_states"] == ["delivered"]
    assert default["fingerprint"] != manifest["fingerprint"]


def test_meaning_of_values_outside_the_enum():
    assert "not a value" in states.job_state_meaning("enabled")
    assert "no state" in states.job_state_meaning(None)
    assert states.job_state_meaning("delivered").startswith("active")


def test_module_documents_the_option_as_its_argument_spec_defines_it():
    import yaml

    from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_backup_info

    doc = yaml.safe_load(mbm_backup_info.DOCUMENTATION)["options"]["accepted_job_states"]
    spec = mbm_backup_info.argument_spec()["accepted_job_states"]
    assert doc["choices"] == spec["choices"] == SCHEMA_VM_JOB_STATES
    assert doc["default"] == spec["default"] == ["delivered"]
    assert (doc["type"], doc["elements"]) == (spec["type"], spec["elements"]) == ("list", "str")
