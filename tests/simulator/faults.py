# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection: per route template (or ``*``) and method, a status, latency or a dropped response."""

from __future__ import annotations

import fnmatch
import html

HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>{code}</title></head>\r\n<body>\r\n<center><h1>{code}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

_FIELDS = (
    "route",
    "method",
    "path",
    "status",
    "body",
    "html",
    "count",
    "retry_after",
    "latency",
    "drop_after_apply",
    "drop",
    "error_code",
    "message",
    "after_apply",
    "echo_body",
)


class Fault:
    """One fault rule. ``count`` is how many calls it still applies to (``None``: every call)."""

    def __init__(
        self,
        route="*",
        method=None,
        path=None,
        status=None,
        body=None,
        html=False,
        count=1,
        retry_after=None,
        latency=0.0,
        drop_after_apply=False,
        drop=False,
        error_code=None,
        message=None,
        after_apply=False,
        echo_body=False,
    ):
        if route != "*" and " " in route:
            method, route = route.split(" ", 1)
        self.route = route
        self.method = (method or "*").upper()
        self.path = path
        self.status = int(status) if status is not None else None
        self.body = body
        self.html = bool(html)
        self.count = None if count is None or int(count) <= 0 else int(count)
        self.retry_after = retry_after
        self.latency = float(latency or 0)
        self.drop_after_apply = bool(drop_after_apply)
        self.drop = bool(drop)
        self.error_code = error_code
        self.message = message
        self.after_apply = bool(after_apply)  # with status: run the call (a write is applied), then answer the status
        self.echo_body = bool(echo_body)  # the error answer quotes the request body (after ``message``), as some pages do
        self.hits = 0

    @classmethod
    def from_dict(cls, spec):
        unknown = sorted(set(spec) - set(_FIELDS))
        if unknown:
            raise ValueError("unknown fault field(s): %s" % ", ".join(unknown))
        return cls(**spec)

    def matches(self, method, template, path):
        if self.count is not None and self.count <= 0:
            return False
        if self.method not in ("*", method):
            return False
        if self.route not in ("*", template):
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def consume(self):
        self.hits += 1
        if self.count is not None:
            self.count -= 1

    @property
    def exhausted(self):
        return self.count is not None and self.count <= 0

    def error_body(self, request_body=""):
        """``(content_type, text)`` of the fault's error answer (HTML pages only; JSON bodies are built by the server)."""
        from .routes import http_code  # pylint: disable=import-outside-toplevel

        page = HTML_ERROR_PAGE.format(code=http_code(self.status))
        if self.echo_body:
            echo = "<p>%s</p><pre>%s</pre>\r\n" % (html.escape(self.message or ""), html.escape(request_body or ""))
            page = page.replace("<hr>", echo + "<hr>", 1)
        return "text/html", page

    def to_dict(self):
        return {
            "route": self.route,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "html": self.html,
            "count": self.count,
            "retry_after": self.retry_after,
            "latency": self.latency,
            "drop_after_apply": self.drop_after_apply,
            "drop": self.drop,
            "error_code": self.error_code,
            "message": self.message,
            "after_apply": self.after_apply,
            "echo_body": self.echo_body,
            "hits": self.hits,
        }
