# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API dates: parse_api_time and format_time (_time)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _time
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import HOUR, NOW


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-20T10:00:00Z", NOW),
        ("2026-11-20T10:00:00+00:00", NOW),
        ("2026-11-20T11:00:00+01:00", NOW),
        ("2026-11-20T05:00:00-0500", NOW),
        ("2026-11-20T12:00:00+02", NOW),
        ("2026-11-20T00:30:00-09:30", NOW),
        ("2026-11-21T01:00:00+15:00", NOW),
        ("2026-11-20T10:00:00z", NOW),
        ("2026-11-20T10:00:00.250Z", NOW + 0.25),
        ("2026-11-20T10:00:00", NOW),
        ("2026-11-20", NOW - 10 * HOUR),
    ],
)
def test_parse_api_time_formats(text, expected):
    assert _time.parse_api_time(text) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-01", True, {}])
def test_parse_api_time_unreadable_is_none(value):
    assert _time.parse_api_time(value) is None


def test_format_time_is_utc_with_z():
    assert _time.format_time(NOW + 0.9) == "2026-11-20T10:00:00Z"
    assert _time.format_time(None) is None


def test_the_backup_evidence_reads_dates_with_the_text_variants():
    # one time parser module: the backup evidence uses _time's text variants, not copies of its own
    from ansible_collections.ovhcloud.mbm.plugins.module_utils import _backup_evidence  # pylint: disable=import-outside-toplevel

    assert _backup_evidence.parse_time is _time.parse_text_time
    assert _backup_evidence.format_time is _time.format_time_checked
    assert _backup_evidence.normalize_time is _time.normalize_text_time


def test_the_two_parsers_differ_where_documented():
    assert _time.parse_api_time(1763632800) == 1763632800.0 and _time.parse_text_time(1763632800) is None
    assert _time.parse_api_time("2026-11-20T10:00:00+24:00") is not None and _time.parse_text_time("2026-11-20T10:00:00+24:00") is None
    assert _time.format_time_checked(1e20) is None
    with pytest.raises((OverflowError, OSError, ValueError)):
        _time.format_time(1e20)


def test_duration_is_short_and_human():
    assert [_time.duration(s) for s in (-5, 59, 3900, 90000 + 300)] == ["0 min", "0 min", "1 h 5 min", "1 d 1 h 5 min"]
