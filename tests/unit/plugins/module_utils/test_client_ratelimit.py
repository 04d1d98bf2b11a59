# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client-side rate limit: sliding window, per endpoint and key, shared across processes by a lock file."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhClient
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._ratelimit import RateLimiter
from ansible_collections.ovhcloud.mbm.tests.unit.plugins.module_utils.fake_ovh import FakeTime, ex, make_response, scripted_client, time_ex


def test_third_request_in_the_window_waits_for_the_oldest_to_leave(tmp_path):
    fake_time = FakeTime(start=1000.0)
    client, session, dummy = scripted_client([time_ex(), ex("GET", "/me", {}), ex("GET", "/me", {})], tmp_path, fake_time=fake_time, api_rate_limit=2)
    client.get("/me")
    assert fake_time.sleeps == []
    client.get("/me")
    session.assert_done()
    assert len(fake_time.sleeps) == 1 and fake_time.sleeps[0] == pytest.approx(61.0, abs=0.01)  # the window and the margin
    assert client.api_calls["rate_limit_wait_seconds"] == pytest.approx(61.0, abs=0.01)
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


def test_file_name_and_format_are_stable(tmp_path):
    """Records of earlier versions stay shared: the name hashes "<base URL>|<consumer key>", the content is a JSON list."""
    state = tmp_path / "state"
    fake_time = FakeTime(1700000000.5)
    client, dummy, dummy2 = scripted_client([], tmp_path, fake_time=fake_time, api_rate_limit=2, state_dir=str(state))
    key = "https://eu.api.ovh.com/1.0|CK-secret-value"
    name = "ratelimit-%s.json" % hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    assert client._limiter.path == str(state / name)
    (state / name).write_text("[1699999990.0, 1699999999]", encoding="utf-8")  # written by an earlier run
    assert client._limiter.acquire() == pytest.approx(50.501)  # the earlier sends count
    assert json.loads((state / name).read_text(encoding="utf-8")) == [1699999999, pytest.approx(1700000050.001)]


def test_zero_disables_the_limit_and_writes_nothing(tmp_path):
    state = tmp_path / "state"
    client, session, fake_time = scripted_client([time_ex()] + [ex("GET", "/me", {}) for dummy in range(5)], tmp_path, api_rate_limit=0, state_dir=str(state))
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
    assert same.acquire() == pytest.approx(61.0, abs=0.01)  # a second client (another fork) shares the budget


def test_two_clients_with_the_same_key_share_the_budget(tmp_path):
    fake_time = FakeTime()
    state = str(tmp_path / "state")
    first, s1, dummy = scripted_client([time_ex(), ex("GET", "/me", {})], tmp_path, fake_time=fake_time, api_rate_limit=3, state_dir=state)
    second, s2, dummy = scripted_client([time_ex(), ex("GET", "/me", {})], tmp_path, fake_time=fake_time, api_rate_limit=3, state_dir=state)
    first.get("/me")
    second.get("/me")
    s1.assert_done()
    s2.assert_done()
    assert first.api_calls["rate_limit_wait_seconds"] == 0
    assert second.api_calls["rate_limit_wait_seconds"] == pytest.approx(61.0, abs=0.01)


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
# Deterministic: every process runs on the same frozen clock, and "sleeping" (the limiter asking to wait) ends
# the process's run. So exactly LIMIT requests may be sent in total, whatever the interleaving, if and only if
# the processes share one budget and take it atomically (a lost update under the lock file would let more pass).

LIMIT = 40
PROCESSES = 4
PER_PROCESS = LIMIT + 1  # more than the whole budget: every process must end up blocked, whoever runs first


class Blocked(Exception):
    """Raised by the fake sleep: the limiter asked this process to wait."""


def _frozen_clock():
    return 5000.0


def _block(seconds):
    raise Blocked(seconds)


class CountingSession:
    """Answers every request and counts them."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.sent = 0

    def request(self, method, url, headers=None, data=None, timeout=None):
        self.sent += 1
        if url.endswith("/auth/time"):
            return make_response(200, 1700000000)
        return make_response(200, {})


def _child(state_dir, start, queue):
    client = OvhClient(
        endpoint="ovh-eu",
        application_key="ak",
        application_secret="as",
        consumer_key="ck",
        api_rate_limit=LIMIT,
        state_dir=state_dir,
        clock=_frozen_clock,
        sleep=_block,
        environ={},
        config_paths=[],
    )
    session = CountingSession(client.base_url)
    client._ovh._session = session
    start.wait(30)  # all processes begin together, to make them contend for the lock
    waited = None
    try:
        for dummy in range(PER_PROCESS):
            client.get("/me")
    except Blocked as exc:
        waited = exc.args[0]
    queue.put((session.sent, waited))


def test_processes_share_one_budget_through_the_lock_file(tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start = context.Event()
    processes = [context.Process(target=_child, args=(str(tmp_path / "state"), start, queue)) for dummy in range(PROCESSES)]
    for process in processes:
        process.start()
    start.set()
    results = [queue.get(timeout=60) for dummy in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sum(sent for sent, dummy in results) == LIMIT  # every request of every process counts, /auth/time too
    # every process was eventually told to wait one full window (the clock is frozen at the time of every send)
    assert [waited for dummy, waited in results] == [pytest.approx(61.0, abs=0.01)] * PROCESSES


def test_a_process_started_later_waits_for_the_budget_of_the_earlier_ones(tmp_path):
    state = str(tmp_path / "state")
    fake_time = FakeTime(start=2000.0)
    first = RateLimiter(3, "https://eu.api.ovh.com/1.0|ck", state, clock=fake_time.clock, sleep=fake_time.sleep)
    for dummy in range(3):
        assert first.acquire() == 0
    fake_time.now += 20.0
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def later():
        limiter = RateLimiter(3, "https://eu.api.ovh.com/1.0|ck", state, clock=lambda: 2020.0, sleep=_block)
        try:
            limiter.acquire()
            queue.put(None)
        except Blocked as exc:
            queue.put(exc.args[0])

    process = context.Process(target=later)
    process.start()
    waited = queue.get(timeout=60)
    process.join(timeout=60)
    assert waited == pytest.approx(41.0, abs=0.01)  # the oldest send (t=2000) leaves the 60 s window (+1 s margin) at t=2061


def test_waits_accumulate_over_windows(tmp_path):
    fake_time = FakeTime()
    client, session, dummy = scripted_client([time_ex()] + [ex("GET", "/me", {}) for dummy in range(4)], tmp_path, fake_time=fake_time, api_rate_limit=2)
    for dummy in range(4):
        client.get("/me")
    session.assert_done()
    # sends at 1000, 1000 | 1061, 1061 | 1122: two waits of one window (and its 1 s margin) each
    assert client.api_calls["total"] == 5
    assert client.api_calls["rate_limit_wait_seconds"] == pytest.approx(122.0, abs=0.01)
    assert [round(s) for s in fake_time.sleeps] == [61, 61]
