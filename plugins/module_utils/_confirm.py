# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Confirming a termination (module ``mbm_termination_confirm``): the point of no return. The token comes from
the newest termination e-mail or by hand (judged against the history); an unknown outcome is retried once, with the
same token only.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._access import preflight
from ansible_collections.ovhcloud.mbm.plugins.module_utils._emails import given_token_evidence, read_token
from ansible_collections.ovhcloud.mbm.plugins.module_utils._recipient import hand_token_warning
from ansible_collections.ovhcloud.mbm.plugins.module_utils._runtime import (
    LOCK_MARGIN_SECONDS,
    announce_retry,
    apply_window,
    await_email,
    check_mbm,
    check_wait,
    confirm_retry,
    op_failure,
    op_result,
    reread_after_write,
    send_write,
    token_fingerprint,
)
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import valid_token_shape
from ansible_collections.ovhcloud.mbm.plugins.module_utils._state import read_after_confirmation
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time

TERMINATION_REASONS = (
    "FEATURES_DONT_SUIT_ME",
    "LACK_OF_PERFORMANCES",
    "MIGRATED_TO_ANOTHER_OVH_PRODUCT",
    "MIGRATED_TO_COMPETITOR",
    "NOT_ENOUGH_RECOGNITION",
    "NOT_NEEDED_ANYMORE",
    "NOT_RELIABLE",
    "NO_ANSWER",
    "OTHER",
    "PRODUCT_DIMENSION_DONT_SUIT_ME",
    "PRODUCT_TOOLS_DONT_SUIT_ME",
    "TOO_EXPENSIVE",
    "TOO_HARD_TO_USE",
    "UNSATIFIED_BY_CUSTOMER_SUPPORT",
)
FUTURE_USES = (
    "NOT_REPLACING_SERVICE",
    "OTHER",
    "SUBSCRIBE_AN_OTHER_SERVICE",
    "SUBSCRIBE_OTHER_KIND_OF_SERVICE_WITH_COMPETITOR",
    "SUBSCRIBE_SIMILAR_SERVICE_WITH_COMPETITOR",
)


# Error codes meaning "your credentials", never "your token" (confirm must not blame the token for them).
_CREDENTIAL_ERRORS = frozenset(["NOT_GRANTED_CALL", "NOT_CREDENTIAL", "INVALID_KEY", "INVALID_CREDENTIAL", "Client::Forbidden"])


def _is_token_refusal(err):
    """A refused confirmation that is about the token (wrong, used, expired), not about the credentials."""
    if err.error_code in _CREDENTIAL_ERRORS:
        return False
    return err.status in (400, 403, 409, 410)


def _check_given_token(state, token):
    """Judge a token given by hand against this run's e-mail history (``given_token_evidence``); raises
    TerminationError (kind ``token`` or ``token_expired``) BEFORE anything is sent when the history proves it foreign
    (a link for another service) or stale (superseded by a newer termination e-mail of this service, or past its 72 h
    counted from the first e-mail that carried it). Returns the evidence (verdict ``current`` or ``unseen``):
    OVHcloud judges every token the history does not disprove."""
    if not valid_token_shape(token):
        raise TerminationError(
            "token", "The token given does not have the shape of a termination token (8 to 512 URL-safe characters, no spaces). Nothing was sent."
        )
    evidence = given_token_evidence(token, state.history, state.service_id, state.service_name, state.now)
    if evidence["verdict"] == "foreign":
        raise TerminationError(
            "token",
            "The token given belongs to another service: %s, not %s. Nothing was sent: a token is never sent "
            "to a service it was not issued for." % (evidence["reason"], state.service_name),
        )
    if evidence["verdict"] == "stale":
        expired = evidence["expires_at"] is not None and evidence["expires_at"] <= state.now
        if expired:
            raise TerminationError(
                "token_expired",
                "The token given is expired: %s. Request a new termination with ovhcloud.mbm.mbm_termination_request. Nothing was sent." % evidence["reason"],
            )
        raise TerminationError("token", "The token given was replaced: %s; only the newest link is valid. Nothing was sent." % evidence["reason"])
    return evidence


def _confirm_termination(
    runtime,
    service_name,
    token=None,
    reason=None,
    future_use=None,
    commentary=None,
    wait_for_email=False,
    wait_timeout=2400,
    wait_delay=30,
    allow_non_mbm=False,
):
    """Confirm the termination of ``service_name`` (module ``mbm_termination_confirm``): the point of no return."""
    client = runtime.client
    settings = runtime.settings
    action = "confirm"
    check_wait(wait_timeout, wait_delay)
    token = token.strip() if isinstance(token, str) else token  # a vaulted value may end with a newline
    given = token is not None and token != ""
    preflight(client, service_name, "confirm_with_token" if given else "confirm", runtime.warn)
    scanner = runtime.scanner()
    state = runtime.read(service_name, scanner=scanner, emails_optional=given)
    before = state.status

    if before in ("terminated", "terminating"):
        return op_result(state, settings, before, before, False, "Nothing to confirm for %s: %s" % (service_name, state.decision["reason"]), action)
    check_mbm(state, settings, before, action, allow_non_mbm)  # the point of no return is refused as the request is
    if before == "termination_scheduled":
        return op_result(
            state,
            settings,
            before,
            before,
            False,
            "Nothing to confirm for %s: %s No early termination is needed." % (service_name, state.decision["reason"]),
            action,
        )
    if before == "token_expired" and not given:  # a token given by hand is judged below: OVHcloud decides unless the history disproves it
        raise op_failure(
            "token_expired",
            "The termination link of %s expired at %s (e-mail %s): a new request is needed "
            "(ovhcloud.mbm.mbm_termination_request). Nothing was sent."
            % (service_name, format_time(state.decision["token_expires_at"]), state.decision["email_id"]),
            state,
            settings,
            before,
            action,
        )

    if not given and state.awaiting_token:
        why = hand_token_warning(service_name, state.recipient, state.decision)
        raise op_failure("no_email", "No token for %s: %s Nothing was sent." % (service_name, why), state, settings, before, action)
    if before == "request_pending" and not given:
        if runtime.check_mode:
            apply_window(runtime, state, before, action)
            return op_result(
                state,
                settings,
                before,
                "terminating",
                True,
                "A request for %s is pending; once its e-mail arrives this would confirm the termination (all data is deleted "
                "at confirmation). Check mode: nothing was sent, nothing was waited for." % service_name,
                action,
            )
        if not wait_for_email:
            raise op_failure(
                "no_email",
                "A termination request for %s is pending but its e-mail has not arrived yet (%s). Run again later or set "
                "wait_for_email. Nothing was sent." % (service_name, state.decision["reason"]),
                state,
                settings,
                before,
                action,
            )
        state, arrived = await_email(runtime, state, scanner, None, wait_timeout, wait_delay)
        if state.status in ("terminating", "terminated"):
            return op_result(state, settings, before, state.status, False, "Nothing to confirm for %s: %s" % (service_name, state.decision["reason"]), action)
        if not arrived:
            raise op_failure(
                "email_timeout",
                "No termination e-mail for %s (service id %s) arrived within wait_timeout (%d s). Nothing was sent."
                % (service_name, state.service_id, wait_timeout),
                state,
                settings,
                before,
                action,
            )

    # A token given by hand needs no e-mail and no record of a request (another mailbox, another controller, an unknown
    # link form): it is sent unless the history proves it foreign or stale (_check_given_token).
    if state.status in ("active", "token_expired") and not given:
        overdue = ""
        if state.request_overdue:
            request = (state.record or {}).get("request") or {}
            overdue = " A terminate was sent at %s (query id %s) but no e-mail arrived: its outcome is unknown." % (
                request.get("sent_at"),
                request.get("query_id"),
            )
        if runtime.check_mode:
            return op_result(
                state,
                settings,
                before,
                "terminating",
                True,
                "No termination request exists for %s yet.%s After ovhcloud.mbm.mbm_termination_request and its e-mail, this "
                "would confirm the termination. Check mode: nothing was sent." % (service_name, overdue),
                action,
            )
        raise op_failure(
            "no_request",
            "No termination e-mail for %s (service id %s) in the last %s h and no pending request: a request is "
            "needed first (ovhcloud.mbm.mbm_termination_request).%s Nothing was sent."
            % (service_name, state.service_id, settings.email_lookback_hours, overdue),
            state,
            settings,
            before,
            action,
        )

    email = state.email
    email_id = email.email_id if email is not None else None
    if given:
        try:
            evidence = _check_given_token(state, token)
        except TerminationError as err:
            raise op_failure(err.kind, err.msg, state, settings, before, action)
        secret = token
        email_id = evidence["email_id"]
        if evidence["verdict"] == "current":
            source = "the token given (%s)" % evidence["reason"]
        else:
            source = "the token given"
            why = [evidence["reason"]]
            if state.decision.get("email_problem"):
                why.append(state.decision["email_problem"])
            if email is not None and not email.token_matches(token):
                why.append("it differs from the link of termination e-mail %s, the newest seen" % email.email_id)
            runtime.warn(
                "The token given for %s could not be checked against a termination e-mail (%s); it is sent and OVHcloud judges it."
                % (service_name, "; ".join(why))
            )
    else:
        # The token is taken from the e-mail itself, read again now (the shared index holds only its fingerprint).
        secret = read_token(client, email, state.service_id, state.service_name) if email is not None and email.fingerprint is not None else None
        if secret is None and email is not None and email.fingerprint is not None:
            raise op_failure(
                "token",
                "Termination e-mail %s of %s, read again to take its token, no longer holds the one confirmation link its "
                "first reading held. No token is picked from it; give the right one with the token option, or request a new "
                "termination (force_new_request). Nothing was sent." % (email.email_id, service_name),
                state,
                settings,
                before,
                action,
            )
        if secret is None:
            raise op_failure(
                "token",
                "Termination e-mail %s holds two different confirmation links for service id %s: no token is picked from "
                "it. Give the right one with the token option, or request a new termination (force_new_request). Nothing was sent."
                % (state.decision.get("email_id"), state.service_id),
                state,
                settings,
                before,
                action,
            )
        source = "the link of e-mail %s (valid until %s)" % (email.email_id, format_time(email.token_expires))

    try:
        retry_of = confirm_retry(state, settings, secret, email_id)  # an earlier confirmation's outcome is unknown: same token, once
    except TerminationError as err:
        raise op_failure(err.kind, err.msg, state, settings, before, action)
    source += announce_retry(runtime, state, retry_of)

    apply_window(runtime, state, before, action)
    if runtime.check_mode:
        return op_result(
            state,
            settings,
            before,
            "terminating",
            True,
            "Would confirm the termination of %s with %s; all data is deleted at confirmation. Check mode: nothing was sent." % (service_name, source),
            action,
        )

    body = {"token": secret}
    if reason:
        body["reason"] = reason
    if future_use:
        body["futureUse"] = future_use
    if commentary:
        body["commentary"] = commentary
    entry, err = send_write(
        runtime,
        "POST",
        routes.CONFIRM,
        service_name,
        section="confirm",
        service_id=state.service_id,
        secret=secret,
        body=body,
        retry=retry_of is not None,
        email_id=email_id,
        token_sha256=token_fingerprint(secret),
        retry_of=retry_of,
        superseded=False,
    )
    writes = [entry]
    query_id = entry["query_id"]
    if entry["outcome"] == "refused":
        if given and _is_token_refusal(err):
            raise op_failure(
                "token",
                "OVHcloud refused the token given for %s: %s. It is wrong, already used, expired or not this "
                "service's; nothing was confirmed and it is not tried again in this run. Check the token (the newest "
                "termination e-mail of %s), or request a new termination (ovhcloud.mbm.mbm_termination_request)." % (service_name, err, service_name),
                state,
                settings,
                before,
                action,
                error=err,
                writes=writes,
            )
        if _is_token_refusal(err):
            msg = (
                "OVHcloud refused the confirmation of %s with %s: %s. The token is wrong, already used or expired; nothing was "
                "confirmed. Request a new termination (ovhcloud.mbm.mbm_termination_request) and confirm with its new link." % (service_name, source, err)
            )
            raise op_failure("token", msg, state, settings, before, action, error=err, writes=writes)
        raise op_failure("api", "OVHcloud refused the confirmation of %s: %s" % (service_name, err), state, settings, before, action, error=err, writes=writes)
    if err is not None:
        # Lost response or 5xx: it may have been applied. Re-read before saying anything.
        state = reread_after_write(runtime, service_name, writes, scanner=scanner, emails_optional=given)
        if state.status in ("terminating", "terminated"):
            runtime.warn("The outcome of the confirmation of %s was unknown (%s), but the service now reads %s." % (service_name, err, state.status))
            return op_result(
                state,
                settings,
                before,
                state.status,
                True,
                "Confirmed the termination of %s (response lost; the service reads %s)." % (service_name, state.status),
                action,
                writes,
            )
        raise op_failure(
            "outcome_unknown",
            "The outcome of the confirmation of %s is unknown (%s) and the service still reads %s. %s"
            % (
                service_name,
                err,
                state.status,
                "This was the one retry after an unknown outcome: no further retry will be sent; check OVHcloud's control panel."
                if retry_of is not None
                else "Run again: the state is read first, then the same token is sent at most once more.",
            ),
            state,
            settings,
            before,
            action,
            error=err,
            writes=writes,
            changed=True,
        )
    state = read_after_confirmation(client, state, settings, records=runtime.records, scanner=scanner, emails_optional=given, warn=runtime.warn)
    return op_result(
        state,
        settings,
        before,
        state.status,
        True,
        "Confirmed the termination of %s (query id %s%s): %s"
        % (
            service_name,
            query_id,
            ", the one retry after the unknown outcome of the confirmation sent at %s" % retry_of["first_sent_at"] if retry_of is not None else "",
            state.decision["reason"],
        ),
        action,
        writes,
    )


def confirm_termination(
    runtime,
    service_name,
    token=None,
    reason=None,
    future_use=None,
    commentary=None,
    wait_for_email=False,
    wait_timeout=2400,
    wait_delay=30,
    allow_non_mbm=False,
):
    """Confirm the termination of ``service_name`` (module ``mbm_termination_confirm``): the point of no return."""
    check_wait(wait_timeout, wait_delay)
    with runtime.write_lock(service_name, wait_timeout + LOCK_MARGIN_SECONDS):
        return _confirm_termination(
            runtime,
            service_name,
            token=token,
            reason=reason,
            future_use=future_use,
            commentary=commentary,
            wait_for_email=wait_for_email,
            wait_timeout=wait_timeout,
            wait_delay=wait_delay,
            allow_non_mbm=allow_non_mbm,
        )
