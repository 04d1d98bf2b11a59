# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scripted HTTP exchanges for the client layer tests.

A ScriptedSession replaces the requests session python-ovh sends through. Each expected exchange names
the method, the path (relative to the API base, with its query string) and the JSON body the client must
send, and what to answer (status, headers, body) or which transport exception to raise. Tests end with
``session.assert_done()`` so that no scripted exchange is left over.
"""

from __future__ import annotations

import json
import threading

import requests
from requests.structures import CaseInsensitiveDict

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient

BASE_URL = "https://eu.api.ovh.com/1.0"
ANY = object()


class Exchange:
    def __init__(self, method, path, body=None, status=200, answer=None, headers=None, raw=None, error=None, request_headers=None):
        self.method = method
        self.path = path
        self.body = body
        self.status = status
        self.answer = answer
        self.headers = headers or {}
        self.raw = raw
        self.error = error
        self.request_headers = request_headers or {}


def ex(method, path, answer=None, **kwargs):
    """Shorthand: ex("GET", "/me", {"nichandle": "x"})."""
    return Exchange(method, path, answer=answer, **kwargs)


def time_ex(server_time=1700000000):
    return Exchange("GET", "/auth/time", answer=server_time, headers={"X-Ovh-QueryID": "EU.time"})


def make_response(status, answer=None, headers=None, raw=None):
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(headers or {})
    if raw is not None:
        response._content = raw.encode("utf-8") if isinstance(raw, str) else raw
        response.headers.setdefault("Content-Type", "text/html")
    elif status == 204:
        response._content = b""
    else:
        response._content = json.dumps(answer).encode("utf-8")
        response.headers.setdefault("Content-Type", "application/json")
    response.encoding = "utf-8"
    return response


class ScriptedSession:
    """Stands in for requests.Session; thread-safe so that concurrent list expansion can use it."""

    def __init__(self, exchanges, base_url=BASE_URL, ordered=True):
        self.base_url = base_url
        self.expected = list(exchanges)
        self.sent = []
        self.ordered = ordered
        self._lock = threading.Lock()

    def request(self, method, url, headers=None, data=None, timeout=None):
        assert url.startswith(self.base_url), url
        path = url[len(self.base_url) :]
        body = json.loads(data) if data else None
        with self._lock:
            self.sent.append({"method": method, "path": path, "body": body, "headers": dict(headers or {}), "timeout": timeout})
            exchange = self._match(method, path)
        assert exchange.body is ANY or body == exchange.body, "%s %s: sent body %r, expected %r" % (method, path, body, exchange.body)
        for name, value in exchange.request_headers.items():
            assert (headers or {}).get(name) == value, "%s %s: header %s=%r, expected %r" % (method, path, name, (headers or {}).get(name), value)
        if exchange.error is not None:
            raise exchange.error
        return make_response(exchange.status, exchange.answer, exchange.headers, exchange.raw)

    def _match(self, method, path):
        assert self.expected, "unexpected request %s %s (nothing left in the script)" % (method, path)
        if self.ordered:
            exchange = self.expected.pop(0)
            assert (exchange.method, exchange.path) == (method, path), "sent %s %s, expected %s %s" % (method, path, exchange.method, exchange.path)
            return exchange
        for index, exchange in enumerate(self.expected):
            if (exchange.method, exchange.path) == (method, path):
                return self.expected.pop(index)
        raise AssertionError("unexpected request %s %s" % (method, path))

    def assert_done(self):
        left = ["%s %s" % (e.method, e.path) for e in self.expected]
        assert not left, "scripted exchanges left over: %s" % left


class FakeTime:
    """An injectable clock and sleep: sleeping advances the clock and is recorded."""

    def __init__(self, start=1000.0):
        self.now = float(start)
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


CREDS = dict(application_key="AK0123", application_secret="AS-secret-value", consumer_key="CK-secret-value")


def scripted_client(exchanges, tmp_path, fake_time=None, ordered=True, **kwargs):
    """An OvhClient on ovh-eu whose HTTP goes to a ScriptedSession; rate limit off unless asked."""
    fake_time = fake_time or FakeTime()
    options = dict(CREDS)
    options.update(
        endpoint="ovh-eu",
        api_rate_limit=0,
        state_dir=str(tmp_path / "state"),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        jitter=lambda: 1.0,
        environ={},
        config_paths=[],
    )
    options.update(kwargs)
    client = OvhClient(**options)
    session = ScriptedSession(exchanges, base_url=client.base_url, ordered=ordered)
    client._ovh._session = session
    return client, session, fake_time
