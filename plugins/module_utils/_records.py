# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller-side request record (docs/design.md section 5) and its per-service lock.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports only _termination_errors. The file names and the JSON format are a contract: records written by an
earlier version must still be read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import tempfile
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writes are then not serialised between runs
    fcntl = None

from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError


_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


class RequestRecords(object):
    """One small JSON file per endpoint, credential and service under ``state_dir``.

    The credential (consumer key or OAuth2 client id) is only hashed into the file name, never stored.
    Files are written atomically (temporary file + rename) with mode 0600, in a directory made 0700.
    Content: ``{version, service_name, service_id, endpoint, request: {sent_at, outcome, query_id, updated_at},
    confirm: {sent_at, outcome, query_id, email_id, updated_at}}`` with outcomes ``sending`` (written before
    the call: a run killed there reads as unknown), ``accepted``, ``unknown`` (response lost), ``refused``.
    """

    def __init__(self, state_dir, endpoint, credential):
        self.state_dir = os.path.expanduser(state_dir) if state_dir else None
        self.endpoint = endpoint or ""
        self.credential = credential or ""

    def path(self, service_name):
        digest = hashlib.sha256(("%s\0%s\0%s" % (self.endpoint, self.credential, service_name)).encode("utf-8")).hexdigest()[:20]
        return os.path.join(self.state_dir, "termination", "%s-%s.json" % (_SAFE_NAME_RE.sub("_", service_name)[:80], digest))

    def load(self, service_name):
        """The record of ``service_name`` ({} when there is none).

        A record that exists but cannot be read fails closed (TerminationError ``invalid``): reading it as "no
        record" could let a second ``terminate`` be sent while the first one's e-mail is on its way."""
        if not self.state_dir:
            return {}
        path = self.path(service_name)
        try:
            with open(path, "r") as handle:
                data = json.load(handle)
        except (IOError, OSError) as err:
            if not os.path.exists(path):
                return {}
            raise TerminationError("invalid", "The termination request record %s cannot be read (%s). Fix its permissions; nothing "
                                   "was written." % (path, err.__class__.__name__))
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TerminationError("invalid", "The termination request record %s is not a JSON object. Check the account's e-mails "
                                   "and the control panel for a pending request, then move the file away; nothing was written." % path)
        return data

    def save(self, service_name, record):
        if not self.state_dir:
            # Without a record nothing prevents a second terminate after a lost answer: refuse to write to the API.
            raise TerminationError("invalid", "state_dir is empty: the termination modules need it to record their writes. Nothing was "
                                   "written.")
        path = self.path(service_name)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700, exist_ok=True)  # a parallel run may create it first
        handle, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w") as out:
                json.dump(record, out, indent=2, sort_keys=True)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())  # the record must outlive a crash right after the POST
            os.replace(tmp, path)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def lock(self, service_name, timeout, sleep=time.sleep, monotonic=time.monotonic):
        """Hold an exclusive lock on the service's record while an operation reads, decides and writes.

        Two runs for one service (two inventory hosts naming it, two controllers sharing a state_dir) would
        otherwise both read "no request" and both send. The lock dies with its process, so a killed run never
        leaves it behind. Waits at most ``timeout`` seconds for another run to finish."""
        if not self.state_dir or fcntl is None:
            yield
            return
        path = self.path(service_name)[:-len(".json")] + ".lock"
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700, exist_ok=True)  # a parallel run may create it first
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except (IOError, OSError) as err:
                    if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    if monotonic() >= deadline:
                        raise TerminationError("locked", "Another run is writing for %s (lock %s held for more than %d s). Nothing was "
                                               "written; run again when it has finished." % (service_name, path, timeout))
                    sleep(0.5)
            yield
        finally:
            os.close(handle)  # releases the lock

    def update(self, service_name, section, service_id=None, **values):
        """Merge ``values`` into ``record[section]`` and save; returns the whole record."""
        record = self.load(service_name)
        record.update({"version": 1, "service_name": service_name, "endpoint": self.endpoint})
        if service_id is not None:
            record["service_id"] = service_id
        entry = dict(record.get(section) or {})
        entry.update(values)
        record[section] = entry
        self.save(service_name, record)
        return record


def records_for_client(client, state_dir):
    """The request records of this client's endpoint and credential (``OvhClient.record_identity``: the base URL and
    the consumer key, else the OAuth2 client id)."""
    endpoint, credential = client.record_identity
    return RequestRecords(state_dir, endpoint, credential)
