# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fleet benchmark of the ovhcloud.mbm playbooks on the local API simulator (not a test; pytest does not collect it).

For each fleet size it generates one healthy Managed Bare Metal per host (``--datacenters`` x ``--vms``), plus
``--emails`` unrelated e-mails in the account, starts the simulator with ``--latency`` seconds per call, and runs
with ``ansible-playbook`` (forks ``--forks``):

  plan          ovhcloud.mbm.plan (check mode)
  decommission  ovhcloud.mbm.decommission with decommission_confirm=true (request, e-mail, confirmation)
  no-op         the same decommission again (every host already terminating: nothing to write)

and prints, per run: wall time, controller CPU (the ansible-playbook process tree), the peak memory of its
largest process, module invocations per service, API calls per service (reads, writes, e-mail reads, by route
with --routes), and the highest request rate seen in any 60 s window (from the simulator's call log).

    python tests/perf/bench_fleet.py [--services 10,100,300] [--forks 5,20] [--datacenters 1] [--vms 5]
        [--emails 300] [--latency 0.03] [--runs plan,decommission,noop] [--rate-limit 0] [--json FILE]
        [--budget] [--ansible-bin DIR]

``--budget`` checks the call budget of docs/performance.md (per service: plan <= 10 + 5 x datacenters, a full
decommission <= 24 + 5 x datacenters, a no-op re-run <= 6 reads and no write; e-mail reads per service that do
not grow with the fleet) and, with ``--rate-limit N``, that no 60 s window of the call log holds more than N
calls; it exits 1 when one is exceeded (CI runs a small version). The client-side rate limit is off by default
(``--rate-limit 0``) so that the figures show the collection's own work.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMAIL_ROUTES = ("GET /me/notification/email/history", "GET /me/notification/email/history/{emailId}")


def _link_root():
    """A directory holding ``ansible_collections/ovhcloud/mbm`` -> this checkout (for imports and Ansible)."""
    parts = ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3] == "ansible_collections":
        return os.sep.join(parts[:-3])
    link_root = tempfile.mkdtemp(prefix="mbm-fleet-")
    atexit.register(shutil.rmtree, link_root, True)
    os.makedirs(os.path.join(link_root, "ansible_collections", "ovhcloud"))
    os.symlink(ROOT, os.path.join(link_root, "ansible_collections", "ovhcloud", "mbm"))
    return link_root


LINK_ROOT = _link_root()
sys.path.insert(0, LINK_ROOT)

from ansible_collections.ovhcloud.mbm.tests.simulator import Simulator  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as creds  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.ovhcloud.mbm.tests.simulator.generate import generate  # noqa: E402  pylint: disable=wrong-import-position

CALLBACK_DIR = os.path.join(HERE, "callback_plugins")


def budget(kind, datacenters):
    """The most API calls per service a run of ``kind`` may make (docs/performance.md)."""
    return {"plan": 10 + 5 * datacenters, "decommission": 24 + 5 * datacenters, "noop": 6}[kind]


def max_rate(log, window=60.0):
    """The most calls seen in any ``window`` seconds of the call log."""
    times = sorted(entry["at"] for entry in log)
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def summarize_calls(log, services):
    reads = sum(1 for e in log if e["method"] == "GET")
    writes = len(log) - reads
    emails = sum(1 for e in log if e["route"] in EMAIL_ROUTES)
    by_route = {}
    for entry in log:
        by_route[entry["route"]] = by_route.get(entry["route"], 0) + 1
    return {
        "calls": len(log),
        "calls_per_service": round(len(log) / float(services), 2),
        "reads_per_service": round(reads / float(services), 2),
        "writes_per_service": round(writes / float(services), 2),
        "email_reads_per_service": round(emails / float(services), 2),
        "by_route_per_service": {route: round(count / float(services), 2) for route, count in sorted(by_route.items())},
        "max_calls_in_60s": max_rate(log),
    }


def write_inventory(folder, names, extra_vars):
    hosts = {name: {} for name in names}
    inventory = {"all": {"children": {"mbm_services": {"hosts": hosts}}}}
    path = os.path.join(folder, "inventory.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)
    vars_path = os.path.join(folder, "vars.json")
    with open(vars_path, "w", encoding="utf-8") as handle:
        json.dump(extra_vars, handle)
    return path, vars_path


def run_playbook(ansible_bin, playbook, inventory, vars_path, forks, env, folder, label):
    counts = os.path.join(folder, "modules-%s.json" % label)
    env = dict(env, MBM_BENCH_MODULE_COUNTS=counts)
    command = [os.path.join(ansible_bin, "ansible-playbook") if ansible_bin else "ansible-playbook", playbook, "-i", inventory, "-e", "@" + vars_path]
    command += ["-f", str(forks)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    with open(os.path.join(folder, "%s.log" % label), "w", encoding="utf-8") as out:
        rc = subprocess.call(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    modules = {}
    if os.path.exists(counts):
        with open(counts, encoding="utf-8") as handle:
            modules = json.load(handle)
    return {"rc": rc, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(after.ru_maxrss / 1024.0, 1), "modules": modules}


def bench_fleet(args, services, forks, ansible_bin):
    fixture = generate(services, args.vms, args.datacenters, emails=args.emails)
    folder = tempfile.mkdtemp(prefix="mbm-fleet-run-")
    if not args.keep:
        atexit.register(shutil.rmtree, folder, True)
    names = [spec["serviceName"] for spec in fixture["accounts"][0]["services"]]
    rows = []
    with Simulator(fixture) as sim:
        sim.set_options(latency=args.latency, email_delay_seconds=0)
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=LINK_ROOT,
            ANSIBLE_CALLBACK_PLUGINS=CALLBACK_DIR,
            ANSIBLE_CALLBACKS_ENABLED="module_counts",
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            OVH_ENDPOINT=sim.url,
            OVH_APPLICATION_KEY=creds.APPLICATION_KEY,
            OVH_APPLICATION_SECRET=creds.APPLICATION_SECRET,
            OVH_CONSUMER_KEY=creds.CK_FULL,
            OVH_API_RATE_LIMIT=str(args.rate_limit),
        )
        extra_vars = {
            "target": "mbm_services",
            "decommission_approved_services": names,
            "decommission_data_exported": "bench: exported",
            "decommission_confirm_reason": "NOT_NEEDED_ANYMORE",
            "decommission_confirm_future_use": "NOT_REPLACING_SERVICE",
            "decommission_wait_delay": 1,
            "decommission_wait_timeout": 120,
            "decommission_report_dir": os.path.join(folder, "reports"),
            "decommission_state_dir": os.path.join(folder, "state"),
            "decommission_api_rate_limit": args.rate_limit,
            "decommission_billing_window": "ignore",
        }
        inventory, vars_path = write_inventory(folder, names, extra_vars)
        plan = dict(extra_vars, decommission_confirm=True)
        for kind in args.runs:
            playbook = "ovhcloud.mbm.plan" if kind == "plan" else "ovhcloud.mbm.decommission"
            run_vars = dict(plan) if kind != "plan" else dict(extra_vars, decommission_confirm=True)
            with open(vars_path, "w", encoding="utf-8") as handle:
                json.dump(run_vars, handle)
            sim.reset_calls()
            result = run_playbook(ansible_bin, playbook, inventory, vars_path, forks, env, folder, kind)
            log = sim.calls_log()
            row = {"services": services, "forks": forks, "run": kind, "datacenters": args.datacenters, "vms": args.vms, "emails": args.emails}
            row.update(result)
            row.update(summarize_calls(log, services))
            row["module_runs_per_service"] = round(sum(result["modules"].values()) / float(services), 2) if result["modules"] else None
            row["cpu_per_service_s"] = round(result["cpu_s"] / services, 2)
            row["folder"] = folder
            rows.append(row)
            print(format_row(row), flush=True)
    return rows


HEADER = (
    "| services | forks | run | rc | wall (s) | CPU (s) | CPU/service (s) | peak RSS (MB) | module runs/service | calls/service "
    "| reads | writes | e-mail reads | max calls/60 s |"
)


def format_row(row):
    return "| %d | %d | %s | %d | %.1f | %.1f | %.2f | %.0f | %s | %.1f | %.1f | %.1f | %.1f | %d |" % (
        row["services"],
        row["forks"],
        row["run"],
        row["rc"],
        row["wall_s"],
        row["cpu_s"],
        row["cpu_per_service_s"],
        row["peak_rss_mb"],
        row["module_runs_per_service"],
        row["calls_per_service"],
        row["reads_per_service"],
        row["writes_per_service"],
        row["email_reads_per_service"],
        row["max_calls_in_60s"],
    )


def check_budget(rows, args):
    problems = []
    for row in rows:
        expected_rc = 0
        if row["rc"] != expected_rc:
            problems.append("%s of %d services (forks %d) exited %d (see %s)" % (row["run"], row["services"], row["forks"], row["rc"], row["folder"]))
        limit = budget(row["run"], args.datacenters)
        if row["calls_per_service"] > limit:
            problems.append("%s of %d services: %.1f calls per service, budget %d" % (row["run"], row["services"], row["calls_per_service"], limit))
        if row["run"] == "noop" and row["writes_per_service"] > 0:
            problems.append("no-op re-run of %d services wrote %.1f times per service" % (row["services"], row["writes_per_service"]))
        if args.rate_limit and row["max_calls_in_60s"] > args.rate_limit:
            problems.append(
                "%s of %d services: %d calls in one 60 s window, limit %d" % (row["run"], row["services"], row["max_calls_in_60s"], args.rate_limit)
            )
    for kind in {row["run"] for row in rows}:
        same = sorted((row for row in rows if row["run"] == kind), key=lambda r: r["services"])
        if len(same) >= 2 and same[-1]["email_reads_per_service"] > same[0]["email_reads_per_service"] + 0.5:
            problems.append(
                "%s: e-mail reads per service grow with the fleet (%.1f at %d services, %.1f at %d)"
                % (kind, same[0]["email_reads_per_service"], same[0]["services"], same[-1]["email_reads_per_service"], same[-1]["services"])
            )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="10,100,300", help="fleet sizes, comma-separated")
    parser.add_argument("--forks", default="5,20", help="ansible forks, comma-separated")
    parser.add_argument("--datacenters", type=int, default=1)
    parser.add_argument("--vms", type=int, default=5, help="VMs per service")
    parser.add_argument("--emails", type=int, default=300, help="unrelated e-mails in the account")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds added to every API call")
    parser.add_argument("--runs", default="plan,decommission,noop", help="runs, in order (noop must follow decommission)")
    parser.add_argument("--rate-limit", type=int, default=0, help="api_rate_limit per key (0: off)")
    parser.add_argument("--budget", action="store_true", help="exit 1 when a run exceeds the call budget or the rate limit")
    parser.add_argument("--ansible-bin", default="", help="directory of ansible-playbook (default: PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the run folders (logs, reports)")
    parser.add_argument("--json", help="write every row as JSON to this file")
    args = parser.parse_args(argv)
    args.runs = [run.strip() for run in args.runs.split(",") if run.strip()]
    print(
        "# %s, Python %s, %d CPU(s), %s"
        % (platform.platform(), platform.python_version(), os.cpu_count() or 0, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    )
    print(
        "# %s datacenter(s) x %d VMs per service, %d unrelated e-mails, %.0f ms per call, rate limit %s"
        % (args.datacenters, args.vms, args.emails, args.latency * 1000, args.rate_limit or "off")
    )
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    rows = []
    for services in [int(x) for x in args.services.split(",")]:
        for forks in [int(x) for x in args.forks.split(",")]:
            rows.extend(bench_fleet(args, services, forks, args.ansible_bin))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)
    if args.budget:
        problems = check_budget(rows, args)
        for problem in problems:
            print("BUDGET: " + problem)
        if problems:
            return 1
        print("budget: every run within its call budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
