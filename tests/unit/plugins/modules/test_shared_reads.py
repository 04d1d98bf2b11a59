# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 10: the read-only facts shared by the module runs of one controller (state_dir/shared): the e-mail index
(facts, never a body or a token), and with run_id the clock offset, the account, the access rules, and in check mode
the e-mail id list and a service's reads. Writes always read for themselves."""

from __future__ import annotations

import json
import os

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _shared
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_termination_confirm, mbm_termination_request
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

OPEN = {"request_from_day": 1, "confirm_from_day": 1}
EMAIL = "GET /me/notification/email/history/{emailId}"
HISTORY = "GET /me/notification/email/history"
CONFIRM = "POST /dedicatedCloud/{serviceName}/confirmTermination"


def _run(module, sim, api_args, check_mode=False, **options):
    args = api_args(sim)
    args.update(OPEN)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access  # in-process runs share them
    return run_module(module, args, check_mode=check_mode)


def shared_text(api_args, sim):
    folder = os.path.join(api_args(sim)["state_dir"], "shared")
    texts = []
    for root, dummy, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                texts.append(handle.read())
    return "\n".join(texts)


def test_the_email_index_holds_facts_never_a_body_or_a_token(sim, api_args):
    sim.set_option("pagination", False)
    first = _run(mbm_termination_confirm, sim, api_args, check_mode=True, service_name=C.REQUESTED)
    assert first["changed"] and not first["failed"] and sim.calls()[EMAIL] >= len(sim.emails())
    text = shared_text(api_args, sim)
    assert text and C.REQUESTED_TOKEN not in text and '"body"' not in text and "confirmcancel" not in text
    assert not [mail["token"] for mail in sim.emails() if mail.get("token") and mail["token"] in text]
    sim.reset_calls()
    again = _run(mbm_termination_confirm, sim, api_args, service_name=C.REQUESTED)  # the real one: reads its e-mail again
    assert again["changed"] and sim.calls()[CONFIRM] == 1
    assert sim.calls()[EMAIL] == 1 and sim.calls()[HISTORY] == 1  # the id list, and its one e-mail for the token


def test_an_email_that_no_longer_holds_its_link_gives_no_token(sim, api_args):
    sim.set_option("pagination", False)
    assert _run(mbm_termination_confirm, sim, api_args, check_mode=True, service_name=C.REQUESTED)["changed"]
    newest = max(mail["id"] for mail in sim.emails() if mail.get("serviceName") == C.REQUESTED)
    swapped = "https://www.ovh.com/manager/#/managedBaremetal/%s?action=confirmcancel&token=Swapped00000000000000001" % C.REQUESTED
    sim.add_fault(EMAIL, path="*/%d" % newest, status=200, count=0, body={"id": newest, "date": "2026-11-20T10:00:00+00:00", "body": swapped})
    result = _run(mbm_termination_confirm, sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and result["failure"]["error_code"] == "TOKEN" and "no longer holds" in result["msg"]
    assert sim.calls().get(CONFIRM, 0) == 0 and "Swapped" not in json.dumps(result)


def test_one_run_reads_clock_account_and_rules_once(sim, api_args):
    runs = [_run(mbm_termination_request, sim, api_args, check_mode=True, service_name=C.HEALTHY, run_id="run-1") for dummy in range(3)]
    assert not any(run["failed"] for run in runs) and all(run["termination"]["status"] == "active" for run in runs)
    first = runs[0]["api_calls"]["by_route"]
    assert first["GET /auth/time"] == 1 and first["GET /me"] == 1 and first["GET /auth/currentCredential"] == 1
    # check mode, same run: the clock, account, rules, e-mail id list and the service's reads all come from the first
    assert runs[1]["api_calls"]["total"] == 0 and runs[2]["api_calls"]["total"] == 0
    other = _run(mbm_termination_request, sim, api_args, check_mode=True, service_name=C.HEALTHY, run_id="run-2")
    assert other["api_calls"]["by_route"]["GET /auth/time"] == 1 and other["api_calls"]["by_route"]["GET /me"] == 1  # another run reads again
    assert EMAIL not in other["api_calls"]["by_route"]  # but no e-mail: the index is the controller's


def test_a_write_reads_for_itself_and_forgets_the_shared_reads(sim, api_args):
    assert not _run(mbm_termination_request, sim, api_args, check_mode=True, service_name=C.HEALTHY, run_id="r")["failed"]
    sim.reset_calls()
    written = _run(mbm_termination_request, sim, api_args, service_name=C.HEALTHY, run_id="r")
    assert written["changed"] and sim.calls()["GET /dedicatedCloud/{serviceName}"] == 1 and sim.calls()[HISTORY] >= 1
    sim.reset_calls()
    after = _run(mbm_termination_request, sim, api_args, check_mode=True, service_name=C.HEALTHY, run_id="r")
    by_route = after["api_calls"]["by_route"]
    assert not after["changed"] and by_route["GET /dedicatedCloud/{serviceName}"] == 1  # read again (the id list: the write's own, after it)
    assert "GET /auth/time" not in by_route  # what a write does not change is still shared


def test_shared_facts_age_refuse_secrets_and_old_runs_go(tmp_path):
    clock = [1000.0]
    facts = _shared.SharedFacts(str(tmp_path), "key", clock=lambda: clock[0])
    facts.put("offset", 3)
    assert facts.get("offset", 10) == 3
    clock[0] += 11
    assert facts.get("offset", 10) is None and facts.value("offset") == 3
    facts.put("leak", "https://x/#/billing/confirmTerminate?id=1&token=AbCdEf0123456789")
    assert facts.value("leak") is None
    merged = facts.merge("emails", {"1": {"id": 1}, "2": {"id": 2}, "3": {"subject": "see ?token=AbCdEf0123456789"}}, keep=1)
    assert merged == {"2": {"id": 2}}
    run = _shared.SharedFacts(str(tmp_path), "key", run="old")
    run.put("x", 1)
    os.utime(run.directory, (0, 0))
    _shared.prune_runs(str(tmp_path))
    assert not os.path.exists(run.directory) and facts.value("offset") == 3
