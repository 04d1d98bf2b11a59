# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m tests.simulator --fixture FILE [--host H] [--port P] [--url-file F]``: serve until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .server import Simulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description="Local OVHcloud API simulator")
    parser.add_argument("--fixture", default="unit", help="fixture file (JSON, or YAML with PyYAML) or name under fixtures/")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--url-file", help="also write the JSON line to this file (atomically) once serving")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=JSON", help="set a simulator option, e.g. --option email_delay_seconds=600")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args(argv)

    sim = Simulator(args.fixture, host=args.host, port=args.port, verbose=args.verbose)
    for item in args.option:
        name, _sep, value = item.partition("=")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        sim.set_option(name, parsed)

    stopping = threading.Event()

    def _stop(signum, frame):  # pylint: disable=unused-argument
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sim.start()
    line = json.dumps({"url": sim.url, "admin_url": sim.admin_url, "pid": os.getpid()})
    if args.url_file:
        tmp = args.url_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(line + "\n")
        os.replace(tmp, args.url_file)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
