# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What ovhcloud.mbm.mbm_report does, once, for its two callers: the module (run on the host that runs it) and its
action plugin (plugins/action/mbm_report.py, which runs it in the controller's worker when the task runs on the
controller, with no module process). Both validate the same ARGUMENT_SPEC and REQUIRED_IF, then call run().

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports the standard library, ansible's text converters, ``_files``, ``_report`` and ``_secrets``.
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import append_locked, file_mode, read_bytes, read_json, write_atomic
from ansible_collections.ovhcloud.mbm.plugins.module_utils._report import (
    audit_lines,
    build_report,
    render_json,
    render_markdown,
    strip_generated,
    stripped,
)
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import SecretFound, find_secret, iter_secrets, redact_secrets

ARGUMENT_SPEC = dict(
    kind=dict(type="str", required=True, choices=["report", "manifest", "audit", "check"]),
    path=dict(type="path"),
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
)

REQUIRED_IF = [
    ("kind", "manifest", ("path", "content")),
    ("kind", "audit", ("path", "entries")),
    ("kind", "report", ("path", "hosts")),
    ("kind", "check", ("content",)),
]


class ReportFailure(Exception):
    """run() refused or could not write: msg, and what the task still returns (result)."""

    def __init__(self, msg, result=None):
        super().__init__(msg)
        self.msg = msg
        self.result = result or {}


def secret_values(params):
    """Every secret-looking value of content, records and entries (strings; other values as sorted JSON): the values
    to mask wherever Ansible would echo them (the module's no_log values)."""
    values = set()
    for name in ("content", "records", "entries"):
        for _where, value in iter_secrets(params.get(name), name):
            for item in value if isinstance(value, (list, tuple)) else [value]:
                values.add(item if isinstance(item, str) else json.dumps(item, sort_keys=True))
    return values


def parse_mode(mode):
    if isinstance(mode, int):
        return mode
    try:
        return int(str(mode), 8)
    except ValueError:
        raise ReportFailure("mode must be an octal number such as '0600', got %r" % (mode,)) from None


def write_document(path, document, mode, ignore_keys, check_mode):
    """Write document as JSON unless the file already holds the same content (ignoring ignore_keys).

    Returns True when the file was (or would be) written or its mode fixed.
    """
    existing = read_json(path)
    same = existing is not None and stripped(existing, ignore_keys) == stripped(document, ignore_keys)
    if same:
        if file_mode(path) == mode:
            return False
        if not check_mode:
            os.chmod(path, mode)
        return True
    if not check_mode:
        write_atomic(path, render_json(document), mode)
    return True


def append_audit(path, entries, mode):
    """Append entries to the audit log under an exclusive lock (parallel forks and runs append whole lines)."""
    append_locked(path, audit_lines(entries), mode)


def check_content(params, check_mode):
    """kind=check: the result, or ReportFailure naming the key paths of content that look like secrets."""
    found = [where[len("content.") :] for where, _value in iter_secrets(params["content"], "content")]
    if found:
        raise ReportFailure(
            "%s looks like it holds a secret (a token, a signature, a password or a credential, for example in a "
            "pre-signed or authenticated link): refused, as reports and the audit log never store one. Give a "
            "reference that grants no access instead (a ticket, a path, the link without its signature or "
            "credentials), and keep the secret in a vault. Nothing was written." % ", ".join(found),
            dict(changed=False, secrets=found),
        )
    return dict(changed=False, check_mode=check_mode, secrets=[])


def write_report(params, path, mode, ignore_keys, check_mode, warn, result):
    markdown_path = params["markdown_path"]
    if not markdown_path:
        markdown_path = path[:-5] + ".md" if path.endswith(".json") else path + ".md"
    report = build_report(params)
    if report.get("approved_not_in_run"):
        warn(
            "Approved but not in this run (no host of the play has these service names; a typo, or a --limit subset): %s"
            % ", ".join(report["approved_not_in_run"])
        )
    result["markdown_path"] = markdown_path
    result["summary"] = report["summary"]
    changed = write_document(path, report, mode, ignore_keys, check_mode)
    markdown = to_bytes(render_markdown(report))
    existing_md = read_bytes(markdown_path)
    md_same = existing_md is not None and strip_generated(existing_md) == strip_generated(markdown)
    if not md_same or file_mode(markdown_path) != mode:
        changed = True
        if not check_mode:
            if md_same:
                os.chmod(markdown_path, mode)
            else:
                write_atomic(markdown_path, markdown, mode)
    return changed


def run(params, check_mode, warn):
    """Do what the validated params ask (report, manifest, audit, check); return the task result.

    warn(message) shows an Ansible warning. Raises ReportFailure (with the result to return) when the content is
    refused or a file cannot be written.
    """
    kind = params["kind"]
    path = params["path"]
    mode = parse_mode(params["mode"])
    ignore_keys = frozenset(params["ignore_keys"])

    if kind == "check":
        return check_content(params, check_mode)

    # A manifest or the run metadata of a report holding a secret is refused. A host's record (report) or an audit
    # entry holding one is redacted instead (redact_secrets), so one host's value never costs every host its report.
    try:
        find_secret(params["content"], "content")
    except SecretFound as exc:
        raise ReportFailure(
            "Refusing to write %s: %s holds a secret (a token or credential); reports, manifests and the audit log never store one" % (kind, to_native(exc))
        ) from None

    for warning in params["warnings"] or []:
        warn(warning)
    result = dict(changed=False, path=path, check_mode=check_mode)
    try:
        if kind == "manifest":
            result["changed"] = write_document(path, params["content"], mode, ignore_keys, check_mode)
        elif kind == "audit":
            result["entries"] = len(params["entries"])
            result["changed"] = bool(params["entries"])
            entries = []
            for index, entry in enumerate(params["entries"]):
                clean, redacted = redact_secrets(entry, "")
                if redacted:
                    clean["redacted"] = [where.lstrip(".") for where in redacted]
                    warn("Audit entry %d: redacted %s, which looked like a secret" % (index, ", ".join(clean["redacted"])))
                entries.append(clean)
            if entries and not check_mode:
                append_audit(path, entries, mode)
        else:
            result["changed"] = write_report(params, path, mode, ignore_keys, check_mode, warn, result)
    except (IOError, OSError) as exc:
        raise ReportFailure("Could not write %s: %s" % (path, to_native(exc)), result) from None
    return result
