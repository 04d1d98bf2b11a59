# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Date helpers: API date formats and fixture dates relative to the fixture's ``now``."""

from __future__ import annotations

import datetime
import re

UTC = datetime.timezone.utc

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_REL_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_REL = re.compile(r"^([+-])((?:\d+(?:\.\d+)?[smhdw])+)$")

# Keys whose values are calendar dates (YYYY-MM-DD) in the API; every other date key is a date-time.
DATE_ONLY_KEYS = frozenset(["creation", "expiration", "engagedUpTo"])
DATETIME_KEYS = frozenset(
    [
        "date",
        "lastSuccessfulCreationTime",
        "lastCreationTime",
        "creationTime",
        "lastSuccessfulReplicationDate",
        "expirationDate",
        "terminationDate",
        "creationDate",
        "nextBillingDate",
        "lastUpdate",
    ]
)
_ALL_DATE_KEYS = DATE_ONLY_KEYS | DATETIME_KEYS


def relative_seconds(text):
    """Return the signed number of seconds of a relative date such as ``-6h`` or ``+1d12h``, else None."""
    if not isinstance(text, str):
        return None
    if text == "now":
        return 0.0
    match = _REL.match(text.strip())
    if not match:
        return None
    total = sum(float(num) * _UNITS[unit] for num, unit in _REL_PART.findall(match.group(2)))
    return total if match.group(1) == "+" else -total


def iso_datetime(epoch, offset_minutes=0):
    """API date-time: ``2026-11-20T10:00:00+00:00`` (whole seconds; UTC unless another offset is given)."""
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes)) if offset_minutes else UTC
    return datetime.datetime.fromtimestamp(int(epoch), zone).isoformat()


def iso_date(epoch):
    """API calendar date: ``2026-11-20`` (UTC)."""
    return datetime.datetime.fromtimestamp(int(epoch), UTC).date().isoformat()


def parse_time(value, now=None):
    """Epoch seconds from an epoch number, an ISO 8601 date or date-time, or a relative date (needs ``now``)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    rel = relative_seconds(value)
    if rel is not None:
        if now is None:
            raise ValueError("relative date %r needs a reference time" % value)
        return now + rel
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        parsed = datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    else:
        parsed = datetime.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def resolve_dates(obj, now):
    """Return a copy of ``obj`` where relative dates under known date keys are replaced by API dates."""
    if isinstance(obj, dict):
        result = {}
        for key, value in obj.items():
            if isinstance(value, (dict, list)):
                result[key] = resolve_dates(value, now)
                continue
            rel = relative_seconds(value) if isinstance(value, str) and key in _ALL_DATE_KEYS else None
            if rel is None:
                result[key] = value
            elif key in DATE_ONLY_KEYS:
                result[key] = iso_date(now + rel)
            else:
                result[key] = iso_datetime(now + rel)
        return result
    if isinstance(obj, list):
        return [resolve_dates(item, now) for item in obj]
    return obj
