# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulator: clock, faults, call counts, list expansion, admin API, fixtures, CLI and generator."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import ovh
import pytest
import yaml

from ansible_collections.ovhcloud.mbm.tests.simulator import Simulator
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as creds
from ansible_collections.ovhcloud.mbm.tests.simulator.generate import generate
from ansible_collections.ovhcloud.mbm.tests.simulator.generate import main as generate_main

EXPAND = {"X-Pagination-Mode": "CachedObjectList-Pages"}
COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def admin(sim, method, path, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(sim.admin_url + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def new_email_ids(sim, before):
    return [mail["id"] for mail in sim.emails() if mail["id"] not in before]


# --- clock ------------------------------------------------------------------------------------------------


def test_clock_starts_at_fixture_now_and_flows(sim):
    start = sim.clock.now()
    assert 1795168800 <= start < 1795168800 + 60  # 2026-11-20T10:00:00Z in the unit fixture
    time.sleep(0.05)
    assert sim.clock.now() > start


def test_clock_advance_set_freeze_through_admin_api(sim):
    frozen = admin(sim, "POST", "/clock", {"freeze": True})
    assert frozen["frozen"] is True
    time.sleep(0.02)
    assert admin(sim, "GET", "/clock")["now"] == frozen["now"]
    assert admin(sim, "POST", "/clock", {"advance": 3600})["now"] == frozen["now"] + 3600
    assert admin(sim, "POST", "/clock", {"set": "2030-01-01T00:00:00Z"})["now"] == 1893456000
    with urllib.request.urlopen(sim.url + "/auth/time") as response:
        assert json.loads(response.read()) == 1893456000
    assert admin(sim, "POST", "/clock", {"unfreeze": True})["frozen"] is False
    assert sim.clock.now() >= 1893456000


def test_relative_fixture_dates_follow_the_fixture_now(sim, ovh_client):
    client = ovh_client(sim)
    vm = client.get("/dedicatedCloud/%s/datacenter/1/vm/11" % creds.HEALTHY)
    assert vm["backup"]["lastSuccessfulCreationTime"] == "2026-11-20T04:00:00+00:00"
    assert [point["creationTime"] for point in vm["backup"]["restorePoints"]] == [
        "2026-11-20T04:00:00+00:00",
        "2026-11-19T04:00:00+00:00",
        "2026-11-18T04:00:00+00:00",
    ]
    assert client.get("/dedicatedCloud/%s/serviceInfos" % creds.HEALTHY)["expiration"] == "2026-12-10"


# --- faults -----------------------------------------------------------------------------------------------


def test_5xx_fault_applies_count_times_then_clears(sim, ovh_client):
    client = ovh_client(sim)
    client.get("/me")
    sim.add_fault("/me", method="GET", status=503, count=2)
    for dummy in range(2):
        with pytest.raises(ovh.exceptions.APIError) as excinfo:
            client.get("/me")
        assert excinfo.value.response.status_code == 503
        assert excinfo.value.response.headers["X-Ovh-QueryID"]
    assert client.get("/me")["nichandle"] == creds.NIC
    assert sim.faults() == []


def test_429_with_and_without_retry_after(sim, ovh_client):
    client = ovh_client(sim)
    sim.add_fault("GET /dedicatedCloud/{serviceName}", status=429, retry_after=7)
    sim.add_fault("GET /dedicatedCloud/{serviceName}", status=429)
    first = client.raw_call("GET", "/dedicatedCloud/%s" % creds.HEALTHY)
    second = client.raw_call("GET", "/dedicatedCloud/%s" % creds.HEALTHY)
    third = client.raw_call("GET", "/dedicatedCloud/%s" % creds.HEALTHY)
    assert (first.status_code, first.headers.get("Retry-After")) == (429, "7")
    assert (second.status_code, second.headers.get("Retry-After")) == (429, None)
    assert third.status_code == 200


def test_html_error_page_breaks_json_decoding(sim, ovh_client):
    client = ovh_client(sim)
    sim.add_fault("*", status=502, html=True)
    with pytest.raises(ovh.exceptions.InvalidResponse):
        client.get("/me")
    assert client.get("/me")["nichandle"] == creds.NIC


def test_latency(sim, ovh_client):
    client = ovh_client(sim)
    client.get("/me")
    sim.add_fault("GET /me", latency=0.3)
    started = time.monotonic()
    client.get("/me")
    assert time.monotonic() - started >= 0.3
    sim.set_option("latency", 0.2)
    started = time.monotonic()
    client.get("/me")
    assert time.monotonic() - started >= 0.2


def test_drop_after_apply_applies_the_write(sim, ovh_client):
    client = ovh_client(sim)
    before = [mail["id"] for mail in sim.emails()]
    sim.add_fault("POST /dedicatedCloud/{serviceName}/terminate", drop_after_apply=True)
    with pytest.raises(ovh.exceptions.HTTPError):
        client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    added = new_email_ids(sim, before)
    assert len(added) == 1
    assert sim.emails()[-1]["serviceName"] == creds.HEALTHY
    assert sim.calls()["POST /dedicatedCloud/{serviceName}/terminate"] == 1


def test_status_after_apply_answers_an_error_for_an_applied_write(sim, ovh_client):
    client = ovh_client(sim)
    before = [mail["id"] for mail in sim.emails()]
    sim.add_fault("POST /dedicatedCloud/{serviceName}/terminate", status=502, html=True, after_apply=True)
    with pytest.raises(ovh.exceptions.InvalidResponse):
        client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    assert len(new_email_ids(sim, before)) == 1  # applied: the termination e-mail was sent
    sim.add_fault("PUT /dedicatedCloud/{serviceName}/serviceInfos", status=503, after_apply=True)
    with pytest.raises(ovh.exceptions.APIError) as excinfo:
        client.put("/dedicatedCloud/%s/serviceInfos" % creds.SCHEDULED, renew={"deleteAtExpiration": False})
    assert excinfo.value.response.status_code == 503
    assert excinfo.value.response.headers["X-Ovh-QueryID"]
    assert sim.service(creds.SCHEDULED).service_infos["renew"]["deleteAtExpiration"] is False


def test_drop_before_apply_changes_nothing(sim, ovh_client):
    client = ovh_client(sim)
    before = [mail["id"] for mail in sim.emails()]
    sim.add_fault("POST /dedicatedCloud/{serviceName}/terminate", drop=True)
    with pytest.raises(ovh.exceptions.HTTPError):
        client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    assert new_email_ids(sim, before) == []


def test_fault_path_filter_and_unlimited_count(sim, ovh_client):
    client = ovh_client(sim)
    sim.add_fault("GET /dedicatedCloud/{serviceName}", path="/dedicatedCloud/%s" % creds.FR_TEXT, status=500, count=0)
    for dummy in range(3):
        with pytest.raises(ovh.exceptions.APIError):
            client.get("/dedicatedCloud/%s" % creds.FR_TEXT)
    assert client.get("/dedicatedCloud/%s" % creds.HEALTHY)["serviceName"] == creds.HEALTHY
    assert sim.faults()[0]["hits"] == 3
    sim.clear_faults()
    assert client.get("/dedicatedCloud/%s" % creds.FR_TEXT)["serviceName"] == creds.FR_TEXT


def test_faults_through_admin_api(sim, ovh_client):
    client = ovh_client(sim)
    added = admin(sim, "POST", "/faults", [{"route": "GET /me", "status": 500, "error_code": "INTERNAL", "message": "boom"}])
    assert added[0]["status"] == 500
    assert admin(sim, "GET", "/faults")[0]["route"] == "/me"
    with pytest.raises(ovh.exceptions.APIError) as excinfo:
        client.get("/me")
    assert excinfo.value.response.json() == {"httpCode": "500 Internal Server Error", "errorCode": "INTERNAL", "message": "boom"}
    admin(sim, "POST", "/faults", {"route": "*", "status": 500, "count": 0})
    admin(sim, "DELETE", "/faults")
    assert client.get("/me")["nichandle"] == creds.NIC


def test_bad_admin_requests_are_400_or_404(sim):
    for method, path, body in [("POST", "/faults", {"route": "*", "colour": "red"}), ("POST", "/options", {"no_such_option": 1})]:
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            admin(sim, method, path, body)
        assert excinfo.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        admin(sim, "GET", "/nothing")
    assert excinfo.value.code == 404


# --- call counts ------------------------------------------------------------------------------------------


def test_call_counts_by_route_template_and_reset(sim, ovh_client):
    client = ovh_client(sim)
    client.get("/dedicatedCloud/%s" % creds.HEALTHY)
    client.get("/dedicatedCloud/%s" % creds.FR_TEXT)
    client.get("/dedicatedCloud/%s/datacenter/1/vm/11" % creds.HEALTHY)
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        ovh_client(sim, consumer_key=creds.CK_READ_ONLY).post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    calls = admin(sim, "GET", "/calls")
    assert calls["GET /dedicatedCloud/{serviceName}"] == 2
    assert calls["GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"] == 1
    assert calls["POST /dedicatedCloud/{serviceName}/terminate"] == 1
    assert calls["GET /auth/time"] == 2
    admin(sim, "DELETE", "/calls")
    assert sim.calls() == {}
    client.get("/me")
    sim.reset_calls()
    assert sim.calls() == {}


def test_call_log_says_when_what_and_for_which_service(sim, ovh_client):
    client = ovh_client(sim)
    before = time.time()
    client.get("/dedicatedCloud/%s" % creds.HEALTHY)
    sim.add_fault("POST /dedicatedCloud/{serviceName}/terminate", drop=True)
    with pytest.raises(ovh.exceptions.HTTPError):
        client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    log = admin(sim, "GET", "/calls/log")
    assert [(e["method"], e["route"], e["service"], e["status"], e["dropped"]) for e in log] == [
        ("GET", "GET /auth/time", None, 200, False),
        ("GET", "GET /dedicatedCloud/{serviceName}", creds.HEALTHY, 200, False),
        ("POST", "POST /dedicatedCloud/{serviceName}/terminate", creds.HEALTHY, None, True),
    ]
    assert all(before - 1 <= e["at"] <= time.time() + 1 for e in log) and log[1]["path"] == "/dedicatedCloud/%s" % creds.HEALTHY
    assert log[0]["consumer_key_sha256"] is None and len(log[1]["consumer_key_sha256"]) == 12 and creds.CK_FULL not in json.dumps(log)
    sim.reset_calls()
    assert sim.calls_log() == []


def test_call_log_fingerprints_the_token_a_call_carried(sim, ovh_client):
    client = ovh_client(sim)
    client.post("/dedicatedCloud/%s/terminate" % creds.HEALTHY)
    token = sim.service(creds.HEALTHY).newest_token()["token"]
    sim.add_fault("POST /dedicatedCloud/{serviceName}/confirmTermination", status=503)
    with pytest.raises(ovh.exceptions.APIError):
        client.post("/dedicatedCloud/%s/confirmTermination" % creds.HEALTHY, token=token, reason="NOT_NEEDED_ANYMORE")
    with pytest.raises(ovh.exceptions.APIError):
        client.post("/dedicatedCloud/%s/confirmTermination" % creds.HEALTHY, token="Another" + token[7:])
    log = [entry for entry in sim.calls_log() if entry["route"] != "GET /auth/time"]
    assert [entry["token_sha256"] is None for entry in log] == [True, False, False]
    assert log[1]["token_sha256"] == hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]
    assert log[2]["token_sha256"] != log[1]["token_sha256"] and len(log[2]["token_sha256"]) == 12
    assert token not in json.dumps(log)


# --- list expansion ---------------------------------------------------------------------------------------


def test_list_expansion_returns_objects_with_paging_headers(sim, ovh_client):
    client = ovh_client(sim)
    path = "/dedicatedCloud/%s/datacenter/1/vm" % creds.HEALTHY
    response = client.raw_call("GET", path, headers=dict(EXPAND))
    assert response.status_code == 200
    assert [vm["vmId"] for vm in response.json()] == [11, 12, 13]
    assert response.json()[2] == client.get(path + "/13")
    assert (response.headers["X-Pagination-Elements"], response.headers["X-Pagination-Number"]) == ("3", "1")
    page2 = client.raw_call("GET", path, headers=dict(EXPAND, **{"X-Pagination-Size": "2", "X-Pagination-Number": "2"}))
    assert [vm["vmId"] for vm in page2.json()] == [13]
    assert (page2.headers["X-Pagination-Elements"], page2.headers["X-Pagination-Size"]) == ("3", "2")
    bad = client.raw_call("GET", path, headers=dict(EXPAND, **{"X-Pagination-Size": "0"}))
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "path, key",
    [
        ("/dedicatedCloud", "serviceName"),
        ("/dedicatedCloud/pcc-145-239-10-1/datacenter", "datacenterId"),
        ("/dedicatedCloud/pcc-145-239-10-1/filer", "filerId"),
        ("/dedicatedCloud/pcc-145-239-10-1/datacenter/2/filer", "filerId"),
        ("/dedicatedCloud/pcc-145-239-10-1/backupRepository", "repositoryId"),
        ("/me/notification/email/history", "id"),
        ("/services", "serviceId"),
    ],
)
def test_every_list_route_expands(sim, ovh_client, path, key):
    client = ovh_client(sim)
    ids = client.get(path)
    objects = client.raw_call("GET", path, headers=dict(EXPAND)).json()
    assert [obj[key] for obj in objects] == ids


def test_list_expansion_can_be_switched_off(sim, ovh_client):
    client = ovh_client(sim)
    sim.set_option("pagination", False)
    response = client.raw_call("GET", "/dedicatedCloud/%s/datacenter/1/vm" % creds.HEALTHY, headers=dict(EXPAND))
    assert response.json() == [11, 12, 13]
    assert "X-Pagination-Elements" not in response.headers


# --- fixtures, backup data --------------------------------------------------------------------------------


def test_backup_evidence_fields(sim, ovh_client):
    client = ovh_client(sim)
    base = "/dedicatedCloud/%s" % creds.HEALTHY
    assert client.get(base + "/datacenter") == [1, 2]
    assert client.get(base + "/datacenter/2")["name"] == "datacenter2"
    backup = client.get(base + "/datacenter/1/backup")
    assert (backup["state"], backup["backupOffer"], backup["replicationZone"]) == ("enabled", "advanced", "sbg")
    vm = client.get(base + "/datacenter/1/vm/13")
    assert vm["powerState"] == "poweredOff"
    assert set(vm["backup"]) >= {
        "state",
        "lastResult",
        "lastSuccessfulCreationTime",
        "lastCreationTime",
        "restorePoints",
        "retentionTime",
        "backupDays",
        "backupRepositoryId",
    }
    assert set(vm["backup"]["restorePoints"][0]) == {"restorePointId", "creationTime", "isCorrupted", "size", "type"}
    repo = client.get(base + "/backupRepository/2")
    assert set(repo) >= {"repositoryName", "replication", "syncStatus", "lastSuccessfulReplicationDate"}
    filer = client.get(base + "/filer/1")
    assert set(filer) >= {"name", "size", "spaceUsed", "vmTotal", "state"}
    assert client.get(base + "/datacenter/1/filer/101")["vmTotal"] == 3
    assert client.get("/dedicatedCloud/%s/datacenter/2/backup" % creds.NO_BACKUP_DC)["state"] == "disabled"
    assert client.get("/dedicatedCloud/%s/backupRepository/1" % creds.OUT_OF_SYNC)["syncStatus"] == "out-of-sync"
    degraded = client.raw_call("GET", "/dedicatedCloud/%s/datacenter/1/vm" % creds.DEGRADED_BACKUPS, headers=dict(EXPAND)).json()
    by_name = {vm["name"]: vm for vm in degraded}
    assert by_name["failed-01"]["backup"]["lastResult"] == "failed"
    assert by_name["corrupted-01"]["backup"]["restorePoints"][0]["isCorrupted"] is True
    assert by_name["nobackup-01"]["backup"] is None


def test_simulator_from_dict_and_yaml(tmp_path, sim_factory, ovh_client):
    fixture = generate(services=1, vms=2)
    fixture["options"] = {"removal_seconds": 5}
    sim = sim_factory(fixture, email_delay_seconds=30)
    assert sim.options()["removal_seconds"] == 5
    assert sim.options()["email_delay_seconds"] == 30
    assert ovh_client(sim).get("/dedicatedCloud") == ["pcc-10-0-0-0"]
    path = tmp_path / "fixture.yml"
    path.write_text(yaml.safe_dump(generate(services=2, vms=1)))
    with Simulator(str(path)) as other:
        assert ovh_client(other).get("/dedicatedCloud") == ["pcc-10-0-0-0", "pcc-10-0-0-1"]


# --- generator and CLI ------------------------------------------------------------------------------------


def test_generator_spreads_vms_over_datacenters(sim_factory, ovh_client):
    fixture = generate(services=3, vms=5, datacenters=2, stale_every=2)
    sim = sim_factory(fixture)
    client = ovh_client(sim)
    names = client.get("/dedicatedCloud")
    assert len(names) == 3
    counts = [len(client.get("/dedicatedCloud/%s/datacenter/%d/vm" % (names[0], dc))) for dc in (1, 2)]
    assert counts == [3, 2]
    vms = client.raw_call("GET", "/dedicatedCloud/%s/datacenter/1/vm" % names[0], headers=dict(EXPAND)).json()
    ages = [vm["backup"]["lastSuccessfulCreationTime"] for vm in vms]
    assert len(set(ages)) == 2


def test_generator_cli_writes_a_fixture(tmp_path):
    out = tmp_path / "big.json"
    assert generate_main(["--services", "2", "--vms", "4", "--datacenters", "2", "--out", str(out)]) == 0
    fixture = json.loads(out.read_text())
    services = fixture["accounts"][0]["services"]
    assert len(services) == 2
    assert sum(len(dc["vms"]) for dc in services[1]["datacenters"]) == 4


def test_command_line_server(tmp_path):
    url_file = tmp_path / "url.json"
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", "tests.simulator", "--fixture", "unit", "--port", "0", "--url-file", str(url_file), "--option", "email_delay_seconds=60"],
        cwd=COLLECTION_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not url_file.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        info = json.loads(url_file.read_text())
        assert info["pid"] == process.pid
        assert info["url"].endswith("/1.0") and info["admin_url"].endswith("/_sim")
        with urllib.request.urlopen(info["admin_url"] + "/options") as response:
            assert json.loads(response.read())["email_delay_seconds"] == 60
        with urllib.request.urlopen(info["url"] + "/auth/time") as response:
            assert isinstance(json.loads(response.read()), int)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, dummy = process.communicate(timeout=10)
    assert process.returncode == 0
    assert json.loads(stdout.decode().splitlines()[0])["url"] == info["url"]


# --- changes made by tests ----------------------------------------------------------------------------------


def test_patch_service_through_python_and_admin_api(sim, ovh_client):
    client = ovh_client(sim)
    sim.patch_service(creds.FR_TEXT, dedicatedCloud={"state": "upgrading"})
    assert client.get("/dedicatedCloud/%s" % creds.FR_TEXT)["state"] == "upgrading"
    with pytest.raises(ovh.exceptions.ResourceConflictError):
        client.post("/dedicatedCloud/%s/terminate" % creds.FR_TEXT)
    assert admin(sim, "POST", "/services/%s" % creds.CA_HOST, {"expired": True})["expired"] is True
    with pytest.raises(ovh.exceptions.ResourceExpiredError):
        client.get("/dedicatedCloud/%s" % creds.CA_HOST)
    admin(sim, "POST", "/services/%s" % creds.HEALTHY, {"serviceInfos": {"renew": {"deleteAtExpiration": True}}})
    assert "terminateAtExpirationDate" in client.get("/services/1001")["billing"]["lifecycle"]["current"]["pendingActions"]
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        admin(sim, "POST", "/services/pcc-192-0-2-1", {"expired": True})
    assert excinfo.value.code == 400


def test_add_email_with_a_usable_token(sim, ovh_client):
    client = ovh_client(sim)
    added = admin(sim, "POST", "/emails", {"termination": {"service": creds.FR_TEXT, "token": "Injected" * 4}})
    assert added["id"] == max(client.get("/me/notification/email/history"))
    assert "Injected" * 4 in client.get("/me/notification/email/history/%d" % added["id"])["body"]
    client.post("/dedicatedCloud/%s/confirmTermination" % creds.FR_TEXT, token="Injected" * 4)
    assert client.get("/dedicatedCloud/%s" % creds.FR_TEXT)["state"] == "toUnprovision"
    unrelated = sim.add_email(subject="Hello", body="no link here", date="-1h")
    assert client.get("/me/notification/email/history/%d" % unrelated["id"])["subject"] == "Hello"


def test_integration_shell_library(tmp_path):
    library = os.path.join(COLLECTION_ROOT, "tests", "integration", "targets", "setup_simulator", "simulator.sh")
    script = tmp_path / "runme.sh"
    script.write_text(
        "\n".join(
            [
                "set -eu",
                "source '%s'" % library,
                "start_simulator unit --option removal_seconds=5",
                'echo "url=${SIM_URL}"',
                'echo "endpoint=${OVH_ENDPOINT} ck=${OVH_CONSUMER_KEY} rate=${OVH_API_RATE_LIMIT}"',
                'echo "pid=${SIM_PID}"',
                "sim_admin POST /clock '{\"set\": 1900000000}' >/dev/null",
                '"${SIM_PYTHON}" -c \'import os, urllib.request; urllib.request.urlopen(os.environ["SIM_URL"] + "/auth/time").read()\'',
                'echo "time_calls=$(sim_call_count "GET /auth/time") terminate_calls=$(sim_call_count "POST /dedicatedCloud/{serviceName}/terminate")"',
                'echo "removal=$(sim_admin GET /options | "${SIM_PYTHON}" -c \'import json, sys; print(json.load(sys.stdin)["removal_seconds"])\')"',
                "",
            ]
        )
    )
    env = dict(os.environ, ANSIBLE_TEST_PYTHON_INTERPRETER=sys.executable)
    result = subprocess.run(["bash", str(script)], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line and " " not in line.split("=", 1)[0])
    assert lines["url"].startswith("http://127.0.0.1:") and lines["url"].endswith("/1.0")
    assert "endpoint=%s ck=%s rate=0" % (lines["url"], creds.CK_FULL) in result.stdout
    assert "time_calls=1 terminate_calls=0" in result.stdout
    assert lines["removal"] == "5"
    pid = int(lines["pid"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the EXIT trap did not stop the simulator (pid %d)" % pid)
