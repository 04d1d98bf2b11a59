# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fault campaign of the decommission role (issue 10; docs/reliability.md).

Starts the local API simulator in-process with a generated fleet, marks a seeded part of it unapproved, with bad
backups, unattested, or with a termination e-mail that comes late or never, injects seeded faults (5xx as JSON and
as HTML, 429 with and without Retry-After, latency spikes, answers dropped after a write was applied, 5xx after an
applied write), runs ``ansible-playbook ovhcloud.mbm.decommission -e decommission_confirm=true -vvvv``, moves the
simulator's clock, runs it again with a second seeded set of faults, then checks every invariant of
``invariants.py`` from the simulator's call log, its tokens and e-mails, the reports, the audit log, the state
files and the captured output. Then a series of small runs, each with one malformed input, must each fail with a
clear message and no write. Prints a Markdown summary; exits 1 when any invariant is violated.

    python tests/reliability/campaign.py [--services 60] [--seed 1] [--forks 5] [--wait-timeout 120]
                                         [--skip-malformed] [--json FILE] [--keep DIR] [--ansible-bin DIR]

Run it from a checkout (it finds the collection itself); ``ansible-playbook`` must be on PATH (or in
``--ansible-bin``) and its Python needs python-ovh. The client-side rate limit is off (decommission_api_rate_limit=0).
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _import_path():
    """The directory holding ``ansible_collections/ovhcloud/mbm`` for this checkout (a temporary link when needed)."""
    parts = ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3] == "ansible_collections":
        return os.sep.join(parts[:-3])
    link_root = tempfile.mkdtemp(prefix="mbm-campaign-")
    atexit.register(shutil.rmtree, link_root, True)
    os.makedirs(os.path.join(link_root, "ansible_collections", "ovhcloud"))
    os.symlink(ROOT, os.path.join(link_root, "ansible_collections", "ovhcloud", "mbm"))
    return link_root


COLLECTIONS_PATH = _import_path()
sys.path.insert(0, COLLECTIONS_PATH)

# pylint: disable=wrong-import-position
from ansible_collections.ovhcloud.mbm.tests.reliability import invariants  # noqa: E402
from ansible_collections.ovhcloud.mbm.tests.simulator import Simulator, credentials  # noqa: E402
from ansible_collections.ovhcloud.mbm.tests.simulator.generate import generate  # noqa: E402

NOW = "2026-11-26T09:00:00Z"  # after the 25th: no billing-window warning; fixed, so every run reads the same dates
OTHER_NIC = "zz999-ovh"  # the admin contact of the services whose e-mail never reaches the account
CLOCK_STEP = 3 * 3600  # the simulator's clock moves this far between the runs (beyond the 40 min e-mail wait)
EMAIL_CLOCK_DELAY = 2 * 3600  # an e-mail that arrives only once the clock moved
EMAIL_NEVER_DELAY = 30 * 86400
EXPORTED = "CHG-4242: VMs exported to s3://archive/%s"
STYLES = ("en_html", "en_text", "fr_html", "fr_text", "account_level")

# profile: (share of the fleet, at least, what it is). The rest of the fleet is "healthy".
PROFILES = (
    ("unapproved", 0.10, 1, "not in decommission_approved_services: never read nor written"),
    ("stale_backup", 0.05, 1, "one VM's newest backup is 50 h old: held at the backup gate"),
    ("error_backup", 0.05, 1, "one VM's backup job reads error: held at the backup gate"),
    ("unattested", 0.04, 1, "no decommission_data_exported: held at the attestation"),
    ("admin_contact", 0.05, 1, "the e-mail goes to another NIC: awaiting_token, never confirmed"),
    ("email_never", 0.05, 1, "the e-mail never comes (30 days late): requested once, never confirmed"),
    ("email_clock", 0.05, 1, "the e-mail comes 2 h late: arrives when the clock moves between the runs, confirmed in run 2"),
    ("email_late", 0.15, 1, "the e-mail comes 5 to 60 s late (real time): the confirmation waits for it"),
)
GATE_FAILS = ("unapproved", "stale_backup", "error_backup", "unattested")

# One service fault per service, given to healthy or email_late services in run 1: (kind, route, path under the
# service, fault spec, the run that confirms the service or None, its outcome in run 1, what it is).
SERVICE_FAULTS = (
    ("terminate_dropped", invariants.TERMINATE, "/terminate", {"drop_after_apply": True}, 1, "confirmed", "terminate applied, answer dropped"),
    (
        "terminate_502_html_applied",
        invariants.TERMINATE,
        "/terminate",
        {"status": 502, "html": True, "after_apply": True},
        1,
        "confirmed",
        "terminate applied, then a 502 HTML page",
    ),
    ("terminate_503", invariants.TERMINATE, "/terminate", {"status": 503}, None, "failed", "terminate answered 503, not applied: no e-mail ever comes"),
    ("terminate_429", invariants.TERMINATE, "/terminate", {"status": 429, "retry_after": 1}, 2, "failed", "terminate refused: 429 + Retry-After, not applied"),
    ("confirm_dropped", invariants.CONFIRM, "/confirmTermination", {"drop_after_apply": True}, 1, "confirmed", "confirmation applied, answer dropped"),
    ("confirm_502_applied", invariants.CONFIRM, "/confirmTermination", {"status": 502, "after_apply": True}, 1, "confirmed", "confirmation applied, then 502"),
    ("confirm_503", invariants.CONFIRM, "/confirmTermination", {"status": 503}, 2, "failed", "confirmation answered 503, not applied"),
    ("confirm_500_html", invariants.CONFIRM, "/confirmTermination", {"status": 500, "html": True}, 2, "failed", "confirmation: 500 HTML page, not applied"),
    ("confirm_429", invariants.CONFIRM, "/confirmTermination", {"status": 429}, 2, "failed", "confirmation refused: 429 without Retry-After"),
    # The gates fail on API errors in run 1 (every call of the route): held, no write; run 2 confirms.
    (
        "preflight_429_retry_after_600",
        "GET /dedicatedCloud/{serviceName}",
        "",
        {"status": 429, "retry_after": 600, "count": 0},
        2,
        "held",
        "every read of the service: 429, Retry-After 600 s (beyond api_retry_max_wait): held at the preflight",
    ),
    (
        "backup_gate_503_html",
        "GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm",
        "/datacenter/*/vm",
        {"status": 503, "html": True, "count": 0},
        2,
        "held",
        "every read of the VM list: 503 HTML, retried until api_retry_max_wait: held at the backup gate",
    ),
)
FAULT_OF = dict((fault[0], fault) for fault in SERVICE_FAULTS)
# Run 2: the first confirmation of some services due in run 2 is applied and its answer dropped (the retry after an
# unknown outcome, for confirm_503 and confirm_500_html).
RUN2_CONFIRM_DROP = {"drop_after_apply": True}

# read faults: kind -> builder(rng) of a fault spec
READ_ROUTES = (
    ("GET /dedicatedCloud/{serviceName}", ""),
    ("GET /dedicatedCloud/{serviceName}/serviceInfos", "/serviceInfos"),
    ("GET /dedicatedCloud/{serviceName}/datacenter", "/datacenter"),
    ("GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm", "/datacenter/*/vm"),
    ("GET /dedicatedCloud/{serviceName}/backupRepository", "/backupRepository"),
)
READ_FAULTS = {
    "5xx_json": lambda rng: {"status": rng.choice((500, 502, 503, 504)), "count": rng.randint(1, 2)},
    "5xx_html": lambda rng: {"status": rng.choice((502, 503, 504)), "html": True, "count": rng.randint(1, 2)},
    "429_retry_after": lambda rng: {"status": 429, "retry_after": rng.randint(1, 2), "count": 1},
    "429_no_retry_after": lambda rng: {"status": 429, "count": rng.randint(1, 2)},
    "latency": lambda rng: {"latency": rng.choice((2, 3, 4)), "count": rng.randint(1, 2)},
}
ACCOUNT_FAULTS = (
    ("5xx_json", "GET /me/notification/email/history", {"status": 503, "count": 2}),
    ("5xx_html", "GET /me/notification/email/history", {"status": 502, "html": True, "count": 1}),
    ("429_retry_after", "GET /me", {"status": 429, "retry_after": 1, "count": 1}),
    ("429_no_retry_after", "GET /services", {"status": 429, "count": 1}),
    ("latency", "GET /me/notification/email/history", {"latency": 3, "count": 2}),
)


def log(message):
    sys.stdout.write("campaign: %s\n" % message)
    sys.stdout.flush()


# --- the plan ----------------------------------------------------------------------------------------------------


def make_plan(names, rng, wait_timeout):
    """Give each service a profile, then some of the healthy ones a service fault; deterministic for a seed."""
    order = list(names)
    rng.shuffle(order)
    profiles = {}
    position = 0
    for profile, share, least, dummy in PROFILES:
        for name in order[position : position + max(least, int(round(share * len(names))))]:
            profiles[name] = profile
        position += max(least, int(round(share * len(names))))
    for name in order[position:]:
        profiles[name] = "healthy"
    writable = [name for name in order if profiles[name] in ("healthy", "email_late")]
    per_kind = max(1, int(round(len(names) / 30.0)))
    faults = {}
    for kind in FAULT_OF:
        for dummy in range(per_kind):
            if writable:
                faults[writable.pop(0)] = kind
    plan = []
    late_max = max(5, min(60, wait_timeout // 2))
    for name in names:
        profile = profiles[name]
        fault = faults.get(name)
        # Outcomes: (run that confirms, run 1, run 2). A request whose e-mail never comes: run 1 waits in vain
        # (failed); in run 2 the request is overdue (no e-mail within 40 min): held at the preflight.
        expect_run, first, final = {
            "unapproved": (None, "skipped", "skipped"),
            "stale_backup": (None, "held", "held"),
            "error_backup": (None, "held", "held"),
            "unattested": (None, "held", "held"),
            "admin_contact": (None, "awaiting_token", "awaiting_token"),
            "email_never": (None, "failed", "held"),
            "email_clock": (2, "failed", "confirmed"),
        }.get(profile, (1, "confirmed", "nothing_to_do"))
        if fault:
            expect_run, first = FAULT_OF[fault][4], FAULT_OF[fault][5]
            final = {None: "held", 1: "nothing_to_do", 2: "confirmed"}[expect_run]
        plan.append(
            {
                "name": name,
                "profile": profile,
                "approved": profile != "unapproved",
                "gates_pass": profile not in GATE_FAILS,
                "fault": fault,
                "run2_fault": None,
                "expect_run": expect_run,
                "expect_outcome": {"1": first, "2": final},
                "email_delay": rng.randint(5, late_max) if profile == "email_late" else None,
                "style": rng.choice(STYLES),
            }
        )
    due_in_run2 = [item for item in plan if item["expect_run"] == 2]
    for item in due_in_run2[::2]:
        item["run2_fault"] = "confirm_dropped"
    return plan


def make_fixture(services, emails, plan):
    fixture = generate(services=services, vms=3, datacenters=1, now=NOW, emails=emails)
    by_name = dict((item["name"], item) for item in plan)
    for spec in fixture["accounts"][0]["services"]:
        item = by_name[spec["serviceName"]]
        spec["emailStyle"] = item["style"]
        vm = spec["datacenters"][0]["vms"][0]
        if item["profile"] == "stale_backup":
            vm["backup"].update(lastSuccessfulCreationTime="-50h", lastCreationTime="-50h")
            vm["backup"]["restorePoints"] = [dict(point, creationTime="-%dh" % (50 + 24 * i)) for i, point in enumerate(vm["backup"]["restorePoints"])]
        elif item["profile"] == "error_backup":
            vm["backup"]["state"] = "error"
        elif item["profile"] == "admin_contact":
            spec["serviceInfos"] = {"contactAdmin": OTHER_NIC}
        elif item["profile"] == "email_never":
            spec["emailDelaySeconds"] = EMAIL_NEVER_DELAY
        elif item["profile"] == "email_clock":
            spec["emailDelaySeconds"] = EMAIL_CLOCK_DELAY
        elif item["profile"] == "email_late":
            spec["emailDelaySeconds"] = item["email_delay"]
    return fixture


class FaultBook:
    """Every fault injected, by kind and run, with the Fault objects (their ``hits`` count the calls they met)."""

    def __init__(self, sim):
        self.sim = sim
        self.entries = []  # (run, kind, route, fault)

    def add(self, run, kind, route, **spec):
        self.entries.append((run, kind, route, self.sim.add_fault(route, **spec)))

    def read_faults(self, run, rng, names, share):
        for name in names:
            if rng.random() >= share:
                continue
            for dummy in range(rng.randint(1, 2)):
                kind = rng.choice(sorted(READ_FAULTS))
                route, suffix = rng.choice(READ_ROUTES)
                self.add(run, kind, route, path="/dedicatedCloud/%s%s" % (name, suffix), **READ_FAULTS[kind](rng))

    def rows(self):
        table = {}
        for run, kind, dummy_route, fault in self.entries:
            row = table.setdefault(kind, {"injected": [0, 0], "hits": [0, 0]})
            row["injected"][run - 1] += 1
            row["hits"][run - 1] += fault.hits
        return table


# --- running ansible-playbook ------------------------------------------------------------------------------------


def playbook_env(work):
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith("OVH_"))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_LOCAL_TEMP=os.path.join(work, "ansible-tmp"),
        ANSIBLE_DEPRECATION_WARNINGS="False",
    )
    return env


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    return path


def credential_vars(sim):
    """The role's credential variables, as group_vars would carry them (vaulted in real life)."""
    return {
        "decommission_endpoint": sim.url,
        "decommission_application_key": credentials.APPLICATION_KEY,
        "decommission_application_secret": credentials.APPLICATION_SECRET,
        "decommission_consumer_key": credentials.CK_FULL,
    }


def run_playbook(ansible_bin, work, label, inventory, extra_files, forks, env=None, extra_args=()):
    command = [os.path.join(ansible_bin, "ansible-playbook"), "ovhcloud.mbm.decommission", "-i", inventory, "-f", str(forks), "-vvvv"]
    for path in extra_files:
        command += ["-e", "@" + path]
    command += list(extra_args)
    out_path = os.path.join(work, "output", label + ".stdout")
    err_path = os.path.join(work, "output", label + ".stderr")
    started = time.time()
    with open(out_path, "w", encoding="utf-8") as out, open(err_path, "w", encoding="utf-8") as err:
        rc = subprocess.call(command, cwd=work, env=env or playbook_env(work), stdout=out, stderr=err)
    return rc, time.time() - started, out_path, err_path


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_audit(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def files_under(*tops):
    for top in tops:
        for folder, dummy, names in os.walk(top):
            for name in names:
                yield os.path.join(folder, name)


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def issued_tokens(sim, names):
    """{service: [{sha, created, used}]} of every token the simulator issued (delivered e-mail or not), and the
    tokens themselves (for the secret scan only; never printed)."""
    tokens, raw = {}, []
    with sim.lock:
        for name in names:
            service = sim.service(name)
            entries = list(service.tokens) if service is not None else []
            tokens[name] = [{"sha": sha(t["token"]), "created": t["created"], "used": bool(t["used"])} for t in entries]
            raw.extend(t["token"] for t in entries)
    return tokens, raw


def removal_started(sim, names):
    services = dict((item["serviceName"], item) for account in sim.snapshot()["accounts"].values() for item in account["services"])
    return dict((name, services[name]["removalStarted"]) for name in names if name in services)


# --- the campaign ------------------------------------------------------------------------------------------------


def fleet_runs(args, work, ansible_bin, results):
    names = ["pcc-10-%d-%d-%d" % (i // 65536 % 256, i // 256 % 256, i % 256) for i in range(args.services)]
    plan = make_plan(names, random.Random(args.seed), args.wait_timeout)
    fixture = make_fixture(args.services, args.emails, plan)
    approved = [item["name"] for item in plan if item["approved"]]
    runs = []
    with Simulator(fixture) as sim:
        book = FaultBook(sim)
        inventory = {
            "all": {
                "vars": dict(
                    credential_vars(sim),
                    decommission_approved_services=approved,
                    decommission_api_rate_limit=0,
                    decommission_wait_timeout=args.wait_timeout,
                    decommission_wait_delay=args.wait_delay,
                ),
                "children": {
                    "mbm_services": {
                        "hosts": dict(
                            (item["name"], {"decommission_data_exported": "" if item["profile"] == "unattested" else EXPORTED % item["name"]}) for item in plan
                        )
                    }
                },
            }
        }
        inventory_path = write_json(os.path.join(work, "inventory.json"), inventory)
        run_vars = write_json(
            os.path.join(work, "run-vars.json"),
            {
                "decommission_confirm": True,
                "decommission_report_dir": os.path.join(work, "reports"),
                "decommission_state_dir": os.path.join(work, "state"),
            },
        )
        # Run 1: the seeded faults.
        fault_rng = random.Random(args.seed * 1000 + 1)
        for item in plan:
            if item["fault"]:
                kind, route, suffix, spec = FAULT_OF[item["fault"]][:4]
                book.add(1, kind, route, path="/dedicatedCloud/%s%s" % (item["name"], suffix), **spec)
        book.read_faults(1, fault_rng, approved, 0.5)
        for kind, route, spec in ACCOUNT_FAULTS:
            book.add(1, kind, route, **spec)
        for run in (1, 2):
            if run == 2:
                sim.clear_faults()
                sim.clock.advance(CLOCK_STEP)
                book.read_faults(2, random.Random(args.seed * 1000 + 2), approved, 0.3)
                for item in plan:
                    if item["run2_fault"]:
                        book.add(2, item["run2_fault"], invariants.CONFIRM, path="/dedicatedCloud/%s/confirmTermination" % item["name"], **RUN2_CONFIRM_DROP)
                for kind, route, spec in ACCOUNT_FAULTS[:2]:
                    book.add(2, kind, route, **spec)
            first_call = len(sim.calls_log())
            log("run %d: ansible-playbook ovhcloud.mbm.decommission on %d services (forks %d, -vvvv)" % (run, len(plan), args.forks))
            rc, seconds, out_path, err_path = run_playbook(ansible_bin, work, "run%d" % run, inventory_path, [run_vars], args.forks)
            calls = sim.calls_log()[first_call:]
            write_json(os.path.join(work, "output", "calls-run%d.json" % run), calls)
            report = read_json(os.path.join(work, "reports", "decommission-report.json"))
            if report:
                shutil.copy(os.path.join(work, "reports", "decommission-report.json"), os.path.join(work, "output", "report-run%d.json" % run))
            audit_all = read_audit(os.path.join(work, "reports", "audit.jsonl"))
            audit_before = sum(len(r["audit"]) for r in runs)
            runs.append(
                {
                    "rc": rc,
                    "seconds": round(seconds, 1),
                    "calls": calls,
                    "report": report,
                    "audit": audit_all[audit_before:],
                    "removal": removal_started(sim, names),
                    "stdout": out_path,
                    "stderr": err_path,
                }
            )
            log(
                "run %d: exit %d in %.0f s, %d API calls, %d writes; outcomes %s"
                % (run, rc, seconds, len(calls), sum(1 for c in calls if invariants.is_write(c)), (report or {}).get("summary"))
            )
        tokens, raw_tokens = issued_tokens(sim, names)
        emails = sim.emails()
        account_emails = set(m.get("serviceName") for m in emails if m.get("account") == credentials.NIC and m.get("serviceName"))
        raw_tokens.extend(m["token"] for m in emails if m.get("token"))
        removal = runs[-1]["removal"]
        removal_by_run = {}
        for name in names:
            for index, run in enumerate(runs, 1):
                if run["removal"].get(name) is not None:
                    removal_by_run[name] = index
                    break
        all_calls = [c for run in runs for c in run["calls"]]
        texts = {}
        # Both runs' -vvvv stdout and stderr, the call logs and report copies (output/), the reports, manifests and
        # audit log, the state files, and whatever Ansible left in its local temporary directory.
        for path in files_under(*(os.path.join(work, folder) for folder in ("output", "reports", "state", "ansible-tmp"))):
            texts[os.path.relpath(path, work)] = read_text(path)
        secrets = dict((token, "the termination token %s" % sha(token)) for token in raw_tokens)
        secrets[credentials.APPLICATION_SECRET] = "the application secret"
        secrets[credentials.CK_FULL] = "the consumer key"
        checks = [
            ("unapproved services are never read nor written", invariants.unapproved_untouched(plan, all_calls)),
            ("no write without every gate passed", invariants.no_write_without_gates(plan, runs)),
            ("no second terminate while a token is valid", invariants.no_second_terminate(all_calls, tokens)),
            ("after an unknown confirm: at most 1 retry, same token", invariants.confirm_retry(all_calls)),
            ("every confirmation carries its own service's token", invariants.confirm_tokens_issued(all_calls, tokens)),
            (
                "final state: confirmed exactly when due, others untouched",
                invariants.final_state(plan, removal, account_emails, dict((n, len(t)) for n, t in tokens.items())),
            ),
            ("each report says exactly that", invariants.reports(plan, runs, removal_by_run)),
            ("a retry after an unknown outcome is reported as such", invariants.retry_reported(runs)),
            ("every write is in the audit log", invariants.audit(runs)),
            ("no secret in any output, report, audit log or state file (-vvvv)", invariants.no_secrets(texts, secrets, sorted(set(raw_tokens)))),
        ]
        for name, (count, violations) in checks:
            results["invariants"].append({"name": name, "checks": count, "violations": violations})
        results["faults"] = book.rows()
        results["runs"] = [
            {
                "run": index,
                "rc": run["rc"],
                "seconds": run["seconds"],
                "api_calls": len(run["calls"]),
                "terminate": sum(1 for c in run["calls"] if c["route"] == invariants.TERMINATE),
                "confirm": sum(1 for c in run["calls"] if c["route"] == invariants.CONFIRM),
                "outcomes": dict((k, v) for k, v in ((run["report"] or {}).get("summary") or {}).items() if k != "total"),
            }
            for index, run in enumerate(runs, 1)
        ]
        results["fleet"] = {
            "services": len(plan),
            "vms": 3 * len(plan),
            "unrelated_emails": args.emails,
            "profiles": count_by(plan, "profile"),
            "service_faults": count_by([p for p in plan if p["fault"]], "fault"),
        }
        final_hosts = dict((h["host"], h) for h in ((runs[-1]["report"] or {}).get("hosts") or []))
        results["outcomes"] = {}
        for item in plan:
            outcome = (final_hosts.get(item["name"]) or {}).get("outcome", "missing")
            key = "%s, %s%s" % (item["profile"], item["fault"] or "no service fault", " + run 2 confirm_dropped" if item["run2_fault"] else "")
            results["outcomes"].setdefault(key, {})
            results["outcomes"][key][outcome] = results["outcomes"][key].get(outcome, 0) + 1
        results["plan"] = [dict((k, v) for k, v in item.items() if k != "style") for item in plan]


def count_by(items, key):
    counts = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return dict(sorted(counts.items()))


# --- malformed inputs --------------------------------------------------------------------------------------------


def malformed_cases(names):
    """(label, host vars, extra vars, regex the first error must match). Each runs alone on host names[0]
    (names[1] has a termination e-mail whose token is offered to names[0] in "another service's token")."""
    target = names[0]
    bad = target + "/../../me"
    other_product = "ns1234567.ip-1-2-3.eu"
    return (
        (
            "bad service name (path characters)",
            {"decommission_service_name": bad},
            {"decommission_approved_services": [bad]},
            r"Service \S+/\.\./\.\./me was not found",
        ),
        (
            "bad service name (not a pcc-)",
            {"decommission_service_name": other_product},
            {"decommission_approved_services": [other_product]},
            r"Service \S+ was not found",
        ),
        ("bad service name (empty)", {"decommission_service_name": ""}, {}, r"decommission_service_name a non-empty string"),
        ("wrong type: decommission_confirm=maybe", {}, {"decommission_confirm": "maybe"}, r"'decommission_confirm' .* not a valid boolean"),
        (
            "wrong type: approved services as a dict",
            {},
            {"decommission_approved_services": {target: True}},
            r"'decommission_approved_services' is of type dict",
        ),
        ("wrong type: decommission_wait_timeout=soon", {}, {"decommission_wait_timeout": "soon"}, r"'decommission_wait_timeout' is of type str"),
        (
            "unknown enum: decommission_billing_window=sometimes",
            {},
            {"decommission_billing_window": "sometimes"},
            r"decommission_billing_window must be one of",
        ),
        (
            "unknown enum: decommission_confirm_reason=NOT_A_REASON",
            {},
            {"decommission_confirm_reason": "NOT_A_REASON"},
            r"decommission_confirm_reason must be one of",
        ),
        (
            "unknown enum: decommission_confirm_future_use=SOMEDAY",
            {},
            {"decommission_confirm_future_use": "SOMEDAY"},
            r"decommission_confirm_future_use must be one of",
        ),
        ("http endpoint off loopback", {}, {"decommission_endpoint": "http://example.com/1.0"}, r"plain http on a non-loopback host"),
        ("half a credential pair: application key without secret", {}, {"decommission_application_secret": ""}, r"application_secret is missing"),
        ("half a credential pair: OAuth2 client id without secret", {"decommission_client_id": "EU.4242abcdef"}, {}, r"client_secret is missing"),
        ("another service's token", {"decommission_token": "@other"}, {}, r"token given belongs to another service"),
    )


def malformed_inputs(args, work, ansible_bin, results):
    fixture = generate(services=3, vms=2, datacenters=1, now=NOW, emails=5)
    names = [spec["serviceName"] for spec in fixture["accounts"][0]["services"]]
    with Simulator(fixture) as sim:
        other_token = "Campaign" + hashlib.sha256(str(args.seed).encode("utf-8")).hexdigest()[:24]
        sim.add_email(termination={"service": names[1], "token": other_token})
        secrets = {credentials.APPLICATION_SECRET: "the application secret", credentials.CK_FULL: "the consumer key", other_token: "the other service's token"}
        tokens = [other_token]
        for index, (label, host_vars, extra, pattern) in enumerate(malformed_cases(names)):
            host_vars = dict(host_vars, decommission_data_exported=EXPORTED % names[0])
            if host_vars.get("decommission_token") == "@other":
                host_vars["decommission_token"] = other_token
            group_vars = dict(credential_vars(sim), decommission_approved_services=[names[0]], decommission_api_rate_limit=0, decommission_wait_timeout=30)
            if host_vars.get("decommission_client_id"):
                for key in ("decommission_application_key", "decommission_application_secret", "decommission_consumer_key"):
                    group_vars.pop(key)
            case_dir = os.path.join(work, "malformed", "case%02d" % (index + 1))
            os.makedirs(case_dir)
            inventory = {"all": {"vars": group_vars, "children": {"mbm_services": {"hosts": {names[0]: host_vars}}}}}
            inventory_path = write_json(os.path.join(case_dir, "inventory.json"), inventory)
            extra = dict(
                {
                    "decommission_confirm": True,
                    "decommission_report_dir": os.path.join(case_dir, "reports"),
                    "decommission_state_dir": os.path.join(case_dir, "state"),
                },
                **extra,
            )
            extra_path = write_json(os.path.join(case_dir, "extra.json"), extra)
            first = len(sim.calls_log())
            rc, seconds, out_path, err_path = run_playbook(ansible_bin, work, "malformed-%02d" % (index + 1), inventory_path, [extra_path], 1)
            calls = sim.calls_log()[first:]
            writes = [c for c in calls if invariants.is_write(c)]
            output = read_text(out_path) + read_text(err_path)
            message = first_error(output)
            texts = dict(
                (os.path.relpath(p, work), read_text(p))
                for p in [out_path, err_path] + list(files_under(os.path.join(case_dir, "reports"), os.path.join(case_dir, "state")))
            )
            dummy_checks, leaks = invariants.no_secrets(texts, secrets, tokens)
            violations = []
            if rc == 0:
                violations.append("ansible-playbook exited 0")
            if not re.search(pattern, message or "", re.IGNORECASE):
                violations.append("the first error does not name the problem (/%s/): %s" % (pattern, message))
            if writes:
                violations.append("%d write(s): %s" % (len(writes), writes[0]["route"]))
            violations.extend(leaks)
            results["malformed"].append(
                {
                    "case": label,
                    "rc": rc,
                    "seconds": round(seconds, 1),
                    "api_calls": len(calls),
                    "writes": len(writes),
                    "message": message,
                    "violations": violations,
                }
            )
            log(
                "malformed %-55s exit %d, %d API calls, %d writes: %s" % (label, rc, len(calls), len(writes), "ok" if not violations else "; ".join(violations))
            )
        results["invariants"].append(
            {
                "name": "malformed inputs: clear error, no write",
                "checks": len(results["malformed"]) * 4,
                "violations": ["%s: %s" % (item["case"], v) for item in results["malformed"] for v in item["violations"]],
            }
        )


FATAL = re.compile(r"^(?:fatal|failed): \[[^\]]+\].*?=> (?=\{)|^ERROR! |^\[ERROR\]: ", re.MULTILINE)


def first_error(output):
    """The first failure message of a run: the ``msg`` (and ``argument_errors``) of the first failed task, or
    Ansible's own error (its first paragraph)."""
    decoder = json.JSONDecoder()
    for match in FATAL.finditer(output):
        if match.group(0).endswith("=> "):
            try:
                data, dummy = decoder.raw_decode(output, match.end())
            except ValueError:
                continue
            message = data.get("msg") if isinstance(data.get("msg"), str) else json.dumps(data.get("msg"))
            errors = data.get("argument_errors") or []
            return " ".join([message or ""] + [str(error) for error in errors]).strip()
        return " ".join(output[match.end() :].split("\n\n", 1)[0].split())
    return None


# --- the summary -------------------------------------------------------------------------------------------------


def summary_markdown(args, results):
    lines = []
    fleet = results.get("fleet")
    if fleet:
        lines.append(
            "Fault campaign: seed %d, %d services (%d VMs, %d unrelated e-mails), forks %d, wait_timeout %d s, rate limit off; "
            "%s; %s, %d CPUs; ansible-playbook -vvvv; %.0f s in all."
            % (
                args.seed,
                fleet["services"],
                fleet["vms"],
                fleet["unrelated_emails"],
                args.forks,
                args.wait_timeout,
                results["date"],
                results["machine"],
                results["cpus"],
                results["seconds"],
            )
        )
    else:
        lines.append("Malformed inputs only; %s; %s, %d CPUs; %.0f s in all." % (results["date"], results["machine"], results["cpus"], results["seconds"]))
    lines.append("")
    if results.get("faults"):
        lines.append("| fault injected | run 1 (hits) | run 2 (hits) |")
        lines.append("|---|---|---|")
        for kind, row in sorted(results["faults"].items()):
            lines.append("| %s | %d (%d) | %d (%d) |" % (kind, row["injected"][0], row["hits"][0], row["injected"][1], row["hits"][1]))
        lines.append("")
    if results.get("runs"):
        lines.append("| run | exit | time | API calls | terminate | confirmTermination | hosts per outcome |")
        lines.append("|---|---|---|---|---|---|---|")
        for run in results["runs"]:
            outcomes = ", ".join("%s %d" % (k, v) for k, v in sorted(run["outcomes"].items()))
            lines.append(
                "| %d | %d | %.0f s | %d | %d | %d | %s |"
                % (run["run"], run["rc"], run["seconds"], run["api_calls"], run["terminate"], run["confirm"], outcomes)
            )
        lines.append("")
    if results.get("outcomes"):
        lines.append("| services (profile, service fault) | count | final outcome |")
        lines.append("|---|---|---|")
        for key, outcomes in sorted(results["outcomes"].items()):
            lines.append("| %s | %d | %s |" % (key, sum(outcomes.values()), ", ".join("%s %d" % (k, v) for k, v in sorted(outcomes.items()))))
        lines.append("")
    if results.get("malformed"):
        lines.append("| malformed input | exit | API calls | writes | first error (cut) |")
        lines.append("|---|---|---|---|---|")
        for item in results["malformed"]:
            lines.append("| %s | %d | %d | %d | %s |" % (item["case"], item["rc"], item["api_calls"], item["writes"], _cell(item["message"])))
        lines.append("")
    lines.append("| invariant | checks | violations |")
    lines.append("|---|---|---|")
    for item in results["invariants"]:
        lines.append("| %s | %d | %s |" % (item["name"], item["checks"], len(item["violations"]) or "0 (passed)"))
    return "\n".join(lines) + "\n"


def _cell(text, limit=110):
    text = " ".join(str(text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def machine():
    name = platform.platform(terse=True)
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            found = re.search(r'^PRETTY_NAME="?([^"\n]*)', handle.read(), re.MULTILINE)
            name = found.group(1) if found else name
    except OSError:
        pass
    return "%s, Python %s" % (name, platform.python_version())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python tests/reliability/campaign.py", description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=60, help="services in the fleet (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the profiles and faults (default 1)")
    parser.add_argument("--forks", type=int, default=5, help="ansible-playbook --forks (default 5)")
    parser.add_argument("--wait-timeout", type=int, default=120, help="decommission_wait_timeout, at most 120 (default 120)")
    parser.add_argument("--wait-delay", type=int, default=5, help="decommission_wait_delay (default 5)")
    parser.add_argument("--emails", type=int, default=50, help="unrelated e-mails in the account's history (default 50)")
    parser.add_argument("--skip-malformed", action="store_true", help="leave out the malformed-input runs")
    parser.add_argument("--skip-fleet", action="store_true", help="only the malformed-input runs")
    parser.add_argument("--json", help="write the results (no secret) to this file")
    parser.add_argument("--keep", help="work in this directory and keep it (outputs, reports, state); default: a temporary one, removed")
    parser.add_argument("--ansible-bin", help="directory of ansible-playbook (default: from PATH)")
    args = parser.parse_args(argv)
    if not 12 <= args.services <= 5000:
        parser.error("--services must be from 12 to 5000 (every profile needs a service)")
    if not 30 <= args.wait_timeout <= 120:
        parser.error("--wait-timeout must be from 30 to 120")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.ansible_bin:
        ansible_bin = os.path.abspath(args.ansible_bin)
    else:
        found = shutil.which("ansible-playbook")
        if not found:
            sys.stderr.write("campaign: ansible-playbook is not on PATH (or give --ansible-bin DIR)\n")
            return 2
        ansible_bin = os.path.dirname(found)
    if args.keep:
        work = os.path.abspath(args.keep)
        if os.path.exists(work) and os.listdir(work):
            sys.stderr.write("campaign: --keep %s must be a new or empty directory\n" % work)
            return 2
        os.makedirs(work, exist_ok=True)
    else:
        work = tempfile.mkdtemp(prefix="mbm-campaign-work-")
        atexit.register(shutil.rmtree, work, True)
    os.chmod(work, 0o700)
    os.makedirs(os.path.join(work, "output"))
    started = time.time()
    results = {
        "seed": args.seed,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": machine(),
        "cpus": os.cpu_count() or 0,
        "invariants": [],
        "malformed": [],
    }
    if not args.skip_fleet:
        fleet_runs(args, work, ansible_bin, results)
    if not args.skip_malformed:
        malformed_inputs(args, work, ansible_bin, results)
    results["seconds"] = round(time.time() - started, 1)
    text = summary_markdown(args, results)
    sys.stdout.write("\n" + text)
    failed = [item for item in results["invariants"] if item["violations"]]
    for item in failed:
        sys.stdout.write("\nVIOLATED: %s\n" % item["name"])
        for violation in item["violations"][:50]:
            sys.stdout.write("  - %s\n" % violation)
    write_json(os.path.join(work, "results.json"), dict(results, summary_markdown=text))
    if args.json:
        write_json(args.json, dict(results, summary_markdown=text))
    if args.keep:
        log("outputs, reports and state kept in %s" % work)
    log("%s: %d invariant(s) checked, %d violated" % ("FAILED" if failed else "PASSED", len(results["invariants"]), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
