# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The only code of the collection that talks HTTP to the OVHcloud API.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

It wraps python-ovh (``ovh.Client.raw_call``) and adds what python-ovh lacks: credential resolution that
follows docs/design.md section 7, custom endpoint URLs (the simulator), bounded retries of reads, one exception type
with actionable hints, a client-side rate limit shared by every process on the controller, whole-object
list expansion, and per-route call accounting.
"""

from __future__ import annotations

import configparser
import hashlib
import ipaddress
import json
import os
import random
import re
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode, urlsplit

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX; Ansible controllers are POSIX
    fcntl = None

try:
    import ovh
    import ovh.client
    import ovh.exceptions
    from ovh.oauth2 import OAuth2
    import requests
    import requests.exceptions
except ImportError:
    HAS_OVH = False
    OVH_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_OVH = True
    OVH_IMPORT_ERROR = None

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._routes import access_rule, iam_action  # noqa: F401 (re-exported)


DEFAULT_ENDPOINT = "ovh-eu"
DEFAULT_STATE_DIR = "~/.ansible/ovhcloud_mbm"
OAUTH2_ENDPOINTS = ("ovh-eu", "ovh-ca", "ovh-us")
# Known python-ovh endpoint names, used when python-ovh is absent (for error messages only).
_FALLBACK_ENDPOINT_NAMES = ("ovh-eu", "ovh-us", "ovh-ca", "kimsufi-eu", "kimsufi-ca", "soyoustart-eu", "soyoustart-ca")

AK_FAMILY = ("application_key", "application_secret", "consumer_key")
OAUTH2_FAMILY = ("client_id", "client_secret")
CREDENTIAL_OPTIONS = AK_FAMILY + OAUTH2_FAMILY

PAGINATION_MODE = "CachedObjectList-Pages"
RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 30.0
# Safety net on top of the time budget: full jitter can draw tiny delays many times in a row.
RETRY_MAX_ATTEMPTS = 10

_PLACEHOLDER = routes.PLACEHOLDER


def empty_api_calls():
    """The api_calls dict of a run that sent nothing."""
    return {"total": 0, "by_route": {}, "retries": 0, "retry_wait_seconds": 0.0, "rate_limit_wait_seconds": 0.0}


def endpoint_names():
    if HAS_OVH:
        return tuple(ovh.client.ENDPOINTS)
    return _FALLBACK_ENDPOINT_NAMES


# --------------------------------------------------------------------------------------------------------
# The one exception type
# --------------------------------------------------------------------------------------------------------

class OvhApiError(Exception):
    """Every failure of the client layer: HTTP errors, transport errors and configuration errors."""

    def __init__(self, message, status=None, error_code=None, query_id=None, method=None, path=None, route=None,
                 details=None, hint=None, outcome_unknown=False):
        self.message = message
        self.status = status
        self.error_code = error_code
        self.query_id = query_id
        self.method = method
        self.path = path
        self.route = route
        self.details = details or {}
        self.hint = hint
        # True when this failure of a write (POST/PUT) does not say whether the write was applied: its response
        # was lost (status None), or it was answered with a 5xx, which a proxy or gateway can send after the API
        # applied it. The caller must re-read the state before deciding anything. Always False for reads, for
        # 4xx answers (refused before being applied; a 429 comes from the rate limit in front of the API) and for
        # failures raised before anything was sent.
        self.outcome_unknown = bool(outcome_unknown)
        super().__init__(self.text())

    def text(self):
        parts = []
        if self.method and self.path:
            parts.append("%s %s failed:" % (self.method, self.path))
        if self.status is not None:
            parts.append("HTTP %s%s:" % (self.status, " " + self.error_code if self.error_code else ""))
        parts.append(_sentence(self.message))
        if self.hint:
            parts.append(_sentence(self.hint))
        if self.query_id:
            parts.append("(query id %s)" % self.query_id)
        return " ".join(parts)

    def __str__(self):
        return self.text()

    def to_failure(self):
        return {
            "status": self.status,
            "error_code": self.error_code,
            "message": self.message,
            "query_id": self.query_id,
            "method": self.method,
            "path": self.path,
        }


def _sentence(text):
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _config_error(message):
    return OvhApiError(message, error_code="INVALID_CONFIGURATION")


class WriteResult:
    """What post()/put() return: the decoded body and the X-Ovh-QueryID reports can cite."""

    def __init__(self, data, query_id, status):
        self.data = data
        self.query_id = query_id
        self.status = status

    def __repr__(self):
        return "WriteResult(status=%r, query_id=%r)" % (self.status, self.query_id)


# --------------------------------------------------------------------------------------------------------
# Endpoint and credentials (docs/design.md section 2 and 7)
# --------------------------------------------------------------------------------------------------------

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
    usage = ("endpoint must be one of %s, or the API base URL including /1.0 (https, or http only on "
             "127.0.0.0/8, ::1 or localhost)" % ", ".join(known))
    if "://" not in endpoint:
        raise _config_error("Unknown endpoint %r: %s" % (endpoint, usage))
    parts = urlsplit(endpoint)
    try:
        host = parts.hostname or ""
        if parts.port is not None and parts.port <= 0:  # .port itself raises ValueError on junk
            raise ValueError(parts.port)
    except ValueError:
        raise _config_error("Invalid endpoint URL %r: %s" % (endpoint, usage)) from None
    if parts.username or parts.password or parts.query or parts.fragment or not host:
        raise _config_error("Invalid endpoint URL %r: no user, query or fragment allowed; %s" % (endpoint, usage))
    if parts.scheme == "http" and not _is_loopback(host):
        raise _config_error("Endpoint URL %r uses plain http on a non-loopback host: %s" % (endpoint, usage))
    if parts.scheme not in ("http", "https"):
        raise _config_error("Endpoint URL %r: unsupported scheme; %s" % (endpoint, usage))
    path = parts.path.rstrip("/")
    if not path.endswith("/1.0"):
        raise _config_error("Endpoint URL %r does not end with /1.0: %s" % (endpoint, usage))
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
        raise _config_error(
            "Mixed credentials in %s: %s and %s are both set. Use either application_key/application_secret/"
            "consumer_key or client_id/client_secret (OAuth2), not both" % (source, ", ".join(ak_set), ", ".join(oauth_set)))
    if oauth_set:
        missing = [n for n in OAUTH2_FAMILY if n not in oauth_set]
        if missing:
            raise _config_error("Incomplete OAuth2 credentials in %s: %s is set but %s is missing"
                                % (source, ", ".join(oauth_set), ", ".join(missing)))
        if endpoint not in OAUTH2_ENDPOINTS:
            raise _config_error("OAuth2 (client_id/client_secret) works only with the endpoints %s (python-ovh's "
                                "fixed token URLs), not with %r: use application_key/application_secret/consumer_key"
                                % (", ".join(OAUTH2_ENDPOINTS), endpoint))
        return
    if ak_set:
        missing = [n for n in AK_FAMILY if n not in ak_set]
        if missing:
            raise _config_error("Incomplete credentials in %s: %s is set but %s is missing (an application needs "
                                "application_key and application_secret, and calls are signed with a consumer_key)"
                                % (source, ", ".join(ak_set), ", ".join(missing)))
        return
    raise _config_error("No OVHcloud API credentials: set application_key, application_secret and consumer_key "
                        "(or client_id and client_secret), as module options, or else in the OVH_* environment "
                        "or a python-ovh config file (/etc/ovh.conf, ~/.ovh.conf, ./ovh.conf)")


# --------------------------------------------------------------------------------------------------------
# Client-side rate limit shared by every process on the controller
# --------------------------------------------------------------------------------------------------------

class RateLimiter:
    """At most ``limit`` requests per sliding ``window`` seconds for one key, across processes.

    The send times live in a small JSON file under ``state_dir``, read and written under fcntl.flock, so
    every fork of ansible-playbook (and every thread) that uses the same endpoint and key shares one budget.
    """

    def __init__(self, limit, key, state_dir, window=60.0, clock=time.time, sleep=time.sleep):
        self.limit = int(limit)
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        state_dir = os.path.expanduser(state_dir or DEFAULT_STATE_DIR)
        try:
            os.makedirs(state_dir, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise _config_error("Cannot create state_dir %s for the rate limit file (%s); set state_dir to a "
                                "writable directory, or api_rate_limit=0" % (state_dir, exc.strerror or exc)) from None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]  # the key holds a consumer key: hash it
        self.path = os.path.join(state_dir, "ratelimit-%s.json" % digest)

    def acquire(self):
        """Block until a request may be sent; record it; return the seconds waited."""
        waited = 0.0
        while True:
            wait = self._try_take()
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    def _try_take(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "r+", encoding="utf-8") as handle:
                now = self._clock()
                sent = [t for t in _load_times(handle.read()) if now - self.window < t <= now + self.window]
                if len(sent) >= self.limit:
                    # Free again when the oldest of the last `limit` sends leaves the window.
                    return sent[len(sent) - self.limit] + self.window - now + 0.001
                sent.append(now)
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(sent[-self.limit:]))
                return 0.0
        finally:
            os.close(fd)  # also releases the lock


def _load_times(text):
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError:
        return []  # a torn or foreign file only costs us its history
    return sorted(t for t in data if isinstance(t, (int, float))) if isinstance(data, list) else []


# --------------------------------------------------------------------------------------------------------
# Error translation
# --------------------------------------------------------------------------------------------------------

def _query_id(response):
    return response.headers.get("X-Ovh-QueryID") if response is not None else None


def _decode_body(response):
    """Return (ok, data): ok is False when the body is not JSON (an HTML error page, say)."""
    if response.status_code == 204 or not response.content:
        return True, None
    try:
        return True, response.json()
    except ValueError:
        return False, None


def _short_text(response):
    text = re.sub(r"<[^>]*>", " ", response.text or "")
    text = " ".join(text.split())
    return text[:160]


def translate_error(response, method, path, route):
    """Turn a non-2xx response (or an undecodable body) into an OvhApiError with a hint."""
    status = response.status_code
    qid = _query_id(response)
    ok, body = _decode_body(response)
    if not ok:
        ctype = response.headers.get("Content-Type", "unknown type")
        hint = _status_hint(status, method, route)
        return OvhApiError("The API answered with a non-JSON body (%s): %s" % (ctype, _short_text(response) or "empty"),
                           status=status, error_code="INVALID_RESPONSE", query_id=qid, method=method, path=path,
                           route=route, hint=hint)
    body = body if isinstance(body, dict) else {"message": str(body)}
    error_code = body.get("errorCode") or body.get("class")
    message = body.get("message") or "HTTP %s" % status
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    hint = _error_hint(status, body.get("errorCode"), body.get("class"), details, method, route)
    return OvhApiError(message, status=status, error_code=error_code, query_id=qid, method=method, path=path,
                       route=route, details=details, hint=hint)


def _error_hint(status, code, klass, details, method, route):
    rule = access_rule(method, route)
    if code == "NOT_GRANTED_CALL":
        return "The consumer key lacks an access rule: add the access rule %s to the consumer key (or create a new key with it)" % rule
    if status == 403 and (klass == "Client::Forbidden" or "unauthorizedActionsByIAM" in details):
        actions = details.get("unauthorizedActionsByIAM")
        if isinstance(actions, (list, tuple)):
            actions = ", ".join(str(a) for a in actions)
        if actions:
            return "An IAM policy of the account refuses the action %s: grant the IAM action %s to this identity in a policy" % (actions, actions)
        likely = iam_action(method, route)
        if likely:
            return ("An IAM policy of the account refuses this call (%s), probably the IAM action %s: grant the IAM action %s to this "
                    "identity in a policy" % (rule, likely, likely))
        return "An IAM policy of the account refuses this call (%s); grant the matching IAM action to this identity" % rule
    if code == "INVALID_CREDENTIAL":
        return "The consumer key is not valid or not validated (expired, revoked, or its validation URL was never visited): create and validate a new one"
    if code == "INVALID_KEY":
        return "The application key is unknown on this endpoint: check application_key and that endpoint matches the region where the application was created"
    if code == "NOT_CREDENTIAL":
        return "The call was not signed with a consumer key the API knows: check consumer_key"
    if code == "INVALID_SIGNATURE":
        return "The signature does not match: the application_secret and consumer_key pair is wrong for this application_key"
    if code == "FORBIDDEN":
        return ("The API forbids this call for this account or key (not a missing access rule): check that the service belongs to "
                "the account of the consumer key and that the account may do this, in the control panel")
    if code == "QUERY_TIME_OUT":
        return ("The API refused the request timestamp even after re-reading its clock (GET /auth/time): check the controller's "
                "clock and that nothing between the controller and the API delays requests")
    return _status_hint(status, method, route)


def _status_hint(status, method, route):
    write = method != "GET"
    if status == 400:
        return "The API rejected the request parameters (bad parameters)"
    if status == 401:
        return "The API did not accept the authentication: check the credentials (for OAuth2, client_id and client_secret)"
    if status == 403:
        return "Access refused: check that the consumer key has the access rule %s" % access_rule(method, route)
    if status == 404:
        return "The resource was not found: check the service name or id"
    if status == 409:
        return "The request conflicts with the current state of the resource: re-read its state"
    if status == 460:
        return "The service is expired (suspended for non-renewal): renew it or check its state in the control panel"
    if status == 429:
        return ("The API rate limit was hit: lower api_rate_limit" + ("; this write was not retried: re-read state before retrying" if write else ""))
    if status is not None and status >= 500:
        return "The API had a server error" + ("; the write may or may not have been applied: re-read state before retrying" if write else "")
    return None


# --------------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------------

class _Response:
    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers
        self.data = data
        self.query_id = headers.get("X-Ovh-QueryID")


def _build_ovh_client(name, base_url, creds, timeout):
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
        client._oauth2 = OAuth2(client_id=client._client_id, client_secret=client._client_secret,
                                token_url=ovh.client.OAUTH2_TOKEN_URLS[name])
    client._time_delta = None
    client._session = requests.Session()
    client._timeout = timeout
    return client


class OvhClient:
    """See docs/architecture.md for the interface."""

    def __init__(self, endpoint=None, application_key=None, application_secret=None, consumer_key=None,
                 client_id=None, client_secret=None, api_timeout=30, api_rate_limit=60, api_retry_max_wait=60,
                 state_dir=None, sleep=time.sleep, clock=time.time, jitter=random.random, rate_limit_window=60.0,
                 environ=None, config_paths=None):
        if not HAS_OVH:
            raise OvhApiError("The Python library ovh (python-ovh) is required: pip install ovh",
                              error_code="MISSING_LIBRARY")
        for name, value in (("api_timeout", api_timeout), ("api_rate_limit", api_rate_limit),
                            ("api_retry_max_wait", api_retry_max_wait)):
            if value is None or value < 0 or (name == "api_timeout" and value == 0):
                raise _config_error("%s must be %s, got %r" % (name, "positive" if name == "api_timeout" else "0 or more", value))
        options = dict(application_key=application_key, application_secret=application_secret,
                       consumer_key=consumer_key, client_id=client_id, client_secret=client_secret)
        endpoint, creds, self.credential_source = resolve_credentials(endpoint, options, environ, config_paths)
        name, self.base_url = resolve_endpoint(endpoint)
        self.endpoint = endpoint
        self._ovh = _build_ovh_client(name, self.base_url, creds, api_timeout)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.retry_max_wait = float(api_retry_max_wait)
        self._lock = threading.Lock()
        self._delta_lock = threading.Lock()
        self._calls = empty_api_calls()
        self.last_query_id = None
        self._limiter = None
        if api_rate_limit:
            identity = creds.get("consumer_key") or creds.get("client_id")
            self._limiter = RateLimiter(api_rate_limit, "%s|%s" % (self.base_url, identity), state_dir,
                                        window=rate_limit_window, clock=clock, sleep=sleep)

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

    def post(self, template, body=None, **path_params):
        """POST once (never re-sent blindly); return a WriteResult."""
        resp = self._request("POST", template, path_params, body=body)
        return WriteResult(resp.data, resp.query_id, resp.status)

    def put(self, template, body=None, **path_params):
        """PUT once (never re-sent blindly); return a WriteResult."""
        resp = self._request("PUT", template, path_params, body=body)
        return WriteResult(resp.data, resp.query_id, resp.status)

    def now(self, refresh=False):
        """The API's clock in epoch seconds: local time plus the offset from GET /auth/time."""
        return time.time() + self._time_delta(refresh)

    def list_objects(self, list_template, item_template, item_key, concurrency=4, expand=True, page_size=500,
                     **path_params):
        """Whole objects of a list route, in the API's order.

        First one request with X-Pagination-Mode (the control panel's whole-object mode), paged until
        X-Pagination-Elements; if the API ignores the header (the body is a list of ids), GET each id
        with at most ``concurrency`` requests in flight, keeping the order of the ids.
        """
        if expand:
            objects, ids = self._list_expanded(list_template, path_params, page_size)
            if objects is not None:
                return objects
        else:
            ids = None
        if ids is None:
            ids = self.get(list_template, **path_params)
        if not isinstance(ids, list):
            raise OvhApiError("Expected a list from %s, got %s" % (list_template, type(ids).__name__),
                              error_code="INVALID_RESPONSE", method="GET", path=_fill_path(list_template, path_params),
                              route=list_template, query_id=self.last_query_id)
        return self._get_each(item_template, item_key, ids, path_params, concurrency)

    # -- list helpers --------------------------------------------------------------------------------

    def _list_expanded(self, template, path_params, page_size):
        """Return (objects, None) in whole-object mode, or (None, ids_or_None) when it is not honoured.

        The mode is trusted only when the API follows it fully (a list of objects and X-Pagination-Elements):
        a silently truncated list would hide a VM from the backup gate.
        """
        objects = []
        number = 1
        while True:
            headers = {"X-Pagination-Mode": PAGINATION_MODE, "X-Pagination-Size": str(page_size),
                       "X-Pagination-Number": str(number)}
            try:
                resp = self._request("GET", template, path_params, headers=headers)
            except OvhApiError as exc:
                if exc.status == 400 and number == 1:
                    return None, None  # the header itself was refused: plain listing
                raise
            page = resp.data
            total = _int_header(resp.headers, "X-Pagination-Elements")
            is_objects = isinstance(page, list) and all(isinstance(item, dict) for item in page)
            if number == 1 and (not is_objects or total is None):
                ids = page if isinstance(page, list) and all(isinstance(i, (int, str)) for i in page) else None
                return None, ids  # ids: the API ignored the header and sent the plain list; reuse it
            if not is_objects or (not page and len(objects) < total):
                raise OvhApiError("Page %d of %s ended the list at %d of %s objects; retry with list expansion "
                                  "disabled (one GET per object)" % (number, template, len(objects), total),
                                  error_code="INVALID_RESPONSE", method="GET", path=_fill_path(template, path_params),
                                  route=template, query_id=resp.query_id)
            objects.extend(page)
            if len(objects) >= total:
                return objects, None
            number += 1

    def _get_each(self, item_template, item_key, ids, path_params, concurrency):
        def fetch(item_id):
            params = dict(path_params)
            params[item_key] = item_id
            return self.get(item_template, **params)

        if not ids:
            return []
        workers = max(1, min(int(concurrency or 1), len(ids)))
        if workers == 1:
            return [fetch(item_id) for item_id in ids]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fetch, item_id) for item_id in ids]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()  # stop queued GETs after the first failure
                raise

    # -- the request pipeline ------------------------------------------------------------------------

    def _request(self, method, template, path_params, query=None, body=None, headers=None, need_auth=True):
        path = _fill_path(template, path_params, query)
        attempts = 0
        waited = 0.0
        resynced = False
        while True:
            attempts += 1
            try:
                response = self._send(method, template, path, body, headers, need_auth)
            except requests.exceptions.RequestException as exc:
                error = self._transport_error(exc, method, path, template)
                if method != "GET":
                    raise error from None
                if _transport_permanent(exc):
                    raise _with_attempts(error, attempts, waited) from None  # retrying cannot help (TLS, bad URL)
                delay = self._retry_delay(attempts, waited, None)
                if delay is None:
                    raise _with_attempts(error, attempts, waited) from None
                waited += self._wait_retry(delay)
                continue
            except ovh.exceptions.APIError as exc:
                # python-ovh raises these before sending: the OAuth2 token could not be obtained.
                raise OvhApiError("OAuth2 authentication failed: %s" % exc, error_code="OAUTH2_FAILURE", method=method,
                                  path=path, route=template,
                                  hint="Check client_id, client_secret and that endpoint is the region of the service account") from None
            ok, data = _decode_body(response)
            if 200 <= response.status_code < 300 and (ok or method != "GET"):
                # A write that succeeded is a success even if its body is not JSON (its content is not used).
                self.last_query_id = _query_id(response)
                return _Response(response.status_code, response.headers, data)
            error = translate_error(response, method, path, template)
            if error.error_code == "QUERY_TIME_OUT" and need_auth and not resynced:
                # The server refused a stale timestamp without applying anything: resync the clock, send once more.
                resynced = True
                self._time_delta(refresh=True)
                continue
            if method != "GET" and error.status >= 500:
                error.outcome_unknown = True  # a gateway can answer 5xx after the API applied the write
            if method == "GET" and _retriable_status(error.status):
                retry_after = _retry_after(response)
                delay = self._retry_delay(attempts, waited, retry_after)
                if delay is not None:
                    waited += self._wait_retry(delay)
                    continue
                if retry_after is not None and retry_after > self.retry_max_wait - waited:
                    error.hint = (_sentence(error.hint) if error.hint else "") + (
                        " The API asked to retry after %.0f s (Retry-After), more than the %.0f s left of api_retry_max_wait: "
                        "run again later or raise api_retry_max_wait" % (retry_after, max(0.0, self.retry_max_wait - waited)))
            raise _with_attempts(error, attempts, waited)

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
                server_time = self._request("GET", routes.AUTH_TIME, {}, need_auth=False).data
                if not isinstance(server_time, (int, float)):
                    raise OvhApiError("GET %s did not return a number" % routes.AUTH_TIME, error_code="INVALID_RESPONSE",
                                      method="GET", path=routes.AUTH_TIME, route=routes.AUTH_TIME)
                self._ovh._time_delta = int(server_time) - int(time.time())
            return self._ovh._time_delta

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

    def _transport_error(self, exc, method, path, route):
        kind = _transport_kind(exc)
        if method != "GET":
            return OvhApiError("The response to this write was lost (%s): it may or may not have been applied" % kind,
                               error_code="OUTCOME_UNKNOWN", method=method, path=path, route=route,
                               hint="Re-read the state of the resource before doing anything else; it was not re-sent",
                               outcome_unknown=True)
        code = "TIMEOUT" if isinstance(exc, requests.exceptions.Timeout) else "CONNECTION_ERROR"
        if isinstance(exc, requests.exceptions.SSLError):
            hint = ("The TLS connection to %s failed (certificate or protocol): check the endpoint URL and the CA bundle "
                    "(REQUESTS_CA_BUNDLE) of the host running the module" % self.base_url)
        else:
            hint = "Check the network path to %s and api_timeout" % self.base_url
        return OvhApiError("No answer from the API (%s)" % kind, error_code=code, method=method, path=path,
                           route=route, hint=hint)

    @property
    def record_identity(self):
        """``(base URL, consumer key or else OAuth2 client id)``: what the termination request records are keyed by
        (only hashed into their file names, never stored). Read-only; the one reader of these python-ovh attributes."""
        return self.base_url, self._ovh._consumer_key or self._ovh._client_id


def _transport_permanent(exc):
    """Transport failures that a retry cannot cure."""
    return isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                            requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader,
                            requests.exceptions.TooManyRedirects))


def _transport_kind(exc):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection error: %s" % type(exc).__name__
    return type(exc).__name__


def _retriable_status(status):
    return status == 429 or (status is not None and status >= 500)


def _retry_after(response):
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


def _with_attempts(error, attempts, waited):
    if attempts > 1:
        error.message = "%s (gave up after %d attempts and %.1f s of waiting between them)" % (
            error.message.rstrip("."), attempts, waited)
    error.args = (error.text(),)  # the message or the hint may have changed since the error was built
    return error


def _int_header(headers, name):
    try:
        return int(headers.get(name))
    except (TypeError, ValueError):
        return None


def _fill_path(template, path_params, query=None):
    """Replace {placeholders} with URL-quoted values; append the query string (booleans as true/false)."""
    def value(match):
        name = match.group(1)
        if name not in path_params or path_params[name] is None:
            raise ValueError("Missing path parameter %r for %s" % (name, template))
        return quote(str(path_params[name]), safe="")

    path = _PLACEHOLDER.sub(value, template)
    if query:
        encoded = dict((k, str(v).lower() if isinstance(v, bool) else v) for k, v in query.items() if v is not None)
        if encoded:
            path += "?" + urlencode(encoded)
    return path
