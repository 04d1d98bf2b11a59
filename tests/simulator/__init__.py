# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local OVHcloud API simulator for tests (standard library only). See README.md in this folder."""

from __future__ import annotations

from .server import Simulator
from .signature import compute_signature

__all__ = ["Simulator", "compute_signature"]
