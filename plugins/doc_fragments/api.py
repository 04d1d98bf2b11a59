# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options of the OVHcloud API client shared by every module (plugins/module_utils/_module.py)."""

    DOCUMENTATION = r"""
options:
  endpoint:
    description:
      - The OVHcloud API to talk to.
      - A python-ovh endpoint name (V(ovh-eu), V(ovh-ca), V(ovh-us), V(kimsufi-eu), V(kimsufi-ca),
        V(soyoustart-eu), V(soyoustart-ca)), or the base URL of the API including C(/1.0), for example
        V(http://127.0.0.1:8080/1.0) for a local simulator.
      - A URL must use C(https), or plain C(http) only on a loopback host (C(127.0.0.0/8), C(::1), C(localhost)).
        Anything else is refused.
      - When not set, the environment variable E(OVH_ENDPOINT) is used, then the C(endpoint) key of the
        C([default]) section of the python-ovh configuration files, then V(ovh-eu).
    type: str
  application_key:
    description:
      - The application key (AK) of the OVHcloud API application.
      - Used together with O(application_secret) and O(consumer_key). Mutually exclusive with O(client_id) and
        O(client_secret).
      - See the notes for where the credentials come from when no credential option is set.
    type: str
  application_secret:
    description:
      - The application secret (AS) of the OVHcloud API application.
    type: str
  consumer_key:
    description:
      - The consumer key (CK) that signs the calls. Its access rules must grant the calls the module makes
        (see the notes).
    type: str
  client_id:
    description:
      - The OAuth2 client ID of an OVHcloud service account, used with O(client_secret) instead of
        O(application_key), O(application_secret) and O(consumer_key).
      - OAuth2 works only with the endpoints V(ovh-eu), V(ovh-ca) and V(ovh-us).
    type: str
  client_secret:
    description:
      - The OAuth2 client secret that goes with O(client_id).
    type: str
  api_timeout:
    description:
      - Timeout in seconds of each HTTP request to the API.
    type: int
    default: 30
  api_rate_limit:
    description:
      - Maximum number of API requests per minute for one endpoint and consumer key (or OAuth2 client ID).
      - The limit is shared by every module running on the same host at the same time (for example the forks of
        one C(ansible-playbook) run) through a lock file in O(state_dir).
      - V(60) is the fair use OVHcloud advises. V(0) disables the client-side limit.
      - The time spent waiting for it is returned in RV(ignore:api_calls.rate_limit_wait_seconds).
      - When not set, the environment variable E(OVH_API_RATE_LIMIT) is used, then V(60).
    type: int
    default: 60
  api_retry_max_wait:
    description:
      - Total number of seconds to wait between retries of one read (GET) request that failed with HTTP 429,
        HTTP 5xx, a timeout or a connection error. Retries use exponential backoff with full jitter and honour
        a C(Retry-After) header. V(0) disables retries.
      - Writes (POST, PUT) are never re-sent. When the answer to a write is lost, the module re-reads the state
        or fails with error code C(OUTCOME_UNKNOWN) asking you to check the state before retrying. A write answered
        with HTTP 5xx may also have been applied (a gateway can fail after the API did the work), and the failure says so.
    type: int
    default: 60
  state_dir:
    description:
      - Directory on the host running the module for the collection's state files (rate limit bookkeeping and
        termination request records). Created with mode C(0700) when missing.
    type: path
    default: ~/.ansible/ovhcloud_mbm
  run_id:
    description:
      - Names one run made of several module runs (the role C(ovhcloud.mbm.decommission) sets one per play).
      - Module runs with the same O(run_id), endpoint and credential share through O(state_dir) the read-only facts
        that do not change during a run, instead of each reading them again. They are the API clock offset (C(GET /auth/time)),
        the account (C(GET /me)) and the credential's access rules (C(GET /auth/currentCredential)) for 5 minutes; in
        check mode also the e-mail history's id list and a service's reads, until the run writes to that service.
      - A write always reads the service and the e-mail history itself, under its lock, whatever O(run_id) says.
      - What each e-mail of the history links to (ids, dates, service ids or names, token fingerprints; never a token or
        a body) is kept in O(state_dir) with or without O(run_id), so an e-mail is read once per controller and credential.
    type: str
requirements:
  - python-ovh (the C(ovh) Python package) 1.x
notes:
  - "Credentials: the module options come first. The environment variables E(OVH_APPLICATION_KEY),
    E(OVH_APPLICATION_SECRET), E(OVH_CONSUMER_KEY), E(OVH_CLIENT_ID) and E(OVH_CLIENT_SECRET), and the python-ovh
    configuration files (C(/etc/ovh.conf), C(~/.ovh.conf), C(./ovh.conf), section named after the endpoint) are
    used only when none of the options O(application_key), O(application_secret), O(consumer_key), O(client_id)
    and O(client_secret) is set. So a host that sets O(client_id) and O(client_secret) is not mixed with
    application keys exported in the controller's environment."
  - "Incomplete credentials (for example O(application_key) without O(application_secret), or a missing
    O(consumer_key)) and mixed credentials (application keys together with OAuth2) are refused with a clear error."
  - "Access rules a least-privilege consumer key needs: C(GET /dedicatedCloud*), C(POST /dedicatedCloud/*/terminate),
    C(POST /dedicatedCloud/*/confirmTermination), C(GET /me/notification/email/history*), C(GET /services*),
    C(GET /me), C(GET /auth/currentCredential), and C(PUT /dedicatedCloud/*/serviceInfos) only to cancel a
    termination. A refused call names the missing access rule, or the missing IAM action on accounts governed by
    IAM policies."
  - Every module returns RV(ignore:api_calls), the number of HTTP requests it sent per route.
"""
