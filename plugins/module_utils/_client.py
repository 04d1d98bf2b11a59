# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The only code of the collection that talks HTTP to the OVHcloud API: OvhClient, its request pipeline with
bounded retries of reads, per-route call accounting, and list reading (whole-object expansion, one GET per id,
and the completeness-checked list).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

It wraps python-ovh (``ovh.Client.raw_call``). Its rooms: ``_errors`` (the exception, WriteResult, hints),
``_credentials`` (endpoint and credential resolution, docs/design.md section 7), ``_ratelimit`` (the rate limit
shared by every process on the controller), ``_transport`` (building the python-ovh client, transport failures,
Retry-After). Only this file and ``_transport`` touch python-ovh's private attributes.
"""

from __future__ import annotations

import os
import random
import threading
import time
import traceback

try:
    import ovh.exceptions
    import requests.exceptions
except ImportError:
    HAS_OVH = False
    OVH_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_OVH = True
    OVH_IMPORT_ERROR = None

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._credentials import resolve_credentials, resolve_endpoint
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import (
    OvhApiError,
    WriteResult,
    config_error,
    decode_body,
    query_id_of,
    sentence,
    translate_error,
)
from ansible_collections.ovhcloud.mbm.plugins.module_utils._lists import ListReader
from ansible_collections.ovhcloud.mbm.plugins.module_utils._ratelimit import RateLimiter
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import secrets_in
from ansible_collections.ovhcloud.mbm.plugins.module_utils._shared import SharedFacts, prune_runs
from ansible_collections.ovhcloud.mbm.plugins.module_utils._transport import (
    build_ovh_client,
    retriable_status,
    retry_after_seconds,
    transport_error,
    transport_permanent,
    with_attempts,
)

RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 30.0
# Safety net on top of the time budget: full jitter can draw tiny delays many times in a row.
RETRY_MAX_ATTEMPTS = 10
# How long the API clock offset read by one module run serves the others of the controller (GET /auth/time once per
# endpoint and key, not per module run); a wrong one costs one QUERY_TIME_OUT and a re-read.
TIME_DELTA_SHARED_SECONDS = 300

_PLACEHOLDER = routes.PLACEHOLDER


def empty_api_calls():
    """The api_calls dict of a run that sent nothing."""
    return {"total": 0, "by_route": {}, "retries": 0, "retry_wait_seconds": 0.0, "rate_limit_wait_seconds": 0.0}


class _Response:
    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers
        self.data = data
        self.query_id = headers.get("X-Ovh-QueryID")


class OvhClient(ListReader):
    """See docs/architecture.md for the interface."""

    def __init__(
        self,
        endpoint=None,
        application_key=None,
        application_secret=None,
        consumer_key=None,
        client_id=None,
        client_secret=None,
        api_timeout=30,
        api_rate_limit=60,
        api_retry_max_wait=60,
        state_dir=None,
        sleep=time.sleep,
        clock=time.time,
        jitter=random.random,
        rate_limit_window=60.0,
        environ=None,
        config_paths=None,
        run_id=None,
    ):
        if not HAS_OVH:
            raise OvhApiError("The Python library ovh (python-ovh) is required: pip install ovh", error_code="MISSING_LIBRARY")
        for name, value in (("api_timeout", api_timeout), ("api_rate_limit", api_rate_limit), ("api_retry_max_wait", api_retry_max_wait)):
            if value is None or value < 0 or (name == "api_timeout" and value == 0):
                raise config_error("%s must be %s, got %r" % (name, "positive" if name == "api_timeout" else "0 or more", value))
        options = dict(
            application_key=application_key, application_secret=application_secret, consumer_key=consumer_key, client_id=client_id, client_secret=client_secret
        )
        endpoint, creds, self.credential_source = resolve_credentials(endpoint, options, environ, config_paths)
        name, self.base_url = resolve_endpoint(endpoint)
        self.endpoint = endpoint
        self._ovh = build_ovh_client(name, self.base_url, creds, api_timeout)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.retry_max_wait = float(api_retry_max_wait)
        self._lock = threading.Lock()
        self._delta_lock = threading.Lock()
        self._calls = empty_api_calls()
        self.last_query_id = None
        self._limiter = None
        identity = creds.get("consumer_key") or creds.get("client_id")
        # Facts shared with the other module runs of this controller (docs/performance.md), only with a state_dir:
        # ``shared`` holds facts that never change (what each e-mail of the history links to); ``run_shared`` the facts
        # of one run (run_id: the role gives one per play) that do not change during it (clock offset, account, rules).
        shared_key = "%s|%s" % (self.base_url, identity)
        self.shared = SharedFacts(state_dir, shared_key) if state_dir else None
        self._run_key = "%s|run|%s" % (shared_key, run_id)
        self._state_dir = state_dir
        self.run_shared = SharedFacts(state_dir, self._run_key, run=self._run_key) if state_dir and run_id else None
        if self.run_shared is not None and not os.path.isdir(self.run_shared.directory):
            prune_runs(state_dir)  # a new run: the folders of old runs go
        if api_rate_limit:
            self._limiter = RateLimiter(api_rate_limit, "%s|%s" % (self.base_url, identity), state_dir, window=rate_limit_window, clock=clock, sleep=sleep)

    # -- public interface ----------------------------------------------------------------------------

    @property
    def api_calls(self):
        with self._lock:
            calls = dict(self._calls)
            calls["by_route"] = dict(self._calls["by_route"])
        calls["retry_wait_seconds"] = round(calls["retry_wait_seconds"], 3)
        calls["rate_limit_wait_seconds"] = round(calls["rate_limit_wait_seconds"], 3)
        return calls

    def get(self, template, query=None, **path_params):
        """GET a route; return the decoded JSON. Retried on 429, 5xx, timeouts and connection errors."""
        return self._request("GET", template, path_params, query=query).data

    def post(self, template, body=None, secrets=None, **path_params):
        """POST once (never re-sent blindly); return a WriteResult. A failure comes scrubbed of ``secrets`` and the body's."""
        resp = self._request("POST", template, path_params, body=body, secrets=secrets)
        return WriteResult(resp.data, resp.query_id, resp.status)

    def post_unsigned(self, template, body=None, **path_params):
        """POST once without a consumer key (only the application key identifies the caller, as for
        ``POST /auth/credential``); return a WriteResult."""
        resp = self._request("POST", template, path_params, body=body, need_auth=False)
        return WriteResult(resp.data, resp.query_id, resp.status)

    def put(self, template, body=None, secrets=None, **path_params):
        """PUT once (never re-sent blindly); return a WriteResult. Scrubbed like post()."""
        resp = self._request("PUT", template, path_params, body=body, secrets=secrets)
        return WriteResult(resp.data, resp.query_id, resp.status)

    def now(self, refresh=False):
        """The API's clock in epoch seconds: local time plus the offset from GET /auth/time."""
        return time.time() + self._time_delta(refresh)

    def _request(self, method, template, path_params, query=None, body=None, headers=None, need_auth=True, secrets=None):
        path = routes.fill_path(template, path_params, query)
        secrets = list(secrets or []) + secrets_in(body)
        attempts = 0
        waited = 0.0
        resynced = False
        while True:
            attempts += 1
            try:
                response = self._send(method, template, path, body, headers, need_auth)
            except requests.exceptions.RequestException as exc:
                error = transport_error(exc, method, path, template, self.base_url)
                if method != "GET":
                    raise error from None
                if transport_permanent(exc):
                    raise with_attempts(error, attempts, waited) from None  # retrying cannot help (TLS, bad URL)
                delay = self._retry_delay(attempts, waited, None)
                if delay is None:
                    raise with_attempts(error, attempts, waited) from None
                waited += self._wait_retry(delay)
                continue
            except ovh.exceptions.APIError as exc:
                # python-ovh raises these before sending: the OAuth2 token could not be obtained.
                raise OvhApiError(
                    "OAuth2 authentication failed: %s" % exc,
                    error_code="OAUTH2_FAILURE",
                    method=method,
                    path=path,
                    route=template,
                    hint="Check client_id, client_secret and that endpoint is the region of the service account",
                ) from None
            ok, data = decode_body(response)
            if 200 <= response.status_code < 300 and (ok or method != "GET"):
                # A write that succeeded is a success even if its body is not JSON (its content is not used).
                self.last_query_id = query_id_of(response)
                return _Response(response.status_code, response.headers, data)
            error = translate_error(response, method, path, template, secrets)
            if error.error_code == "QUERY_TIME_OUT" and need_auth and not resynced:
                # The server refused a stale timestamp without applying anything: resync the clock, send once more.
                resynced = True
                self._time_delta(refresh=True)
                continue
            if method != "GET" and error.status >= 500:
                error.outcome_unknown = True  # a gateway can answer 5xx after the API applied the write
            if method == "GET" and retriable_status(error.status):
                retry_after = retry_after_seconds(response)
                delay = self._retry_delay(attempts, waited, retry_after)
                if delay is not None:
                    waited += self._wait_retry(delay)
                    continue
                if retry_after is not None and retry_after > self.retry_max_wait - waited:
                    error.hint = (sentence(error.hint) if error.hint else "") + (
                        " The API asked to retry after %.0f s (Retry-After), more than the %.0f s left of api_retry_max_wait: "
                        "run again later or raise api_retry_max_wait" % (retry_after, max(0.0, self.retry_max_wait - waited))
                    )
            raise with_attempts(error, attempts, waited)

    def _send(self, method, template, path, body, headers, need_auth):
        if need_auth and self._ovh._oauth2 is None:
            self._time_delta()  # python-ovh would otherwise fetch it itself, uncounted and unretried
        if self._limiter is not None:
            wait = self._limiter.acquire()
            if wait:
                with self._lock:
                    self._calls["rate_limit_wait_seconds"] += wait
        self._count(method, template)
        return self._ovh.raw_call(method, path, data=body, need_auth=need_auth, headers=dict(headers or {}))

    def _count(self, method, template):
        route = "%s %s" % (method, template)
        with self._lock:
            self._calls["total"] += 1
            self._calls["by_route"][route] = self._calls["by_route"].get(route, 0) + 1

    def _time_delta(self, refresh=False):
        # Replaced under a lock, never reset to None: python-ovh would then fetch it itself, uncounted.
        with self._delta_lock:
            if refresh or self._ovh._time_delta is None:
                if not refresh and self.run_shared is not None:
                    # One GET /auth/time per run for every fork (the others wait for it, then share it).
                    delta = self.run_shared.fetch("time_delta", TIME_DELTA_SHARED_SECONDS, self._read_time_delta)
                else:
                    delta = self._read_time_delta()
                    if self.run_shared is not None:
                        self.run_shared.put("time_delta", delta)
                self._ovh._time_delta = delta
            return self._ovh._time_delta

    def _read_time_delta(self):
        server_time = self._request("GET", routes.AUTH_TIME, {}, need_auth=False).data
        if not isinstance(server_time, (int, float)) or isinstance(server_time, bool):
            raise OvhApiError(
                "GET %s did not return a number" % routes.AUTH_TIME,
                error_code="INVALID_RESPONSE",
                method="GET",
                path=routes.AUTH_TIME,
                route=routes.AUTH_TIME,
            )
        return int(server_time) - int(time.time())

    def _retry_delay(self, attempts, waited, retry_after):
        """Seconds to wait before the next attempt, or None when the budget or attempt cap is spent."""
        remaining = self.retry_max_wait - waited
        if attempts >= RETRY_MAX_ATTEMPTS or remaining <= 0:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= remaining else None
        backoff = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempts - 1))
        return min(remaining, backoff * self._jitter())  # full jitter

    def _wait_retry(self, delay):
        self._sleep(delay)
        with self._lock:
            self._calls["retries"] += 1
            self._calls["retry_wait_seconds"] += delay
        return delay

    def run_shared_for(self, kind, name):
        """The shared facts of one object (``kind``, ``name``) in this run (``run_id``), each in a file of its own so
        that forks working on different services do not wait for each other; None without a run_id."""
        if self.run_shared is None:
            return None
        return SharedFacts(self._state_dir, "%s|%s|%s" % (self._run_key, kind, name), run=self._run_key)

    @property
    def application_key(self):
        """The application key in use (it identifies the application, not a secret; None with OAuth2)."""
        return self._ovh._application_key

    @property
    def record_identity(self):
        """``(base URL, consumer key or else OAuth2 client id)``: what the termination request records are keyed by
        (only hashed into their file names, never stored). Read-only; the one reader of these python-ovh attributes."""
        return self.base_url, self._ovh._consumer_key or self._ovh._client_id
