# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``termination`` return value is documented four times (mbm_info and the three write modules return the same
dict, built by one function): the four RETURN blocks must stay equal so that an edit of one cannot let them drift."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.ovhcloud.mbm.plugins.modules import (
    mbm_info,
    mbm_termination_cancel,
    mbm_termination_confirm,
    mbm_termination_request,
)

WRITE_MODULES = (mbm_termination_request, mbm_termination_confirm, mbm_termination_cancel)


def termination_doc(module):
    doc = yaml.safe_load(module.RETURN)
    assert "termination" in doc, module.__name__
    return doc["termination"]


def without_returned(entry):
    entry = copy.deepcopy(entry)
    entry.pop("returned", None)
    return entry


@pytest.mark.parametrize("module", WRITE_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_write_modules_document_termination_exactly_like_the_request_module(module):
    assert termination_doc(module) == termination_doc(mbm_termination_request)


@pytest.mark.parametrize("module", WRITE_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_mbm_info_documents_the_same_termination_but_for_when_it_is_returned(module):
    # mbm_info returns it only for one service (service_name set); the write modules also on late failures
    assert without_returned(termination_doc(mbm_info)) == without_returned(termination_doc(module))
    assert "service_name" in termination_doc(mbm_info)["returned"]


def test_the_documented_termination_is_not_empty():
    doc = termination_doc(mbm_info)
    assert doc["type"] == "dict" and "status" in doc["contains"] and len(doc["contains"]) >= 5
