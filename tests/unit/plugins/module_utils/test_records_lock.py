# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two runs writing for one service at once: the per-service lock lets only one terminate out."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _records, _request, _runtime, _state
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.tests.simulator import credentials as C

TERMINATE = "POST /dedicatedCloud/{serviceName}/terminate"


def runtime_for(sim, state_dir, check_mode=False):
    client = OvhClient(
        endpoint=sim.url,
        application_key=C.APPLICATION_KEY,
        application_secret=C.APPLICATION_SECRET,
        consumer_key=C.CK_FULL,
        api_rate_limit=0,
        state_dir=state_dir,
    )
    return _runtime.Runtime(client, _state.Settings(request_from_day=1), records=_records.records_for_client(client, state_dir), check_mode=check_mode)


def test_two_simultaneous_requests_send_one_terminate(sim, tmp_path):
    # both runs would read "no request" before either writes its record, without the lock
    sim.add_fault("GET /dedicatedCloud/{serviceName}", latency=1, count=2)
    results, errors = [], []

    def run():
        try:
            results.append(_request.request_termination(runtime_for(sim, str(tmp_path)), C.DELAYED_EMAIL))
        except Exception as err:  # pylint: disable=broad-except  # reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _attempt in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sim.calls()[TERMINATE] == 1
    assert sorted(result["changed"] for result in results) == [False, True]
    assert {result["termination"]["status"] for result in results} == {"request_pending"}


def test_a_lock_held_too_long_fails_without_writing(sim, tmp_path):
    holder = _records.records_for_client(runtime_for(sim, str(tmp_path)).client, str(tmp_path))
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    with holder.lock(C.HEALTHY, 5):
        with pytest.raises(TerminationError) as err:
            with holder.lock(C.HEALTHY, 3, sleep=sleep, monotonic=lambda: clock[0]):
                pass  # pragma: no cover - never entered
    assert err.value.kind == "locked" and "Another run" in err.value.msg
    with holder.lock(C.HEALTHY, 1):  # released with its holder
        pass
    assert sim.calls().get(TERMINATE, 0) == 0


def test_check_mode_takes_no_lock_and_makes_no_file(sim, tmp_path):
    result = _request.request_termination(runtime_for(sim, str(tmp_path / "state"), check_mode=True), C.HEALTHY)
    assert result["changed"] and not (tmp_path / "state" / "termination").exists()


def test_a_parallel_run_creating_the_state_dir_first_is_no_error(sim, tmp_path, monkeypatch):
    # two forks both see no directory, then both create it: the second must not fail
    records = _records.records_for_client(runtime_for(sim, str(tmp_path)).client, str(tmp_path))
    os_path_isdir = _records.os.path.isdir
    with records.lock(C.HEALTHY, 1):
        pass  # the directory exists now
    answers = []

    def isdir_racing(path):
        # the module's own check says "missing" (another run creates it right after); os.makedirs then sees it
        answers.append(path)
        return os_path_isdir(path) if len(answers) % 2 == 0 else False

    monkeypatch.setattr(_records.os.path, "isdir", isdir_racing)
    with records.lock(C.HEALTHY, 1):
        records.update(C.HEALTHY, "request", outcome="unknown")
    monkeypatch.setattr(_records.os.path, "isdir", os_path_isdir)
    assert answers  # the race was exercised
    assert records.load(C.HEALTHY)["request"]["outcome"] == "unknown"
