# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator: request pipeline (auth, access rules, IAM, faults, call counts), admin API and HTTP server.

``Simulator`` is the Python API; the admin HTTP routes under ``/_sim`` call the same methods.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import auth_credentials
from . import emails as email_styles
from .clock import Clock
from .faults import Fault
from .model import DEFAULT_OPTIONS, ModelError, State, load_fixture
from .routes import ROUTES, ApiError, Request, api_error, find_route, http_code, route_by_key
from .signature import compute_signature, signature_matches
from .timeutil import parse_time

API_PREFIX = "/1.0"
ADMIN_PREFIX = "/_sim"
PAGINATION_MODE = "CachedObjectList-Pages"


class Response:
    """What the HTTP layer sends: status, headers, body; or nothing (``drop``) after ``latency`` seconds."""

    def __init__(self, status=200, body=None, content_type="application/json", headers=None, raw=None):
        self.status = status
        self.headers = dict(headers or {})
        self.content_type = content_type
        if raw is not None:
            self.payload = raw.encode("utf-8") if isinstance(raw, str) else raw
        else:
            self.payload = json.dumps(body).encode("utf-8")
        self.drop = False
        self.latency = 0.0


def rule_allows(rules, method, path):
    """OVHcloud access rules: same method, path where ``*`` matches any characters (including ``/``)."""
    for rule in rules:
        if rule.get("method", "").upper() != method:
            continue
        pattern = "^" + ".*".join(re.escape(part) for part in rule.get("path", "").split("*")) + "$"
        if re.match(pattern, path):
            return True
    return False


def iam_allows(allowed, action):
    """IAM policy actions; ``*`` in an allowed action matches any characters."""
    for entry in allowed:
        pattern = "^" + ".*".join(re.escape(part) for part in entry.split("*")) + "$"
        if re.match(pattern, action):
            return True
    return False


def token_fingerprint(body):
    """The 12-digit sha256 prefix of the ``token`` of a JSON request body (a confirmation's), else None: lets the fault
    campaign tell which token each confirmation carried without ever logging a token."""
    try:
        token = json.loads(body).get("token") if body else None
    except (ValueError, AttributeError):
        return None
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12] if isinstance(token, str) and token else None


class Core:
    """State, clock, faults and call counts behind one lock; shared by the Python API and the admin API."""

    def __init__(self, fixture):
        fixture = load_fixture(fixture)
        clock_spec = fixture.get("clock") or {}
        start = parse_time(fixture.get("now")) if fixture.get("now") is not None else None
        self.clock = Clock(start=start, frozen=bool(clock_spec.get("frozen", False)))
        self.lock = threading.RLock()
        self.state = State(fixture, self.clock.now())
        self.faults = []
        self._calls = {}
        self._log = []  # one entry per call: the call log (calls_log) of the fleet benchmark and the fault campaign
        self._query_seq = itertools.count(1)
        self._query_host = "%08x" % secrets.randbits(32)

    # --- shared admin/Python operations ---------------------------------------------------------------

    def calls(self):
        with self.lock:
            return dict(self._calls)

    def reset_calls(self):
        with self.lock:
            self._calls.clear()
            self._log = []

    def calls_log(self):
        """Every call since the start (or the last reset), in arrival order: ``{at, sim_at, method, route, path,
        service, status, dropped, consumer_key_sha256, token_sha256}`` (``at``: real epoch seconds at arrival, for rate
        windows; ``service``: the ``{serviceName}`` of the path, else None; ``status``: what was answered, or None
        when the connection was dropped; the consumer key only as a 12-digit sha256 prefix: test-only data,
        never a secret; ``token_sha256`` likewise for the ``token`` of a JSON body, else None)."""
        with self.lock:
            return [dict(entry) for entry in self._log]

    def add_fault(self, route="*", **spec):
        fault = Fault.from_dict(dict(spec, route=route))
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self):
        with self.lock:
            self.faults = []

    def list_faults(self):
        with self.lock:
            return [fault.to_dict() for fault in self.faults]

    def set_options(self, options):
        unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
        if unknown:
            raise ValueError("unknown option(s): %s" % ", ".join(unknown))
        if "email_link_form" in options and options["email_link_form"] not in email_styles.LINK_FORMS:
            raise ValueError("email_link_form must be one of %s" % ", ".join(email_styles.LINK_FORMS))
        with self.lock:
            self.state.options.update(options)
            return dict(self.state.options)

    def options(self):
        with self.lock:
            return dict(self.state.options)

    def emails(self):
        with self.lock:
            self.state.tick(self.clock.now())
            return self.state.all_emails()

    def snapshot(self):
        with self.lock:
            now = self.clock.now()
            self.state.tick(now)
            result = self.state.snapshot()
            result["clock"] = self.clock.to_dict()
            return result

    def patch_service(self, name, changes):
        with self.lock:
            self.state.tick(self.clock.now())
            return self.state.patch_service(name, changes)

    def mailbox(self, nic):
        with self.lock:
            self.state.tick(self.clock.now())
            return self.state.mailbox_emails(nic)

    def add_email(self, spec, nic=None):
        with self.lock:
            now = self.clock.now()
            self.state.tick(now)
            return self.state.add_email(spec, now, nic)

    def clock_command(self, command):
        """``{"advance": s}``, ``{"set": epoch|ISO}``, ``{"freeze": true}``, ``{"unfreeze": true}``."""
        if "advance" in command:
            self.clock.advance(float(command["advance"]))
        if "set" in command:
            self.clock.set(command["set"])
        if command.get("freeze"):
            self.clock.freeze()
        if command.get("unfreeze"):
            self.clock.unfreeze()
        return self.clock.to_dict()

    # --- the API pipeline ------------------------------------------------------------------------------

    def query_id(self):
        return "EU.ext-1.%s.%d.%s" % (self._query_host, next(self._query_seq), secrets.token_hex(16))

    def _count(self, key):
        self._calls[key] = self._calls.get(key, 0) + 1

    def handle_api(self, method, raw_path, headers, body, host):
        """Answer one API call (``raw_path`` starts with /1.0)."""
        parts = urlsplit(raw_path)
        path = parts.path[len(API_PREFIX) :] or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        route, params = find_route(method, path)
        key = route.key if route else "%s %s" % (method, path)
        fault = None
        entry = {
            "at": round(time.time(), 3),
            "sim_at": round(self.clock.now(), 3),
            "method": method,
            "route": key,
            "path": path,
            "service": (params or {}).get("serviceName") if route else None,
            "status": None,
            "dropped": False,
            "consumer_key_sha256": hashlib.sha256(headers.get("X-Ovh-Consumer").encode("utf-8")).hexdigest()[:12] if headers.get("X-Ovh-Consumer") else None,
            "token_sha256": token_fingerprint(body),
        }
        with self.lock:
            self._count(key)
            self._log.append(entry)
            for candidate in self.faults:
                if candidate.matches(method, route.template if route else path, path):
                    candidate.consume()
                    fault = candidate
                    break
            self.faults = [item for item in self.faults if not item.exhausted]
        latency = float(self.state.options.get("latency") or 0) + (fault.latency if fault else 0.0)
        if latency:
            time.sleep(latency)  # outside the lock: concurrent calls overlap like on the real API
        applies_first = fault is not None and fault.after_apply and not fault.drop
        response = self._fault_response(fault, body) if fault and (fault.status or fault.drop) and not applies_first else None
        if response is None:
            response = self._answer(route, params, method, path, query, headers, body, host, raw_path)
            if fault and fault.drop_after_apply:
                response.drop = True
            elif applies_first and fault.status:
                response = self._fault_response(fault, body)  # e.g. a gateway's 502 after the API applied the write
        response.headers["X-Ovh-QueryID"] = self.query_id()
        entry["dropped"] = bool(getattr(response, "drop", False))
        entry["status"] = None if entry["dropped"] else response.status
        return response

    @staticmethod
    def _fault_response(fault, request_body=""):
        if fault.drop:
            response = Response(200, None)
            response.drop = True
            return response
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.html:
            content_type, text = fault.error_body(request_body)
            return Response(fault.status, content_type=content_type, headers=headers, raw=text)
        body = fault.body
        if body is None:
            body = {"httpCode": http_code(fault.status), "message": fault.message or "Simulated failure"}
            if fault.error_code:
                body["errorCode"] = fault.error_code
            if fault.echo_body:
                body["message"] += " " + (request_body or "")
                body["details"] = {"body": request_body or ""}
        return Response(fault.status, body, headers=headers)

    def _answer(self, route, params, method, path, query, headers, body, host, raw_path):
        try:
            with self.lock:
                now = self.clock.now()
                self.state.tick(now)
                if route is None:
                    raise api_error(
                        404 if params is None else 405, "Got an invalid (or empty) URL" if params is None else "Method %s not allowed on %s" % (method, path)
                    )
                json_body = None
                if body:
                    try:
                        json_body = json.loads(body)
                    except ValueError:
                        raise api_error(400, "Invalid JSON received") from None
                req = Request(self.state, method, path, query, body, json_body, headers, now)
                req.params = params
                self._authenticate(req, route, "http://%s%s" % (host, raw_path))
                result, extra = self._run(route, req)
                return Response(200, result, headers=extra)
        except ApiError as err:
            return Response(err.status, err.body, headers=err.headers)

    def _authenticate(self, req, route, full_url):
        headers = req.headers
        if not route.signed:
            return
        app_key = headers.get("X-Ovh-Application")
        app = self.state.applications.get(app_key or "")
        if app is None:
            raise api_error(403, "This application key is invalid", "INVALID_KEY")
        consumer_key = headers.get("X-Ovh-Consumer")
        timestamp = headers.get("X-Ovh-Timestamp")
        signature = headers.get("X-Ovh-Signature")
        if not consumer_key or not timestamp or not signature:
            raise api_error(401, "You must login first", "NOT_CREDENTIAL")
        try:
            stamp = int(timestamp)
        except ValueError:
            raise api_error(400, "Query out of time", "QUERY_TIME_OUT") from None
        if abs(stamp - req.now) > float(self.state.options["timestamp_tolerance"]):
            raise api_error(400, "Query out of time", "QUERY_TIME_OUT")
        expected = compute_signature(app["applicationSecret"], consumer_key, req.method, full_url, req.body, timestamp)
        if not signature_matches(expected, signature):
            raise api_error(400, "Invalid signature", "INVALID_SIGNATURE")
        cred = self.state.credentials.get(consumer_key)
        if cred is None or cred.application_key != app_key or cred.effective_status(req.now) != "validated":
            raise api_error(403, "This credential is not valid", "INVALID_CREDENTIAL")
        req.credential = cred
        req.account = cred.account
        needs_rule = route.template != "/auth/currentCredential" or self.state.options["current_credential_needs_rule"]
        if needs_rule and not rule_allows(cred.rules, req.method, req.path):
            raise api_error(403, "This call has not been granted", "NOT_GRANTED_CALL")
        account = cred.account
        if account.iam_enabled and route.iam and not iam_allows(account.iam_allowed, route.iam):
            if self.state.options.get("iam_refusal_key") == "authentication":
                details = {"unauthorizedActionsByAuthentication": route.iam, "unauthorizedActionsByIAM": ""}
            else:
                details = {"unauthorizedActionsByIAM": route.iam}
            raise ApiError(403, {"class": "Client::Forbidden", "message": "User not granted for this request", "details": details})

    def _run(self, route, req):
        """Run the handler; expand lists into objects when asked with X-Pagination-Mode."""
        result = route.handler(req)
        mode = req.headers.get("X-Pagination-Mode")
        if not (route.item and mode == PAGINATION_MODE and self.state.options.get("pagination")):
            return result, {}
        item_key, item_template = route.item
        item_route = route_by_key("GET " + item_template)
        objects = [item_route.handler(req.for_item(**{item_key: str(item_id)})) for item_id in result]
        try:
            size = int(req.headers.get("X-Pagination-Size") or max(len(objects), 1))
            number = int(req.headers.get("X-Pagination-Number") or 1)
        except ValueError:
            raise api_error(400, "Invalid pagination headers") from None
        if size < 1 or number < 1:
            raise api_error(400, "Invalid pagination headers")
        page = objects[(number - 1) * size : number * size]
        return page, {"X-Pagination-Elements": str(len(objects)), "X-Pagination-Size": str(size), "X-Pagination-Number": str(number)}

    # --- admin API ---------------------------------------------------------------------------------------

    def handle_admin(self, method, raw_path, body):
        parts = urlsplit(raw_path)
        path = parts.path[len(ADMIN_PREFIX) :] or "/"
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return Response(400, {"message": "Invalid JSON"})
        handler = ADMIN_ROUTES.get((method, path))
        if handler is None and method == "POST" and path.startswith("/services/"):
            handler = _admin_patch_service(unquote(path[len("/services/") :]))
        if handler is None and path.startswith("/credentials"):
            handler = auth_credentials.admin_handler(method, path)
        if handler is None and method == "GET" and path.startswith("/mailboxes/"):
            handler = _admin_mailbox(unquote(path[len("/mailboxes/") :]))
        if handler is None:
            return Response(404, {"message": "Unknown admin route %s %s" % (method, path)})
        try:
            return Response(200, handler(self, data))
        except (ModelError, ValueError, TypeError, KeyError) as err:
            return Response(400, {"message": str(err)})


def _admin_add_faults(core, data):
    specs = data if isinstance(data, list) else [data]
    added = []
    for spec in specs:
        spec = dict(spec)
        added.append(core.add_fault(spec.pop("route", "*"), **spec).to_dict())
    return added


def _admin_patch_service(name):
    return lambda core, data: core.patch_service(name, data)


auth_credentials.register(ROUTES)  # POST /auth/credential (tests/simulator/auth_credentials.py)


def _admin_mailbox(nic):
    return lambda core, data: core.mailbox(nic)


ADMIN_ROUTES = {
    ("GET", "/calls"): lambda core, data: core.calls(),
    ("DELETE", "/calls"): lambda core, data: core.reset_calls() or {},
    ("GET", "/calls/log"): lambda core, data: core.calls_log(),
    ("GET", "/clock"): lambda core, data: core.clock.to_dict(),
    ("POST", "/clock"): lambda core, data: core.clock_command(data),
    ("GET", "/faults"): lambda core, data: core.list_faults(),
    ("POST", "/faults"): _admin_add_faults,
    ("DELETE", "/faults"): lambda core, data: core.clear_faults() or [],
    ("GET", "/options"): lambda core, data: core.options(),
    ("POST", "/options"): lambda core, data: core.set_options(data),
    ("GET", "/state"): lambda core, data: core.snapshot(),
    ("GET", "/emails"): lambda core, data: core.emails(),
    ("POST", "/emails"): lambda core, data: core.add_email(data, data.pop("account", None)),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # one buffered write per response (flushed by the base class)
    disable_nagle_algorithm = True

    def version_string(self):
        return "ovh-api-simulator"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        core = self.server.core
        if self.path.startswith(ADMIN_PREFIX + "/") or self.path == ADMIN_PREFIX:
            response = core.handle_admin(self.command, self.path, body)
        elif self.path.startswith(API_PREFIX + "/"):
            response = core.handle_api(self.command, self.path, self.headers, body, self.headers.get("Host", ""))
        else:
            response = Response(404, {"message": "Got an invalid (or empty) URL"})
            response.headers["X-Ovh-QueryID"] = core.query_id()
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status, http_code(response.status).split(" ", 1)[1])
        self.send_header("Content-Type", response.content_type + "; charset=utf-8")
        self.send_header("Content-Length", str(len(response.payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.payload)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of concurrent calls in benchmarks

    def __init__(self, address, core, verbose=False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # --host ::1
        super().__init__(address, _Handler)
        self.core = core
        self.verbose = verbose


class Simulator:
    """The OVHcloud API simulator. ``with Simulator(fixture) as sim:`` starts it on 127.0.0.1."""

    def __init__(self, fixture="unit", host="127.0.0.1", port=0, verbose=False):
        self.core = Core(fixture)
        self._address = (host, port)
        self._verbose = verbose
        self._server = None
        self._thread = None

    # lifecycle
    def start(self):
        if self._server is None:
            self._server = _Server(self._address, self.core, self._verbose)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="ovh-simulator", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def serve_forever(self):
        self._server = _Server(self._address, self.core, self._verbose)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # addresses
    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def base_url(self):
        host = self._server.server_address[0]
        return "http://%s:%d" % ("[%s]" % host if ":" in host else host, self.port)

    @property
    def url(self):
        return self.base_url + API_PREFIX

    @property
    def admin_url(self):
        return self.base_url + ADMIN_PREFIX

    # shared with the admin API
    @property
    def clock(self):
        return self.core.clock

    @property
    def state(self):
        return self.core.state

    @property
    def lock(self):
        return self.core.lock

    def add_fault(self, route="*", **spec):
        return self.core.add_fault(route, **spec)

    def clear_faults(self):
        self.core.clear_faults()

    def faults(self):
        return self.core.list_faults()

    def calls(self):
        return self.core.calls()

    def reset_calls(self):
        self.core.reset_calls()

    def calls_log(self):
        return self.core.calls_log()

    def set_option(self, name, value):
        return self.core.set_options({name: value})

    def set_options(self, **options):
        return self.core.set_options(options)

    def options(self):
        return self.core.options()

    def emails(self):
        return self.core.emails()

    def mailbox(self, nic):
        """The e-mails delivered to ``nic`` (an admin contact that may not be an account), with tokens: test-only."""
        return self.core.mailbox(nic)

    def snapshot(self):
        return self.core.snapshot()

    def patch_service(self, name, **changes):
        """E.g. ``sim.patch_service("pcc-1", dedicatedCloud={"state": "upgrading"}, expired=True)``."""
        return self.core.patch_service(name, changes)

    def add_email(self, nic=None, **spec):
        """Deliver an e-mail now: ``subject``/``body``, or ``termination={"service": ..., "token": ...}``."""
        return self.core.add_email(spec, nic)

    def service(self, name):
        """The model object of a service (hold ``sim.lock`` while changing it)."""
        return self.core.state.find_service(name)
