# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mbm_termination_confirm against simulator error pages that echo the posted body (issue 9, item 9): no part of the
token (8 characters or more, plain or percent-encoded) reaches the result, whatever field the API echoes it in."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.modules.test_mbm_termination_confirm import CONFIRM, confirm


def leaked(text, token=C.REQUESTED_TOKEN):
    # the token's 8-character runs with a letter in them: its digits-only runs occur elsewhere (an IAM id of the
    # simulator ends in 000000001013), and a cut keeps the start of a token, which is where its letters are
    forms = (token, quote(token, safe=""))
    return sorted(set(form[i : i + 8] for form in forms for i in range(len(form) - 7) if form[i : i + 8] in text and any(c.isalpha() for c in form[i : i + 8])))


@pytest.mark.parametrize("padding", range(40, 130, 6))
def test_html_page_echoing_the_body_across_the_cut(sim, api_args, padding):
    sim.add_fault(CONFIRM, status=400, html=True, echo_body=True, message="Refused " + "y" * padding)
    result = confirm(sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and result["failure"]["status"] == 400
    assert leaked(json.dumps(result)) == []


@pytest.mark.parametrize("given", [None, C.REQUESTED_TOKEN])
def test_json_error_echoing_the_token_in_the_error_code_message_and_details(sim, api_args, given):
    sim.add_fault(
        CONFIRM, status=400, echo_body=True, error_code="BAD_TOKEN_" + C.REQUESTED_TOKEN, message="Token %s refused" % quote(C.REQUESTED_TOKEN, safe="")
    )
    options = {"token": given} if given else {}
    result = confirm(sim, api_args, service_name=C.REQUESTED, **options)
    assert result["failed"] and result["failure"]["status"] == 400
    assert result["failure"]["error_code"] == "BAD_TOKEN_********"
    assert leaked(json.dumps(result)) == []
