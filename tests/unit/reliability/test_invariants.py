# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault campaign's invariants (tests/reliability/invariants.py) catch what they guard: each is fed made-up
evidence that keeps it, then the same evidence with one violation."""

from __future__ import annotations

import copy

from ansible_collections.ovhcloud.mbm.tests.reliability import invariants as inv

T, C = inv.TERMINATE, inv.CONFIRM


def call(service, route, sim_at, status=200, dropped=False, token=None):
    return {
        "sim_at": sim_at,
        "method": route.split(" ")[0],
        "route": route,
        "service": service,
        "status": None if dropped else status,
        "dropped": dropped,
        "token_sha256": token,
    }


def plan_item(name, profile="healthy", approved=True, gates_pass=True, expect_run=1, outcomes=("confirmed", "nothing_to_do"), fault=None):
    return {
        "name": name,
        "profile": profile,
        "approved": approved,
        "gates_pass": gates_pass,
        "fault": fault,
        "expect_run": expect_run,
        "expect_outcome": {"1": outcomes[0], "2": outcomes[1]},
    }


PLAN = [
    plan_item("pcc-1"),
    plan_item("pcc-2", "unapproved", approved=False, gates_pass=False, expect_run=None, outcomes=("skipped", "skipped")),
    plan_item("pcc-3", "stale_backup", gates_pass=False, expect_run=None, outcomes=("held", "held")),
]
RUN1_CALLS = [
    call("pcc-1", "GET /dedicatedCloud/{serviceName}", 100),
    call("pcc-3", "GET /dedicatedCloud/{serviceName}", 100),
    call("pcc-1", T, 110),
    call("pcc-1", C, 150, token="aaa"),
]
TOKENS = {"pcc-1": [{"sha": "aaa", "created": 110.2, "used": True}]}


def runs(calls=None, report_hosts=None, audit=None):
    hosts = report_hosts or [
        {"host": "pcc-1", "outcome": "confirmed", "phase_reached": "verify"},
        {"host": "pcc-2", "outcome": "skipped", "phase_reached": "approval"},
        {"host": "pcc-3", "outcome": "held", "phase_reached": "backup_gate"},
    ]
    summary = {"total": len(hosts)}
    for host in hosts:
        summary[host["outcome"]] = summary.get(host["outcome"], 0) + 1
    return [
        {
            "calls": RUN1_CALLS if calls is None else calls,
            "report": {"summary": summary, "hosts": hosts},
            "audit": [
                {"service_name": "pcc-1", "phase": "request", "action": "written"},
                {"service_name": "pcc-1", "phase": "confirm", "action": "written"},
            ]
            if audit is None
            else audit,
        }
    ]


def test_unapproved_service_must_not_be_read():
    assert inv.unapproved_untouched(PLAN, RUN1_CALLS) == (1, [])
    checks, violations = inv.unapproved_untouched(PLAN, RUN1_CALLS + [call("pcc-2", "GET /dedicatedCloud/{serviceName}", 120)])
    assert len(violations) == 1 and "pcc-2 is not approved" in violations[0]


def test_no_write_to_a_service_whose_gate_failed():
    assert inv.no_write_without_gates(PLAN, runs())[1] == []
    assert len(inv.no_write_without_gates(PLAN, runs(RUN1_CALLS + [call("pcc-3", T, 130)]))[1]) == 2  # by plan and by report
    # the report holds pcc-1 at the backup gate in this run: its writes are a violation too
    hosts = [{"host": "pcc-1", "outcome": "held", "phase_reached": "backup_gate"}]
    assert any("the report holds pcc-1" in v for v in inv.no_write_without_gates(PLAN[:1], runs(report_hosts=hosts))[1])


def test_second_terminate_while_a_token_is_valid():
    assert inv.no_second_terminate(RUN1_CALLS, TOKENS) == (1, [])
    again = RUN1_CALLS + [call("pcc-1", T, 200)]
    assert "still valid" in inv.no_second_terminate(again, TOKENS)[1][0]
    # 72 h later the token has expired: a new terminate is allowed; the own token of a call is never counted
    assert inv.no_second_terminate([call("pcc-1", T, 110.2 + 72 * 3600 + 1)], TOKENS)[1] == []
    assert inv.no_second_terminate([call("pcc-1", T, 110.2004)], TOKENS)[1] == []


def test_confirm_retry_after_unknown_outcome():
    first = call("pcc-1", C, 150, status=503, token="aaa")
    assert inv.confirm_retry([first, call("pcc-1", C, 300, token="aaa")])[1] == []
    assert inv.confirm_retry([call("pcc-1", C, 150, dropped=True, token="aaa")])[1] == []
    two = inv.confirm_retry([first, call("pcc-1", C, 300, status=503, token="aaa"), call("pcc-1", C, 400, token="aaa")])[1]
    assert any("at most 1 retry" in v for v in two)
    other = inv.confirm_retry([first, call("pcc-1", C, 300, token="bbb")])[1]
    assert len(other) == 1 and "not the first one's aaa" in other[0]
    # a 4xx is a known outcome: it is not a retry after an unknown outcome
    assert inv.confirm_retry([call("pcc-1", C, 150, status=429, token="aaa"), call("pcc-1", C, 300, token="aaa")])[1] == []


def test_confirmation_with_another_services_token():
    assert inv.confirm_tokens_issued(RUN1_CALLS, TOKENS) == (1, [])
    assert "not one issued for this service" in inv.confirm_tokens_issued([call("pcc-1", C, 150, token="zzz")], TOKENS)[1][0]


def test_final_state():
    removal = {"pcc-1": 150.0, "pcc-2": None, "pcc-3": None}
    assert inv.final_state(PLAN, removal, {"pcc-1"}, {"pcc-1": 1}) == (3, [])
    assert any("not confirmed" in v for v in inv.final_state(PLAN, dict(removal, **{"pcc-1": None}), {"pcc-1"}, {"pcc-1": 1})[1])
    assert any("confirmed although" in v for v in inv.final_state(PLAN, dict(removal, **{"pcc-3": 150.0}), {"pcc-1", "pcc-3"}, {"pcc-1": 1})[1])
    assert any("at most 1" in v for v in inv.final_state(PLAN, removal, {"pcc-1"}, {"pcc-1": 2})[1])


def test_reports_say_exactly_what_happened():
    assert inv.reports(PLAN, runs(), {"pcc-1": 1}) == (4, [])
    wrong = runs()
    wrong[0]["report"]["hosts"][0] = {"host": "pcc-1", "outcome": "requested"}
    violations = inv.reports(PLAN, wrong, {"pcc-1": 1})[1]
    assert any("removal started in run 1" in v for v in violations) and any("summary" in v for v in violations)
    missing = runs()
    del missing[0]["report"]["hosts"][2]
    assert any("names 2 hosts" in v for v in inv.reports(PLAN, missing, {"pcc-1": 1})[1])
    assert inv.reports(PLAN, [{"calls": [], "report": None}], {})[1] == ["run 1: no JSON report"]


def test_audit_log_has_every_write():
    assert inv.audit(runs())[1] == []
    assert "no written/failed entry" in inv.audit(runs(audit=[{"service_name": "pcc-1", "phase": "request", "action": "written"}]))[1][0]
    extra = copy.deepcopy(runs())
    extra[0]["audit"].append({"service_name": "pcc-3", "phase": "request", "action": "written"})
    assert "no such call reached the API" in inv.audit(extra)[1][0]


def test_no_secrets():
    secrets = {"SecretToken000000000000000000001": "the termination token abc"}
    assert inv.no_secrets({"run1.stdout": "ok"}, secrets) == (1, [])
    assert inv.no_secrets({"run1.stdout": "x SecretToken000000000000000000001 y"}, secrets)[1] == ["run1.stdout holds the termination token abc"]


def test_no_piece_of_a_token():
    token = "Ab3dEf5hIj7lMn9pQr1tUv3xYz5bCd7f"
    secrets = {token: "the termination token abc"}
    assert inv.no_secrets({"a": "query EU.ext-1.abcdef12.3.0123456789abcdef0123456789abcdef"}, secrets, [token])[1] == []
    assert inv.no_secrets({"a": "token=Ab3dEf5hIj7lMn9p..."}, secrets, [token])[1] == ["a holds 16 characters of the termination token abc"]
    assert inv.no_secrets({"a": "x%sy" % token}, secrets, [token])[1] == ["a holds the termination token abc"]


def test_a_retry_is_reported_as_such():
    def two_runs(retry_said=True, audit_said=True):
        first = {"calls": [call("pcc-1", C, 150, status=503, token="aaa")], "report": {"hosts": [{"host": "pcc-1", "outcome": "failed"}]}, "audit": []}
        host = {
            "host": "pcc-1",
            "outcome": "confirmed",
            "writes": [{"retry": retry_said}],
            "retry_after_unknown": {"first_query_id": "q"} if retry_said else None,
        }
        entry = {"service_name": "pcc-1", "phase": "confirm", "action": "written", "retry_after_unknown": {"first_query_id": "q"} if audit_said else None}
        second = {"calls": [call("pcc-1", C, 9000, token="aaa")], "report": {"hosts": [host]}, "audit": [entry]}
        return [first, second]

    assert inv.retry_reported(two_runs())[1] == []
    assert "does not say so" in inv.retry_reported(two_runs(retry_said=False))[1][0]
    assert "no confirm audit entry" in inv.retry_reported(two_runs(audit_said=False))[1][0]
    claimed = runs(report_hosts=[{"host": "pcc-1", "outcome": "confirmed", "writes": [{"retry": True}], "retry_after_unknown": {"first_query_id": "q"}}])
    assert "but none came before" in inv.retry_reported(claimed)[1][0]
