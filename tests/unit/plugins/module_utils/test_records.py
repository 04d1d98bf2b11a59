# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller-side request records (_records)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _records, _status, _time
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.termination_data import NOW, facts


def test_records_are_private_atomic_and_hold_no_credential(tmp_path):
    records = _records.RequestRecords(str(tmp_path / "state"), "http://127.0.0.1:1/1.0", "SecretConsumerKey123")
    records.update("pcc-1", "request", service_id=1001, sent_at="2026-11-20T10:00:00Z", outcome="sending")
    records.update("pcc-1", "request", outcome="accepted", query_id="Q1")
    path = records.path("pcc-1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    text = open(path).read()
    assert "SecretConsumerKey123" not in text and "SecretConsumerKey123" not in path
    data = records.load("pcc-1")
    assert data["request"] == {"sent_at": "2026-11-20T10:00:00Z", "outcome": "accepted", "query_id": "Q1"}
    assert data["service_id"] == 1001
    assert [name for name in os.listdir(os.path.dirname(path)) if name.startswith(".tmp")] == []


def test_records_are_per_endpoint_credential_and_service(tmp_path):
    one = _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK1")
    paths = {one.path("pcc-1"), one.path("pcc-2"), _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK2").path("pcc-1"),
             _records.RequestRecords(str(tmp_path), "https://ca.api.ovh.com/1.0", "CK1").path("pcc-1")}
    assert len(paths) == 4


def test_missing_record_reads_as_none(tmp_path):
    assert _records.RequestRecords(str(tmp_path), "e", "c").load("pcc-1") == {}
    assert _records.RequestRecords(None, "e", "c").load("pcc-1") == {}


@pytest.mark.parametrize("content", ["{torn", "[]", ""])
def test_unreadable_record_fails_closed(tmp_path, content):
    # Reading a damaged record as "no record" could let a second terminate go out during the e-mail wait.
    records = _records.RequestRecords(str(tmp_path), "e", "c")
    os.makedirs(os.path.dirname(records.path("pcc-1")))
    with open(records.path("pcc-1"), "w") as handle:
        handle.write(content)
    with pytest.raises(TerminationError) as err:
        records.load("pcc-1")
    assert err.value.kind == "invalid" and "nothing was written" in err.value.msg
    with pytest.raises(TerminationError):
        records.update("pcc-1", "request", outcome="sending")


def test_records_refuse_to_write_without_a_state_dir():
    with pytest.raises(TerminationError) as err:
        _records.RequestRecords("", "e", "c").update("pcc-1", "request", outcome="sending")
    assert err.value.kind == "invalid" and "state_dir" in err.value.msg


def test_record_survives_a_kill_between_sending_and_the_answer(tmp_path):
    # A run killed after writing "sending" leaves a record that reads as a pending request, then as overdue.
    records = _records.RequestRecords(str(tmp_path), "e", "c")
    records.update("pcc-1", "request", sent_at=_time.format_time(NOW - 60), outcome="sending", query_id=None)
    fresh = _records.RequestRecords(str(tmp_path), "e", "c").load("pcc-1")
    assert _status.decide_status(facts(record=fresh), NOW)["status"] == "request_pending"
    later = _status.decide_status(facts(record=fresh), NOW + _status.EMAIL_WAIT_SECONDS)
    assert later["status"] == "active" and later["request_overdue"] is True


@pytest.mark.parametrize("credentials, file_name", [
    ({"application_key": "ak", "application_secret": "as", "consumer_key": "MyConsumerKey0123"}, "pcc-192-0-2-1-fa2f738431e87be54737.json"),
    ({"client_id": "cid-0123", "client_secret": "cs"}, "pcc-192-0-2-1-fdddd2a60bcbccdae1ca.json"),
])
def test_record_path_of_a_client_is_todays(credentials, file_name):
    # Records written before OvhClient.record_identity existed must still be found: the path is pinned.
    client = OvhClient(endpoint="ovh-eu", api_rate_limit=0, environ={}, config_paths=[], **credentials)
    assert client.record_identity == ("https://eu.api.ovh.com/1.0", credentials.get("consumer_key") or credentials["client_id"])
    records = _records.records_for_client(client, "/srv/state")
    assert records.path("pcc-192-0-2-1") == "/srv/state/termination/" + file_name
