# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read-only API facts shared by the module runs of one controller (every fork of ansible-playbook, every task),
so that a fleet pays for them once, not once per module run (docs/performance.md, "Call budget").

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.
Imports the standard library and ``_files`` only; it knows nothing of the API.

One small JSON file per endpoint and credential, ``<state_dir>/shared/<first 32 hex digits of sha256(key)>.json``
(the key holds the consumer key: only its hash names the file), read and written under an exclusive flock. Each
fact is ``{"at": <local epoch seconds>, "value": ...}`` and is used only while younger than the caller's
``max_age``. What may go in: the API clock offset, the account's NIC, the credential's access rules, e-mail ids
and dates, and per e-mail the links' forms, service ids/names and token fingerprints. Never a secret, a token or
an e-mail body (``put`` refuses any value that looks like one).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time

from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import fcntl, private_dir, update_locked
from ansible_collections.ovhcloud.mbm.plugins.module_utils._secrets import SecretFound, find_secret


def _holds_secret(value, name):
    try:
        find_secret(value, name)
    except SecretFound:
        return True
    return False


def _load(text):
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}  # a torn or foreign file only costs us what it held
    return data if isinstance(data, dict) else {}


class SharedFacts(object):
    """The shared facts of one endpoint and credential. Every method is safe to call from parallel processes; any
    file error is swallowed (the caller then reads from the API, as without sharing)."""

    def __init__(self, state_dir, key, clock=time.time, run=None):
        self._clock = clock
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        self.directory = os.path.join(os.path.expanduser(state_dir), "shared")
        if run is not None:  # the facts of one run live in a folder of their own, pruned a day later (prune_runs)
            self.directory = os.path.join(self.directory, "run-%s" % hashlib.sha256(run.encode("utf-8")).hexdigest()[:16])
        self.path = os.path.join(self.directory, "%s.json" % digest)

    def _update(self, change):
        try:
            private_dir(self.directory)
            return update_locked(self.path, change)
        except (IOError, OSError):
            return None

    def get(self, name, max_age):
        """The value of fact ``name`` when it was stored less than ``max_age`` seconds ago, else None."""
        if not max_age or max_age <= 0:
            return None
        now = self._clock()

        def read(text):
            fact = _load(text).get(name)
            if isinstance(fact, dict) and isinstance(fact.get("at"), (int, float)) and 0 <= now - fact["at"] < max_age:
                return fact.get("value"), None
            return None, None

        return self._update(read)

    def put(self, name, value):
        """Store fact ``name`` (JSON-serialisable, no secret) with the current time."""
        if _holds_secret(value, name):
            return  # never: the callers hand over only ids, dates, names and fingerprints
        now = self._clock()

        def write(text):
            data = _load(text)
            data[name] = {"at": now, "value": value}
            return None, json.dumps(data, sort_keys=True)

        self._update(write)

    def merge(self, name, entries, keep=None):
        """Add ``entries`` (a dict) to the dict fact ``name`` (its time is left as it was: e.g. e-mails already read
        are facts that do not age); ``keep`` bounds how many entries are kept (the highest keys, as ints, win).
        Returns the merged dict."""
        entries = {key: item for key, item in entries.items() if not _holds_secret(item, name)}  # never: see put()

        def write(text):
            data = _load(text)
            fact = data.get(name) if isinstance(data.get(name), dict) else {}
            merged = fact.get("value") if isinstance(fact.get("value"), dict) else {}
            merged.update(entries)
            if keep is not None and len(merged) > keep:
                merged = dict(sorted(merged.items(), key=lambda item: _int_key(item[0]), reverse=True)[:keep])
            data[name] = {"at": fact.get("at", self._clock()), "value": merged}
            return merged, json.dumps(data, sort_keys=True)

        merged = self._update(write)
        return merged if merged is not None else dict(entries)

    @contextlib.contextmanager
    def exclusive(self, name):
        """Hold an exclusive lock named ``name`` (its own file) while reading a fact from the API, so that parallel
        module runs that miss it at the same moment read it once: the others wait, then find it. Without a usable
        lock file, nothing is held (each reads for itself)."""
        fd = None
        try:
            private_dir(self.directory)
            fd = os.open("%s.%s.lock" % (self.path, name), os.O_RDWR | os.O_CREAT, 0o600)
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except (IOError, OSError):
            if fd is not None:
                os.close(fd)
            fd = None
        try:
            yield
        finally:
            if fd is not None:
                os.close(fd)  # also releases the lock

    def fetch(self, name, max_age, read):
        """The fact ``name`` when younger than ``max_age``, else ``read()`` once for all parallel runs (stored unless
        it returns None)."""
        value = self.get(name, max_age)
        if value is not None:
            return value
        with self.exclusive(name):
            value = self.get(name, max_age)
            if value is None:
                value = read()
                if value is not None:
                    self.put(name, value)
        return value

    def value(self, name):
        """The value of ``name`` whatever its age (for facts that do not age), or None."""
        return self.get(name, float("inf"))


RUN_FOLDER_DAYS = 1
SERVICE_SHARED_SECONDS = 3600
"""How long a service's reads (service, serviceInfos, /services entry) made by one module run serve the read-only
uses of the same run (``run_id``) that follow: the check-mode predictions and the backup gate's service object. Any
write to the service forgets them (``forget_service_reads``), so they only ever stand for the state before this run's
first write to it."""


def shared_service_reads(client, service_name, max_age=SERVICE_SHARED_SECONDS):
    """The reads another module run of this run made of the service (a dict), or None."""
    factory = getattr(client, "run_shared_for", None)
    shared = factory("service", service_name) if factory is not None else None
    reads = shared.get("reads", max_age) if shared is not None else None
    return reads if isinstance(reads, dict) and isinstance(reads.get("dedicated_cloud"), dict) else None


def prune_runs(state_dir, keep=None, clock=time.time):
    """Remove the folders of runs not touched for RUN_FOLDER_DAYS (``keep``: a folder to leave alone). Best effort."""
    root = os.path.join(os.path.expanduser(state_dir), "shared")
    try:
        names = [name for name in os.listdir(root) if name.startswith("run-")]
    except OSError:
        return
    for name in names:
        folder = os.path.join(root, name)
        try:
            if folder == keep or clock() - os.path.getmtime(folder) < RUN_FOLDER_DAYS * 86400:
                continue
            for item in os.listdir(folder):
                os.remove(os.path.join(folder, item))
            os.rmdir(folder)
        except OSError:
            continue


def _int_key(key):
    try:
        return int(key)
    except (TypeError, ValueError):
        return -1
