# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client-side rate limit: sliding window, per endpoint and key, shared across processes by a lock file."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError, OvhClient, RateLimiter
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import (
    FakeTime, ex, make_response, scripted_client, time_ex)


def test_third_request_in_the_window_waits_for_the_oldest_to_leave(tmp_path):
    fake_time = FakeTime(start=1000.0)
    client, session, dummy = scripted_client([time_ex(), ex("GET", "/me", {}), ex("GET", "/me", {})], tmp_path,
                                             fake_time=fake_time, api_rate_limit=2)
    client.get("/me")
    assert fake_time.sleeps == []
    client.get("/me")
    session.assert_done()
    assert len(fake_time.sleeps) == 1 and fake_time.sleeps[0] == pytest.approx(60.0, abs=0.01)
    assert client.api_calls["rate_limit_wait_seconds"] == pytest.approx(60.0, abs=0.01)
    assert client.api_calls["retries"] == 0


def test_state_dir_and_file_are_private(tmp_path):
    state = tmp_path / "deep" / "state"
    client, dummy, dummy2 = scripted_client([], tmp_path, api_rate_limit=5, state_dir=str(state))
    client._limiter.acquire()
    assert stat.S_IMODE(os.stat(str(state)).st_mode) == 0o700
    files = os.listdir(str(state))
    assert len(files) == 1 and files[0].startswith("ratelimit-")
    assert stat.S_IMODE(os.stat(str(state / files[0])).st_mode) == 0o600
    assert "CK-secret-value" not in files[0]  # the key is hashed into the name


def test_zero_disables_the_limit_and_writes_nothing(tmp_path):
    state = tmp_path / "state"
    client, session, fake_time = scripted_client([time_ex()] + [ex("GET", "/me", {}) for dummy in range(5)], tmp_path,
                                                 api_rate_limit=0, state_dir=str(state))
    for dummy in range(5):
        client.get("/me")
    session.assert_done()
    assert fake_time.sleeps == [] and not state.exists()


def test_budget_is_per_endpoint_and_consumer_key(tmp_path):
    fake_time = FakeTime()
    state = str(tmp_path / "state")
    first = RateLimiter(1, "https://eu.api.ovh.com/1.0|ck-1", state, clock=fake_time.clock, sleep=fake_time.sleep)
    other_key = RateLimiter(1, "https://eu.api.ovh.com/1.0|ck-2", state, clock=fake_time.clock, sleep=fake_time.sleep)
    other_endpoint = RateLimiter(1, "https://ca.api.ovh.com/1.0|ck-1", state, clock=fake_time.clock, sleep=fake_time.sleep)
    same = RateLimiter(1, "https://eu.api.ovh.com/1.0|ck-1", state, clock=fake_time.clock, sleep=fake_time.sleep)
    assert first.acquire() == 0
    assert other_key.acquire() == 0
    assert other_endpoint.acquire() == 0
    assert same.acquire() == pytest.approx(60.0, abs=0.01)  # a second client (another fork) shares the budget


def test_two_clients_with_the_same_key_share_the_budget(tmp_path):
    fake_time = FakeTime()
    state = str(tmp_path / "state")
    first, s1, dummy = scripted_client([time_ex(), ex("GET", "/me", {})], tmp_path, fake_time=fake_time,
                                       api_rate_limit=3, state_dir=state)
    second, s2, dummy = scripted_client([time_ex(), ex("GET", "/me", {})], tmp_path, fake_time=fake_time,
                                        api_rate_limit=3, state_dir=state)
    first.get("/me")
    second.get("/me")
    s1.assert_done()
    s2.assert_done()
    assert first.api_calls["rate_limit_wait_seconds"] == 0
    assert second.api_calls["rate_limit_wait_seconds"] == pytest.approx(60.0, abs=0.01)


def test_corrupt_state_file_is_tolerated(tmp_path):
    fake_time = FakeTime()
    limiter = RateLimiter(2, "k", str(tmp_path), clock=fake_time.clock, sleep=fake_time.sleep)
    with open(limiter.path, "w", encoding="utf-8") as handle:
        handle.write("{not json")
    assert limiter.acquire() == 0
    assert limiter.acquire() == 0
    assert limiter.acquire() > 0


def test_unusable_state_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OvhApiError) as info:
        scripted_client([], tmp_path, api_rate_limit=5, state_dir=str(blocker / "sub"))
    assert "state_dir" in str(info.value) and "api_rate_limit=0" in str(info.value)


# -- across processes --------------------------------------------------------------------------------

LIMIT = 5
WINDOW = 0.5
PER_PROCESS = 4


class TimingSession:
    """Answers every request and records when it was sent."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.times = []

    def request(self, method, url, headers=None, data=None, timeout=None):
        self.times.append(time.time())
        if url.endswith("/auth/time"):
            return make_response(200, int(time.time()))
        return make_response(200, {})


def _child(state_dir, queue):
    client = OvhClient(endpoint="ovh-eu", application_key="ak", application_secret="as", consumer_key="ck",
                       api_rate_limit=LIMIT, rate_limit_window=WINDOW, state_dir=state_dir, environ={}, config_paths=[])
    session = TimingSession(client.base_url)
    client._ovh._session = session
    for dummy in range(PER_PROCESS):
        client.get("/me")
    queue.put(session.times)


def test_processes_share_one_budget_through_the_lock_file(tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_child, args=(str(tmp_path / "state"), queue)) for dummy in range(3)]
    for process in processes:
        process.start()
    times = []
    for dummy in processes:
        times.extend(queue.get(timeout=60))
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    times.sort()
    assert len(times) == 3 * (PER_PROCESS + 1)  # each process also asked /auth/time
    # No sliding window holds more than LIMIT sends (small slack: the send is recorded just after the slot is taken).
    for index in range(len(times) - LIMIT):
        assert times[index + LIMIT] - times[index] >= WINDOW - 0.15, times
    assert times[-1] - times[0] >= (len(times) // LIMIT - 1) * WINDOW - 0.15


def test_waits_accumulate_over_windows(tmp_path):
    fake_time = FakeTime()
    client, session, dummy = scripted_client([time_ex()] + [ex("GET", "/me", {}) for dummy in range(4)], tmp_path,
                                             fake_time=fake_time, api_rate_limit=2)
    for dummy in range(4):
        client.get("/me")
    session.assert_done()
    # sends at 1000, 1000 | 1060, 1060 | 1120: two waits of one window each
    assert client.api_calls["total"] == 5
    assert client.api_calls["rate_limit_wait_seconds"] == pytest.approx(120.0, abs=0.01)
    assert [round(s) for s in fake_time.sleeps] == [60, 60]
