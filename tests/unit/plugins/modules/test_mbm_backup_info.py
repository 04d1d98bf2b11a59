# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mbm_backup_info: main() run in-process against the in-process OVHcloud API simulator."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_evidence, _client
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_evidence import parse_time
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_manifest import manifest_fingerprint
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_backup_info
from ansible_collections.ovhcloud.mbm.tests.simulator import Simulator, credentials
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

NOW = "2026-11-26T10:00:00Z"
SERVICE = "pcc-198-51-100-7"
AK, AS, CK = "bk-app-key", "bk-app-secret-0123456789", "bk-consumer-key-0123456789"
LIMITED_CK = "bk-limited-consumer-key"
VM_ROUTE = "GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"


def good_vm(name, hours=(2, 26, 50), **extra):
    vm = {
        "name": name,
        "backup": {
            "lastResult": "success",
            "lastSuccessfulCreationTime": "-%dh" % hours[0],
            "lastCreationTime": "-%dh" % hours[0],
            "restorePoints": [{"creationTime": "-%dh" % h} for h in hours],
        },
    }
    vm.update(extra)
    return vm


def fixture(datacenters=None, repositories=None, vms=3):
    if datacenters is None:
        datacenters = [
            {
                "name": "dc-main",
                "backup": {"state": "enabled", "backupOffer": "advanced"},
                "vms": [good_vm("vm-%02d" % i) for i in range(vms)],
                "filers": [{"vmTotal": vms}],
            },
            {"name": "dc-second", "backup": {"state": "enabled"}, "vms": [good_vm("app-1")], "filers": [{}]},
        ]
    if repositories is None:
        repositories = [{"replication": True, "syncStatus": "ok", "lastSuccessfulReplicationDate": "-3h"}]
    return {
        "now": NOW,
        "clock": {"frozen": True},
        "applications": [{"applicationKey": AK, "applicationSecret": AS}],
        "accounts": [
            {
                "nic": "bk123-ovh",
                "consumerKeys": [
                    {"consumerKey": CK, "applicationKey": AK},
                    {
                        "consumerKey": LIMITED_CK,
                        "applicationKey": AK,
                        "rules": [{"method": "GET", "path": "/dedicatedCloud/*/datacenter"}, {"method": "GET", "path": "/dedicatedCloud/%s" % SERVICE}],
                    },
                ],
                "services": [
                    {
                        "serviceName": SERVICE,
                        "serviceId": 4242,
                        "productReference": "MBM",
                        "state": "delivered",
                        "datacenters": datacenters,
                        "backupRepositories": repositories,
                        "filers": [{}],
                    }
                ],
            }
        ],
    }


def failing_fixture():
    return fixture(
        datacenters=[
            {
                "name": "dc-main",
                "backup": {"state": "enabled"},
                "vms": [
                    good_vm("web-1"),
                    good_vm("stale-1", hours=(30, 54)),
                    good_vm("failed-1"),
                    {"name": "nobackup-1"},
                    {"name": "off-1", "powerState": "poweredOff"},
                    good_vm("corrupt-1", hours=(1, 25, 49)),
                ],
            },
            {"name": "dc-lab", "vms": [{"name": "lab-1"}]},
        ],
        repositories=[{"replication": True, "syncStatus": "out-of-sync"}],
    )


def _prepare(fx):
    for dc in fx["accounts"][0]["services"][0]["datacenters"]:
        for vm in dc["vms"]:
            if vm["name"] == "failed-1":
                vm["backup"]["lastResult"] = "failed"
            if vm["name"] == "corrupt-1":
                vm["backup"]["restorePoints"][0]["isCorrupted"] = True
    return fx


@pytest.fixture
def sim_with():
    started = []

    def start(fx):
        sim = Simulator(_prepare(fx)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def args_for(sim, tmp_path, consumer_key=CK, **options):
    args = {
        "endpoint": sim.url,
        "application_key": AK,
        "application_secret": AS,
        "consumer_key": consumer_key,
        "api_rate_limit": 0,
        "api_retry_max_wait": 0,
        "state_dir": str(tmp_path),
        "service_name": SERVICE,
    }
    args.update(options)
    return args


def by_text(items):
    return sorted(items, key=lambda item: tuple(str(part) for part in item))


def violations(result):
    return by_text((v["datacenter"], v["vm"], v["rule"]) for v in result["violations"])


def test_passing_service(sim_with, tmp_path):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["failed"] is False, result.get("msg")
    assert result["changed"] is False
    assert result["passed"] is True
    assert result["violations"] == []
    assert result["policy_warnings"] == []
    assert not result.get("warnings")
    assert result["summary"]["vms"] == 4
    assert result["summary"]["datacenters"] == 2
    assert result["summary"]["restore_points"] == 12
    assert abs(parse_time(result["evidence_time"]) - parse_time(NOW)) <= 2
    assert result["manifest"]["evidence_time"] == result["evidence_time"]
    assert result["manifest"]["fingerprint"] == manifest_fingerprint(result["manifest"])
    assert result["manifest"]["datacenters"] == result["evidence"]["datacenters"]
    assert result["evidence"]["repositories"][0]["sync_status"] == "ok"
    assert "passed" in result["msg"]
    assert result["api_calls"]["total"] == sum(result["api_calls"]["by_route"].values())
    assert result["api_calls"]["total"] == sum(sim.calls().values())


def test_failing_service_is_not_a_module_failure(sim_with, tmp_path):
    sim = sim_with(failing_fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["failed"] is False, result.get("msg")
    assert result["passed"] is False
    assert violations(result) == by_text(
        [
            ("dc-lab", None, "datacenter_backup_disabled"),
            ("dc-lab", "lab-1", "no_backup"),
            ("dc-main", "corrupt-1", "stale_restore_point"),
            ("dc-main", "failed-1", "last_result"),
            ("dc-main", "nobackup-1", "no_backup"),
            ("dc-main", "off-1", "no_backup"),
            ("dc-main", "stale-1", "stale_restore_point"),
            (None, None, "replication_out_of_sync"),
        ]
    )
    assert ("corrupt-1", "corrupted_restore_points") in [(w["vm"], w["rule"]) for w in result["policy_warnings"]]
    assert "see policy_warnings" in json.dumps(result["warnings"])
    assert result["manifest"]["verdict"]["passed"] is False
    assert "FAILED" in result["msg"]


def test_failing_service_passes_with_documented_waivers(sim_with, tmp_path):
    sim = sim_with(failing_fixture())
    options = {
        "exclusions": [
            {"pattern": "stale-*", "reason": "replaced"},
            {"pattern": "failed-1", "reason": "rebuilt"},
            {"pattern": "nobackup-?", "reason": "scratch"},
            {"pattern": "corrupt-1", "reason": "test VM"},
        ],
        "datacenter_waivers": [{"datacenter": "dc-lab", "reason": "lab"}],
        "include_powered_off": False,
        "replication_out_of_sync": "warn",
    }
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, **options))
    assert result["failed"] is False, result.get("msg")
    assert result["passed"] is True, result["violations"]
    kinds = sorted((w["kind"], w["vm"] or w["datacenter"], w["reason"]) for w in result["waivers"])
    assert kinds == [
        ("datacenter_waiver", "dc-lab", "lab"),
        ("exclusion", "corrupt-1", "test VM"),
        ("exclusion", "failed-1", "rebuilt"),
        ("exclusion", "nobackup-1", "scratch"),
        ("exclusion", "stale-1", "replaced"),
        ("powered_off", "off-1", "The VM is powered off and include_powered_off is false."),
    ]
    assert result["manifest"]["policy"]["datacenter_waivers"] == [{"datacenter": "dc-lab", "reason": "lab"}]
    assert [w["rule"] for w in result["policy_warnings"]] == ["replication_out_of_sync"]


def test_datacenter_waiver_by_id(sim_with, tmp_path):
    sim = sim_with(failing_fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, datacenter_waivers=[{"datacenter": "2", "reason": "lab"}]))
    assert "dc-lab" not in [v["datacenter"] for v in result["violations"]]
    assert [w["datacenter"] for w in result["waivers"]] == ["dc-lab"]


def test_check_mode_gives_the_same_verdict(sim_with, tmp_path):
    sim = sim_with(failing_fixture())
    normal = run_module(mbm_backup_info, args_for(sim, tmp_path))
    checked = run_module(mbm_backup_info, args_for(sim, tmp_path), check_mode=True)
    assert checked["failed"] is False
    assert checked["changed"] is False
    assert checked["passed"] is False
    assert checked["violations"] == normal["violations"]
    assert checked["manifest"]["fingerprint"] == normal["manifest"]["fingerprint"]


def test_same_evidence_with_and_without_expansion(sim_with, tmp_path):
    sim = sim_with(failing_fixture())
    expanded = run_module(mbm_backup_info, args_for(sim, tmp_path))
    one_by_one = run_module(mbm_backup_info, args_for(sim, tmp_path, list_expansion="never", api_concurrency=1))
    sim.set_option("pagination", False)
    fallback = run_module(mbm_backup_info, args_for(sim, tmp_path))
    sim.set_options(pagination=True, list_order="desc")
    reversed_lists = run_module(mbm_backup_info, args_for(sim, tmp_path))
    for other in (one_by_one, fallback, reversed_lists):
        assert other["failed"] is False
        assert other["evidence"] == expanded["evidence"]
        assert other["violations"] == expanded["violations"]
        assert other["manifest"]["fingerprint"] == expanded["manifest"]["fingerprint"]
    vm_route = "GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"
    assert vm_route not in expanded["api_calls"]["by_route"]
    assert one_by_one["api_calls"]["by_route"][vm_route] == 7
    assert fallback["api_calls"]["by_route"][vm_route] == 7
    assert expanded["api_calls"]["total"] < one_by_one["api_calls"]["total"]


def test_expanded_calls_do_not_grow_with_vms(sim_with, tmp_path):
    small = run_module(mbm_backup_info, args_for(sim_with(fixture(vms=1)), tmp_path))
    large = run_module(mbm_backup_info, args_for(sim_with(fixture(vms=60)), tmp_path))
    assert large["summary"]["vms"] == 61
    assert large["passed"] is True
    assert large["api_calls"]["total"] == small["api_calls"]["total"]
    flat = run_module(mbm_backup_info, args_for(sim_with(fixture(vms=60)), tmp_path, list_expansion="never", api_concurrency=8))
    assert flat["evidence"] == large["evidence"]
    assert flat["api_calls"]["by_route"][VM_ROUTE] == 61
    assert flat["api_calls"]["total"] > large["api_calls"]["total"]


def test_ages_follow_the_api_clock(sim_with, tmp_path):
    sim = sim_with(fixture())
    sim.clock.advance(23 * 3600)
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["passed"] is False
    assert set(v["rule"] for v in result["violations"]) == {"stale_restore_point"}
    assert abs(parse_time(result["evidence_time"]) - (parse_time(NOW) + 23 * 3600)) <= 2
    assert run_module(mbm_backup_info, args_for(sim, tmp_path, max_age_hours=48))["passed"] is True


def test_unchanged_evidence_keeps_the_fingerprint(sim_with, tmp_path):
    sim = sim_with(fixture())
    first = run_module(mbm_backup_info, args_for(sim, tmp_path))
    sim.clock.advance(60)
    second = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert second["evidence_time"] != first["evidence_time"]
    assert second["manifest"]["fingerprint"] == first["manifest"]["fingerprint"]


def test_unknown_service_fails_closed(sim_with, tmp_path):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, service_name="pcc-does-not-exist"))
    assert result["failed"] is True
    assert result["passed"] is False
    assert result["failure"]["status"] == 404
    assert result["failure"]["query_id"].startswith("EU.")
    assert result["failure"]["path"] == "/dedicatedCloud/pcc-does-not-exist"
    assert "pcc-does-not-exist" in result["msg"]
    assert result["api_calls"]["total"] >= 1


def test_refused_call_fails_closed_and_names_the_rule(sim_with, tmp_path):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, consumer_key=LIMITED_CK))
    assert result["failed"] is True
    assert result["passed"] is False
    assert result["failure"]["error_code"] == "NOT_GRANTED_CALL"
    assert result["failure"]["query_id"]


def test_server_error_on_vm_listing_fails_closed(sim_with, tmp_path):
    sim = sim_with(fixture())
    sim.add_fault("GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm", status=500, count=0)
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["failed"] is True
    assert result["passed"] is False
    assert result["failure"]["status"] == 500


def test_transient_error_is_retried(sim_with, tmp_path):
    sim = sim_with(fixture())
    sim.add_fault("GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/backup", status=503, count=1, retry_after=0)
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, api_retry_max_wait=5))
    assert result["failed"] is False, result.get("msg")
    assert result["passed"] is True
    assert result["api_calls"]["retries"] == 1


def test_missing_backup_option_404_is_a_violation(sim_with, tmp_path):
    sim = sim_with(fixture())
    sim.add_fault(
        "GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/backup",
        path="*/datacenter/2/backup",
        status=404,
        count=0,
        error_code="ResourceNotFoundError",
    )
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["failed"] is False, result.get("msg")
    assert violations(result) == [("dc-second", None, "datacenter_backup_disabled")]
    assert result["evidence"]["datacenters"][1]["backup"] is None


def test_invalid_policy_fails_before_any_call(sim_with, tmp_path):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, exclusions=[{"pattern": "x-*", "reason": "  "}]))
    assert result["failed"] is True
    assert "reason" in result["msg"]
    assert result["api_calls"]["total"] == 0
    assert sum(sim.calls().values()) == 0


@pytest.mark.parametrize("value", [0, 33])
def test_concurrency_bounds(sim_with, tmp_path, value):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, api_concurrency=value))
    assert result["failed"] is True
    assert "api_concurrency" in result["msg"]


def test_missing_waiver_reason_is_refused_by_the_argument_spec(sim_with, tmp_path):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path, datacenter_waivers=[{"datacenter": "dc-lab"}]))
    assert result["failed"] is True
    assert "reason" in result["msg"]


def test_no_secret_in_the_result(sim_with, tmp_path):
    sim = sim_with(failing_fixture())
    for args in (args_for(sim, tmp_path), args_for(sim, tmp_path, service_name="pcc-unknown")):
        text = json.dumps(run_module(mbm_backup_info, args))
        assert AS not in text
        assert CK not in text


# ------------------------------------------------------------------------------------------------ standard unit fixture


def test_unit_fixture_verdicts(sim, api_args):
    def run(service, **extra):
        return run_module(mbm_backup_info, api_args(sim, service_name=service, api_retry_max_wait=0, **extra))

    healthy = run(credentials.HEALTHY)
    assert healthy["failed"] is False and healthy["passed"] is True
    degraded = run(credentials.DEGRADED_BACKUPS)
    assert degraded["passed"] is False
    assert {"no_backup", "last_result", "stale_restore_point", "no_restore_point"} <= set(v["rule"] for v in degraded["violations"])
    no_dc_backup = run(credentials.NO_BACKUP_DC)
    assert "datacenter_backup_disabled" in [v["rule"] for v in no_dc_backup["violations"]]
    waived_dc = no_dc_backup["violations"][0]["datacenter"]
    assert no_dc_backup["violations"][0]["rule"] == "datacenter_backup_disabled"
    assert run(credentials.NO_BACKUP_DC, datacenter_waivers=[{"datacenter": waived_dc, "reason": "r"}])["passed"] is True
    assert [v["rule"] for v in run(credentials.OUT_OF_SYNC)["violations"]] == ["replication_out_of_sync"]
    expired = run(credentials.EXPIRED)
    assert expired["failed"] is True and expired["passed"] is False
    assert expired["failure"]["status"] == 460
    iam = run(credentials.IAM_SERVICE, consumer_key=credentials.CK_IAM)
    assert iam["failed"] is False and iam["passed"] is True


# ------------------------------------------------------------------------------------------------ paging (review additions)


def test_several_pages_give_the_same_evidence(sim_with, tmp_path, monkeypatch):
    sim = sim_with(fixture(vms=5))
    reference = run_module(mbm_backup_info, args_for(sim, tmp_path, list_expansion="never"))
    monkeypatch.setattr(_backup_evidence, "LIST_PAGE_SIZE", 2)
    sim.reset_calls()
    paged = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert paged["failed"] is False, paged.get("msg")
    assert paged["summary"]["vms"] == 6
    assert paged["evidence"] == reference["evidence"]
    assert paged["manifest"]["fingerprint"] == reference["manifest"]["fingerprint"]
    # pages of 2: 3 for dc-main's 5 VMs, 1 for dc-second's VM, and the plain id list of each datacenter
    assert paged["api_calls"]["by_route"]["GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm"] == 3 + 1 + 2
    assert VM_ROUTE not in paged["api_calls"]["by_route"]


def test_an_api_that_repeats_the_first_page_never_hides_a_vm(sim_with, tmp_path, monkeypatch):
    """Whole-object pages that ignore X-Pagination-Number: the total adds up with repeated VMs. The module
    reads the list again one VM at a time instead of dropping the VMs it never saw."""
    sim = sim_with(fixture(vms=5))
    reference = run_module(mbm_backup_info, args_for(sim, tmp_path, list_expansion="never"))
    monkeypatch.setattr(_backup_evidence, "LIST_PAGE_SIZE", 2)
    original = _client.OvhClient._request

    def first_page_only(self, *args, **kwargs):
        headers = kwargs.get("headers")
        if headers and "X-Pagination-Number" in headers:
            kwargs["headers"] = dict(headers, **{"X-Pagination-Number": "1"})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_client.OvhClient, "_request", first_page_only)
    stuck = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert stuck["failed"] is False, stuck.get("msg")
    assert stuck["summary"]["vms"] == 6
    assert stuck["evidence"] == reference["evidence"]
    assert stuck["api_calls"]["by_route"][VM_ROUTE] == 5


def test_a_service_without_vm_fails_unless_waived(sim_with, tmp_path):
    sim = sim_with(fixture(datacenters=[{"name": "dc-empty", "backup": {"state": "enabled"}, "vms": []}]))
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["failed"] is False, result.get("msg")
    assert result["passed"] is False
    assert [v["rule"] for v in result["violations"]] == ["no_vms"]
    waived = run_module(mbm_backup_info, args_for(sim, tmp_path, datacenter_waivers=[{"datacenter": "dc-empty", "reason": "emptied, CHG-1"}]))
    assert waived["passed"] is True
    assert [w["rule"] for w in waived["policy_warnings"]] == ["no_vms"]


# ------------------------------------------------------------------------------------------------ VM job states (issue 8)


def test_simulated_vm_jobs_read_the_schema_active_state(sim_with, tmp_path):
    sim = sim_with(fixture())
    result = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert result["passed"] is True
    states = set(vm["backup"]["state"] for dc in result["evidence"]["datacenters"] for vm in dc["vms"])
    assert states == {"delivered"}
    assert set(dc["backup"]["state"] for dc in result["evidence"]["datacenters"]) == {"enabled"}
    assert result["manifest"]["policy"]["accepted_job_states"] == ["delivered"]


def test_accepted_job_states_option(sim_with, tmp_path):
    fx = fixture()
    fx["accounts"][0]["services"][0]["datacenters"][1]["vms"][0]["backup"]["state"] = "enabling"
    sim = sim_with(fx)
    strict = run_module(mbm_backup_info, args_for(sim, tmp_path))
    assert strict["passed"] is False
    assert violations(strict) == [("dc-second", "app-1", "no_backup")]
    assert "'enabling' (not yet active" in strict["violations"][0]["detail"]
    relaxed = run_module(mbm_backup_info, args_for(sim, tmp_path, accepted_job_states=["delivered", "enabling"]))
    assert relaxed["passed"] is True
    assert [w["rule"] for w in relaxed["policy_warnings"]] == ["accepted_job_states"]
    assert "app-1" in relaxed["policy_warnings"][0]["detail"]
    assert "see policy_warnings" in json.dumps(relaxed["warnings"])
    assert relaxed["manifest"]["policy"]["accepted_job_states"] == ["delivered", "enabling"]
    refused = run_module(mbm_backup_info, args_for(sim, tmp_path, accepted_job_states=["enabled"]))
    assert refused["failed"] is True
    assert "accepted_job_states" in refused["msg"]
