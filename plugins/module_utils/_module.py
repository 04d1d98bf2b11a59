# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared argument spec and the thin module wrapper used by every ovhcloud.mbm module, and the glue of the
termination modules (their option specs, running an operation, mbm_info's read).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.
Imports _client and the termination rooms; no module_utils imports it.
"""

from __future__ import annotations

from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ovhcloud.mbm.plugins.module_utils._billing import BILLING_MODES
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import HAS_OVH, OVH_IMPORT_ERROR, OvhClient, empty_api_calls
from ansible_collections.ovhcloud.mbm.plugins.module_utils._credentials import CLIENT_OPTIONS
from ansible_collections.ovhcloud.mbm.plugins.module_utils._emails import DEFAULT_LOOKBACK_HOURS, DEFAULT_SCAN_LIMIT
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import DEFAULT_STATE_DIR
from ansible_collections.ovhcloud.mbm.plugins.module_utils._records import records_for_client
from ansible_collections.ovhcloud.mbm.plugins.module_utils._runtime import Runtime
from ansible_collections.ovhcloud.mbm.plugins.module_utils._state import Settings, info_result, list_services
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError


def mbm_argument_spec():
    """Options shared by every module (doc fragment ovhcloud.mbm.api).

    The credential options have no env fallback on purpose: docs/design.md section 7 applies the OVH_* environment
    and python-ovh's config files only when no credential option of either family is set, which
    _client.resolve_credentials() decides. endpoint's default (ovh-eu) is applied there too, after the
    config files' [default] endpoint.
    """
    return dict(
        endpoint=dict(type="str", fallback=(env_fallback, ["OVH_ENDPOINT"])),
        application_key=dict(type="str", no_log=False),
        application_secret=dict(type="str", no_log=True),
        consumer_key=dict(type="str", no_log=True),
        client_id=dict(type="str", no_log=False),
        client_secret=dict(type="str", no_log=True),
        api_timeout=dict(type="int", default=30),
        api_rate_limit=dict(type="int", default=60, fallback=(env_fallback, ["OVH_API_RATE_LIMIT"])),
        api_retry_max_wait=dict(type="int", default=60),
        state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
        run_id=dict(type="str"),
    )


def client_kwargs(params):
    """OvhClient keyword arguments from module parameters."""
    kwargs = dict((name, params.get(name)) for name in CLIENT_OPTIONS)
    kwargs["run_id"] = params.get("run_id")
    return kwargs


class MbmModule:
    """AnsibleModule plus a lazily built OvhClient and the result/failure conventions of the collection."""

    def __init__(self, argument_spec=None, supports_check_mode=True, **kwargs):
        spec = mbm_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self._client = None

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def client(self):
        if self._client is None:
            if not HAS_OVH:
                self.module.fail_json(msg=missing_required_lib("ovh"), exception=OVH_IMPORT_ERROR, api_calls=empty_api_calls())
            try:
                self._client = OvhClient(**client_kwargs(self.module.params))
            except OvhApiError as exc:
                self.fail(str(exc), exc)
        return self._client

    @property
    def api_calls(self):
        return self._client.api_calls if self._client is not None else empty_api_calls()

    def exit(self, **result):
        result["api_calls"] = self.api_calls
        self.module.exit_json(**result)

    def fail(self, msg, error=None, **result):
        if error is not None:
            result["failure"] = error.to_failure()
        result["api_calls"] = self.api_calls
        self.module.fail_json(msg=msg, **result)

    @contextmanager
    def failing_on_api_error(self, **result):
        """``with mbm.failing_on_api_error(): ...`` turns an OvhApiError into fail() with its actionable text."""
        try:
            yield
        except OvhApiError as exc:
            self.fail(str(exc), exc, **result)


# Glue for the termination modules (they stay thin)


def termination_argument_spec(service_name_required=True):
    """Options shared by the termination modules (docs/design.md section 7), beyond the client's.

    Documented by the doc fragments ``ovhcloud.mbm.termination`` and ``ovhcloud.mbm.termination.write``
    (plugins/doc_fragments/termination.py); keep both sides equal.
    """
    return dict(
        service_name=dict(type="str", required=service_name_required),
        email_lookback_hours=dict(type="int", default=DEFAULT_LOOKBACK_HOURS),
        email_scan_limit=dict(type="int", default=DEFAULT_SCAN_LIMIT),
        billing_window=dict(type="str", default="warn", choices=list(BILLING_MODES)),
        request_from_day=dict(type="int", default=25),
        confirm_from_day=dict(type="int", default=25),
        billing_timezone=dict(type="str", default="UTC"),
    )


def wait_argument_spec():
    """Options of the modules that can wait for the termination e-mail (request and confirm).

    wait_timeout and wait_delay are documented by the doc fragment ``ovhcloud.mbm.termination.wait``;
    each module documents its own wait_for_email.
    """
    return dict(
        wait_for_email=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=2400),
        wait_delay=dict(type="int", default=30),
    )


def _domain_failure(err, client):
    """The ``failure`` dict of a TerminationError that has no API error behind it."""
    return {
        "status": None,
        "error_code": err.kind.upper(),
        "message": err.msg,
        "query_id": getattr(client, "last_query_id", None) if client is not None else None,
        "method": None,
        "path": None,
    }


def run_operation(mbm, operation, **kwargs):
    """Run ``operation(runtime, **kwargs)`` for a module wrapper ``mbm`` (``_module.MbmModule``) and exit or fail
    the module with its result. Failures carry ``failure`` (the OVH query id when the API was involved)."""
    client = None
    try:
        settings = Settings.from_params(mbm.params)
        client = mbm.client
        runtime = Runtime(client, settings, records=records_for_client(client, mbm.params.get("state_dir")), check_mode=mbm.check_mode, warn=mbm.module.warn)
        result = operation(runtime, **kwargs)
    except TerminationError as err:
        result = dict(err.result)
        if err.error is None:
            result["failure"] = _domain_failure(err, client)
        mbm.fail(err.msg, err.error, **result)
        return
    except OvhApiError as err:
        mbm.fail(str(err), err)
        return
    except (IOError, OSError) as err:
        mbm.fail("Could not use state_dir %s for the termination request records: %s" % (mbm.params.get("state_dir"), err))
        return
    mbm.exit(**result)


def info(runtime, service_name=None, product_references=None):
    """What ``mbm_info`` returns (read-only)."""
    if service_name:
        state = runtime.read(service_name)
        result = info_result(state, runtime.settings)
    else:
        result = {"services": list_services(runtime.client, product_references, runtime.settings, runtime.records, runtime.warn)}
    result["changed"] = False
    return result
