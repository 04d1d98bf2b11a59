# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared data of the termination rooms' unit tests: the API clock, tokens, e-mails and service facts."""

from __future__ import annotations

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _emails, _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import token_fingerprint

NOW = _time.parse_api_time("2026-11-20T10:00:00Z")
HOUR = 3600.0
TOKEN = "AbCdEf0123456789AbCdEf0123456789"
OTHER_TOKEN = "ZyXwVu9876543210ZyXwVu9876543210"


def link(service_id, token, host="www.ovh.com", amp="&"):
    return "https://%s/manager/#/billing/confirmTerminate?id=%s%stoken=%s" % (host, service_id, amp, token)


def email(email_id, body, date="2026-11-20T08:00:00+00:00", subject="Deleting your Managed Bare Metal"):
    return {"id": email_id, "date": date, "subject": subject, "body": body}


def dc(state="delivered", ref="MBM"):
    return {"serviceName": "pcc-1", "state": state, "productReference": ref}


def infos(delete_at_expiration=False, expiration="2026-12-10"):
    return {"serviceId": 1001, "expiration": expiration, "renew": {"automatic": True, "deleteAtExpiration": delete_at_expiration}}


def entry(state="active", termination_date=None):
    return {
        "serviceId": 1001,
        "resource": {"name": "pcc-1", "state": state},
        "billing": {"lifecycle": {"current": {"state": "active", "pendingActions": [], "terminationDate": termination_date}}},
    }


def mail_at(age_hours, email_id=50, token=TOKEN):
    return _emails.TerminationEmail(email_id, NOW - age_hours * HOUR, "subject", 1001, token_fingerprint(token))


def facts(**kw):
    base = {
        "service_name": "pcc-1",
        "dedicated_cloud": dc(),
        "dedicated_cloud_error": None,
        "service_infos": infos(),
        "service": entry(),
        "emails": [],
        "record": {},
    }
    base.update(kw)
    return base


def decide(**kw):
    return _status.decide_status(facts(**kw), NOW)


def record(request_age_hours=None, outcome="accepted", confirm=None):
    rec = {}
    if request_age_hours is not None:
        rec["request"] = {"sent_at": _time.format_time(NOW - request_age_hours * HOUR), "outcome": outcome, "query_id": "Q1"}
    if confirm:
        rec["confirm"] = confirm
    return rec
