# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""send_write (_runtime): the one path of every write: record sending, send once, settle the outcome, record it."""

from __future__ import annotations

import json

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _records, _runtime, _state
from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError, WriteResult
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import NOW, TOKEN

SN = "pcc-1"


class WriteClient:
    """Answers one write with ``answer`` (a WriteResult, or an OvhApiError raised); notes what the record read
    while the write was on its way."""

    def __init__(self, answer, records=None):
        self.answer = answer
        self.records = records
        self.sent = []
        self.record_during_call = None
        self.clock_reads = 0

    def now(self):
        self.clock_reads += 1
        return NOW + self.clock_reads

    def _write(self, method, template, body=None, **params):
        self.sent.append((method, template, body, params))
        if self.records is not None:
            self.record_during_call = self.records.load(SN)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def post(self, template, body=None, **params):
        return self._write("POST", template, body=body, **params)

    def put(self, template, body=None, **params):
        return self._write("PUT", template, body=body, **params)


def runtime(tmp_path, answer, with_records=True):
    records = _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK") if with_records else None
    client = WriteClient(answer, records)
    return _runtime.Runtime(client, _state.Settings(), records=records), client


def test_an_accepted_write_is_recorded_as_sending_first_then_accepted(tmp_path):
    rt, client = runtime(tmp_path, WriteResult("ok", "EU.ext-1.Q1", 200))
    entry, err = _runtime.send_write(rt, "POST", routes.TERMINATE, SN, section="request", service_id=1001)
    assert err is None
    assert client.sent == [("POST", routes.TERMINATE, None, {"serviceName": SN})]
    assert client.record_during_call["request"]["outcome"] == "sending" and client.record_during_call["request"]["query_id"] is None
    record = rt.records.load(SN)
    assert record["service_id"] == 1001 and record["service_name"] == SN and record["version"] == 1
    assert record["request"] == {
        "sent_at": "2026-11-20T10:00:01Z",
        "outcome": "accepted",
        "query_id": "EU.ext-1.Q1",
        "updated_at": "2026-11-20T10:00:02Z",
        "retry": False,
    }
    assert entry == {
        "method": "POST",
        "path": "/dedicatedCloud/%s/terminate" % SN,
        "query_id": "EU.ext-1.Q1",
        "at": "2026-11-20T10:00:01Z",
        "outcome": "accepted",
        "retry": False,
    }


@pytest.mark.parametrize(
    "error, outcome",
    [
        (OvhApiError("Bad token", status=400, query_id="Q400"), "refused"),
        (OvhApiError("Forbidden", status=403, error_code="NOT_GRANTED_CALL", query_id="Q403"), "refused"),
        (OvhApiError("Bad gateway", status=502, query_id="Q502"), "unknown"),
        (OvhApiError("lost", error_code="OUTCOME_UNKNOWN", outcome_unknown=True), "unknown"),
    ],
)
def test_a_failed_write_settles_refused_or_unknown_and_is_recorded(tmp_path, error, outcome):
    rt, dummy = runtime(tmp_path, error)
    entry, err = _runtime.send_write(rt, "POST", routes.CONFIRM, SN, section="confirm", service_id=1001, body={"token": TOKEN}, email_id=7)
    assert err is error and entry["outcome"] == outcome and entry["query_id"] == error.query_id
    confirm = rt.records.load(SN)["confirm"]
    assert confirm["outcome"] == outcome and confirm["query_id"] == error.query_id and confirm["email_id"] == 7


def test_the_secret_is_scrubbed_before_anyone_reads_the_error(tmp_path):
    echo = OvhApiError("Invalid token %s" % TOKEN, status=400, path="/x?token=" + TOKEN, details={"token": TOKEN}, query_id="Q1")
    rt, client = runtime(tmp_path, echo)
    entry, err = _runtime.send_write(rt, "POST", routes.CONFIRM, SN, section="confirm", secret=TOKEN, body={"token": TOKEN})
    assert client.sent[0][2] == {"token": TOKEN}  # the token is sent, never shown
    assert TOKEN not in str(err) and TOKEN not in json.dumps(err.to_failure()) and TOKEN not in json.dumps(err.details)
    assert "********" in err.message and entry["outcome"] == "refused"
    assert TOKEN not in open(rt.records.path(SN)).read()


def test_a_write_without_a_section_keeps_no_record(tmp_path):
    rt, client = runtime(tmp_path, WriteResult(None, "QPUT", 200))
    entry, err = _runtime.send_write(rt, "PUT", routes.SERVICE_INFOS, SN, body={"renew": {"deleteAtExpiration": False}})
    assert err is None and entry["outcome"] == "accepted" and entry["method"] == "PUT"
    assert client.sent == [("PUT", routes.SERVICE_INFOS, {"renew": {"deleteAtExpiration": False}}, {"serviceName": SN})]
    assert rt.records.load(SN) == {} and client.clock_reads == 1


def test_without_records_the_write_is_still_settled(tmp_path):
    rt, client = runtime(tmp_path, OvhApiError("Bad gateway", status=503, query_id="Q503"), with_records=False)
    entry, err = _runtime.send_write(rt, "POST", routes.TERMINATE, SN, section="request")
    assert entry["outcome"] == "unknown" and err.status == 503 and client.clock_reads == 1
