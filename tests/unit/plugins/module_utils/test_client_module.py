# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MbmModule, the shared argument spec, and their doc fragment, run through tests/unit/helpers.run_module."""

from __future__ import annotations

import json
from types import SimpleNamespace

import yaml

from ansible_collections.ovhcloud.mbm.plugins.doc_fragments.api import ModuleDocFragment
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _module
from ansible_collections.ovhcloud.mbm.plugins.module_utils._module import MbmModule, mbm_argument_spec
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as cr
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

OVH_VARS = ("OVH_ENDPOINT", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY", "OVH_CLIENT_ID", "OVH_CLIENT_SECRET", "OVH_API_RATE_LIMIT")


def _main():
    mbm = MbmModule(dict(service_name=dict(type="str", required=True)))
    with mbm.failing_on_api_error():
        service = mbm.client.get("/dedicatedCloud/{serviceName}", serviceName=mbm.params["service_name"])
    mbm.exit(changed=False, state=service["state"], rate_limit=mbm.params["api_rate_limit"], check_mode=mbm.check_mode)


MODULE = SimpleNamespace(main=_main)


def clean_env(monkeypatch, tmp_path):
    for name in OVH_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def test_success_returns_api_calls(sim, api_args, monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    result = run_module(MODULE, dict(api_args(sim), service_name=cr.HEALTHY), check_mode=True)
    assert result["failed"] is False
    assert result["state"] == "delivered" and result["check_mode"] is True
    assert result["api_calls"]["by_route"] == sim.calls()
    assert result["api_calls"]["total"] == 2


def test_api_failure_returns_failure_and_api_calls_without_secrets(sim, api_args, monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    result = run_module(MODULE, dict(api_args(sim), service_name="pcc-does-not-exist"))
    assert result["failed"] is True
    failure = result["failure"]
    assert failure["status"] == 404 and failure["method"] == "GET"
    assert failure["path"] == "/dedicatedCloud/pcc-does-not-exist"
    assert failure["query_id"] and failure["query_id"] in result["msg"]
    assert set(failure) == {"status", "error_code", "message", "query_id", "method", "path"}
    assert result["api_calls"]["by_route"]["GET /dedicatedCloud/{serviceName}"] == 1
    text = json.dumps(result)
    assert cr.APPLICATION_SECRET not in text and cr.CK_FULL not in text


def test_configuration_error_fails_cleanly(monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    result = run_module(MODULE, dict(service_name="x", application_key="ak", consumer_key="SuperSecretCk0001", api_rate_limit=0, state_dir=str(tmp_path)))
    assert result["failed"] is True
    assert "application_secret is missing" in result["msg"]
    assert result["failure"]["error_code"] == "INVALID_CONFIGURATION"
    assert result["api_calls"]["total"] == 0
    assert "SuperSecretCk0001" not in json.dumps(result)


def test_environment_credentials_when_no_option_is_set(sim, monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("OVH_ENDPOINT", sim.url)
    monkeypatch.setenv("OVH_APPLICATION_KEY", cr.APPLICATION_KEY)
    monkeypatch.setenv("OVH_APPLICATION_SECRET", cr.APPLICATION_SECRET)
    monkeypatch.setenv("OVH_CONSUMER_KEY", cr.CK_FULL)
    monkeypatch.setenv("OVH_API_RATE_LIMIT", "0")
    result = run_module(MODULE, dict(service_name=cr.HEALTHY, state_dir=str(tmp_path / "state")))
    assert result["failed"] is False and result["rate_limit"] == 0
    assert not list((tmp_path / "state").glob("ratelimit-*"))  # limit 0 from the environment: no rate limit file


def test_missing_ovh_library(monkeypatch, tmp_path):
    clean_env(monkeypatch, tmp_path)
    monkeypatch.setattr(_module, "HAS_OVH", False)
    result = run_module(MODULE, dict(service_name="x"))
    assert result["failed"] is True
    assert "ovh" in result["msg"] and "Failed to import the required Python library" in result["msg"]
    assert result["api_calls"]["total"] == 0


def test_doc_fragment_matches_the_argument_spec():
    docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = mbm_argument_spec()
    assert set(docs) == set(spec)
    for name, option in spec.items():
        assert docs[name].get("type") == option["type"], name
        assert docs[name].get("default") == option.get("default"), name
        assert docs[name].get("required", False) == option.get("required", False), name
    assert {name for name, option in spec.items() if option.get("no_log")} == {"application_secret", "consumer_key", "client_secret"}
    assert spec["application_key"]["no_log"] is False and spec["client_id"]["no_log"] is False
    # docs/design.md section 7: credentials have no env fallback (the client decides when the environment applies)
    assert [name for name, option in spec.items() if "fallback" in option] == ["endpoint", "api_rate_limit"]
