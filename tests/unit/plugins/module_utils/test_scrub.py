# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Token scrubbing (issue 9, item 9): an error page that echoes the posted body is scrubbed before it is cut, every
field of a failure is scrubbed (error_code too), and a partial token (a cut prefix, a percent-encoded form) is hidden."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import HIDDEN, scrub_secret
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as cr
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import ex, scripted_client, time_ex

SN = "pcc-1-2-3-4"
CONFIRM = "/dedicatedCloud/{serviceName}/confirmTermination"
CONFIRM_PATH = "/dedicatedCloud/%s/confirmTermination" % SN
TOKEN = "Qz7vK2mPx9LrT4wYb8NcJ5hFd3GsA6eU"  # 32 characters, no run that occurs elsewhere in these texts
SLASHED = "Qz7v/K2mPx9+LrT4wYb8=NcJ5hFd3GsA6eU"  # a token with characters that percent-encoding changes


def lower_hex(text):
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def windows(token, size=8):
    return [token[i : i + size] for i in range(len(token) - size + 1)]


def leaked(text, token=TOKEN):
    """Any run of 8 characters of the token (or of its percent-encoded forms) in text."""
    forms = {token, quote(token, safe=""), lower_hex(quote(token, safe="")), quote(token)}
    return sorted(set(w for form in forms for w in windows(form) if w in text))


def every_field(err):
    return json.dumps(
        {"failure": err.to_failure(), "str": str(err), "hint": err.hint, "details": err.details, "route": err.route, "args": [str(a) for a in err.args]}
    )


def html_page(before, body):
    # an nginx-like page whose text quotes the request body; `before` places the token across the 160-character cut
    return "<html><body><h1>400 Bad Request</h1><p>%s</p><pre>%s</pre></body></html>" % (before, body)


@pytest.mark.parametrize("offset", [150, 152, 155, 158])
def test_html_page_echoing_the_body_is_scrubbed_before_it_is_cut(tmp_path, offset):
    # "400 Bad Request " is 16 characters of text; the posted body starts with {"token":" (10 more)
    before = "x" * (offset - 16 - 10 - 1)
    posted = json.dumps({"token": TOKEN}, separators=(",", ":"))
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("POST", CONFIRM_PATH, raw=html_page(before, posted), status=400, body={"token": TOKEN}),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.post(CONFIRM, body={"token": TOKEN}, serviceName=SN)
    session.assert_done()
    err = info.value
    assert err.error_code == "INVALID_RESPONSE"
    assert leaked(every_field(err)) == []
    # what the write path does afterwards (scrub_secret with the token) still finds nothing to leak
    assert leaked(every_field(scrub_secret(err, TOKEN))) == []


def test_the_cut_still_keeps_the_start_of_the_page(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("POST", CONFIRM_PATH, raw=html_page("short", '{"token":"%s"}' % TOKEN), status=400, body={"token": TOKEN}),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.post(CONFIRM, body={"token": TOKEN}, serviceName=SN)
    assert "400 Bad Request short" in info.value.message and HIDDEN in info.value.message
    assert leaked(every_field(info.value)) == []


def test_json_error_echoing_the_token_in_every_field_is_scrubbed(tmp_path):
    echo = {"errorCode": "INVALID_TOKEN_" + TOKEN, "message": "Token %s refused" % quote(TOKEN, safe=""), "details": {"token": TOKEN, TOKEN: "key"}}
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("POST", CONFIRM_PATH, echo, status=400, body={"token": TOKEN}, headers={"X-Ovh-QueryID": "EU.q1"}),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.post(CONFIRM, body={"token": TOKEN}, serviceName=SN)
    err = info.value
    assert leaked(every_field(err)) == []
    assert err.error_code == "INVALID_TOKEN_" + HIDDEN and err.query_id == "EU.q1"


def test_explicit_secrets_are_scrubbed_too(tmp_path):
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("POST", CONFIRM_PATH, {"message": "bad " + TOKEN}, status=400, body={"reason": "x"}),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.post(CONFIRM, body={"reason": "x"}, secrets=[TOKEN], serviceName=SN)
    assert leaked(every_field(info.value)) == []


# -- scrub_secret itself -----------------------------------------------------------------------------------


def test_scrub_secret_scrubs_every_field_error_code_included():
    err = OvhApiError(
        "refused " + TOKEN,
        status=400,
        error_code="BAD_" + TOKEN,
        query_id="EU." + TOKEN,
        method="POST",
        path="/x?token=" + TOKEN,
        route="/x",
        details={"a": [TOKEN]},
        hint="token " + TOKEN,
    )
    scrub_secret(err, TOKEN)
    assert leaked(every_field(err)) == []
    assert err.error_code == "BAD_" + HIDDEN and err.status == 400


@pytest.mark.parametrize("cut", [8, 9, 20, 31])
@pytest.mark.parametrize("tail", ["", "...", " ", "\u2026"])
def test_a_token_prefix_at_the_end_of_a_cut_text_is_hidden(cut, tail):
    err = OvhApiError("page text: " + TOKEN[:cut] + tail)
    scrub_secret(err, TOKEN)
    assert leaked(every_field(err)) == [] and err.message.startswith("page text: " + HIDDEN)


def test_a_short_prefix_or_an_unrelated_ending_is_kept():
    err = OvhApiError("ends with " + TOKEN[:7])
    assert scrub_secret(err, TOKEN).message == "ends with " + TOKEN[:7]


@pytest.mark.parametrize("form", [quote(SLASHED, safe=""), lower_hex(quote(SLASHED, safe="")), quote(SLASHED), SLASHED.replace("/", "\\/")])
def test_encoded_forms_and_their_cut_prefixes_are_hidden(form):
    whole = scrub_secret(OvhApiError("echo " + form + " end"), SLASHED)
    assert form not in whole.message and HIDDEN in whole.message
    cut = scrub_secret(OvhApiError("echo " + form[:12]), SLASHED)
    assert form[:12] not in cut.message and HIDDEN in cut.message


def test_short_body_values_are_not_taken_for_secrets(tmp_path):
    # a token has at least 8 characters (valid_token_shape); a shorter value under "token" would scrub ordinary words
    client, session, dummy = scripted_client(
        [
            time_ex(),
            ex("POST", CONFIRM_PATH, {"message": "Internal error t"}, status=500, body={"token": "t"}),
        ],
        tmp_path,
    )
    with pytest.raises(OvhApiError) as info:
        client.post(CONFIRM, body={"token": "t"}, serviceName=SN)
    assert "may or may not have been applied" in str(info.value)


def test_several_secrets_and_plain_values():
    err = scrub_secret(OvhApiError("a %s b %s" % (TOKEN, SLASHED)), [TOKEN, SLASHED])
    assert TOKEN not in err.message and SLASHED not in err.message
    assert scrub_secret({"k": ["x " + TOKEN]}, TOKEN) == {"k": ["x " + HIDDEN]}
    assert scrub_secret("x " + TOKEN, TOKEN) == "x " + HIDDEN
    assert scrub_secret("nothing", None) == "nothing"


# -- against the simulator's error pages ------------------------------------------------------------------


@pytest.mark.parametrize("html", [True, False])
def test_simulator_error_page_echoing_the_posted_body(sim, tmp_path, html):
    from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient

    # the padding puts the token across the 160-character cut of the HTML text (10 characters of it before the cut)
    sim.add_fault("POST " + CONFIRM, status=400, html=html, echo_body=True, message="Request refused " + "y" * 76)
    client = OvhClient(
        endpoint=sim.url,
        application_key=cr.APPLICATION_KEY,
        application_secret=cr.APPLICATION_SECRET,
        consumer_key=cr.CK_FULL,
        api_rate_limit=0,
        api_retry_max_wait=0,
        state_dir=str(tmp_path),
    )
    with pytest.raises(OvhApiError) as info:
        client.post(CONFIRM, body={"token": TOKEN}, serviceName=cr.REQUESTED)
    err = info.value
    assert err.status == 400
    assert leaked(every_field(err)) == []
    if html:  # scrubbed before the cut: the whole token is hidden, and the text before it is kept
        assert "y" * 76 + " {&quot;token&quot;:&quot;" + HIDDEN in err.message
    else:
        assert HIDDEN in err.message and err.details == {"body": '{"token":"%s"}' % HIDDEN}
