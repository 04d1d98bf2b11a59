# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every value of every public copy of dedicatedCloud.StateEnum is classified (issue 8, item 6).

The public schema copies differ (docs/api-assumptions.md): the oldest has neither toRemove nor upgrading, a 2020 copy
adds toRemove, the newest adds upgrading too. A value the code does not know would fail closed as busy, but a removal
value read as busy would hide a running removal, so each value must be placed on purpose.
"""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _status
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import dc, decide, mail_at

# UrielCh/ovh-java-sdk .../dedicatedcloud/OvhStateEnum.java (oldest copy).
OLDEST = (
    "available",
    "delivered",
    "disabled",
    "disabling",
    "error",
    "migrating",
    "provisionning",
    "recycling",
    "reserved",
    "toDisable",
    "toProvision",
    "toRecycle",
    "toUnprovision",
    "unprovisionning",
)
# UrielCh/api-ovh-node code/gen/models/ovh-api/dedicatedCloud.ts at 98f0ce57 (2020): the oldest plus toRemove.
WITH_TO_REMOVE = OLDEST + ("toRemove",)
# UrielCh/api-ovh-node code/gen/models/ovh-api/dedicatedCloud.ts (HEAD): plus upgrading.
NEWEST = WITH_TO_REMOVE + ("upgrading",)
UNION = sorted(set(OLDEST) | set(WITH_TO_REMOVE) | set(NEWEST))
EXPECTED_REMOVAL = {"toRemove", "toUnprovision", "unprovisionning", "toRecycle", "recycling"}


def test_the_three_groups_are_disjoint():
    groups = (_status.READY_STATES, _status.REMOVAL_STATES, _status.BUSY_STATES)
    for index, group in enumerate(groups):
        for other in groups[index + 1 :]:
            assert not set(group) & set(other)


@pytest.mark.parametrize("state", UNION)
def test_every_value_of_every_copy_is_classified(state):
    classes = [name for name, group in (("ready", _status.READY_STATES), ("removal", _status.REMOVAL_STATES), ("busy", _status.BUSY_STATES)) if state in group]
    assert len(classes) == 1, "%s is in %s" % (state, classes or "no group")


def test_the_union_is_sixteen_values_and_nothing_else_is_classified():
    assert len(UNION) == 16
    assert set(_status.READY_STATES) | set(_status.REMOVAL_STATES) | set(_status.BUSY_STATES) == set(UNION)
    assert set(_status.READY_STATES) == {"available", "delivered"}
    assert set(_status.REMOVAL_STATES) == EXPECTED_REMOVAL


@pytest.mark.parametrize("state", UNION)
def test_each_value_leads_to_its_status(state):
    if state in _status.READY_STATES:
        assert decide(dedicated_cloud=dc(state))["status"] == "active"
    elif state in _status.REMOVAL_STATES:
        assert decide(dedicated_cloud=dc(state), emails=[mail_at(1)])["status"] == "terminating"
    else:
        with pytest.raises(TerminationError) as err:
            decide(dedicated_cloud=dc(state))
        assert err.value.kind == "busy" and state in err.value.msg


def test_a_value_of_no_copy_fails_closed_as_busy():
    with pytest.raises(TerminationError) as err:
        decide(dedicated_cloud=dc("somethingNew"))
    assert err.value.kind == "busy"
