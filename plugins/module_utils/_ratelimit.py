# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client-side rate limit, shared by every process on the controller that uses the same endpoint and key.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports the standard library, ``_files`` (the state directory and the locked file) and ``_errors``.
The file is ``<state_dir>/ratelimit-<first 32 hex digits of sha256(key)>.json``: a JSON list of send times
(epoch seconds), at most ``limit`` of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import config_error
from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import DEFAULT_STATE_DIR, private_dir, update_locked

SEND_MARGIN_SECONDS = 1.0
"""Added to the window: a send is recorded when it is allowed, and reaches the API a little later (more so on a busy
controller), so without a margin a 60 s window of arrivals could hold a call or two more than the limit (measured by
tests/perf/bench_fleet.py --rate-limit)."""


class RateLimiter:
    """At most ``limit`` requests per sliding ``window`` seconds for one key, across processes.

    The send times live in a small JSON file under ``state_dir``, read and written under fcntl.flock, so
    every fork of ansible-playbook (and every thread) that uses the same endpoint and key shares one budget.
    """

    def __init__(self, limit, key, state_dir, window=60.0, clock=time.time, sleep=time.sleep):
        self.limit = int(limit)
        self.window = float(window)
        self._clock = clock
        self._sleep = sleep
        state_dir = os.path.expanduser(state_dir or DEFAULT_STATE_DIR)
        try:
            private_dir(state_dir)
        except OSError as exc:
            raise config_error(
                "Cannot create state_dir %s for the rate limit file (%s); set state_dir to a "
                "writable directory, or api_rate_limit=0" % (state_dir, exc.strerror or exc)
            ) from None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]  # the key holds a consumer key: hash it
        self.path = os.path.join(state_dir, "ratelimit-%s.json" % digest)

    def acquire(self):
        """Block until a request may be sent; record it; return the seconds waited."""
        waited = 0.0
        while True:
            wait = self._try_take()
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    def _try_take(self):
        return update_locked(self.path, self._take)

    def _take(self, text):
        """(seconds to wait, None) when the budget is spent, else (0.0, the file with this send added)."""
        now = self._clock()
        span = self.window + SEND_MARGIN_SECONDS
        sent = [t for t in _load_times(text) if now - span < t <= now + span]
        if len(sent) >= self.limit:
            # Free again when the oldest of the last `limit` sends leaves the window (and the margin).
            return sent[len(sent) - self.limit] + span - now + 0.001, None
        sent.append(now)
        return 0.0, json.dumps(sent[-self.limit :])


def _load_times(text):
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError:
        return []  # a torn or foreign file only costs us its history
    return sorted(t for t in data if isinstance(t, (int, float))) if isinstance(data, list) else []
