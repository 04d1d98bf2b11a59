# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backup evidence of a Managed Bare Metal service: reading it through the client, and normalizing API objects
into the evidence dict (deterministic order), with the API date helpers the policy also uses.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports the standard library, ``_routes`` and ``_errors``. gather_evidence() is the only function that reads
the API (through an OvhClient passed in); everything else is a pure function over data.
"""

from __future__ import annotations

import copy
import json

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._shared import shared_service_reads
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import format_time_checked, normalize_text_time, parse_text_time

# Route templates (docs/architecture.md); the client counts calls by these.
ROUTE_SERVICE = routes.SERVICE
ROUTE_DATACENTERS = routes.DATACENTERS
ROUTE_DATACENTER = routes.DATACENTER
ROUTE_DATACENTER_BACKUP = routes.DATACENTER_BACKUP
ROUTE_VMS = routes.VMS
ROUTE_VM = routes.VM
ROUTE_DC_FILERS = routes.DC_FILERS
ROUTE_DC_FILER = routes.DC_FILER
ROUTE_FILERS = routes.FILERS
ROUTE_FILER = routes.FILER
ROUTE_REPOSITORIES = routes.REPOSITORIES
ROUTE_REPOSITORY = routes.REPOSITORY
# Page size asked for in whole-object list mode (X-Pagination-Size).
LIST_PAGE_SIZE = 500


# Backup evidence dates: text only, checked offsets (docs/architecture.md, _time.py says how they differ from
# the termination side's parse_api_time).
parse_time = parse_text_time
format_time = format_time_checked
normalize_time = normalize_text_time


def canonical_json(data):
    """The one serialization used for fingerprints (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ----------------------------------------------------------------------------------------------------------
# Evidence normalization (API objects -> evidence dict, deterministic order)
# ----------------------------------------------------------------------------------------------------------


def _int_or_raw(value):
    if isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def sort_key_id(value):
    """Sort key that orders ints numerically and anything else after them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _canonical_list(value):
    """A list whose order carries no meaning for the record, in a fixed order (by canonical JSON), so that the
    evidence and the manifest fingerprint do not depend on the order in which the API lists it."""
    if not isinstance(value, list):
        return copy.deepcopy(value)
    return sorted((copy.deepcopy(item) for item in value), key=canonical_json)


def normalize_service(service_name, raw):
    raw = raw or {}
    return {
        "service_name": service_name,
        "product_reference": raw.get("productReference"),
        "state": raw.get("state"),
        "location": raw.get("location"),
        "description": raw.get("description"),
        "version": copy.deepcopy(raw.get("version")),
        "management_interface": raw.get("managementInterface"),
    }


def normalize_restore_point(raw):
    return {
        "restore_point_id": _int_or_raw(raw.get("restorePointId")),
        "creation_time": normalize_time(raw.get("creationTime")),
        "is_corrupted": raw.get("isCorrupted"),
        "type": raw.get("type"),
        "size": copy.deepcopy(raw.get("size")),
    }


def _restore_point_sort_key(point):
    epoch = parse_time(point.get("creation_time"))
    # newest first; unreadable dates last; ties broken by id
    return (0 if epoch is not None else 1, -(epoch or 0), sort_key_id(point.get("restore_point_id")))


def normalize_vm_backup(raw):
    """The VM's `backup` object; None when the VM has no backup job at all."""
    if not raw or not isinstance(raw, dict):
        return None
    points = [normalize_restore_point(p) for p in (raw.get("restorePoints") or []) if isinstance(p, dict)]
    points.sort(key=_restore_point_sort_key)
    return {
        "state": raw.get("state"),
        "last_result": raw.get("lastResult"),
        "last_successful_creation_time": normalize_time(raw.get("lastSuccessfulCreationTime")),
        "last_creation_time": normalize_time(raw.get("lastCreationTime")),
        "retention_time": copy.deepcopy(raw.get("retentionTime")),
        "backup_days": _canonical_list(raw.get("backupDays")),
        "offer_type": raw.get("offerType"),
        "backup_repository_id": _int_or_raw(raw.get("backupRepositoryId")),
        "restore_points": points,
    }


def normalize_vm(raw):
    return {
        "vm_id": _int_or_raw(raw.get("vmId")),
        "name": raw.get("name"),
        "mo_ref": raw.get("moRef"),
        "power_state": raw.get("powerState"),
        "filers": _canonical_list(raw.get("filers") or []),
        "networks": _canonical_list(raw.get("networks") or []),
        "backup": normalize_vm_backup(raw.get("backup")),
    }


def normalize_filer(raw):
    return {
        "filer_id": _int_or_raw(raw.get("filerId")),
        "name": raw.get("name"),
        "size": copy.deepcopy(raw.get("size")),
        "space_used": copy.deepcopy(raw.get("spaceUsed")),
        "vm_total": raw.get("vmTotal"),
        "state": raw.get("state"),
    }


def normalize_datacenter_backup(raw):
    """The datacenter's managed backup option; None when the API says it does not exist (404)."""
    if raw is None:
        return None
    return {
        "state": raw.get("state"),
        "backup_offer": raw.get("backupOffer"),
        "replication_zone": raw.get("replicationZone"),
    }


def normalize_repository(raw):
    return {
        "repository_id": _int_or_raw(raw.get("repositoryId", raw.get("backupRepositoryId"))),
        "repository_name": raw.get("repositoryName"),
        "replication": copy.deepcopy(raw.get("replication")),
        "sync_status": raw.get("syncStatus"),
        "last_successful_replication_date": normalize_time(raw.get("lastSuccessfulReplicationDate")),
    }


def _vm_sort_key(vm):
    return (str(vm.get("name") or ""), sort_key_id(vm.get("vm_id")))


def _filer_sort_key(filer):
    return (str(filer.get("name") or ""), sort_key_id(filer.get("filer_id")))


def normalize_datacenter(raw, backup, vms, filers):
    """One datacenter with its backup option (raw or None), VMs and filers (raw API objects)."""
    return {
        "datacenter_id": _int_or_raw(raw.get("datacenterId")),
        "name": raw.get("name"),
        "commercial_name": raw.get("commercialName"),
        "backup": normalize_datacenter_backup(backup),
        "vms": sorted((normalize_vm(v) for v in vms), key=_vm_sort_key),
        "filers": sorted((normalize_filer(f) for f in filers), key=_filer_sort_key),
    }


def build_evidence(service_name, service, datacenters, filers, repositories):
    """Assemble the evidence dict.

    `service` is the raw service object, `datacenters` a list of already normalized datacenters
    (normalize_datacenter), `filers` and `repositories` raw API objects.
    """
    return {
        "service": normalize_service(service_name, service),
        "datacenters": sorted(datacenters, key=lambda d: sort_key_id(d.get("datacenter_id"))),
        "filers": sorted((normalize_filer(f) for f in filers), key=_filer_sort_key),
        "repositories": sorted((normalize_repository(r) for r in repositories), key=lambda r: sort_key_id(r.get("repository_id"))),
    }


# ----------------------------------------------------------------------------------------------------------
# Gathering (the only part that uses the client)
# ----------------------------------------------------------------------------------------------------------


def _checked(client, list_template, item_template, item_key, expansion=True, concurrency=4, **path_params):
    """Whole objects of a list route, checked for completeness by the client (OvhClient.list_objects_checked)."""
    return client.list_objects_checked(
        list_template, item_template, item_key, concurrency=concurrency, expand=expansion, page_size=LIST_PAGE_SIZE, **path_params
    )


def gather_evidence(client, service_name, expansion=True, concurrency=4):
    """Read every fact the policy and the manifest need, and return the evidence dict.

    Raises the client's error on any failed read (fail closed), except a 404 on a datacenter's backup
    option, which is evidence ("no managed backup option") that the policy then rejects unless waived.
    """
    kw = {"expansion": expansion, "concurrency": concurrency}
    # The service object another module run of this run (run_id) read less than a minute ago serves (the preflight's).
    shared = shared_service_reads(client, service_name)
    service = shared["dedicated_cloud"] if shared is not None else client.get(ROUTE_SERVICE, serviceName=service_name)
    raw_datacenters = _checked(client, ROUTE_DATACENTERS, ROUTE_DATACENTER, "datacenterId", serviceName=service_name, **kw)
    datacenters = []
    for raw_dc in raw_datacenters:
        dc_id = raw_dc.get("datacenterId")
        if dc_id is None:
            raise OvhApiError(
                "The API returned a datacenter without datacenterId; the evidence cannot be read",
                error_code="INVALID_RESPONSE",
                method="GET",
                path=ROUTE_DATACENTERS,
                route=ROUTE_DATACENTERS,
            )
        try:
            backup = client.get(ROUTE_DATACENTER_BACKUP, serviceName=service_name, datacenterId=dc_id)
        except OvhApiError as error:
            if error.status != 404:
                raise
            backup = None
        vms = _checked(client, ROUTE_VMS, ROUTE_VM, "vmId", serviceName=service_name, datacenterId=dc_id, **kw)
        filers = _checked(client, ROUTE_DC_FILERS, ROUTE_DC_FILER, "filerId", serviceName=service_name, datacenterId=dc_id, **kw)
        datacenters.append(normalize_datacenter(raw_dc, backup, vms, filers))
    filers = _checked(client, ROUTE_FILERS, ROUTE_FILER, "filerId", serviceName=service_name, **kw)
    repositories = _checked(client, ROUTE_REPOSITORIES, ROUTE_REPOSITORY, "repositoryId", serviceName=service_name, **kw)
    return build_evidence(service_name, service, datacenters, filers, repositories)
