# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_files: private directories, atomic writes, locked append and locked read-modify-write."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _files as F


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_private_dir_creates_each_missing_directory_0700_and_keeps_existing_ones(tmp_path):
    os.chmod(str(tmp_path), 0o755)
    target = tmp_path / "a" / "b" / "c"
    assert F.private_dir(str(target)) == str(target)
    assert [mode_of(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3
    assert mode_of(tmp_path) == 0o755
    F.private_dir(str(target))  # already there: no error


def test_private_dir_with_a_file_in_the_way_raises(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OSError):
        F.private_dir(str(tmp_path / "file" / "sub"))


def test_write_json_atomic_and_read_back(tmp_path):
    path = str(tmp_path / "d" / "doc.json")
    F.write_json_atomic(path, {"b": [1], "a": "é"}, 0o640)
    assert F.read_json(path) == {"a": "é", "b": [1]}
    assert F.read_bytes(path) == F.json_bytes({"a": "é", "b": [1]})
    assert F.file_mode(path) == 0o640 and mode_of(tmp_path / "d") == 0o700
    assert os.listdir(str(tmp_path / "d")) == ["doc.json"]  # no temporary file left
    assert F.read_json(str(tmp_path / "missing.json")) is None and F.read_bytes(str(tmp_path / "missing")) is None
    assert F.file_mode(str(tmp_path / "missing")) is None


def test_append_locked_appends_whole(tmp_path):
    path = str(tmp_path / "log" / "audit.jsonl")
    F.append_locked(path, b"one\n", 0o600)
    F.append_locked(path, b"two\n", 0o600)
    assert F.read_bytes(path) == b"one\ntwo\n"
    assert F.file_mode(path) == 0o600


def test_update_locked_reads_and_replaces_or_keeps(tmp_path):
    path = str(tmp_path / "state.json")
    assert F.update_locked(path, lambda text: (repr(text), "[1]")) == "''"
    assert F.file_mode(path) == 0o600
    assert F.update_locked(path, lambda text: (text, None)) == "[1]"
    assert F.update_locked(path, lambda text: ("r", "[2, 3]")) == "r"
    assert F.read_bytes(path) == b"[2, 3]"
