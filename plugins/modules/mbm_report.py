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
  - O(kind=check) writes nothing; it fails when O(content) looks like it holds a secret, naming the key path (never the
    value). The P(ovhcloud.mbm.decommission#role) role checks its data-export attestation this way, before any write,
    with the detector that guards the report.
  - "Secrets never reach a file. A value looks like a secret when its key is C(token), C(application_secret),
    C(consumer_key), C(client_secret), C(password) or C(secret), or when it is a string holding a termination
    confirmation link, a query parameter that carries a token, a signature, a credential, a secret, a password or a
    key (for example C(token=), C(access_token=), C(X-Amz-Signature=), C(X-Goog-Signature=), C(sig=)), a password in a
    link (C(scheme://user:password@host)), or a password written out (C(password: ...))."
  - "A manifest (O(kind=manifest)) or report metadata (O(content) of O(kind=report)) that holds one is refused: the
    module fails, naming the key path, never the value. In a host's record (O(records)) or an audit entry
    (O(entries)) the value is replaced by C([redacted: looked like a secret]) and the record or entry is marked
    (C(redacted), the list of key paths, and a warning), so that one host's value never costs every host its report."
  - When the task runs on the controller (a local connection, for example delegated to C(localhost), without
    C(become) or C(async)), the action plugin of the same name does this work in the controller's worker process,
    without starting a module process, with the same options, checks, files and result. Anywhere else the module
    runs on the target as usual.
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details:
      - On a local connection without C(become) or C(async) the work is done by the action plugin, on the controller.
  async:
    support: full
    details:
      - With C(async) the module runs on the target.
  bypass_host_loop:
    support: none
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
      - O(kind=report) and O(kind=manifest) are idempotent. O(kind=audit) appends every time it runs. O(kind=check)
        never changes anything.
  platform:
    platforms: posix
options:
  kind:
    description:
      - What to write, or V(check) to only check O(content) for secrets.
    type: str
    required: true
    choices: [report, manifest, audit, check]
  path:
    description:
      - The file to write. For O(kind=report), the JSON report; for O(kind=manifest), the manifest; for O(kind=audit),
        the audit log (JSON lines).
      - Missing parent directories are created with mode C(0700).
      - Required unless O(kind=check).
    type: path
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
      - For O(kind=check), the values to check (required).
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
      - For example the P(ovhcloud.mbm.decommission#role) role warns this way, at its approval check, about approved
        names that match no host (with O(kind=audit), an empty O(entries) list and check mode, so nothing is written).
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

- name: Refuse an attestation that looks like it holds a secret (a pre-signed link), before any write
  ovhcloud.mbm.mbm_report:
    kind: check
    content:
      decommission_data_exported: "{{ decommission_data_exported }}"
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The file written (or that would be written).
  returned: unless O(kind=check)
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
      keyword of a play, block or task; the P(ovhcloud.mbm.decommission#role) role learns whether it runs as a
      rehearsal from a task that check mode skips (its C(tasks/check_mode_probe.yml)), not from this module.
  returned: always
  type: bool
  sample: false
secrets:
  description:
    - For O(kind=check), the key paths in O(content) whose values look like secrets (empty when none; the module then
      fails). Never the values.
  returned: when O(kind=check)
  type: list
  elements: str
  sample: [decommission_data_exported]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ovhcloud.mbm.plugins.module_utils._report_run import ARGUMENT_SPEC, REQUIRED_IF, ReportFailure, run, secret_values


def main():
    # On the controller (delegate_to: localhost, no become), the action plugin of the same name (plugins/action/
    # mbm_report.py) does this same work in the worker, without starting this module; elsewhere this module runs.
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    # Mask every secret-looking value wherever Ansible would echo it (module arguments in the result).
    module.no_log_values.update(secret_values(module.params))
    try:
        result = run(module.params, module.check_mode, module.warn)
    except ReportFailure as exc:
        module.fail_json(msg=exc.msg, **exc.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
