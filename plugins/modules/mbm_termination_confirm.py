#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mbm_termination_confirm
short_description: Confirm the termination of an OVHcloud Managed Bare Metal service (deletes all its data)
version_added: 0.1.0
description:
  - Confirms a termination requested with M(ovhcloud.mbm.mbm_termination_request), with
    C(POST /dedicatedCloud/{serviceName}/confirmTermination).
  - B(This is the point of no return.) OVHcloud deletes all the data of the service as soon as the termination is
    confirmed, and refunds nothing pro rata for the rest of the month.
  - "The token comes from O(token) or, when O(token) is not set, from the newest termination e-mail for this service
    in the account's e-mail history whose link carries the service's C(serviceId) and is younger than 72 hours. Tokens
    are never guessed or tried one after another; a token given in O(token) that does not match the newest e-mail for
    the service is refused before anything is sent."
  - "Idempotent: a removal running (V(terminating)), a deletion scheduled at expiration (V(termination_scheduled)) or
    a service gone (V(terminated)) means nothing to do. An expired link fails, saying that a new request is needed. A
    pending request whose e-mail has not arrived yet fails unless O(wait_for_email=true). No e-mail and no request at
    all fails at once, saying that a request is needed."
  - Before any write it reads the consumer key's access rules (C(GET /auth/currentCredential)) and fails naming any
    missing rule, and applies the billing window (O(billing_window), O(confirm_from_day)).
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
extends_documentation_fragment:
  - ovhcloud.mbm.termination
  - ovhcloud.mbm.termination.write
  - ovhcloud.mbm.termination.wait
  - ovhcloud.mbm.api
  - ovhcloud.mbm.attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes every read-only call, finds and validates the token (shape, service id, age) without sending
        it, and reports the predicted change. It never waits. When no request exists yet (for example because the
        request itself was only predicted in check mode), it reports what it would do instead of failing.
  idempotent:
    support: full
    details:
      - Once confirmed, the service reads V(terminating) then V(terminated), and a second run sends nothing.
options:
  allow_non_mbm:
    description:
      - Also confirm the termination of services whose C(productReference) is not V(MBM) (for example V(EPCC), Hosted
        Private Cloud), as O(ovhcloud.mbm.mbm_termination_request#module:allow_non_mbm) does for the request.
      - When V(false), such services are refused before anything is sent.
    type: bool
    default: false
  token:
    description:
      - The termination token, for example kept in a vault. Never logged or returned.
      - When not set, the token is read from the newest termination e-mail for this service (see the notes).
      - When set (copied by hand from the e-mail, for example when the e-mail goes to another mailbox or carries a link
        the module does not know), the e-mail history is still read when the consumer key allows it, and the token is
        refused before anything is sent when the history proves it foreign (it is in a link for another service) or
        stale (the e-mail that first carried it is older than a newer termination e-mail of this service, or its
        72 hours, counted from that first e-mail, are over).
      - Otherwise it is sent, also when no e-mail of the request was seen, when there is no record of the request (or
        it is older than the e-mail wait), when the history is not readable, or when O(email_scan_limit) stopped the
        scan (OVHcloud is the judge, and a warning says why the token could not be checked). A refusal by OVHcloud is
        reported as a token problem and is never retried in the same run.
      - A service that is terminated, being removed, busy or scheduled for deletion is never confirmed, token or not.
    type: str
  reason:
    description:
      - The reason for the termination, sent to OVHcloud.
    type: str
    choices:
      - FEATURES_DONT_SUIT_ME
      - LACK_OF_PERFORMANCES
      - MIGRATED_TO_ANOTHER_OVH_PRODUCT
      - MIGRATED_TO_COMPETITOR
      - NOT_ENOUGH_RECOGNITION
      - NOT_NEEDED_ANYMORE
      - NOT_RELIABLE
      - NO_ANSWER
      - OTHER
      - PRODUCT_DIMENSION_DONT_SUIT_ME
      - PRODUCT_TOOLS_DONT_SUIT_ME
      - TOO_EXPENSIVE
      - TOO_HARD_TO_USE
      - UNSATIFIED_BY_CUSTOMER_SUPPORT
  future_use:
    description:
      - What replaces the service, sent to OVHcloud.
    type: str
    choices:
      - NOT_REPLACING_SERVICE
      - OTHER
      - SUBSCRIBE_AN_OTHER_SERVICE
      - SUBSCRIBE_OTHER_KIND_OF_SERVICE_WITH_COMPETITOR
      - SUBSCRIBE_SIMILAR_SERVICE_WITH_COMPETITOR
  commentary:
    description:
      - A free comment sent to OVHcloud with the confirmation.
    type: str
  wait_for_email:
    description:
      - Wait for the termination e-mail while the status is V(request_pending) (a request was sent from this controller and its e-mail
        has not arrived yet).
      - The account's e-mail history is read every O(wait_delay) seconds for at most O(wait_timeout) seconds.
        OVHcloud's e-mail can take up to 30 minutes.
      - Never waits in check mode.
    type: bool
    default: false
notes:
  - "Access rules the consumer key needs for this module: C(GET /dedicatedCloud*), C(GET /services*), C(GET /me), C(GET
    /me/notification/email/history*), C(POST /dedicatedCloud/*/confirmTermination). On accounts governed by IAM
    policies the identity needs the IAM actions C(pccVMware:apiovh:get), C(pccVMware:apiovh:serviceInfos/get),
    C(account:apiovh:services/get), C(account:apiovh:me/get), C(account:apiovh:me/notification/email/history/get),
    C(pccVMware:apiovh:confirmTermination). A refused call names the missing access rule or IAM action."
  - "C(GET /me) is optional when O(token) is set (the request records then use the endpoint and credential key, with a
    warning), as the e-mail history is."
  - "When the service's admin contact (C(serviceInfos.contactAdmin)) is not this account, the termination e-mail never shows
    up in this account's history (RV(termination.awaiting_token)): without O(token) the module fails at once (C(NO_EMAIL)),
    whatever O(wait_for_email) says; ask the admin contact for the token and set O(token) (role variable C(decommission_token))."
  - "A confirmation whose outcome was unknown (lost answer, HTTP 5xx, a run killed during the call) is settled by reading the
    state first: when the removal started, nothing is sent. Otherwise it is sent again at most once, with the same token only
    (same e-mail id, same token fingerprint in the request record), and RV(termination.retry_after_unknown) says so; another
    token, or a second unknown outcome, fails with C(OUTCOME_UNKNOWN) and nothing is sent. A new request (its new token)
    lifts this."
  - "How OVHcloud answers a wrong, used or expired token is not documented (400, 403 or 409 are all possible): the module
    reports any such refusal as a token refusal, with the query id, and nothing is confirmed. If the answer quotes the
    token, it is replaced by C(********) in every message the module returns."
  - "An answer that was lost or was an HTTP 5xx may follow an applied confirmation: the module reads the state again and
    reports V(terminating) if the removal started, else fails with C(OUTCOME_UNKNOWN) (run it again to re-read)."
  - "An e-mail holding two different confirmation links for the service is never used on its own (nor any older
    e-mail): give the right token in O(token), or request again with
    O(ovhcloud.mbm.mbm_termination_request#module:force_new_request=true)."
seealso:
  - module: ovhcloud.mbm.mbm_termination_request
  - module: ovhcloud.mbm.mbm_info
  - module: ovhcloud.mbm.mbm_backup_info
  - name: Confirm the termination of an OVHcloud Managed Bare Metal service
    description: The OVHcloud API call behind this module.
    link: https://eu.api.ovh.com/console/?section=%2FdedicatedCloud&branch=v1#post-/dedicatedCloud/-serviceName-/confirmTermination
"""

EXAMPLES = r"""
- name: Confirm with the token of the termination e-mail (read from the account's e-mail history)
  ovhcloud.mbm.mbm_termination_confirm:
    service_name: pcc-192-0-2-10
    reason: NOT_NEEDED_ANYMORE
    future_use: NOT_REPLACING_SERVICE
  delegate_to: localhost

- name: Confirm with a token kept in a vault, refusing outside the billing window
  ovhcloud.mbm.mbm_termination_confirm:
    service_name: pcc-192-0-2-10
    token: "{{ vaulted_termination_token }}"
    billing_window: refuse
    confirm_from_day: 26
  delegate_to: localhost

- name: Request, wait for the e-mail, then confirm
  module_defaults:
    group/ovhcloud.mbm.mbm:
      endpoint: ovh-eu
  block:
    - name: Request the termination
      ovhcloud.mbm.mbm_termination_request:
        service_name: pcc-192-0-2-10
        wait_for_email: true
      delegate_to: localhost

    - name: Confirm it
      ovhcloud.mbm.mbm_termination_confirm:
        service_name: pcc-192-0-2-10
      delegate_to: localhost
      register: confirmed

    - name: Show the outcome
      ansible.builtin.debug:
        msg: "{{ confirmed.termination.status }} (query id {{ confirmed.query_id }})"
"""

RETURN = r"""
termination:
  description:
    - The termination state of the service, decided with the precedence described in the notes.
  returned: success, and on failures that happen after the state was read
  type: dict
  contains:
    status:
      description:
        - V(active), V(request_pending), V(termination_requested), V(token_expired), V(termination_scheduled),
          V(terminating) or V(terminated).
      type: str
      sample: termination_requested
    service_name:
      description: The service's internal name.
      type: str
      sample: pcc-192-0-2-10
    service_id:
      description: The OVHcloud service id (C(serviceInfos.serviceId)), which termination links must carry.
      type: int
      sample: 1234567
    requested_at:
      description: When the termination was requested (date of the termination e-mail, or of the local request record), ISO 8601 UTC.
      type: str
      sample: "2026-11-25T09:12:00Z"
    token_expires_at:
      description: When the termination link stops being valid (e-mail date + 72 h), ISO 8601 UTC; null when there is no link.
      type: str
      sample: "2026-11-28T09:12:00Z"
    email_id:
      description: Id of the termination e-mail behind RV(termination.requested_at) or RV(termination.token_expires_at).
      type: int
      sample: 4242
    deletion_date:
      description:
        - When the service is (or was) deleted, if known, ISO 8601 UTC. For V(termination_scheduled) it is the
          expiration date.
      type: str
      sample: "2026-12-31T00:00:00Z"
    reason:
      description: One sentence giving the evidence for RV(termination.status).
      type: str
      sample: Termination e-mail 4242 of 2026-11-25T09:12:00Z holds a link for service id 1234567, valid until 2026-11-28T09:12:00Z.
    checked_at:
      description: The API's clock when the state was read, ISO 8601 UTC.
      type: str
      sample: "2026-11-26T10:00:00Z"
    billing_window:
      description: The billing window figures on the API's clock.
      type: dict
      contains:
        timezone:
          description: The time zone used (O(billing_timezone)).
          type: str
        day_of_month:
          description: Today's day of the month in that time zone.
          type: int
        days_left_in_month:
          description: Days of the month after today.
          type: int
        last_day_of_month:
          description: The number of days in this month.
          type: int
        from_day:
          description: The first day of the window for RV(termination.billing_window.action).
          type: int
        mode:
          description: The O(billing_window) mode.
          type: str
        action:
          description: The write the window was computed for, V(request) or V(confirm).
          type: str
        open:
          description: Whether today is inside the window.
          type: bool
        message:
          description: The figures in one sentence.
          type: str
    request_record:
      description:
        - The controller-side record of this module's writes for the service (under O(state_dir)), or null.
        - C(request) and C(confirm) each hold C(sent_at), C(outcome) (V(sending), V(accepted), V(unknown) or
          V(refused)), C(query_id), C(updated_at) and C(retry); C(confirm) also holds C(email_id), C(retry_of) and
          C(superseded) (a newer request replaced its token). The token's fingerprint stays in the file.
        - Keyed by the account (lower-cased API base URL, C(GET /me) C(nichandle), service) and, as before, by the
          endpoint and credential, so a new consumer key of the same account finds it.
      type: dict
    request_overdue:
      description:
        - True when a termination request sent from this controller (see RV(termination.request_record)) got no
          termination e-mail within 40 minutes, so its outcome is unknown. M(ovhcloud.mbm.mbm_termination_request)
          then refuses to send another one unless O(ovhcloud.mbm.mbm_termination_request#module:force_new_request=true).
      type: bool
    email_scan:
      description:
        - How far the scan of the account's e-mail history went, or null when none was needed (a terminated or
          terminating service) or the history was not readable.
        - C(read) (e-mails read, by id, newest first), C(limit) (O(email_scan_limit)), C(listed) (ids in the history),
          C(complete) (every id was read, or the e-mails read reach back past O(email_lookback_hours); when false the
          status could not be decided and the module failed closed) and C(oldest_date) (of the e-mails read).
      type: dict
    email_recipient:
      description:
        - Where the termination e-mail goes. The API sends the token to the service's admin contact
          (C(serviceInfos.contactAdmin)); C(GET /me/notification/email/history) holds only this account's e-mails.
      type: dict
      contains:
        admin_contact:
          description: C(serviceInfos.contactAdmin), or null when unreadable.
          type: str
          sample: xy12345-ovh
        account:
          description: This account's NIC (C(GET /me) C(nichandle)), or null when unreadable.
          type: str
          sample: ab12345-ovh
        visible:
          description:
            - True when the admin contact is this account (the e-mail shows up in its history), false when it is
              another NIC, null when either is unreadable (treated as not visible).
          type: bool
    awaiting_token:
      description:
        - True when a request was made (or is pending) and its token can only come by hand, as the e-mail goes to
          another NIC (RV(termination.email_recipient.visible) not true). Give the token with
          O(ovhcloud.mbm.mbm_termination_confirm#module:token) (role variable C(decommission_token)).
        - Such a request reads V(termination_requested) with RV(termination.token_expires_at) = request time + 72 h and
          no RV(termination.email_id); it is never overdue.
      type: bool
    retry_after_unknown:
      description:
        - When the recorded confirmation is the one retry sent after a confirmation whose outcome was unknown (lost
          answer, HTTP 5xx, a run killed during the call), the first attempt's C(first_query_id), C(first_sent_at) and
          the C(email_id) of the token (null for a token given by hand). Null otherwise.
        - The retry is sent only with the same token (same e-mail id and token fingerprint) and only once.
      type: dict
    api:
      description:
        - The raw API objects read, with the API's camelCase keys.
        - Termination e-mails are listed by id, date and subject only; their bodies hold tokens and are never returned.
      type: dict
      contains:
        dedicated_cloud:
          description: C(GET /dedicatedCloud/{serviceName}), or null when the service is gone.
          type: dict
        service_infos:
          description: C(GET /dedicatedCloud/{serviceName}/serviceInfos), or null.
          type: dict
        service:
          description: The C(/services/{serviceId}) entry of the service, or null.
          type: dict
        emails:
          description: The termination e-mails for this service within O(email_lookback_hours), newest first.
          type: list
          elements: dict
          contains:
            id:
              description: E-mail id.
              type: int
            date:
              description: E-mail date, ISO 8601 UTC.
              type: str
            subject:
              description: E-mail subject.
              type: str
writes:
  description: The writes sent by this run (none in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
    path:
      description: The path written to.
      type: str
    query_id:
      description: The C(X-Ovh-QueryID) of the response (null when the response was lost).
      type: str
    at:
      description: When it was sent (API clock), ISO 8601 UTC.
      type: str
    outcome:
      description: V(accepted), V(unknown) (response lost, or HTTP 5xx; it may have been applied) or V(refused).
      type: str
    retry:
      description: True for the one retry of a confirmation whose outcome was unknown (see RV(termination.retry_after_unknown)).
      type: bool
query_id:
  description: The C(X-Ovh-QueryID) of the last write, or null when nothing was written.
  returned: always
  type: str
  sample: EU.ext-3.6a5e2b4c.1234.5678abcd
diff:
  description: The termination status before and after (predicted in check mode).
  returned: always
  type: dict
  sample: {"before": {"status": "active"}, "after": {"status": "request_pending"}}
msg:
  description: What the module did or would do, and why.
  returned: success
  type: str
api_calls:
  description: The HTTP requests sent, per route template.
  returned: always
  type: dict
  sample: {"total": 7, "by_route": {"GET /dedicatedCloud/{serviceName}": 1}, "retries": 0, "retry_wait_seconds": 0.0, "rate_limit_wait_seconds": 0.0}
failure:
  description: What the API answered when the module failed (no credential or token is ever included).
  returned: failure
  type: dict
  contains:
    status:
      description: The HTTP status, or null when no response was involved.
      type: int
    error_code:
      description: The API's C(errorCode) or C(class), C(OUTCOME_UNKNOWN) for a lost response, or the kind of refusal
        (for example C(NOT_FOUND), C(BUSY), C(TOKEN_EXPIRED), C(BILLING_WINDOW)) when the module refused by itself.
      type: str
    message:
      description: The API's message or the module's reason.
      type: str
    query_id:
      description: The C(X-Ovh-QueryID) of the response, to quote to OVHcloud support.
      type: str
    method:
      description: The HTTP method of the failed call.
      type: str
    path:
      description: The path of the failed call.
      type: str
"""

from ansible_collections.ovhcloud.mbm.plugins.module_utils._confirm import FUTURE_USES, TERMINATION_REASONS, confirm_termination
from ansible_collections.ovhcloud.mbm.plugins.module_utils._module import MbmModule, run_operation, termination_argument_spec, wait_argument_spec


def main():
    argument_spec = termination_argument_spec()
    argument_spec.update(wait_argument_spec())
    argument_spec.update(
        token=dict(type="str", no_log=True),
        reason=dict(type="str", choices=list(TERMINATION_REASONS)),
        future_use=dict(type="str", choices=list(FUTURE_USES)),
        commentary=dict(type="str"),
        allow_non_mbm=dict(type="bool", default=False),
    )
    mbm = MbmModule(argument_spec=argument_spec, supports_check_mode=True)
    params = mbm.params
    run_operation(
        mbm,
        confirm_termination,
        service_name=params["service_name"],
        token=params["token"],
        reason=params["reason"],
        future_use=params["future_use"],
        commentary=params["commentary"],
        wait_for_email=params["wait_for_email"],
        wait_timeout=params["wait_timeout"],
        wait_delay=params["wait_delay"],
        allow_non_mbm=params["allow_non_mbm"],
    )


if __name__ == "__main__":
    main()
