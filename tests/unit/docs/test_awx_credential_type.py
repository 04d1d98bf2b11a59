# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""docs/awx/credential_type.yml has the shape AWX expects, and what it injects is what the collection reads."""

from __future__ import annotations

import json
import os
import re

import jinja2
import pytest
import yaml

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _credentials
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir))
PATH = os.path.join(ROOT, "docs", "awx", "credential_type.yml")
# The credential type's fields are the collection's credential options, named alike.
FIELDS = ("endpoint",) + tuple(_credentials.CREDENTIAL_OPTIONS)
SECRETS = {"application_secret", "consumer_key", "client_secret"}
# AWX: the keys a field may carry, its types, and the kinds a custom type may have.
FIELD_KEYS = {"id", "label", "type", "help_text", "secret", "multiline", "choices", "format", "ask_at_runtime", "default"}


@pytest.fixture(scope="module")
def credential_type():
    with open(PATH) as handle:
        return yaml.safe_load(handle)


def _render(credential_type, values):
    """Render the env injectors as AWX does (Jinja2; a field left empty renders as an empty string)."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = dict((field["id"], values.get(field["id"], "")) for field in credential_type["inputs"]["fields"])
    return dict((name, environment.from_string(template).render(context)) for name, template in credential_type["injectors"]["env"].items())


def test_document_loads_as_yaml_and_json(credential_type):
    assert set(credential_type) == {"name", "description", "kind", "inputs", "injectors"}
    assert credential_type["kind"] == "cloud"
    assert credential_type["name"] and credential_type["description"]
    # The API takes inputs and injectors as JSON objects.
    assert json.loads(json.dumps(credential_type)) == credential_type


def test_fields(credential_type):
    inputs = credential_type["inputs"]
    assert set(inputs) == {"fields", "required"}
    fields = inputs["fields"]
    assert [field["id"] for field in fields] == list(FIELDS)
    labels = [field["label"] for field in fields]
    assert len(set(labels)) == len(labels)
    for field in fields:
        assert set(field) <= FIELD_KEYS, field
        assert field["type"] == "string", field
        assert re.match(r"^[a-z_]+$", field["id"]), field
        assert field.get("help_text"), field
        assert field.get("secret", False) is (field["id"] in SECRETS), field
    # Either family may be used: only the endpoint is always required.
    assert inputs["required"] == ["endpoint"]


def test_injectors_are_the_ovh_environment(credential_type):
    injectors = credential_type["injectors"]
    assert set(injectors) == {"env"}, "no file and no extra_vars: extra variables show in job details"
    assert injectors["env"] == dict(("OVH_" + name.upper(), "{{ %s }}" % name) for name in FIELDS)


def test_application_key_path_resolves_from_the_injected_environment(credential_type):
    env = _render(credential_type, {"endpoint": "ovh-eu", "application_key": "ak", "application_secret": "as", "consumer_key": "ck"})
    assert env["OVH_CLIENT_ID"] == "" and env["OVH_CLIENT_SECRET"] == ""
    endpoint, creds, source = _credentials.resolve_credentials(None, {}, environ=env, config_paths=[])
    assert endpoint == "ovh-eu"
    assert creds == {"application_key": "ak", "application_secret": "as", "consumer_key": "ck"}
    assert "environment" in source


@pytest.mark.parametrize("endpoint", ["ovh-eu", "ovh-ca", "ovh-us"])
def test_oauth2_path_resolves_from_the_injected_environment(credential_type, endpoint):
    env = _render(credential_type, {"endpoint": endpoint, "client_id": "id", "client_secret": "secret"})
    resolved, creds, dummy = _credentials.resolve_credentials(None, {}, environ=env, config_paths=[])
    assert resolved == endpoint
    assert creds == {"client_id": "id", "client_secret": "secret"}


def test_oauth2_on_another_endpoint_is_refused(credential_type):
    env = _render(credential_type, {"endpoint": "kimsufi-eu", "client_id": "id", "client_secret": "secret"})
    with pytest.raises(OvhApiError) as info:
        _credentials.resolve_credentials(None, {}, environ=env, config_paths=[])
    assert info.value.error_code == "INVALID_CONFIGURATION"


def test_both_families_filled_in_is_refused(credential_type):
    env = _render(
        credential_type,
        {"endpoint": "ovh-eu", "application_key": "ak", "application_secret": "as", "consumer_key": "ck", "client_id": "id", "client_secret": "secret"},
    )
    with pytest.raises(OvhApiError) as info:
        _credentials.resolve_credentials(None, {}, environ=env, config_paths=[])
    assert "Mixed credentials" in str(info.value)
