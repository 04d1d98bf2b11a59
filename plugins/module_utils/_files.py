# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Local files of the collection on the controller: private directories (0700), atomic writes, and files shared
by parallel processes under an exclusive fcntl lock (append, or read-modify-write).

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.

Imports only the standard library and ansible's text converters; it knows nothing of the API.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX; Ansible controllers are POSIX
    fcntl = None

from ansible.module_utils.common.text.converters import to_bytes

# Where the rate-limit files and the request records live unless state_dir says otherwise.
DEFAULT_STATE_DIR = "~/.ansible/ovhcloud_mbm"


def private_dir(directory):
    """Create directory and its missing parents, each with mode 0700 (a parallel process may create them first).

    Existing directories are left as they are. Returns directory. Raises OSError when a component cannot be
    created (for instance a file in the way).
    """
    missing = []
    current = directory
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for item in reversed(missing):
        try:
            os.mkdir(item, 0o700)
        except FileExistsError:
            # another process made it between our check and mkdir; a file in the way is still an error
            if not stat.S_ISDIR(os.stat(item).st_mode):
                raise
    return directory


def private_parent_dir(path):
    """private_dir() for the directory of the file path (the working directory for a bare name)."""
    return private_dir(os.path.dirname(path) or ".")


def json_bytes(document):
    """The JSON form of a document the collection writes: indented, keys sorted, UTF-8, ending with a newline."""
    return to_bytes(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_atomic(path, data, mode):
    """Write bytes to path through a temporary file in the same directory, fsync, chmod, rename.

    Readers see the old file or the new one, never a part. Missing parent directories are created 0700.
    """
    directory = private_parent_dir(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path, document, mode):
    """write_atomic() of json_bytes(document)."""
    write_atomic(path, json_bytes(document), mode)


def append_locked(path, data, mode):
    """Append bytes to path under an exclusive flock (created with mode, parents 0700), then fsync.

    Parallel writers (forks of one run, or several runs) each append whole; lines never interleave.
    """
    private_parent_dir(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def update_locked(path, update, mode=0o600):
    """Read-modify-write a small text file under an exclusive flock, shared by every process that uses it.

    update(text) is called with the current content ("" for a new file) while the lock is held and returns
    (result, new_text); new_text None leaves the file as it is. Returns result.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "r+", encoding="utf-8") as handle:
            result, text = update(handle.read())
            if text is not None:
                handle.seek(0)
                handle.truncate()
                handle.write(text)
            return result
    finally:
        os.close(fd)  # also releases the lock


def read_json(path):
    """The decoded JSON content of path, or None when it is missing, unreadable or not JSON."""
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return None


def read_bytes(path):
    """The content of path, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def file_mode(path):
    """The permission bits of path, or None when it does not exist."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None
