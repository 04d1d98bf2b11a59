#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mbm_termination_cancel
short_description: Undo what can be undone of the termination of an OVHcloud Managed Bare Metal service
version_added: 0.1.0
description:
  - "Nothing is lost before a termination is confirmed, and nothing can be undone after. In between, two paths can be
    reversed, and this module handles both:"
  - "A deletion scheduled at expiration (C(renew.deleteAtExpiration) true, status V(termination_scheduled)): the module
    sets C(renew.deleteAtExpiration) back to false and C(renew.automatic) to true with
    C(PUT /dedicatedCloud/{serviceName}/serviceInfos), so that the service is renewed at its expiration date instead
    of deleted. The rest of C(renew) is sent back unchanged. A service that renews by manual payment
    (C(renew.manualPayment) true) keeps C(renew.automatic) as it is, and a warning says to pay the renewal before
    the expiration date."
  - "A pending request (V(termination_requested) or V(request_pending)): no call is needed. The request lapses when its
    link expires, 72 hours after the e-mail, as long as nobody confirms it. The module says so and changes nothing;
    do not run M(ovhcloud.mbm.mbm_termination_confirm) for the service."
  - A service whose removal is running (V(terminating)) or done (V(terminated)) cannot be restored; the module fails and
    says that the data is gone.
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
extends_documentation_fragment:
  - ovhcloud.mbm.termination
  - ovhcloud.mbm.termination.write
  - ovhcloud.mbm.api
  - ovhcloud.mbm.attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the state and, when a write is due, the consumer key's access rules
        (C(GET /auth/currentCredential)), then reports the predicted change; it never writes.
  idempotent:
    support: full
    details:
      - Once C(renew.deleteAtExpiration) is false, a second run changes nothing.
notes:
  - "That setting C(renew.deleteAtExpiration) back to false (and C(renew.automatic) to true) with
    C(PUT /dedicatedCloud/{serviceName}/serviceInfos) cancels a deletion scheduled at expiration is an assumption:
    the API schema marks C(renew) as writable, but OVHcloud does not document this use."
  - The billing window options only shape the figures returned in RV(termination.billing_window); this module never
    refuses because of them.
  - "Access rules the consumer key needs for this module: C(GET /dedicatedCloud*), C(GET /services*), C(GET /me), C(GET
    /me/notification/email/history*), C(PUT /dedicatedCloud/*/serviceInfos). On accounts governed by IAM policies
    the identity needs the IAM actions C(pccVMware:apiovh:get), C(pccVMware:apiovh:serviceInfos/get),
    C(account:apiovh:services/get), C(account:apiovh:me/get), C(account:apiovh:me/notification/email/history/get),
    C(pccVMware:apiovh:serviceInfos/edit). A refused call names the missing access rule or IAM action."
seealso:
  - module: ovhcloud.mbm.mbm_info
  - module: ovhcloud.mbm.mbm_termination_request
"""

EXAMPLES = r"""
- name: Keep a service whose deletion was scheduled at expiration
  ovhcloud.mbm.mbm_termination_cancel:
    service_name: pcc-192-0-2-10
  delegate_to: localhost
  register: cancelled

- name: Show what was done
  ansible.builtin.debug:
    msg: "{{ cancelled.msg }}"
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

from ansible_collections.ovhcloud.mbm.plugins.module_utils._cancel import cancel_termination
from ansible_collections.ovhcloud.mbm.plugins.module_utils._module import MbmModule, run_operation, termination_argument_spec


def main():
    mbm = MbmModule(argument_spec=termination_argument_spec(), supports_check_mode=True)
    run_operation(mbm, cancel_termination, service_name=mbm.params["service_name"])


if __name__ == "__main__":
    main()
