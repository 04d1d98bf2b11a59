#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mbm_backup_info
short_description: Gather the backup evidence of an OVHcloud Managed Bare Metal service and check it against a policy
version_added: 0.1.0
description:
  - Reads the managed backup (Veeam) evidence of one OVHcloud Managed Bare Metal (C(dedicatedCloud)) service
    before it is terminated, evaluates a backup policy over it, and returns the verdict, the evidence and a
    manifest of what exists before deletion.
  - Confirming a termination deletes the whole service and all its data at once, and its backups most probably
    go with it. This module shows that restore points were healthy just before; it does not prove that the data
    was copied out of OVHcloud.
  - "Evidence read: per datacenter the managed backup option (state, offer, replication zone) and the datastores;
    per VM its name, power state, datastores and networks as the VM lists them, and its backup job (state, last
    result, last successful run, restore points with creation time, corruption flag, type and size, retention,
    repository); per backup repository its replication and sync status; the service's datastores."
  - "The policy: every VM that is not excluded must have an active backup job (state V(delivered), see
    O(accepted_job_states)) whose last result is V(success)
    (or V(warning) when O(allow_warning=true)), whose newest sound (not corrupted) restore point is at most
    O(max_age_hours) old, and that has at least O(min_restore_points) sound restore points; every datacenter must
    have the managed backup option enabled unless waived in O(datacenter_waivers); every replicated backup
    repository must be in sync (see O(replication_out_of_sync))."
  - Ages are measured against the OVHcloud API's clock (from C(GET /auth/time)), not the clock of the host
    running the module. The clock is read after all the evidence has been gathered.
  - A policy that does not pass is not a module failure; the module returns RV(passed=false) with the
    violations, and the caller (for example the role C(ovhcloud.mbm.decommission)) decides. Evidence that cannot
    be read (an unknown service, a refused call, an API error) is a module failure, never a pass.
  - This module only reads. It never writes the manifest; it returns its content (RV(manifest)).
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
extends_documentation_fragment:
  - ovhcloud.mbm.api
  - ovhcloud.mbm.attributes
  - ovhcloud.mbm.attributes.info_module
options:
  service_name:
    description:
      - The internal name of the Managed Bare Metal service, for example V(pcc-192-0-2-10).
    type: str
    required: true
  max_age_hours:
    description:
      - Maximum age in hours of the newest sound restore point of each VM, measured at the API's clock.
      - A restore point exactly O(max_age_hours) old still passes.
    type: int
    default: 24
  min_restore_points:
    description:
      - Minimum number of sound (not corrupted, readable creation time) restore points each VM must have.
      - V(0) removes the count check; the age check still needs one sound restore point.
    type: int
    default: 1
  allow_warning:
    description:
      - Accept a backup job whose last result is V(warning) (it is then listed in RV(policy_warnings)).
      - When V(false), only V(success) passes.
    type: bool
    default: false
  include_powered_off:
    description:
      - Check powered-off VMs too.
      - When V(false), VMs whose power state is C(poweredOff) are skipped and listed in RV(waivers). Suspended VMs
        are always checked.
    type: bool
    default: true
  exclusions:
    description:
      - VMs not to check, by name pattern. Each exclusion needs a reason, which is returned in RV(waivers) and
        recorded in the manifest together with the violations it waived.
      - An exclusion that matches no VM is reported in RV(policy_warnings) (it may be a typo).
    type: list
    elements: dict
    default: []
    suboptions:
      pattern:
        description:
          - A shell-style pattern (Python C(fnmatch.fnmatchcase)) matched against the whole VM name, for example
            V(tmp-*).
          - Case-sensitive on every platform, and not stripped (V(tmp-*) does not match C(TMP-1)). C(*) matches any
            characters (dots and slashes included), C(?) one character, C([seq]) and C([!seq]) one character in or
            not in the set; write C([[]) for a literal C([). A pattern without wildcards matches one exact name.
        type: str
        required: true
      reason:
        description:
          - Why these VMs need no backup. Must not be empty.
        type: str
        required: true
  datacenter_waivers:
    description:
      - Datacenters not to check. Use it for a datacenter without the managed backup option whose data needs no
        backup. A waived datacenter's VMs are not checked either.
      - Each waiver needs a reason, returned in RV(waivers) and recorded in the manifest with the violations it
        waived. A waiver that matches no datacenter waives nothing and is reported in RV(policy_warnings).
      - A service that lists no VM at all fails the policy (rule V(no_vms)) unless all its datacenters are waived.
    type: list
    elements: dict
    default: []
    suboptions:
      datacenter:
        description:
          - The datacenter's name, or its numeric ID written as a string (for example V('1234')).
          - Compared exactly (case-sensitive, no patterns) with the name and the ID; surrounding spaces are ignored.
        type: str
        required: true
      reason:
        description:
          - Why this datacenter needs no backup. Must not be empty.
        type: str
        required: true
  replication_out_of_sync:
    description:
      - What a replicated backup repository whose sync status is not C(ok) (C(out-of-sync), C(sync-required),
        C(unknown)) does to the verdict. A repository whose sync status is C(out-of-sync) or C(sync-required) counts
        even when its replication setting says it is not replicated.
      - V(fail) makes it a violation, V(warn) lists it in RV(policy_warnings) only.
    type: str
    choices: [fail, warn]
    default: fail
  accepted_job_states:
    description:
      - The states of a VM's backup job (C(dedicatedCloud.Vm.backup.state), the API's
        C(dedicatedCloud.backup.StateEnum)) that pass the V(no_backup) rule.
      - An active job reads V(delivered); this enum has no C(enabled) (only the datacenter's managed backup option,
        C(dedicatedCloud.BackupStateEnum), reads C(enabled), and that check does not change).
      - "Every other state fails, with its meaning in the violation's detail: V(enabling), V(toEnable), V(toCreate),
        V(pending) (not yet active); V(disabled), V(disabling), V(toDisable), V(removed), V(deleting), V(toDelete)
        (no backup); V(error), V(unknown) (unreadable); V(migrating) (in transition); V(stopping), V(toStop)
        (being stopped). A missing or null state, or a value the enum does not have, always fails."
      - Accepting more than V(delivered) adds a policy warning (rule V(accepted_job_states)) that names the extra
        states and the VMs that passed in them; the list is recorded in RV(manifest.policy).
    type: list
    elements: str
    choices: [deleting, delivered, disabled, disabling, enabling, error, migrating, pending, removed, stopping,
              toCreate, toDelete, toDisable, toEnable, toStop, unknown]
    default: [delivered]
  list_expansion:
    description:
      - How lists of datacenters, VMs, datastores and repositories are read.
      - "V(auto) asks the API for whole objects in one paged call per list (header C(X-Pagination-Mode), with
        C(Pragma: no-cache) so that the API does not answer from a cached list), so the number
        of calls grows with the number of datacenters, not VMs; when the API does not give whole objects the module
        falls back to one call per object by itself."
      - V(never) always reads the list of IDs, then one call per object, with at most O(api_concurrency) calls in
        flight.
      - The evidence and the verdict are the same in both modes.
      - A list in which an object appears twice (for example an API that repeats the first page) is read again one
        object at a time; if the IDs still repeat, the module fails rather than miss a VM.
    type: str
    choices: [auto, never]
    default: auto
  api_concurrency:
    description:
      - Maximum number of API calls in flight when objects are read one by one. Between V(1) and V(32).
      - The client-side rate limit (O(api_rate_limit)) and the retry policy apply to every call.
    type: int
    default: 4
notes:
  - "Rules (stable names, in RV(violations[].rule)): V(datacenter_backup_disabled) (the datacenter's managed backup
    option is missing or not C(enabled)), V(no_backup) (the VM has no backup job or the job's state is not in O(accepted_job_states)),
    V(last_result) (the last run did not end in V(success), or V(warning) when allowed), V(no_restore_point) (no
    sound restore point), V(stale_restore_point) (the newest sound restore point is older than O(max_age_hours)),
    V(too_few_restore_points) (fewer sound restore points than O(min_restore_points)), V(replication_out_of_sync),
    V(no_vms) (the service lists no VM and not all its datacenters are waived: an empty listing is not proof that
    nothing will be lost), V(no_datacenter) (the service lists no datacenter, so the evidence cannot be complete)."
  - "Warnings (RV(policy_warnings[].rule)) never fail the policy: V(corrupted_restore_points), V(unreadable_restore_point),
    V(last_result) (a warning result allowed by O(allow_warning)), V(replication_out_of_sync) (with
    O(replication_out_of_sync=warn)), V(unknown_repository), V(unused_exclusion), V(unused_datacenter_waiver),
    V(future_restore_point) (a restore point dated more than 10 minutes after the API's clock, not counted),
    V(no_vm_evaluated) (every VM was excluded or skipped), V(no_vms) (no VM, every datacenter waived),
    V(accepted_job_states) (O(accepted_job_states) accepts more than V(delivered))."
  - A restore point counts as sound only when the API says it is not corrupted (C(isCorrupted) is V(false)) and its
    creation time can be read (an ISO 8601 text; a number is not read as a date) and is not in the future. Only
    restore points count for the age; C(lastSuccessfulCreationTime) is recorded, not trusted.
    A failed last run fails the policy even when older restore points are fresh, and so
    does a run in progress (V(running)); check again when it has ended.
  - "Manifest and idempotent files: RV(manifest) is deterministic except RV(manifest.evidence_time).
    RV(manifest.fingerprint) is a SHA-256 of everything else (evidence, policy, verdict). To keep a manifest file
    unchanged while the evidence is unchanged, compare the fingerprint of the file already written with the new
    one and write only when they differ; the file then keeps the time its evidence was first seen."
  - The verdict depends on the time (a restore point grows older), so the fingerprint changes when the verdict or
    its details change even if the API returns the same objects. The order in which the API lists objects (VMs,
    restore points, datastores, networks, repositories) does not change it.
  - The manifest holds only the fields listed in RV(evidence) (picked by name from the API objects; the VM's datastores
    and networks as the VM lists them), the policy and the verdict; no credential, token or e-mail.
  - "Calls: with O(list_expansion=auto) and an API that gives whole objects, 8 + 5 x (number of datacenters) calls
    (C(GET /auth/time) included, and the plain ID list of each list, against which the whole objects are checked),
    whatever the number of VMs. With O(list_expansion=never), 5 + 3 x (number of datacenters) calls plus one per
    datacenter, VM, datastore and backup repository; with O(list_expansion=auto) and an API that does not expand
    lists, 8 + 5 x (number of datacenters) plus one per object. See RV(api_calls) and the collection's
    C(docs/performance.md)."
seealso:
  - module: ovhcloud.mbm.mbm_info
  - module: ovhcloud.mbm.mbm_termination_request
"""

EXAMPLES = r"""
- name: Check the backups of a service with the default policy
  ovhcloud.mbm.mbm_backup_info:
    service_name: pcc-192-0-2-10
  delegate_to: localhost
  register: backups

- name: Stop when the policy does not pass
  ansible.builtin.assert:
    that: backups.passed
    fail_msg: "{{ backups.violations | map(attribute='detail') | list }}"

- name: A stricter policy with documented exceptions
  ovhcloud.mbm.mbm_backup_info:
    service_name: pcc-192-0-2-10
    max_age_hours: 12
    min_restore_points: 3
    include_powered_off: false
    exclusions:
      - pattern: "tmp-*"
        reason: Build agents, rebuilt from code
    datacenter_waivers:
      - datacenter: "1234"
        reason: Lab datacenter without the backup option, nothing to keep (ticket CHG-1042)
    replication_out_of_sync: warn
  delegate_to: localhost
  register: backups

- name: Show the verdict
  ansible.builtin.debug:
    msg: "{{ backups.summary }}"
"""

RETURN = r"""
passed:
  description:
    - Whether the backup policy passed (no violation). V(false) is not a module failure.
  returned: success
  type: bool
  sample: false
violations:
  description:
    - Every broken rule, sorted by datacenter and VM. Empty when RV(passed) is V(true).
  returned: success
  type: list
  elements: dict
  contains:
    datacenter:
      description: The datacenter's name, or V(null) for a service-wide finding (repositories).
      type: str
      returned: always
      sample: datacenter1
    datacenter_id:
      description: The datacenter's ID, or V(null).
      type: int
      returned: always
      sample: 1
    vm:
      description: The VM's name, or V(null) for a datacenter or repository finding.
      type: str
      returned: always
      sample: web-1
    vm_id:
      description: The VM's ID, or V(null).
      type: int
      returned: always
      sample: 1001
    rule:
      description: The rule's stable name (see the notes).
      type: str
      returned: always
      sample: stale_restore_point
    detail:
      description: What was found, in one sentence.
      type: str
      returned: always
      sample: "The newest sound restore point was created at 2026-11-24T22:00:00Z, more than 24 h (max_age_hours) before the evidence time."
policy_warnings:
  description:
    - Findings that do not fail the policy, with the same keys as RV(violations).
    - Not named C(warnings), which Ansible reserves for its own warning messages; when there are policy warnings
      the module also emits one Ansible warning that points here.
  returned: success
  type: list
  elements: dict
  contains:
    datacenter:
      description: The datacenter's name, or V(null) for a service-wide finding.
      type: str
      returned: always
      sample: datacenter1
    datacenter_id:
      description: The datacenter's ID, or V(null).
      type: int
      returned: always
      sample: 1
    vm:
      description: The VM's name, or V(null).
      type: str
      returned: always
      sample: web-1
    vm_id:
      description: The VM's ID, or V(null).
      type: int
      returned: always
      sample: 1001
    rule:
      description: The rule's stable name (see the notes).
      type: str
      returned: always
      sample: corrupted_restore_points
    detail:
      description: What was found, in one sentence.
      type: str
      returned: always
      sample: "1 restore point(s) corrupted or of unknown integrity, not counted: 100101."
waivers:
  description:
    - The exclusions, powered-off skips and datacenter waivers that were applied, each with its reason and the
      violations it waived.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: V(exclusion), V(powered_off) or V(datacenter_waiver).
      type: str
      returned: always
      sample: exclusion
    datacenter:
      description: The datacenter's name.
      type: str
      returned: always
    datacenter_id:
      description: The datacenter's ID.
      type: int
      returned: always
    vm:
      description: The VM's name (V(null) for a datacenter waiver).
      type: str
      returned: always
    vm_id:
      description: The VM's ID (V(null) for a datacenter waiver).
      type: int
      returned: always
    match:
      description: The exclusion pattern or the datacenter as given in O(datacenter_waivers), or V(poweredOff).
      type: str
      returned: always
      sample: tmp-*
    reason:
      description: The reason given with the exclusion or waiver.
      type: str
      returned: always
      sample: Build agents, rebuilt from code
    vms:
      description: Number of VMs the datacenter waiver covered.
      type: int
      returned: for datacenter waivers
    waived_violations:
      description: The violations that would have been reported without this waiver (C(rule), C(detail), and C(vm)
        for datacenter waivers).
      type: list
      elements: dict
      returned: always
summary:
  description: Counts.
  returned: success
  type: dict
  sample:
    datacenters: 2
    datacenters_waived: 0
    datacenters_without_backup: 0
    vms: 12
    vms_evaluated: 11
    vms_passed: 10
    vms_failed: 1
    vms_excluded: 1
    vms_skipped_powered_off: 0
    vms_waived_with_datacenter: 0
    restore_points: 84
    restore_points_corrupted: 1
    repositories: 1
    repositories_out_of_sync: 0
    violations: 1
    warnings: 1
    waivers: 1
evidence:
  description:
    - The facts read from the API, normalized (snake_case keys, dates in ISO 8601 UTC) and sorted (datacenters by
      ID, VMs and datastores by name, restore points newest first), so that the same API state gives the same
      evidence whatever O(list_expansion) is.
  returned: success
  type: dict
  contains:
    service:
      description: The service (C(service_name), C(product_reference), C(state), C(location), C(description),
        C(version), C(management_interface)).
      type: dict
      returned: always
    datacenters:
      description:
        - The datacenters, each with C(datacenter_id), C(name), C(commercial_name), C(backup) (the managed backup
          option C(state), C(backup_offer), C(replication_zone); V(null) when the API has none), C(filers) (the
          datastores C(filer_id), C(name), C(size), C(space_used), C(vm_total), C(state)) and C(vms).
        - Each VM has C(vm_id), C(name), C(mo_ref), C(power_state), C(filers) and C(networks) (as the VM lists
          them) and C(backup) (V(null) without a backup job, else C(state), C(last_result),
          C(last_successful_creation_time), C(last_creation_time), C(retention_time), C(backup_days),
          C(offer_type), C(backup_repository_id) and C(restore_points), each with C(restore_point_id),
          C(creation_time), C(is_corrupted), C(type) and C(size)).
      type: list
      elements: dict
      returned: always
    filers:
      description: The service-level datastores (same keys as the datacenters' C(filers)).
      type: list
      elements: dict
      returned: always
    repositories:
      description: The backup repositories (C(repository_id), C(repository_name), C(replication), C(sync_status),
        C(last_successful_replication_date)).
      type: list
      elements: dict
      returned: always
evidence_time:
  description:
    - The API's clock when the evidence had been read, in ISO 8601 UTC. Ages are measured against it.
  returned: success
  type: str
  sample: "2026-11-26T10:15:00Z"
manifest:
  description:
    - The record of what exists before deletion, for the caller to write (the module writes nothing).
    - Deterministic content; only RV(manifest.evidence_time) changes from one run to the next when nothing else did.
  returned: success
  type: dict
  contains:
    kind:
      description: Always V(ovhcloud.mbm.backup_manifest).
      type: str
      returned: always
    version:
      description: The manifest format version.
      type: int
      returned: always
      sample: 1
    service_name:
      description: The service.
      type: str
      returned: always
    evidence_time:
      description: Same as RV(evidence_time). Excluded from RV(manifest.fingerprint).
      type: str
      returned: always
    fingerprint:
      description:
        - C(sha256:) followed by the SHA-256 of the canonical JSON (sorted keys, no spaces) of the manifest
          without C(evidence_time) and C(fingerprint). Equal fingerprints mean equal evidence, policy and verdict.
      type: str
      returned: always
      sample: "sha256:9f2c0e1b7d3a4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
    service:
      description: Same as RV(evidence.service).
      type: dict
      returned: always
    policy:
      description: The policy options that decided the verdict, exclusions and waivers with their reasons.
      type: dict
      returned: always
    verdict:
      description: C(passed), C(summary), C(violations), C(warnings) (RV(policy_warnings)) and C(waivers), as returned at the top level.
      type: dict
      returned: always
    datacenters:
      description: Same as RV(evidence.datacenters).
      type: list
      elements: dict
      returned: always
    filers:
      description: Same as RV(evidence.filers).
      type: list
      elements: dict
      returned: always
    repositories:
      description: Same as RV(evidence.repositories).
      type: list
      elements: dict
      returned: always
api_calls:
  description: The HTTP requests sent to the API.
  returned: always
  type: dict
  contains:
    total:
      description: Number of requests, retries included.
      type: int
      returned: always
      sample: 9
    by_route:
      description: Number of requests per C(METHOD route template).
      type: dict
      returned: always
      sample:
        GET /auth/time: 1
        GET /dedicatedCloud/{serviceName}: 1
        GET /dedicatedCloud/{serviceName}/datacenter: 1
        GET /dedicatedCloud/{serviceName}/datacenter/{datacenterId}/vm: 1
    retries:
      description: Number of retried requests.
      type: int
      returned: always
    retry_wait_seconds:
      description: Seconds spent waiting between retries.
      type: float
      returned: always
    rate_limit_wait_seconds:
      description: Seconds spent waiting for the client-side rate limit.
      type: float
      returned: always
failure:
  description: What the API answered, when the module failed on an API error. Never holds a credential.
  returned: failure
  type: dict
  contains:
    status:
      description: The HTTP status, or V(null) for transport and configuration errors.
      type: int
      returned: always
      sample: 404
    error_code:
      description: The API's C(errorCode) (or the IAM C(class)), or the client's own code.
      type: str
      returned: always
      sample: ResourceNotFoundError
    message:
      description: The API's message.
      type: str
      returned: always
    query_id:
      description: The C(X-Ovh-QueryID) of the failed call, to quote to OVHcloud support.
      type: str
      returned: always
      sample: EU.ext-3.6a9b1c2d.12345.0123456789abcdef
    method:
      description: The HTTP method.
      type: str
      returned: always
      sample: GET
    path:
      description: The path that failed.
      type: str
      returned: always
      sample: /dedicatedCloud/pcc-192-0-2-10
"""

from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup import PolicyError, normalize_policy, run, verdict_message
from ansible_collections.ovhcloud.mbm.plugins.module_utils._backup_states import DEFAULT_ACCEPTED_JOB_STATES, VM_JOB_STATES
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._module import MbmModule

MAX_CONCURRENCY = 32


def argument_spec():
    return dict(
        service_name=dict(type="str", required=True),
        max_age_hours=dict(type="int", default=24),
        min_restore_points=dict(type="int", default=1),
        allow_warning=dict(type="bool", default=False),
        include_powered_off=dict(type="bool", default=True),
        exclusions=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                pattern=dict(type="str", required=True),
                reason=dict(type="str", required=True),
            ),
        ),
        datacenter_waivers=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                datacenter=dict(type="str", required=True),
                reason=dict(type="str", required=True),
            ),
        ),
        replication_out_of_sync=dict(type="str", default="fail", choices=["fail", "warn"]),
        accepted_job_states=dict(type="list", elements="str", default=list(DEFAULT_ACCEPTED_JOB_STATES), choices=list(VM_JOB_STATES)),
        list_expansion=dict(type="str", default="auto", choices=["auto", "never"]),
        api_concurrency=dict(type="int", default=4),
    )


def main():
    mbm = MbmModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = mbm.params
    service_name = params["service_name"]
    concurrency = params["api_concurrency"]
    if concurrency < 1 or concurrency > MAX_CONCURRENCY:
        mbm.fail("api_concurrency must be between 1 and %d, got %d." % (MAX_CONCURRENCY, concurrency), changed=False, passed=False)
    try:
        policy = normalize_policy(params)
    except PolicyError as exc:
        mbm.fail("Invalid backup policy: %s" % exc, changed=False, passed=False)
        return

    client = mbm.client
    try:
        result = run(client, service_name, policy, expansion=params["list_expansion"] != "never", concurrency=concurrency)
    except OvhApiError as exc:
        mbm.fail("Cannot read the backup evidence of %s, so the policy cannot pass: %s" % (service_name, exc), exc, changed=False, passed=False)
        return
    if result["policy_warnings"]:
        mbm.module.warn("Backup policy of %s: %d finding(s) that do not fail the policy; see policy_warnings." % (service_name, len(result["policy_warnings"])))
    mbm.exit(changed=False, msg=verdict_message(service_name, result), **result)


if __name__ == "__main__":
    main()
