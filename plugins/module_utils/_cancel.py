# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cancelling what can be undone before a confirmation (module ``mbm_termination_cancel``).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
"""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._access import preflight
from ansible_collections.ovhcloud.mbm.plugins.module_utils._runtime import (
    LOCK_MARGIN_SECONDS,
    op_failure,
    op_result,
    reread_after_write,
    send_write,
)
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time


def _cancel_termination(runtime, service_name):
    """Undo what can be undone before confirmation (module ``mbm_termination_cancel``)."""
    client = runtime.client
    settings = runtime.settings
    action = "request"
    state = runtime.read(service_name)
    before = state.status
    if before in ("terminating", "terminated"):
        raise op_failure(
            "data_gone",
            "The termination of %s cannot be cancelled: it was confirmed and %s; its data is deleted at confirmation and "
            "cannot be recovered. %s" % (service_name, "its removal is running" if before == "terminating" else "it is gone", state.decision["reason"]),
            state,
            settings,
            before,
            action,
        )
    renew = dict((state.service_infos or {}).get("renew") or {})
    notes = []
    if before == "termination_requested":
        notes.append(
            "the pending request lapses unconfirmed at %s (72 h after %s): leave it unconfirmed, no call is needed"
            % (
                format_time(state.decision["token_expires_at"]),
                "e-mail %s" % state.decision["email_id"] if state.decision["email_id"] is not None else "the request",
            )
        )
    elif before == "request_pending":
        notes.append("the pending request (%s) lapses unconfirmed 72 h after its e-mail: leave it unconfirmed, no call is needed" % state.decision["reason"])
    if renew.get("deleteAtExpiration") is not True:
        if not notes:
            notes.append("nothing to cancel (status %s)" % before)
        return op_result(state, settings, before, before, False, "No change for %s: %s." % (service_name, "; ".join(notes)), action)

    after = "active" if before == "termination_scheduled" else before
    preflight(client, service_name, "cancel", runtime.warn)  # only when a write is due: the PUT rule is optional otherwise
    if runtime.check_mode:
        notes.insert(
            0,
            "would set renew.deleteAtExpiration to false (and renew.automatic to true), so the service is renewed "
            "instead of deleted at %s" % (state.service_infos or {}).get("expiration"),
        )
        return op_result(state, settings, before, after, True, "Check mode, %s: %s. Nothing was sent." % (service_name, "; ".join(notes)), action)

    renew["deleteAtExpiration"] = False
    if renew.get("manualPayment") is True:
        runtime.warn(
            "%s renews by manual payment: pay its renewal before %s, or it expires at that date."
            % (service_name, (state.service_infos or {}).get("expiration"))
        )
    else:
        renew["automatic"] = True
    entry, unknown = send_write(runtime, "PUT", routes.SERVICE_INFOS, service_name, body={"renew": renew})
    writes = [entry]
    if entry["outcome"] == "refused":
        raise op_failure(
            "api",
            "OVHcloud refused to stop the deletion of %s at expiration: %s" % (service_name, unknown),
            state,
            settings,
            before,
            action,
            error=unknown,
            writes=writes,
        )
    if unknown is not None:
        runtime.warn("The outcome of the serviceInfos update of %s was unknown (%s); the state was read again." % (service_name, unknown))
    state = reread_after_write(runtime, service_name, writes)
    if ((state.service_infos or {}).get("renew") or {}).get("deleteAtExpiration") is True:
        raise op_failure(
            "api",
            "renew.deleteAtExpiration of %s still reads true after the update: the cancellation did not take effect.%s"
            % (service_name, " The update failed with: %s" % unknown if unknown is not None else ""),
            state,
            settings,
            before,
            action,
            error=unknown,
            writes=writes,
            changed=True,
        )
    notes.insert(
        0,
        "set renew.deleteAtExpiration to false and renew.automatic to %s (query id %s): the service is renewed instead "
        "of deleted at %s" % (str(renew.get("automatic")).lower(), writes[-1]["query_id"], (state.service_infos or {}).get("expiration")),
    )
    return op_result(state, settings, before, state.status, True, "Cancelled for %s: %s." % (service_name, "; ".join(notes)), action, writes)


def cancel_termination(runtime, service_name):
    """Undo what can be undone before confirmation (module ``mbm_termination_cancel``)."""
    with runtime.write_lock(service_name, LOCK_MARGIN_SECONDS):
        return _cancel_termination(runtime, service_name)
