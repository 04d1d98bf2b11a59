# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a service strictly (_state)."""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _state
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import NOW, dc, entry, infos


class StubClient:
    """Serves fixed answers per route template; ``OvhApiError`` instances are raised."""

    def __init__(self, answers):
        self.answers = answers

    def now(self):
        return NOW

    def get(self, template, **params):  # params: path parameters and query
        key = (template, params.get("serviceId"))
        answer = self.answers.get(key, self.answers.get((template, None)))
        if isinstance(answer, Exception):
            raise answer
        return answer


def _api_error(status):
    from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError  # pylint: disable=import-outside-toplevel

    return OvhApiError("gone", status=status, query_id="Q404", method="GET", path="/dedicatedCloud/pcc-1")


def test_a_look_alike_services_record_never_reads_as_terminated():
    # 404, and /services answers an id whose resource is another service: a typo must stay "not found"
    look_alike = entry("deleted")
    look_alike["resource"]["name"] = "pcc-10"
    client = StubClient({(routes.SERVICE, None): _api_error(404), (routes.SERVICES, None): [5], (routes.SERVICES_ITEM, 5): look_alike})
    with pytest.raises(TerminationError) as err:
        _state.read_termination_state(client, "pcc-1")
    assert err.value.kind == "not_found" and err.value.error.status == 404


def test_a_services_entry_of_another_service_id_is_ignored():
    # serviceInfos names 1001; an entry 5 (deleted) listed for the name is not this service's record
    other = entry("deleted")
    other["serviceId"] = 5
    client = StubClient(
        {
            (routes.SERVICE, None): dc(),
            (routes.SERVICE_INFOS, None): infos(),
            (routes.SERVICES, None): [5],
            (routes.SERVICES_ITEM, 5): other,
            (routes.EMAILS, None): [],
        }
    )
    state = _state.read_termination_state(client, "pcc-1")
    assert state.status == "active" and state.service is None


def test_404_with_this_services_deleted_record_is_terminated():
    client = StubClient(
        {
            (routes.SERVICE, None): _api_error(404),
            (routes.SERVICES, None): [7, 1001],
            (routes.SERVICES_ITEM, 7): None,
            (routes.SERVICES_ITEM, 1001): entry("deleted"),
        }
    )
    assert _state.read_termination_state(client, "pcc-1").status == "terminated"
