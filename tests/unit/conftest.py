# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pytest fixtures: a running OVHcloud API simulator and module auth arguments for it.

Kept light on purpose: nothing from plugins/ is imported here.
"""

from __future__ import annotations

import pytest

from ansible_collections.ovhcloud.mbm.tests.simulator import Simulator, credentials


@pytest.fixture
def sim():
    """A simulator started on the standard unit fixture, stopped after the test."""
    simulator = Simulator("unit")
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def sim_factory():
    """``sim_factory(fixture="unit", **options)`` starts a simulator (dict, path or fixture name); all stop after the test."""
    started = []

    def factory(fixture="unit", **options):
        simulator = Simulator(fixture)
        if options:
            simulator.set_options(**options)
        simulator.start()
        started.append(simulator)
        return simulator

    try:
        yield factory
    finally:
        for simulator in started:
            simulator.stop()


@pytest.fixture
def api_args(tmp_path):
    """``api_args(sim, consumer_key=CK_FULL, **extra)`` -> module auth arguments pointing at ``sim``."""
    state_dir = tmp_path / "mbm_state"

    def make(simulator, consumer_key=credentials.CK_FULL, **extra):
        args = {
            "endpoint": simulator.url,
            "application_key": credentials.APPLICATION_KEY,
            "application_secret": credentials.APPLICATION_SECRET,
            "consumer_key": consumer_key,
            "api_rate_limit": 0,
            "state_dir": str(state_dir),
        }
        args.update(extra)
        return args

    return make


@pytest.fixture
def ovh_client():
    """``ovh_client(sim, consumer_key=CK_FULL, application_secret=...)`` -> an unmodified python-ovh client on ``sim``.

    After moving the simulator clock, call ``client._time_delta = None`` (python-ovh caches the server time offset).
    """
    import ovh  # pylint: disable=import-outside-toplevel

    def make(simulator, consumer_key=credentials.CK_FULL, application_key=credentials.APPLICATION_KEY, application_secret=credentials.APPLICATION_SECRET):
        client = ovh.Client(endpoint="ovh-eu", application_key=application_key, application_secret=application_secret, consumer_key=consumer_key)
        client._endpoint = simulator.url  # pylint: disable=protected-access
        return client

    return make
