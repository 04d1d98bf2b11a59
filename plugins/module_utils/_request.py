# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Requesting a termination (module ``mbm_termination_request``): read, decide, record, send once, settle.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._access import preflight
from ansible_collections.ovhcloud.mbm.plugins.module_utils._recipient import hand_token_warning
from ansible_collections.ovhcloud.mbm.plugins.module_utils._runtime import (
    LOCK_MARGIN_SECONDS,
    apply_window,
    await_email,
    check_mbm,
    check_wait,
    op_failure,
    op_result,
    send_write,
    supersede_unsettled_confirm,
)
from ansible_collections.ovhcloud.mbm.plugins.module_utils._state import refresh_decision
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import duration, format_time


def _request_termination(runtime, service_name, allow_non_mbm=False, force_new_request=False, wait_for_email=False, wait_timeout=2400, wait_delay=30):
    """Ask OVHcloud to terminate ``service_name`` when needed (module ``mbm_termination_request``)."""
    client = runtime.client
    settings = runtime.settings
    check_wait(wait_timeout, wait_delay)
    preflight(client, service_name, "request", runtime.warn)
    scanner = runtime.scanner()
    state = runtime.read(service_name, scanner=scanner)
    before = state.status
    action = "request"
    check_mbm(state, settings, before, action, allow_non_mbm)

    if before in ("terminated", "terminating", "termination_scheduled"):
        why = {
            "terminated": "it is already terminated",
            "terminating": "its removal is already running",
            "termination_scheduled": "OVHcloud already deletes it at its expiration (%s); no early termination is needed"
            % format_time(state.decision.get("deletion_date")),
        }[before]
        return op_result(state, settings, before, before, False, "No request sent for %s: %s. %s" % (service_name, why, state.decision["reason"]), action)

    hand = state.recipient.get("visible") is not True  # the e-mail cannot be read with this key: no wait for it
    if before == "request_pending" and not (force_new_request and state.decision.get("pending_source") == "pending_actions"):
        if wait_for_email and not runtime.check_mode and not hand:
            state, arrived = await_email(runtime, state, scanner, None, wait_timeout, wait_delay)
            if not arrived and state.status == "request_pending":
                raise op_failure(
                    "email_timeout",
                    "A request for %s is pending (%s) and no termination e-mail arrived within wait_timeout "
                    "(%d s). Nothing was sent; run again later." % (service_name, state.decision["reason"], wait_timeout),
                    state,
                    settings,
                    before,
                    action,
                )
        if state.awaiting_token:
            runtime.warn(hand_token_warning(service_name, state.recipient, state.decision))
        if state.status != "request_pending":
            return op_result(
                state,
                settings,
                before,
                state.status,
                False,
                "No request sent for %s: the e-mail of the pending request arrived. %s" % (service_name, state.decision["reason"]),
                action,
            )
        return op_result(
            state,
            settings,
            before,
            state.status,
            False,
            "No request sent for %s: a request is already pending and must not be sent twice%s. %s"
            % (
                service_name,
                " (set force_new_request to replace it)" if state.decision.get("pending_source") == "pending_actions" else " within the e-mail wait",
                state.decision["reason"],
            ),
            action,
        )

    if before == "termination_requested" and not force_new_request:
        if state.awaiting_token:
            runtime.warn(hand_token_warning(service_name, state.recipient, state.decision))
        return op_result(
            state,
            settings,
            before,
            before,
            False,
            "No request sent for %s: a termination link is still valid until %s (%s). Set force_new_request "
            "to replace it."
            % (
                service_name,
                format_time(state.decision["token_expires_at"]),
                "e-mail %s" % state.decision["email_id"] if state.decision["email_id"] is not None else "its token is given by hand",
            ),
            action,
        )

    if state.request_overdue and not force_new_request:
        request = (state.record or {}).get("request") or {}
        raise op_failure(
            "outcome_unknown",
            "The outcome of the terminate sent for %s at %s (query id %s, outcome %s) is unknown: no termination "
            "e-mail arrived within %s. Nothing was sent again. Check the account's e-mails and OVHcloud's control panel, "
            "then set force_new_request to send a new request."
            % (service_name, request.get("sent_at"), request.get("query_id"), request.get("outcome"), duration(settings.email_wait)),
            state,
            settings,
            before,
            action,
        )

    apply_window(runtime, state, before, action)
    after = "termination_requested" if wait_for_email or hand else "request_pending"
    if runtime.check_mode:
        return op_result(
            state,
            settings,
            before,
            after,
            True,
            "Would request the termination of %s (status %s). Check mode: nothing was sent." % (service_name, before),
            action,
        )

    newest_before = scanner.newest_id
    entry, err = send_write(runtime, "POST", routes.TERMINATE, service_name, section="request", service_id=state.service_id)
    writes = [entry]
    query_id = entry["query_id"]
    if entry["outcome"] == "refused":
        raise op_failure(
            "api", "OVHcloud refused the termination request for %s: %s" % (service_name, err), state, settings, before, action, error=err, writes=writes
        )
    supersede_unsettled_confirm(runtime, service_name, settings, state)
    if err is not None:
        runtime.warn(
            "The outcome of the terminate for %s is unknown (%s); the request is recorded as pending and will not be sent again "
            "within the e-mail wait." % (service_name, err)
        )

    if wait_for_email and not hand:
        state, arrived = await_email(runtime, state, scanner, newest_before, wait_timeout, wait_delay)
        if not arrived:
            raise op_failure(
                "email_timeout",
                "The termination of %s was requested (query id %s) but no termination e-mail for service id %s "
                "arrived within wait_timeout (%d s). The request is recorded; run again later (it will not be sent twice)."
                % (service_name, query_id, state.service_id, wait_timeout),
                state,
                settings,
                before,
                action,
                writes=writes,
                changed=True,
            )
    else:
        refresh_decision(client, state, settings, scanner=scanner, records=runtime.records)
    if hand:
        runtime.warn(hand_token_warning(service_name, state.recipient, state.decision))
    return op_result(
        state,
        settings,
        before,
        state.status,
        True,
        "Requested the termination of %s (query id %s): %s" % (service_name, query_id, state.decision["reason"]),
        action,
        writes,
    )


def request_termination(runtime, service_name, allow_non_mbm=False, force_new_request=False, wait_for_email=False, wait_timeout=2400, wait_delay=30):
    """Ask OVHcloud to terminate ``service_name`` when needed (module ``mbm_termination_request``)."""
    check_wait(wait_timeout, wait_delay)
    with runtime.write_lock(service_name, wait_timeout + LOCK_MARGIN_SECONDS):
        return _request_termination(
            runtime,
            service_name,
            allow_non_mbm=allow_non_mbm,
            force_new_request=force_new_request,
            wait_for_email=wait_for_email,
            wait_timeout=wait_timeout,
            wait_delay=wait_delay,
        )
