# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pure parts of ovhcloud.mbm.mbm_report: the secret check, the report (outcome of each host, summary), its
Markdown and JSON renderings, and the lines of the audit log. No file is read or written here.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports the standard library, ansible's text converters and ``_files`` (only the JSON form of written documents).
"""

from __future__ import annotations

import datetime
import getpass
import json

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import json_bytes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import redact_secrets

OUTCOME_ORDER = ("failed", "held", "awaiting_token", "not_reached", "skipped", "planned", "requested", "confirmed", "nothing_to_do", "done")


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def stripped(document, ignore_keys):
    if not isinstance(document, dict):
        return document
    return dict((k, v) for k, v in document.items() if k not in ignore_keys)


def render_json(document):
    """The bytes of a JSON report or manifest as written (indented, keys sorted, UTF-8, newline at the end)."""
    return json_bytes(document)


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
            window.get("day_of_month"),
            window.get("last_day_of_month"),
            window.get("timezone"),
            window.get("days_left_in_month"),
            window.get("action") or "action",
            window.get("from_day"),
        )
    return window.get("message")


def render_recipient(recipient):
    """Where the termination e-mail of a host goes (termination.email_recipient), in words; None when unknown."""
    if not isinstance(recipient, dict) or not (recipient.get("admin_contact") or recipient.get("account")):
        return None
    visible = recipient.get("visible")
    if visible is True:
        seen = "the account's own e-mails: the role reads the token"
    elif visible is False:
        seen = "another NIC: its token must be given by hand (decommission_token)"
    else:
        seen = "unknown (not readable), treated as another NIC: its token must be given by hand (decommission_token)"
    return "%s (admin contact; account %s): %s" % (recipient.get("admin_contact") or "unknown", recipient.get("account") or "unknown", seen)


def render_retry(retry):
    """A confirmation that was the one retry after an unknown outcome, in words; None when it was not."""
    if not isinstance(retry, dict):
        return None
    return "yes, the one retry after the unknown outcome of the confirmation sent at %s (first query id %s, e-mail %s)" % (
        retry.get("first_sent_at") or "-",
        retry.get("first_query_id") or "-",
        retry.get("email_id") if retry.get("email_id") is not None else "-",
    )


def render_markdown(report):
    lines = ["# %s" % report["title"], ""]
    run = report.get("run") or {}
    mode = "check mode (rehearsal: nothing was written to OVHcloud)" if run.get("check_mode") else "apply"
    lines.append("Generated at %s. Mode: %s." % (report["generated_at"], mode))
    summary = report["summary"]
    lines.append("Hosts: %d (%s)." % (summary["total"], ", ".join("%s: %d" % (k, summary[k]) for k in sorted(summary) if k != "total")))
    if report.get("approved_not_in_run"):
        lines.append("")
        lines.append(
            "**Approved but not in this run** (in decommission_approved_services, but no host of the play has this service name: "
            "a typo, or a --limit subset): %s." % ", ".join(md_escape(name) for name in report["approved_not_in_run"])
        )
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
        lines.append(
            "| %s |"
            % " | ".join(
                md_escape(x)
                for x in (
                    item.get("host"),
                    item.get("service_name"),
                    item.get("outcome"),
                    item.get("phase_reached"),
                    item.get("status_before"),
                    item.get("status_after"),
                    verdict,
                    window_text,
                    item.get("next_action") or item.get("reason"),
                )
            )
        )
    lines.append("")
    for item in report["hosts"]:
        lines.append("## %s" % item.get("host"))
        lines.append("")
        for label, key in (
            ("Service", "service_name"),
            ("Outcome", "outcome"),
            ("Reason", "reason"),
            ("Phase reached", "phase_reached"),
            ("Next action", "next_action"),
            ("Approved", "approved"),
            ("Data export attestation", "attestation"),
            ("Status before", "status_before"),
            ("Status after", "status_after"),
        ):
            if item.get(key) not in (None, ""):
                lines.append("- %s: %s" % (label, md_escape(item.get(key))))
        termination = item.get("termination") or {}
        recipient = render_recipient(item.get("email_recipient") or termination.get("email_recipient"))
        if recipient:
            lines.append("- Termination e-mail goes to: %s" % md_escape(recipient))
        awaiting = item.get("awaiting_token")
        if isinstance(awaiting, dict):
            lines.append(
                "- Awaiting token: set %s for host %s (the token is in the termination e-mail sent to %s)"
                % (md_escape(awaiting.get("variable")), md_escape(awaiting.get("host") or item.get("host")), md_escape(awaiting.get("admin_contact")))
            )
        retry = render_retry(item.get("retry_after_unknown"))
        if retry:
            lines.append("- Retry after an unknown outcome: %s" % md_escape(retry))
        for label, key in (("Requested at", "requested_at"), ("Token expires at", "token_expires_at"), ("Deletion date", "deletion_date")):
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


def build_report(params, generated_at=None):
    """The report document: every host of params["hosts"] (then any other host with a record), with its outcome.

    generated_at defaults to now (UTC).
    """
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
        # One host's secret-looking value never costs the others their report: it is redacted and the host marked.
        record, redacted = redact_secrets(record, "")
        item = derive_outcome(record)
        if redacted:
            paths = [path.lstrip(".") for path in redacted]
            item["redacted"] = paths
            item["warnings"] = list(item.get("warnings") or []) + [
                "redacted from this record, as it looked like a secret (a token, a signature, a password or a credential): %s" % ", ".join(paths)
            ]
        item["host"] = host
        item.setdefault("outcome", "not_reached")
        if isinstance(item.get("billing_window"), dict) and item["billing_window"]:
            item["billing_window"] = dict(item["billing_window"], action_pending=item["outcome"] not in NO_ACTION_OUTCOMES)
        entries.append(item)
        summary[item["outcome"]] = summary.get(item["outcome"], 0) + 1
        summary["total"] += 1
    report = {
        "title": params["title"],
        "generated_at": generated_at or utc_now(),
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


def audit_lines(entries):
    """The bytes appended to the audit log for entries: one JSON object per line, each stamped with logged_at and
    controller_user unless it has them."""
    lines = []
    for entry in entries:
        item = dict(entry)
        item.setdefault("logged_at", utc_now())
        item.setdefault("controller_user", controller_user())
        lines.append(json.dumps(item, sort_keys=True, ensure_ascii=False))
    return to_bytes("\n".join(lines) + "\n")


def strip_generated(data):
    """Markdown without its 'Generated at' line, for idempotency."""
    return b"\n".join(line for line in data.split(b"\n") if not line.startswith(b"Generated at "))
