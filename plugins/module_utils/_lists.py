# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading lists through the client: whole-object list expansion (``X-Pagination-Mode: CachedObjectList-Pages``, as
the control panel sends it, with ``Pragma: no-cache``), the per-id fallback with bounded concurrency, and the checked
list that proves an expanded list holds exactly the ids of the plain list.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; do not import it from elsewhere.
``ListReader`` is a base class of ``_client.OvhClient`` (it uses the client's ``get``, ``_request`` and accounting);
nothing else imports it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._errors import OvhApiError

PAGINATION_MODE = "CachedObjectList-Pages"


class ListReader:
    """The list methods of ``OvhClient``."""

    def list_objects(self, list_template, item_template, item_key, concurrency=4, expand=True, page_size=500, **path_params):
        """Whole objects of a list route, in the API's order.

        First one request with X-Pagination-Mode (the control panel's whole-object mode), paged until
        X-Pagination-Elements; if the API ignores the header (the body is a list of ids), GET each id
        with at most ``concurrency`` requests in flight, keeping the order of the ids.
        """
        if expand:
            objects, ids = self._list_expanded(list_template, path_params, page_size)
            if objects is not None:
                return objects
        else:
            ids = None
        if ids is None:
            ids = self.get(list_template, **path_params)
        if not isinstance(ids, list):
            raise OvhApiError(
                "Expected a list from %s, got %s" % (list_template, type(ids).__name__),
                error_code="INVALID_RESPONSE",
                method="GET",
                path=routes.fill_path(list_template, path_params),
                route=list_template,
                query_id=self.last_query_id,
            )
        return self._get_each(item_template, item_key, ids, path_params, concurrency)

    def list_objects_checked(self, list_template, item_template, item_key, concurrency=4, expand=True, page_size=500, **path_params):
        """list_objects(), checked for completeness: for callers that must not miss an object (the backup gate).

        Whole objects are trusted only when their ids are exactly the ids of the plain list (one more call per
        list, whatever its length): a cached, truncated or repeated page (an API that ignores the page number
        repeats page 1 and the count still adds up) would otherwise hide an object. When they differ, the list
        is read again one object at a time. A list whose ids repeat even then cannot be read (fail closed).
        """
        path = list_template.format(**path_params)
        objects = self._objects_of(
            self.list_objects(list_template, item_template, item_key, concurrency=concurrency, expand=expand, page_size=page_size, **path_params),
            path,
            list_template,
        )
        if expand:
            ids = self.get(list_template, **path_params)
            if not isinstance(ids, list) or not all(isinstance(i, (int, str)) and not isinstance(i, bool) for i in ids):
                raise OvhApiError(
                    "The API returned something else than a list of ids for %s" % path,
                    error_code="INVALID_RESPONSE",
                    method="GET",
                    path=path,
                    route=list_template,
                    query_id=self.last_query_id,
                )
            seen = [obj.get(item_key) for obj in objects]
            if _duplicate_ids(objects, item_key) or len(seen) != len(ids) or _id_set(seen) != _id_set(ids):
                objects = self._objects_of(
                    self.list_objects(list_template, item_template, item_key, concurrency=concurrency, expand=False, page_size=page_size, **path_params),
                    path,
                    list_template,
                )
        duplicates = _duplicate_ids(objects, item_key)
        if duplicates:
            raise OvhApiError(
                "The API listed %s %s more than once in %s, so the list cannot be trusted to be complete" % (item_key, ", ".join(duplicates), path),
                error_code="INVALID_RESPONSE",
                method="GET",
                path=path,
                route=list_template,
                query_id=self.last_query_id,
                hint="Run again later; if it persists, quote the query id to OVHcloud support",
            )
        return objects

    # -- list helpers --------------------------------------------------------------------------------

    def list_expanded(self, template, page_size=500, **path_params):
        """Whole objects of a list route when the API honours the whole-object mode, else None (also on any API error):
        for callers that only fill a cache with it and read what it lacks one by one."""
        try:
            objects, dummy = self._list_expanded(template, path_params, page_size)
        except OvhApiError:
            return None
        return objects

    def _list_expanded(self, template, path_params, page_size):
        """Return (objects, None) in whole-object mode, or (None, ids_or_None) when it is not honoured.

        The mode is trusted only when the API follows it fully (a list of objects and X-Pagination-Elements):
        a silently truncated list would hide a VM from the backup gate.
        """
        objects = []
        number = 1
        while True:
            # Pragma: no-cache asks for the objects as they are now, not a cached list (as the control panel does).
            headers = {"X-Pagination-Mode": PAGINATION_MODE, "X-Pagination-Size": str(page_size), "X-Pagination-Number": str(number), "Pragma": "no-cache"}
            try:
                resp = self._request("GET", template, path_params, headers=headers)
            except OvhApiError as exc:
                if exc.status == 400 and number == 1:
                    return None, None  # the header itself was refused: plain listing
                raise
            page = resp.data
            total = _int_header(resp.headers, "X-Pagination-Elements")
            is_objects = isinstance(page, list) and all(isinstance(item, dict) for item in page)
            if number == 1 and (not is_objects or total is None):
                ids = page if isinstance(page, list) and all(isinstance(i, (int, str)) for i in page) else None
                return None, ids  # ids: the API ignored the header and sent the plain list; reuse it
            if not is_objects or (not page and len(objects) < total):
                raise OvhApiError(
                    "Page %d of %s ended the list at %d of %s objects; retry with list expansion "
                    "disabled (one GET per object)" % (number, template, len(objects), total),
                    error_code="INVALID_RESPONSE",
                    method="GET",
                    path=routes.fill_path(template, path_params),
                    route=template,
                    query_id=resp.query_id,
                )
            objects.extend(page)
            if len(objects) >= total:
                return objects, None
            number += 1

    def _get_each(self, item_template, item_key, ids, path_params, concurrency):
        def fetch(item_id):
            params = dict(path_params)
            params[item_key] = item_id
            return self.get(item_template, **params)

        if not ids:
            return []
        workers = max(1, min(int(concurrency or 1), len(ids)))
        if workers == 1:
            return [fetch(item_id) for item_id in ids]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(fetch, item_id) for item_id in ids]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()  # stop queued GETs after the first failure
                raise

    def _objects_of(self, objects, path, list_template):
        if not isinstance(objects, list) or not all(isinstance(obj, dict) for obj in objects):
            raise OvhApiError(
                "The API returned something else than a list of objects for %s" % path,
                error_code="INVALID_RESPONSE",
                method="GET",
                path=path,
                route=list_template,
                query_id=self.last_query_id,
            )
        return objects

    # -- the request pipeline ------------------------------------------------------------------------


def _int_header(headers, name):
    try:
        return int(headers.get(name))
    except (TypeError, ValueError):
        return None


def _duplicate_ids(objects, item_key):
    """The ids that occur more than once in a list of objects (objects without the id are not counted)."""
    seen = set()
    duplicates = set()
    for obj in objects:
        value = obj.get(item_key) if isinstance(obj, dict) else None
        if value is None:
            continue
        key = str(value)
        if key in seen:
            duplicates.add(key)
        seen.add(key)
    return sorted(duplicates)


def _id_set(values):
    return set(str(value) for value in values)
