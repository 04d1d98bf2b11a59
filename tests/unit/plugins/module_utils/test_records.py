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
    paths = {
        one.path("pcc-1"),
        one.path("pcc-2"),
        _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK2").path("pcc-1"),
        _records.RequestRecords(str(tmp_path), "https://ca.api.ovh.com/1.0", "CK1").path("pcc-1"),
    }
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


@pytest.mark.parametrize(
    "credentials, file_name",
    [
        ({"application_key": "ak", "application_secret": "as", "consumer_key": "MyConsumerKey0123"}, "pcc-192-0-2-1-fa2f738431e87be54737.json"),
        ({"client_id": "cid-0123", "client_secret": "cs"}, "pcc-192-0-2-1-fdddd2a60bcbccdae1ca.json"),
    ],
)
def test_record_path_of_a_client_is_todays(credentials, file_name):
    # Records written before OvhClient.record_identity existed must still be found: today's path is pinned.
    client = OvhClient(endpoint="ovh-eu", api_rate_limit=0, environ={}, config_paths=[], **credentials)
    assert client.record_identity == ("https://eu.api.ovh.com/1.0", credentials.get("consumer_key") or credentials["client_id"])
    records = _records.records_for_client(client, "/srv/state")
    assert records.legacy_path("pcc-192-0-2-1") == "/srv/state/termination/" + file_name


def _account_records(state_dir, endpoint="https://eu.api.ovh.com/1.0", credential="CK1", nic="ab12345-ovh"):
    return _records.RequestRecords(str(state_dir), endpoint, credential, nic=nic)


def test_the_account_key_survives_a_new_key_an_upper_case_host_and_a_nic_spelling(tmp_path):
    # issue 9: keyed on the lower-cased API base URL, the account's NIC and the service
    first = _account_records(tmp_path)
    first.update("pcc-1", "request", sent_at=_time.format_time(NOW - 60), outcome="accepted", query_id="Q1")
    for other in (
        _account_records(tmp_path, credential="CK2"),
        _account_records(tmp_path, endpoint="https://EU.API.OVH.COM/1.0/"),
        _account_records(tmp_path, credential="client-id", nic="AB12345-OVH"),
    ):
        assert other.load("pcc-1")["request"]["query_id"] == "Q1"
        assert other.path("pcc-1") == first.path("pcc-1") and other.legacy_path("pcc-1") != first.legacy_path("pcc-1")
    assert _account_records(tmp_path, credential="CK9", nic="zz999-ovh").load("pcc-1") == {}  # another account: not ours
    assert first.load("pcc-1")["account"] == "ab12345-ovh"


def test_a_relative_state_dir_is_resolved_once(tmp_path, monkeypatch):
    # a relative state_dir resolved from another working directory later in the run must not lose the record
    monkeypatch.chdir(tmp_path)
    records = _account_records("state")
    assert records.state_dir == str(tmp_path / "state")
    note = records.key_note()
    assert "is relative" in note and str(tmp_path / "state") in note and records.key_note() is None
    records.update("pcc-1", "request", sent_at=_time.format_time(NOW - 60), outcome="sending")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert records.load("pcc-1")["request"]["outcome"] == "sending"
    assert os.path.exists(str(tmp_path / "state" / "termination")) and not os.path.exists(str(elsewhere / "state"))


def test_todays_files_are_still_read_and_written(tmp_path):
    # a record written by an earlier version (today's name only) is found by the account key's records, and
    # every write also goes to today's name, so a run that cannot read GET /me still finds it
    legacy = _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK1")
    legacy.update("pcc-1", "request", sent_at=_time.format_time(NOW - 600), outcome="accepted", query_id="OLD", updated_at=_time.format_time(NOW - 600))
    upgraded = _account_records(tmp_path)
    assert upgraded.load("pcc-1")["request"]["query_id"] == "OLD"
    upgraded.update("pcc-1", "confirm", sent_at=_time.format_time(NOW), outcome="unknown", updated_at=_time.format_time(NOW))
    assert os.path.exists(upgraded.account_path("pcc-1"))
    assert legacy.load("pcc-1")["confirm"]["outcome"] == "unknown" and legacy.load("pcc-1")["request"]["query_id"] == "OLD"


def test_each_section_comes_from_the_file_updated_last(tmp_path):
    # a run without GET /me wrote today's file only: a later run with the account key must not read the older copy
    both = _account_records(tmp_path)
    both.update("pcc-1", "request", sent_at=_time.format_time(NOW - 7200), outcome="accepted", query_id="FIRST", updated_at=_time.format_time(NOW - 7200))
    _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK1").update(
        "pcc-1", "request", sent_at=_time.format_time(NOW - 60), outcome="sending", query_id=None, updated_at=_time.format_time(NOW - 60)
    )
    assert _account_records(tmp_path).load("pcc-1")["request"]["outcome"] == "sending"


def test_an_unreadable_nic_falls_back_to_todays_key_and_says_so(tmp_path):
    calls = []

    def no_nic():
        calls.append(1)
        return None, "403 NOT_GRANTED_CALL"

    records = _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK1", nic=no_nic)
    assert records.paths("pcc-1") == [records.legacy_path("pcc-1")]
    note = records.key_note()
    assert "403 NOT_GRANTED_CALL" in note and "keyed by the endpoint and the credential" in note
    assert records.key_note() is None and calls == [1]  # said once, asked once
    assert _records.RequestRecords(str(tmp_path), "e", "c").key_note() is None  # no NIC asked for: nothing to say


def test_the_lock_covers_both_keys(tmp_path):
    records = _account_records(tmp_path)
    with records.lock("pcc-1", 1):
        other_key = _account_records(tmp_path, credential="CK2")
        with pytest.raises(TerminationError) as err:
            with other_key.lock("pcc-1", 0, sleep=lambda s: None):
                pass
        assert err.value.kind == "locked"
        same_key_no_nic = _records.RequestRecords(str(tmp_path), "https://eu.api.ovh.com/1.0", "CK1")
        with pytest.raises(TerminationError):
            with same_key_no_nic.lock("pcc-1", 0, sleep=lambda s: None):
                pass
