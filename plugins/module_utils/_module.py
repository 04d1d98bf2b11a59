# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared argument spec and the thin module wrapper used by every ovhcloud.mbm module.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.
"""

from __future__ import annotations

from contextlib import contextmanager

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import HAS_OVH, OVH_IMPORT_ERROR, OvhClient, empty_api_calls
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import DEFAULT_STATE_DIR

# The options below map 1:1 to OvhClient arguments.
CLIENT_OPTIONS = ("endpoint", "application_key", "application_secret", "consumer_key", "client_id", "client_secret",
                  "api_timeout", "api_rate_limit", "api_retry_max_wait", "state_dir")


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
    )


def client_kwargs(params):
    """OvhClient keyword arguments from module parameters."""
    return dict((name, params.get(name)) for name in CLIENT_OPTIONS)


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
                self.module.fail_json(msg=missing_required_lib("ovh"), exception=OVH_IMPORT_ERROR,
                                      api_calls=empty_api_calls())
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
