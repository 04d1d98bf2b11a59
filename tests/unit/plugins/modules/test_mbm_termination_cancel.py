# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mbm_termination_cancel: every branch, run in-process against the simulator."""

from __future__ import annotations

import json

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_termination_cancel, mbm_termination_confirm
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module

PUT = "PUT /dedicatedCloud/{serviceName}/serviceInfos"


def run(module, sim, api_args, check_mode=False, consumer_key=C.CK_FULL, **options):
    args = api_args(sim, consumer_key=consumer_key)
    args.update(options)
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access  # in-process runs share them
    result = run_module(module, args, check_mode=check_mode, diff=True)
    text = json.dumps(result)
    for mail in sim.emails():
        if mail.get("token"):
            assert mail["token"] not in text, "a token leaked into the result"
    return result


def cancel(sim, api_args, check_mode=False, **options):
    return run(mbm_termination_cancel, sim, api_args, check_mode=check_mode, **options)


def puts(sim):
    return sim.calls().get(PUT, 0)


def delete_at_expiration(sim, name):
    return sim.service(name).service_infos["renew"]["deleteAtExpiration"]


def test_missing_service_name_fails(sim, api_args):
    result = run_module(mbm_termination_cancel, api_args(sim))
    assert result["failed"] and "service_name" in result["msg"] and sum(sim.calls().values()) == 0


def test_scheduled_check_mode_then_apply_then_unchanged(sim, api_args):
    predicted = cancel(sim, api_args, check_mode=True, service_name=C.SCHEDULED)
    assert predicted["changed"] and not predicted["failed"]
    assert predicted["diff"] == {"before": {"status": "termination_scheduled"}, "after": {"status": "active"}}
    assert puts(sim) == 0 and delete_at_expiration(sim, C.SCHEDULED) is True
    assert not [r for r in sim.calls() if not r.startswith("GET ")]

    applied = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert applied["changed"] and applied["termination"]["status"] == "active"
    assert applied["diff"] == {"before": {"status": "termination_scheduled"}, "after": {"status": "active"}}
    assert applied["writes"][0]["method"] == "PUT" and applied["query_id"]
    assert delete_at_expiration(sim, C.SCHEDULED) is False
    assert sim.service(C.SCHEDULED).service_infos["renew"]["automatic"] is True  # renewed instead of deleted

    again = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert not again["changed"] and "nothing to cancel" in again["msg"] and puts(sim) == 1


def test_scheduled_service_is_not_deleted_at_expiration_after_cancel(sim, api_args):
    cancel(sim, api_args, service_name=C.SCHEDULED)
    sim.clock.advance(11 * 86400)
    after = run(mbm_termination_confirm, sim, api_args, check_mode=True, service_name=C.SCHEDULED)
    assert after["termination"]["status"] == "active"


def test_pending_request_needs_no_call(sim, api_args):
    result = cancel(sim, api_args, service_name=C.REQUESTED)
    assert not result["changed"] and not result["failed"] and "lapses unconfirmed" in result["msg"]
    assert result["termination"]["token_expires_at"] in result["msg"] and puts(sim) == 0


def test_active_and_expired_token_are_unchanged(sim, api_args):
    for name in (C.HEALTHY, C.TOKEN_EXPIRED):
        result = cancel(sim, api_args, service_name=name)
        assert not result["changed"] and not result["failed"] and "nothing to cancel" in result["msg"]
    assert puts(sim) == 0


def test_removal_running_or_done_fails_saying_the_data_is_gone(sim, api_args):
    run(mbm_termination_confirm, sim, api_args, service_name=C.REQUESTED, confirm_from_day=1)
    removing = cancel(sim, api_args, service_name=C.REQUESTED)
    assert removing["failed"] and "data" in removing["msg"] and "cannot be recovered" in removing["msg"]
    assert removing["failure"]["error_code"] == "DATA_GONE" and removing["termination"]["status"] == "terminating"
    gone = cancel(sim, api_args, service_name=C.DELETED)
    assert gone["failed"] and "it is gone" in gone["msg"]
    assert puts(sim) == 0


def test_not_found_fails(sim, api_args):
    result = cancel(sim, api_args, service_name="pcc-nope")
    assert result["failed"] and "not found" in result["msg"] and result["failure"]["query_id"]


def test_preflight_before_the_write(sim, api_args):
    result = cancel(sim, api_args, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.SCHEDULED)
    assert result["failed"] and "PUT /dedicatedCloud/*/serviceInfos" in result["msg"] and puts(sim) == 0
    assert delete_at_expiration(sim, C.SCHEDULED) is True


def test_lost_response_is_checked_by_reading_again(sim, api_args):
    sim.add_fault(PUT, drop_after_apply=True)
    result = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert result["changed"] and not result["failed"] and result["termination"]["status"] == "active"
    assert result["writes"][0]["outcome"] == "unknown" and "lost" in json.dumps(result["warnings"])


def test_lost_response_not_applied_fails(sim, api_args):
    sim.add_fault(PUT, drop=True)
    result = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert result["failed"] and "did not take effect" in result["msg"] and delete_at_expiration(sim, C.SCHEDULED) is True


def test_refused_write_carries_the_query_id(sim, api_args):
    sim.add_fault(PUT, status=409, body=json.dumps({"message": "Conflict"}))
    result = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert result["failed"] and result["failure"]["status"] == 409 and result["failure"]["query_id"] and puts(sim) == 1
    assert result["writes"][0]["outcome"] == "refused" and "refused" in result["msg"]


def test_server_error_not_applied_is_read_again_and_fails(sim, api_args):
    sim.add_fault(PUT, status=500, body=json.dumps({"message": "Internal server error"}))
    result = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert result["failed"] and "did not take effect" in result["msg"] and result["writes"][0]["outcome"] == "unknown"
    assert result["failure"]["status"] == 500 and result["failure"]["query_id"] and puts(sim) == 1


def test_server_error_after_the_write_was_applied_is_a_success(sim, api_args):
    sim.add_fault(PUT, status=502, after_apply=True, body=json.dumps({"message": "Bad gateway"}))
    result = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert result["changed"] and not result["failed"] and result["termination"]["status"] == "active"
    assert result["writes"][0]["outcome"] == "unknown" and "unknown" in json.dumps(result["warnings"])


def test_check_mode_runs_the_preflight_of_the_write(sim, api_args):
    result = cancel(sim, api_args, check_mode=True, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.SCHEDULED)
    assert result["failed"] and "PUT /dedicatedCloud/*/serviceInfos" in result["msg"] and puts(sim) == 0
    # nothing to write: the PUT rule is not needed
    assert not cancel(sim, api_args, check_mode=True, consumer_key=C.CK_LEAST_PRIVILEGE, service_name=C.HEALTHY)["failed"]


def test_manual_payment_keeps_automatic_and_warns(sim, api_args):
    with sim.lock:
        sim.service(C.SCHEDULED).service_infos["renew"]["manualPayment"] = True
    result = cancel(sim, api_args, service_name=C.SCHEDULED)
    assert result["changed"] and "manual payment" in json.dumps(result["warnings"])
    renew = sim.service(C.SCHEDULED).service_infos["renew"]
    assert renew["deleteAtExpiration"] is False and renew["automatic"] is False
