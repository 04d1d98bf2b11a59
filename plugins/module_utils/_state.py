# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a service's termination state: the one way every module, the inventory plugin and the role read it.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _routes, _client (OvhApiError), _time, _termination_errors, the pure rooms _emails, _billing and
_status, and _recipient (who gets the e-mail: one ``GET /me`` per client); the request records come in as an
argument (a ``RequestRecords``), never imported.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._billing import billing_window
from ansible_collections.ovhcloud.mbm.plugins.module_utils._emails import (
    DEFAULT_LOOKBACK_HOURS,
    DEFAULT_SCAN_LIMIT,
    EmailScanner,
    email_evidence_problem,
    termination_emails,
)
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._recipient import adjust_decision, email_recipient, read_account
from ansible_collections.ovhcloud.mbm.plugins.module_utils._status import EMAIL_WAIT_SECONDS, REMOVAL_STATES, decide_status
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError, api_failure
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time


class Settings(object):
    """Options that shape how the state is read and judged (docs/design.md sections 5 and 5b)."""

    def __init__(
        self,
        email_lookback_hours=DEFAULT_LOOKBACK_HOURS,
        billing_window="warn",
        request_from_day=25,
        confirm_from_day=25,
        billing_timezone="UTC",
        email_wait=EMAIL_WAIT_SECONDS,
        email_scan_limit=DEFAULT_SCAN_LIMIT,
    ):
        if email_lookback_hours is None or email_lookback_hours < 72:
            raise TerminationError(
                "invalid", "email_lookback_hours must be at least 72 (the validity of a termination link), not %r." % (email_lookback_hours,)
            )
        self.email_lookback_hours = email_lookback_hours
        if email_scan_limit is None or email_scan_limit < 1:
            raise TerminationError("invalid", "email_scan_limit must be at least 1 e-mail, not %r." % (email_scan_limit,))
        self.email_scan_limit = email_scan_limit
        self.billing_mode = billing_window
        self.request_from_day = request_from_day
        self.confirm_from_day = confirm_from_day
        self.billing_timezone = billing_timezone
        self.email_wait = email_wait
        try:  # validate once, early, before any call
            self.window(0, "request")
            self.window(0, "confirm")
        except ValueError as err:
            raise TerminationError("invalid", str(err))

    @classmethod
    def from_params(cls, params):
        return cls(
            email_lookback_hours=params.get("email_lookback_hours", DEFAULT_LOOKBACK_HOURS),
            billing_window=params.get("billing_window") or "warn",
            request_from_day=params.get("request_from_day", 25),
            confirm_from_day=params.get("confirm_from_day", 25),
            billing_timezone=params.get("billing_timezone") or "UTC",
            email_scan_limit=params.get("email_scan_limit", DEFAULT_SCAN_LIMIT),
        )

    def scanner(self, client, list_max_age=0):
        """A new ``EmailScanner`` with these settings (share it between the reads of one run); ``list_max_age``: see
        ``EmailScanner`` (read-only runs only)."""
        return EmailScanner(client, self.email_lookback_hours, self.email_scan_limit, list_max_age=list_max_age)

    def window(self, now, action):
        from_day = self.confirm_from_day if action == "confirm" else self.request_from_day
        return billing_window(now, self.billing_timezone, from_day, self.billing_mode, action)


class TerminationState(object):
    """What was read about one service and the status decided from it. Holds a token privately (through the
    ``TerminationEmail`` of a ``termination_requested`` status); ``result()`` never includes it."""

    def __init__(self, service_name, now, dedicated_cloud, service_infos, service, dedicated_cloud_error=None):
        self.service_name = service_name
        self.now = now
        self.dedicated_cloud = dedicated_cloud
        self.service_infos = service_infos
        self.service = service
        self.dedicated_cloud_error = dedicated_cloud_error
        self.dedicated_cloud_exc = None
        self.emails = []
        self.emails_read = False
        self.history = []  # every e-mail the scan read (for a token given by hand)
        self.email_scan = None  # EmailScanner.scan_info()
        self.email_problem = None  # why the e-mail evidence cannot decide (email_evidence_problem)
        self.email_problem_tolerated = False
        self.record = {}
        self.decision = {}
        self.recipient = {"admin_contact": None, "account": None, "visible": None}

    @property
    def service_id(self):
        for source in (self.service_infos, self.service):
            if isinstance(source, dict) and source.get("serviceId") is not None:
                return int(source["serviceId"])
        return None

    @property
    def status(self):
        return self.decision.get("status")

    @property
    def product_reference(self):
        return (self.dedicated_cloud or {}).get("productReference")

    @property
    def email(self):
        """The ``TerminationEmail`` whose token is valid now (termination_requested), else None."""
        return self.decision.get("email")

    @property
    def request_overdue(self):
        return bool(self.decision.get("request_overdue"))

    @property
    def awaiting_token(self):
        """A request was made and its token can only come by hand (the e-mail goes to another NIC)."""
        return bool(self.decision.get("awaiting_token"))

    @property
    def retry_after_unknown(self):
        """``{first_query_id, first_sent_at, email_id}`` when the recorded confirmation is the one retry after an unknown
        outcome, else None."""
        confirm = (self.record or {}).get("confirm") or {}
        retry_of = confirm.get("retry_of")
        return dict(retry_of) if confirm.get("retry") and isinstance(retry_of, dict) else None

    def decide(self, settings):
        decision = decide_status(
            {
                "service_name": self.service_name,
                "dedicated_cloud": self.dedicated_cloud,
                "dedicated_cloud_error": self.dedicated_cloud_error,
                "service_infos": self.service_infos,
                "service": self.service,
                "emails": self.emails,
                "record": self.record,
                "email_problem": self.email_problem,
                "email_problem_tolerated": self.email_problem_tolerated,
            },
            self.now,
            email_wait=settings.email_wait,
            lookback_hours=settings.email_lookback_hours,
        )
        self.decision = adjust_decision(decision, self.record, self.recipient, self.service, self.now, settings.email_lookback_hours, self.service_name)
        return self.decision

    def window(self, settings, action=None):
        if action is None:
            action = "confirm" if self.status == "termination_requested" else "request"
        return settings.window(self.now, action)

    def record_summary(self):
        """The request record without anything secret (it holds none): request and confirm sections."""
        if not self.record:
            return None
        summary = {}
        for key in ("request", "confirm"):
            if self.record.get(key):
                # the token's fingerprint stays in the file: it only serves to retry with the same token
                summary[key] = {name: value for name, value in self.record[key].items() if name != "token_sha256"}
        return summary

    def result(self, settings, action=None):
        """The ``termination`` dict (docs/architecture.md)."""
        decision = self.decision
        return {
            "status": decision.get("status"),
            "service_name": self.service_name,
            "service_id": self.service_id,
            "requested_at": format_time(decision.get("requested_at")),
            "token_expires_at": format_time(decision.get("token_expires_at")),
            "email_id": decision.get("email_id"),
            "deletion_date": format_time(decision.get("deletion_date")),
            "reason": decision.get("reason"),
            "checked_at": format_time(self.now),
            "billing_window": self.window(settings, action),
            "request_record": self.record_summary(),
            "request_overdue": self.request_overdue,
            "email_scan": self.email_scan,
            "email_recipient": dict(self.recipient),
            "awaiting_token": self.awaiting_token,
            "retry_after_unknown": self.retry_after_unknown,
            "api": {
                "dedicated_cloud": self.dedicated_cloud,
                "service_infos": self.service_infos,
                "service": self.service,
                "emails": [email.summary() for email in self.emails],
            },
        }


def _get_or_error(client, template, statuses, doing, **params):
    """GET; an ``OvhApiError`` whose status is in ``statuses`` is returned as ``(None, error)``."""
    try:
        return client.get(template, **params), None
    except OvhApiError as err:
        if err.status in statuses:
            return None, err
        raise api_failure(err, doing)


def _read_service_entry(client, service_name, service_id):
    """The ``/services/{id}`` entry of the service, or None when /services has none. With the serviceId of its
    serviceInfos it is read directly (as the control panel does, docs/api-assumptions.md); without, it is looked up
    by ``resourceName``."""
    if service_id is not None:
        entry, dummy = _get_or_error(client, routes.SERVICES_ITEM, (404,), "Could not read /services/%s" % service_id, serviceId=service_id)
        if not isinstance(entry, dict):
            return None
        named = (entry.get("resource") or {}).get("name")
        return entry if named in (None, service_name) else None  # an entry of another resource is not this service's
    ids, dummy = _get_or_error(client, routes.SERVICES, (404,), "Could not look %s up in /services" % service_name, query={"resourceName": service_name})
    ids = [int(i) for i in ids or []]
    if service_id is not None:
        # serviceInfos named the id: only that entry is this service (another id could say "deleted").
        ids = [service_id] if service_id in ids else []
    for candidate in ids:
        entry, dummy = _get_or_error(client, routes.SERVICES_ITEM, (404,), "Could not read /services/%s" % candidate, serviceId=candidate)
        if not isinstance(entry, dict):
            continue
        if service_id is not None:
            return entry
        # No serviceInfos (404/460): the entry must name the service, or a look-alike could read as "terminated".
        if (entry.get("resource") or {}).get("name") == service_name:
            return entry
    return None


def _shared_service(client, service_name):
    factory = getattr(client, "run_shared_for", None)
    return factory("service", service_name) if factory is not None else None


def forget_service_reads(client, service_name):
    """Before a write: the shared reads of the service, and the shared e-mail id list, are out of date."""
    shared = _shared_service(client, service_name)
    if shared is not None:
        shared.put("reads", None)
    run_shared = getattr(client, "run_shared", None)
    if run_shared is not None:
        run_shared.put("email_ids", None)


def read_service_facts(client, service_name, now=None, shared_max_age=0):
    """Read the service, its serviceInfos and its /services entry (no e-mails); a TerminationState without a
    decision. 404 and 460 are kept as evidence, any other error raises TerminationError. ``shared_max_age`` (check
    mode only) lets the reads of another module run of the same ``run_id`` serve when younger than that."""
    now = client.now() if now is None else now
    shared = _shared_service(client, service_name)
    reads = shared.get("reads", shared_max_age) if shared is not None and shared_max_age else None
    if isinstance(reads, dict) and isinstance(reads.get("dedicated_cloud"), dict) and isinstance(reads.get("service_infos"), dict):
        return TerminationState(service_name, now, reads["dedicated_cloud"], reads["service_infos"], reads.get("service_entry"))
    dc, dc_exc = _get_or_error(client, routes.SERVICE, (404, 460), "Could not read service %s" % service_name, serviceName=service_name)
    infos = None
    if dc_exc is None:
        infos, dc_exc = _get_or_error(
            client, routes.SERVICE_INFOS, (404, 460), "Could not read the serviceInfos of %s" % service_name, serviceName=service_name
        )
    service_id = None
    if isinstance(infos, dict) and infos.get("serviceId") is not None:
        service_id = int(infos["serviceId"])
    entry = _read_service_entry(client, service_name, service_id)
    state = TerminationState(service_name, now, dc, infos, entry, dedicated_cloud_error=dc_exc.status if dc_exc is not None else None)
    state.dedicated_cloud_exc = dc_exc
    if shared is not None and dc_exc is None and isinstance(dc, dict) and isinstance(infos, dict):
        shared.put("reads", {"dedicated_cloud": dc, "service_infos": infos, "service_entry": entry})
    return state


def read_after_confirmation(client, before, settings, records=None, scanner=None, emails_optional=False, warn=None):
    """The state right after an accepted confirmation: the service alone is read again; when it reads a removal state the
    status is ``terminating`` whatever else says, so the serviceInfos and /services entry read under the same lock just
    before the write are passed forward (they only fill in ids and dates). Otherwise everything is read again."""
    try:
        dc = client.get(routes.SERVICE, serviceName=before.service_name)
    except OvhApiError:
        dc = None
    if isinstance(dc, dict) and dc.get("state") in REMOVAL_STATES:
        state = TerminationState(before.service_name, client.now(), dc, before.service_infos, before.service)
        return refresh_decision(client, state, settings, scanner=scanner, records=records, now=state.now, emails_optional=emails_optional, warn=warn)
    return read_termination_state(client, before.service_name, settings, records=records, scanner=scanner, emails_optional=emails_optional, warn=warn)


def _needs_emails(state):
    if state.dedicated_cloud_error is not None:
        return False
    if (state.dedicated_cloud or {}).get("state") in REMOVAL_STATES:
        return False
    return ((state.service or {}).get("resource") or {}).get("state") not in ("toDelete", "deleted")


def refresh_decision(client, state, settings, scanner=None, records=None, now=None, emails_optional=False, warn=None, rescan=True):
    """(Re)read the e-mails and the request record of ``state`` and decide its status again. With
    ``rescan=False`` a scanner that already scanned the history is reused as is (one scan for many services)."""
    state.now = client.now() if now is None else now
    state.recipient = email_recipient(state.service_infos, read_account(client))
    if records is not None:
        state.record = records.load(state.service_name)
        note = records.key_note()
        if note and warn is not None:
            warn(note)
    state.email_problem_tolerated = bool(emails_optional)
    state.email_problem = None
    if _needs_emails(state):
        # A missing serviceId does not skip the scan: named links still match; email_evidence_problem fails closed.
        scanner = scanner or settings.scanner(client)
        try:
            history = scanner.scan(state.now) if rescan else scanner.emails(state.now)
            state.history = history
            state.email_scan = scanner.scan_info()
            state.emails = termination_emails(history, state.service_id, state.service_name, since=state.now - float(settings.email_lookback_hours) * 3600)
            state.emails_read = True
            state.email_problem = email_evidence_problem(state.email_scan, state.emails, state.service_id, settings.email_lookback_hours)
        except TerminationError as err:
            if not emails_optional or err.error is None or err.error.status not in (401, 403):
                raise
            state.emails = []
            state.history = []
            state.emails_read = False
            state.email_problem = "the account's e-mail history is not readable (%s)" % err.error
            if warn is not None:
                warn("The account's e-mail history is not readable (%s); the status is judged without termination e-mails." % err.error)
    try:
        state.decide(settings)
    except TerminationError as err:
        if err.error is None and err.kind in ("not_found", "expired"):
            err.error = state.dedicated_cloud_exc
        if err.kind == "email_unknown":
            err.result = dict(err.result, email_scan=state.email_scan)  # how far the scan went, also when failing closed
        raise
    return state


def read_termination_state(client, service_name, settings=None, records=None, scanner=None, emails_optional=False, warn=None, shared_max_age=0):
    """Read everything about ``service_name`` and decide its termination status (docs/design.md section 5).

    ``settings``: ``Settings`` (defaults when None); ``records``: ``RequestRecords`` or None (no record);
    ``scanner``: an ``EmailScanner`` to share between services (one history scan for a whole account).
    Raises TerminationError: not_found, expired, busy (fail closed), api (any other API error)."""
    settings = settings or Settings()
    state = read_service_facts(client, service_name, shared_max_age=shared_max_age)
    return refresh_decision(client, state, settings, scanner=scanner, records=records, now=state.now, emails_optional=emails_optional, warn=warn)


def list_services(client, product_references=None, settings=None, records=None, warn=None):
    """Every service of the account (filtered by ``productReference`` unless ``product_references`` is
    empty or None), as dicts ``{service_name, service, service_infos, service_entry, termination}``; a
    service that fails closed (busy, expired, vanished) gets ``termination: None`` and ``problem``."""
    settings = settings or Settings()
    try:
        names = client.get(routes.SERVICE_LIST)
    except OvhApiError as err:
        raise api_failure(err, "Could not list the account's services")
    scanner = settings.scanner(client)
    wanted = set(product_references or [])
    services = []
    for name in sorted(names or []):
        try:
            state = read_service_facts(client, name)
            if wanted and state.product_reference not in wanted and state.dedicated_cloud is not None:
                continue
            refresh_decision(client, state, settings, scanner=scanner, records=records, now=state.now, warn=warn, rescan=False)
        except TerminationError as err:
            if err.kind == "api":
                raise
            services.append(
                {
                    "service_name": name,
                    "service": None,
                    "service_infos": None,
                    "service_entry": None,
                    "termination": None,
                    "problem": {"kind": err.kind, "message": err.msg},
                }
            )
            continue
        services.append(info_result(state, settings))
    return services


def info_result(state, settings):
    """What ``mbm_info`` returns for one service."""
    return {
        "service_name": state.service_name,
        "service": state.dedicated_cloud,
        "service_infos": state.service_infos,
        "service_entry": state.service,
        "termination": state.result(settings),
    }
