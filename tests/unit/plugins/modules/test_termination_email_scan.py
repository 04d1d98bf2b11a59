# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The e-mail scan seen from the modules (issue 9 items 4, 6, 8 and "also reported"), against the simulator:
ids never assumed to follow dates, a scan limit that fails closed, quotes that never extend a link, malformed
e-mails that never break another service, and the link forms of the simulator."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_info, mbm_termination_confirm, mbm_termination_request
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

OPEN = {"request_from_day": 1, "confirm_from_day": 1}
TERMINATE = "POST /dedicatedCloud/{serviceName}/terminate"
CONFIRM = "POST /dedicatedCloud/{serviceName}/confirmTermination"


def run(module, sim, api_args, check_mode=False, **options):
    args = api_args(sim)
    if module is not mbm_info:
        args.update(OPEN)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    result = run_module(module, args, check_mode=check_mode)
    text = json.dumps(result)
    for mail in sim.emails():
        if mail.get("token"):
            assert mail["token"] not in text
    return result


def test_an_old_dated_email_with_a_newer_id_does_not_hide_a_valid_link(sim, api_args):
    # issue 9 item 4: a resent invoice (newest id, dated 100 h back) used to stop the scan: the service read active
    # and a second terminate replaced the valid link.
    sim.add_email(date="-100h", subject="Your invoice FR0012345 (copy)", body="<p>Invoice</p>")
    result = run(mbm_termination_request, sim, api_args, service_name=C.REQUESTED)
    assert not result["changed"] and result["termination"]["status"] == "termination_requested"
    assert result["termination"]["email_id"] == 1003 and sim.calls().get(TERMINATE, 0) == 0
    scan = result["termination"]["email_scan"]
    assert scan["complete"] and scan["read"] == scan["listed"] == 6 and scan["limit"] == 500


def test_scan_limit_before_the_window_is_covered_fails_closed(sim, api_args):
    for hour in range(1, 4):
        sim.add_email(date="-%dh" % hour, subject="Newsletter", body="news")
    request = run(mbm_termination_request, sim, api_args, service_name=C.HEALTHY, email_scan_limit=2)
    assert request["failed"] and request["failure"]["error_code"] == "EMAIL_UNKNOWN" and "email_scan_limit" in request["msg"]
    assert request["email_scan"] == {"read": 2, "limit": 2, "listed": 8, "complete": False, "oldest_date": "2026-11-20T07:00:00Z"}
    assert sim.calls().get(TERMINATE, 0) == 0
    picked = run(mbm_termination_confirm, sim, api_args, service_name=C.REQUESTED, email_scan_limit=2)
    assert picked["failed"] and picked["failure"]["error_code"] == "EMAIL_UNKNOWN" and sim.calls().get(CONFIRM, 0) == 0
    info = run(mbm_info, sim, api_args)
    problems = {entry["service_name"]: entry["problem"] for entry in info["services"] if entry.get("problem")}
    assert C.REQUESTED not in problems  # the default limit reads everything
    # A token given by hand is still sent: OVHcloud judges it.
    given = run(mbm_termination_confirm, sim, api_args, service_name=C.REQUESTED, email_scan_limit=2, token=C.REQUESTED_TOKEN)
    assert given["changed"] and given["termination"]["status"] == "terminating" and sim.calls().get(CONFIRM, 0) == 1
    assert "email_scan_limit" in json.dumps(given.get("warnings"))


def test_a_quoting_email_never_extends_an_expired_link(sim, api_args):
    # issue 9 item 6: a support ticket quoting the expired link of TOKEN_EXPIRED (80 h old) made it look valid.
    mail = [m for m in sim.emails() if m.get("token") == C.EXPIRED_TOKEN][0]
    sim.add_email(date="-1h", subject="Ticket 4242: your question", body="Hello,\n> " + mail["body"].replace("\n", "\n> "))
    info = run(mbm_info, sim, api_args, service_name=C.TOKEN_EXPIRED)
    assert info["termination"]["status"] == "token_expired" and info["termination"]["email_id"] == mail["id"]
    picked = run(mbm_termination_confirm, sim, api_args, service_name=C.TOKEN_EXPIRED)
    assert picked["failed"] and picked["failure"]["error_code"] == "TOKEN_EXPIRED"
    given = run(mbm_termination_confirm, sim, api_args, service_name=C.TOKEN_EXPIRED, token=C.EXPIRED_TOKEN)
    assert given["failed"] and given["failure"]["error_code"] == "TOKEN_EXPIRED" and sim.calls().get(CONFIRM, 0) == 0
    again = run(mbm_termination_request, sim, api_args, service_name=C.TOKEN_EXPIRED)
    assert again["changed"] and sim.calls().get(TERMINATE, 0) == 1


@pytest.mark.parametrize(
    "body",
    [
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=1\u00b2&token=Abcdefgh12345678",
        "https://www.ovh.com/manager/#/billing/confirmTerminate?id=\u0661\u0660\u0660\u0661&token=Abcdefgh12345678",
        "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/pcc-\u0661?action=confirmcancel&token=Abc\u00e9defgh123",
    ],
)
def test_a_malformed_email_never_breaks_a_state_read(sim, api_args, body):
    # issue 9 item 8: "id=1²" crashed every state read of the account (str.isdigit accepts it, int() fails).
    sim.add_email(subject="Weird", body=body)
    info = run(mbm_info, sim, api_args)
    assert not info["failed"]
    statuses = {entry["service_name"]: (entry["termination"] or {}).get("status") for entry in info["services"]}
    assert statuses[C.REQUESTED] == "termination_requested" and statuses[C.HEALTHY] == "active"


def test_an_undated_termination_email_fails_closed(sim, api_args):
    # "also reported": an e-mail whose date cannot be read was ignored; the service read active.
    body = "https://www.ovh.com/manager/dedicated/#/configuration/managedBaremetal/%s?action=confirmcancel&token=Undated0000000000001" % C.HEALTHY
    sim.set_option("pagination", False)  # the fault below is on the one-by-one read of the e-mail
    sim.add_email(subject="Deleting your Managed Bare Metal", body=body)
    newest = max(mail["id"] for mail in sim.emails())
    sim.add_fault(
        "GET /me/notification/email/history/{emailId}",
        path="*/%d" % newest,
        status=200,
        count=0,
        body={"id": newest, "date": "sometime last week", "subject": "Deleting", "body": body},
    )
    result = run(mbm_termination_request, sim, api_args, service_name=C.HEALTHY)
    assert result["failed"] and result["failure"]["error_code"] == "EMAIL_UNKNOWN" and "cannot be read" in result["msg"]
    assert sim.calls().get(TERMINATE, 0) == 0
    other = run(mbm_info, sim, api_args, service_name=C.REQUESTED)  # another service is not affected
    assert other["termination"]["status"] == "termination_requested"


def test_a_missing_service_id_does_not_skip_the_scan(sim, api_args):
    # "also reported": without serviceId the scan was skipped silently and the service read active.
    infos = dict(sim.service(C.REQUESTED).service_infos)
    infos.pop("serviceId")
    sim.add_fault("GET /dedicatedCloud/{serviceName}/serviceInfos", path="*/%s/serviceInfos" % C.REQUESTED, status=200, count=0, body=infos)
    sim.add_fault("GET /services", status=200, count=0, body=[])  # nor can /services name it
    result = run(mbm_termination_request, sim, api_args, service_name=C.REQUESTED)
    assert result["failed"] and result["failure"]["error_code"] == "EMAIL_UNKNOWN" and "serviceId" in result["msg"]
    assert sim.calls().get(TERMINATE, 0) == 0
    given = run(mbm_termination_confirm, sim, api_args, service_name=C.REQUESTED, token=C.REQUESTED_TOKEN)
    assert given["changed"] and sim.calls().get(CONFIRM, 0) == 1


@pytest.mark.parametrize("form", ["managedBaremetal", "dedicated_cloud", "terminate_confirm", "billing"])
def test_request_then_confirm_with_each_link_form(sim_factory, api_args, form):
    sim = sim_factory(email_link_form=form)
    requested = run(mbm_termination_request, sim, api_args, service_name=C.HEALTHY)
    assert requested["changed"] and requested["termination"]["status"] == "termination_requested"
    confirmed = run(mbm_termination_confirm, sim, api_args, service_name=C.HEALTHY)
    assert confirmed["changed"] and confirmed["termination"]["status"] == "terminating"
    assert sim.calls().get(TERMINATE, 0) == 1 and sim.calls().get(CONFIRM, 0) == 1


@pytest.mark.parametrize("limit", [0, -5])
def test_email_scan_limit_below_one_is_refused_before_any_call(sim, api_args, limit):
    result = run(mbm_termination_request, sim, api_args, service_name=C.HEALTHY, email_scan_limit=limit)
    assert result["failed"] and result["failure"]["error_code"] == "INVALID" and "email_scan_limit" in result["msg"]
    assert sum(sim.calls().values()) == 0
