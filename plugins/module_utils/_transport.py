# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the client needs from python-ovh and requests below the request pipeline: building the python-ovh
client, classifying transport failures, reading Retry-After, and noting retries in an error.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports the standard library, python-ovh and requests (optional at import time) and ``_errors``. Only
``_client`` imports it.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

try:
    import ovh
    import ovh.client
    import requests
    import requests.exceptions
    from ovh.oauth2 import OAuth2
except ImportError:
    pass  # _client.HAS_OVH says so; nothing here is called without python-ovh

from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError


def build_ovh_client(name, base_url, creds, timeout):
    """A python-ovh Client that talks to base_url with exactly these credentials.

    ovh.Client.__init__ is deliberately not used: it would fill every value passed as None from OVH_* and
    the config files, which docs/design.md section 7 forbids when options are set, and it accepts only endpoint
    names. raw_call() only needs the attributes set here (python-ovh 1.x).
    """
    client = ovh.Client.__new__(ovh.Client)
    client._endpoint = base_url
    client._application_key = creds.get("application_key")
    client._application_secret = creds.get("application_secret")
    client._consumer_key = creds.get("consumer_key")
    client._client_id = creds.get("client_id")
    client._client_secret = creds.get("client_secret")
    client._oauth2 = None
    if client._client_id:
        client._oauth2 = OAuth2(client_id=client._client_id, client_secret=client._client_secret, token_url=ovh.client.OAUTH2_TOKEN_URLS[name])
    client._time_delta = None
    client._session = requests.Session()
    client._timeout = timeout
    return client


def transport_error(exc, method, path, route, base_url):
    """The OvhApiError of a request that got no answer (a write's outcome is then unknown)."""
    kind = transport_kind(exc)
    if method != "GET":
        return OvhApiError(
            "The response to this write was lost (%s): it may or may not have been applied" % kind,
            error_code="OUTCOME_UNKNOWN",
            method=method,
            path=path,
            route=route,
            hint="Re-read the state of the resource before doing anything else; it was not re-sent",
            outcome_unknown=True,
        )
    code = "TIMEOUT" if isinstance(exc, requests.exceptions.Timeout) else "CONNECTION_ERROR"
    if isinstance(exc, requests.exceptions.SSLError):
        hint = (
            "The TLS connection to %s failed (certificate or protocol): check the endpoint URL and the CA bundle "
            "(REQUESTS_CA_BUNDLE) of the host running the module" % base_url
        )
    else:
        hint = "Check the network path to %s and api_timeout" % base_url
    return OvhApiError("No answer from the API (%s)" % kind, error_code=code, method=method, path=path, route=route, hint=hint)


def transport_permanent(exc):
    """Transport failures that a retry cannot cure."""
    return isinstance(
        exc,
        (
            requests.exceptions.SSLError,
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
            requests.exceptions.TooManyRedirects,
        ),
    )


def transport_kind(exc):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection error: %s" % type(exc).__name__
    return type(exc).__name__


def retriable_status(status):
    return status == 429 or (status is not None and status >= 500)


def retry_after_seconds(response):
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def with_attempts(error, attempts, waited):
    if attempts > 1:
        error.message = "%s (gave up after %d attempts and %.1f s of waiting between them)" % (error.message.rstrip("."), attempts, waited)
    error.args = (error.text(),)  # the message or the hint may have changed since the error was built
    return error
