# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every operation shares: the ``Runtime``, the result and failure of an operation, and ``send_write``,
the one path of every write (record it as sending, send it once, settle its outcome, record that).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _client (OvhApiError), _time, _secrets, _termination_errors, _billing and _state.
"""

from __future__ import annotations

import contextlib
import time

from ansible_collections.ovhcloud.mbm.plugins.module_utils._billing import check_billing_window
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import scrub_secret, token_fingerprint
from ansible_collections.ovhcloud.mbm.plugins.module_utils._shared import SERVICE_SHARED_SECONDS
from ansible_collections.ovhcloud.mbm.plugins.module_utils._state import forget_service_reads, read_termination_state, refresh_decision
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time, parse_api_time


class Runtime(object):
    """What an operation needs besides its options: the client, the request records, the settings, check
    mode, a ``warn`` callback and the clocks used for waiting (local, monotonic: the wait is the caller's
    time; dates are judged on the API clock)."""

    def __init__(self, client, settings, records=None, check_mode=False, warn=None, sleep=time.sleep, monotonic=time.monotonic, read_only=False):
        self.client = client
        self.settings = settings
        self.records = records
        self.check_mode = check_mode
        # A run that writes nothing (check mode, mbm_info) may take the e-mail id list another run of the same run_id
        # read less than SHARED_LIST_SECONDS ago; in check mode also a service's reads (SERVICE_SHARED_SECONDS).
        # A write always reads both itself, under its lock.
        self.read_only = check_mode or read_only
        self.warnings = []
        self._warn = warn
        self.sleep = sleep
        self.monotonic = monotonic

    def warn(self, message):
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def write_lock(self, service_name, timeout):
        """The per-service lock of a write operation; none in check mode (nothing is written, no file is made)."""
        if self.check_mode or self.records is None:
            return contextlib.nullcontext()
        return self.records.lock(service_name, timeout, sleep=self.sleep, monotonic=self.monotonic)

    def scanner(self):
        """An ``EmailScanner`` for this run (see ``read_only``)."""
        return self.settings.scanner(self.client, list_max_age=SHARED_LIST_SECONDS if self.read_only else 0)

    def read(self, service_name, scanner=None, emails_optional=False):
        return read_termination_state(
            self.client,
            service_name,
            self.settings,
            records=self.records,
            scanner=scanner or self.scanner(),
            emails_optional=emails_optional,
            warn=self.warn,
            shared_max_age=SERVICE_SHARED_SECONDS if self.check_mode else 0,
        )


SHARED_LIST_SECONDS = 3600
"""How long the e-mail id list read by one module run serves the read-only runs of the same run_id; any write of the run
forgets it (``forget_service_reads``)."""


def _write_entry(method, template, service_name, query_id, at, outcome, retry=False):
    return {
        "method": method,
        "path": template.replace("{serviceName}", service_name),
        "query_id": query_id,
        "at": format_time(at),
        "outcome": outcome,
        "retry": retry,
    }


def _write_outcome(err):
    """``unknown`` when a failed write may have been applied (response lost, or a 5xx that a gateway can send
    after the API did the work), else ``refused``."""
    if err.error_code == "OUTCOME_UNKNOWN" or getattr(err, "outcome_unknown", False):
        return "unknown"
    return "unknown" if err.status is not None and err.status >= 500 else "refused"


def op_result(state, settings, before, after, changed, msg, action, writes=None):
    writes = writes or []
    query_id = None
    for write in writes:
        if write.get("query_id"):
            query_id = write["query_id"]
    return {
        "changed": changed,
        "msg": msg,
        "termination": state.result(settings, action),
        "writes": writes,
        "query_id": query_id,
        "diff": {"before": {"status": before}, "after": {"status": after}},
    }


def op_failure(kind, msg, state, settings, before, action, error=None, writes=None, changed=False):
    result = op_result(state, settings, before, state.status, changed, msg, action, writes)
    del result["msg"]
    return TerminationError(kind, msg, error=error, result=result)


def apply_window(runtime, state, before, action):
    """Check the billing window before a write; a refusal still returns the state read."""
    try:
        check_billing_window(state.window(runtime.settings, action), runtime.warn)
    except TerminationError as err:
        raise op_failure(err.kind, err.msg, state, runtime.settings, before, action)


def await_email(runtime, state, scanner, newer_than, timeout, delay):
    """Poll the e-mail history until a termination e-mail with an id above ``newer_than`` is there for the
    service, the status leaves the request phase, or ``timeout`` seconds pass. Returns the last state and
    whether the e-mail came."""
    deadline = runtime.monotonic() + timeout
    while True:
        refresh_decision(runtime.client, state, runtime.settings, scanner=scanner, records=runtime.records)
        email = state.email
        if email is not None and (newer_than is None or (email.email_id or 0) > newer_than):
            return state, True
        if state.status in ("terminating", "terminated"):
            return state, False
        remaining = deadline - runtime.monotonic()
        if remaining <= 0:
            return state, False
        runtime.sleep(max(0.0, min(float(delay), remaining)))


def reread_after_write(runtime, service_name, writes, **kwargs):
    """Read the state again after a write whose outcome is unknown; a failure still reports the write."""
    try:
        return runtime.read(service_name, **kwargs)
    except TerminationError as err:
        err.result = dict(err.result, writes=writes, changed=True, query_id=None)
        err.msg = "%s (after a write whose outcome is unknown: %s)" % (err.msg, ", ".join("%s %s" % (w["method"], w["path"]) for w in writes))
        raise


def check_mbm(state, settings, before, action, allow_non_mbm):
    """Refuse a readable service that is not a Managed Bare Metal unless ``allow_non_mbm``."""
    if state.product_reference != "MBM" and state.dedicated_cloud is not None and not allow_non_mbm:
        raise op_failure(
            "not_mbm",
            "Service %s is a %s, not a Managed Bare Metal (MBM): refused (set allow_non_mbm to true to terminate it "
            "anyway). Nothing was written." % (state.service_name, state.product_reference),
            state,
            settings,
            before,
            action,
        )


def check_wait(wait_timeout, wait_delay):
    if wait_timeout is None or wait_timeout < 0:
        raise TerminationError("invalid", "wait_timeout must be 0 or more seconds, not %r." % (wait_timeout,))
    if wait_delay is None or wait_delay < 1:
        raise TerminationError("invalid", "wait_delay must be at least 1 second, not %r." % (wait_delay,))


def send_write(runtime, method, template, service_name, section=None, service_id=None, secret=None, body=None, retry=False, **record_values):
    """The one path of every write: record it as ``sending``, send it once, settle its outcome, record that.

    ``section`` (``request`` or ``confirm``) names the request-record section written before the call (a run
    killed during the call reads as unknown) and after it; None writes no record (cancel). ``record_values``
    join the first record write (e.g. ``email_id``). A failed write is scrubbed of ``secret`` before anything
    reads it (the API may quote a token it refuses). ``retry``: this write is the one retry of a write whose
    outcome was unknown (recorded, and carried by the ``writes`` entry). Returns ``(entry, error)``: the
    ``writes`` entry (``outcome`` accepted, refused or unknown; ``retry``) and the ``OvhApiError`` of a failed
    write (None when accepted).
    """
    client = runtime.client
    records = runtime.records if section is not None else None
    sent_at = client.now()
    if records is not None:
        records.update(
            service_name,
            section,
            service_id=service_id,
            sent_at=format_time(sent_at),
            outcome="sending",
            query_id=None,
            updated_at=format_time(sent_at),
            retry=retry,
            **record_values,
        )
    send = client.put if method == "PUT" else client.post
    error = None
    forget_service_reads(client, service_name)  # whatever its outcome, what other runs read of the service is old now
    try:
        response = send(template, body=body, serviceName=service_name)
        query_id = response.query_id
        outcome = "accepted"
    except OvhApiError as err:
        error = scrub_secret(err, secret)
        query_id = err.query_id
        outcome = _write_outcome(err)
    if records is not None:
        records.update(service_name, section, outcome=outcome, query_id=query_id, updated_at=format_time(client.now()))
    return _write_entry(method, template, service_name, query_id, sent_at, outcome, retry=retry), error


UNSETTLED = ("sending", "unknown")


def unsettled_confirm(state, settings):
    """The recorded confirmation whose outcome is not known (``sending``: the run died during the call;
    ``unknown``: the answer was lost or was a 5xx), while it can still matter: within the e-mail lookback and
    not superseded (a new request means a new token: the request marks the confirmation ``superseded``).
    None otherwise."""
    record = state.record or {}
    confirm = record.get("confirm") or {}
    if confirm.get("outcome") not in UNSETTLED or confirm.get("superseded"):
        return None
    sent_at = parse_api_time(confirm.get("sent_at"))
    if sent_at is None or state.now - sent_at >= float(settings.email_lookback_hours) * 3600:
        return None
    # No "a later request ends it" by comparing times: each run's clock is the API's time to about a second, so a
    # request and a confirm a second apart can compare the wrong way. Only the request's explicit mark ends it.
    return confirm


def confirm_retry(state, settings, secret, email_id):
    """Decide whether this confirmation may be sent, after reading the state (a removal that started has already
    settled an unknown confirmation: the caller returned before this).

    Returns None (no unsettled confirmation: a first send), or ``retry_of`` = ``{first_query_id, first_sent_at,
    email_id}`` for the ONE retry allowed, with the same token only (same e-mail id and token fingerprint).
    Raises TerminationError ``outcome_unknown`` for another token, or when the unsettled one was already that
    retry."""
    confirm = unsettled_confirm(state, settings)
    if confirm is None:
        return None
    name = state.service_name
    first = confirm.get("retry_of") if confirm.get("retry") and isinstance(confirm.get("retry_of"), dict) else None
    what = "The confirmation of %s sent at %s (query id %s) has an unknown outcome (recorded %s) and the service still reads %s" % (
        name,
        confirm.get("sent_at"),
        confirm.get("query_id"),
        confirm.get("outcome"),
        state.status,
    )
    if first is not None:
        raise TerminationError(
            "outcome_unknown",
            "%s. It was already the one retry after the unknown outcome of the confirmation sent at "
            "%s (query id %s): no further retry is sent. Check OVHcloud's control panel; if the service is not being "
            "removed, request a new termination (force_new_request) and confirm with its new token. Nothing was sent."
            % (what, first.get("first_sent_at"), first.get("first_query_id")),
        )
    if confirm.get("token_sha256") is None or confirm.get("token_sha256") != token_fingerprint(secret) or confirm.get("email_id") != email_id:
        raise TerminationError(
            "outcome_unknown",
            "%s. Only the same token (e-mail %s) may be sent again, once; this run has %s. Another token "
            "is never tried after an unknown outcome. Check OVHcloud's control panel; if the service is not being removed, "
            "request a new termination (force_new_request) and confirm with its new token. Nothing was sent."
            % (
                what,
                confirm.get("email_id"),
                "a token that cannot be compared (the record holds no fingerprint)"
                if confirm.get("token_sha256") is None
                else "another token"
                if confirm.get("token_sha256") != token_fingerprint(secret)
                else "the same token from another e-mail (%s)" % email_id,
            ),
        )
    return {"first_query_id": confirm.get("query_id"), "first_sent_at": confirm.get("sent_at"), "email_id": confirm.get("email_id")}


def supersede_unsettled_confirm(runtime, service_name, settings, state):
    """After a new terminate: an earlier confirmation of unknown outcome no longer blocks (its token was replaced)."""
    if runtime.records is not None and unsettled_confirm(state, settings) is not None:
        runtime.records.update(service_name, "confirm", superseded=True)


def announce_retry(runtime, state, retry_of):
    """Warn that this confirmation is the one retry after an unknown outcome; returns the words the messages add."""
    if retry_of is None:
        return ""
    runtime.warn(
        "Confirming %s again with the same token: the confirmation sent at %s (query id %s) has an unknown outcome and the service "
        "still reads %s. This is the one retry; no other will be sent."
        % (state.service_name, retry_of["first_sent_at"], retry_of["first_query_id"], state.status)
    )
    return ", the one retry after the unknown outcome of the confirmation sent at %s (query id %s)" % (retry_of["first_sent_at"], retry_of["first_query_id"])


LOCK_MARGIN_SECONDS = 600
"""How much longer than its own e-mail wait a run waits for another run writing for the same service."""
