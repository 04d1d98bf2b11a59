# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Benchmark of ovhcloud.mbm.mbm_backup_info on the local API simulator (not a test; pytest does not collect it).

Runs the module's main() in-process against the simulator for services of 1, 100 and 1000 VMs, with a fixed
latency added to every API call, in three list modes:

  expanded   list_expansion=auto, the API returns whole objects (X-Pagination-Mode)
  fallback   list_expansion=auto, the API ignores X-Pagination-Mode: one GET per object after the id list
  per-id     list_expansion=never: one GET per object

and prints the number of API calls and the wall time of each run, and whether the three modes gave the same
verdict and manifest fingerprint.

    python tests/perf/bench_backup_info.py [--vms 1,100,1000] [--latency 0.05] [--datacenters 2]
                                           [--concurrency 4] [--repeat 1] [--json FILE]

Run it from a checkout (it finds the collection itself). The client-side rate limit is off (api_rate_limit=0)
so that the figures show the API work; see docs/performance.md for what the default limit means.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _import_path():
    """Make ``ansible_collections.ovhcloud.mbm`` importable from this checkout, wherever it lives."""
    parts = ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3] == "ansible_collections":
        return os.sep.join(parts[:-3])
    link_root = tempfile.mkdtemp(prefix="mbm-bench-")
    atexit.register(shutil.rmtree, link_root, True)
    os.makedirs(os.path.join(link_root, "ansible_collections", "ovhcloud"))
    os.symlink(ROOT, os.path.join(link_root, "ansible_collections", "ovhcloud", "mbm"))
    return link_root


sys.path.insert(0, _import_path())

# pylint: disable=wrong-import-position
from ansible_collections.ovhcloud.mbm.plugins.modules import mbm_backup_info  # noqa: E402
from ansible_collections.ovhcloud.mbm.tests.simulator import Simulator, credentials  # noqa: E402
from ansible_collections.ovhcloud.mbm.tests.simulator.generate import generate  # noqa: E402
from ansible_collections.ovhcloud.mbm.tests.unit.helpers import run_module  # noqa: E402

VM_ROUTE = "GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm/{vmId}"
MODES = (
    ("expanded", {"list_expansion": "auto"}, True),
    ("fallback", {"list_expansion": "auto"}, False),
    ("per-id", {"list_expansion": "never"}, True),
)


def bench(vms, latency, datacenters, concurrency, repeat, state_dir):
    fixture = generate(services=1, vms=vms, datacenters=min(datacenters, max(vms, 1)))
    service = fixture["accounts"][0]["services"][0]["serviceName"]
    rows = []
    with Simulator(fixture) as sim:
        sim.set_option("latency", latency)
        for mode, options, pagination in MODES:
            sim.set_option("pagination", pagination)
            args = {
                "endpoint": sim.url,
                "application_key": credentials.APPLICATION_KEY,
                "application_secret": credentials.APPLICATION_SECRET,
                "consumer_key": credentials.CK_FULL,
                "api_rate_limit": 0,
                "state_dir": state_dir,
                "service_name": service,
                "api_concurrency": concurrency,
            }
            args.update(options)
            runs = []
            for _run in range(max(1, repeat)):
                started = time.monotonic()
                result = run_module(mbm_backup_info, args)
                elapsed = time.monotonic() - started
                if result.get("failed"):
                    raise SystemExit("%s with %d VMs failed: %s" % (mode, vms, result.get("msg")))
                runs.append((elapsed, result))
            wall, result = min(runs, key=lambda item: item[0])
            rows.append(
                {
                    "vms": vms,
                    "mode": mode,
                    "calls": result["api_calls"]["total"],
                    "vm_calls": result["api_calls"]["by_route"].get(VM_ROUTE, 0),
                    "wall_seconds": round(wall, 2),
                    "passed": result["passed"],
                    "fingerprint": result["manifest"]["fingerprint"],
                    "vms_seen": result["summary"]["vms"],
                }
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", default="1,100,1000", help="comma-separated VM counts (default 1,100,1000)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every API call (default 0.05)")
    parser.add_argument("--datacenters", type=int, default=2, help="datacenters per service (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="api_concurrency (default 4, the module default)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is kept (default 1)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)

    counts = [int(item) for item in args.vms.split(",") if item.strip()]
    state_dir = tempfile.mkdtemp(prefix="mbm-bench-state-")
    atexit.register(shutil.rmtree, state_dir, True)
    sys.stdout.write(
        "mbm_backup_info benchmark: latency %.3f s per call, %d datacenter(s), api_concurrency %d, "
        "api_rate_limit 0\n" % (args.latency, args.datacenters, args.concurrency)
    )
    sys.stdout.write("python %s, %s, %d CPU(s)\n\n" % (platform.python_version(), platform.platform(), os.cpu_count() or 0))
    header = "%6s  %-9s  %6s  %8s  %8s  %-6s  %s" % ("VMs", "mode", "calls", "VM GETs", "wall s", "passed", "same verdict")
    sys.stdout.write(header + "\n" + "-" * len(header) + "\n")
    all_rows = []
    for vms in counts:
        rows = bench(vms, args.latency, args.datacenters, args.concurrency, args.repeat, state_dir)
        same = len(set((row["passed"], row["fingerprint"]) for row in rows)) == 1
        for row in rows:
            row["same_as_other_modes"] = same
            sys.stdout.write(
                "%6d  %-9s  %6d  %8d  %8.2f  %-6s  %s\n"
                % (row["vms"], row["mode"], row["calls"], row["vm_calls"], row["wall_seconds"], row["passed"], "yes" if same else "NO")
            )
            sys.stdout.flush()
        all_rows.extend(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(all_rows, handle, indent=1)
            handle.write("\n")
    return 0 if all(row["same_as_other_modes"] for row in all_rows) else 1


if __name__ == "__main__":
    sys.exit(main())
