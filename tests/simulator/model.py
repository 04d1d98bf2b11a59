# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's in-memory model: applications, accounts, consumer keys, services, e-mails.

The model knows nothing about HTTP. Time-driven transitions (e-mail delivery, end of removal, deletion at
expiration) are applied lazily by ``State.tick(now)``, which the server calls before each request.
"""

from __future__ import annotations

import copy
import json
import os

from . import emails as email_styles
from .timeutil import iso_date, iso_datetime, parse_time, resolve_dates

DEFAULT_OPTIONS = {
    "timestamp_tolerance": 300,  # seconds between X-Ovh-Timestamp and the simulator clock
    "token_validity_seconds": 72 * 3600,
    "token_error_status": 400,  # 400 | 403 | 409 for a wrong, expired or used token
    "removal_seconds": 3600,  # from confirmation (or expiration) to the service being gone
    # dedicatedCloud.state while the removal runs: one value, or a list gone through in equal parts of removal_seconds
    # (values of dedicatedCloud.StateEnum found in every public copy of the schema; toRemove is in newer copies only).
    "removal_state": ["toUnprovision", "unprovisionning"],
    "email_delay_seconds": 0,  # default delay of termination e-mails (a service may override it)
    "pagination": True,  # honour X-Pagination-Mode: CachedObjectList-Pages
    "list_order": "asc",  # order of id lists: asc | desc
    "latency": 0.0,  # seconds added to every API call (benchmarks)
    "pending_action_on_request": "terminate",  # added to billing.lifecycle.current.pendingActions; "" for none
    "current_credential_needs_rule": False,  # GET /auth/currentCredential needs an access rule
    "iam_refusal_key": "iam",  # details key naming a refused action: iam | authentication (see api-assumptions)
    "expired_service_infos_readable": True,  # serviceInfos of an expired service answers (others 460)
    "terminate_busy_status": 409,  # status of terminate on a service that is not available/delivered
    "email_utc_offset_minutes": 0,  # UTC offset of e-mail dates in the API (e.g. 60 for +01:00)
    "email_link_form": email_styles.DEFAULT_LINK_FORM,  # confirmation link form (emails.LINK_FORMS); a service's wins
}

TERMINATION_REASONS = (
    "FEATURES_DONT_SUIT_ME",
    "LACK_OF_PERFORMANCES",
    "MIGRATED_TO_ANOTHER_OVH_PRODUCT",
    "MIGRATED_TO_COMPETITOR",
    "NOT_ENOUGH_RECOGNITION",
    "NOT_NEEDED_ANYMORE",
    "NOT_RELIABLE",
    "NO_ANSWER",
    "OTHER",
    "PRODUCT_DIMENSION_DONT_SUIT_ME",
    "PRODUCT_TOOLS_DONT_SUIT_ME",
    "TOO_EXPENSIVE",
    "TOO_HARD_TO_USE",
    "UNSATIFIED_BY_CUSTOMER_SUPPORT",
)
TERMINATION_FUTURE_USES = (
    "NOT_REPLACING_SERVICE",
    "OTHER",
    "SUBSCRIBE_AN_OTHER_SERVICE",
    "SUBSCRIBE_OTHER_KIND_OF_SERVICE_WITH_COMPETITOR",
    "SUBSCRIBE_SIMILAR_SERVICE_WITH_COMPETITOR",
)
DC_STATES = (
    "available",
    "delivered",
    "disabled",
    "disabling",
    "error",
    "migrating",
    "provisionning",
    "recycling",
    "reserved",
    "toDisable",
    "toProvision",
    "toRecycle",
    "toRemove",
    "toUnprovision",
    "unprovisionning",
    "upgrading",
)
TERMINABLE_STATES = ("available", "delivered")
RENEW_FIELDS = {"automatic": bool, "deleteAtExpiration": bool, "forced": bool, "manualPayment": bool, "period": int}

# Keys of a fixture service that configure the simulator rather than the dedicatedCloud object.
_SERVICE_SIM_KEYS = frozenset(
    [
        "serviceId",
        "expired",
        "deleted",
        "emailStyle",
        "emailHost",
        "emailDelaySeconds",
        "emailLinkForm",
        "serviceInfos",
        "service",
        "datacenters",
        "filers",
        "backupRepositories",
        "tokens",
    ]
)


class ModelError(Exception):
    """A fixture or model inconsistency (not an API error)."""


def removal_states(option):
    """The dedicatedCloud.state values of a removal, in order, from the option ``removal_state`` (a value or a list)."""
    states = [option] if isinstance(option, str) else list(option or [])
    invented = [state for state in states if state not in DC_STATES]
    if not states or invented:
        raise ModelError("removal_state must be one or more values of dedicatedCloud.StateEnum, got %r" % (option,))
    return states


def load_fixture(source):
    """Return a fixture dict from a dict, a JSON/YAML path, or a fixture name under ``fixtures/``."""
    if isinstance(source, dict):
        return copy.deepcopy(source)
    path = str(source)
    if not os.path.exists(path):
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
        for ext in ("", ".json", ".yml", ".yaml"):
            candidate = os.path.join(here, path + ext)
            if os.path.exists(candidate):
                path = candidate
                break
        else:
            raise ModelError("fixture not found: %s" % source)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith((".yml", ".yaml")):
        try:
            import yaml  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            raise ModelError("YAML fixtures need PyYAML; use JSON") from exc
        return yaml.safe_load(text)
    return json.loads(text)


def _merge(defaults, overrides):
    """Recursive merge of two dicts into a new dict. Callers pass fresh objects: nothing is deep-copied."""
    result = dict(defaults)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


class Credential:
    def __init__(self, spec, account, now):
        self.consumer_key = spec["consumerKey"]
        self.application_key = spec["applicationKey"]
        self.account = account
        self.credential_id = int(spec.get("credentialId", 0))
        self.status = spec.get("status", "validated")
        self.expiration = parse_time(spec.get("expiration"), now)
        default_rules = [{"method": method, "path": "/*"} for method in ("GET", "POST", "PUT", "DELETE")]
        self.rules = [dict(rule) for rule in spec.get("rules", default_rules)]
        self.description = spec.get("description", "")

    def effective_status(self, now):
        if self.status == "validated" and self.expiration is not None and now >= self.expiration:
            return "expired"
        return self.status

    def to_api(self, application_id, now):
        return {
            "credentialId": self.credential_id,
            "applicationId": application_id,
            "status": self.effective_status(now),
            "creation": iso_datetime(now - 86400),
            "expiration": iso_datetime(self.expiration) if self.expiration is not None else None,
            "lastUse": iso_datetime(now),
            "ovhSupport": False,
            "allowedIPs": None,
            "rules": [dict(rule) for rule in self.rules],
        }


class Service:
    """One dedicatedCloud service (MBM or EPCC) and everything under it."""

    def __init__(self, spec, account, state, now):
        spec = resolve_dates(spec, now)
        self.account = account
        self.name = spec["serviceName"]
        self.service_id = int(spec["serviceId"])
        self.expired = bool(spec.get("expired", False))
        self.deleted = bool(spec.get("deleted", False))
        self.email_style = spec.get("emailStyle", "en_html")
        self.email_host = spec.get("emailHost", "www.ovh.com")
        self.email_delay = spec.get("emailDelaySeconds")
        self.email_link_form = spec.get("emailLinkForm")  # None: the option email_link_form
        if self.email_style not in email_styles.EMAIL_STYLES:
            raise ModelError("%s: unknown emailStyle %s" % (self.name, self.email_style))
        if self.email_link_form is not None and self.email_link_form not in email_styles.LINK_FORMS:
            raise ModelError("%s: unknown emailLinkForm %s" % (self.name, self.email_link_form))
        self.api = self._dedicated_cloud(spec)
        self.service_infos = self._service_infos(spec, now)
        self.service_entry = self._service_entry(spec, now)
        self.datacenters = {}
        for index, dc_spec in enumerate(spec.get("datacenters", []), start=1):
            datacenter = Datacenter(dc_spec, index, self.name)
            self.datacenters[datacenter.datacenter_id] = datacenter
        self.filers = {}
        for index, filer in enumerate(spec.get("filers", []), start=1):
            obj = _filer(filer, index)
            self.filers[obj["filerId"]] = obj
        self.repositories = {}
        for index, repo in enumerate(spec.get("backupRepositories", []), start=1):
            obj = _merge(
                {
                    "repositoryId": index,
                    "repositoryName": "repo-%s-%d" % (self.name, index),
                    "replication": False,
                    "syncStatus": "ok",
                    "lastSuccessfulReplicationDate": None,
                },
                repo,
            )
            self.repositories[obj["repositoryId"]] = obj
        self.tokens = []  # {token, created, used, invalidated}
        for token in spec.get("tokens", []):
            self.tokens.append(
                {"token": token["token"], "created": parse_time(token.get("created", "now"), now), "used": bool(token.get("used", False)), "invalidated": False}
            )
        self.removal_started = None  # epoch when the removal started
        self.removal_reason = None
        self.deleted_at = None
        if self.deleted:
            self._mark_deleted(now)
        elif self.expired:
            self.service_infos["status"] = "expired"
            self.service_entry["resource"]["state"] = "suspended"
            self.service_entry["billing"]["lifecycle"]["current"]["state"] = "unrenewed"
        state.register_service(self)

    def _dedicated_cloud(self, spec):
        name = spec["serviceName"]
        defaults = {
            "serviceName": name,
            "productReference": "MBM",
            "state": "delivered",
            "location": "rbx2",
            "description": "",
            "version": {"major": "7.0", "minor": "3", "build": "21958406"},
            "managementInterface": "vcenter",
            "webInterfaceUrl": "https://%s.ovh.de/ui" % name,
            "vScopeUrl": "https://%s.ovh.de/vScope" % name,
            "certifiedInterfaceUrl": "https://%s.ovh.de/ui" % name,
            "commercialRange": "2016",
            "generation": "2.0",
            "bandwidth": "1000 Mbps",
            "billingType": "monthly",
            "spla": False,
            "sslV3": False,
            "userAccessPolicy": "open",
            "userLimitConcurrentSession": 50,
            "userLogoutPolicy": "first",
            "userSessionTimeout": 1800,
            "advancedSecurity": False,
            "servicePackName": "default",
            "iam": {"id": "a1b2c3d4-0000-4000-8000-%012d" % int(spec["serviceId"]), "urn": "urn:v1:eu:resource:pccVMware:%s" % name, "displayName": name},
        }
        overrides = {key: value for key, value in spec.items() if key not in _SERVICE_SIM_KEYS}
        api = _merge(defaults, overrides)
        if api["state"] not in DC_STATES:
            raise ModelError("%s: unknown state %s" % (name, api["state"]))
        return api

    def _service_infos(self, spec, now):
        defaults = {
            "serviceId": self.service_id,
            "domain": self.name,
            "status": "ok",
            "creation": iso_date(now - 400 * 86400),
            "expiration": iso_date(now + 20 * 86400),
            "engagedUpTo": None,
            "possibleRenewPeriod": [1],
            "renewalType": "automaticV2016",
            "canDeleteAtExpiration": True,
            "contactAdmin": self.account.nic,
            "contactBilling": self.account.nic,
            "contactTech": self.account.nic,
            "renew": {"automatic": True, "deleteAtExpiration": False, "forced": False, "manualPayment": False, "period": 1},
        }
        infos = _merge(defaults, spec.get("serviceInfos"))
        infos["serviceId"] = self.service_id
        return infos

    def _service_entry(self, spec, now):
        infos = self.service_infos
        defaults = {
            "serviceId": self.service_id,
            "parentServiceId": None,
            "resource": {
                "name": self.name,
                "displayName": self.api.get("description") or self.name,
                "state": "active",
                "product": {"name": "dedicatedCloud", "description": "Managed Bare Metal" if self.api["productReference"] == "MBM" else "Hosted Private Cloud"},
            },
            "billing": {
                "expirationDate": iso_datetime(parse_time(infos["expiration"])),
                "nextBillingDate": iso_datetime(parse_time(infos["expiration"])),
                "plan": {"code": "pcc-%s" % self.api["productReference"].lower(), "invoiceName": "Managed Bare Metal"},
                "lifecycle": {
                    "current": {"state": "active", "pendingActions": [], "terminationDate": None, "creationDate": iso_datetime(parse_time(infos["creation"]))},
                    "capacities": {"actions": ["terminate", "terminateAtExpirationDate"]},
                },
            },
            "route": {"path": "/dedicatedCloud/{serviceName}", "url": "/dedicatedCloud/%s" % self.name, "vars": [{"key": "serviceName", "value": self.name}]},
        }
        entry = _merge(defaults, spec.get("service"))
        if infos["renew"].get("deleteAtExpiration"):
            self._set_pending(entry, "terminateAtExpirationDate", True)
        return entry

    @staticmethod
    def _set_pending(entry, action, present):
        actions = entry["billing"]["lifecycle"]["current"]["pendingActions"]
        if present and action not in actions:
            actions.append(action)
        elif not present and action in actions:
            actions.remove(action)

    # --- life cycle -------------------------------------------------------------------------------------

    @property
    def removing(self):
        return self.removal_started is not None and not self.deleted

    def expiration_epoch(self):
        return parse_time(self.service_infos["expiration"])

    def link_form(self, options):
        """The confirmation link form of this service's termination e-mails (its own, else the option)."""
        return self.email_link_form or options.get("email_link_form") or email_styles.DEFAULT_LINK_FORM

    def start_removal(self, now, options, reason):
        self.removal_started = now
        self.removal_reason = reason
        self.api["state"] = removal_states(options["removal_state"])[0]
        self.service_entry["resource"]["state"] = "toDelete"
        current = self.service_entry["billing"]["lifecycle"]["current"]
        current["terminationDate"] = iso_datetime(now + options["removal_seconds"])

    def _mark_deleted(self, now):
        self.deleted = True
        self.deleted_at = now
        self.service_entry["resource"]["state"] = "deleted"
        current = self.service_entry["billing"]["lifecycle"]["current"]
        current["state"] = "terminated"
        current["pendingActions"] = []
        if current.get("terminationDate") is None:
            current["terminationDate"] = iso_datetime(now)

    def tick(self, now, options):
        if self.deleted:
            return
        if self.removal_started is None and self.service_infos["renew"].get("deleteAtExpiration"):
            expiration = self.expiration_epoch()
            if now >= expiration:
                self.start_removal(expiration, options, "deleteAtExpiration")
        if self.removal_started is not None and now >= self.removal_started + options["removal_seconds"]:
            self._mark_deleted(self.removal_started + options["removal_seconds"])
        elif self.removal_started is not None and now >= self.removal_started:
            states = removal_states(options["removal_state"])
            part = float(options["removal_seconds"]) / len(states)
            index = int((now - self.removal_started) // part) if part > 0 else len(states) - 1
            self.api["state"] = states[min(index, len(states) - 1)]
        action = options.get("pending_action_on_request")
        newest = self.newest_token()
        if (
            action
            and self.removal_started is None
            and newest is not None
            and not newest["used"]
            and now - newest["created"] > options["token_validity_seconds"]
        ):
            # the request lapsed unconfirmed: its pending action goes with it [assumed, docs/api-assumptions.md]
            self._set_pending(self.service_entry, action, False)

    def newest_token(self):
        return self.tokens[-1] if self.tokens else None

    @property
    def admin_contact(self):
        """The NIC that receives the termination e-mails (``serviceInfos.contactAdmin``; fixture field)."""
        return self.service_infos.get("contactAdmin") or self.account.nic

    def set_renew(self, renew):
        self.service_infos["renew"].update(renew)
        self._set_pending(self.service_entry, "terminateAtExpirationDate", bool(self.service_infos["renew"].get("deleteAtExpiration")))

    def summary(self):
        return {
            "serviceName": self.name,
            "serviceId": self.service_id,
            "account": self.account.nic,
            "state": self.api["state"],
            "deleted": self.deleted,
            "expired": self.expired,
            "removalStarted": self.removal_started,
            "resourceState": self.service_entry["resource"]["state"],
            "renew": dict(self.service_infos["renew"]),
        }


class Datacenter:
    def __init__(self, spec, index, service_name):
        self.datacenter_id = int(spec.get("datacenterId", index))
        self.api = _merge(
            {
                "datacenterId": self.datacenter_id,
                "name": "datacenter%d" % self.datacenter_id,
                "commercialName": "Managed Bare Metal datacenter",
                "commercialRangeName": "2016",
                "description": "",
                "horizontalScalingDatastoreSize": None,
                "isRemovable": False,
                "version": "7.0",
            },
            {key: value for key, value in spec.items() if key not in ("vms", "filers", "backup")},
        )
        backup = spec.get("backup")
        if backup is None:
            backup = {"state": "disabled", "backupOffer": None, "replicationZone": None}
        self.backup = _merge(
            {
                "state": "enabled",
                "backupOffer": "classic",
                "replicationZone": None,
                "backupDurationInReport": True,
                "backupSizeInReport": True,
                "diskSizeInReport": True,
                "fullDayInReport": False,
                "mailAddress": None,
                "restorePointInReport": True,
                "scheduleHour": "22:00:00",
                "encryption": False,
            },
            backup,
        )
        self.vms = {}
        for vm_index, vm_spec in enumerate(spec.get("vms", []), start=1):
            vm = _vm(vm_spec, self.datacenter_id * 1000 + vm_index, service_name)
            self.vms[vm["vmId"]] = vm
        self.filers = {}
        for filer_index, filer in enumerate(spec.get("filers", []), start=1):
            obj = _filer(filer, self.datacenter_id * 100 + filer_index)
            self.filers[obj["filerId"]] = obj


def _vm(spec, default_id, service_name):
    vm_id = int(spec.get("vmId", default_id))
    name = spec.get("name", "vm-%d" % vm_id)
    defaults = {
        "vmId": vm_id,
        "name": name,
        "moRef": "vm-%d" % vm_id,
        "powerState": "poweredOn",
        "hostName": "172.16.0.%d" % (vm_id % 250 + 1),
        "clusterName": "Cluster1",
        "cpuNum": 2,
        "memoryMax": 4096,
        "vmwareTools": "guestToolsRunning",
        "snapshotNum": 0,
        "folderName": None,
        "filers": [{"name": "ssd-%06d" % (vm_id % 7 + 1), "committed": 40.0, "capacity": 100.0}],
        "networks": [{"name": "VM Network"}],
        "backup": None,
    }
    vm = _merge(defaults, {key: value for key, value in spec.items() if key != "backup"})
    backup = spec.get("backup")
    if backup is not None:
        vm["backup"] = _merge(
            {
                "state": "delivered",
                "lastResult": "success",
                "lastSuccessfulCreationTime": None,
                "lastCreationTime": None,
                "restorePoints": [],
                "retentionTime": 7,
                "backupDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
                "backupRepositoryId": 1,
                "offerType": "classic",
                "jobName": "%s-%s" % (service_name, name),
            },
            backup,
        )
        points = []
        for point_index, point in enumerate(vm["backup"].get("restorePoints") or [], start=1):
            points.append(
                _merge(
                    {"restorePointId": vm_id * 100 + point_index, "creationTime": None, "isCorrupted": False, "size": 10737418240, "type": "incremental"}, point
                )
            )
        vm["backup"]["restorePoints"] = points
    return vm


def _filer(spec, default_id):
    filer_id = int(spec.get("filerId", default_id))
    return _merge(
        {
            "filerId": filer_id,
            "name": "ssd-%06d" % filer_id,
            "size": {"unit": "GB", "value": 3000},
            "spaceUsed": 1200.0,
            "spaceFree": 1800.0,
            "spaceProvisionned": 1500.0,
            "vmTotal": 0,
            "state": "delivered",
            "fullProfile": "3t-ssd",
            "billingType": "monthly",
            "profile": "3t-ssd",
        },
        spec,
    )


class Account:
    def __init__(self, spec, state, now):
        self.nic = spec["nic"]
        self.me = _merge(
            {
                "nichandle": self.nic,
                "email": spec.get("email", "%s@example.com" % self.nic),
                "firstname": "Test",
                "name": "Account",
                "country": "FR",
                "language": "en_GB",
                "ovhSubsidiary": "FR",
                "currency": {"code": "EUR", "symbol": "EURO"},
                "state": "complete",
                "customerCode": "1234-5678-90",
            },
            spec.get("me"),
        )
        iam = spec.get("iam") or {}
        self.iam_enabled = bool(iam.get("enabled", False))
        self.iam_allowed = list(iam.get("allowedActions", []))
        self.services = {}
        self.emails = []  # delivered: {id, date, subject, body, epoch[, serviceName, token]}
        self.pending_emails = []  # {deliver_at, service, token, subject, body}
        for cred in spec.get("consumerKeys", []):
            state.register_credential(Credential(cred, self, now))
        for svc in spec.get("services", []):
            service = Service(svc, self, state, now)
            self.services[service.name] = service
        for email in sorted(spec.get("emails", []), key=lambda m: parse_time(m.get("date", "now"), now)):
            self.emails.append(self._fixture_email(email, state, now))
            state.bump_email_id(self.emails[-1]["id"])
        self.emails.sort(key=lambda m: m["id"])

    def _fixture_email(self, email, state, now):
        """A pre-seeded e-mail: literal subject/body, or ``termination: {service, token, style?, host?, linkForm?,
        serviceId?}`` (``serviceId`` renders the billing form unless ``linkForm`` says otherwise)."""
        epoch = parse_time(email.get("date", "now"), now)
        mail = {
            "id": int(email["id"]) if "id" in email else state.next_email_id(),
            "date": iso_datetime(epoch),
            "epoch": epoch,
            "subject": email.get("subject", ""),
            "body": email.get("body", ""),
        }
        term = email.get("termination")
        if term:
            service = self.services.get(term["service"])
            if service is None:
                raise ModelError("e-mail %s: unknown service %s" % (mail["id"], term["service"]))
            token = term.get("token") or email_styles.new_token()
            mail["subject"], mail["body"] = email_styles.render(
                term.get("style", service.email_style),
                term.get("host", service.email_host),
                self.nic,
                service.name,
                term.get("serviceId", service.service_id),
                token,
                # a serviceId of its own (a trap: a link for another id) only exists in the billing form
                link_form=term.get("linkForm", "billing" if "serviceId" in term else service.link_form(state.options)),
            )
            mail["serviceName"] = service.name
            mail["token"] = token
            if term.get("serviceId", service.service_id) == service.service_id:
                service.tokens.append({"token": token, "created": epoch, "used": bool(term.get("used", False)), "invalidated": False})
                service.tokens.sort(key=lambda t: t["created"])
                for older in service.tokens[:-1]:
                    older["invalidated"] = True
        return mail

    def deliver(self, now, state):
        """Deliver due e-mails to their recipient's mailbox: this account's history, another account's, or the
        mailbox of a NIC that is not an account of the fixture (``State.mailboxes``, read through the admin API)."""
        due = sorted((mail for mail in self.pending_emails if mail["deliver_at"] <= now), key=lambda m: m["deliver_at"])
        for mail in due:
            self.pending_emails.remove(mail)
            delivered = {
                "id": state.next_email_id(),
                "date": iso_datetime(mail["deliver_at"]),
                "epoch": mail["deliver_at"],
                "subject": mail["subject"],
                "body": mail["body"],
                "serviceName": mail["service"],
                "token": mail["token"],
            }
            state.mailbox(mail.get("to") or self.nic).append(delivered)

    def email(self, email_id):
        for mail in self.emails:
            if mail["id"] == email_id:
                return mail
        return None


class State:
    """Everything the simulator knows. Not thread-safe by itself: the server holds one lock around it."""

    def __init__(self, fixture, now):
        self.options = dict(DEFAULT_OPTIONS)
        self.options.update(fixture.get("options") or {})
        self.applications = {}  # application_key -> {applicationKey, applicationSecret, applicationId, name}
        self.credentials = {}  # consumer_key -> Credential
        self.services_by_id = {}
        self.mailboxes = {}  # nic -> delivered e-mails of a NIC that is not an account of the fixture
        self._email_id = int(fixture.get("firstEmailId", 1000)) - 1
        for index, app in enumerate(fixture.get("applications", []), start=1):
            entry = {
                "applicationKey": app["applicationKey"],
                "applicationSecret": app["applicationSecret"],
                "applicationId": int(app.get("applicationId", index)),
                "name": app.get("name", "app%d" % index),
            }
            self.applications[entry["applicationKey"]] = entry
        self.accounts = {}
        for spec in fixture.get("accounts", []):
            account = Account(spec, self, now)
            self.accounts[account.nic] = account
        for cred in self.credentials.values():
            if cred.application_key not in self.applications:
                raise ModelError("consumer key %s uses unknown application %s" % (cred.consumer_key, cred.application_key))

    # --- registries ---------------------------------------------------------------------------------

    def next_email_id(self):
        self._email_id += 1
        return self._email_id

    def bump_email_id(self, used):
        self._email_id = max(self._email_id, used)

    def mailbox(self, nic):
        """The delivered e-mails of ``nic``: an account's history, or the mailbox of a NIC outside the fixture."""
        account = self.accounts.get(nic)
        if account is not None:
            return account.emails
        return self.mailboxes.setdefault(nic, [])

    def mailbox_emails(self, nic):
        """What ``GET /_sim/mailboxes/<nic>`` returns (test-only: includes ``serviceName`` and ``token``)."""
        return [{key: value for key, value in mail.items() if key != "epoch"} for mail in sorted(self.mailbox(nic), key=lambda m: m["id"])]

    def register_credential(self, cred):
        if cred.consumer_key in self.credentials:
            raise ModelError("duplicate consumer key %s" % cred.consumer_key)
        if not cred.credential_id:
            cred.credential_id = 100000 + len(self.credentials) + 1
        self.credentials[cred.consumer_key] = cred

    def register_service(self, service):
        if service.service_id in self.services_by_id:
            raise ModelError("duplicate serviceId %s" % service.service_id)
        self.services_by_id[service.service_id] = service

    def find_service(self, name):
        for account in self.accounts.values():
            if name in account.services:
                return account.services[name]
        return None

    # --- time ----------------------------------------------------------------------------------------

    def tick(self, now):
        for account in self.accounts.values():
            for service in account.services.values():
                service.tick(now, self.options)
            account.deliver(now, self)

    # --- life cycle operations ----------------------------------------------------------------------

    def request_termination(self, service, now):
        """Create a new token (older ones become invalid) and queue the e-mail. Returns the token."""
        for token in service.tokens:
            token["invalidated"] = True
        token = email_styles.new_token()
        service.tokens.append({"token": token, "created": now, "used": False, "invalidated": False})
        subject, body = email_styles.render(
            service.email_style, service.email_host, service.admin_contact, service.name, service.service_id, token, link_form=service.link_form(self.options)
        )
        delay = service.email_delay if service.email_delay is not None else self.options["email_delay_seconds"]
        # The token goes to the service's admin contact (API schema), which may be another NIC than the account.
        service.account.pending_emails.append(
            {"deliver_at": now + float(delay), "service": service.name, "token": token, "subject": subject, "body": body, "to": service.admin_contact}
        )
        action = self.options.get("pending_action_on_request")
        if action:
            service._set_pending(service.service_entry, action, True)  # pylint: disable=protected-access
        service.account.deliver(now, self)
        return token

    def check_token(self, service, token, now):
        """Return None when ``token`` may confirm the termination, else the reason it may not."""
        newest = service.newest_token()
        match = None
        for entry in service.tokens:
            if entry["token"] == token:
                match = entry
        if match is None:
            return "The token is invalid"
        if match["used"]:
            return "The token has already been used"
        if match is not newest or match["invalidated"]:
            return "The token is invalid: a newer termination request replaced it"
        if now - match["created"] > self.options["token_validity_seconds"]:
            return "The token has expired"
        return None

    def confirm_termination(self, service, token, now):
        for entry in service.tokens:
            if entry["token"] == token:
                entry["used"] = True
        service.start_removal(now, self.options, "confirmTermination")

    # --- changes made by tests ---------------------------------------------------------------------

    def patch_service(self, name, changes):
        """Change a service in place: ``dedicatedCloud`` / ``serviceInfos`` / ``service`` (merged into the API
        objects), ``expired``, ``emailStyle``, ``emailHost``, ``emailDelaySeconds``, ``emailLinkForm``."""
        service = self.find_service(name)
        if service is None:
            raise ModelError("unknown service %s" % name)
        changes = copy.deepcopy(changes)
        allowed = {"dedicatedCloud", "serviceInfos", "service", "expired", "emailStyle", "emailHost", "emailDelaySeconds", "emailLinkForm"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise ModelError("cannot patch %s" % ", ".join(unknown))
        if "dedicatedCloud" in changes:
            service.api = _merge(service.api, changes["dedicatedCloud"])
        if "serviceInfos" in changes:
            service.service_infos = _merge(service.service_infos, changes["serviceInfos"])
            service.set_renew({})
        if "service" in changes:
            service.service_entry = _merge(service.service_entry, changes["service"])
        if "expired" in changes:
            service.expired = bool(changes["expired"])
            service.service_infos["status"] = "expired" if service.expired else "ok"
            service.service_entry["resource"]["state"] = "suspended" if service.expired else "active"
        if "emailStyle" in changes:
            if changes["emailStyle"] not in email_styles.EMAIL_STYLES:
                raise ModelError("unknown emailStyle %s" % changes["emailStyle"])
            service.email_style = changes["emailStyle"]
        if "emailLinkForm" in changes:
            if changes["emailLinkForm"] is not None and changes["emailLinkForm"] not in email_styles.LINK_FORMS:
                raise ModelError("unknown emailLinkForm %s" % changes["emailLinkForm"])
            service.email_link_form = changes["emailLinkForm"]
        service.email_host = changes.get("emailHost", service.email_host)
        service.email_delay = changes.get("emailDelaySeconds", service.email_delay)
        return service.summary()

    def add_email(self, spec, now, nic=None):
        """Deliver an e-mail now (fixture e-mail format; ``date`` defaults to now)."""
        account = self.accounts[nic] if nic else next(iter(self.accounts.values()))
        mail = account._fixture_email(dict(spec), self, now)  # pylint: disable=protected-access
        self.bump_email_id(mail["id"])
        account.emails.append(mail)
        account.emails.sort(key=lambda m: m["id"])
        return {key: value for key, value in mail.items() if key != "epoch"}

    # --- views for tests ----------------------------------------------------------------------------

    def all_emails(self):
        result = []
        for account in self.accounts.values():
            for mail in account.emails:
                item = {key: value for key, value in mail.items() if key != "epoch"}
                item["account"] = account.nic
                result.append(item)
        for nic, mails in self.mailboxes.items():  # admin contacts that are not accounts of the fixture
            for mail in mails:
                item = {key: value for key, value in mail.items() if key != "epoch"}
                item["account"] = None
                item["mailbox"] = nic
                result.append(item)
        return sorted(result, key=lambda m: m["id"])

    def snapshot(self):
        return {
            "options": dict(self.options),
            "accounts": {
                nic: {
                    "services": [svc.summary() for svc in account.services.values()],
                    "emailIds": [mail["id"] for mail in account.emails],
                    "pendingEmails": len(account.pending_emails),
                    "iam": {"enabled": account.iam_enabled, "allowedActions": list(account.iam_allowed)},
                }
                for nic, account in self.accounts.items()
            },
        }
