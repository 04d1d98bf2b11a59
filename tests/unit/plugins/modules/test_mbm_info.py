# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mbm_info: one service, every status, the account list, failures; run in-process against the simulator."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_info
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module


def info(sim, api_args, consumer_key=C.CK_FULL, check_mode=False, **options):
    args = api_args(sim, consumer_key=consumer_key)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access  # in-process runs share them
    result = run_module(mbm_info, args, check_mode=check_mode)
    text = json.dumps(result)
    for mail in sim.emails():
        if mail.get("token"):
            assert mail["token"] not in text, "a token leaked into the result"
        assert mail["body"] not in text
    return result


def writes(sim):
    return [route for route in sim.calls() if not route.startswith("GET ")]


@pytest.mark.parametrize(
    "name, status",
    [
        (C.HEALTHY, "active"),
        (C.REQUESTED, "termination_requested"),
        (C.TOKEN_EXPIRED, "token_expired"),
        (C.SCHEDULED, "termination_scheduled"),
        (C.DELETED, "terminated"),
        (C.EPCC, "active"),
    ],
)
def test_one_service_status(sim, api_args, name, status):
    result = info(sim, api_args, service_name=name)
    assert not result["failed"] and not result["changed"]
    assert result["termination"]["status"] == status
    assert result["termination"]["service_id"] == C.SERVICE_IDS[name]
    assert result["api_calls"]["total"] > 0 and writes(sim) == []


def test_one_service_returns_the_api_objects(sim, api_args):
    result = info(sim, api_args, service_name=C.REQUESTED)
    assert result["service"]["serviceName"] == C.REQUESTED and result["service"]["productReference"] == "MBM"
    assert result["service_infos"]["serviceId"] == 1013 and "renew" in result["service_infos"]
    assert result["service_entry"]["resource"]["name"] == C.REQUESTED
    termination = result["termination"]
    assert termination["api"]["dedicated_cloud"] == result["service"]
    assert termination["api"]["emails"] == [{"id": 1003, "date": "2026-11-20T08:00:00Z", "subject": 'Deleting your Managed Bare Metal "%s"' % C.REQUESTED}]
    assert termination["requested_at"] == "2026-11-20T08:00:00Z" and termination["token_expires_at"] == "2026-11-23T08:00:00Z"
    assert termination["email_id"] == 1003
    # with a valid link the next write is the confirmation: its window is reported
    assert termination["billing_window"]["action"] == "confirm"


def test_check_mode_reads_the_same(sim, api_args):
    result = info(sim, api_args, check_mode=True, service_name=C.REQUESTED)
    assert result["termination"]["status"] == "termination_requested" and writes(sim) == []


@pytest.mark.parametrize(
    "name, words, status",
    [
        ("pcc-145-239-10-99", "not found", 404),
        (C.EXPIRED, "expired", 460),
        (C.BUSY, "upgrading", None),
    ],
)
def test_fail_closed(sim, api_args, name, words, status):
    result = info(sim, api_args, service_name=name)
    assert result["failed"] and words in result["msg"] and result["failure"]["status"] == status
    assert result["failure"]["query_id"]


def test_list_mbm_services_of_the_account(sim, api_args):
    result = info(sim, api_args)
    assert not result["failed"] and not result["changed"]
    names = [service["service_name"] for service in result["services"]]
    assert names == sorted(names) and C.EPCC not in names and C.DELETED not in names
    by_name = {service["service_name"]: service for service in result["services"]}
    assert by_name[C.REQUESTED]["termination"]["status"] == "termination_requested"
    assert by_name[C.SCHEDULED]["termination"]["status"] == "termination_scheduled"
    assert by_name[C.BUSY]["termination"] is None and by_name[C.BUSY]["problem"]["kind"] == "busy"
    assert by_name[C.EXPIRED]["problem"]["kind"] == "expired"
    # one scan of the e-mail history for the whole account: one id list, and the whole-object list fills the index
    calls = sim.calls()
    assert calls["GET /me/notification/email/history"] == 2 and calls.get("GET /me/notification/email/history/{emailId}", 0) == 0
    # a second run of the same controller and key reads no e-mail again (the shared index), only the id list
    sim.reset_calls()
    assert not info(sim, api_args)["failed"]
    assert sim.calls()["GET /me/notification/email/history"] == 1 and "GET /me/notification/email/history/{emailId}" not in sim.calls()


def test_without_the_whole_object_list_each_email_is_read_once(sim, api_args):
    sim.set_option("pagination", False)  # the API ignores X-Pagination-Mode: one GET per e-mail, once per controller
    assert not info(sim, api_args)["failed"]
    assert sim.calls()["GET /me/notification/email/history/{emailId}"] == len(sim.emails())
    sim.reset_calls()
    assert not info(sim, api_args)["failed"]
    assert "GET /me/notification/email/history/{emailId}" not in sim.calls()
    assert sim.calls()["GET /me/notification/email/history"] == 1


def test_list_every_product_with_an_empty_filter(sim, api_args):
    names = [service["service_name"] for service in info(sim, api_args, product_references=[])["services"]]
    assert C.EPCC in names and C.HEALTHY in names


def test_refused_read_names_the_rule(sim_factory, api_args):
    sim = sim_factory()
    sim.add_fault(
        "GET /dedicatedCloud/{serviceName}", status=403, body=json.dumps({"errorCode": "NOT_GRANTED_CALL", "message": "This call has not been granted"})
    )
    result = info(sim, api_args, service_name=C.HEALTHY)
    assert result["failed"] and "GET /dedicatedCloud/*" in result["msg"] and result["failure"]["query_id"]


def test_iam_governed_account(sim, api_args):
    result = info(sim, api_args, consumer_key=C.CK_IAM, service_name=C.IAM_SERVICE)
    assert not result["failed"] and result["termination"]["status"] == "active"


def test_overdue_request_is_reported(sim_factory, api_args):
    from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_termination_request  # pylint: disable=import-outside-toplevel

    sim = sim_factory(email_delay_seconds=100000)
    args = api_args(sim)
    args.update(service_name=C.HEALTHY, request_from_day=1)
    requested = run_module(mbm_termination_request, args)
    assert requested["changed"], requested
    pending = info(sim, api_args, service_name=C.HEALTHY)
    assert pending["termination"]["status"] == "request_pending" and pending["termination"]["request_overdue"] is False
    sim.clock.advance(2460)
    overdue = info(sim, api_args, service_name=C.HEALTHY)
    assert overdue["termination"]["status"] == "active" and overdue["termination"]["request_overdue"] is True
    assert overdue["termination"]["request_record"]["request"]["outcome"] == "accepted"


@pytest.mark.parametrize("offset", [0, 60, -300, 330])
def test_email_dates_with_a_utc_offset_give_the_same_expiry(sim_factory, api_args, offset):
    sim = sim_factory(email_utc_offset_minutes=offset)
    termination = info(sim, api_args, service_name=C.REQUESTED)["termination"]
    # the fixture's e-mail is 2 h old at 2026-11-20T10:00:00Z, whatever offset the API writes its date with
    assert termination["requested_at"] == "2026-11-20T08:00:00Z"
    assert termination["token_expires_at"] == "2026-11-23T08:00:00Z"
    assert termination["api"]["emails"][0]["date"] == "2026-11-20T08:00:00Z"


def test_token_expires_on_the_api_clock_at_72_hours(sim, api_args):
    sim.clock.advance(70 * 3600 - 60)  # the e-mail is 71 h 59 min old
    assert info(sim, api_args, service_name=C.REQUESTED)["termination"]["status"] == "termination_requested"
    sim.clock.advance(120)  # 72 h 1 min
    assert info(sim, api_args, service_name=C.REQUESTED)["termination"]["status"] == "token_expired"
    sim.clock.advance(24 * 3600)  # past the 96 h lookback: the lapsed e-mail is no longer read
    late = info(sim, api_args, service_name=C.REQUESTED)["termination"]
    assert late["status"] == "active" and late["api"]["emails"] == []
