# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who receives a service's termination e-mail, and what the status is when this key cannot read it.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _routes, _client (OvhApiError) and _time. ``read_account`` makes one call (``GET /me``, once per
client); everything else is pure.

The API schema says the termination token is sent by e-mail to the service's admin contact
(``serviceInfos.contactAdmin``), and ``/me/notification/email/history`` holds only the authenticated
account's e-mails (docs/api-assumptions.md). When the admin contact is another NIC, the e-mail never shows up
for this key: the token can only be given by hand.
"""

from __future__ import annotations

import weakref

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time, parse_api_time

TOKEN_VALIDITY_SECONDS = 72 * 3600
"""How long a termination link is valid (OVHcloud's guide: 72 hours)."""

PENDING_ACTION = "terminate"
"""The ``billing.lifecycle.current.pendingActions`` value read as "a termination request is pending" [assumed]."""

_ACCOUNTS = weakref.WeakKeyDictionary()


def _clean(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


ACCOUNT_SHARED_SECONDS = 300
"""How long the NIC read by one module run serves the others of the same run (``run_id``)."""


def read_account(client):
    """``GET /me`` once per client (it is per account): ``{"nichandle": str or None, "error": str or None}``.

    An unreadable ``/me`` (no access rule, IAM, any API error) is not fatal: the e-mail recipient is then
    unknown (treated as not visible) and the request records fall back to today's key."""
    try:
        cached = _ACCOUNTS.get(client)
    except TypeError:
        cached = None
    if cached is not None:
        return cached
    read = {}

    def read_me():
        try:
            me = client.get(routes.ME)
            nic = _clean(me.get("nichandle")) if isinstance(me, dict) else None
            read["error"] = None if nic else "GET %s named no nichandle" % routes.ME
        except OvhApiError as err:
            nic, read["error"] = None, str(err)
        return {"nichandle": nic} if nic else None  # the NIC only; an error is never shared

    run_shared = getattr(client, "run_shared", None)
    shared = run_shared.fetch("account", ACCOUNT_SHARED_SECONDS, read_me) if run_shared is not None else read_me()
    if isinstance(shared, dict) and shared.get("nichandle"):
        return _remember(client, {"nichandle": shared["nichandle"], "error": None})
    return _remember(client, {"nichandle": None, "error": read.get("error") or "GET %s named no nichandle" % routes.ME})


def _remember(client, account):
    try:
        _ACCOUNTS[client] = account
    except TypeError:
        pass
    return account


def account_nic(client):
    """``(nic, why_not)`` for the request records' key."""
    account = read_account(client)
    return account["nichandle"], account["error"]


def email_recipient(service_infos, account):
    """``{admin_contact, account, visible}``: ``visible`` is true when the admin contact is this account, false
    when it is another NIC, None when either is unreadable (treated as not visible)."""
    admin = _clean((service_infos or {}).get("contactAdmin")) if isinstance(service_infos, dict) else None
    nic = _clean((account or {}).get("nichandle"))
    visible = None if admin is None or nic is None else admin.lower() == nic.lower()
    return {"admin_contact": admin, "account": nic, "visible": visible}


def _pending_actions(service_entry):
    current = (((service_entry or {}).get("billing") or {}).get("lifecycle") or {}).get("current") or {}
    actions = current.get("pendingActions")
    return [action for action in actions if isinstance(action, str)] if isinstance(actions, list) else []


def _live_request(record, now, lookback_hours):
    request = (record or {}).get("request") or {}
    sent_at = parse_api_time(request.get("sent_at"))
    if sent_at is None or request.get("outcome") == "refused" or now - sent_at >= float(lookback_hours) * 3600:
        return None, request
    return sent_at, request


def adjust_decision(decision, record, recipient, service_entry, now, lookback_hours, service_name):
    """The status decided from the e-mails and the record (``_status.decide_status``), adjusted for what this key
    cannot see; pure. Returns a new decision dict (same keys, plus ``awaiting_token`` and ``pending_source``).

    - The e-mail goes to another NIC (``visible`` not true) and the recorded request got no e-mail: the request
      reads ``termination_requested`` (token expiry = request time + 72 h, no e-mail id, never overdue), then
      ``token_expired`` once that time has passed.
    - No live request in the local record (another controller, a wiped home, an AWX job) but ``/services``
      lists a ``terminate`` pending action: a request is pending (no second terminate). Never ``terminating``.
    """
    out = dict(decision)
    out.setdefault("pending_source", None)
    status = out.get("status")
    visible = recipient.get("visible") is True
    if status not in ("terminating", "terminated") and out.get("email") is None:
        sent_at, request = _live_request(record, now, lookback_hours)
        overdue_states = ("active", "token_expired", "termination_scheduled")
        unanswered = status == "request_pending" or (out.get("request_overdue") and status in overdue_states)
        if sent_at is not None and not visible and unanswered:
            expires = sent_at + TOKEN_VALIDITY_SECONDS
            where = _where(recipient)
            if now < expires:
                out.update(
                    status="termination_requested",
                    requested_at=sent_at,
                    token_expires_at=expires,
                    email_id=None,
                    request_overdue=False,
                    email=None,
                    pending_source="record",
                    reason="A terminate was sent at %s (outcome %s, query id %s); its e-mail goes to %s, so its token can "
                    "only be given by hand; valid until %s."
                    % (format_time(sent_at), request.get("outcome"), request.get("query_id"), where, format_time(expires)),
                )
            elif status != "termination_scheduled":
                out.update(
                    status="token_expired",
                    requested_at=sent_at,
                    token_expires_at=expires,
                    email_id=None,
                    request_overdue=False,
                    reason="The token of the terminate sent at %s (its e-mail went to %s) lapsed at %s unconfirmed."
                    % (format_time(sent_at), where, format_time(expires)),
                )
            else:
                out["request_overdue"] = False
        elif sent_at is None and status in ("active", "token_expired") and PENDING_ACTION in _pending_actions(service_entry):
            out.update(
                status="request_pending",
                requested_at=None,
                token_expires_at=None,
                email_id=None,
                request_overdue=False,
                email=None,
                pending_source="pending_actions",
                reason="/services lists a %r pending action for %s and this controller has no record of the request: it was "
                "made elsewhere (another controller, the control panel); no second terminate is sent." % (PENDING_ACTION, service_name),
            )
    out["awaiting_token"] = bool(out.get("status") in ("request_pending", "termination_requested") and out.get("email") is None and not visible)
    return out


def _where(recipient):
    admin = recipient.get("admin_contact")
    if recipient.get("visible") is False:
        return "the admin contact %s, not this account (%s)" % (admin, recipient.get("account"))
    return "the admin contact %s, which this account may not be (the account's NIC or the admin contact is unreadable)" % (admin or "(unknown)")


def hand_token_warning(service_name, recipient, decision):
    """The warning of a request whose token can only be given by hand."""
    expires = decision.get("token_expires_at")
    return (
        "The termination e-mail of %s goes to %s: it cannot be read with this key, so no e-mail is waited for. Ask %s for the "
        "token of the confirmation link in that e-mail%s and give it to ovhcloud.mbm.mbm_termination_confirm's token option "
        "(role variable decommission_token)."
        % (
            service_name,
            _where(recipient),
            recipient.get("admin_contact") or "the admin contact",
            " (valid until %s)" % format_time(expires) if expires else "",
        )
    )
