# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request signatures exactly as python-ovh computes them."""

from __future__ import annotations

import hashlib
import hmac


def compute_signature(application_secret, consumer_key, method, url, body, timestamp):
    """Return "$1$" + sha1_hex(AS+CK+METHOD+URL+BODY+TIMESTAMP) (fields joined by +)."""
    text = "+".join([application_secret, consumer_key, method.upper(), url, body or "", str(timestamp)])
    return "$1$" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def signature_matches(expected, given):
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))
