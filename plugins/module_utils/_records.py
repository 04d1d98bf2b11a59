# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller-side request record (docs/design.md section 5) and its per-service lock.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
Imports _termination_errors, _time and (for ``records_for_client`` only) _recipient. The file names and the JSON
format are a contract: records written by an earlier version must still be read.

Two keys name a record file. The account key (lower-cased API base URL, the account's NIC from ``GET /me``, the
service) survives a new consumer key, an upper-case host or another OAuth2 client; today's key (base URL as
spelled + consumer key or client id, ``OvhClient.record_identity``) is still read, and still written, so that a
run upgraded in the middle of an e-mail wait, or a run whose ``GET /me`` fails, finds the request. When both
files exist, each section (``request``, ``confirm``) is taken from the file where it was updated last.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writes are then not serialised between runs
    fcntl = None

from ansible_collections.ovhcloud.mbm.plugins.module_utils._files import private_dir, write_json_atomic
from ansible_collections.ovhcloud.mbm.plugins.module_utils._recipient import account_nic
from ansible_collections.ovhcloud.mbm.plugins.module_utils._termination_errors import TerminationError
from ansible_collections.ovhcloud.mbm.plugins.module_utils._time import parse_api_time

_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
_SECTIONS = ("request", "confirm")


def _section_time(entry):
    if not isinstance(entry, dict):
        return None
    for key in ("updated_at", "sent_at"):
        stamp = parse_api_time(entry.get(key))
        if stamp is not None:
            return stamp
    return None


def _merge_records(records):
    """One record from several files of one service: each section from the file where it was updated last."""
    present = [record for record in records if record]
    if not present:
        return {}
    if len(present) == 1:
        return present[0]
    merged = dict(present[0])
    for record in present[1:]:
        for key, value in record.items():
            if key not in _SECTIONS and key not in merged:
                merged[key] = value
    for section in _SECTIONS:
        best = None
        for record in present:
            entry = record.get(section)
            if not isinstance(entry, dict):
                continue
            if best is None or (_section_time(entry) or 0) > (_section_time(best) or 0):
                best = entry
        if best is not None:
            merged[section] = best
        else:
            merged.pop(section, None)
    return merged


class RequestRecords(object):
    """Small JSON files per account (or endpoint and credential) and service under ``state_dir``.

    ``nic``: the account's NIC, None (today's key only), or a callable returning ``(nic, why_not)`` called once,
    when a record is first needed. ``state_dir`` is made absolute once, here: a later change of the working
    directory cannot move the records. The credential (consumer key or OAuth2 client id) is only hashed into
    a file name, never stored. Files are written atomically (temporary file + rename) with mode 0600, in a
    directory made 0700. Content: ``{version, service_name, service_id, endpoint, account, request: {sent_at,
    outcome, query_id, updated_at}, confirm: {sent_at, outcome, query_id, email_id, token_sha256, retry,
    retry_of, updated_at}}`` with outcomes ``sending`` (written before the call: a run killed there reads as
    unknown), ``accepted``, ``unknown`` (response lost), ``refused``.
    """

    def __init__(self, state_dir, endpoint, credential, nic=None):
        self.state_dir = os.path.abspath(os.path.expanduser(state_dir)) if state_dir else None
        self.relative_state_dir = state_dir if state_dir and not os.path.isabs(os.path.expanduser(state_dir)) else None
        self.endpoint = endpoint or ""
        self.credential = credential or ""
        self._nic_source = nic
        self._nic = None
        self._resolved = False
        self.fallback_reason = None
        self._noted = False

    @property
    def nic(self):
        """The account's NIC the records are keyed by (lower-cased), or None (today's key only)."""
        if not self._resolved:
            self._resolved = True
            source = self._nic_source
            value = source() if callable(source) else (source, None)
            nic, why = value if isinstance(value, tuple) else (value, None)
            self._nic = nic.strip().lower() if isinstance(nic, str) and nic.strip() else None
            if self._nic is None and source is not None:
                self.fallback_reason = why or "the account's NIC is unknown"
        return self._nic

    def key_note(self):
        """Once: what the user should know about where the records are (None when nothing): the NIC could not be read
        (today's key only), or ``state_dir`` is relative (resolved from the working directory of this run)."""
        if self._noted:
            return None
        self._noted = True
        notes = []
        if self.nic is None and self.fallback_reason is not None:
            notes.append(
                "The account's NIC could not be read (%s): the termination request records are keyed by the endpoint and the "
                "credential only, as before, so a request recorded with another consumer key is not seen." % self.fallback_reason
            )
        if self.relative_state_dir:
            notes.append(
                "state_dir %r is relative: the termination request records are under %s for this run; a run started from "
                "another directory would look elsewhere. Use an absolute state_dir." % (self.relative_state_dir, self.state_dir)
            )
        return " ".join(notes) or None

    def _file(self, digest, service_name):
        return os.path.join(self.state_dir, "termination", "%s-%s.json" % (_SAFE_NAME_RE.sub("_", service_name)[:80], digest))

    def legacy_path(self, service_name):
        """Today's file name: endpoint as spelled + credential + service (records of earlier versions)."""
        digest = hashlib.sha256(("%s\0%s\0%s" % (self.endpoint, self.credential, service_name)).encode("utf-8")).hexdigest()[:20]
        return self._file(digest, service_name)

    def account_path(self, service_name):
        """The account key's file name (None when the NIC is unknown): lower-cased base URL + NIC + service."""
        if self.nic is None:
            return None
        text = "account\0%s\0%s\0%s" % (self.endpoint.strip().lower().rstrip("/"), self.nic, service_name)
        return self._file(hashlib.sha256(text.encode("utf-8")).hexdigest()[:20], service_name)

    def paths(self, service_name):
        """Every file of the service, the one written first (the account key's) first."""
        return [path for path in (self.account_path(service_name), self.legacy_path(service_name)) if path]

    def path(self, service_name):
        return self.paths(service_name)[0]

    def _read(self, path):
        try:
            with open(path, "r") as handle:
                data = json.load(handle)
        except (IOError, OSError) as err:
            if not os.path.exists(path):
                return {}
            raise TerminationError(
                "invalid", "The termination request record %s cannot be read (%s). Fix its permissions; nothing was written." % (path, err.__class__.__name__)
            )
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TerminationError(
                "invalid",
                "The termination request record %s is not a JSON object. Check the account's e-mails "
                "and the control panel for a pending request, then move the file away; nothing was written." % path,
            )
        return data

    def load(self, service_name):
        """The record of ``service_name`` ({} when there is none), merged from the account key's and today's files.

        A record that exists but cannot be read fails closed (TerminationError ``invalid``): reading it as "no
        record" could let a second ``terminate`` be sent while the first one's e-mail is on its way."""
        if not self.state_dir:
            return {}
        return _merge_records([self._read(path) for path in self.paths(service_name)])

    def save(self, service_name, record):
        if not self.state_dir:
            # Without a record nothing prevents a second terminate after a lost answer: refuse to write to the API.
            raise TerminationError("invalid", "state_dir is empty: the termination modules need it to record their writes. Nothing was written.")
        for path in self.paths(service_name):
            self._write(path, record)

    @staticmethod
    def _write(path, record):
        # atomic, fsynced (the record must outlive a crash right after the POST), 0600 in a 0700 directory
        write_json_atomic(path, record, 0o600)

    @contextlib.contextmanager
    def lock(self, service_name, timeout, sleep=time.sleep, monotonic=time.monotonic):
        """Hold an exclusive lock on the service's records while an operation reads, decides and writes.

        Two runs for one service (two inventory hosts naming it, two controllers sharing a state_dir, two keys
        of one account) would otherwise both read "no request" and both send. Both keys' locks are taken, in
        one order. The lock dies with its process, so a killed run never leaves it behind. Waits at most
        ``timeout`` seconds for another run to finish."""
        if not self.state_dir or fcntl is None:
            yield
            return
        deadline = monotonic() + timeout
        with contextlib.ExitStack() as stack:
            for path in self.paths(service_name):
                stack.enter_context(self._flock(path[: -len(".json")] + ".lock", service_name, deadline, timeout, sleep, monotonic))
            self._migrate(service_name)
            yield

    def _migrate(self, service_name):
        """Under the lock of a write operation: copy a record known only under today's name to the account key's
        file, so that another consumer key of the account sees it from now on (reads alone never write a file)."""
        account = self.account_path(service_name)
        if account is None or os.path.exists(account):
            return
        legacy = self._read(self.legacy_path(service_name))
        if legacy:
            self._write(account, dict(legacy, account=self.nic))

    @staticmethod
    @contextlib.contextmanager
    def _flock(path, service_name, deadline, timeout, sleep, monotonic):
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            private_dir(directory)  # a parallel run may create it first
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except (IOError, OSError) as err:
                    if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    if monotonic() >= deadline:
                        raise TerminationError(
                            "locked",
                            "Another run is writing for %s (lock %s held for more than %d s). Nothing was "
                            "written; run again when it has finished." % (service_name, path, timeout),
                        )
                    sleep(0.5)
            yield
        finally:
            os.close(handle)  # releases the lock

    def update(self, service_name, section, service_id=None, **values):
        """Merge ``values`` into ``record[section]`` and save; returns the whole record."""
        record = self.load(service_name)
        record.update({"version": 1, "service_name": service_name, "endpoint": self.endpoint})
        if self.nic is not None:
            record["account"] = self.nic
        if service_id is not None:
            record["service_id"] = service_id
        entry = dict(record.get(section) or {})
        entry.update(values)
        record[section] = entry
        self.save(service_name, record)
        return record


def records_for_client(client, state_dir):
    """The request records of this client: keyed by the account (``GET /me``, read once per client) and, as
    before, by ``OvhClient.record_identity`` (the base URL and the consumer key, else the OAuth2 client id)."""
    endpoint, credential = client.record_identity
    return RequestRecords(state_dir, endpoint, credential, nic=lambda: account_nic(client))
