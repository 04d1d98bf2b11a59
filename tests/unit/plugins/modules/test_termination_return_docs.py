# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``termination`` RETURN block is repeated in the four termination modules: it stays equal, and it documents
every key the termination dict has."""

from __future__ import annotations

import copy

import yaml

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _state
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_info, mbm_termination_cancel, mbm_termination_confirm, mbm_termination_request

MODULES = (mbm_info, mbm_termination_request, mbm_termination_confirm, mbm_termination_cancel)


def _termination(module):
    return yaml.safe_load(module.RETURN)["termination"]


def _termination_contains(module):
    return _termination(module)["contains"]


def _without_returned(entry):
    entry = copy.deepcopy(entry)
    entry.pop("returned", None)
    return entry


def test_the_termination_blocks_are_equal():
    first = _termination(mbm_termination_request)
    for module in MODULES[2:]:
        assert _termination(module) == first, module.__name__
    # mbm_info returns it only for one service (service_name set); the write modules also on late failures
    assert _without_returned(_termination(mbm_info)) == _without_returned(first)
    assert "service_name" in _termination(mbm_info)["returned"]


def test_every_key_of_the_termination_dict_is_documented():
    state = _state.TerminationState("pcc-1", 0.0, {"state": "delivered"}, {"serviceId": 1}, None)
    state.decision = {"status": "active"}
    documented = set(_termination_contains(mbm_info))
    assert set(state.result(_state.Settings())) == documented
    assert {"email_recipient", "awaiting_token", "retry_after_unknown"} <= documented
    assert set(_termination_contains(mbm_info)["email_recipient"]["contains"]) == {"admin_contact", "account", "visible"}
