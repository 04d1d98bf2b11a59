# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The termination status of a service (docs/design.md section 5): the pure precedence and its constants.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Pure (no call, no file): imports _time, _emails (a constant) and _termination_errors.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils._emails import DEFAULT_LOOKBACK_HOURS
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import duration, format_time, parse_api_time

EMAIL_WAIT_SECONDS = 2400
"""How long after a ``terminate`` its e-mail may still arrive (OVHcloud: up to 30 min; we allow 40)."""

CLOCK_TOLERANCE_SECONDS = 5
"""An e-mail dated this much before a recorded request still answers it (both dates are on the API's clock)."""

STATUSES = (
    "active",
    "request_pending",
    "termination_requested",
    "token_expired",
    "termination_scheduled",
    "terminating",
    "terminated",
)

READY_STATES = frozenset(["available", "delivered"])
REMOVAL_STATES = frozenset(["toRemove", "toUnprovision", "unprovisionning", "toRecycle", "recycling"])
BUSY_STATES = frozenset(
    [
        "error",
        "migrating",
        "upgrading",
        "disabled",
        "disabling",
        "toDisable",
        "provisionning",
        "toProvision",
        "reserved",
    ]
)


def _record_time(entry):
    return parse_api_time((entry or {}).get("sent_at"))


_NOT_ACCEPTED = ("refused",)


def decide_status(facts, now, email_wait=EMAIL_WAIT_SECONDS, lookback_hours=DEFAULT_LOOKBACK_HOURS):
    """Decide the termination status from fetched data; pure.

    ``facts``: ``service_name``; ``dedicated_cloud`` (dict or None); ``dedicated_cloud_error`` (None, 404
    or 460); ``service_infos`` (dict or None); ``service`` (the ``/services/{id}`` entry or None);
    ``emails`` (``TerminationEmail`` list for this service, newest first by date: ``termination_emails``);
    ``record`` (request record); ``email_problem`` (why the e-mail evidence is incomplete, or None:
    ``email_evidence_problem``) and ``email_problem_tolerated`` (a token given by hand: decide on what was seen).

    Returns ``{status, reason, requested_at, token_expires_at, email_id, deletion_date, request_overdue}``
    with epoch seconds for the dates and the private key ``email`` (the ``TerminationEmail`` behind
    ``termination_requested``) and ``email_problem`` when tolerated. Raises TerminationError (not_found, expired, busy,
    email_unknown) where DESIGN fails closed.
    """
    name = facts.get("service_name")
    dc = facts.get("dedicated_cloud")
    dc_error = facts.get("dedicated_cloud_error")
    infos = facts.get("service_infos") or {}
    entry = facts.get("service")
    emails = facts.get("emails") or []
    record = facts.get("record") or {}
    resource_state = ((entry or {}).get("resource") or {}).get("state")
    lifecycle = (((entry or {}).get("billing") or {}).get("lifecycle") or {}).get("current") or {}
    termination_date = parse_api_time(lifecycle.get("terminationDate"))

    out = {
        "status": None,
        "reason": None,
        "requested_at": None,
        "token_expires_at": None,
        "email_id": None,
        "deletion_date": None,
        "request_overdue": False,
        "email": None,
        "email_problem": None,
    }

    def done(status, reason, **extra):
        out.update(extra)
        out["status"] = status
        out["reason"] = reason
        return out

    if dc_error == 404:
        if entry is None:
            raise TerminationError(
                "not_found",
                "Service %s was not found: the API answers 404 and /services has no record of it. "
                "Check the name (a typo is never read as 'already terminated')." % name,
            )
        if resource_state == "deleted":
            return done("terminated", "The API answers 404 for %s and /services says its resource is deleted." % name, deletion_date=termination_date)
        if resource_state == "toDelete":
            return done(
                "terminating", "The API answers 404 for %s and /services says its resource is being deleted (toDelete)." % name, deletion_date=termination_date
            )
        raise TerminationError(
            "not_found",
            "Service %s was not found (404) although /services still lists it with resource state %r: "
            "failing closed, nothing was written." % (name, resource_state),
        )
    if dc_error == 460:
        if resource_state == "deleted":
            return done("terminated", "The API answers 460 (expired) for %s and /services says its resource is deleted." % name, deletion_date=termination_date)
        raise TerminationError(
            "expired",
            "Service %s is expired (460) and /services says its resource is %r, not deleted: it may be "
            "suspended with its data still there. Renew it or contact OVHcloud; nothing was written." % (name, resource_state),
        )

    state = (dc or {}).get("state")
    if state in REMOVAL_STATES:
        return done("terminating", "The service %s is being removed (state %s)." % (name, state), deletion_date=termination_date)
    if resource_state == "toDelete" or resource_state == "deleted":
        return done(
            "terminating",
            "/services says the resource of %s is %s while the service is still readable." % (name, resource_state),
            deletion_date=termination_date,
        )
    confirm = record.get("confirm") or {}
    confirmed_at = _record_time(confirm)
    # A record dated after "now" (clocks moved) still counts: ignoring it could let a write be sent twice.
    if confirm.get("outcome") == "accepted" and confirmed_at is not None and now - confirmed_at < float(lookback_hours) * 3600:
        return done(
            "terminating",
            "OVHcloud accepted the confirmation at %s (query id %s); the removal is not yet visible in the API."
            % (confirm.get("sent_at"), confirm.get("query_id")),
            requested_at=_record_time(record.get("request")),
            deletion_date=termination_date,
        )
    if state not in READY_STATES:
        raise TerminationError(
            "busy",
            "Service %s is in state %r (not available or delivered): it is busy or in an unknown state, so "
            "nothing was written. Try again when it is available." % (name, state),
        )
    problem = facts.get("email_problem")
    if problem:
        if not facts.get("email_problem_tolerated"):
            raise TerminationError(
                "email_unknown",
                "The termination status of %s cannot be decided from the account's e-mails: %s. Failing "
                "closed: no termination request and no confirmation with a token from an e-mail. Raise email_scan_limit "
                "(or check the e-mail), or confirm with the token copied by hand (mbm_termination_confirm's token). "
                "Nothing was written." % (name, problem),
            )
        out["email_problem"] = problem
        emails = [mail for mail in emails if mail.date is not None]

    request = record.get("request") or {}
    sent_at = _record_time(request)
    request_live = sent_at is not None and request.get("outcome") not in _NOT_ACCEPTED and now - sent_at < float(lookback_hours) * 3600
    newest = emails[0] if emails else None
    # An e-mail older than a later request of ours is superseded by it (a new token is on its way), and stays so
    # when that e-mail never comes: an accepted terminate replaced the link, an unknown one may have.
    answered = newest is not None and newest.date is not None and (sent_at is None or newest.date >= sent_at - CLOCK_TOLERANCE_SECONDS)
    overdue = request_live and not answered
    if overdue and now - sent_at < email_wait:
        return done(
            "request_pending",
            "A terminate was sent at %s (outcome %s, query id %s), %s ago; its e-mail can take up to %s."
            % (format_time(sent_at), request.get("outcome"), request.get("query_id"), duration(now - sent_at), duration(email_wait)),
            requested_at=sent_at,
        )
    if newest is not None and newest.date is not None and now < newest.token_expires and not overdue:
        return done(
            "termination_requested",
            "Termination e-mail %s of %s holds a link for %s, valid until %s."
            % (newest.email_id, format_time(newest.date), name, format_time(newest.token_expires)),
            requested_at=newest.first_date,
            token_expires_at=newest.token_expires,
            email_id=newest.email_id,
            email=newest,
        )
    renew = infos.get("renew") or {}
    if renew.get("deleteAtExpiration") is True:
        expiration = parse_api_time(infos.get("expiration"))
        return done(
            "termination_scheduled",
            "renew.deleteAtExpiration is true: OVHcloud deletes %s at its expiration (%s)." % (name, infos.get("expiration")),
            deletion_date=expiration,
            request_overdue=overdue,
        )
    if newest is not None and newest.date is not None:
        if now < newest.token_expires:  # only when overdue: see above
            reason = (
                "The link of the newest termination e-mail (%s of %s) was replaced by the terminate sent at %s (outcome %s, query id "
                "%s), whose e-mail never came: it is not used."
                % (newest.email_id, format_time(newest.date), format_time(sent_at), request.get("outcome"), request.get("query_id"))
            )
        else:
            reason = "The newest termination e-mail (%s of %s) expired at %s and was never confirmed." % (
                newest.email_id,
                format_time(newest.date),
                format_time(newest.token_expires),
            )
        return done(
            "token_expired", reason, requested_at=newest.first_date, token_expires_at=newest.token_expires, email_id=newest.email_id, request_overdue=overdue
        )
    return done("active", "Service %s is %s with no termination e-mail, request or scheduled deletion." % (name, state), request_overdue=overdue)
