# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: mbm_services
short_description: Dynamic inventory of the OVHcloud Managed Bare Metal services of an account
version_added: 0.1.0
description:
  - Lists the account's Managed Bare Metal services (C(dedicatedCloud) services whose C(productReference) is V(MBM),
    see O(product_references)) as hosts of the group C(mbm_services), one host per service, named after the service
    (C(pcc-...)), ready for the P(ovhcloud.mbm.decommission#role) role and the C(ovhcloud.mbm.decommission) and
    C(ovhcloud.mbm.plan) playbooks.
  - Host variables (prefix C(mbm_)) describe the service, its renewal and its termination status, read the same way as
    M(ovhcloud.mbm.mbm_info) reads them.
  - With O(compose), O(groups) and O(keyed_groups), target for example every service of a location whose expiration
    is before a date, without a static list.
  - The configuration file name must end with C(mbm_services.yml) or C(mbm_services.yaml).
  - No credential is ever stored in host variables or in the cache.
author:
  - ovhcloud.mbm contributors (@ovhcloud-mbm)
extends_documentation_fragment:
  - ovhcloud.mbm.api
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; must be V(ovhcloud.mbm.mbm_services).
    type: str
    required: true
    choices: [ovhcloud.mbm.mbm_services]
  product_references:
    description:
      - Only services whose C(productReference) is in this list are listed.
      - An empty list lists every C(dedicatedCloud) service (Managed Bare Metal and Hosted Private Cloud).
    type: list
    elements: str
    default: [MBM]
  api_rate_limit:
    description:
      - Maximum number of API requests per minute for one endpoint and consumer key (or OAuth2 client ID), shared with
        every module running on the controller through a lock file in O(state_dir). V(0) disables the client-side limit.
      - The inventory reads it, like the modules, from the environment variable E(OVH_API_RATE_LIMIT) when it is not
        set in the configuration file.
    type: int
    default: 60
    env:
      - name: OVH_API_RATE_LIMIT
  email_lookback_hours:
    description:
      - How far back, in hours, the account's e-mail history is read to decide each service's termination status.
    type: int
    default: 96
  unreadable_services:
    description:
      - What to do with a listed service whose termination status cannot be decided (busy, expired, vanished while
        listing).
      - V(include) lists it with C(mbm_termination_status) null and the reason in C(mbm_problem) (only when its
        C(productReference) can be read and matches O(product_references)); V(skip) leaves it out. Both warn.
    type: str
    choices: [include, skip]
    default: include
notes:
  - The termination status reads the account's e-mail history once for all services.
  - With O(cache=true), the host variables may be as old as O(cache_timeout); refresh the cache (C(--flush-cache))
    before acting on statuses.
"""

EXAMPLES = r"""
# prod.mbm_services.yml: the Managed Bare Metal services of the account on ovh-ca (credentials from the OVH_*
# environment; with only "plugin:" the endpoint comes from OVH_ENDPOINT too), grouped by location, with a group of
# the services expiring before 2027 and one of those whose termination link is waiting for a confirmation.
plugin: ovhcloud.mbm.mbm_services
endpoint: ovh-ca
keyed_groups:
  - key: mbm_location
    prefix: location
groups:
  expiring_before_2027: mbm_expiration < '2027-01-01'
  requested: mbm_termination_status == 'termination_requested'
compose:
  ansible_connection: "'local'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/mbm_inventory
cache_timeout: 600
"""

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient
from ansible_collections.ovhcloud.mbm.plugins.module_utils._credentials import CLIENT_OPTIONS
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._records import records_for_client
from ansible_collections.ovhcloud.mbm.plugins.module_utils._state import Settings, list_services
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError

display = Display()

GROUP = "mbm_services"


def host_vars(entry, endpoint):
    """The host variables of one service entry of list_services() (no secret, no token, no e-mail body)."""
    service = entry.get("service") or {}
    infos = entry.get("service_infos") or {}
    renew = infos.get("renew") or {}
    termination = entry.get("termination")
    if termination is not None:
        termination = dict((k, v) for k, v in termination.items() if k != "api")
    return {
        "mbm_service_name": entry.get("service_name"),
        "mbm_service_id": infos.get("serviceId") if infos else (termination or {}).get("service_id"),
        "mbm_product_reference": service.get("productReference"),
        "mbm_location": service.get("location"),
        "mbm_state": service.get("state"),
        "mbm_description": service.get("description"),
        "mbm_version": service.get("version"),
        "mbm_service_status": infos.get("status"),
        "mbm_expiration": infos.get("expiration"),
        "mbm_creation": infos.get("creation"),
        "mbm_engaged_up_to": infos.get("engagedUpTo"),
        "mbm_renew": renew,
        "mbm_renew_automatic": renew.get("automatic"),
        "mbm_delete_at_expiration": renew.get("deleteAtExpiration"),
        "mbm_termination_status": (termination or {}).get("status"),
        "mbm_termination": termination,
        "mbm_problem": entry.get("problem"),
        "mbm_endpoint": endpoint,
    }


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "ovhcloud.mbm.mbm_services"

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        return path.endswith(("mbm_services.yml", "mbm_services.yaml"))

    def _client(self):
        kwargs = dict((name, self.get_option(name)) for name in CLIENT_OPTIONS)
        for name in ("endpoint", "application_key", "application_secret", "consumer_key", "client_id", "client_secret", "state_dir"):
            if kwargs[name] == "":
                kwargs[name] = None
        kwargs["run_id"] = self.get_option("run_id") or None  # the api doc fragment documents it for every plugin
        return OvhClient(**kwargs)

    def _dedicated_cloud(self, client, name):
        try:
            return client.get(routes.SERVICE, serviceName=name) or {}
        except OvhApiError:
            return {}

    def fetch_services(self):
        """Read the account; return a JSON-serialisable list of {name, vars} (what the cache stores)."""
        try:
            client = self._client()
            settings = Settings(email_lookback_hours=self.get_option("email_lookback_hours"))
            records = records_for_client(client, self.get_option("state_dir"))
            references = self.get_option("product_references")
            entries = list_services(client, references, settings, records, warn=display.warning)
        except (OvhApiError, TerminationError) as err:
            raise AnsibleError("ovhcloud.mbm.mbm_services: could not list the services: %s" % to_native(getattr(err, "msg", None) or err)) from err
        endpoint = client.endpoint
        services = []
        for entry in entries:
            name = entry.get("service_name")
            if entry.get("problem"):
                problem = entry["problem"]
                service = self._dedicated_cloud(client, name)
                reference = service.get("productReference")
                keep = self.get_option("unreadable_services") == "include" and reference is not None and (not references or reference in references)
                display.warning(
                    "ovhcloud.mbm.mbm_services: the termination status of %s cannot be decided (%s: %s); %s"
                    % (name, problem.get("kind"), problem.get("message"), "listed with mbm_problem set" if keep else "not listed")
                )
                if not keep:
                    continue
                entry = dict(entry, service=service)
            services.append({"name": name, "vars": host_vars(entry, endpoint)})
        return services

    def populate(self, services):
        self.inventory.add_group(GROUP)
        strict = self.get_option("strict")
        for item in services:
            host = item["name"]
            self.inventory.add_host(host, group=GROUP)
            for key, value in item["vars"].items():
                self.inventory.set_variable(host, key, value)
            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        services = None
        update_cache = False
        if use_cache and cache:
            try:
                services = self._cache[cache_key]
            except KeyError:
                update_cache = True
        elif use_cache:
            update_cache = True
        if services is None:
            services = self.fetch_services()
        if update_cache:
            self._cache[cache_key] = services
        self.populate(services)
