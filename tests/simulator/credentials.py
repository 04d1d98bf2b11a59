# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials and names of the standard unit fixture (``fixtures/unit.json``); see README.md."""

from __future__ import annotations

APPLICATION_KEY = "SimAppKey0000001"
APPLICATION_SECRET = "SimAppSecret000000000000000000001"

CK_FULL = "SimCkFullAccess00000000000000001"  # account ab12345-ovh, GET/POST/PUT/DELETE /*
CK_READ_ONLY = "SimCkReadOnly0000000000000000001"  # account ab12345-ovh, GET /*
CK_PENDING = "SimCkPending00000000000000000001"  # account ab12345-ovh, pendingValidation
CK_LEAST_PRIVILEGE = "SimCkLeastPriv000000000000000001"  # account ab12345-ovh, the rules of docs/design.md section 2
CK_EXPIRED = "SimCkExpired00000000000000000001"  # account ab12345-ovh, validated but expired
CK_IAM = "SimCkIamAccount00000000000000001"  # account cd67890-ovh (IAM-governed), GET/POST/PUT/DELETE /*

NIC = "ab12345-ovh"
IAM_NIC = "cd67890-ovh"

# Services of the unit fixture by role (service name -> serviceId in SERVICE_IDS).
HEALTHY = "pcc-145-239-10-1"  # MBM, en_html e-mail, 2 datacenters, 5 VMs, healthy backups
FR_TEXT = "pcc-145-239-10-2"  # MBM, fr_text e-mail
ACCOUNT_LEVEL = "pcc-145-239-10-3"  # MBM, account-level e-mail (generic subject, cancel link first)
CA_HOST = "pcc-145-239-10-4"  # MBM, en_text e-mail on ca.ovh.com
DELAYED_EMAIL = "pcc-145-239-10-5"  # MBM, fr_html e-mail delivered 900 s after terminate
SCHEDULED = "pcc-145-239-10-6"  # MBM, renew.deleteAtExpiration true, expiration in 10 days
EPCC = "pcc-51-75-20-1"  # EPCC (not MBM)
BUSY = "pcc-145-239-10-7"  # MBM, state upgrading
EXPIRED = "pcc-145-239-10-8"  # MBM, expired: 460 on its routes
DELETED = "pcc-145-239-10-9"  # deleted: 404, /services entry resource.state deleted
DEGRADED_BACKUPS = "pcc-145-239-10-10"  # stale, failed, corrupted, missing, empty, warning and good VM backups
NO_BACKUP_DC = "pcc-145-239-10-11"  # datacenter2 has no backup option
OUT_OF_SYNC = "pcc-145-239-10-12"  # backup repository out-of-sync
REQUESTED = "pcc-145-239-10-13"  # termination requested 2 h ago: e-mail with a valid token in the history
TOKEN_EXPIRED = "pcc-145-239-10-14"  # termination requested 80 h ago: the token has expired
IAM_SERVICE = "pcc-198-51-100-1"  # MBM in the IAM-governed account

REQUESTED_TOKEN = "ValidToken0000000000000000001013"
EXPIRED_TOKEN = "ExpiredToken00000000000000001014"

SERVICE_IDS = {
    HEALTHY: 1001,
    FR_TEXT: 1002,
    ACCOUNT_LEVEL: 1003,
    CA_HOST: 1004,
    DELAYED_EMAIL: 1005,
    SCHEDULED: 1006,
    EPCC: 2001,
    BUSY: 1007,
    EXPIRED: 1008,
    DELETED: 1009,
    DEGRADED_BACKUPS: 1010,
    NO_BACKUP_DC: 1011,
    OUT_OF_SYNC: 1012,
    REQUESTED: 1013,
    TOKEN_EXPIRED: 1014,
    IAM_SERVICE: 3001,
}
