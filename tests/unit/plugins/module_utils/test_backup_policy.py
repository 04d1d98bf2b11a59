# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup policy and the manifest, as pure functions over evidence built from API-shaped objects."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup as backup
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_evidence as backup_evidence
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_manifest as backup_manifest
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_policy as backup_policy
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_rules as backup_rules

NOW = backup_evidence.parse_time("2026-11-26T12:00:00Z")


def iso(hours_ago):
    return backup_evidence.format_time(NOW - hours_ago * 3600)


def point(point_id, hours_ago, corrupted=False, kind="incremental"):
    return {"restorePointId": point_id, "creationTime": iso(hours_ago), "isCorrupted": corrupted, "type": kind, "size": {"unit": "GB", "value": 10}}


def vm(vm_id, name, points=None, last_result="success", state="delivered", power="poweredOn", repo=1, no_backup=False):
    raw = {"vmId": vm_id, "name": name, "moRef": "vm-%d" % vm_id, "powerState": power, "filers": [{"name": "ds-1"}], "networks": [{"name": "VM Network"}]}
    if no_backup:
        raw["backup"] = None
        return raw
    if points is None:
        points = [point(vm_id * 10 + 1, 2), point(vm_id * 10 + 2, 26, kind="full")]
    raw["backup"] = {
        "state": state,
        "lastResult": last_result,
        "lastCreationTime": iso(2),
        "lastSuccessfulCreationTime": iso(2),
        "restorePoints": points,
        "retentionTime": 7,
        "backupDays": ["Monday"],
        "backupRepositoryId": repo,
    }
    return raw


def datacenter(dc_id, name, vms, backup_state="enabled", no_backup_option=False):
    raw_backup = None if no_backup_option else {"state": backup_state, "backupOffer": "advanced", "replicationZone": None}
    return backup_evidence.normalize_datacenter(
        {"datacenterId": dc_id, "name": name, "commercialName": "MBM-" + name},
        raw_backup,
        vms,
        [{"filerId": 5, "name": "ds-1", "size": 100, "spaceUsed": 10, "vmTotal": len(vms)}],
    )


def evidence(datacenters, repositories=None):
    if repositories is None:
        repositories = [{"repositoryId": 1, "repositoryName": "repo-1", "replication": True, "syncStatus": "ok", "lastSuccessfulReplicationDate": iso(3)}]
    return backup_evidence.build_evidence("pcc-1-2-3-4", {"productReference": "MBM", "state": "delivered", "location": "rbx"}, datacenters, [], repositories)


def policy(**options):
    return backup.normalize_policy(options)


def rules(result):
    return sorted((v["datacenter"], v["vm"], v["rule"]) for v in result["violations"])


def warning_rules(result):
    return sorted((v["vm"], v["rule"]) for v in result["warnings"])


def healthy():
    return evidence([datacenter(1, "dc1", [vm(1, "web-1"), vm(2, "db-1")])])


# ------------------------------------------------------------------------------------------------ time


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-26T12:00:00Z", "2026-11-26T12:00:00Z"),
        ("2026-11-26T13:00:00+01:00", "2026-11-26T12:00:00Z"),
        ("2026-11-26T07:30:00-0430", "2026-11-26T12:00:00Z"),
        ("2026-11-26T12:00:00.123456789Z", "2026-11-26T12:00:00Z"),
        ("2026-11-26 12:00:00", "2026-11-26T12:00:00Z"),
        ("2026-11-26", "2026-11-26T00:00:00Z"),
    ],
)
def test_parse_time_formats(value, expected):
    assert backup_evidence.format_time(backup_evidence.parse_time(value)) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "yesterday", "2026-13-01T00:00:00Z", "2026-11-26T12:00:00+25:00", True, {}, 1795694400, 1795694400000.0, "2026-11-26T24:00:00Z", "2026-02-30"],
)
def test_parse_time_unreadable_is_none(value):
    assert backup_evidence.parse_time(value) is None


def test_normalize_time_keeps_unreadable_values():
    assert backup_evidence.normalize_time("soon") == "soon"
    assert backup_evidence.normalize_time(1795694400000) == 1795694400000
    assert backup_evidence.format_time(10**15) is None
    assert backup_evidence.normalize_time(None) is None
    assert backup_evidence.normalize_time("2026-11-26T13:00:00+01:00") == "2026-11-26T12:00:00Z"


# ------------------------------------------------------------------------------------------------ options


def test_policy_defaults():
    result = policy()
    assert result["max_age_hours"] == 24
    assert result["min_restore_points"] == 1
    assert result["allow_warning"] is False
    assert result["include_powered_off"] is True
    assert result["replication_out_of_sync"] == "fail"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"exclusions": [{"pattern": "tmp-*", "reason": " "}]}, "non-empty reason"),
        ({"exclusions": [{"pattern": "tmp-*"}]}, "non-empty reason"),
        ({"exclusions": [{"pattern": "", "reason": "x"}]}, "pattern"),
        ({"datacenter_waivers": [{"datacenter": "dc1"}]}, "non-empty reason"),
        ({"datacenter_waivers": [{"datacenter": "", "reason": "x"}]}, "datacenter"),
        ({"max_age_hours": 0}, "max_age_hours"),
        ({"min_restore_points": -1}, "min_restore_points"),
        ({"replication_out_of_sync": "ignore"}, "replication_out_of_sync"),
    ],
)
def test_policy_rejects_unusable_options(options, message):
    with pytest.raises(backup.PolicyError, match=message):
        policy(**options)


def test_policy_waiver_datacenter_id_as_int_is_text():
    assert policy(datacenter_waivers=[{"datacenter": 12, "reason": "r"}])["datacenter_waivers"] == [{"datacenter": "12", "reason": "r"}]


# ------------------------------------------------------------------------------------------------ rules


def test_healthy_service_passes():
    result = backup_policy.evaluate_policy(healthy(), policy(), NOW)
    assert result["passed"] is True
    assert result["violations"] == []
    assert result["warnings"] == []
    assert result["summary"]["vms"] == 2
    assert result["summary"]["vms_passed"] == 2
    assert result["summary"]["restore_points"] == 4


def test_vm_without_backup_job():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1"), vm(2, "db-1", no_backup=True)])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert result["passed"] is False
    assert rules(result) == [("dc1", "db-1", "no_backup")]
    assert result["summary"]["vms_failed"] == 1


def test_vm_backup_job_not_enabled():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", state="disabled")])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "web-1", "no_backup")]


def test_failed_last_run_with_older_sound_points_fails():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", last_result="failed", points=[point(1, 3), point(2, 20)])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "last_result")]
    assert "'failed'" in result["violations"][0]["detail"]


def test_running_last_result_fails_with_a_hint():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", last_result="running")])])
    result = backup_policy.evaluate_policy(ev, policy(allow_warning=True), NOW)
    assert rules(result) == [("dc1", "web-1", "last_result")]
    assert "in progress" in result["violations"][0]["detail"]


def test_warning_last_result_fails_unless_allowed():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", last_result="warning")])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "web-1", "last_result")]
    allowed = backup_policy.evaluate_policy(ev, policy(allow_warning=True), NOW)
    assert allowed["passed"] is True
    assert warning_rules(allowed) == [("web-1", "last_result")]


def test_stale_newest_sound_point():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, 25), point(2, 49)])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "stale_restore_point")]
    assert iso(25) in result["violations"][0]["detail"]
    assert backup_policy.evaluate_policy(ev, policy(max_age_hours=26), NOW)["passed"] is True


def test_age_boundary_is_inclusive():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, 24)])])])
    assert backup_policy.evaluate_policy(ev, policy(), NOW)["passed"] is True
    assert backup_policy.evaluate_policy(ev, policy(), NOW + 1)["passed"] is False


def test_newest_point_corrupted_older_sound_point_counts():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, 1, corrupted=True), point(2, 20)])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert result["passed"] is True
    assert warning_rules(result) == [("web-1", "corrupted_restore_points")]
    assert result["summary"]["restore_points_corrupted"] == 1


def test_fresh_point_corrupted_and_older_point_stale():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, 1, corrupted=True), point(2, 30)])])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "web-1", "stale_restore_point")]


def test_point_with_unknown_integrity_is_not_sound():
    raw = point(1, 1)
    raw["isCorrupted"] = None
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[raw])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "no_restore_point")]


def test_all_points_corrupted():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, 1, corrupted=True), point(2, 2, corrupted=True)])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "no_restore_point")]
    assert warning_rules(result) == [("web-1", "corrupted_restore_points")]


def test_missing_restore_points():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[])])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "web-1", "no_restore_point")]


def test_unreadable_point_date_is_not_counted():
    raw = point(1, 1)
    raw["creationTime"] = "last tuesday"
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[raw, point(2, 30)])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "stale_restore_point")]
    assert ("web-1", "unreadable_restore_point") in warning_rules(result)


def test_too_few_sound_points():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, 1), point(2, 5, corrupted=True)])])])
    assert backup_policy.evaluate_policy(ev, policy(min_restore_points=1), NOW)["passed"] is True
    result = backup_policy.evaluate_policy(ev, policy(min_restore_points=2), NOW)
    assert rules(result) == [("dc1", "web-1", "too_few_restore_points")]
    assert "1 sound" in result["violations"][0]["detail"]


def test_ages_use_the_given_clock_not_the_local_one():
    ev = healthy()
    assert backup_policy.evaluate_policy(ev, policy(), NOW)["passed"] is True
    later = backup_policy.evaluate_policy(ev, policy(), NOW + 23 * 3600)
    assert rules(later) == [("dc1", "db-1", "stale_restore_point"), ("dc1", "web-1", "stale_restore_point")]


# ------------------------------------------------------------------------------------------------ datacenters


@pytest.mark.parametrize("kwargs", [{"backup_state": "disabled"}, {"backup_state": "error"}, {"no_backup_option": True}])
def test_datacenter_without_backup_option_fails(kwargs):
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")]), datacenter(2, "dc2", [], **kwargs)])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc2", None, "datacenter_backup_disabled")]
    assert result["summary"]["datacenters_without_backup"] == 1


@pytest.mark.parametrize("key", ["dc2", "2"])
def test_datacenter_waiver_by_name_or_id(key):
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")]), datacenter(2, "dc2", [vm(2, "lab-1", no_backup=True)], no_backup_option=True)])
    result = backup_policy.evaluate_policy(ev, policy(datacenter_waivers=[{"datacenter": key, "reason": "lab, nothing to keep"}]), NOW)
    assert result["passed"] is True
    assert len(result["waivers"]) == 1
    waiver = result["waivers"][0]
    assert waiver["kind"] == "datacenter_waiver"
    assert waiver["datacenter"] == "dc2"
    assert waiver["reason"] == "lab, nothing to keep"
    assert sorted(v["rule"] for v in waiver["waived_violations"]) == ["datacenter_backup_disabled", "no_backup"]
    assert result["summary"]["datacenters_waived"] == 1
    assert result["summary"]["vms_waived_with_datacenter"] == 1


def test_unused_datacenter_waiver_is_warned():
    result = backup_policy.evaluate_policy(healthy(), policy(datacenter_waivers=[{"datacenter": "dc9", "reason": "typo?"}]), NOW)
    assert result["passed"] is True
    assert warning_rules(result) == [(None, "unused_datacenter_waiver")]
    assert result["waivers"] == []


# ------------------------------------------------------------------------------------------------ VM waivers


def test_exclusion_by_pattern_records_reason_and_waived_rules():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1"), vm(2, "tmp-build", no_backup=True), vm(3, "tmp-x", points=[point(1, 99)])])])
    result = backup_policy.evaluate_policy(ev, policy(exclusions=[{"pattern": "tmp-*", "reason": "scratch VMs"}]), NOW)
    assert result["passed"] is True
    assert [(w["kind"], w["vm"], w["reason"]) for w in result["waivers"]] == [("exclusion", "tmp-build", "scratch VMs"), ("exclusion", "tmp-x", "scratch VMs")]
    assert [v["rule"] for v in result["waivers"][0]["waived_violations"]] == ["no_backup"]
    assert [v["rule"] for v in result["waivers"][1]["waived_violations"]] == ["stale_restore_point"]
    assert result["summary"]["vms_excluded"] == 2
    assert result["summary"]["vms_evaluated"] == 1


def test_exclusion_is_case_sensitive_fnmatch():
    ev = evidence([datacenter(1, "dc1", [vm(1, "TMP-1", no_backup=True)])])
    result = backup_policy.evaluate_policy(ev, policy(exclusions=[{"pattern": "tmp-*", "reason": "r"}]), NOW)
    assert rules(result) == [("dc1", "TMP-1", "no_backup")]
    assert warning_rules(result) == [(None, "unused_exclusion")]


def test_powered_off_vm_included_by_default():
    ev = evidence([datacenter(1, "dc1", [vm(1, "old-1", power="poweredOff", no_backup=True)])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "old-1", "no_backup")]
    skipped = backup_policy.evaluate_policy(ev, policy(include_powered_off=False), NOW)
    assert skipped["passed"] is True
    assert [(w["kind"], w["vm"]) for w in skipped["waivers"]] == [("powered_off", "old-1")]
    assert skipped["summary"]["vms_skipped_powered_off"] == 1


def test_suspended_vm_is_not_skipped_as_powered_off():
    ev = evidence([datacenter(1, "dc1", [vm(1, "s-1", power="suspended", no_backup=True)])])
    assert rules(backup_policy.evaluate_policy(ev, policy(include_powered_off=False), NOW)) == [("dc1", "s-1", "no_backup")]


# ------------------------------------------------------------------------------------------------ replication


def test_replication_out_of_sync_fails_or_warns():
    repos = [{"repositoryId": 1, "repositoryName": "repo-1", "replication": True, "syncStatus": "out-of-sync", "lastSuccessfulReplicationDate": iso(80)}]
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")])], repos)
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [(None, None, "replication_out_of_sync")]
    assert "repo-1" in result["violations"][0]["detail"]
    warned = backup_policy.evaluate_policy(ev, policy(replication_out_of_sync="warn"), NOW)
    assert warned["passed"] is True
    assert warning_rules(warned) == [(None, "replication_out_of_sync")]


@pytest.mark.parametrize("status", ["sync-required", "unknown", None])
def test_replication_not_ok_statuses_fail_closed(status):
    repos = [{"repositoryId": 1, "repositoryName": "repo-1", "replication": True, "syncStatus": status}]
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")])], repos)
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [(None, None, "replication_out_of_sync")]


@pytest.mark.parametrize("replication", [False, None, "disabled"])
@pytest.mark.parametrize("status", ["unknown", None])
def test_repository_without_replication_is_not_checked(replication, status):
    repos = [{"repositoryId": 1, "repositoryName": "repo-1", "replication": replication, "syncStatus": status}]
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")])], repos)
    assert backup_policy.evaluate_policy(ev, policy(), NOW)["passed"] is True


@pytest.mark.parametrize("replication", [False, None, "disabled"])
@pytest.mark.parametrize("status", ["out-of-sync", "sync-required"])
def test_reported_replication_problem_fails_whatever_the_setting(replication, status):
    """The API says the repository is out of sync while its replication setting says it is not replicated:
    the two disagree, and a gate in doubt does not pass."""
    repos = [{"repositoryId": 1, "repositoryName": "repo-1", "replication": replication, "syncStatus": status}]
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")])], repos)
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [(None, None, "replication_out_of_sync")]
    assert backup_policy.evaluate_policy(ev, policy(replication_out_of_sync="warn"), NOW)["passed"] is True


def test_unknown_repository_is_warned():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", repo=77)])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert result["passed"] is True
    assert warning_rules(result) == [(None, "unknown_repository")]


def test_service_without_datacenter_fails():
    result = backup_policy.evaluate_policy(evidence([], []), policy(), NOW)
    assert result["passed"] is False
    assert rules(result) == [(None, None, "no_datacenter")]


def test_service_without_vm_fails_unless_its_datacenters_are_waived():
    ev = evidence([datacenter(1, "dc1", []), datacenter(2, "dc2", [])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert result["passed"] is False
    assert rules(result) == [(None, None, "no_vms")]
    assert "datacenter_waivers" in result["violations"][0]["detail"]
    one_waived = backup_policy.evaluate_policy(ev, policy(datacenter_waivers=[{"datacenter": "dc1", "reason": "empty"}]), NOW)
    assert rules(one_waived) == [(None, None, "no_vms")]
    both = policy(datacenter_waivers=[{"datacenter": "dc1", "reason": "empty"}, {"datacenter": "2", "reason": "empty"}])
    waived = backup_policy.evaluate_policy(ev, both, NOW)
    assert waived["passed"] is True
    assert warning_rules(waived) == [(None, "no_vms")]
    assert [w["kind"] for w in waived["waivers"]] == ["datacenter_waiver", "datacenter_waiver"]


def test_empty_datacenter_next_to_others_is_not_a_violation():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")]), datacenter(2, "dc2", [])])
    assert backup_policy.evaluate_policy(ev, policy(), NOW)["passed"] is True


def test_every_vm_excluded_passes_with_a_warning():
    ev = evidence([datacenter(1, "dc1", [vm(1, "tmp-1", no_backup=True), vm(2, "tmp-2", power="poweredOff", no_backup=True)])])
    result = backup_policy.evaluate_policy(ev, policy(exclusions=[{"pattern": "tmp-1", "reason": "scratch"}], include_powered_off=False), NOW)
    assert result["passed"] is True
    assert warning_rules(result) == [(None, "no_vm_evaluated")]
    assert sorted(w["kind"] for w in result["waivers"]) == ["exclusion", "powered_off"]


# ------------------------------------------------------------------------------------------------ evidence


def test_evidence_order_does_not_depend_on_api_order():
    vms = [vm(3, "c"), vm(1, "a"), vm(2, "b")]
    first = evidence([datacenter(2, "dc2", vms), datacenter(1, "dc1", [])])
    second = evidence([datacenter(1, "dc1", []), datacenter(2, "dc2", list(reversed(vms)))])
    assert first == second
    assert [d["datacenter_id"] for d in first["datacenters"]] == [1, 2]
    assert [v["name"] for v in first["datacenters"][1]["vms"]] == ["a", "b", "c"]


def test_restore_points_newest_first_in_utc():
    raw = vm(
        1,
        "a",
        points=[
            {"restorePointId": 1, "creationTime": "2026-11-25T10:00:00+01:00", "isCorrupted": False},
            {"restorePointId": 2, "creationTime": "2026-11-26T10:00:00+01:00", "isCorrupted": False},
        ],
    )
    points = backup_evidence.normalize_vm(raw)["backup"]["restore_points"]
    assert [(p["restore_point_id"], p["creation_time"]) for p in points] == [(2, "2026-11-26T09:00:00Z"), (1, "2026-11-25T09:00:00Z")]


def test_vm_evidence_keeps_datastores_networks_and_backup_facts():
    normalized = backup_evidence.normalize_vm(vm(1, "a"))
    assert normalized["filers"] == [{"name": "ds-1"}]
    assert normalized["networks"] == [{"name": "VM Network"}]
    assert normalized["backup"]["backup_repository_id"] == 1
    assert normalized["backup"]["retention_time"] == 7
    assert normalized["backup"]["last_result"] == "success"


# ------------------------------------------------------------------------------------------------ manifest


def manifest_for(ev, now=NOW, **options):
    pol = policy(**options)
    verdict = backup_policy.evaluate_policy(ev, pol, now)
    return backup_manifest.build_manifest(ev, verdict, pol, backup_evidence.format_time(now))


def test_manifest_content():
    manifest = manifest_for(healthy(), exclusions=[{"pattern": "nothing-*", "reason": "r"}])
    assert manifest["kind"] == "ovhcloud.mbm.backup_manifest"
    assert manifest["service_name"] == "pcc-1-2-3-4"
    assert manifest["evidence_time"] == "2026-11-26T12:00:00Z"
    assert manifest["verdict"]["passed"] is True
    assert manifest["policy"]["exclusions"] == [{"pattern": "nothing-*", "reason": "r"}]
    assert [v["name"] for v in manifest["datacenters"][0]["vms"]] == ["db-1", "web-1"]
    assert manifest["repositories"][0]["sync_status"] == "ok"
    assert manifest["fingerprint"].startswith("sha256:")


def test_manifest_fingerprint_ignores_only_the_evidence_time():
    first = manifest_for(healthy())
    later = manifest_for(healthy(), now=NOW + 60)
    assert later["evidence_time"] != first["evidence_time"]
    assert later["fingerprint"] == first["fingerprint"]
    changed_ev = healthy()
    changed_ev["datacenters"][0]["vms"][0]["backup"]["restore_points"].pop()
    assert manifest_for(changed_ev)["fingerprint"] != first["fingerprint"]
    assert manifest_for(healthy(), max_age_hours=48)["fingerprint"] != first["fingerprint"]


def test_manifest_fingerprint_changes_with_the_verdict():
    first = manifest_for(healthy())
    stale = manifest_for(healthy(), now=NOW + 23 * 3600)
    assert stale["verdict"]["passed"] is False
    assert stale["fingerprint"] != first["fingerprint"]


def test_manifest_fingerprint_recomputes():
    manifest = manifest_for(healthy())
    assert backup_manifest.manifest_fingerprint(manifest) == manifest["fingerprint"]
    tampered = copy.deepcopy(manifest)
    tampered["datacenters"][0]["name"] = "other"
    assert backup_manifest.manifest_fingerprint(tampered) != manifest["fingerprint"]


def test_manifest_does_not_share_state_with_evidence():
    ev = healthy()
    manifest = manifest_for(ev)
    manifest["datacenters"][0]["vms"].clear()
    assert len(ev["datacenters"][0]["vms"]) == 2


# ------------------------------------------------------------------------------------------------ review additions


@pytest.mark.parametrize("state", ["disabled", "disabling", "enabling", "error", "migrating", "removing", None, "enabled", "Delivered"])
def test_vm_backup_states_other_than_delivered_fail(state):
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", state=state)])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "no_backup")]
    assert repr(state) in result["violations"][0]["detail"]


@pytest.mark.parametrize("last_result", ["running", "stopping", "stopped", "unknown", "failed", None, "SUCCESS"])
def test_last_results_other_than_success_fail_even_with_fresh_points(last_result):
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", last_result=last_result, points=[point(1, 1), point(2, 2)])])])
    assert rules(backup_policy.evaluate_policy(ev, policy(allow_warning=True), NOW)) == [("dc1", "web-1", "last_result")]


def test_restore_point_dated_in_the_future_is_not_counted():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, -3), point(2, 30)])])])
    result = backup_policy.evaluate_policy(ev, policy(), NOW)
    assert rules(result) == [("dc1", "web-1", "stale_restore_point")]
    assert warning_rules(result) == [("web-1", "future_restore_point")]
    only_future = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, -3)])])])
    assert rules(backup_policy.evaluate_policy(only_future, policy(), NOW)) == [("dc1", "web-1", "no_restore_point")]


def test_small_clock_skew_is_tolerated():
    skew = backup_rules.FUTURE_TOLERANCE_SECONDS / 3600.0
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, -skew)])])])
    assert backup_policy.evaluate_policy(ev, policy(), NOW)["passed"] is True
    beyond = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[point(1, -skew - 1 / 3600.0)])])])
    assert backup_policy.evaluate_policy(beyond, policy(), NOW)["passed"] is False


def test_epoch_in_milliseconds_is_not_fresh():
    raw = point(1, 1)
    raw["creationTime"] = int(NOW * 1000)
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1", points=[raw])])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "web-1", "no_restore_point")]


def test_only_restore_points_count_not_last_successful_creation_time():
    raw = vm(1, "web-1", points=[point(1, 30)])
    raw["backup"]["lastSuccessfulCreationTime"] = iso(1)
    ev = evidence([datacenter(1, "dc1", [raw])])
    assert rules(backup_policy.evaluate_policy(ev, policy(), NOW)) == [("dc1", "web-1", "stale_restore_point")]


@pytest.mark.parametrize(
    "pattern, name, excluded",
    [
        ("tmp-?", "tmp-1", True),
        ("tmp-?", "tmp-12", False),
        ("tmp-[0-9]*", "tmp-7.example", True),
        ("tmp-[!0-9]*", "tmp-7", False),
        ("*", "anything.at/all", True),
        ("web", "web-1", False),
        ("web-1", "web-1", True),
        ("Web-1", "web-1", False),
        (" web-1", "web-1", False),
        ("[[]lab]-*", "[lab]-1", True),
    ],
)
def test_exclusion_patterns_are_case_sensitive_fnmatch_on_the_whole_name(pattern, name, excluded):
    ev = evidence([datacenter(1, "dc1", [vm(1, name, no_backup=True)])])
    result = backup_policy.evaluate_policy(ev, policy(exclusions=[{"pattern": pattern, "reason": "r"}]), NOW)
    assert result["passed"] is excluded
    assert ("unused_exclusion" in [w["rule"] for w in result["warnings"]]) is not excluded


def test_datacenter_waiver_for_an_unknown_datacenter_waives_nothing():
    ev = evidence([datacenter(1, "dc1", [vm(1, "web-1")], no_backup_option=True)])
    result = backup_policy.evaluate_policy(ev, policy(datacenter_waivers=[{"datacenter": "dc-typo", "reason": "r"}]), NOW)
    assert rules(result) == [("dc1", None, "datacenter_backup_disabled")]
    assert warning_rules(result) == [(None, "unused_datacenter_waiver")]
    assert result["waivers"] == []


@pytest.mark.parametrize("key", ["None", "DC1", "dc", "01"])
def test_datacenter_waiver_matches_exactly(key):
    raw = backup_evidence.normalize_datacenter({"datacenterId": 1, "name": None}, None, [vm(1, "web-1")], [])
    named = datacenter(1, "dc1", [vm(1, "web-1")], no_backup_option=True)
    for dc in (raw, named):
        result = backup_policy.evaluate_policy(evidence([dc]), policy(datacenter_waivers=[{"datacenter": key, "reason": "r"}]), NOW)
        assert result["passed"] is False
        assert result["waivers"] == []


def test_evidence_does_not_depend_on_the_order_of_lists_inside_a_vm():
    first = vm(1, "web-1")
    first["filers"] = [{"name": "ds-2"}, {"name": "ds-1"}]
    first["networks"] = [{"name": "b"}, {"name": "a"}]
    first["backup"]["backupDays"] = ["Tuesday", "Monday"]
    second = copy.deepcopy(first)
    second["filers"].reverse()
    second["networks"].reverse()
    second["backup"]["backupDays"].reverse()
    second["backup"]["restorePoints"].reverse()
    assert manifest_for(evidence([datacenter(1, "dc1", [first])]))["fingerprint"] == manifest_for(evidence([datacenter(1, "dc1", [second])]))["fingerprint"]
    repos = [{"repositoryId": 2, "repositoryName": "b", "replication": False}, {"repositoryId": 1, "repositoryName": "a", "replication": False}]
    assert evidence([], repos) == evidence([], list(reversed(repos)))


SECRET_WORDS = ("token", "password", "secret", "consumer", "application_key", "credential")


def test_manifest_holds_only_the_listed_facts():
    """A VM or repository object with extra (possibly secret) fields: none of them reaches the manifest."""
    raw = vm(1, "web-1")
    raw["password"] = "hunter2"
    raw["backup"]["encryptionKey"] = "k-123"
    raw["backup"]["restorePoints"][0]["token"] = "t-123"
    repos = [{"repositoryId": 1, "repositoryName": "repo-1", "replication": False, "accessKey": "ak-123"}]
    manifest = manifest_for(evidence([datacenter(1, "dc1", [raw])], repos))
    text = backup_evidence.canonical_json(manifest)
    for value in ("hunter2", "k-123", "t-123", "ak-123"):
        assert value not in text
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                keys.add(key.lower())
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(manifest)
    assert not [key for key in keys if any(word in key for word in SECRET_WORDS)]
