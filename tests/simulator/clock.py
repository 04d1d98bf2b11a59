# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's controllable clock: real time plus an offset (it flows), or frozen."""

from __future__ import annotations

import threading
import time

from .timeutil import parse_time


class Clock:
    """Simulated time in epoch seconds.

    By default the clock flows with real time from its start value; advance and set move it.
    freeze stops it (useful for exact assertions); unfreeze lets it flow again from where it is.
    """

    def __init__(self, start=None, frozen=False, real_time=time.time):
        self._real = real_time
        self._lock = threading.Lock()
        start = self._real() if start is None else float(start)
        self._offset = start - self._real()
        self._frozen_at = start if frozen else None

    def now(self):
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return self._real() + self._offset

    def advance(self, seconds):
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += float(seconds)
            else:
                self._offset += float(seconds)
        return self.now()

    def set(self, epoch):
        """Set the time: epoch seconds or an ISO 8601 date/date-time."""
        epoch = parse_time(epoch)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = float(epoch)
            else:
                self._offset = float(epoch) - self._real()
        return self.now()

    def freeze(self):
        now = self.now()
        with self._lock:
            self._frozen_at = now
        return now

    def unfreeze(self):
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._real()
                self._frozen_at = None
        return self.now()

    @property
    def frozen(self):
        return self._frozen_at is not None

    def to_dict(self):
        return {"now": self.now(), "frozen": self.frozen}
