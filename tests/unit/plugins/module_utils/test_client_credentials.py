# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the endpoint and the credentials come from (docs/design.md section 7), and the endpoint URL rules."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient
from ansible_collections.ovhcloud.mbm.plugins.module_utils._credentials import resolve_endpoint
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import ScriptedSession, ex, time_ex

OVH_VARS = ("OVH_ENDPOINT", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY", "OVH_CLIENT_ID", "OVH_CLIENT_SECRET", "OVH_API_RATE_LIMIT")
SECRETS = ("as-SECRET-1", "ck-SECRET-2", "cs-SECRET-3")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A clean HOME and working directory, without OVH_* variables."""
    for name in OVH_VARS:
        monkeypatch.delenv(name, raising=False)
    home_dir = tmp_path / "home"
    work_dir = tmp_path / "work"
    home_dir.mkdir()
    work_dir.mkdir()
    monkeypatch.setenv("HOME", str(home_dir))
    monkeypatch.chdir(work_dir)
    return home_dir, work_dir


def build(tmp_path, **kwargs):
    kwargs.setdefault("api_rate_limit", 0)
    kwargs.setdefault("state_dir", str(tmp_path / "state"))
    return OvhClient(**kwargs)


def creds(client):
    raw = client._ovh
    return dict(
        application_key=raw._application_key,
        application_secret=raw._application_secret,
        consumer_key=raw._consumer_key,
        client_id=raw._client_id,
        client_secret=raw._client_secret,
    )


def write_conf(path, text):
    path.write_text(text, encoding="utf-8")


# -- sources and precedence ------------------------------------------------------------------------


def test_options_are_used_and_the_environment_is_ignored(tmp_path, home, monkeypatch):
    monkeypatch.setenv("OVH_CLIENT_ID", "env-id")
    monkeypatch.setenv("OVH_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("OVH_CONSUMER_KEY", "env-ck")
    client = build(tmp_path, application_key="ak", application_secret="as", consumer_key="ck")
    assert creds(client) == dict(application_key="ak", application_secret="as", consumer_key="ck", client_id=None, client_secret=None)
    assert client.credential_source == "module options"


def test_oauth2_options_on_a_controller_that_exports_application_keys_is_not_mixed(tmp_path, home, monkeypatch):
    monkeypatch.setenv("OVH_APPLICATION_KEY", "env-ak")
    monkeypatch.setenv("OVH_APPLICATION_SECRET", "env-as")
    monkeypatch.setenv("OVH_CONSUMER_KEY", "env-ck")
    client = build(tmp_path, endpoint="ovh-ca", client_id="cid", client_secret="csecret")
    assert creds(client) == dict(application_key=None, application_secret=None, consumer_key=None, client_id="cid", client_secret="csecret")
    assert client._ovh._oauth2.token_url == "https://ca.ovh.com/auth/oauth2/token"


def test_partial_options_are_not_completed_from_the_environment(tmp_path, home, monkeypatch):
    monkeypatch.setenv("OVH_CONSUMER_KEY", "env-ck")
    with pytest.raises(OvhApiError) as info:
        build(tmp_path, application_key="ak", application_secret=SECRETS[0])
    assert "consumer_key is missing" in str(info.value)
    assert "module options" in str(info.value)
    assert SECRETS[0] not in str(info.value)


def test_environment_is_used_when_no_option_is_set(tmp_path, home, monkeypatch):
    monkeypatch.setenv("OVH_APPLICATION_KEY", "env-ak")
    monkeypatch.setenv("OVH_APPLICATION_SECRET", "env-as")
    monkeypatch.setenv("OVH_CONSUMER_KEY", "env-ck")
    monkeypatch.setenv("OVH_ENDPOINT", "ovh-us")
    client = build(tmp_path)
    assert creds(client)["consumer_key"] == "env-ck"
    assert client.endpoint == "ovh-us" and client.base_url == "https://api.us.ovhcloud.com/1.0"
    assert "environment" in client.credential_source


def test_config_file_in_home_then_working_directory(tmp_path, home, monkeypatch):
    home_dir, work_dir = home
    write_conf(home_dir / ".ovh.conf", "[default]\nendpoint=ovh-ca\n[ovh-ca]\napplication_key=home-ak\napplication_secret=home-as\nconsumer_key=home-ck\n")
    client = build(tmp_path)
    assert client.endpoint == "ovh-ca"
    assert creds(client)["application_key"] == "home-ak"
    # ./ovh.conf wins over ~/.ovh.conf, value by value; the environment wins over both
    write_conf(work_dir / "ovh.conf", "[ovh-ca]\nconsumer_key=cwd-ck\n")
    monkeypatch.setenv("OVH_APPLICATION_SECRET", "env-as")
    client = build(tmp_path)
    assert creds(client) == dict(application_key="home-ak", application_secret="env-as", consumer_key="cwd-ck", client_id=None, client_secret=None)


def test_config_file_is_ignored_when_a_credential_option_is_set(tmp_path, home):
    home_dir = home[0]
    write_conf(home_dir / ".ovh.conf", "[ovh-eu]\napplication_key=home-ak\napplication_secret=home-as\nconsumer_key=home-ck\n")
    with pytest.raises(OvhApiError) as info:
        build(tmp_path, consumer_key="ck")
    assert "application_key, application_secret is missing" in str(info.value)


def test_endpoint_option_wins_over_environment_and_config(tmp_path, home, monkeypatch):
    write_conf(home[0] / ".ovh.conf", "[default]\nendpoint=ovh-ca\n")
    monkeypatch.setenv("OVH_ENDPOINT", "ovh-us")
    client = build(tmp_path, endpoint="kimsufi-eu", application_key="ak", application_secret="as", consumer_key="ck")
    assert client.base_url == "https://eu.api.kimsufi.com/1.0"


def test_default_endpoint_is_ovh_eu(tmp_path, home):
    client = build(tmp_path, application_key="ak", application_secret="as", consumer_key="ck")
    assert client.endpoint == "ovh-eu" and client.base_url == "https://eu.api.ovh.com/1.0"


# -- incomplete and mixed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, expected",
    [
        (dict(application_key="ak"), "application_secret, consumer_key is missing"),
        (dict(application_key="ak", application_secret=SECRETS[0]), "consumer_key is missing"),
        (dict(application_secret=SECRETS[0], consumer_key=SECRETS[1]), "application_key is missing"),
        (dict(client_id="cid"), "client_secret is missing"),
        (dict(client_secret=SECRETS[2]), "client_id is missing"),
        (dict(application_key="ak", application_secret=SECRETS[0], consumer_key=SECRETS[1], client_id="cid"), "Mixed credentials"),
        (dict(consumer_key=SECRETS[1], client_secret=SECRETS[2]), "Mixed credentials"),
    ],
)
def test_incomplete_or_mixed_options(tmp_path, home, options, expected):
    with pytest.raises(OvhApiError) as info:
        build(tmp_path, **options)
    text = str(info.value)
    assert expected in text
    assert info.value.error_code == "INVALID_CONFIGURATION"
    for secret in SECRETS:
        assert secret not in text


def test_mixed_environment(tmp_path, home, monkeypatch):
    for name, value in (
        ("OVH_APPLICATION_KEY", "ak"),
        ("OVH_APPLICATION_SECRET", SECRETS[0]),
        ("OVH_CONSUMER_KEY", SECRETS[1]),
        ("OVH_CLIENT_ID", "cid"),
        ("OVH_CLIENT_SECRET", SECRETS[2]),
    ):
        monkeypatch.setenv(name, value)
    with pytest.raises(OvhApiError) as info:
        build(tmp_path)
    assert "Mixed credentials in the OVH_* environment" in str(info.value)
    assert not any(secret in str(info.value) for secret in SECRETS)


def test_no_credentials_anywhere(tmp_path, home):
    with pytest.raises(OvhApiError, match="No OVHcloud API credentials"):
        build(tmp_path)


@pytest.mark.parametrize("endpoint", ["kimsufi-eu", "soyoustart-ca", "https://api.example.net/1.0", "http://127.0.0.1:8080/1.0"])
def test_oauth2_only_with_the_three_ovh_endpoints(tmp_path, home, endpoint):
    with pytest.raises(OvhApiError) as info:
        build(tmp_path, endpoint=endpoint, client_id="cid", client_secret=SECRETS[2])
    assert "OAuth2" in str(info.value) and "ovh-eu, ovh-ca, ovh-us" in str(info.value)
    assert SECRETS[2] not in str(info.value)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("api_timeout", 0, "api_timeout must be positive"),
        ("api_rate_limit", -1, "api_rate_limit must be 0 or more"),
        ("api_retry_max_wait", -5, "api_retry_max_wait must be 0 or more"),
    ],
)
def test_numeric_options_are_checked(tmp_path, home, name, value, message):
    options = dict(application_key="ak", application_secret="as", consumer_key="ck")
    options[name] = value
    with pytest.raises(OvhApiError, match=message):
        OvhClient(state_dir=str(tmp_path), **options)


# -- endpoint URL rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, base",
    [
        ("https://api.example.net/1.0", "https://api.example.net/1.0"),
        ("https://api.example.net:8443/prefix/1.0/", "https://api.example.net:8443/prefix/1.0"),
        ("http://127.0.0.1:8080/1.0", "http://127.0.0.1:8080/1.0"),
        ("http://127.42.0.9/1.0", "http://127.42.0.9/1.0"),
        ("http://[::1]:9000/1.0", "http://[::1]:9000/1.0"),
        ("http://localhost:9000/1.0", "http://localhost:9000/1.0"),
    ],
)
def test_accepted_endpoint_urls(url, base):
    assert resolve_endpoint(url) == (None, base)


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://10.0.0.1/1.0", "plain http on a non-loopback host"),
        ("http://api.example.net/1.0", "plain http on a non-loopback host"),
        ("http://localhost.example.net/1.0", "plain http on a non-loopback host"),
        ("https://api.example.net", "does not end with /1.0"),
        ("https://api.example.net/2.0", "does not end with /1.0"),
        ("ftp://127.0.0.1/1.0", "unsupported scheme"),
        ("https://user:pw@api.example.net/1.0", "no user, query or fragment"),
        ("https://api.example.net/1.0?x=1", "no user, query or fragment"),
        ("http://127.0.0.1:99999/1.0", "Invalid endpoint URL"),
        ("ovh-mars", "Unknown endpoint"),
        ("", "Unknown endpoint"),
    ],
)
def test_refused_endpoints(url, reason):
    with pytest.raises(OvhApiError) as info:
        resolve_endpoint(url)
    assert reason in str(info.value)
    assert "ovh-eu" in str(info.value)  # the message lists what is accepted


def test_endpoint_names_map_to_python_ovh_urls():
    assert resolve_endpoint("ovh-ca") == ("ovh-ca", "https://ca.api.ovh.com/1.0")


def test_url_endpoint_is_what_python_ovh_talks_to(tmp_path, home):
    url = "http://127.0.0.1:8099/1.0"
    client = build(tmp_path, endpoint=url, application_key="ak", application_secret="as", consumer_key="ck")
    session = ScriptedSession([time_ex(), ex("GET", "/me", {"nichandle": "n"})], base_url=url)
    client._ovh._session = session
    assert client.get("/me") == {"nichandle": "n"}
    session.assert_done()
    assert client._ovh._get_target("/me") == url + "/me"


def test_bad_endpoint_is_reported_before_missing_credentials(tmp_path, home):
    with pytest.raises(OvhApiError, match="plain http on a non-loopback host"):
        build(tmp_path, endpoint="http://192.0.2.1/1.0")
