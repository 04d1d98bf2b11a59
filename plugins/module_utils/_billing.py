# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The billing window (docs/design.md section 5b): where today falls in the billing month, on the API's clock.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Pure; imports only _time and _termination_errors.
"""

from __future__ import annotations

import calendar
import datetime

try:
    from zoneinfo import ZoneInfo

    HAS_ZONEINFO = True
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None
    HAS_ZONEINFO = False

from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import UTC

BILLING_MODES = ("warn", "refuse", "ignore")


def billing_window(now, timezone="UTC", from_day=25, mode="warn", action="request"):
    """The billing window figures on the API's clock ``now`` (epoch seconds).

    Returns ``{timezone, day_of_month, days_left_in_month, last_day_of_month, from_day, mode, action, open,
    message}``. ``open`` is true from ``from_day`` (or the last day of a shorter month) to the end of the
    month; ``days_left_in_month`` counts the days after today. Raises ValueError for an unknown timezone or
    a day outside 1-31."""
    if mode not in BILLING_MODES:
        raise ValueError("billing_window must be one of %s, not %r" % (", ".join(BILLING_MODES), mode))
    if not isinstance(from_day, int) or isinstance(from_day, bool) or not 1 <= from_day <= 31:
        raise ValueError("the first day of the billing window must be a day of the month (1-31), not %r" % (from_day,))
    zone = _zone(timezone)
    local = datetime.datetime.fromtimestamp(now, zone)
    last_day = calendar.monthrange(local.year, local.month)[1]
    first_open = min(from_day, last_day)
    is_open = local.day >= first_open
    days_left = last_day - local.day
    if is_open:
        message = "day %d of %d (%s): inside the billing window for the %s (from day %d); OVHcloud bills whole months, %d day(s) of this month are left" % (
            local.day,
            last_day,
            timezone,
            action,
            first_open,
            days_left,
        )
    else:
        message = (
            "day %d of %d (%s): before the billing window for the %s (from day %d); OVHcloud bills whole months "
            "with no pro-rata refund, so acting now gives up %d day(s) of this month already paid for"
            % (local.day, last_day, timezone, action, first_open, days_left)
        )
    return {
        "timezone": timezone,
        "day_of_month": local.day,
        "days_left_in_month": days_left,
        "last_day_of_month": last_day,
        "from_day": from_day,
        "mode": mode,
        "action": action,
        "open": is_open,
        "message": message,
    }


def _zone(name):
    if not isinstance(name, str) or not name:
        raise ValueError("billing_timezone must be an IANA time zone name such as UTC or Europe/Paris")
    if name.upper() == "UTC":
        return UTC
    if not HAS_ZONEINFO:  # pragma: no cover
        raise ValueError("billing_timezone %r needs Python 3.9+ (zoneinfo); use UTC" % name)
    try:
        return ZoneInfo(name)
    except Exception:  # zoneinfo raises ZoneInfoNotFoundError, ValueError or OSError for bad names
        raise ValueError("billing_timezone %r is not a known IANA time zone name (e.g. UTC, Europe/Paris)" % name)


def check_billing_window(window, warn):
    """Apply the mode of a billing window before a write: ``refuse`` raises, ``warn`` warns, ``ignore`` is silent."""
    if window["open"]:
        return
    if window["mode"] == "refuse":
        raise TerminationError(
            "billing_window",
            "Refused by billing_window=refuse: %s. Nothing was written; run again from day %d "
            "or set billing_window to warn or ignore." % (window["message"], window["from_day"]),
        )
    if window["mode"] == "warn":
        warn("Billing window: %s." % window["message"])
