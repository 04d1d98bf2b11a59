# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dates of the API: parsing, formatting, short human durations (the one time module of the collection).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports nothing of the collection.

Two parsers live here because two behaviours exist today and both are relied on:

* ``parse_api_time``/``format_time`` (the termination rooms): an epoch number is accepted as is;
* ``parse_text_time``/``format_time_checked``/``normalize_text_time`` (the backup evidence, _backup.py's
  ``parse_time``/``format_time``/``normalize_time``): text only, offsets checked, out-of-range epochs give None.
"""

from __future__ import annotations

import datetime
import re

UTC = datetime.timezone.utc

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


def parse_api_time(value):
    """Epoch seconds from an API date (``2026-11-20``), date-time (``2026-11-20T10:00:00+01:00``, ``...Z``)
    or epoch number; None when absent or unreadable. Dates without a zone are taken as UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _ISO_RE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        stamp = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None
    epoch = (stamp - datetime.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    if fraction:
        epoch += float("0." + fraction)
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:] or 0) * 60)
    return epoch


def format_time(epoch):
    """ISO 8601 UTC with a ``Z``, whole seconds; None for None."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds):
    """A short human duration: ``3 h 5 min``."""
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append("%d d" % days)
    if hours:
        parts.append("%d h" % hours)
    if minutes or not parts:
        parts.append("%d min" % minutes)
    return " ".join(parts)


# The backup evidence's behaviour (today _backup.parse_time, format_time and normalize_time).

_TEXT_ISO_RE = re.compile(
    r"^\s*(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?)?\s*$"
)


def parse_text_time(value):
    """Parse an API date (ISO 8601, with or without offset, fraction or time part) into epoch seconds.

    How it differs from parse_api_time: only text is read (None for numbers, epoch or not: a number could be
    seconds or milliseconds), surrounding spaces are allowed, an offset beyond 23 h or 59 min gives None, and
    the fraction is kept to the microsecond. A date without an offset is read as UTC; a date without a time part
    as midnight UTC. Returns None for None, empty or unreadable values (callers treat None as "no evidence",
    never as "recent").
    """
    if not isinstance(value, str):
        return None
    match = _TEXT_ISO_RE.match(value)
    if not match:
        return None
    parts = match.groupdict()
    try:
        frac = parts["frac"] or "0"
        micro = int((frac + "000000")[:6])
        moment = datetime.datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            micro,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    offset = 0
    tz = parts["tz"]
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = sign * (hours * 3600 + minutes * 60)
    return moment.timestamp() - offset


def format_time_checked(epoch):
    """Epoch seconds -> ISO 8601 UTC with a Z suffix, to the second (None stays None).

    How it differs from format_time: an epoch the platform cannot represent gives None instead of raising."""
    if epoch is None:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(int(epoch // 1), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_text_time(value):
    """An API date normalized to ISO 8601 UTC (Z) by parse_text_time; an unreadable value is kept as given (an
    empty string becomes None), None stays None."""
    epoch = parse_text_time(value)
    if epoch is None:
        return value if value not in ("",) else None
    return format_time_checked(epoch)
