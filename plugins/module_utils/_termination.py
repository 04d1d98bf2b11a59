# -*- coding: utf-8 -*-
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The termination life cycle of a Managed Bare Metal service.

PRIVATE to the ovhcloud.mbm collection: no API stability is promised; modules, the role and other
module_utils of this collection are its only users.

What lives here (docs/design.md sections 4, 5 and 5b):

* pure functions over API data: the status precedence, the confirmation link found in a termination
  e-mail, token expiry, the billing window, the match of a consumer key's access rules;
* the controller-side request record (one JSON file per endpoint, credential and service under
  ``state_dir``);
* ``read_termination_state()``, the one way every module, the backup module and the role read the state
  of a service, and the operations behind the write modules (request, confirm, cancel).

Nothing here ever returns or logs a token, an e-mail body or a credential. Tokens live only in private
attributes of objects that never leave this file as data.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import errno
import hashlib
import json
import os
import re
import tempfile
import time

from urllib.parse import quote, unquote

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writes are then not serialised between runs
    fcntl = None

try:
    from zoneinfo import ZoneInfo
    HAS_ZONEINFO = True
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None
    HAS_ZONEINFO = False

from ansible_collections.ovhcloud.mbm.plugins.module_utils import _routes as routes
from ansible_collections.ovhcloud.mbm.plugins.module_utils._client import OvhApiError

UTC = datetime.timezone.utc

TOKEN_VALIDITY_SECONDS = 72 * 3600
"""A termination link is valid 72 h after its e-mail (docs/design.md section 4)."""

EMAIL_WAIT_SECONDS = 2400
"""How long after a ``terminate`` its e-mail may still arrive (OVHcloud: up to 30 min; we allow 40)."""

DEFAULT_LOOKBACK_HOURS = 96

CLOCK_TOLERANCE_SECONDS = 5
"""An e-mail dated this much before a recorded request still answers it (both dates are on the API's clock)."""

STATUSES = (
    "active", "request_pending", "termination_requested", "token_expired",
    "termination_scheduled", "terminating", "terminated",
)

READY_STATES = frozenset(["available", "delivered"])
REMOVAL_STATES = frozenset(["toRemove", "toUnprovision", "unprovisionning", "toRecycle", "recycling"])
BUSY_STATES = frozenset([
    "error", "migrating", "upgrading", "disabled", "disabling", "toDisable", "provisionning", "toProvision",
    "reserved",
])

TERMINATION_REASONS = (
    "FEATURES_DONT_SUIT_ME", "LACK_OF_PERFORMANCES", "MIGRATED_TO_ANOTHER_OVH_PRODUCT", "MIGRATED_TO_COMPETITOR",
    "NOT_ENOUGH_RECOGNITION", "NOT_NEEDED_ANYMORE", "NOT_RELIABLE", "NO_ANSWER", "OTHER",
    "PRODUCT_DIMENSION_DONT_SUIT_ME", "PRODUCT_TOOLS_DONT_SUIT_ME", "TOO_EXPENSIVE", "TOO_HARD_TO_USE",
    "UNSATIFIED_BY_CUSTOMER_SUPPORT",
)
FUTURE_USES = (
    "NOT_REPLACING_SERVICE", "OTHER", "SUBSCRIBE_AN_OTHER_SERVICE", "SUBSCRIBE_OTHER_KIND_OF_SERVICE_WITH_COMPETITOR",
    "SUBSCRIBE_SIMILAR_SERVICE_WITH_COMPETITOR",
)

BILLING_MODES = ("warn", "refuse", "ignore")

# The route templates this file uses (the same strings the client counts calls by).
R_CREDENTIAL = routes.CURRENT_CREDENTIAL
R_SERVICE = routes.SERVICE
R_SERVICE_LIST = routes.SERVICE_LIST
R_SERVICE_INFOS = routes.SERVICE_INFOS
R_TERMINATE = routes.TERMINATE
R_CONFIRM = routes.CONFIRM
R_SERVICES = routes.SERVICES
R_SERVICES_ITEM = routes.SERVICES_ITEM
R_EMAILS = routes.EMAILS
R_EMAIL = routes.EMAIL

_READ_CALLS = (
    ("GET", R_SERVICE), ("GET", R_SERVICE_INFOS), ("GET", R_SERVICES), ("GET", R_SERVICES_ITEM),
    ("GET", R_EMAILS), ("GET", R_EMAIL),
)
CALLS_BY_OPERATION = {
    "read": _READ_CALLS,
    "request": _READ_CALLS + (("POST", R_TERMINATE),),
    "confirm": _READ_CALLS + (("POST", R_CONFIRM),),
    "cancel": _READ_CALLS + (("PUT", R_SERVICE_INFOS),),
    # with a token given, the e-mail history is optional (a key may lack those rules on purpose)
    "confirm_with_token": tuple(call for call in _READ_CALLS if call[1] not in (R_EMAILS, R_EMAIL)) + (("POST", R_CONFIRM),),
}

# Error codes meaning "your credentials", never "your token" (confirm must not blame the token for them).
_CREDENTIAL_ERRORS = frozenset(["NOT_GRANTED_CALL", "NOT_CREDENTIAL", "INVALID_KEY", "INVALID_CREDENTIAL", "Client::Forbidden"])

_TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")
_URL_RE = re.compile(r"""https?://[^\s"'<>()\[\]{}]+""", re.IGNORECASE)
_AMP_RE = re.compile(r"&(?:amp|#0*38|#x0*26);", re.IGNORECASE)
_CONFIRM_MARKER = "/billing/confirmterminate?"
_CANCEL_MARKERS = ("resiliation", "action=cancel")
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------

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


def _api_failure(err, doing):
    """Wrap an ``OvhApiError`` raised while ``doing`` something into a TerminationError."""
    return TerminationError("api", "%s: %s" % (doing, err), error=err)


# ---------------------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------------------

def parse_api_time(value):
    """Epoch seconds from an API date (``2026-11-20``), date-time (``2026-11-20T10:00:00+01:00``, ``...Z``)
    or epoch number; None when absent or unreadable. Dates without a zone are taken as UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _ISO_RE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        stamp = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None
    epoch = (stamp - datetime.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    if fraction:
        epoch += float("0." + fraction)
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:] or 0) * 60)
    return epoch


def format_time(epoch):
    """ISO 8601 UTC with a ``Z``, whole seconds; None for None."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds):
    """A short human duration: ``3 h 5 min``."""
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append("%d d" % days)
    if hours:
        parts.append("%d h" % hours)
    if minutes or not parts:
        parts.append("%d min" % minutes)
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------------------
# E-mails and tokens
# ---------------------------------------------------------------------------------------------------------

def valid_token_shape(token):
    """True when ``token`` looks like a termination token (no spaces, URL-safe characters, 8 to 512 long)."""
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


def _query_params(query):
    """Parse ``a=1&b=2`` keeping ``+`` (tokens may hold it); values percent-decoded."""
    params = {}
    for part in query.split("&"):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            continue
        params.setdefault(unquote(name), []).append(unquote(value))
    return params


def find_confirmation_links(body):
    """Every confirmation link in an e-mail body, as a list of ``(service_id, token)`` (id as int).

    A confirmation link is any URL (any host, any prefix) whose path or fragment holds
    ``/billing/confirmTerminate?`` with exactly one numeric ``id`` and one ``token`` of a token's shape.
    HTML bodies may write ``&amp;``. Cancel links (``support/resiliation/?action=cancel...``) are never
    confirmation links, even if they carried those parameters.
    """
    if not isinstance(body, str) or not body:
        return []
    text = _AMP_RE.sub("&", body)
    links = []
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        lowered = url.lower()
        marker = lowered.find(_CONFIRM_MARKER)
        if marker < 0:
            continue
        if any(cancel in lowered for cancel in _CANCEL_MARKERS):
            continue
        query = url[marker + len(_CONFIRM_MARKER):].split("#", 1)[0]
        params = _query_params(query)
        ids = params.get("id", [])
        tokens = params.get("token", [])
        if len(ids) != 1 or len(tokens) != 1:
            continue
        if not ids[0].isdigit() or not valid_token_shape(tokens[0]):
            continue
        link = (int(ids[0]), tokens[0])
        if link not in links:
            links.append(link)
    return links


class TerminationEmail(object):
    """A termination e-mail for one service. The token is kept private: ``summary()`` is what is shown.

    An e-mail holding two different confirmation links for the same service is kept as ``ambiguous``: it still
    supersedes every older e-mail (an older token is never used because a newer e-mail could not be read), but
    its own token is never picked by the module (only a token given by the user and found in it is sent)."""

    __slots__ = ("email_id", "date", "subject", "service_id", "_tokens")

    def __init__(self, email_id, date, subject, service_id, token):
        self.email_id = email_id
        self.date = date
        self.subject = subject
        self.service_id = service_id
        self._tokens = tuple(token) if isinstance(token, (list, tuple)) else (token,)

    def __repr__(self):
        return "TerminationEmail(id=%r, date=%r, service_id=%r)" % (self.email_id, format_time(self.date), self.service_id)

    @property
    def ambiguous(self):
        return len(self._tokens) != 1

    @property
    def _token(self):
        """The one token of the e-mail, None when it is ambiguous (never shown: see the class docstring)."""
        return None if self.ambiguous else self._tokens[0]

    @property
    def token_expires(self):
        return None if self.date is None else self.date + TOKEN_VALIDITY_SECONDS

    def token_matches(self, token):
        return token is not None and token in self._tokens

    def summary(self):
        return {"id": self.email_id, "date": format_time(self.date), "subject": self.subject}


def parse_termination_email(email, service_id):
    """A ``TerminationEmail`` when the e-mail (``{id, date, subject, body}``) holds a confirmation link whose
    ``id`` is ``service_id``; else None. The subject is never used to decide: an e-mail with a matching
    subject but no matching link is not a termination e-mail, and a generic subject with one is. Two different
    tokens for the service in one e-mail give an ``ambiguous`` one (never used on its own)."""
    if not isinstance(email, dict) or service_id is None:
        return None
    tokens = []
    for link_id, token in find_confirmation_links(email.get("body")):
        if link_id == int(service_id) and token not in tokens:
            tokens.append(token)
    if not tokens:
        return None
    return TerminationEmail(email.get("id"), parse_api_time(email.get("date")), email.get("subject"), int(service_id), tokens)


def email_summary(email):
    """What may be shown of any e-mail: id, date and subject (never the body)."""
    return {"id": email.get("id"), "date": format_time(parse_api_time(email.get("date"))), "subject": email.get("subject")}


class EmailScanner(object):
    """Reads the account's e-mail history newest first (highest id first) and stops past the lookback.

    E-mails already read are cached, so a second scan (after a write, or while waiting) reads only the list
    and the new ones. ``newest_id`` is the highest id seen by the last scan (0 when none)."""

    def __init__(self, client, lookback_hours=DEFAULT_LOOKBACK_HOURS):
        self.client = client
        self.lookback = float(lookback_hours) * 3600
        self.newest_id = None
        self._cache = {}
        self._emails = None

    def scan(self, now):
        try:
            ids = self.client.get(R_EMAILS)
        except OvhApiError as err:
            raise _api_failure(err, "Could not list the account's e-mail history")
        ids = sorted((int(i) for i in ids or []), reverse=True)
        self.newest_id = ids[0] if ids else 0
        emails = []
        for email_id in ids:
            email = self._cache.get(email_id)
            if email is None:
                try:
                    email = self.client.get(R_EMAIL, emailId=email_id)
                except OvhApiError as err:
                    raise _api_failure(err, "Could not read e-mail %s of the account's history" % email_id)
                self._cache[email_id] = email
            date = parse_api_time(email.get("date"))
            if date is not None and date < now - self.lookback:
                break
            emails.append(email)
        self._emails = emails
        return emails

    def emails(self, now):
        """The e-mails of the last scan, scanning once if needed."""
        if self._emails is None:
            return self.scan(now)
        return self._emails


def termination_emails(emails, service_id):
    """The termination e-mails for ``service_id`` among ``emails``, newest (highest id) first."""
    found = []
    for email in emails:
        parsed = parse_termination_email(email, service_id)
        if parsed is not None:
            found.append(parsed)
    found.sort(key=lambda e: (e.email_id if isinstance(e.email_id, int) else -1), reverse=True)
    return found


# ---------------------------------------------------------------------------------------------------------
# Billing window (docs/design.md section 5b)
# ---------------------------------------------------------------------------------------------------------

def billing_window(now, timezone="UTC", from_day=25, mode="warn", action="request"):
    """The billing window figures on the API's clock ``now`` (epoch seconds).

    Returns ``{timezone, day_of_month, days_left_in_month, last_day_of_month, from_day, mode, action, open,
    message}``. ``open`` is true from ``from_day`` (or the last day of a shorter month) to the end of the
    month; ``days_left_in_month`` counts the days after today. Raises ValueError for an unknown timezone or
    a day outside 1-31."""
    if mode not in BILLING_MODES:
        raise ValueError("billing_window must be one of %s, not %r" % (", ".join(BILLING_MODES), mode))
    if not isinstance(from_day, int) or isinstance(from_day, bool) or not 1 <= from_day <= 31:
        raise ValueError("the first day of the billing window must be a day of the month (1-31), not %r" % (from_day,))
    zone = _zone(timezone)
    local = datetime.datetime.fromtimestamp(now, zone)
    last_day = calendar.monthrange(local.year, local.month)[1]
    first_open = min(from_day, last_day)
    is_open = local.day >= first_open
    days_left = last_day - local.day
    if is_open:
        message = ("day %d of %d (%s): inside the billing window for the %s (from day %d); OVHcloud bills whole months, "
                   "%d day(s) of this month are left" % (local.day, last_day, timezone, action, first_open, days_left))
    else:
        message = ("day %d of %d (%s): before the billing window for the %s (from day %d); OVHcloud bills whole months "
                   "with no pro-rata refund, so acting now gives up %d day(s) of this month already paid for"
                   % (local.day, last_day, timezone, action, first_open, days_left))
    return {
        "timezone": timezone,
        "day_of_month": local.day,
        "days_left_in_month": days_left,
        "last_day_of_month": last_day,
        "from_day": from_day,
        "mode": mode,
        "action": action,
        "open": is_open,
        "message": message,
    }


def _zone(name):
    if not isinstance(name, str) or not name:
        raise ValueError("billing_timezone must be an IANA time zone name such as UTC or Europe/Paris")
    if name.upper() == "UTC":
        return UTC
    if not HAS_ZONEINFO:  # pragma: no cover
        raise ValueError("billing_timezone %r needs Python 3.9+ (zoneinfo); use UTC" % name)
    try:
        return ZoneInfo(name)
    except Exception:  # zoneinfo raises ZoneInfoNotFoundError, ValueError or OSError for bad names
        raise ValueError("billing_timezone %r is not a known IANA time zone name (e.g. UTC, Europe/Paris)" % name)


def check_billing_window(window, warn):
    """Apply the mode of a billing window before a write: ``refuse`` raises, ``warn`` warns, ``ignore`` is silent."""
    if window["open"]:
        return
    if window["mode"] == "refuse":
        raise TerminationError("billing_window", "Refused by billing_window=refuse: %s. Nothing was written; run again from day %d "
                               "or set billing_window to warn or ignore." % (window["message"], window["from_day"]))
    if window["mode"] == "warn":
        warn("Billing window: %s." % window["message"])


# ---------------------------------------------------------------------------------------------------------
# Access rules (preflight)
# ---------------------------------------------------------------------------------------------------------

def rule_matches(rule, method, path):
    """True when an access rule ``{method, path}`` (``*`` matches any characters, ``/`` included) allows the call."""
    if not isinstance(rule, dict):
        return False
    rule_method = str(rule.get("method", "")).upper()
    if rule_method not in (method.upper(), "*"):
        return False
    pattern = "^" + ".*".join(re.escape(part) for part in str(rule.get("path", "")).split("*")) + "$"
    return re.match(pattern, path) is not None


def _concrete(template, service_name):
    return (template.replace("{serviceName}", service_name).replace("{serviceId}", "1")
            .replace("{emailId}", "1"))


suggested_rule = routes.suggested_rule


def missing_access_rules(rules, calls, service_name):
    """The suggested rule texts (docs/design.md section 2) for every call in ``calls`` (``(method, template)``) that
    ``rules`` do not allow, without duplicates, in call order."""
    missing = []
    for method, template in calls:
        path = _concrete(template, service_name)
        if not any(rule_matches(rule, method, path) for rule in rules or []):
            text = suggested_rule(method, template)
            if text not in missing:
                missing.append(text)
    return missing


def preflight(client, service_name, operation, warn):
    """Read ``GET /auth/currentCredential`` and fail, before any write, when the credential is not usable or
    its access rules lack a call ``operation`` will make. Returns the credential summary (no secrets).

    OAuth2 clients and keys that cannot read their own credential are not checked here: a warning says so,
    and refusals are then named when they happen (the client names the missing rule or IAM action)."""
    try:
        credential = client.get(R_CREDENTIAL)
    except OvhApiError as err:
        if err.error_code in ("INVALID_KEY", "INVALID_CREDENTIAL", "NOT_CREDENTIAL") or err.status == 401:
            raise TerminationError("preflight", "The credentials are not usable: %s" % err, error=err)
        warn("Could not read the consumer key's access rules (%s); refusals will be named when they happen." % err)
        return None
    if not isinstance(credential, dict):
        return None
    status = credential.get("status")
    if status is not None and status != "validated":
        raise TerminationError("preflight", "The consumer key is %s, not validated: validate it (or create a new one) before running "
                               "this module. Nothing was written." % status)
    expiration = parse_api_time(credential.get("expiration"))
    if expiration is not None and expiration <= client.now():
        raise TerminationError("preflight", "The consumer key expired at %s: create a new one. Nothing was written." % format_time(expiration))
    rules = credential.get("rules")
    if isinstance(rules, list):
        missing = missing_access_rules(rules, CALLS_BY_OPERATION[operation], service_name)
        if missing:
            raise TerminationError(
                "preflight",
                "The consumer key lacks access rule(s) needed to %s %s: %s. Add them to the key (or create a key with "
                "them); nothing was written." % (operation.split("_")[0], service_name, ", ".join(missing)))
    return {"credential_id": credential.get("credentialId"), "status": status,
            "expiration": format_time(expiration) if expiration is not None else None}


# ---------------------------------------------------------------------------------------------------------
# The controller-side request record (docs/design.md section 5)
# ---------------------------------------------------------------------------------------------------------

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


def _record_time(entry):
    return parse_api_time((entry or {}).get("sent_at"))


# ---------------------------------------------------------------------------------------------------------
# Status precedence (docs/design.md section 5)
# ---------------------------------------------------------------------------------------------------------

_NOT_ACCEPTED = ("refused",)


def decide_status(facts, now, email_wait=EMAIL_WAIT_SECONDS, lookback_hours=DEFAULT_LOOKBACK_HOURS):
    """Decide the termination status from fetched data; pure.

    ``facts``: ``service_name``; ``dedicated_cloud`` (dict or None); ``dedicated_cloud_error`` (None, 404
    or 460); ``service_infos`` (dict or None); ``service`` (the ``/services/{id}`` entry or None);
    ``emails`` (``TerminationEmail`` list for this service, newest first); ``record`` (request record).

    Returns ``{status, reason, requested_at, token_expires_at, email_id, deletion_date, request_overdue}``
    with epoch seconds for the dates and the private key ``email`` (the ``TerminationEmail`` behind
    ``termination_requested``). Raises TerminationError (not_found, expired, busy) where DESIGN fails closed.
    """
    name = facts.get("service_name")
    dc = facts.get("dedicated_cloud")
    dc_error = facts.get("dedicated_cloud_error")
    infos = facts.get("service_infos") or {}
    entry = facts.get("service")
    emails = facts.get("emails") or []
    record = facts.get("record") or {}
    resource_state = ((entry or {}).get("resource") or {}).get("state")
    lifecycle = (((entry or {}).get("billing") or {}).get("lifecycle") or {}).get("current") or {}
    termination_date = parse_api_time(lifecycle.get("terminationDate"))

    out = {"status": None, "reason": None, "requested_at": None, "token_expires_at": None, "email_id": None,
           "deletion_date": None, "request_overdue": False, "email": None}

    def done(status, reason, **extra):
        out.update(extra)
        out["status"] = status
        out["reason"] = reason
        return out

    if dc_error == 404:
        if entry is None:
            raise TerminationError("not_found", "Service %s was not found: the API answers 404 and /services has no record of it. "
                                   "Check the name (a typo is never read as 'already terminated')." % name)
        if resource_state == "deleted":
            return done("terminated", "The API answers 404 for %s and /services says its resource is deleted." % name,
                        deletion_date=termination_date)
        if resource_state == "toDelete":
            return done("terminating", "The API answers 404 for %s and /services says its resource is being deleted (toDelete)." % name,
                        deletion_date=termination_date)
        raise TerminationError("not_found", "Service %s was not found (404) although /services still lists it with resource state %r: "
                               "failing closed, nothing was written." % (name, resource_state))
    if dc_error == 460:
        if resource_state == "deleted":
            return done("terminated", "The API answers 460 (expired) for %s and /services says its resource is deleted." % name,
                        deletion_date=termination_date)
        raise TerminationError("expired", "Service %s is expired (460) and /services says its resource is %r, not deleted: it may be "
                               "suspended with its data still there. Renew it or contact OVHcloud; nothing was written." % (name, resource_state))

    state = (dc or {}).get("state")
    if state in REMOVAL_STATES:
        return done("terminating", "The service %s is being removed (state %s)." % (name, state), deletion_date=termination_date)
    if resource_state == "toDelete" or resource_state == "deleted":
        return done("terminating", "/services says the resource of %s is %s while the service is still readable." % (name, resource_state),
                    deletion_date=termination_date)
    confirm = record.get("confirm") or {}
    confirmed_at = _record_time(confirm)
    # A record dated after "now" (clocks moved) still counts: ignoring it could let a write be sent twice.
    if confirm.get("outcome") == "accepted" and confirmed_at is not None and now - confirmed_at < float(lookback_hours) * 3600:
        return done("terminating", "OVHcloud accepted the confirmation at %s (query id %s); the removal is not yet visible in the API."
                    % (confirm.get("sent_at"), confirm.get("query_id")), requested_at=_record_time(record.get("request")),
                    deletion_date=termination_date)
    if state not in READY_STATES:
        raise TerminationError("busy", "Service %s is in state %r (not available or delivered): it is busy or in an unknown state, so "
                               "nothing was written. Try again when it is available." % (name, state))

    request = record.get("request") or {}
    sent_at = _record_time(request)
    request_live = (sent_at is not None and request.get("outcome") not in _NOT_ACCEPTED
                    and now - sent_at < float(lookback_hours) * 3600)
    newest = emails[0] if emails else None
    # An e-mail older than a later request of ours is superseded by it (a new token is on its way), and stays so
    # when that e-mail never comes: an accepted terminate replaced the link, an unknown one may have.
    answered = newest is not None and newest.date is not None and (sent_at is None or newest.date >= sent_at - CLOCK_TOLERANCE_SECONDS)
    overdue = request_live and not answered
    if overdue and now - sent_at < email_wait:
        return done("request_pending", "A terminate was sent at %s (outcome %s, query id %s), %s ago; its e-mail can take up to %s."
                    % (format_time(sent_at), request.get("outcome"), request.get("query_id"), _duration(now - sent_at), _duration(email_wait)),
                    requested_at=sent_at)
    if newest is not None and newest.date is not None and now < newest.token_expires and not overdue:
        return done("termination_requested", "Termination e-mail %s of %s holds a link for service id %s, valid until %s."
                    % (newest.email_id, format_time(newest.date), newest.service_id, format_time(newest.token_expires)),
                    requested_at=newest.date, token_expires_at=newest.token_expires, email_id=newest.email_id, email=newest)
    renew = infos.get("renew") or {}
    if renew.get("deleteAtExpiration") is True:
        expiration = parse_api_time(infos.get("expiration"))
        return done("termination_scheduled", "renew.deleteAtExpiration is true: OVHcloud deletes %s at its expiration (%s)."
                    % (name, infos.get("expiration")), deletion_date=expiration, request_overdue=overdue)
    if newest is not None and newest.date is not None:
        if now < newest.token_expires:  # only when overdue: see above
            reason = ("The link of the newest termination e-mail (%s of %s) was replaced by the terminate sent at %s (outcome %s, query id "
                      "%s), whose e-mail never came: it is not used." % (newest.email_id, format_time(newest.date), format_time(sent_at),
                                                                         request.get("outcome"), request.get("query_id")))
        else:
            reason = ("The newest termination e-mail (%s of %s) expired at %s and was never confirmed."
                      % (newest.email_id, format_time(newest.date), format_time(newest.token_expires)))
        return done("token_expired", reason, requested_at=newest.date, token_expires_at=newest.token_expires, email_id=newest.email_id,
                    request_overdue=overdue)
    return done("active", "Service %s is %s with no termination e-mail, request or scheduled deletion." % (name, state),
                request_overdue=overdue)


# ---------------------------------------------------------------------------------------------------------
# Reading the state (the one way every module, the backup module and the role read it)
# ---------------------------------------------------------------------------------------------------------

class Settings(object):
    """Options that shape how the state is read and judged (docs/design.md sections 5 and 5b)."""

    def __init__(self, email_lookback_hours=DEFAULT_LOOKBACK_HOURS, billing_window="warn", request_from_day=25,
                 confirm_from_day=25, billing_timezone="UTC", email_wait=EMAIL_WAIT_SECONDS):
        if email_lookback_hours is None or email_lookback_hours < 72:
            raise TerminationError("invalid", "email_lookback_hours must be at least 72 (the validity of a termination link), "
                                   "not %r." % (email_lookback_hours,))
        self.email_lookback_hours = email_lookback_hours
        self.billing_mode = billing_window
        self.request_from_day = request_from_day
        self.confirm_from_day = confirm_from_day
        self.billing_timezone = billing_timezone
        self.email_wait = email_wait
        try:  # validate once, early, before any call
            self.window(0, "request")
            self.window(0, "confirm")
        except ValueError as err:
            raise TerminationError("invalid", str(err))

    @classmethod
    def from_params(cls, params):
        return cls(
            email_lookback_hours=params.get("email_lookback_hours", DEFAULT_LOOKBACK_HOURS),
            billing_window=params.get("billing_window") or "warn",
            request_from_day=params.get("request_from_day", 25),
            confirm_from_day=params.get("confirm_from_day", 25),
            billing_timezone=params.get("billing_timezone") or "UTC",
        )

    def window(self, now, action):
        from_day = self.confirm_from_day if action == "confirm" else self.request_from_day
        return billing_window(now, self.billing_timezone, from_day, self.billing_mode, action)


class TerminationState(object):
    """What was read about one service and the status decided from it. Holds a token privately (through the
    ``TerminationEmail`` of a ``termination_requested`` status); ``result()`` never includes it."""

    def __init__(self, service_name, now, dedicated_cloud, service_infos, service, dedicated_cloud_error=None):
        self.service_name = service_name
        self.now = now
        self.dedicated_cloud = dedicated_cloud
        self.service_infos = service_infos
        self.service = service
        self.dedicated_cloud_error = dedicated_cloud_error
        self.dedicated_cloud_exc = None
        self.emails = []
        self.emails_read = False
        self.record = {}
        self.decision = {}

    @property
    def service_id(self):
        for source in (self.service_infos, self.service):
            if isinstance(source, dict) and source.get("serviceId") is not None:
                return int(source["serviceId"])
        return None

    @property
    def status(self):
        return self.decision.get("status")

    @property
    def product_reference(self):
        return (self.dedicated_cloud or {}).get("productReference")

    @property
    def email(self):
        """The ``TerminationEmail`` whose token is valid now (termination_requested), else None."""
        return self.decision.get("email")

    @property
    def request_overdue(self):
        return bool(self.decision.get("request_overdue"))

    def decide(self, settings):
        self.decision = decide_status({
            "service_name": self.service_name,
            "dedicated_cloud": self.dedicated_cloud,
            "dedicated_cloud_error": self.dedicated_cloud_error,
            "service_infos": self.service_infos,
            "service": self.service,
            "emails": self.emails,
            "record": self.record,
        }, self.now, email_wait=settings.email_wait, lookback_hours=settings.email_lookback_hours)
        return self.decision

    def window(self, settings, action=None):
        if action is None:
            action = "confirm" if self.status == "termination_requested" else "request"
        return settings.window(self.now, action)

    def record_summary(self):
        """The request record without anything secret (it holds none): request and confirm sections."""
        if not self.record:
            return None
        return {key: self.record.get(key) for key in ("request", "confirm") if self.record.get(key)}

    def result(self, settings, action=None):
        """The ``termination`` dict (docs/architecture.md)."""
        decision = self.decision
        return {
            "status": decision.get("status"),
            "service_name": self.service_name,
            "service_id": self.service_id,
            "requested_at": format_time(decision.get("requested_at")),
            "token_expires_at": format_time(decision.get("token_expires_at")),
            "email_id": decision.get("email_id"),
            "deletion_date": format_time(decision.get("deletion_date")),
            "reason": decision.get("reason"),
            "checked_at": format_time(self.now),
            "billing_window": self.window(settings, action),
            "request_record": self.record_summary(),
            "request_overdue": self.request_overdue,
            "api": {
                "dedicated_cloud": self.dedicated_cloud,
                "service_infos": self.service_infos,
                "service": self.service,
                "emails": [email.summary() for email in self.emails],
            },
        }


def _get_or_error(client, template, statuses, doing, **params):
    """GET; an ``OvhApiError`` whose status is in ``statuses`` is returned as ``(None, error)``."""
    try:
        return client.get(template, **params), None
    except OvhApiError as err:
        if err.status in statuses:
            return None, err
        raise _api_failure(err, doing)


def _read_service_entry(client, service_name, service_id):
    """The ``/services/{id}`` entry of the service (by ``resourceName``), or None when /services has none."""
    ids, dummy = _get_or_error(client, R_SERVICES, (404,), "Could not look %s up in /services" % service_name,
                               query={"resourceName": service_name})
    ids = [int(i) for i in ids or []]
    if service_id is not None:
        # serviceInfos named the id: only that entry is this service (another id could say "deleted").
        ids = [service_id] if service_id in ids else []
    for candidate in ids:
        entry, dummy = _get_or_error(client, R_SERVICES_ITEM, (404,), "Could not read /services/%s" % candidate, serviceId=candidate)
        if not isinstance(entry, dict):
            continue
        if service_id is not None:
            return entry
        # No serviceInfos (404/460): the entry must name the service, or a look-alike could read as "terminated".
        if (entry.get("resource") or {}).get("name") == service_name:
            return entry
    return None


def read_service_facts(client, service_name, now=None):
    """Read the service, its serviceInfos and its /services entry (no e-mails); a TerminationState without a
    decision. 404 and 460 are kept as evidence, any other error raises TerminationError."""
    now = client.now() if now is None else now
    dc, dc_exc = _get_or_error(client, R_SERVICE, (404, 460), "Could not read service %s" % service_name, serviceName=service_name)
    infos = None
    if dc_exc is None:
        infos, dc_exc = _get_or_error(client, R_SERVICE_INFOS, (404, 460), "Could not read the serviceInfos of %s" % service_name,
                                      serviceName=service_name)
    service_id = None
    if isinstance(infos, dict) and infos.get("serviceId") is not None:
        service_id = int(infos["serviceId"])
    entry = _read_service_entry(client, service_name, service_id)
    state = TerminationState(service_name, now, dc, infos, entry, dedicated_cloud_error=dc_exc.status if dc_exc is not None else None)
    state.dedicated_cloud_exc = dc_exc
    return state


def _needs_emails(state):
    if state.dedicated_cloud_error is not None:
        return False
    if (state.dedicated_cloud or {}).get("state") in REMOVAL_STATES:
        return False
    return ((state.service or {}).get("resource") or {}).get("state") not in ("toDelete", "deleted")


def refresh_decision(client, state, settings, scanner=None, records=None, now=None, emails_optional=False, warn=None, rescan=True):
    """(Re)read the e-mails and the request record of ``state`` and decide its status again. With
    ``rescan=False`` a scanner that already scanned the history is reused as is (one scan for many services)."""
    state.now = client.now() if now is None else now
    if records is not None:
        state.record = records.load(state.service_name)
    if _needs_emails(state) and state.service_id is not None:
        scanner = scanner or EmailScanner(client, settings.email_lookback_hours)
        try:
            history = scanner.scan(state.now) if rescan else scanner.emails(state.now)
            state.emails = termination_emails(history, state.service_id)
            state.emails_read = True
        except TerminationError as err:
            if not emails_optional or err.error is None or err.error.status not in (401, 403):
                raise
            state.emails = []
            state.emails_read = False
            if warn is not None:
                warn("The account's e-mail history is not readable (%s); the status is judged without termination e-mails." % err.error)
    try:
        state.decide(settings)
    except TerminationError as err:
        if err.error is None and err.kind in ("not_found", "expired"):
            err.error = state.dedicated_cloud_exc
        raise
    return state


def read_termination_state(client, service_name, settings=None, records=None, scanner=None, emails_optional=False, warn=None):
    """Read everything about ``service_name`` and decide its termination status (docs/design.md section 5).

    ``settings``: ``Settings`` (defaults when None); ``records``: ``RequestRecords`` or None (no record);
    ``scanner``: an ``EmailScanner`` to share between services (one history scan for a whole account).
    Raises TerminationError: not_found, expired, busy (fail closed), api (any other API error)."""
    settings = settings or Settings()
    state = read_service_facts(client, service_name)
    return refresh_decision(client, state, settings, scanner=scanner, records=records, now=state.now,
                            emails_optional=emails_optional, warn=warn)


def list_services(client, product_references=None, settings=None, records=None, warn=None):
    """Every service of the account (filtered by ``productReference`` unless ``product_references`` is
    empty or None), as dicts ``{service_name, service, service_infos, service_entry, termination}``; a
    service that fails closed (busy, expired, vanished) gets ``termination: None`` and ``problem``."""
    settings = settings or Settings()
    try:
        names = client.get(R_SERVICE_LIST)
    except OvhApiError as err:
        raise _api_failure(err, "Could not list the account's services")
    scanner = EmailScanner(client, settings.email_lookback_hours)
    wanted = set(product_references or [])
    services = []
    for name in sorted(names or []):
        try:
            state = read_service_facts(client, name)
            if wanted and state.product_reference not in wanted and state.dedicated_cloud is not None:
                continue
            refresh_decision(client, state, settings, scanner=scanner, records=records, now=state.now, warn=warn, rescan=False)
        except TerminationError as err:
            if err.kind == "api":
                raise
            services.append({"service_name": name, "service": None, "service_infos": None, "service_entry": None,
                             "termination": None, "problem": {"kind": err.kind, "message": err.msg}})
            continue
        services.append(info_result(state, settings))
    return services


def info_result(state, settings):
    """What ``mbm_info`` returns for one service."""
    return {
        "service_name": state.service_name,
        "service": state.dedicated_cloud,
        "service_infos": state.service_infos,
        "service_entry": state.service,
        "termination": state.result(settings),
    }


# ---------------------------------------------------------------------------------------------------------
# Operations behind the write modules
# ---------------------------------------------------------------------------------------------------------

class Runtime(object):
    """What an operation needs besides its options: the client, the request records, the settings, check
    mode, a ``warn`` callback and the clocks used for waiting (local, monotonic: the wait is the caller's
    time; dates are judged on the API clock)."""

    def __init__(self, client, settings, records=None, check_mode=False, warn=None, sleep=time.sleep, monotonic=time.monotonic):
        self.client = client
        self.settings = settings
        self.records = records
        self.check_mode = check_mode
        self.warnings = []
        self._warn = warn
        self.sleep = sleep
        self.monotonic = monotonic

    def warn(self, message):
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def write_lock(self, service_name, timeout):
        """The per-service lock of a write operation; none in check mode (nothing is written, no file is made)."""
        if self.check_mode or self.records is None:
            return contextlib.nullcontext()
        return self.records.lock(service_name, timeout, sleep=self.sleep, monotonic=self.monotonic)

    def read(self, service_name, scanner=None, emails_optional=False):
        return read_termination_state(self.client, service_name, self.settings, records=self.records, scanner=scanner,
                                      emails_optional=emails_optional, warn=self.warn)


def _write_entry(method, template, service_name, query_id, at, outcome):
    return {"method": method, "path": template.replace("{serviceName}", service_name), "query_id": query_id,
            "at": format_time(at), "outcome": outcome}


def _write_outcome(err):
    """``unknown`` when a failed write may have been applied (response lost, or a 5xx that a gateway can send
    after the API did the work), else ``refused``."""
    if err.error_code == "OUTCOME_UNKNOWN" or getattr(err, "outcome_unknown", False):
        return "unknown"
    return "unknown" if err.status is not None and err.status >= 500 else "refused"


def _scrub(err, secret):
    """Remove ``secret`` (a token) from an ``OvhApiError`` in place: the API may echo a token it refuses."""
    if not secret:
        return err
    hidden = "********"
    variants = sorted({secret, quote(secret, safe=""), quote(secret)}, key=len, reverse=True)

    def clean(value):
        if isinstance(value, str):
            for variant in variants:
                value = value.replace(variant, hidden)
            return value
        if isinstance(value, dict):
            return dict((clean(k), clean(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    for name in ("message", "hint", "path"):
        setattr(err, name, clean(getattr(err, name, None)))
    err.details = clean(err.details or {})
    err.args = (err.text(),)
    return err


def _result(state, settings, before, after, changed, msg, action, writes=None):
    writes = writes or []
    query_id = None
    for write in writes:
        if write.get("query_id"):
            query_id = write["query_id"]
    return {
        "changed": changed,
        "msg": msg,
        "termination": state.result(settings, action),
        "writes": writes,
        "query_id": query_id,
        "diff": {"before": {"status": before}, "after": {"status": after}},
    }


def _fail(kind, msg, state, settings, before, action, error=None, writes=None, changed=False):
    result = _result(state, settings, before, state.status, changed, msg, action, writes)
    del result["msg"]
    return TerminationError(kind, msg, error=error, result=result)


def _apply_window(runtime, state, before, action):
    """Check the billing window before a write; a refusal still returns the state read."""
    try:
        check_billing_window(state.window(runtime.settings, action), runtime.warn)
    except TerminationError as err:
        raise _fail(err.kind, err.msg, state, runtime.settings, before, action)


def _wait_for_email(runtime, state, scanner, newer_than, timeout, delay):
    """Poll the e-mail history until a termination e-mail with an id above ``newer_than`` is there for the
    service, the status leaves the request phase, or ``timeout`` seconds pass. Returns the last state and
    whether the e-mail came."""
    deadline = runtime.monotonic() + timeout
    while True:
        refresh_decision(runtime.client, state, runtime.settings, scanner=scanner, records=runtime.records)
        email = state.email
        if email is not None and (newer_than is None or (email.email_id or 0) > newer_than):
            return state, True
        if state.status in ("terminating", "terminated"):
            return state, False
        remaining = deadline - runtime.monotonic()
        if remaining <= 0:
            return state, False
        runtime.sleep(max(0.0, min(float(delay), remaining)))


def _reread_after_write(runtime, service_name, writes, **kwargs):
    """Read the state again after a write whose outcome is unknown; a failure still reports the write."""
    try:
        return runtime.read(service_name, **kwargs)
    except TerminationError as err:
        err.result = dict(err.result, writes=writes, changed=True, query_id=None)
        err.msg = "%s (after a write whose outcome is unknown: %s)" % (err.msg, ", ".join("%s %s" % (w["method"], w["path"]) for w in writes))
        raise


def _check_mbm(state, settings, before, action, allow_non_mbm):
    """Refuse a readable service that is not a Managed Bare Metal unless ``allow_non_mbm``."""
    if state.product_reference != "MBM" and state.dedicated_cloud is not None and not allow_non_mbm:
        raise _fail("not_mbm", "Service %s is a %s, not a Managed Bare Metal (MBM): refused (set allow_non_mbm to true to terminate it "
                    "anyway). Nothing was written." % (state.service_name, state.product_reference), state, settings, before, action)


def _check_wait(wait_timeout, wait_delay):
    if wait_timeout is None or wait_timeout < 0:
        raise TerminationError("invalid", "wait_timeout must be 0 or more seconds, not %r." % (wait_timeout,))
    if wait_delay is None or wait_delay < 1:
        raise TerminationError("invalid", "wait_delay must be at least 1 second, not %r." % (wait_delay,))


def _request_termination(runtime, service_name, allow_non_mbm=False, force_new_request=False, wait_for_email=False,
                         wait_timeout=2400, wait_delay=30):
    """Ask OVHcloud to terminate ``service_name`` when needed (module ``mbm_termination_request``)."""
    client = runtime.client
    settings = runtime.settings
    _check_wait(wait_timeout, wait_delay)
    preflight(client, service_name, "request", runtime.warn)
    scanner = EmailScanner(client, settings.email_lookback_hours)
    state = runtime.read(service_name, scanner=scanner)
    before = state.status
    action = "request"
    _check_mbm(state, settings, before, action, allow_non_mbm)

    if before in ("terminated", "terminating", "termination_scheduled"):
        why = {"terminated": "it is already terminated", "terminating": "its removal is already running",
               "termination_scheduled": "OVHcloud already deletes it at its expiration (%s); no early termination is needed"
                                        % format_time(state.decision.get("deletion_date"))}[before]
        return _result(state, settings, before, before, False, "No request sent for %s: %s. %s" % (service_name, why, state.decision["reason"]), action)

    if before == "request_pending":
        if wait_for_email and not runtime.check_mode:
            state, arrived = _wait_for_email(runtime, state, scanner, None, wait_timeout, wait_delay)
            if not arrived and state.status == "request_pending":
                raise _fail("email_timeout", "A request for %s is pending (%s) and no termination e-mail arrived within wait_timeout "
                            "(%d s). Nothing was sent; run again later." % (service_name, state.decision["reason"], wait_timeout),
                            state, settings, before, action)
        if state.status != "request_pending":
            return _result(state, settings, before, state.status, False, "No request sent for %s: the e-mail of the pending request "
                           "arrived. %s" % (service_name, state.decision["reason"]), action)
        return _result(state, settings, before, state.status, False,
                       "No request sent for %s: a request is already pending and must not be sent twice within the e-mail wait. %s"
                       % (service_name, state.decision["reason"]), action)

    if before == "termination_requested" and not force_new_request:
        return _result(state, settings, before, before, False,
                       "No request sent for %s: a termination link is still valid until %s (e-mail %s). Set force_new_request "
                       "to replace it." % (service_name, format_time(state.decision["token_expires_at"]), state.decision["email_id"]), action)

    if state.request_overdue and not force_new_request:
        request = (state.record or {}).get("request") or {}
        raise _fail("outcome_unknown", "The outcome of the terminate sent for %s at %s (query id %s, outcome %s) is unknown: no termination "
                    "e-mail arrived within %s. Nothing was sent again. Check the account's e-mails and OVHcloud's control panel, "
                    "then set force_new_request to send a new request."
                    % (service_name, request.get("sent_at"), request.get("query_id"), request.get("outcome"), _duration(settings.email_wait)),
                    state, settings, before, action)

    _apply_window(runtime, state, before, action)
    after = "termination_requested" if wait_for_email else "request_pending"
    if runtime.check_mode:
        return _result(state, settings, before, after, True,
                       "Would request the termination of %s (status %s). Check mode: nothing was sent." % (service_name, before), action)

    newest_before = scanner.newest_id
    writes = []
    sent_at = client.now()
    if runtime.records is not None:
        runtime.records.update(service_name, "request", service_id=state.service_id, sent_at=format_time(sent_at),
                               outcome="sending", query_id=None, updated_at=format_time(sent_at))
    lost = None
    try:
        response = client.post(R_TERMINATE, serviceName=service_name)
        query_id = response.query_id
        outcome = "accepted"
    except OvhApiError as err:
        query_id = err.query_id
        outcome = _write_outcome(err)
        if outcome == "unknown":
            lost = err
        else:
            if runtime.records is not None:
                runtime.records.update(service_name, "request", outcome=outcome, query_id=query_id, updated_at=format_time(client.now()))
            writes.append(_write_entry("POST", R_TERMINATE, service_name, query_id, sent_at, outcome))
            raise _fail("api", "OVHcloud refused the termination request for %s: %s" % (service_name, err), state, settings, before, action,
                        error=err, writes=writes)
    if runtime.records is not None:
        runtime.records.update(service_name, "request", outcome=outcome, query_id=query_id, updated_at=format_time(client.now()))
    writes.append(_write_entry("POST", R_TERMINATE, service_name, query_id, sent_at, outcome))
    if lost is not None:
        runtime.warn("The outcome of the terminate for %s is unknown (%s); the request is recorded as pending and will not be sent again "
                     "within the e-mail wait." % (service_name, lost))

    if wait_for_email:
        state, arrived = _wait_for_email(runtime, state, scanner, newest_before, wait_timeout, wait_delay)
        if not arrived:
            raise _fail("email_timeout", "The termination of %s was requested (query id %s) but no termination e-mail for service id %s "
                        "arrived within wait_timeout (%d s). The request is recorded; run again later (it will not be sent twice)."
                        % (service_name, query_id, state.service_id, wait_timeout), state, settings, before, action,
                        writes=writes, changed=True)
    else:
        refresh_decision(client, state, settings, scanner=scanner, records=runtime.records)
    return _result(state, settings, before, state.status, True,
                   "Requested the termination of %s (query id %s): %s" % (service_name, query_id, state.decision["reason"]), action, writes)


def _is_token_refusal(err):
    """A refused confirmation that is about the token (wrong, used, expired), not about the credentials."""
    if err.error_code in _CREDENTIAL_ERRORS:
        return False
    return err.status in (400, 403, 409, 410)


def _check_given_token(state, token):
    """Validate a token given by the user against what the e-mail history says; raises TerminationError."""
    if not valid_token_shape(token):
        raise TerminationError("token", "The token given does not have the shape of a termination token (8 to 512 URL-safe characters, "
                               "no spaces). Nothing was sent.")
    if not state.emails:
        return None
    for email in state.emails:
        if email.token_matches(token):
            if email is state.email:
                return email
            if state.email is not None:
                raise TerminationError("token", "The token given comes from termination e-mail %s, superseded by e-mail %s: only the "
                                       "newest link is valid. Nothing was sent." % (email.email_id, state.email.email_id))
            if email.token_expires is not None and email.token_expires > state.now:
                raise TerminationError("token", "The token given comes from termination e-mail %s, superseded by a later request still "
                                       "waiting for its e-mail (%s). Nothing was sent." % (email.email_id, state.decision.get("reason")))
            raise TerminationError("token_expired", "The token given comes from termination e-mail %s of %s, which expired at %s. Request a "
                                   "new termination with ovhcloud.mbm.mbm_termination_request. Nothing was sent."
                                   % (email.email_id, format_time(email.date), format_time(email.token_expires)))
    if state.email is not None:
        raise TerminationError("token", "The token given does not match the newest termination e-mail for service id %s (e-mail %s of %s). "
                               "Nothing was sent: tokens are never tried by guesswork."
                               % (state.service_id, state.email.email_id, format_time(state.email.date)))
    return None


def _confirm_termination(runtime, service_name, token=None, reason=None, future_use=None, commentary=None, wait_for_email=False,
                         wait_timeout=2400, wait_delay=30, allow_non_mbm=False):
    """Confirm the termination of ``service_name`` (module ``mbm_termination_confirm``): the point of no return."""
    client = runtime.client
    settings = runtime.settings
    action = "confirm"
    _check_wait(wait_timeout, wait_delay)
    token = token.strip() if isinstance(token, str) else token  # a vaulted value may end with a newline
    given = token is not None and token != ""
    preflight(client, service_name, "confirm_with_token" if given else "confirm", runtime.warn)
    scanner = EmailScanner(client, settings.email_lookback_hours)
    state = runtime.read(service_name, scanner=scanner, emails_optional=given)
    before = state.status

    if before in ("terminated", "terminating"):
        return _result(state, settings, before, before, False, "Nothing to confirm for %s: %s" % (service_name, state.decision["reason"]), action)
    _check_mbm(state, settings, before, action, allow_non_mbm)  # the point of no return is refused as the request is
    if before == "termination_scheduled":
        return _result(state, settings, before, before, False,
                       "Nothing to confirm for %s: %s No early termination is needed." % (service_name, state.decision["reason"]), action)
    if before == "token_expired":
        if given:
            try:
                _check_given_token(state, token)
            except TerminationError as err:
                raise _fail(err.kind, err.msg, state, settings, before, action)
        raise _fail("token_expired", "The termination link of %s expired at %s (e-mail %s): a new request is needed "
                    "(ovhcloud.mbm.mbm_termination_request). Nothing was sent."
                    % (service_name, format_time(state.decision["token_expires_at"]), state.decision["email_id"]), state, settings, before, action)

    if before == "request_pending" and not given:
        if runtime.check_mode:
            _apply_window(runtime, state, before, action)
            return _result(state, settings, before, "terminating", True,
                           "A request for %s is pending; once its e-mail arrives this would confirm the termination (all data is deleted "
                           "at confirmation). Check mode: nothing was sent, nothing was waited for." % service_name, action)
        if not wait_for_email:
            raise _fail("no_email", "A termination request for %s is pending but its e-mail has not arrived yet (%s). Run again later or set "
                        "wait_for_email. Nothing was sent." % (service_name, state.decision["reason"]), state, settings, before, action)
        state, arrived = _wait_for_email(runtime, state, scanner, None, wait_timeout, wait_delay)
        if state.status in ("terminating", "terminated"):
            return _result(state, settings, before, state.status, False, "Nothing to confirm for %s: %s" % (service_name, state.decision["reason"]),
                           action)
        if not arrived:
            raise _fail("email_timeout", "No termination e-mail for %s (service id %s) arrived within wait_timeout (%d s). Nothing was sent."
                        % (service_name, state.service_id, wait_timeout), state, settings, before, action)

    # With the e-mail history read, a given token needs a request too: none means it can only be stale or foreign.
    if state.status in ("active", "token_expired") and (not given or state.emails_read):
        overdue = ""
        if state.request_overdue:
            request = (state.record or {}).get("request") or {}
            overdue = (" A terminate was sent at %s (query id %s) but no e-mail arrived: its outcome is unknown."
                       % (request.get("sent_at"), request.get("query_id")))
        if runtime.check_mode:
            return _result(state, settings, before, "terminating", True,
                           "No termination request exists for %s yet.%s After ovhcloud.mbm.mbm_termination_request and its e-mail, this "
                           "would confirm the termination. Check mode: nothing was sent." % (service_name, overdue), action)
        raise _fail("no_request", "No termination e-mail for %s (service id %s) in the last %s h and no pending request: a request is "
                    "needed first (ovhcloud.mbm.mbm_termination_request).%s Nothing was sent."
                    % (service_name, state.service_id, settings.email_lookback_hours, overdue), state, settings, before, action)

    email = state.email
    if given:
        try:
            email = _check_given_token(state, token)
        except TerminationError as err:
            raise _fail(err.kind, err.msg, state, settings, before, action)
        secret = token
        if email is not None:
            source = "the token given, matching e-mail %s" % email.email_id
        else:
            source = "the token given"
            runtime.warn("The token given for %s could not be checked against a termination e-mail (%s); OVHcloud checks it."
                         % (service_name, "no e-mail of the pending request yet" if state.emails_read else "the e-mail history is not readable"))
    else:
        secret = email._token if email is not None else None  # pylint: disable=protected-access
        if secret is None:
            raise _fail("token", "Termination e-mail %s holds two different confirmation links for service id %s: no token is picked from "
                        "it. Give the right one with the token option, or request a new termination (force_new_request). Nothing was sent."
                        % (state.decision.get("email_id"), state.service_id), state, settings, before, action)
        source = "the link of e-mail %s (valid until %s)" % (email.email_id, format_time(email.token_expires))

    _apply_window(runtime, state, before, action)
    if runtime.check_mode:
        return _result(state, settings, before, "terminating", True,
                       "Would confirm the termination of %s with %s; all data is deleted at confirmation. Check mode: nothing was sent."
                       % (service_name, source), action)

    body = {"token": secret}
    if reason:
        body["reason"] = reason
    if future_use:
        body["futureUse"] = future_use
    if commentary:
        body["commentary"] = commentary
    sent_at = client.now()
    email_id = email.email_id if email is not None else None
    if runtime.records is not None:
        runtime.records.update(service_name, "confirm", service_id=state.service_id, sent_at=format_time(sent_at), outcome="sending",
                               query_id=None, email_id=email_id, updated_at=format_time(sent_at))
    writes = []
    try:
        response = client.post(R_CONFIRM, body=body, serviceName=service_name)
        query_id = response.query_id
        outcome = "accepted"
    except OvhApiError as err:
        _scrub(err, secret)  # the API may quote the token it refuses
        query_id = err.query_id
        outcome = _write_outcome(err)
        if runtime.records is not None:
            runtime.records.update(service_name, "confirm", outcome=outcome, query_id=query_id, updated_at=format_time(client.now()))
        writes.append(_write_entry("POST", R_CONFIRM, service_name, query_id, sent_at, outcome))
        if outcome == "refused":
            if _is_token_refusal(err):
                msg = ("OVHcloud refused the confirmation of %s with %s: %s. The token is wrong, already used or expired; nothing was "
                       "confirmed. Request a new termination (ovhcloud.mbm.mbm_termination_request) and confirm with its new link."
                       % (service_name, source, err))
                raise _fail("token", msg, state, settings, before, action, error=err, writes=writes)
            raise _fail("api", "OVHcloud refused the confirmation of %s: %s" % (service_name, err), state, settings, before, action,
                        error=err, writes=writes)
        # Lost response or 5xx: it may have been applied. Re-read before saying anything.
        state = _reread_after_write(runtime, service_name, writes, scanner=scanner, emails_optional=given)
        if state.status in ("terminating", "terminated"):
            runtime.warn("The outcome of the confirmation of %s was unknown (%s), but the service now reads %s." % (service_name, err, state.status))
            return _result(state, settings, before, state.status, True,
                           "Confirmed the termination of %s (response lost; the service reads %s)." % (service_name, state.status), action, writes)
        raise _fail("outcome_unknown", "The outcome of the confirmation of %s is unknown (%s) and the service still reads %s. Run again to "
                    "re-read the state before anything else." % (service_name, err, state.status),
                    state, settings, before, action, error=err, writes=writes, changed=True)
    if runtime.records is not None:
        runtime.records.update(service_name, "confirm", outcome=outcome, query_id=query_id, updated_at=format_time(client.now()))
    writes.append(_write_entry("POST", R_CONFIRM, service_name, query_id, sent_at, outcome))
    state = runtime.read(service_name, scanner=scanner, emails_optional=given)
    return _result(state, settings, before, state.status, True,
                   "Confirmed the termination of %s (query id %s): %s" % (service_name, query_id, state.decision["reason"]), action, writes)


def _cancel_termination(runtime, service_name):
    """Undo what can be undone before confirmation (module ``mbm_termination_cancel``)."""
    client = runtime.client
    settings = runtime.settings
    action = "request"
    state = runtime.read(service_name)
    before = state.status
    if before in ("terminating", "terminated"):
        raise _fail("data_gone", "The termination of %s cannot be cancelled: it was confirmed and %s; its data is deleted at confirmation and "
                    "cannot be recovered. %s" % (service_name, "its removal is running" if before == "terminating" else "it is gone",
                                                 state.decision["reason"]), state, settings, before, action)
    renew = dict((state.service_infos or {}).get("renew") or {})
    notes = []
    if before == "termination_requested":
        notes.append("the pending request lapses unconfirmed at %s (72 h after e-mail %s): leave it unconfirmed, no call is needed"
                     % (format_time(state.decision["token_expires_at"]), state.decision["email_id"]))
    elif before == "request_pending":
        notes.append("the pending request (%s) lapses unconfirmed 72 h after its e-mail: leave it unconfirmed, no call is needed"
                     % state.decision["reason"])
    if renew.get("deleteAtExpiration") is not True:
        if not notes:
            notes.append("nothing to cancel (status %s)" % before)
        return _result(state, settings, before, before, False, "No change for %s: %s." % (service_name, "; ".join(notes)), action)

    after = "active" if before == "termination_scheduled" else before
    preflight(client, service_name, "cancel", runtime.warn)  # only when a write is due: the PUT rule is optional otherwise
    if runtime.check_mode:
        notes.insert(0, "would set renew.deleteAtExpiration to false (and renew.automatic to true), so the service is renewed "
                     "instead of deleted at %s"
                     % (state.service_infos or {}).get("expiration"))
        return _result(state, settings, before, after, True, "Check mode, %s: %s. Nothing was sent." % (service_name, "; ".join(notes)), action)

    renew["deleteAtExpiration"] = False
    if renew.get("manualPayment") is True:
        runtime.warn("%s renews by manual payment: pay its renewal before %s, or it expires at that date."
                     % (service_name, (state.service_infos or {}).get("expiration")))
    else:
        renew["automatic"] = True
    sent_at = client.now()
    writes = []
    unknown = None
    try:
        response = client.put(R_SERVICE_INFOS, body={"renew": renew}, serviceName=service_name)
        query_id = response.query_id
        writes.append(_write_entry("PUT", R_SERVICE_INFOS, service_name, query_id, sent_at, "accepted"))
    except OvhApiError as err:
        unknown = err
        outcome = _write_outcome(err)
        writes.append(_write_entry("PUT", R_SERVICE_INFOS, service_name, err.query_id, sent_at, outcome))
        if outcome == "refused":
            raise _fail("api", "OVHcloud refused to stop the deletion of %s at expiration: %s" % (service_name, err), state, settings, before,
                        action, error=err, writes=writes)
        runtime.warn("The outcome of the serviceInfos update of %s was unknown (%s); the state was read again." % (service_name, err))
    state = _reread_after_write(runtime, service_name, writes)
    if ((state.service_infos or {}).get("renew") or {}).get("deleteAtExpiration") is True:
        raise _fail("api", "renew.deleteAtExpiration of %s still reads true after the update: the cancellation did not take effect.%s"
                    % (service_name, " The update failed with: %s" % unknown if unknown is not None else ""),
                    state, settings, before, action, error=unknown, writes=writes, changed=True)
    notes.insert(0, "set renew.deleteAtExpiration to false and renew.automatic to %s (query id %s): the service is renewed instead "
                 "of deleted at %s"
                 % (str(renew.get("automatic")).lower(), writes[-1]["query_id"], (state.service_infos or {}).get("expiration")))
    return _result(state, settings, before, state.status, True, "Cancelled for %s: %s." % (service_name, "; ".join(notes)), action, writes)


LOCK_MARGIN_SECONDS = 600
"""How much longer than its own e-mail wait a run waits for another run writing for the same service."""


def request_termination(runtime, service_name, allow_non_mbm=False, force_new_request=False, wait_for_email=False,
                        wait_timeout=2400, wait_delay=30):
    """Ask OVHcloud to terminate ``service_name`` when needed (module ``mbm_termination_request``)."""
    _check_wait(wait_timeout, wait_delay)
    with runtime.write_lock(service_name, wait_timeout + LOCK_MARGIN_SECONDS):
        return _request_termination(runtime, service_name, allow_non_mbm=allow_non_mbm, force_new_request=force_new_request,
                                    wait_for_email=wait_for_email, wait_timeout=wait_timeout, wait_delay=wait_delay)


def confirm_termination(runtime, service_name, token=None, reason=None, future_use=None, commentary=None, wait_for_email=False,
                        wait_timeout=2400, wait_delay=30, allow_non_mbm=False):
    """Confirm the termination of ``service_name`` (module ``mbm_termination_confirm``): the point of no return."""
    _check_wait(wait_timeout, wait_delay)
    with runtime.write_lock(service_name, wait_timeout + LOCK_MARGIN_SECONDS):
        return _confirm_termination(runtime, service_name, token=token, reason=reason, future_use=future_use, commentary=commentary,
                                    wait_for_email=wait_for_email, wait_timeout=wait_timeout, wait_delay=wait_delay,
                                    allow_non_mbm=allow_non_mbm)


def cancel_termination(runtime, service_name):
    """Undo what can be undone before confirmation (module ``mbm_termination_cancel``)."""
    with runtime.write_lock(service_name, LOCK_MARGIN_SECONDS):
        return _cancel_termination(runtime, service_name)


# ---------------------------------------------------------------------------------------------------------
# Glue for the modules (they stay thin)
# ---------------------------------------------------------------------------------------------------------

def termination_argument_spec(service_name_required=True):
    """Options shared by the termination modules (docs/design.md section 7), beyond the client's.

    Documented by the doc fragments ``ovhcloud.mbm.termination`` and ``ovhcloud.mbm.termination.write``
    (plugins/doc_fragments/termination.py); keep both sides equal.
    """
    return dict(
        service_name=dict(type="str", required=service_name_required),
        email_lookback_hours=dict(type="int", default=DEFAULT_LOOKBACK_HOURS),
        billing_window=dict(type="str", default="warn", choices=list(BILLING_MODES)),
        request_from_day=dict(type="int", default=25),
        confirm_from_day=dict(type="int", default=25),
        billing_timezone=dict(type="str", default="UTC"),
    )


def wait_argument_spec():
    """Options of the modules that can wait for the termination e-mail (request and confirm).

    wait_timeout and wait_delay are documented by the doc fragment ``ovhcloud.mbm.termination.wait``;
    each module documents its own wait_for_email.
    """
    return dict(
        wait_for_email=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=2400),
        wait_delay=dict(type="int", default=30),
    )


def records_for_client(client, state_dir):
    """The request records of this client's endpoint and credential (consumer key, else OAuth2 client id)."""
    ovh_client = getattr(client, "_ovh", None)
    credential = getattr(client, "identity", None) or getattr(ovh_client, "_consumer_key", None) or getattr(ovh_client, "_client_id", None)
    return RequestRecords(state_dir, getattr(client, "base_url", None) or getattr(client, "endpoint", None), credential)


def _domain_failure(err, client):
    """The ``failure`` dict of a TerminationError that has no API error behind it."""
    return {"status": None, "error_code": err.kind.upper(), "message": err.msg,
            "query_id": getattr(client, "last_query_id", None) if client is not None else None, "method": None, "path": None}


def run_operation(mbm, operation, **kwargs):
    """Run ``operation(runtime, **kwargs)`` for a module wrapper ``mbm`` (``_module.MbmModule``) and exit or fail
    the module with its result. Failures carry ``failure`` (the OVH query id when the API was involved)."""
    client = None
    try:
        settings = Settings.from_params(mbm.params)
        client = mbm.client
        runtime = Runtime(client, settings, records=records_for_client(client, mbm.params.get("state_dir")), check_mode=mbm.check_mode,
                          warn=mbm.module.warn)
        result = operation(runtime, **kwargs)
    except TerminationError as err:
        result = dict(err.result)
        if err.error is None:
            result["failure"] = _domain_failure(err, client)
        mbm.fail(err.msg, err.error, **result)
        return
    except OvhApiError as err:
        mbm.fail(str(err), err)
        return
    except (IOError, OSError) as err:
        mbm.fail("Could not use state_dir %s for the termination request records: %s" % (mbm.params.get("state_dir"), err))
        return
    mbm.exit(**result)


def info(runtime, service_name=None, product_references=None):
    """What ``mbm_info`` returns (read-only)."""
    if service_name:
        state = runtime.read(service_name)
        result = info_result(state, runtime.settings)
    else:
        result = {"services": list_services(runtime.client, product_references, runtime.settings, runtime.records, runtime.warn)}
    result["changed"] = False
    return result
