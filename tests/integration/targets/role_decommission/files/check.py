# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assertions of runme.sh (standard library only).

check.py report REPORT.json [--check-mode yes|no] HOST=OUTCOME[@PHASE] ...   the report names exactly these hosts
check.py no-secret EMAILS.json FILE_OR_DIR ...                              no token of /_sim/emails in any file
         [--emails MORE.json] [--secret VALUE] (repeatable)                 nor a token of MORE.json, nor VALUE
check.py emails EMAILS.json SERVICE=N ...                                   N termination e-mails per service
check.py removal STATE.json SERVICE=yes|no ...                              whether the removal started
check.py audit AUDIT.jsonl SERVICE:PHASE:ACTION ...                         these audit entries exist
check.py calls CALLS.json total=N|"METHOD /template"=N ...                  the simulator's call counts (/_sim/calls)
check.py absent STRING FILE_OR_DIR ...                                      STRING appears in no file
"""

from __future__ import annotations

import json
import os
import sys


def fail(message):
    sys.stderr.write("check.py: FAILED: %s\n" % message)
    sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def report(args):
    path = args[0]
    data = load(path)
    args = args[1:]
    if args and args[0] == "--check-mode":
        wanted = args[1] == "yes"
        if bool(data["run"].get("check_mode")) != wanted:
            fail("report check_mode is %r, expected %r" % (data["run"].get("check_mode"), wanted))
        args = args[2:]
    hosts = dict((item["host"], item) for item in data["hosts"])
    expected = dict(arg.split("=", 1) for arg in args)
    if sorted(hosts) != sorted(expected):
        fail("report names %s, expected %s" % (sorted(hosts), sorted(expected)))
    if data["summary"]["total"] != len(expected):
        fail("summary total %r != %d" % (data["summary"]["total"], len(expected)))
    for host, want in expected.items():
        outcome, _sep, phase = want.partition("@")
        item = hosts[host]
        if item.get("outcome") != outcome:
            fail("%s: outcome %r, expected %r (reason: %s)" % (host, item.get("outcome"), outcome, item.get("reason")))
        if phase and item.get("phase_reached") != phase:
            fail("%s: phase_reached %r, expected %r" % (host, item.get("phase_reached"), phase))
        if outcome in ("held", "failed", "skipped") and not item.get("reason"):
            fail("%s: %s without a reason" % (host, outcome))
    markdown = os.path.splitext(path)[0] + ".md"
    with open(markdown, encoding="utf-8") as handle:
        text = handle.read()
    for host in expected:
        if "| %s |" % host not in text:
            fail("%s missing from the Markdown report" % host)


def tokens(emails_path):
    found = set()
    for mail in load(emails_path):
        if mail.get("token"):
            found.add(mail["token"])
    return found


def no_secret(args):
    sources, extra, items = [args[0]], set(), []
    rest = iter(args[1:])
    for item in rest:
        if item == "--emails":
            sources.append(next(rest))
        elif item == "--secret":
            extra.add(next(rest))
        else:
            items.append(item)
    secrets = set(extra)
    for source in sources:
        found = tokens(source)
        if not found:
            fail("no token in %s: the test would prove nothing" % source)
        secrets |= found
    paths = []
    for item in items:
        if os.path.isdir(item):
            for root, _dirs, files in os.walk(item):
                paths.extend(os.path.join(root, name) for name in files)
        else:
            paths.append(item)
    if not paths:
        fail("no file to search")
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        for secret in secrets:
            if secret.encode("utf-8") in data:
                fail("a %s appears in %s" % ("secret" if secret in extra else "token", path))
    print("no-secret: %d token(s) and %d other secret(s) absent from %d file(s)" % (len(secrets - extra), len(extra), len(paths)))


def emails(args):
    counts = {}
    for mail in load(args[0]):
        if mail.get("token") and mail.get("serviceName"):
            counts[mail["serviceName"]] = counts.get(mail["serviceName"], 0) + 1
    for arg in args[1:]:
        service, count = arg.split("=", 1)
        if counts.get(service, 0) != int(count):
            fail("%s has %d termination e-mail(s), expected %s" % (service, counts.get(service, 0), count))


def removal(args):
    services = {}
    for account in load(args[0])["accounts"].values():
        for service in account["services"]:
            services[service["serviceName"]] = service
    for arg in args[1:]:
        name, want = arg.split("=", 1)
        started = services[name].get("removalStarted") is not None
        if started != (want == "yes"):
            fail("%s: removal started is %s, expected %s" % (name, started, want))


def audit(args):
    entries = []
    with open(args[0], encoding="utf-8") as handle:
        for line in handle:
            entries.append(json.loads(line))
    for arg in args[1:]:
        service, phase, action = arg.split(":")
        if not any(e.get("service_name") == service and e.get("phase") == phase and e.get("action") == action for e in entries):
            fail("no audit entry %s" % arg)


def calls(args):
    counts = load(args[0])
    for arg in args[1:]:
        route, _sep, want = arg.rpartition("=")
        got = sum(counts.values()) if route == "total" else counts.get(route, 0)
        if got != int(want):
            fail("%s: %d call(s), expected %s (all calls: %s)" % (route, got, want, json.dumps(counts, sort_keys=True)))


def absent(args):
    needle = args[0].encode("utf-8")
    paths = []
    for item in args[1:]:
        if os.path.isdir(item):
            for root, _dirs, files in os.walk(item):
                paths.extend(os.path.join(root, name) for name in files)
        elif os.path.exists(item):
            paths.append(item)
    if not paths:
        fail("no file to search")
    for path in paths:
        with open(path, "rb") as handle:
            if needle in handle.read():
                fail("%r appears in %s" % (args[0], path))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    {"report": report, "no-secret": no_secret, "emails": emails, "removal": removal, "audit": audit, "calls": calls, "absent": absent}[command](args)


if __name__ == "__main__":
    main()
