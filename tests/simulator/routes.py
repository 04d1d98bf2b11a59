# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API routes the simulator serves: one table of (method, template, handler, IAM action).

Handlers take a ``Request`` (the authenticated call) and return the decoded JSON body, or raise ``ApiError``.
They run with the state lock held and never sleep.
"""

from __future__ import annotations

import http
import re
from urllib.parse import unquote

from .model import RENEW_FIELDS, TERMINABLE_STATES, TERMINATION_FUTURE_USES, TERMINATION_REASONS
from .timeutil import iso_datetime

_REASONS = {460: "Expired"}


def http_code(status):
    """``"404 Not Found"`` as the API writes it in error bodies."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = _REASONS.get(status, "Error")
    return "%d %s" % (status, phrase)


class ApiError(Exception):
    """An API error answer: status, JSON body and extra headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(body.get("message") if isinstance(body, dict) else str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def api_error(status, message, error_code=None):
    body = {"httpCode": http_code(status), "message": message}
    if error_code:
        body["errorCode"] = error_code
    return ApiError(status, body)


def not_found(key, value):
    return ApiError(404, {"message": "The requested object (%s = %s) does not exist" % (key, value)})


def bad_request(message):
    return api_error(400, message)


class Request:
    """One API call as the handlers see it."""

    def __init__(self, state, method, path, query, body, json_body, headers, now):
        self.state = state
        self.method = method
        self.path = path  # API path without /1.0 and query
        self.query = query  # dict name -> list of values
        self.body = body  # raw text
        self.json = json_body  # decoded body or None
        self.headers = headers
        self.now = now
        self.params = {}
        self.account = None
        self.credential = None
        self.expanding = False  # True while building an X-Pagination-Mode list of objects

    def for_item(self, **params):
        """The same call, for one element of an expanded list."""
        clone = Request(self.state, self.method, self.path, self.query, self.body, self.json, self.headers, self.now)
        clone.params = dict(self.params, **params)
        clone.account = self.account
        clone.credential = self.credential
        clone.expanding = True
        return clone

    @property
    def options(self):
        return self.state.options


class Route:
    """A route template, its handler and the IAM action that governs it."""

    def __init__(self, method, template, handler, iam=None, signed=True, item=None):
        self.method = method
        self.template = template
        self.handler = handler
        self.iam = iam
        self.signed = signed
        self.item = item  # (placeholder name, item template) for list expansion
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.regex = re.compile("^" + pattern + "$")
        self.key = "%s %s" % (method, template)

    def match(self, path):
        found = self.regex.match(path)
        if not found:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


def _ordered(req, ids):
    ids = sorted(ids)
    return list(reversed(ids)) if req.options.get("list_order") == "desc" else ids


# --- helpers -----------------------------------------------------------------------------------------------


def _service(req, allow_expired=False):
    name = req.params["serviceName"]
    service = req.account.services.get(name)
    if service is None or service.deleted:
        raise not_found("serviceName", name)
    if service.expired and not (allow_expired or req.expanding):
        raise ApiError(460, {"message": "This Service is expired"})
    return service


def _int_param(req, name):
    try:
        return int(req.params[name])
    except ValueError:
        raise bad_request("Invalid parameter %s: not an integer" % name) from None


def _datacenter(req):
    service = _service(req)
    dc_id = _int_param(req, "datacenterId")
    if dc_id not in service.datacenters:
        raise not_found("datacenterId", dc_id)
    return service.datacenters[dc_id]


def _body_object(req):
    if req.json is None:
        return {}
    if not isinstance(req.json, dict):
        raise bad_request("Invalid body: a JSON object is expected")
    return {key: value for key, value in req.json.items() if value is not None}


# --- handlers ---------------------------------------------------------------------------------------------


def auth_time(req):
    return int(req.now)


def current_credential(req):
    app = req.state.applications[req.credential.application_key]
    return req.credential.to_api(app["applicationId"], req.now)


def get_me(req):
    return dict(req.account.me)


def list_dedicated_clouds(req):
    return sorted(name for name, svc in req.account.services.items() if not svc.deleted)


def get_dedicated_cloud(req):
    return dict(_service(req).api)


def get_service_infos(req):
    return dict(_service(req, allow_expired=req.options["expired_service_infos_readable"]).service_infos)


def put_service_infos(req):
    service = _service(req)
    body = _body_object(req)
    unknown = sorted(set(body) - {"renew"})
    if unknown:
        raise bad_request("Invalid parameter(s): %s is not writable (only renew)" % ", ".join(unknown))
    renew = body.get("renew")
    if renew is None:
        return None
    if not isinstance(renew, dict):
        raise bad_request("Invalid parameter renew: an object is expected")
    for key, value in renew.items():
        if key not in RENEW_FIELDS:
            raise bad_request("Invalid parameter renew.%s" % key)
        expected = RENEW_FIELDS[key]
        if value is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
            raise bad_request("Invalid parameter renew.%s: %s expected" % (key, expected.__name__))
    if service.removing:
        raise api_error(409, "The service is being deleted")
    if renew.get("deleteAtExpiration") and not service.service_infos.get("canDeleteAtExpiration"):
        raise bad_request("This service cannot be deleted at expiration")
    service.set_renew({key: value for key, value in renew.items() if value is not None})
    return None


def terminate(req):
    service = _service(req)
    if service.removing:
        raise api_error(409, "A termination of this service is already in progress")
    if service.api["state"] not in TERMINABLE_STATES:
        raise api_error(int(req.options["terminate_busy_status"]), "The service cannot be terminated in its current state (%s)" % service.api["state"])
    req.state.request_termination(service, req.now)
    return "Please check your mailbox to confirm the termination of your service %s" % service.name


def confirm_termination(req):
    service = _service(req)
    body = _body_object(req)
    unknown = sorted(set(body) - {"token", "reason", "futureUse", "commentary"})
    if unknown:
        raise bad_request("Invalid parameter(s): %s" % ", ".join(unknown))
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise bad_request("Missing parameter: token")
    if "reason" in body and body["reason"] not in TERMINATION_REASONS:
        raise bad_request("Invalid value for reason: %s is not a valid service.TerminationReasonEnum" % body["reason"])
    if "futureUse" in body and body["futureUse"] not in TERMINATION_FUTURE_USES:
        raise bad_request("Invalid value for futureUse: %s is not a valid service.TerminationFutureUseEnum" % body["futureUse"])
    if "commentary" in body and not isinstance(body["commentary"], str):
        raise bad_request("Invalid value for commentary: a string is expected")
    if service.removing:
        raise api_error(409, "A termination of this service is already in progress")
    problem = req.state.check_token(service, token, req.now)
    if problem:
        raise api_error(int(req.options["token_error_status"]), problem)
    req.state.confirm_termination(service, token, req.now)
    return "The termination of your service %s has been confirmed" % service.name


def list_datacenters(req):
    return _ordered(req, _service(req).datacenters)


def get_datacenter(req):
    return dict(_datacenter(req).api)


def get_datacenter_backup(req):
    return dict(_datacenter(req).backup)


def list_vms(req):
    return _ordered(req, _datacenter(req).vms)


def get_vm(req):
    datacenter = _datacenter(req)
    vm_id = _int_param(req, "vmId")
    if vm_id not in datacenter.vms:
        raise not_found("vmId", vm_id)
    return datacenter.vms[vm_id]


def list_datacenter_filers(req):
    return _ordered(req, _datacenter(req).filers)


def get_datacenter_filer(req):
    datacenter = _datacenter(req)
    filer_id = _int_param(req, "filerId")
    if filer_id not in datacenter.filers:
        raise not_found("filerId", filer_id)
    return datacenter.filers[filer_id]


def list_filers(req):
    return _ordered(req, _service(req).filers)


def get_filer(req):
    service = _service(req)
    filer_id = _int_param(req, "filerId")
    if filer_id not in service.filers:
        raise not_found("filerId", filer_id)
    return service.filers[filer_id]


def list_repositories(req):
    return _ordered(req, _service(req).repositories)


def get_repository(req):
    service = _service(req)
    repo_id = _int_param(req, "repositoryId")
    if repo_id not in service.repositories:
        raise not_found("repositoryId", repo_id)
    return service.repositories[repo_id]


def list_emails(req):
    return _ordered(req, [mail["id"] for mail in req.account.emails])


def get_email(req):
    email_id = _int_param(req, "emailId")
    mail = req.account.email(email_id)
    if mail is None:
        raise not_found("id", email_id)
    date = iso_datetime(mail["epoch"], int(req.options.get("email_utc_offset_minutes") or 0))
    return {"id": mail["id"], "date": date, "subject": mail["subject"], "body": mail["body"]}


def list_services(req):
    names = req.query.get("resourceName")
    ids = [svc.service_id for svc in req.account.services.values() if not names or svc.name in names]
    return _ordered(req, ids)


def get_service_entry(req):
    service_id = _int_param(req, "serviceId")
    for service in req.account.services.values():
        if service.service_id == service_id:
            return service.service_entry
    raise not_found("serviceId", service_id)


_DC = "/dedicatedCloud/{serviceName}"
_DCD = _DC + "/datacenter/{datacenterId}"
_PCC = "pccVMware:apiovh:"

ROUTES = [
    Route("GET", "/auth/time", auth_time, signed=False),
    Route("GET", "/auth/currentCredential", current_credential),
    Route("GET", "/me", get_me, iam="account:apiovh:me/get"),
    Route("GET", "/dedicatedCloud", list_dedicated_clouds, iam=_PCC + "get", item=("serviceName", _DC)),
    Route("GET", _DC, get_dedicated_cloud, iam=_PCC + "get"),
    Route("GET", _DC + "/serviceInfos", get_service_infos, iam=_PCC + "serviceInfos/get"),
    Route("PUT", _DC + "/serviceInfos", put_service_infos, iam=_PCC + "serviceInfos/edit"),
    Route("POST", _DC + "/terminate", terminate, iam=_PCC + "terminate"),
    Route("POST", _DC + "/confirmTermination", confirm_termination, iam=_PCC + "confirmTermination"),
    Route("GET", _DC + "/datacenter", list_datacenters, iam=_PCC + "datacenter/get", item=("datacenterId", _DCD)),
    Route("GET", _DCD, get_datacenter, iam=_PCC + "datacenter/get"),
    Route("GET", _DCD + "/backup", get_datacenter_backup, iam=_PCC + "datacenter/backup/get"),
    Route("GET", _DCD + "/vm", list_vms, iam=_PCC + "datacenter/vm/get", item=("vmId", _DCD + "/vm/{vmId}")),
    Route("GET", _DCD + "/vm/{vmId}", get_vm, iam=_PCC + "datacenter/vm/get"),
    Route("GET", _DCD + "/filer", list_datacenter_filers, iam=_PCC + "datacenter/filer/get", item=("filerId", _DCD + "/filer/{filerId}")),
    Route("GET", _DCD + "/filer/{filerId}", get_datacenter_filer, iam=_PCC + "datacenter/filer/get"),
    Route("GET", _DC + "/filer", list_filers, iam=_PCC + "filer/get", item=("filerId", _DC + "/filer/{filerId}")),
    Route("GET", _DC + "/filer/{filerId}", get_filer, iam=_PCC + "filer/get"),
    Route(
        "GET", _DC + "/backupRepository", list_repositories, iam=_PCC + "backupRepository/get", item=("repositoryId", _DC + "/backupRepository/{repositoryId}")
    ),
    Route("GET", _DC + "/backupRepository/{repositoryId}", get_repository, iam=_PCC + "backupRepository/get"),
    Route(
        "GET",
        "/me/notification/email/history",
        list_emails,
        iam="account:apiovh:me/notification/email/history/get",
        item=("emailId", "/me/notification/email/history/{emailId}"),
    ),
    Route("GET", "/me/notification/email/history/{emailId}", get_email, iam="account:apiovh:me/notification/email/history/get"),
    Route("GET", "/services", list_services, iam="account:apiovh:services/get", item=("serviceId", "/services/{serviceId}")),
    Route("GET", "/services/{serviceId}", get_service_entry, iam="account:apiovh:services/get"),
]

_BY_KEY = {route.key: route for route in ROUTES}


def find_route(method, path):
    """Return ``(route, params)``; ``(None, None)`` when no route matches (``(None, {})`` for a wrong method)."""
    path_known = False
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        path_known = True
    return None, ({} if path_known else None)


def route_by_key(key):
    return _BY_KEY.get(key)
