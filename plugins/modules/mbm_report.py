#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mbm_report
short_description: Write decommission reports, backup manifests and the audit log on the controller
version_added: 0.1.0
description:
  - Writes the local records of the P(ovhcloud.mbm.decommission#role) role, on the host that runs the module
    (the controller when delegated to C(localhost)). It makes no API call.
  - O(kind=report) writes a JSON report and a Markdown rendering of it that name every host in O(hosts), with the
    record of each host from O(records) (hosts without a record are listed as C(not_reached)).
  - O(kind=manifest) writes one JSON document (the backup manifest returned by M(ovhcloud.mbm.mbm_backup_info)).
  - O(kind=audit) appends O(entries) to an append-only audit log, one JSON object per line, under an exclusive
    C(fcntl) lock, so that the forks of one run (or several runs) can append at the same time.
  - Reports and manifests are written atomically (temporary file in the same directory, then rename) with the mode
    O(mode). They are idempotent; keys listed in O(ignore_keys) are ignored when comparing with the existing file,
    so that unchanged evidence leaves the file unchanged.
  - Secrets are refused. The module fails, naming the offending key path (never the value), when the content holds a
    key called C(token), C(application_secret), C(consumer_key), C(client_secret), C(password) or C(secret), or a
    string that holds a termination confirmation link or a C(token=) query parameter.
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; the module reports whether it would write.
  diff_mode:
    support: none
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run reports no change.
    support: partial
    details:
      - O(kind=report) and O(kind=manifest) are idempotent. O(kind=audit) appends every time it runs.
  platform:
    platforms: posix
options:
  kind:
    description:
      - What to write.
    type: str
    required: true
    choices: [report, manifest, audit]
  path:
    description:
      - The file to write. For O(kind=report), the JSON report; for O(kind=manifest), the manifest; for O(kind=audit),
        the audit log (JSON lines).
      - Missing parent directories are created with mode C(0700).
    type: path
    required: true
  markdown_path:
    description:
      - For O(kind=report), where to write the Markdown rendering.
      - Defaults to O(path) with its C(.json) suffix replaced by C(.md) (or C(.md) appended).
    type: path
  content:
    description:
      - For O(kind=manifest), the document to write.
      - For O(kind=report), extra run metadata stored under C(run) in the report (for example the playbook, check
        mode, the account endpoints).
    type: dict
  hosts:
    description:
      - For O(kind=report), every host the report must name, in order (for example C(ansible_play_hosts_all)).
    type: list
    elements: str
  records:
    description:
      - For O(kind=report), the record of each host, keyed by host name.
      - A host of O(hosts) without a record is reported with the outcome C(not_reached).
    type: dict
  entries:
    description:
      - For O(kind=audit), the entries to append, one JSON line each. The module adds C(logged_at) (UTC, ISO 8601)
        and C(controller_user) when an entry has none.
      - An empty list appends nothing and creates no file.
    type: list
    elements: dict
  approved_not_in_run:
    description:
      - For O(kind=report), approved service names that match no host of the run (a typo, or a C(--limit) subset).
      - They are stored in the report under C(approved_not_in_run), listed in the Markdown report as
        "approved but not in this run", and shown as a warning.
    type: list
    elements: str
  warnings:
    description:
      - Messages to show as Ansible warnings (with any O(kind)); nothing is written for them.
      - For example the P(ovhcloud.mbm.decommission#role) role warns this way, at preflight, about approved names
        that match no host (O(kind=audit) with O(entries=[]) writes nothing).
    type: list
    elements: str
  title:
    description:
      - For O(kind=report), the title of the report.
    type: str
    default: Managed Bare Metal decommission report
  ignore_keys:
    description:
      - For O(kind=report) and O(kind=manifest), top-level keys ignored when comparing the new content with the existing
        file (volatile values such as timestamps). They are still written.
    type: list
    elements: str
    default: [evidence_time, generated_at]
  mode:
    description:
      - File mode of the written files (reports, manifests, and the audit log when it is created).
    type: raw
    default: '0600'
notes:
  - The module never accepts a confirmation token or an API credential, see the description.
seealso:
  - module: ovhcloud.mbm.mbm_backup_info
  - module: ovhcloud.mbm.mbm_termination_request
  - module: ovhcloud.mbm.mbm_termination_confirm
"""

EXAMPLES = r"""
- name: Write the backup manifest of a service
  ovhcloud.mbm.mbm_report:
    kind: manifest
    path: /var/lib/mbm/manifests/pcc-198-51-100-1.json
    content: "{{ backup.manifest }}"
  delegate_to: localhost

- name: Append an audit entry
  ovhcloud.mbm.mbm_report:
    kind: audit
    path: /var/lib/mbm/audit.jsonl
    entries:
      - service_name: pcc-198-51-100-1
        phase: request
        action: written
        query_id: EU.ext-1.abc
  delegate_to: localhost

- name: Write the report of the play
  ovhcloud.mbm.mbm_report:
    kind: report
    path: /var/lib/mbm/decommission-report.json
    hosts: "{{ ansible_play_hosts_all }}"
    records: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'mbm_record'))) }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
path:
  description: The file written (or that would be written).
  returned: always
  type: str
  sample: /var/lib/mbm/decommission-report.json
markdown_path:
  description: The Markdown report.
  returned: when O(kind=report)
  type: str
  sample: /var/lib/mbm/decommission-report.md
summary:
  description: Number of hosts per outcome, and the total.
  returned: when O(kind=report)
  type: dict
  sample: {"total": 3, "confirmed": 1, "skipped": 1, "held": 1}
entries:
  description: Number of audit entries appended (or that would be appended in check mode).
  returned: when O(kind=audit)
  type: int
  sample: 1
check_mode:
  description:
    - Whether the module ran in check mode. C(ansible_check_mode) only reflects C(--check), not the C(check_mode)
      keyword of a play, block or task; the P(ovhcloud.mbm.decommission#role) role appends no entry (O(kind=audit),
      O(entries=[])) to learn whether it runs as a rehearsal.
  returned: always
  type: bool
  sample: false
"""

import datetime
import fcntl
import getpass
import json
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

FORBIDDEN_KEYS = frozenset(("token", "application_secret", "consumer_key", "client_secret", "password", "secret"))
FORBIDDEN_TEXT = re.compile(r"confirmTerminate\?|[?&;]token=", re.IGNORECASE)

OUTCOME_ORDER = ("failed", "held", "not_reached", "skipped", "planned", "requested", "confirmed", "nothing_to_do", "done")


class SecretFound(Exception):
    def __init__(self, where, value):
        super().__init__(where)
        self.value = value


def find_secret(value, where="content"):
    """Raise SecretFound with the key path when value holds a forbidden key or a token-bearing string."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = "%s.%s" % (where, key)
            if str(key).lower() in FORBIDDEN_KEYS and item not in (None, "", [], {}):
                raise SecretFound(path, item)
            find_secret(item, path)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            find_secret(item, "%s[%d]" % (where, index))
    elif isinstance(value, str) and FORBIDDEN_TEXT.search(value):
        raise SecretFound(where, value)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_mode(module, mode):
    if isinstance(mode, int):
        return mode
    try:
        return int(str(mode), 8)
    except ValueError:
        module.fail_json(msg="mode must be an octal number such as '0600', got %r" % (mode,))
    return None


def ensure_dir(path):
    """Create the missing parent directories of path, each with mode 0700."""
    directory = os.path.dirname(path) or "."
    missing = []
    current = directory
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for item in reversed(missing):
        try:
            os.mkdir(item, 0o700)
        except OSError:
            if not os.path.isdir(item):
                raise
    return directory


def stripped(document, ignore_keys):
    if not isinstance(document, dict):
        return document
    return dict((k, v) for k, v in document.items() if k not in ignore_keys)


def read_json(path):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return None


def file_mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None


def atomic_write(path, data, mode):
    directory = ensure_dir(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dump(document):
    return to_bytes(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_document(module, path, document, mode, ignore_keys):
    """Write document as JSON unless the file already holds the same content (ignoring ignore_keys).

    Returns True when the file was (or would be) written or its mode fixed.
    """
    existing = read_json(path)
    same = existing is not None and stripped(existing, ignore_keys) == stripped(document, ignore_keys)
    if same:
        if file_mode(path) == mode:
            return False
        if not module.check_mode:
            os.chmod(path, mode)
        return True
    if not module.check_mode:
        atomic_write(path, dump(document), mode)
    return True


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def md_escape(value):
    if value is None or value == "":
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


NO_ACTION_OUTCOMES = ("nothing_to_do", "done")


def render_failure(failure):
    """A failure record in words: phase, task, message, then the API details when there are any."""
    if not isinstance(failure, dict):
        return md_escape(failure)
    text = "at phase %s" % (failure.get("phase") or "-")
    if failure.get("task"):
        text += " (task \"%s\")" % failure["task"]
    if failure.get("msg"):
        text += ": %s" % failure["msg"]
    api = dict((key, value) for key, value in (failure.get("api") or {}).items() if value not in (None, "", {}, []))
    if api:
        text += " [API: %s]" % ", ".join("%s %s" % (key, value) for key, value in sorted(api.items()))
    return md_escape(text)


def render_window(item):
    """The billing window line of a host: the figures of the phase that applies; no "acting now" without an action."""
    window = item.get("billing_window") or {}
    if not window.get("message"):
        return None
    if item.get("outcome") in NO_ACTION_OUTCOMES and window.get("day_of_month") is not None:
        return "(no action pending) day %s of %s (%s), %s day(s) left in this month; the window for the %s opens on day %s" % (
            window.get("day_of_month"), window.get("last_day_of_month"), window.get("timezone"), window.get("days_left_in_month"),
            window.get("action") or "action", window.get("from_day"))
    return window.get("message")


def render_markdown(report):
    lines = ["# %s" % report["title"], ""]
    run = report.get("run") or {}
    mode = "check mode (rehearsal: nothing was written to OVHcloud)" if run.get("check_mode") else "apply"
    lines.append("Generated at %s. Mode: %s." % (report["generated_at"], mode))
    summary = report["summary"]
    lines.append("Hosts: %d (%s)." % (summary["total"], ", ".join("%s: %d" % (k, summary[k]) for k in sorted(summary) if k != "total")))
    if report.get("approved_not_in_run"):
        lines.append("")
        lines.append("**Approved but not in this run** (in decommission_approved_services, but no host of the play has this service name: "
                     "a typo, or a --limit subset): %s." % ", ".join(md_escape(name) for name in report["approved_not_in_run"]))
    lines.append("")
    lines.append("| host | service | outcome | phase reached | status before | status after | backup | billing window | next / reason |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for item in report["hosts"]:
        backup = item.get("backup") or {}
        verdict = "-"
        if "passed" in backup:
            verdict = "passed" if backup.get("passed") else "FAILED (%d violations)" % len(backup.get("violations") or [])
        window = item.get("billing_window") or {}
        window_text = "-"
        if window.get("day_of_month") is not None:
            before = "" if window.get("open", True) or item.get("outcome") in NO_ACTION_OUTCOMES else " (before the window)"
            window_text = "day %s, %s days left%s" % (window.get("day_of_month"), window.get("days_left_in_month"), before)
        lines.append("| %s |" % " | ".join(md_escape(x) for x in (
            item.get("host"), item.get("service_name"), item.get("outcome"), item.get("phase_reached"),
            item.get("status_before"), item.get("status_after"), verdict, window_text,
            item.get("next_action") or item.get("reason"))))
    lines.append("")
    for item in report["hosts"]:
        lines.append("## %s" % item.get("host"))
        lines.append("")
        for label, key in (("Service", "service_name"), ("Outcome", "outcome"), ("Reason", "reason"),
                           ("Phase reached", "phase_reached"), ("Next action", "next_action"),
                           ("Approved", "approved"), ("Data export attestation", "attestation"),
                           ("Status before", "status_before"), ("Status after", "status_after")):
            if item.get(key) not in (None, ""):
                lines.append("- %s: %s" % (label, md_escape(item.get(key))))
        termination = item.get("termination") or {}
        for label, key in (("Requested at", "requested_at"), ("Token expires at", "token_expires_at"),
                           ("Deletion date", "deletion_date")):
            if termination.get(key):
                lines.append("- %s: %s" % (label, md_escape(termination.get(key))))
        window_text = render_window(item)
        if window_text:
            lines.append("- Billing window: %s" % md_escape(window_text))
        backup = item.get("backup") or {}
        if backup:
            if backup.get("manifest_path"):
                lines.append("- Backup manifest: %s" % md_escape(backup.get("manifest_path")))
            if backup.get("summary"):
                lines.append("- Backup summary: %s" % md_escape(backup.get("summary")))
            for violation in backup.get("violations") or []:
                lines.append("- Backup violation: %s" % md_escape(violation))
            for waiver in backup.get("waivers") or []:
                lines.append("- Backup waiver: %s" % md_escape(waiver))
        for write in item.get("writes") or []:
            lines.append("- Write: %s" % md_escape(write))
        for name, phase in sorted((item.get("phases") or {}).items()):
            lines.append("- Phase %s: %s" % (name, md_escape(phase)))
        for warning in item.get("warnings") or []:
            lines.append("- Warning: %s" % md_escape(warning))
        if item.get("failure"):
            lines.append("- Failure: %s" % render_failure(item.get("failure")))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def derive_outcome(record):
    """Fill in the outcome (and reason) of a record that reached the end of the role without one."""
    item = dict(record)
    phases = item.get("phases") or {}
    if not item.get("outcome"):
        if (phases.get("confirm") or {}).get("result") == "written":
            item["outcome"] = "confirmed"
        elif (phases.get("request") or {}).get("result") == "written":
            item["outcome"] = "requested"
        elif item.get("planned"):
            item["outcome"] = "planned"
            if not item.get("next_action"):
                item["next_action"] = "decommission would " + " then ".join(item["planned"])
        else:
            item["outcome"] = "nothing_to_do"
    if not item.get("reason"):
        details = [(phases.get(name) or {}).get("detail") for name in ("confirm", "request")]
        details = [detail for detail in details if detail]
        if details:
            item["reason"] = details[0]
        elif item.get("status_after"):
            item["reason"] = "the service reads %s" % item["status_after"]
    return item


def build_report(params):
    records = params["records"] or {}
    hosts = list(params["hosts"] or [])
    for name in sorted(records):
        if name not in hosts:
            hosts.append(name)
    entries = []
    summary = {"total": 0}
    for host in hosts:
        record = records.get(host)
        if not isinstance(record, dict) or not record:
            record = {"outcome": "not_reached", "reason": "the role did not run for this host (it failed or was removed from the play before)"}
        item = derive_outcome(record)
        item["host"] = host
        item.setdefault("outcome", "not_reached")
        if isinstance(item.get("billing_window"), dict) and item["billing_window"]:
            item["billing_window"] = dict(item["billing_window"], action_pending=item["outcome"] not in NO_ACTION_OUTCOMES)
        entries.append(item)
        summary[item["outcome"]] = summary.get(item["outcome"], 0) + 1
        summary["total"] += 1
    report = {
        "title": params["title"],
        "generated_at": utc_now(),
        "run": params["content"] or {},
        "summary": summary,
        "hosts": entries,
    }
    if params.get("approved_not_in_run"):
        report["approved_not_in_run"] = sorted(set(params["approved_not_in_run"]))
    return report


def controller_user():
    try:
        return getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        return None


def append_audit(path, entries, mode):
    ensure_dir(path)
    lines = []
    for entry in entries:
        item = dict(entry)
        item.setdefault("logged_at", utc_now())
        item.setdefault("controller_user", controller_user())
        lines.append(json.dumps(item, sort_keys=True, ensure_ascii=False))
    data = to_bytes("\n".join(lines) + "\n")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kind=dict(type="str", required=True, choices=["report", "manifest", "audit"]),
            path=dict(type="path", required=True),
            markdown_path=dict(type="path"),
            content=dict(type="dict"),
            hosts=dict(type="list", elements="str"),
            records=dict(type="dict"),
            entries=dict(type="list", elements="dict"),
            approved_not_in_run=dict(type="list", elements="str"),
            warnings=dict(type="list", elements="str"),
            title=dict(type="str", default="Managed Bare Metal decommission report"),
            ignore_keys=dict(type="list", elements="str", default=["evidence_time", "generated_at"], no_log=False),
            mode=dict(type="raw", default="0600"),
        ),
        required_if=[
            ("kind", "manifest", ("content",)),
            ("kind", "audit", ("entries",)),
            ("kind", "report", ("hosts",)),
        ],
        supports_check_mode=True,
    )
    params = module.params
    kind = params["kind"]
    path = params["path"]
    mode = parse_mode(module, params["mode"])
    ignore_keys = frozenset(params["ignore_keys"])

    try:
        for name in ("content", "records", "entries"):
            find_secret(params[name], name)
    except SecretFound as exc:
        # Mask the offending value wherever Ansible would echo it (module arguments in the result).
        for value in (exc.value if isinstance(exc.value, (list, tuple)) else [exc.value]):
            module.no_log_values.add(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
        module.fail_json(msg="Refusing to write %s: %s holds a secret (a token or credential); reports, manifests and the audit log "
                             "never store one" % (kind, to_native(exc)))

    for warning in params["warnings"] or []:
        module.warn(warning)
    result = dict(changed=False, path=path, check_mode=module.check_mode)
    try:
        if kind == "manifest":
            result["changed"] = write_document(module, path, params["content"], mode, ignore_keys)
        elif kind == "audit":
            result["entries"] = len(params["entries"])
            result["changed"] = bool(params["entries"])
            if params["entries"] and not module.check_mode:
                append_audit(path, params["entries"], mode)
        else:
            markdown_path = params["markdown_path"]
            if not markdown_path:
                markdown_path = path[:-5] + ".md" if path.endswith(".json") else path + ".md"
            report = build_report(params)
            if report.get("approved_not_in_run"):
                module.warn("Approved but not in this run (no host of the play has these service names; a typo, or a --limit subset): %s"
                            % ", ".join(report["approved_not_in_run"]))
            result["markdown_path"] = markdown_path
            result["summary"] = report["summary"]
            changed = write_document(module, path, report, mode, ignore_keys)
            markdown = to_bytes(render_markdown(report))
            existing_md = read_text(markdown_path)
            md_same = existing_md is not None and strip_generated(existing_md) == strip_generated(markdown)
            if not md_same or file_mode(markdown_path) != mode:
                changed = True
                if not module.check_mode:
                    if md_same:
                        os.chmod(markdown_path, mode)
                    else:
                        atomic_write(markdown_path, markdown, mode)
            result["changed"] = changed
    except (IOError, OSError) as exc:
        module.fail_json(msg="Could not write %s: %s" % (path, to_native(exc)), **result)
    module.exit_json(**result)


def strip_generated(data):
    """Markdown without its 'Generated at' line, for idempotency."""
    return b"\n".join(line for line in data.split(b"\n") if not line.startswith(b"Generated at "))


if __name__ == "__main__":
    main()
