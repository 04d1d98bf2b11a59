# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options and notes shared by the modules that read or write the termination state of a service.

    They document termination_argument_spec() and wait_argument_spec() of plugins/module_utils/_module.py:
    keep both sides equal.

    ovhcloud.mbm.termination (every termination module, mbm_info included): the e-mail look-back, the billing
    window days and time zone, and the notes on the life cycle, the status precedence and the API's clock.

    ovhcloud.mbm.termination.write (request, confirm, cancel): the required service_name, billing_window as the
    write modules apply it, and their diff_mode support. mbm_info documents both options itself: its service_name is
    optional and it never writes.

    ovhcloud.mbm.termination.wait (request, confirm): the bounds of the wait for the termination e-mail and the
    note on the request record. Each module documents its own wait_for_email, whose text differs.
    """

    DOCUMENTATION = r"""
options:
  email_lookback_hours:
    description:
      - How far back, in hours, the account's e-mail history is read for termination e-mails (newest first; the scan
        stops at the first older e-mail).
      - At least V(72), the validity of a termination link. The default keeps a lapsed link visible for a day, so the
        status reads V(token_expired) rather than V(active).
    type: int
    default: 96
  request_from_day:
    description:
      - First day of the month (in O(billing_timezone), on the API's clock) from which a termination request is
        inside the billing window. OVHcloud advises the 25th. A day past the end of a shorter month means its last day.
    type: int
    default: 25
  confirm_from_day:
    description:
      - First day of the month from which a confirmation is inside the billing window.
    type: int
    default: 25
  billing_timezone:
    description:
      - IANA time zone name (for example V(UTC) or V(Europe/Paris)) in which the day of the month is counted.
    type: str
    default: UTC
notes:
  - "The life cycle: M(ovhcloud.mbm.mbm_termination_request) makes OVHcloud send a termination e-mail to the service's
    admin contact (also readable in the account's e-mail history). Its confirmation link
    (C(.../billing/confirmTerminate?id=<serviceId>&token=<token>)) is valid for 72 hours. Confirming with
    M(ovhcloud.mbm.mbm_termination_confirm) deletes all the data of the service at once and cannot be undone; an
    unconfirmed request simply lapses after 72 hours and loses nothing."
  - "Termination e-mails are recognised by their confirmation link only: its C(id) must be the service's C(serviceId).
    The subject is never trusted on its own (some e-mails have a generic subject), links to other services are ignored,
    and the cancel link some e-mails carry (C(support/resiliation/?action=cancel...)) is never taken for a confirmation
    link. E-mails are returned as id, date and subject; tokens and e-mail bodies are never returned or logged."
  - "Status precedence (the first that holds wins): V(terminated) (404, or 460, and C(/services) says the resource is
    deleted); V(terminating) (the service state is toRemove, toUnprovision, unprovisionning, toRecycle or recycling, or
    C(/services) says toDelete, or OVHcloud accepted a confirmation sent from this controller);
    V(termination_requested) (the newest termination e-mail for this service is younger than 72 h); V(request_pending)
    (a C(terminate) sent from this controller, recorded under O(state_dir), less than 40 minutes ago, whose e-mail has not
    arrived yet, also when its answer was lost or was an HTTP 5xx; such a request also hides an older e-mail, whose link
    it replaces); V(termination_scheduled) (C(renew.deleteAtExpiration) is true); V(token_expired) (the newest
    termination e-mail is older than 72 h, or its link was replaced by such a request whose e-mail never came);
    V(active)."
  - "It fails closed, writing nothing: a service that answers 404 and has no C(/services) record is not found (a typo
    never reads as terminated); 460 without a deleted resource is expired (data may still be there); any service state
    other than available, delivered or a removal state is busy."
  - "Dates are judged on the OVHcloud API's clock (from C(GET /auth/time)), not on the clock of the host running the
    module."
"""

    WRITE = r"""
attributes:
  diff_mode:
    support: full
    details:
      - The diff shows the termination status before and after (predicted in check mode).
options:
  service_name:
    description:
      - The internal name of the Managed Bare Metal service, for example V(pcc-192-0-2-10).
    type: str
    required: true
  billing_window:
    description:
      - What to do when a write falls before the billing window of the month (see O(request_from_day),
        O(confirm_from_day) and O(billing_timezone)). OVHcloud bills whole months and refunds nothing pro rata.
      - V(warn) writes and adds a warning, V(refuse) fails before writing anything, V(ignore) says nothing.
      - The figures are returned in RV(termination.billing_window) whatever the mode.
    type: str
    choices: [warn, refuse, ignore]
    default: warn
"""

    WAIT = r"""
options:
  wait_timeout:
    description:
      - Maximum number of seconds to wait for the e-mail when O(wait_for_email=true).
    type: int
    default: 2400
  wait_delay:
    description:
      - Seconds between two reads of the e-mail history while waiting (at least V(1)).
    type: int
    default: 30
notes:
  - "The request record is one JSON file per endpoint, credential and service under O(state_dir)/termination (mode
    C(0600), written atomically, holding no secret: the credential is only hashed into its name). A record that cannot
    be read fails the module instead of being taken for \"no request\", and an empty O(state_dir) is refused before any
    write. Records are per credential: a request sent with another consumer key or from another controller is only
    seen through its e-mail. Two runs for the same service on one controller (for example two inventory hosts naming
    it) never write at once: the second waits for the first (at most O(wait_timeout) plus 10 minutes), then reads the
    state the first one left."
"""
