# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The failure every termination room raises and a module reports with ``fail_json``.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; its module_utils are its only users.
A leaf: imports nothing of the collection, so every termination room (e-mails, billing, access, records,
status, state, operations) can raise it without importing another room.
"""

from __future__ import annotations


class TerminationError(Exception):
    """A failure that a module reports with ``fail_json``.

    ``kind`` says what went wrong (not_found, expired, busy, not_mbm, token, token_expired, no_request,
    outcome_unknown, email_timeout, billing_window, preflight, api, invalid, data_gone, locked); ``error`` is the
    ``OvhApiError`` behind it, if any (its failure dict carries the query id); ``result`` holds what the
    module still returns (e.g. the ``termination`` dict, ``writes``, ``changed``).
    """

    def __init__(self, kind, msg, error=None, result=None):
        super(TerminationError, self).__init__(msg)
        self.kind = kind
        self.msg = msg
        self.error = error
        self.result = result if result is not None else {}


def api_failure(err, doing):
    """Wrap an ``OvhApiError`` raised while ``doing`` something into a TerminationError."""
    return TerminationError("api", "%s: %s" % (doing, err), error=err)
