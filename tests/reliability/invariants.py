# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The invariants of the fault campaign (``campaign.py``), as pure functions over what a campaign collected.

Each function returns ``(checks, violations)``: how many facts it checked and one sentence per violation. They
read the simulator's call log (entries ``{sim_at, method, route, service, status, dropped, token_sha256, ...}``),
the tokens the simulator issued (``{service: [{"sha": 12 hex, "created": sim epoch, "used": bool}]}``), the
campaign's plan of each service, and the role's reports and audit log. Nothing here talks to the simulator or runs
Ansible: ``tests/unit/reliability`` feeds them made-up evidence to prove that each one catches what it guards.

A plan entry: ``{"name", "profile", "approved": bool, "gates_pass": bool (backups good and attestation given),
"fault": str or None, "expect_run": 1, 2 or None (the run that confirms it; None: never confirmed),
"expect_outcome": {"1": outcome, "2": outcome}}``.
"""

from __future__ import annotations

import re

TERMINATE = "POST /dedicatedCloud/{serviceName}/terminate"
CONFIRM = "POST /dedicatedCloud/{serviceName}/confirmTermination"
WRITE_METHODS = ("POST", "PUT", "DELETE")
GATE_PHASES = ("approval", "preflight", "backup_gate", "attestation", "pre_request_hook")
TOKEN_VALIDITY_SECONDS = 72 * 3600


def is_write(entry):
    return entry.get("method") in WRITE_METHODS and bool(entry.get("service"))


def outcome_unknown(entry):
    """A write whose answer did not say whether it was applied: dropped, or a 5xx (a gateway may answer 5xx after)."""
    return bool(entry.get("dropped")) or (entry.get("status") or 0) >= 500


def calls_for(calls, service, route=None):
    return [entry for entry in calls if entry.get("service") == service and (route is None or entry.get("route") == route)]


def unapproved_untouched(plan, calls):
    """An unapproved service is never read nor written: no API call names it."""
    checks, violations = 0, []
    for item in plan:
        if item["approved"]:
            continue
        checks += 1
        touched = calls_for(calls, item["name"])
        if touched:
            violations.append("%s is not approved but received %d call(s), first %s" % (item["name"], len(touched), touched[0]["route"]))
    return checks, violations


def no_write_without_gates(plan, runs):
    """No write to a service that is unapproved or whose gates do not pass (by construction: bad backups, no
    attestation), in any run; and, per run, no write to a service that the run's report holds at a gate."""
    checks, violations = 0, []
    for item in plan:
        if item["approved"] and item["gates_pass"]:
            continue
        for index, run in enumerate(runs, 1):
            checks += 1
            writes = [entry for entry in calls_for(run["calls"], item["name"]) if is_write(entry)]
            if writes:
                violations.append("run %d: %s (%s) must never be written to, but got %s" % (index, item["name"], item["profile"], writes[0]["route"]))
    for index, run in enumerate(runs, 1):
        for host in (run.get("report") or {}).get("hosts", []):
            if host.get("phase_reached") in GATE_PHASES and host.get("outcome") in ("held", "skipped", "failed"):
                checks += 1
                writes = [entry for entry in calls_for(run["calls"], host.get("host")) if is_write(entry)]
                if writes:
                    violations.append(
                        "run %d: the report holds %s at %s (%s) but the run wrote %s"
                        % (index, host.get("host"), host.get("phase_reached"), host.get("outcome"), writes[0]["route"])
                    )
    return checks, violations


def no_second_terminate(calls, tokens, validity=TOKEN_VALIDITY_SECONDS):
    """No ``terminate`` reaches a service while a token the simulator issued for it (by an earlier terminate that was
    applied, whatever its answer) is still valid: younger than 72 h (used or not: after a confirmation a terminate is
    wrong too)."""
    checks, violations = 0, []
    for entry in calls:
        if entry.get("route") != TERMINATE:
            continue
        checks += 1
        # sim_at is rounded to the millisecond; the token of this very call is created after its arrival.
        live = [
            token for token in tokens.get(entry["service"], []) if token["created"] < entry["sim_at"] - 0.001 and entry["sim_at"] - token["created"] < validity
        ]
        if live:
            violations.append(
                "%s: terminate at sim time %.0f while the token %s issued at %.0f was still valid"
                % (entry["service"], entry["sim_at"], live[-1]["sha"], live[-1]["created"])
            )
    return checks, violations


def confirm_retry(calls):
    """After a confirmation whose outcome was unknown (dropped or 5xx), at most one more confirmation for that service,
    and with the same token (fingerprint)."""
    checks, violations = 0, []
    services = sorted(set(entry["service"] for entry in calls if entry.get("route") == CONFIRM))
    for service in services:
        confirms = calls_for(calls, service, CONFIRM)
        first_unknown = next((index for index, entry in enumerate(confirms) if outcome_unknown(entry)), None)
        checks += 1
        if first_unknown is None:
            continue
        unknown = confirms[first_unknown]
        later = confirms[first_unknown + 1 :]
        if len(later) > 1:
            violations.append("%s: %d confirmations after one of unknown outcome (at most 1 retry)" % (service, len(later)))
        for entry in later:
            if entry.get("token_sha256") != unknown.get("token_sha256"):
                violations.append(
                    "%s: the retry after an unknown outcome carried token %s, not the first one's %s"
                    % (service, entry.get("token_sha256"), unknown.get("token_sha256"))
                )
    return checks, violations


def confirm_tokens_issued(calls, tokens):
    """Every confirmation carries a token the simulator issued for that very service (never another service's)."""
    checks, violations = 0, []
    for entry in calls:
        if entry.get("route") != CONFIRM:
            continue
        checks += 1
        own = set(token["sha"] for token in tokens.get(entry["service"], []))
        if entry.get("token_sha256") not in own:
            violations.append("%s: a confirmation carried token %s, not one issued for this service" % (entry["service"], entry.get("token_sha256")))
    return checks, violations


def final_state(plan, removal_started, account_emails, terminates_applied):
    """After the runs: every approved service with good backups whose e-mail reached the account is confirmed (its
    removal started); every other service is untouched: no removal, no confirmation; and none got more than one
    applied ``terminate``. ``removal_started``: {service: sim epoch or None}; ``account_emails``: services whose
    termination e-mail reached the account's history; ``terminates_applied``: {service: number of tokens issued}."""
    checks, violations = 0, []
    for item in plan:
        name = item["name"]
        checks += 1
        confirmed = removal_started.get(name) is not None
        should = item["approved"] and item["gates_pass"] and name in account_emails
        if should and not confirmed:
            violations.append("%s (%s): approved, good backups, e-mail arrived, but not confirmed" % (name, item["profile"]))
        if confirmed and not should:
            violations.append("%s (%s): confirmed although it is not an approved service with good backups whose e-mail arrived" % (name, item["profile"]))
        if (item["expect_run"] is not None) != confirmed:
            violations.append(
                "%s (%s, fault %s): the campaign expected it %s, the simulator says %s"
                % (
                    name,
                    item["profile"],
                    item["fault"],
                    "confirmed" if item["expect_run"] else "untouched",
                    "confirmed" if confirmed else "not confirmed",
                )
            )
        if terminates_applied.get(name, 0) > 1:
            violations.append("%s: %d terminations applied (tokens issued), at most 1" % (name, terminates_applied[name]))
    return checks, violations


def reports(plan, runs, removal_by_run):
    """Each run's report names every service once, with the outcome the campaign expects for that run, says
    ``confirmed`` exactly for the services whose removal started in that run, and its summary counts its hosts.
    ``removal_by_run``: {service: the run (1-based) in which its removal started, or None}."""
    checks, violations = 0, []
    names = [item["name"] for item in plan]
    for index, run in enumerate(runs, 1):
        report = run.get("report")
        checks += 1
        if not report:
            violations.append("run %d: no JSON report" % index)
            continue
        hosts = dict((host.get("host"), host) for host in report.get("hosts", []))
        if sorted(hosts) != sorted(names) or len(report.get("hosts", [])) != len(names):
            violations.append("run %d: the report names %d hosts, the fleet has %d" % (index, len(report.get("hosts", [])), len(names)))
        summary = dict(report.get("summary") or {})
        counted = {}
        for host in report.get("hosts", []):
            counted[host.get("outcome")] = counted.get(host.get("outcome"), 0) + 1
        counted["total"] = len(report.get("hosts", []))
        if summary != counted:
            violations.append("run %d: the summary %s does not count the hosts %s" % (index, summary, counted))
        for item in plan:
            host = hosts.get(item["name"]) or {}
            checks += 1
            outcome = host.get("outcome")
            if (outcome == "confirmed") != (removal_by_run.get(item["name"]) == index):
                violations.append(
                    "run %d: the report says %s is %s, but its removal started in run %s"
                    % (index, item["name"], outcome, removal_by_run.get(item["name"]) or "none")
                )
            expected = item["expect_outcome"].get(str(index))
            if expected and outcome != expected:
                violations.append(
                    "run %d: %s (%s, fault %s) is reported %s (phase %s: %s), expected %s"
                    % (index, item["name"], item["profile"], item["fault"], outcome, host.get("phase_reached"), _short(host.get("reason")), expected)
                )
    return checks, violations


def retry_reported(runs):
    """A confirmation sent after one of unknown outcome in an earlier run is reported as the one retry: the run's report
    gives the host ``retry_after_unknown`` and a write with ``retry: true``, and so does its ``confirm`` audit entry;
    no other host is reported as a retry."""
    checks, violations = 0, []
    unknown_before = set()
    for index, run in enumerate(runs, 1):
        hosts = dict((host.get("host"), host) for host in (run.get("report") or {}).get("hosts", []))
        confirmed_here = set(entry["service"] for entry in run["calls"] if entry.get("route") == CONFIRM)
        audited = set(
            entry.get("service_name")
            for entry in run.get("audit") or []
            if entry.get("phase") == "confirm" and entry.get("action") == "written" and entry.get("retry_after_unknown")
        )
        for name in sorted(set(hosts) | confirmed_here):
            host = hosts.get(name) or {}
            is_retry = name in unknown_before and name in confirmed_here
            said = bool(host.get("retry_after_unknown")) and any(write.get("retry") for write in host.get("writes") or [])
            checks += 1
            if is_retry and not said:
                violations.append("run %d: %s's confirmation retried one of unknown outcome, but the report does not say so" % (index, name))
            if said and not is_retry:
                violations.append("run %d: the report calls %s's confirmation a retry after an unknown outcome, but none came before" % (index, name))
            if is_retry and host.get("outcome") == "confirmed" and name not in audited:
                violations.append("run %d: %s's retry has no confirm audit entry with retry_after_unknown" % (index, name))
        unknown_before |= set(entry["service"] for entry in run["calls"] if entry.get("route") == CONFIRM and outcome_unknown(entry))
    return checks, violations


def audit(runs):
    """The audit log holds, for every write a run sent (terminate, confirmation), an entry of that run for that
    service and phase saying written or failed; and no ``written`` entry without such a call."""
    checks, violations = 0, []
    phase_of = {TERMINATE: "request", CONFIRM: "confirm"}
    for index, run in enumerate(runs, 1):
        entries = run.get("audit") or []
        sent = set((entry["service"], phase_of[entry["route"]]) for entry in run["calls"] if entry.get("route") in phase_of)
        logged = set((entry.get("service_name"), entry.get("phase")) for entry in entries if entry.get("action") in ("written", "failed"))
        written = set((entry.get("service_name"), entry.get("phase")) for entry in entries if entry.get("action") == "written")
        for key in sorted(sent):
            checks += 1
            if key not in logged:
                violations.append("run %d: %s sent a %s write but the audit log has no written/failed entry for it" % (index, key[0], key[1]))
        for key in sorted(written - sent):
            checks += 1
            violations.append("run %d: the audit log says %s %s was written, but no such call reached the API" % (index, key[0], key[1]))
    return checks, violations


def no_secrets(texts, secrets, fragments=None, window=16):
    """No secret (application secret, consumer key, any termination token) in any output or file: ``texts`` maps a
    label (file path) to its content; ``secrets`` maps a secret to a label that names it without showing it. The
    random ones (``fragments``, a subset of ``secrets``: the tokens) must not appear even in part: no run of
    ``window`` characters of one of them (a cut or split token)."""
    checks, violations = 0, []
    pieces = {}
    for secret in fragments or ():
        for start in range(len(secret) - window + 1):
            pieces[secret[start : start + window]] = secrets.get(secret, "a secret")
    runs = re.compile(r"[A-Za-z0-9]{%d,}" % window)
    for label, text in sorted(texts.items()):
        for secret, name in secrets.items():
            checks += 1
            if secret and secret in text:
                violations.append("%s holds %s" % (label, name))
        if not pieces:
            continue
        checks += 1
        found = set()
        for match in runs.finditer(text):
            value = match.group(0)
            for start in range(len(value) - window + 1):
                name = pieces.get(value[start : start + window])
                if name and name not in found:
                    found.add(name)
                    if not any(v == "%s holds %s" % (label, name) for v in violations):
                        violations.append("%s holds %d characters of %s" % (label, window, name))
    return checks, violations


def _short(text, limit=160):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
