# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which endpoint and which credentials a client uses (docs/design.md sections 2 and 7): module options, else the
OVH_* environment, else python-ovh's config files; endpoint names or a base URL.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports the standard library, python-ovh (optional: only its endpoint table) and ``_errors``.
"""

from __future__ import annotations

import configparser
import ipaddress
import os
from urllib.parse import urlsplit

try:
    import ovh.client
except ImportError:
    HAS_OVH = False
else:
    HAS_OVH = True

from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import config_error

DEFAULT_ENDPOINT = "ovh-eu"
OAUTH2_ENDPOINTS = ("ovh-eu", "ovh-ca", "ovh-us")
# Known python-ovh endpoint names, used when python-ovh is absent (for error messages only).
_FALLBACK_ENDPOINT_NAMES = ("ovh-eu", "ovh-us", "ovh-ca", "kimsufi-eu", "kimsufi-ca", "soyoustart-eu", "soyoustart-ca")

AK_FAMILY = ("application_key", "application_secret", "consumer_key")
OAUTH2_FAMILY = ("client_id", "client_secret")
CREDENTIAL_OPTIONS = AK_FAMILY + OAUTH2_FAMILY
# The options of modules and plugins that map 1:1 to OvhClient arguments.
CLIENT_OPTIONS = ("endpoint",) + CREDENTIAL_OPTIONS + ("api_timeout", "api_rate_limit", "api_retry_max_wait", "state_dir")


def endpoint_names():
    if HAS_OVH:
        return tuple(ovh.client.ENDPOINTS)
    return _FALLBACK_ENDPOINT_NAMES


def _is_loopback(host):
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoint(endpoint):
    """Return (name, base_url) for a python-ovh endpoint name or a base URL; raise OvhApiError otherwise.

    name is None for a URL. A URL must be the API base including /1.0, https, or http on a loopback host
    (the simulator): plain http elsewhere would send signed requests in clear text.
    """
    endpoint = (endpoint or "").strip()
    known = endpoint_names()
    if endpoint in known:
        return endpoint, (ovh.client.ENDPOINTS[endpoint] if HAS_OVH else None)
    usage = "endpoint must be one of %s, or the API base URL including /1.0 (https, or http only on 127.0.0.0/8, ::1 or localhost)" % ", ".join(known)
    if "://" not in endpoint:
        raise config_error("Unknown endpoint %r: %s" % (endpoint, usage))
    parts = urlsplit(endpoint)
    try:
        host = parts.hostname or ""
        if parts.port is not None and parts.port <= 0:  # .port itself raises ValueError on junk
            raise ValueError(parts.port)
    except ValueError:
        raise config_error("Invalid endpoint URL %r: %s" % (endpoint, usage)) from None
    if parts.username or parts.password or parts.query or parts.fragment or not host:
        raise config_error("Invalid endpoint URL %r: no user, query or fragment allowed; %s" % (endpoint, usage))
    if parts.scheme == "http" and not _is_loopback(host):
        raise config_error("Endpoint URL %r uses plain http on a non-loopback host: %s" % (endpoint, usage))
    if parts.scheme not in ("http", "https"):
        raise config_error("Endpoint URL %r: unsupported scheme; %s" % (endpoint, usage))
    path = parts.path.rstrip("/")
    if not path.endswith("/1.0"):
        raise config_error("Endpoint URL %r does not end with /1.0: %s" % (endpoint, usage))
    return None, "%s://%s%s" % (parts.scheme, parts.netloc, path)


def _config_paths():
    # Computed at call time (python-ovh freezes them at import), so HOME and the working directory count.
    return ["/etc/ovh.conf", os.path.expanduser("~/.ovh.conf"), os.path.realpath("ovh.conf")]


def _read_config(paths=None):
    parser = configparser.RawConfigParser()
    parser.read(paths if paths is not None else _config_paths())
    return parser


def _config_get(parser, section, name):
    try:
        return parser.get(section, name) or None
    except (configparser.NoSectionError, configparser.NoOptionError):
        return None


def resolve_credentials(endpoint, options, environ=None, config_paths=None):
    """Pick the endpoint and credentials as docs/design.md section 7 says; return (endpoint, creds, source).

    Module options first. The OVH_* environment and python-ovh's config files are read only when no
    credential option of either family is set, so an OAuth2 host on a controller that exports AK/AS/CK is
    not "mixed". Like python-ovh, each value comes from the environment first, then the config files
    (section named after the endpoint). The endpoint itself: option, then OVH_ENDPOINT, then the config
    files' [default] endpoint, then ovh-eu.
    """
    environ = os.environ if environ is None else environ
    parser = None
    if not endpoint:
        endpoint = environ.get("OVH_ENDPOINT")
    if not endpoint:
        parser = _read_config(config_paths)
        endpoint = _config_get(parser, "default", "endpoint") or DEFAULT_ENDPOINT
    resolve_endpoint(endpoint)  # a bad endpoint is the first thing to report

    given = dict((name, options.get(name)) for name in CREDENTIAL_OPTIONS if options.get(name))
    if given:
        creds, source = given, "module options"
    else:
        if parser is None:
            parser = _read_config(config_paths)
        creds = {}
        for name in CREDENTIAL_OPTIONS:
            value = environ.get("OVH_" + name.upper()) or _config_get(parser, endpoint, name)
            if value:
                creds[name] = value
        source = "the OVH_* environment or python-ovh config files"
    _check_credentials(endpoint, creds, source)
    return endpoint, creds, source


def _check_credentials(endpoint, creds, source):
    """Clear errors for missing, incomplete or mixed credentials. Names options, never values."""
    ak_set = [n for n in AK_FAMILY if creds.get(n)]
    oauth_set = [n for n in OAUTH2_FAMILY if creds.get(n)]
    if ak_set and oauth_set:
        raise config_error(
            "Mixed credentials in %s: %s and %s are both set. Use either application_key/application_secret/"
            "consumer_key or client_id/client_secret (OAuth2), not both" % (source, ", ".join(ak_set), ", ".join(oauth_set))
        )
    if oauth_set:
        missing = [n for n in OAUTH2_FAMILY if n not in oauth_set]
        if missing:
            raise config_error("Incomplete OAuth2 credentials in %s: %s is set but %s is missing" % (source, ", ".join(oauth_set), ", ".join(missing)))
        if endpoint not in OAUTH2_ENDPOINTS:
            raise config_error(
                "OAuth2 (client_id/client_secret) works only with the endpoints %s (python-ovh's "
                "fixed token URLs), not with %r: use application_key/application_secret/consumer_key" % (", ".join(OAUTH2_ENDPOINTS), endpoint)
            )
        return
    if ak_set:
        missing = [n for n in AK_FAMILY if n not in ak_set]
        if missing:
            raise config_error(
                "Incomplete credentials in %s: %s is set but %s is missing (an application needs "
                "application_key and application_secret, and calls are signed with a consumer_key)" % (source, ", ".join(ak_set), ", ".join(missing))
            )
        return
    raise config_error(
        "No OVHcloud API credentials: set application_key, application_secret and consumer_key "
        "(or client_id and client_secret), as module options, or else in the OVH_* environment "
        "or a python-ovh config file (/etc/ovh.conf, ~/.ovh.conf, ./ovh.conf)"
    )
