# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The billing window and the Settings that validate it (_billing, _state)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _billing, _state, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import NOW


def test_window_before_and_from_the_day():
    before = _billing.billing_window(_time.parse_api_time("2026-11-24T23:59:00Z"))
    assert (before["day_of_month"], before["days_left_in_month"], before["open"]) == (24, 6, False)
    after = _billing.billing_window(_time.parse_api_time("2026-11-25T00:00:00Z"))
    assert (after["day_of_month"], after["days_left_in_month"], after["open"]) == (25, 5, True)
    assert after["last_day_of_month"] == 30


def test_window_counts_the_day_in_the_timezone():
    moment = _time.parse_api_time("2026-11-24T23:30:00Z")
    assert _billing.billing_window(moment, "UTC")["day_of_month"] == 24
    paris = _billing.billing_window(moment, "Europe/Paris")
    assert paris["day_of_month"] == 25 and paris["open"] is True and paris["timezone"] == "Europe/Paris"


def test_from_day_past_a_short_month_means_its_last_day():
    feb = _billing.billing_window(_time.parse_api_time("2027-02-28T12:00:00Z"), from_day=31)
    assert feb["open"] is True and feb["days_left_in_month"] == 0
    assert _billing.billing_window(_time.parse_api_time("2027-02-27T12:00:00Z"), from_day=31)["open"] is False


@pytest.mark.parametrize(
    "moment, zone, day, last_day, days_left",
    [
        ("2026-12-01T03:00:00Z", "America/New_York", 30, 30, 0),  # behind UTC: still the last day of November
        ("2026-11-30T12:00:00Z", "Pacific/Auckland", 1, 31, 30),  # ahead of UTC: already December
        ("2026-12-31T23:30:00Z", "Asia/Tokyo", 1, 31, 30),  # ahead: January of the next year
        ("2027-01-01T00:30:00Z", "America/Los_Angeles", 31, 31, 0),  # behind: still December of the previous year
        ("2028-02-29T12:00:00Z", "UTC", 29, 29, 0),  # leap day
        ("2027-03-01T00:30:00Z", "Europe/Paris", 1, 31, 30),
        ("2027-02-28T23:30:00Z", "Europe/Paris", 1, 31, 30),  # 00:30 on March 1st in Paris
        ("2026-03-29T01:30:00Z", "Europe/Paris", 29, 31, 2),  # the night clocks go forward
    ],
)
def test_window_figures_at_month_ends_and_across_zones(moment, zone, day, last_day, days_left):
    window = _billing.billing_window(_time.parse_api_time(moment), zone, from_day=31)
    assert (window["day_of_month"], window["last_day_of_month"], window["days_left_in_month"]) == (day, last_day, days_left)
    assert window["open"] is (day == last_day)
    assert window["timezone"] == zone


@pytest.mark.parametrize("kwargs", [{"timezone": "Mars/Olympus"}, {"from_day": 0}, {"from_day": 32}, {"mode": "maybe"}])
def test_window_rejects_bad_options(kwargs):
    with pytest.raises(ValueError):
        _billing.billing_window(NOW, **kwargs)


def test_check_billing_window_modes():
    warnings = []
    closed = _billing.billing_window(NOW, mode="warn")
    _billing.check_billing_window(closed, warnings.append)
    assert len(warnings) == 1 and "day 20 of 30" in warnings[0]
    _billing.check_billing_window(_billing.billing_window(NOW, mode="ignore"), warnings.append)
    assert len(warnings) == 1
    with pytest.raises(TerminationError) as err:
        _billing.check_billing_window(_billing.billing_window(NOW, mode="refuse"), warnings.append)
    assert err.value.kind == "billing_window" and "Nothing was written" in err.value.msg
    _billing.check_billing_window(_billing.billing_window(NOW, from_day=1, mode="refuse"), warnings.append)  # open: silent
    assert len(warnings) == 1


def test_settings_validate_options_before_any_call():
    with pytest.raises(TerminationError) as err:
        _state.Settings(billing_timezone="Nowhere/City")
    assert err.value.kind == "invalid"
    with pytest.raises(TerminationError):
        _state.Settings(email_lookback_hours=24)
    with pytest.raises(TerminationError):
        _state.Settings(confirm_from_day=40)
