# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mbm_termination_request: every branch, run in-process against the simulator."""

from __future__ import annotations

import json
import os
import stat
import time

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_termination_request
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

TERMINATE = "POST /dedicatedCloud/{serviceName}/terminate"
OPEN_WINDOW = {"request_from_day": 1}


def run(sim, api_args, check_mode=False, consumer_key=C.CK_FULL, **options):
    args = api_args(sim, consumer_key=consumer_key)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access  # in-process runs share them
    result = run_module(mbm_termination_request, args, check_mode=check_mode, diff=True)
    text = json.dumps(result)
    for mail in sim.emails():
        if mail.get("token"):
            assert mail["token"] not in text, "a token leaked into the result"
        assert mail["body"] not in text
    return result


def terminates(sim):
    return sim.calls().get(TERMINATE, 0)


def warnings_text(result):
    return json.dumps(result.get("warnings", []))


def test_missing_service_name_fails(sim, api_args):
    result = run_module(mbm_termination_request, api_args(sim))
    assert result["failed"] and "service_name" in result["msg"]
    assert sum(sim.calls().values()) == 0


def test_check_mode_predicts_and_writes_nothing(sim, api_args):
    result = run(sim, api_args, check_mode=True, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert not result["failed"] and result["changed"]
    assert result["diff"] == {"before": {"status": "active"}, "after": {"status": "request_pending"}}
    assert result["writes"] == [] and result["query_id"] is None
    calls = sim.calls()
    assert terminates(sim) == 0 and calls["GET /auth/currentCredential"] == 1 and calls["GET /dedicatedCloud/{serviceName}"] == 1
    assert not [route for route in calls if not route.startswith("GET ")]
    assert sim.emails()[-1]["id"] == 1004  # no new e-mail


def test_check_mode_never_waits(sim, api_args):
    started = time.monotonic()
    result = run(sim, api_args, check_mode=True, service_name=C.HEALTHY, wait_for_email=True, wait_delay=30, **OPEN_WINDOW)
    assert time.monotonic() - started < 10
    assert result["changed"] and result["diff"]["after"]["status"] == "termination_requested"
    assert terminates(sim) == 0


def test_request_then_rerun_is_unchanged(sim, api_args, tmp_path):
    first = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert first["changed"] and not first["failed"]
    assert first["diff"] == {"before": {"status": "active"}, "after": {"status": "termination_requested"}}
    termination = first["termination"]
    assert termination["status"] == "termination_requested" and termination["service_id"] == 1001
    assert termination["email_id"] == sim.emails()[-1]["id"]
    assert [e["id"] for e in termination["api"]["emails"]] == [termination["email_id"]]
    assert set(termination["api"]["emails"][0]) == {"id", "date", "subject"}
    assert first["writes"][0]["method"] == "POST" and first["writes"][0]["path"] == "/dedicatedCloud/%s/terminate" % C.HEALTHY
    assert first["query_id"] == first["writes"][0]["query_id"] and first["query_id"]
    assert termination["request_record"]["request"]["outcome"] == "accepted"
    assert termination["request_record"]["request"]["query_id"] == first["query_id"]

    second = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert not second["changed"] and not second["failed"] and "still valid" in second["msg"]
    assert second["writes"] == [] and terminates(sim) == 1


def test_request_record_file_is_private(sim, api_args, tmp_path):
    run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    folder = tmp_path / "mbm_state" / "termination"
    files = sorted(os.listdir(str(folder)))
    # the account key's record and today's (endpoint + credential), each with its lock
    assert len(files) == 4 and all(name.startswith(C.HEALTHY) for name in files)
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["json", "json", "lock", "lock"]
    for name in files:
        assert stat.S_IMODE(os.stat(str(folder / name)).st_mode) == 0o600
    for name in files:
        if name.endswith(".json"):
            text = open(str(folder / name)).read()
            assert C.CK_FULL not in text and C.APPLICATION_SECRET not in text and '"account": "%s"' % C.NIC in text


def test_email_styles_are_all_recognised(sim, api_args):
    for name in (C.FR_TEXT, C.ACCOUNT_LEVEL, C.CA_HOST):
        result = run(sim, api_args, service_name=name, **OPEN_WINDOW)
        assert result["changed"], name
        assert result["termination"]["status"] == "termination_requested", name
        assert result["termination"]["service_id"] == C.SERVICE_IDS[name]


def test_generic_subject_email_of_another_service_is_not_ours(sim, api_args):
    run(sim, api_args, service_name=C.ACCOUNT_LEVEL, **OPEN_WINDOW)
    other = run(sim, api_args, check_mode=True, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert other["termination"]["status"] == "active" and other["termination"]["api"]["emails"] == []


def test_delayed_email_reads_pending_and_is_not_sent_twice(sim, api_args):
    first = run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    assert first["changed"] and first["termination"]["status"] == "request_pending"
    again = run(sim, api_args, service_name=C.DELAYED_EMAIL, force_new_request=True, **OPEN_WINDOW)
    assert not again["changed"] and again["termination"]["status"] == "request_pending"
    assert "must not be sent twice" in again["msg"] and terminates(sim) == 1
    sim.clock.advance(901)
    later = run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    assert not later["changed"] and later["termination"]["status"] == "termination_requested"
    assert terminates(sim) == 1


def test_lost_response_reads_pending_and_is_not_resent(sim, api_args):
    sim.add_fault(TERMINATE, drop_after_apply=True)
    first = run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    assert not first["failed"] and first["changed"]
    assert first["writes"][0]["outcome"] == "unknown" and first["writes"][0]["query_id"] is None
    assert first["termination"]["status"] == "request_pending"
    assert first["termination"]["request_record"]["request"]["outcome"] == "unknown"
    assert "was lost" in warnings_text(first)
    second = run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    assert not second["changed"] and second["termination"]["status"] == "request_pending"
    assert terminates(sim) == 1


def test_no_email_past_the_wait_is_outcome_unknown(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=100000)
    assert run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)["termination"]["status"] == "request_pending"
    sim.clock.advance(2460)
    stuck = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert stuck["failed"] and "outcome" in stuck["msg"] and "unknown" in stuck["msg"]
    assert stuck["failure"]["error_code"] == "OUTCOME_UNKNOWN" and terminates(sim) == 1
    forced = run(sim, api_args, service_name=C.HEALTHY, force_new_request=True, **OPEN_WINDOW)
    assert forced["changed"] and not forced["failed"] and terminates(sim) == 2


def test_expired_token_is_requested_again(sim, api_args):
    result = run(sim, api_args, service_name=C.TOKEN_EXPIRED, **OPEN_WINDOW)
    assert result["changed"] and result["diff"]["before"]["status"] == "token_expired"
    assert result["termination"]["status"] == "termination_requested"
    assert result["termination"]["email_id"] > 1001


def test_token_expiry_by_clock_then_new_request(sim, api_args):
    run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    sim.clock.advance(72 * 3600 + 60)
    expired = run(sim, api_args, check_mode=True, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert expired["termination"]["status"] == "token_expired" and expired["changed"]
    renewed = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert renewed["changed"] and renewed["termination"]["status"] == "termination_requested" and terminates(sim) == 2


def test_force_new_request_replaces_a_valid_link(sim, api_args):
    result = run(sim, api_args, service_name=C.REQUESTED, force_new_request=True, **OPEN_WINDOW)
    assert result["changed"] and result["termination"]["email_id"] != 1003 and terminates(sim) == 1


def test_nothing_to_request_when_scheduled_terminating_or_gone(sim, api_args):
    scheduled = run(sim, api_args, service_name=C.SCHEDULED)
    assert not scheduled["changed"] and scheduled["termination"]["status"] == "termination_scheduled"
    assert scheduled["termination"]["deletion_date"].startswith(sim.service(C.SCHEDULED).service_infos["expiration"])
    gone = run(sim, api_args, service_name=C.DELETED)
    assert not gone["changed"] and gone["termination"]["status"] == "terminated"
    assert terminates(sim) == 0


def test_non_mbm_is_refused_unless_allowed(sim, api_args):
    refused = run(sim, api_args, service_name=C.EPCC, **OPEN_WINDOW)
    assert refused["failed"] and "EPCC" in refused["msg"] and terminates(sim) == 0
    assert refused["failure"]["error_code"] == "NOT_MBM"
    allowed = run(sim, api_args, service_name=C.EPCC, allow_non_mbm=True, **OPEN_WINDOW)
    assert allowed["changed"] and terminates(sim) == 1


def test_not_found_busy_expired_fail_closed(sim, api_args):
    typo = run(sim, api_args, service_name="pcc-145-239-10-99")
    assert typo["failed"] and "not found" in typo["msg"] and typo["failure"]["status"] == 404 and typo["failure"]["query_id"]
    busy = run(sim, api_args, service_name=C.BUSY)
    assert busy["failed"] and "upgrading" in busy["msg"] and busy["failure"]["error_code"] == "BUSY"
    expired = run(sim, api_args, service_name=C.EXPIRED)
    assert expired["failed"] and "expired" in expired["msg"] and expired["failure"]["status"] == 460
    assert expired["failure"]["query_id"]
    assert terminates(sim) == 0


def test_preflight_names_the_missing_rule(sim, api_args):
    result = run(sim, api_args, consumer_key=C.CK_READ_ONLY, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert result["failed"] and "POST /dedicatedCloud/*/terminate" in result["msg"]
    assert result["failure"]["error_code"] == "PREFLIGHT"
    assert sim.calls().get("GET /dedicatedCloud/{serviceName}", 0) == 0 and terminates(sim) == 0


def test_least_privilege_key_is_enough(sim, api_args):
    result = run(sim, api_args, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert result["changed"] and not result["failed"]


def test_unusable_credentials_fail_before_writing(sim, api_args):
    for key in (C.CK_PENDING, C.CK_EXPIRED):
        result = run(sim, api_args, consumer_key=key, service_name=C.HEALTHY, **OPEN_WINDOW)
        assert result["failed"], key
    assert terminates(sim) == 0


def test_refused_terminate_carries_the_query_id(sim, api_args):
    sim.add_fault(TERMINATE, status=409, body=json.dumps({"message": "A termination is already in progress"}))
    result = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert result["failed"] and result["failure"]["status"] == 409 and result["failure"]["query_id"]
    assert result["writes"][0]["outcome"] == "refused"
    # a refused request is not pending: the next run asks again
    retry = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert retry["changed"] and not retry["failed"]


def test_iam_refusal_names_the_action(sim, api_args):
    with sim.lock:
        sim.state.accounts[C.IAM_NIC].iam_allowed.remove("pccVMware:apiovh:terminate")
    result = run(sim, api_args, consumer_key=C.CK_IAM, service_name=C.IAM_SERVICE, **OPEN_WINDOW)
    assert result["failed"] and "pccVMware:apiovh:terminate" in result["msg"] and result["failure"]["status"] == 403


def test_billing_window_modes(sim, api_args):
    # the fixture's clock is on the 20th: before the default window (25th)
    warned = run(sim, api_args, check_mode=True, service_name=C.HEALTHY)
    assert "day 20 of 30" in warnings_text(warned) and warned["changed"]
    window = warned["termination"]["billing_window"]
    assert (window["day_of_month"], window["days_left_in_month"], window["open"], window["from_day"]) == (20, 10, False, 25)
    silent = run(sim, api_args, check_mode=True, service_name=C.HEALTHY, billing_window="ignore")
    assert "day 20" not in warnings_text(silent) and silent["termination"]["billing_window"]["mode"] == "ignore"
    refused = run(sim, api_args, service_name=C.HEALTHY, billing_window="refuse")
    assert refused["failed"] and "billing_window=refuse" in refused["msg"] and terminates(sim) == 0
    assert refused["termination"]["billing_window"]["open"] is False


def test_bad_timezone_fails_before_any_call(sim, api_args):
    result = run(sim, api_args, service_name=C.HEALTHY, billing_timezone="Mars/Olympus")
    assert result["failed"] and "Mars/Olympus" in result["msg"] and sum(sim.calls().values()) == 0


def test_wait_for_email(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=2)
    result = run(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_delay=1, wait_timeout=30, **OPEN_WINDOW)
    assert result["changed"] and not result["failed"]
    assert result["termination"]["status"] == "termination_requested"
    assert sim.calls()["GET /me/notification/email/history"] >= 2


def test_wait_for_email_times_out(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=100000)
    result = run(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_delay=1, wait_timeout=2, **OPEN_WINDOW)
    assert result["failed"] and result["changed"] and "wait_timeout" in result["msg"]
    assert result["writes"][0]["outcome"] == "accepted" and result["failure"]["error_code"] == "EMAIL_TIMEOUT"
    assert terminates(sim) == 1


def test_wait_delay_below_one_second_is_refused_before_any_call(sim, api_args):
    result = run(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_delay=0)
    assert result["failed"] and "wait_delay" in result["msg"] and sum(sim.calls().values()) == 0


def test_unreadable_credential_only_warns(sim_factory, api_args):
    sim = sim_factory(current_credential_needs_rule=True)
    result = run(sim, api_args, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert result["changed"] and not result["failed"] and terminates(sim) == 1
    assert "access rules" in warnings_text(result)


def test_rerun_with_wait_waits_for_the_pending_email(sim_factory, api_args):
    sim = sim_factory(email_delay_seconds=2)
    assert run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)["termination"]["status"] == "request_pending"
    waited = run(sim, api_args, service_name=C.HEALTHY, wait_for_email=True, wait_delay=1, wait_timeout=30, **OPEN_WINDOW)
    assert not waited["changed"] and waited["termination"]["status"] == "termination_requested"
    assert "arrived" in waited["msg"] and terminates(sim) == 1


def test_server_error_after_apply_reads_pending_and_is_not_resent(sim, api_args):
    # a gateway can answer 5xx after OVHcloud applied the terminate: never read that as "refused"
    sim.add_fault(TERMINATE, status=502, after_apply=True, body=json.dumps({"message": "Bad gateway"}))
    first = run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    assert not first["failed"] and first["changed"] and first["writes"][0]["outcome"] == "unknown"
    assert first["termination"]["status"] == "request_pending"
    assert first["termination"]["request_record"]["request"]["outcome"] == "unknown"
    assert "unknown" in warnings_text(first)
    for _attempt in range(2):
        again = run(sim, api_args, service_name=C.DELAYED_EMAIL, force_new_request=True, **OPEN_WINDOW)
        assert not again["changed"] and again["termination"]["status"] == "request_pending"
    assert terminates(sim) == 1


def test_server_error_not_applied_is_pending_then_outcome_unknown(sim, api_args):
    sim.add_fault(TERMINATE, status=503, body=json.dumps({"message": "Service unavailable"}))
    first = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert first["changed"] and first["termination"]["status"] == "request_pending" and terminates(sim) == 1
    sim.clock.advance(600)
    assert not run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)["changed"] and terminates(sim) == 1
    sim.clock.advance(1860)
    stuck = run(sim, api_args, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert stuck["failed"] and stuck["failure"]["error_code"] == "OUTCOME_UNKNOWN" and terminates(sim) == 1
    forced = run(sim, api_args, service_name=C.HEALTHY, force_new_request=True, **OPEN_WINDOW)
    assert forced["changed"] and forced["termination"]["status"] == "termination_requested" and terminates(sim) == 2


def test_check_mode_writes_no_record(sim, api_args, tmp_path):
    run(sim, api_args, check_mode=True, service_name=C.HEALTHY, **OPEN_WINDOW)
    assert not (tmp_path / "mbm_state" / "termination").exists()


def test_damaged_record_fails_closed_before_any_write(sim, api_args, tmp_path):
    run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    folder = tmp_path / "mbm_state" / "termination"
    path = folder / [name for name in os.listdir(str(folder)) if name.endswith(".json")][0]
    path.write_text("{torn")
    result = run(sim, api_args, service_name=C.DELAYED_EMAIL, force_new_request=True, **OPEN_WINDOW)
    assert result["failed"] and "cannot be read" not in result["msg"] and "not a JSON object" in result["msg"]
    assert result["failure"]["error_code"] == "INVALID" and terminates(sim) == 1


def test_records_are_per_account_not_per_credential(sim, api_args):
    # issue 9: another consumer key of the same account sees this one's pending request (records keyed by the account)
    run(sim, api_args, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    sim.set_options(pending_action_on_request="")  # the record alone must be enough
    with sim.lock:
        sim.state.find_service(C.DELAYED_EMAIL).service_entry["billing"]["lifecycle"]["current"]["pendingActions"] = []
    other = run(sim, api_args, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.DELAYED_EMAIL, **OPEN_WINDOW)
    assert other["termination"]["request_record"]["request"]["outcome"] == "accepted"
    assert other["termination"]["status"] == "request_pending" and not other["changed"] and terminates(sim) == 1
