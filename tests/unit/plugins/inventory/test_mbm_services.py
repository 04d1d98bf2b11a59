# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inventory plugin ovhcloud.mbm.mbm_services against the simulator's unit fixture."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader

from ansible_collections.ovhcloud.mbm.plugins.inventory.mbm_services import InventoryModule

try:  # ansible-core 2.19+: expressions from a configuration file are trusted templates
    from ansible.template import trust_as_template
except ImportError:  # 2.18

    def trust_as_template(value):
        return value


from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C

MBM_LISTED = [
    "pcc-145-239-10-1",
    "pcc-145-239-10-10",
    "pcc-145-239-10-11",
    "pcc-145-239-10-12",
    "pcc-145-239-10-13",
    "pcc-145-239-10-14",
    "pcc-145-239-10-2",
    "pcc-145-239-10-3",
    "pcc-145-239-10-4",
    "pcc-145-239-10-5",
    "pcc-145-239-10-6",
    "pcc-145-239-10-7",
]


def fixture_services():
    """MBM services of the unit fixture that GET /dedicatedCloud lists (not deleted), keyed by name."""
    from ansible_collections.ovhcloud.mbm.tests.simulator.model import load_fixture  # pylint: disable=import-outside-toplevel

    data = load_fixture("unit")
    services = {}
    for account in data["accounts"]:
        if account["nic"] != C.NIC:
            continue
        for service in account["services"]:
            if not service.get("deleted"):
                services[service["serviceName"]] = service
    return services


class FakeCache(dict):
    pass


def make_plugin(sim, tmp_path, **options):
    plugin = InventoryModule()
    values = {
        "plugin": "ovhcloud.mbm.mbm_services",
        "endpoint": sim.url,
        "application_key": C.APPLICATION_KEY,
        "application_secret": C.APPLICATION_SECRET,
        "consumer_key": C.CK_FULL,
        "client_id": None,
        "client_secret": None,
        "api_timeout": 30,
        "api_rate_limit": 0,
        "api_retry_max_wait": 0,
        "state_dir": str(tmp_path / "state"),
        "run_id": None,  # the api doc fragment's option (the plugin passes it to the client)
        "product_references": ["MBM"],
        "email_lookback_hours": 96,
        "unreadable_services": "include",
        "compose": {},
        "groups": {},
        "keyed_groups": [],
        "strict": False,
        "leading_separator": True,
        "use_extra_vars": False,
        "cache": False,
        "cache_plugin": "memory",
        "cache_timeout": 3600,
        "cache_connection": None,
        "cache_prefix": "ansible_inventory_",
    }
    values.update(options)
    plugin._options = values  # pylint: disable=protected-access
    plugin._cache = FakeCache()  # pylint: disable=protected-access
    plugin._read_config_data = lambda path: None  # pylint: disable=protected-access
    plugin.get_cache_key = lambda path: "key"
    return plugin


def parse(plugin, cache=True):
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), "/nonexistent/test.mbm_services.yml", cache=cache)
    return inventory


def test_verify_file(tmp_path):
    plugin = InventoryModule()
    for name, ok in (("prod.mbm_services.yml", True), ("mbm_services.yaml", True), ("hosts.yml", False), ("mbm_services.json", False)):
        path = tmp_path / name
        path.write_text("plugin: ovhcloud.mbm.mbm_services\n")
        assert plugin.verify_file(str(path)) is ok, name


def test_lists_the_fixture_mbm_services_with_their_variables(sim, tmp_path):
    inventory = parse(make_plugin(sim, tmp_path))
    group = inventory.groups["mbm_services"]
    names = sorted(host.name for host in group.get_hosts())
    assert names == sorted(MBM_LISTED)
    expected = fixture_services()
    for name in names:
        hostvars = inventory.get_host(name).get_vars()
        spec = expected[name]
        assert hostvars["mbm_service_name"] == name
        assert hostvars["mbm_product_reference"] == "MBM"
        if name == C.BUSY:
            assert hostvars["mbm_termination_status"] is None
            assert hostvars["mbm_problem"]["kind"] == "busy"
            assert hostvars["mbm_state"] == "upgrading"
            continue
        assert hostvars["mbm_service_id"] == spec["serviceId"]
        assert hostvars["mbm_location"] == spec.get("location", "rbx2")
        assert hostvars["mbm_delete_at_expiration"] is (name == C.SCHEDULED)
        assert hostvars["mbm_expiration"]
        assert hostvars["mbm_problem"] is None
        assert "api" not in hostvars["mbm_termination"]
    status = dict((name, inventory.get_host(name).get_vars()["mbm_termination_status"]) for name in names)
    assert status["pcc-145-239-10-1"] == "active"
    assert status[C.SCHEDULED] == "termination_scheduled"
    assert status["pcc-145-239-10-13"] == "termination_requested"
    assert status["pcc-145-239-10-14"] == "token_expired"
    # never a secret, a token or an e-mail body
    text = json.dumps(dict((name, inventory.get_host(name).get_vars()) for name in names), default=str)
    for secret in (C.APPLICATION_SECRET, C.CK_FULL):
        assert secret not in text
    for mail in sim.emails():
        if mail.get("token"):
            assert mail["token"] not in text
    assert C.EPCC not in names


def test_all_products_and_skip_unreadable(sim, tmp_path):
    inventory = parse(make_plugin(sim, tmp_path, product_references=[], unreadable_services="skip"))
    names = set(host.name for host in inventory.groups["mbm_services"].get_hosts())
    assert C.EPCC in names
    assert inventory.get_host(C.EPCC).get_vars()["mbm_product_reference"] == "EPCC"
    assert C.BUSY not in names
    assert C.EXPIRED not in names


def test_constructed_groups_and_compose(sim, tmp_path):
    plugin = make_plugin(
        sim,
        tmp_path,
        compose={"ansible_connection": trust_as_template("'local'")},
        groups={"scheduled": trust_as_template("mbm_delete_at_expiration")},
        keyed_groups=[{"key": trust_as_template("mbm_location"), "prefix": "location"}],
    )
    inventory = parse(plugin)
    assert sorted(host.name for host in inventory.groups["scheduled"].get_hosts()) == [C.SCHEDULED]
    assert sorted(host.name for host in inventory.groups["location_sbg1"].get_hosts()) == ["pcc-145-239-10-2"]
    assert "pcc-145-239-10-4" in [host.name for host in inventory.groups["location_bhs1"].get_hosts()]
    assert inventory.get_host("pcc-145-239-10-1").get_vars()["ansible_connection"] == "local"


def test_cache_is_used_and_filled(sim, tmp_path):
    plugin = make_plugin(sim, tmp_path, cache=True)
    parse(plugin, cache=False)  # refresh: fetch and fill the cache
    assert "key" in plugin._cache  # pylint: disable=protected-access
    calls = sim.calls()
    cached = plugin._cache["key"]  # pylint: disable=protected-access
    assert sorted(item["name"] for item in cached) == sorted(MBM_LISTED)
    assert C.APPLICATION_SECRET not in json.dumps(cached) and C.CK_FULL not in json.dumps(cached)
    inventory = parse(plugin, cache=True)
    assert sim.calls() == calls, "a cached parse must not call the API"
    assert sorted(host.name for host in inventory.groups["mbm_services"].get_hosts()) == sorted(MBM_LISTED)


def test_bad_credentials_fail_clearly(sim, tmp_path):
    plugin = make_plugin(sim, tmp_path, consumer_key=C.CK_PENDING)
    with pytest.raises(AnsibleError) as exc:
        parse(plugin)
    assert "could not list the services" in str(exc.value)
    assert C.CK_PENDING not in str(exc.value)


def test_rate_limit_follows_the_environment_like_the_modules():
    # the modules take OVH_API_RATE_LIMIT through their argument spec; the inventory through its option's env entry
    import yaml  # pylint: disable=import-outside-toplevel

    from ansible_collections.ovhcloud.mbm.plugins.inventory import mbm_services  # pylint: disable=import-outside-toplevel

    option = yaml.safe_load(mbm_services.DOCUMENTATION)["options"]["api_rate_limit"]
    assert option["env"] == [{"name": "OVH_API_RATE_LIMIT"}]
    assert option["default"] == 60
