"""VOIPZeker Unite API (api.voipzeker.nl/unite/v1).

Authentication is two-staged: a single-use 6-character invitation id from the Unite portal is
exchanged once for a long-lived login token (``appprovision``), and the login token for an
access token valid for 30 minutes (``applogin``). Every other endpoint is a form POST carrying
the access token. The provider allows 30 requests a minute and answers HTTP 429 until the next
minute. Answers are ``{"status": bool, "errorCode": int, "message": str, "data": ...}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import logging
import math
import re
import time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import aiohttp

from . import Capability, Quota, RequestGate
from .errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
    PermissionDenied,
    QuotaExceeded,
)
from .http import DEFAULT_TIMEOUT, HttpResponse, HttpTransport, parse_json
from .models import (
    AccountData,
    ActionResult,
    CallDirection,
    Contact,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Freshness,
    Read,
    StructureLoad,
    Switch,
    SwitchKind,
)
from .phone import DEFAULT_REGION, e164, international_digits, parse_number, parse_own_number

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://api.voipzeker.nl/unite/v1/"
PROVIDER_TZ = ZoneInfo("Europe/Amsterdam")  # CDR times are Dutch local time
INVITATION_PATTERN = re.compile(r"[0-9A-Z]{6}")
TOKEN_LIFETIME = 30 * 60.0
TOKEN_MARGIN = 2 * 60.0  # renew this long before the documented expiry
PAGE_LIMIT = 100  # the document allows 1-300 per page
# listextensionsstatus ids per request: ~45 bytes each keeps a request far below the 20 kB cap.
STATUS_CHUNK = 200
MAX_PAGES = 100  # a server that ignores showpage must not loop us forever
DND_READS_ON_LOAD = 10  # the rest arrive through plan_reads, within the budget
DND_PREFIX = "dnd_"
DND_ROTATION = "dnd"  # one planned read that takes the extensions' DND states in turn
CALLS_TODAY = "calls_today"  # the planned read of the calls-today counts (listcdrlogs)
PHONEBOOK = "phonebook"  # the planned read of the phonebook (listphonebookitems)
PHONEBOOK_PAGE = 300  # the document caps listings at 300 a page
MAX_CONTACTS = 3000  # phonebook rows kept: at most 10 requests a read at 300 a page
MAX_CONTACT_NUMBERS = 10  # numbers kept per phonebook row
MAX_NAME = 64  # characters of a phonebook name kept

RENEW_CODES = frozenset({90, 21})  # "access token value renew", "invalid access token"
AUTH_CODES = frozenset({100, 107})  # "user verified error", "user/tenant/extension mismatch"
NOT_ALLOWED_CODE = 1  # "the endpoint you want to reach is not allowed"

STATUS_MAP: Mapping[int, tuple[ExtensionStatus, CallDirection | None]] = {
    0: (ExtensionStatus.NEVER_REGISTERED, None),
    1: (ExtensionStatus.IDLE, None),
    2: (ExtensionStatus.OFFLINE, None),
    3: (ExtensionStatus.RINGING, CallDirection.INBOUND),
    4: (ExtensionStatus.DIALING, CallDirection.OUTBOUND),
    5: (ExtensionStatus.IN_CALL, CallDirection.OUTBOUND),
    6: (ExtensionStatus.IN_CALL, CallDirection.INBOUND),
}

WEBHOOK_DESCRIPTIONS = frozenset(
    {"INCOMING_RINGING", "OUTGOING_RINGING", "CONNECTED", "DISCONNECTED"}
)
WEBHOOK_FIELDS = (
    "calluniqueid",
    "callfrom",
    "callto",
    "status",
    "status_desc",
    "direction",
    "timestamp",
)
# Short names from our earlier notes, accepted in case a template was built with them.
WEBHOOK_ALIASES = {
    "id": "calluniqueid",
    "from": "callfrom",
    "to": "callto",
    "desc": "status_desc",
    "dir": "direction",
    "ts": "timestamp",
}
WEBHOOK_MAX_AGE = 24 * 3600.0
_CALL_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
_NUMBER = re.compile(r"\+?[0-9*#]{1,32}")
_SHORT_NUMBER = re.compile(r"[0-9*#]{1,32}")
_STATUS = re.compile(r"[0-9]{1,3}")
_ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted"})
# Anything token-like a server might echo back into a message.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{24,}")


class _TokenRejected(AuthError):
    """errorCode 90/21: the access token expired or is unknown; a new one may help."""


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One call event VOIPZeker pushed to the webhook URL template."""

    call_id: str
    from_number: str
    to_number: str
    status: int
    status_desc: str  # INCOMING_RINGING, OUTGOING_RINGING, CONNECTED or DISCONNECTED
    direction: CallDirection
    timestamp: datetime


class CallOutcomes:
    """How each pushed call went, so a disconnect can say "missed" or "ended".

    The webhook reports ringing, connected and disconnected per call id; an inbound call
    that rang and was disconnected without ever being connected was not answered: VOIPZeker
    says so itself. A call whose ringing we did not see (Home Assistant started mid-call)
    is only "ended". Bounded: the oldest calls are forgotten first.
    """

    LIMIT = 500

    def __init__(self) -> None:
        """Nothing seen yet."""
        self._connected: dict[str, bool] = {}  # call id -> connected, oldest first

    def outcome(self, event: CallEvent) -> str | None:
        """``"missed"`` or ``"ended"`` for a disconnect; None for other events (noted)."""
        if event.status_desc == "DISCONNECTED":
            connected = self._connected.pop(event.call_id, None)
            unanswered = connected is False and event.direction is CallDirection.INBOUND
            return "missed" if unanswered else "ended"
        if event.status_desc == "CONNECTED":
            self._connected[event.call_id] = True
        else:
            self._connected.setdefault(event.call_id, False)
        while len(self._connected) > self.LIMIT:
            del self._connected[next(iter(self._connected))]
        return None


@dataclass(frozen=True, slots=True)
class _ExtensionInfo:
    """What the client keeps of a listextensions row (never the SIP password)."""

    username: str
    extno: str
    callerid: str


# --- answers ------------------------------------------------------------------------------


def _until_next_minute() -> float:
    """The provider refuses requests "until the next minute": seconds to that boundary."""
    return 60.0 - time.time() % 60.0


def _error_code(body: Any) -> int | None:
    """The documented errorCode; other spellings and string values tolerated."""
    if not isinstance(body, dict):
        return None
    for key in ("errorCode", "errorcode", "error_code"):
        try:
            return int(body[key])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _truthy(value: Any) -> bool:
    """``true`` as documented; PHP-style 1/"1"/"true" tolerated."""
    return value is True or str(value).strip().lower() in {"1", "true"}


def _redact(text: str, secrets: Sequence[str]) -> str:
    """A provider message made safe to log: no secrets, short, one line."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _TOKEN_LIKE.sub("***", text)
    return " ".join(text.split())[:120]


def _message(body: Any, secrets: Sequence[str]) -> str:
    if isinstance(body, dict) and body.get("message"):
        return _redact(str(body["message"]), secrets)
    return "no message"


def _check(response: HttpResponse, secrets: Sequence[str]) -> dict[str, Any]:
    """Map an answer to its envelope or a typed error."""
    if response.status == 429:
        raise QuotaExceeded("VOIPZeker allows 30 requests a minute", _until_next_minute())
    try:
        body = parse_json(response.text)
    except InvalidResponse:
        if 200 <= response.status < 300:
            raise
        body = None  # an error status without a JSON body: the status says enough
    code = _error_code(body)
    if code in RENEW_CODES:
        raise _TokenRejected("VOIPZeker refused the access token")
    if response.status == 401 or code in AUTH_CODES:
        raise AuthError(f"VOIPZeker refused the credentials ({_message(body, secrets)})")
    if response.status == 403:
        # The document: 403 is "endpoint for administrators only". A new invitation
        # cannot fix that, so it is a permission, not an authentication failure.
        raise PermissionDenied("This VOIPZeker endpoint is for administrators only")
    if response.status in (400, 413):
        reason = (
            ErrorReason.PAYLOAD_TOO_LARGE if response.status == 413 else ErrorReason.INVALID_REQUEST
        )
        raise InvalidRequest(f"VOIPZeker refused the request (HTTP {response.status})", reason)
    if not 200 <= response.status < 300:
        raise InvalidResponse(f"VOIPZeker answered HTTP {response.status}")
    if not isinstance(body, dict) or "status" not in body:
        raise InvalidResponse("VOIPZeker answered JSON without a status")
    if not _truthy(body["status"]):
        message = _message(body, secrets)
        if code == NOT_ALLOWED_CODE:
            raise PermissionDenied(
                f"VOIPZeker does not allow this: {message}", ErrorReason.NOT_ALLOWED
            )
        raise InvalidRequest(
            f"VOIPZeker refused the request: {message}", ErrorReason.REFUSED, status=message
        )
    return body


async def _post(
    http: HttpTransport, url: str, fields: dict[str, str], secrets: Sequence[str]
) -> dict[str, Any]:
    return _check(await http.request("POST", url, data=fields), secrets)


def _endpoint(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + "/" + name


def _data_dict(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidResponse("VOIPZeker answered without the expected data")
    return data


def _text(row: Mapping[str, Any], *keys: str) -> str:
    """The first non-empty value of ``keys``, as stripped text."""
    for key in keys:
        value = row.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _page(body: dict[str, Any]) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """Rows, page count and item count of a listing.

    listextensions nests them in ``data`` (``data.items``); listswitches and listcdrlogs put
    the rows in ``data`` and the counts in ``pagination``. Either shape is accepted anywhere.
    """
    data = body.get("data")
    pagination = body.get("pagination")
    counts: Mapping[str, Any] = pagination if isinstance(pagination, dict) else {}
    if isinstance(data, dict):
        rows: Any = data.get("items", [])
        counts = {**data, **counts}
    else:
        rows = data if data is not None else []
    if not isinstance(rows, list):
        raise InvalidResponse("VOIPZeker answered a listing without rows")
    pages = _int_or_none(counts.get("pagecount"))
    items = _int_or_none(counts.get("itemcount"))
    return [row for row in rows if isinstance(row, dict)], pages, items


def _switch(row: Mapping[str, Any]) -> Switch:
    number = _text(row, "switch_no")
    return Switch(id=number, name=_text(row, "name") or number, is_on=_truthy(row.get("state")))


def _scalar_text(value: Any) -> str:
    """A text or integer field as stripped text; anything else (lists, objects, bools) is ""."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def _clean_name(text: str) -> str:
    """A name to show: printable, single-spaced, at most MAX_NAME characters."""
    printable = "".join(char if char.isprintable() else " " for char in text[: MAX_NAME * 4])
    return " ".join(printable.split())[:MAX_NAME].strip()


def _contact_numbers(row: Mapping[str, Any]) -> list[str]:
    """The row's numbers as written: ``phonenumber_formats.E164`` first, then ``phonenumber``.

    The document shows one ``phonenumber`` (international digits) per row; a number sent
    as a JSON number, a list of numbers (or of ``{"phonenumber": ...}`` objects) and a
    ``phonenumbers`` list are tolerated too.
    """
    found: list[str] = []
    formats = row.get("phonenumber_formats")
    if isinstance(formats, dict):
        found.append(_scalar_text(formats.get("E164")))
    for key in ("phonenumber", "phonenumbers"):
        value = row.get(key)
        values = value if isinstance(value, list) else [value]
        for item in values[:MAX_CONTACT_NUMBERS]:
            inner = item.get("phonenumber", item.get("number")) if isinstance(item, dict) else item
            found.append(_scalar_text(inner))
    return [number for number in found if number]


def contact_key(number: str, region: str = DEFAULT_REGION) -> str | None:
    """How a phonebook number is looked up: E.164, or its bare digits when it does not parse.

    Short and internal numbers (``0201``, ``112``) do not parse as phone numbers; they are
    kept as written without spaces, so a caller shown as ``0201`` still finds its name.
    """
    try:
        return e164(parse_own_number(number, region))
    except InvalidRequest:
        compact = re.sub(r"[\s().\-/]", "", number)
        # With a "+" it claimed to be international and is not valid: nothing to look up.
        return compact if _SHORT_NUMBER.fullmatch(compact) else None


def parse_phonebook(rows: Sequence[Any], region: str = DEFAULT_REGION) -> list[Contact]:
    """Rows of listphonebookitems as contacts; a row without a name or a number is left out.

    The document is loose: its example rows have an empty ``name`` and ``lastname`` beside a
    ``companyname``, and its pagination object repeats ``itemcount``. Any field may be
    missing or of another type; such a field is skipped, never guessed. The name shown is
    "name lastname", else the company name. At most MAX_CONTACTS rows are read, with
    MAX_CONTACT_NUMBERS numbers each and names cut to MAX_NAME characters.
    """
    contacts: list[Contact] = []
    for row in rows[:MAX_CONTACTS]:
        if not isinstance(row, dict):
            continue
        person = " ".join(
            part
            for part in (_scalar_text(row.get("name")), _scalar_text(row.get("lastname")))
            if part
        )
        name = _clean_name(person) or _clean_name(_scalar_text(row.get("companyname")))
        keys = (contact_key(number, region) for number in _contact_numbers(row))
        numbers = tuple(dict.fromkeys(key for key in keys if key))[:MAX_CONTACT_NUMBERS]
        if name and numbers:
            contacts.append(Contact(name, numbers))
    return contacts


def contacts_by_number(contacts: Sequence[Contact]) -> dict[str, str]:
    """Number -> name; a number listed twice keeps its first name."""
    found: dict[str, str] = {}
    for contact in contacts:
        for number in contact.numbers:
            found.setdefault(number, contact.name)
    return found


def _status_items(body: dict[str, Any]) -> dict[str, int]:
    """``data.items`` as documented ({id: code}); a list of {id, status} rows tolerated."""
    items = _data_dict(body).get("items", {})
    if isinstance(items, list):
        items = {
            _text(row, "id", "extensionid"): row.get("status", row.get("regstatus"))
            for row in items
            if isinstance(row, dict)
        }
    if not isinstance(items, dict):
        raise InvalidResponse("VOIPZeker answered statuses of an unexpected shape")
    codes = {str(key): _int_or_none(value) for key, value in items.items()}
    return {key: code for key, code in codes.items() if code is not None}


def extension_state(extension_id: str, code: int) -> ExtensionState | None:
    """Map a status code 0-6; an undocumented code gives no state rather than a wrong one."""
    if code not in STATUS_MAP:
        return None
    status, direction = STATUS_MAP[code]
    return ExtensionState(extension_id, status, direction=direction)


# --- webhook ------------------------------------------------------------------------------


def webhook_template(url: str) -> str:
    """The URL template to register: our URL with every placeholder as a query field."""
    query = "&".join(f"{name}={{{name}}}" for name in WEBHOOK_FIELDS)
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _normalise_number(number: str) -> str:
    """Compare numbers without formatting: ``+31 88...``, ``0031 88...`` and ``3188...`` agree."""
    digits = re.sub(r"[\s().-]", "", number)
    if digits.startswith("+"):
        return digits[1:]
    if digits.startswith("00"):
        return digits[2:]
    return digits


def _webhook_fields(params: Mapping[str, str]) -> dict[str, str] | None:
    fields: dict[str, str] = {}
    for key, value in params.items():
        name = WEBHOOK_ALIASES.get(key, key)
        if name in WEBHOOK_FIELDS:
            fields[name] = str(value).strip()
    return fields if len(fields) == len(WEBHOOK_FIELDS) else None


def _webhook_direction(text: str) -> CallDirection | None:
    # The helpdesk page writes in/out; its case is not stated, so any case is accepted.
    return {
        "in": CallDirection.INBOUND,
        "inbound": CallDirection.INBOUND,
        "out": CallDirection.OUTBOUND,
        "outbound": CallDirection.OUTBOUND,
    }.get(text.lower())


def _webhook_time(text: str, now: float) -> datetime | None:
    stamp = _int_or_none(text)
    if stamp is None:
        return None
    if stamp > 10**11:  # milliseconds, not the documented seconds
        stamp //= 1000
    if abs(now - stamp) > WEBHOOK_MAX_AGE:
        return None
    return datetime.fromtimestamp(stamp, UTC)


def _webhook_numbers(callfrom: str, callto: str, known: set[str]) -> bool:
    """One side must be ours; the other a number, or empty/anonymous for a hidden caller."""
    ours = {_normalise_number(number) for number in known}
    sides = [callfrom, callto]
    matched = [
        side for side in sides if _NUMBER.fullmatch(side) and _normalise_number(side) in ours
    ]
    if not matched:
        return False
    return all(_NUMBER.fullmatch(side) or side.lower() in _ANONYMOUS for side in sides)


def parse_webhook_event(
    params: Mapping[str, str], known_numbers: set[str], now: float | None = None
) -> CallEvent | None:
    """Validate every field of a pushed call event; anything dubious gives None."""
    fields = _webhook_fields(params)
    if fields is None or not _CALL_ID.fullmatch(fields["calluniqueid"]):
        return None
    desc = fields["status_desc"].upper()
    status = int(fields["status"]) if _STATUS.fullmatch(fields["status"]) else None
    direction = _webhook_direction(fields["direction"])
    stamp = _webhook_time(fields["timestamp"], time.time() if now is None else now)
    if desc not in WEBHOOK_DESCRIPTIONS or status is None or direction is None or stamp is None:
        return None
    if not _webhook_numbers(fields["callfrom"], fields["callto"], known_numbers):
        return None
    return CallEvent(
        fields["calluniqueid"],
        fields["callfrom"],
        fields["callto"],
        status,
        desc,
        direction,
        stamp,
    )


# --- provisioning -------------------------------------------------------------------------


def normalize_invitation(invitation_id: str) -> str:
    """The invitation id as the provider expects it; a malformed one is refused here."""
    # Ids are digits and capitals; a typed lower-case id is the same id.
    invitation = invitation_id.strip().upper()
    if not INVITATION_PATTERN.fullmatch(invitation):
        raise InvalidRequest(
            "The invitation id is 6 digits and capital letters",
            ErrorReason.INVALID_INVITATION,
            field="invitation_id",
        )
    return invitation


async def async_provision(
    session: aiohttp.ClientSession,
    invitation_id: str,
    base_url: str = DEFAULT_URL,
    gate: RequestGate | None = None,
    *,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """Exchange the single-use invitation id for the login token to store."""
    invitation = normalize_invitation(invitation_id)
    http = HttpTransport(session, gate=gate, timeout=request_timeout)
    try:
        body = await _post(
            http, _endpoint(base_url, "appprovision"), {"invitationid": invitation}, [invitation]
        )
    except InvalidRequest as err:
        # A used, disabled or unknown invitation comes back as a refusal.
        raise AuthError(f"VOIPZeker refused the invitation id ({err})") from None
    token = _text(_data_dict(body), "logintoken", "loginToken")
    if not token:
        raise InvalidResponse("VOIPZeker answered the invitation without a login token")
    return token


# --- the client ---------------------------------------------------------------------------


class VoipzekerClient:
    """Client for one VOIPZeker Unite tenant, logged in with a provisioned login token."""

    key: ClassVar[str] = "voipzeker"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.EXTENSION_STATUS,
            Capability.CALL_HISTORY,
        }
    )
    quota: ClassVar[Quota] = Quota(limit=30, window=60.0)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        login_token: str,
        base_url: str = DEFAULT_URL,
        gate: RequestGate | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client; the session belongs to the caller."""
        self._login_token = login_token
        self._url = base_url
        self._http = HttpTransport(session, gate=gate, timeout=request_timeout)
        self._access: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self._account_id: str | None = None
        self._extensions: dict[str, _ExtensionInfo] = {}
        self._switch_keys: dict[str, str] = {}  # switch_no -> switchkey
        self._extension_pages = 1
        self._switch_pages = 1
        self._dnd_turn = 0
        self._phonebook_pages = 1
        self.call_outcomes = CallOutcomes()
        self.page_limit = PAGE_LIMIT
        self.phonebook_page_limit = PHONEBOOK_PAGE

    @property
    def account_id(self) -> str:
        """The tenant code, the part before ``*`` in every extension username (``1234*0200``).

        listswitches rows carry a ``tenantid`` too, but a tenant without switches has none,
        so it is only the fallback. Known after async_validate or async_load_structure.
        """
        if self._account_id is None:
            raise RuntimeError("account_id is known after async_validate")
        return self._account_id

    def extensions_for(self, *numbers: str) -> tuple[str, ...]:
        """The ids of the extensions a pushed event's numbers belong to."""
        wanted = {number for number in numbers if number}
        return tuple(
            extension_id
            for extension_id, info in self._extensions.items()
            if wanted & {info.username, info.extno, info.callerid}
        )

    @property
    def webhook_numbers(self) -> set[str]:
        """Every form in which the tenant's extensions may appear in a pushed event."""
        return {
            number
            for info in self._extensions.values()
            for number in (info.username, info.extno, info.callerid)
            if number
        }

    # --- authentication ---------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        return [self._login_token, self._access or ""]

    async def _token(self) -> str:
        if self._access is None or time.monotonic() >= self._renew_at:
            return await self._renew(self._access)
        return self._access

    async def _renew(self, stale: str | None) -> str:
        """applogin; concurrent callers share one renewal."""
        async with self._lock:
            if self._access is not None and self._access != stale:
                return self._access
            started = time.monotonic()
            url = _endpoint(self._url, "applogin")
            try:
                body = await _post(
                    self._http, url, {"logintoken": self._login_token}, self._secrets()
                )
            except InvalidRequest as err:
                raise AuthError(f"VOIPZeker refused the login token ({err})") from None
            token = _text(_data_dict(body), "accesstoken", "accessToken")
            if not token:
                raise InvalidResponse("VOIPZeker answered the login without an access token")
            self._access = token
            self._renew_at = started + TOKEN_LIFETIME - TOKEN_MARGIN
            _LOGGER.debug("VOIPZeker access token renewed")
            return token

    async def _call(self, endpoint: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
        """An authenticated request; a rejected token is renewed and the request sent once more."""
        token = await self._token()
        try:
            return await self._send(endpoint, token, fields)
        except _TokenRejected:
            _LOGGER.debug("VOIPZeker rejected the access token; renewing")
        token = await self._renew(token)
        try:
            return await self._send(endpoint, token, fields)
        except _TokenRejected:
            raise AuthError("VOIPZeker refused a freshly renewed access token") from None

    async def _send(
        self, endpoint: str, token: str, fields: dict[str, str] | None
    ) -> dict[str, Any]:
        form = {"accesstoken": token, **(fields or {})}
        return await _post(self._http, _endpoint(self._url, endpoint), form, self._secrets())

    async def _pages(
        self,
        endpoint: str,
        fields: dict[str, str] | None = None,
        *,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Every row of a listing (at most ``max_pages``), page by page; and the pages read."""
        limit = limit or self.page_limit
        max_pages = max_pages or MAX_PAGES
        rows: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            form = {**(fields or {}), "pagelimit": str(limit), "showpage": str(page)}
            found, pages, _ = _page(await self._call(endpoint, form))
            rows.extend(found)
            last = pages is None and len(found) < limit
            if not found or last or (pages is not None and page >= pages):
                return rows, page
        return rows, max_pages

    async def _count(self, endpoint: str, fields: dict[str, str]) -> int:
        """The number of rows of a listing in one request: its item count."""
        found, pages, items = _page(
            await self._call(endpoint, {**fields, "pagelimit": "1", "showpage": "1"})
        )
        if items is not None:
            return items
        return pages if pages is not None else len(found)  # one row per page

    # --- structure --------------------------------------------------------------------------

    async def async_validate(self) -> None:
        """Log in and read one extension, which also tells the tenant."""
        found, _, _ = _page(await self._call("listextensions", {"pagelimit": "1"}))
        self._account_id = self._tenant_from(found) or await self._tenant_from_switches()
        if not self._account_id:
            raise InvalidResponse("VOIPZeker did not tell which tenant this is")

    @staticmethod
    def _tenant_from(rows: list[dict[str, Any]]) -> str | None:
        for row in rows:
            tenant, star, _ = _text(row, "username").partition("*")
            if star and tenant:
                return tenant
        return None

    async def _tenant_from_switches(self) -> str | None:
        found, _, _ = _page(await self._call("listswitches", {"pagelimit": "1"}))
        return next((_text(row, "tenantid") for row in found if _text(row, "tenantid")), None)

    async def async_extensions(self) -> dict[str, Extension]:
        """listextensions, every page."""
        rows, self._extension_pages = await self._pages("listextensions", {"sortkey": "extno"})
        extensions: dict[str, Extension] = {}
        infos: dict[str, _ExtensionInfo] = {}
        for row in rows:
            extension_id = _text(row, "id")
            if not extension_id:
                continue
            extno = _text(row, "extno_format", "extno")
            name = " ".join(part for part in (extno, _text(row, "name")) if part)
            extensions[extension_id] = Extension(extension_id, name or extension_id)
            infos[extension_id] = _ExtensionInfo(
                _text(row, "username"), extno, _text(row, "callerid")
            )
        self._extensions = infos
        if self._account_id is None:
            self._account_id = self._tenant_from(rows)
        return extensions

    async def async_switches(self) -> dict[str, Switch]:
        """listswitches, every page; remembers each switch's key for updates."""
        rows, self._switch_pages = await self._pages("listswitches", {"sortkey": "switch_no"})
        switches = {}
        for row in rows:
            switch = _switch(row)
            if switch.id:
                switches[switch.id] = switch
                self._switch_keys[switch.id] = _text(row, "switchkey")
        return switches

    async def async_phonebook(self) -> list[Contact]:
        """listphonebookitems, at most MAX_CONTACTS rows.

        The document's example sends an ``extensionid`` that its parameter table does not
        list; without one we ask for the tenant's shared phonebook. Its ``sortkey`` values
        are copied from listextensions, so none is sent.
        """
        limit = max(1, self.phonebook_page_limit)
        rows, self._phonebook_pages = await self._pages(
            "listphonebookitems",
            limit=limit,
            max_pages=min(MAX_PAGES, math.ceil(MAX_CONTACTS / limit)),
        )
        return parse_phonebook(rows)

    async def async_dnd(self, extension_id: str, name: str = "") -> Switch:
        """The ``isuser_dnd`` property (getextensionproperties) as a switch.

        The document's example leaves ``isuser_dnd`` out of ``extensionproperties`` (it is
        only in ``propertiesData``): an absent property is unset, and unset DND is off.
        """
        body = await self._call("getextensionproperties", {"extensionid": extension_id})
        properties = _data_dict(body).get("extensionproperties") or {}
        if not isinstance(properties, dict):
            raise InvalidResponse("VOIPZeker answered extension properties of an unexpected shape")
        return Switch(
            id=DND_PREFIX + extension_id,
            name=name or extension_id,
            is_on=_truthy(properties.get("isuser_dnd", "0")),
            kind=SwitchKind.DO_NOT_DISTURB,
            extension_id=extension_id,
        )

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """Extensions and switches, a request per page; DND and counts come from polling.

        Reading every extension's DND would cost a request each, and setup must stay within
        the polling share: plan_reads takes them in turn, like the calls-today counts.
        """
        extensions = await self.async_extensions()
        switches: dict[str, Switch] = {
            key: switch
            for key, switch in data.switches.items()
            if switch.kind is SwitchKind.DO_NOT_DISTURB and switch.extension_id in extensions
        }
        switches.update(await self.async_switches())
        loaded = replace(data, extensions=extensions, switches=switches)
        return StructureLoad(loaded, (self._extensions_read(), self._switches_read()))

    # --- polling ----------------------------------------------------------------------------

    def plan_reads(self, data: AccountData) -> list[Read]:
        """All statuses in one request, the switch list, a DND state, calls today, extensions."""
        chunks = max(1, math.ceil(len(data.extensions) / STATUS_CHUNK))
        return [
            Read("statuses", "all", Freshness.LIVE, cost=chunks),
            self._switches_read(),
            # One read for all DND states, in turn: a read per extension would take most
            # polling slots from the statuses of a large tenant.
            *([Read("dnd", DND_ROTATION, Freshness.FREQUENT)] if data.extensions else []),
            Read("cdr", CALLS_TODAY, Freshness.SLOW, cost=2),
            self._phonebook_read_plan(),
            self._extensions_read(),
        ]

    def _phonebook_read_plan(self) -> Read:
        """The phonebook changes within hours: read with the slow values (kept in the cache)."""
        return Read(PHONEBOOK, PHONEBOOK, Freshness.SLOW, cost=self._phonebook_pages)

    def _switches_read(self) -> Read:
        return Read("switches", "switches", Freshness.FREQUENT, cost=self._switch_pages)

    def _extensions_read(self) -> Read:
        return Read("extensions", "extensions", Freshness.STRUCTURE, cost=self._extension_pages)

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one planned read and fold its answer into a new ``data``."""
        if read.name == "statuses":
            return replace(data, extension_states=await self.async_statuses(list(data.extensions)))
        if read.name == "switches":
            dnd = {k: s for k, s in data.switches.items() if s.kind is SwitchKind.DO_NOT_DISTURB}
            return replace(data, switches={**dnd, **await self.async_switches()})
        if read.name == "dnd":
            extension_id = (
                self._next_dnd(data)
                if read.target == DND_ROTATION
                else read.target.removeprefix(DND_PREFIX)
            )
            extension = data.extensions.get(extension_id)
            switch = await self.async_dnd(extension_id, extension.name if extension else "")
            return replace(data, switches={**data.switches, switch.id: switch})
        if read.name == "cdr":
            return replace(data, calls_today=await self.async_calls_today())
        if read.name == PHONEBOOK:
            return replace(data, contacts=contacts_by_number(await self.async_phonebook()))
        if read.name == "extensions":
            return self._with_extensions(data, await self.async_extensions())
        raise InvalidRequest(f"VOIPZeker has no read {read.key}", reason=ErrorReason.UNKNOWN_READ)

    def _next_dnd(self, data: AccountData) -> str:
        """The extension whose DND to read next: never-read ones first, then in turn."""
        ids = list(data.extensions)
        unread = [ext for ext in ids if DND_PREFIX + ext not in data.switches]
        if unread:
            return unread[0]
        self._dnd_turn %= len(ids)
        extension_id = ids[self._dnd_turn]
        self._dnd_turn += 1
        return extension_id

    @staticmethod
    def _with_extensions(data: AccountData, extensions: dict[str, Extension]) -> AccountData:
        """New extension list; states and DND of removed extensions go."""
        return replace(
            data,
            extensions=extensions,
            extension_states={k: s for k, s in data.extension_states.items() if k in extensions},
            switches={
                k: s
                for k, s in data.switches.items()
                if s.extension_id is None or s.extension_id in extensions
            },
        )

    async def async_statuses(self, extension_ids: list[str]) -> dict[str, ExtensionState]:
        """Statuses (listextensionsstatus) of every id, in as few requests as the cap allows."""
        states: dict[str, ExtensionState] = {}
        for start in range(0, len(extension_ids), STATUS_CHUNK):
            chunk = extension_ids[start : start + STATUS_CHUNK]
            # PHP's http_build_query writes arrays as extensionids[0]=...; PHP reads that
            # (and the document's extensionids[]=...) back as one array.
            fields = {f"extensionids[{i}]": ext for i, ext in enumerate(chunk)}
            codes = _status_items(await self._call("listextensionsstatus", fields))
            for extension_id in chunk:
                state = extension_state(extension_id, codes.get(extension_id, -1))
                if state is not None:
                    states[extension_id] = state
        return states

    # --- actions ----------------------------------------------------------------------------

    async def _username(self, extension_id: str) -> str:
        if extension_id not in self._extensions:
            await self.async_extensions()
        info = self._extensions.get(extension_id)
        if info is None or not info.username:
            raise InvalidRequest(
                "Unknown VOIPZeker extension",
                reason=ErrorReason.UNKNOWN_EXTENSION,
                extension=extension_id,
            )
        return info.username

    async def async_click_to_call(self, extension_id: str, number: str) -> ActionResult:
        """callnumber: the extension rings, then calls ``number``.

        ``call_number`` is documented as an integer, so a leading 0 would be lost: we send
        the international digits (``31612345678``), the form the CDRs use too.
        """
        digits = international_digits(parse_number(number))
        username = await self._username(extension_id)
        body = await self._call("callnumber", {"username": username, "call_number": digits})
        status = _message(body, self._secrets())
        return ActionResult(status, {"extension": username, "number": "+" + digits})

    async def async_set_switch(self, switch_id: str, on: bool) -> Switch:
        """Turn a Unite switch or an extension's DND on/off; return the state read back."""
        value = "1" if on else "0"
        if switch_id.startswith(DND_PREFIX):
            extension_id = switch_id.removeprefix(DND_PREFIX)
            # The document lists no extensionid for setextensionproperties, yet the
            # property belongs to one extension: we send it, as getextensionproperties needs.
            fields = {"extensionid": extension_id, "isuser_dnd": value}
            await self._call("setextensionproperties", fields)
            return await self.async_dnd(extension_id)
        switchkey = await self._switch_key(switch_id)
        await self._call("updateswitch", {"switchkey": switchkey, "state": value})
        body = await self._call("getswitch", {"switchkey": switchkey})
        return _switch(_data_dict(body))

    async def _switch_key(self, switch_id: str) -> str:
        if switch_id not in self._switch_keys:
            await self.async_switches()
        key = self._switch_keys.get(switch_id)
        if not key:
            raise InvalidRequest(
                "Unknown VOIPZeker switch", reason=ErrorReason.UNKNOWN_SWITCH, switch=switch_id
            )
        return key

    async def async_calls_today(self, now: datetime | None = None) -> tuple[int, int]:
        """Inbound calls today (Dutch time), internal and external: (missed, answered).

        Two requests whatever the volume: each asks for one row and reads the item count.
        """
        today = (now or datetime.now(PROVIDER_TZ)).astimezone(PROVIDER_TZ).date()
        fields = {
            "filter_datestart": f"{today:%Y-%m-%d} 00:00:00",
            "filter_dateend": f"{today + timedelta(days=1):%Y-%m-%d} 00:00:00",
            # Each filter stated: the documented defaults are outbound and external only.
            "filter_inbound": "1",
            "filter_outbound": "0",
            "filter_internal": "1",
            "filter_external": "1",
        }
        missed = await self._count("listcdrlogs", {**fields, "filter_answered": "2"})
        answered = await self._count("listcdrlogs", {**fields, "filter_answered": "1"})
        return missed, answered

    async def async_set_webhook(self, url_template: str) -> None:
        """setapptemplatesettings: where VOIPZeker pushes call events ("" clears it)."""
        if url_template and not url_template.startswith(("http://", "https://")):
            raise InvalidRequest("The webhook URL must be http(s)", reason=ErrorReason.INVALID_URL)
        await self._call("setapptemplatesettings", {"webhook_url": url_template})


__all__ = [
    "DEFAULT_URL",
    "CallEvent",
    "VoipzekerClient",
    "async_provision",
    "contact_key",
    "contacts_by_number",
    "parse_phonebook",
    "parse_webhook_event",
    "webhook_template",
]
