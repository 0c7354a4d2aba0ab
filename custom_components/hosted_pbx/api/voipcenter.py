"""VoipCenter / PBXonline.be v1 API (pbxonline.be/api/get.php, update.php, call.php).

Every request is a GET carrying the API user (``apiID``), the customer number (``knummer``),
``pwd`` = sha256(md5(password)) as hex, the menu fields, the answer format ``f`` and a Unix
timestamp ``ts``, signed by ``pass`` = HMAC-SHA256 keyed with the API key over the names and
values in the order sent. The server refuses a ``ts`` more than 5 seconds off its own clock
(error 11). Answers are served as ``text/json charset=utf-8`` (sic): the body is read as JSON
whatever the header says. ``call.php`` and ``update.php`` wrap their answer in
``{"head": ..., "body": ...}``; ``get.php`` answers a bare object.

Live call events come over Socket.IO (``VoipcenterEvents``), registered with a key from
``get.php?m=wskey``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from email.utils import parsedate_to_datetime
import hashlib
import hmac
import inspect
import ipaddress
import json
import logging
import re
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp

# python-socketio ships no type information (no py.typed, no stubs package).
import socketio  # type: ignore[import-untyped]

from . import Capability, Quota, RequestGate
from .errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from .http import DEFAULT_TIMEOUT, MAX_FIELD_LENGTH, HttpResponse, HttpTransport, parse_json
from .models import (
    AccountData,
    ActionResult,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Freshness,
    PhoneNumber,
    Read,
    Route,
    StructureLoad,
    Switch,
    SwitchKind,
)
from .phone import dialled_digits, international_digits, parse_number, parse_own_number

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://pbxonline.be/api/"
DEFAULT_WEBSOCKET_URL = "https://ws1.voipcenter.be:4123"
REGION = "BE"
ANSWER_FORMAT = "json"
CLOCK_WINDOW = 5.0  # the server refuses a ts further than this from its clock
QUOTA_RETRY_AFTER = 60.0  # error 13 "too many attempts": the limit is not documented

# Request fields, in the order they are sent and signed. ``pass`` goes last and is not
# signed; ``filter`` (get.php, id=0 only) is sent after ``id`` but left out of the
# signature, as the PHP client (Assista-Plus/VoipCenter) does.
CREDENTIAL_FIELDS = ("apiID", "knummer", "pwd")
TRAILING_FIELDS = ("f", "ts")
UNSIGNED_FIELDS = frozenset({"pass", "filter"})
# The menu fields of each endpoint, between the credentials and ``f``/``ts``: this table is
# the one place that says what each endpoint signs.
#
# The document's strings to sign agree with "every field in the order sent" for get.php
# (apiID knummer pwd m id f ts) and call.php (... sipacc telnr f ts). Its update.php section
# shows call.php's string (sipacc, telnr), which update.php does not send: a copy-paste
# slip. We sign what update.php sends (m, id, p), which is the documented general rule
# ("alle parameters en hun waarde") and what the HACS integration signs for update.php
# against the real server.
MENU_FIELDS: Mapping[str, tuple[str, ...]] = {
    "get.php": ("m", "id"),
    "update.php": ("m", "id", "p"),
    "call.php": ("sipacc", "telnr"),
}

# Error codes (document, "D. Error Codes"): head errors 10-17, body errors 1, 2, 20, 21, 25.
CLOCK_CODE = 11
QUOTA_CODE = 13
UNKNOWN_ID_CODE = 2
AUTH_CODES: Mapping[int, str] = {
    14: "VoipCenter refused the request signature (check the API key)",
    15: "VoipCenter refused the customer password",
    16: "VoipCenter does not allow this API user",
    25: "VoipCenter refused the login",
}
INVALID_CODES: Mapping[int, str] = {
    10: "VoipCenter says parameters are missing",
    12: "VoipCenter refused the answer format",
    17: "VoipCenter refused a parameter",
}
CALL_CODES: Mapping[int, str] = {
    20: "VoipCenter could not authorise the call",
    21: "VoipCenter could not set up a leg of the call",
}
UNAVAILABLE_CODE = 1  # "could not connect to server"

# Ids are numbers ("getal: vb 2351"); anything else is refused before it is sent, so no
# id can smuggle a ``|`` into ``p`` or another field into the request.
_ID = re.compile(r"[0-9]{1,18}")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{24,}")
_MAX_MESSAGE = 120

# Reads. Per-item reads are cheap (one request) and planned one per item, so the planner
# can rotate them within the budget; the lists are structure.
SIPACC = "sipacc"  # one SIP account's details: registration (target: the sipacc id)
INDICATOR = "indicator"  # one function indicator's state (target: its id)
DID = "did"  # one number's details: its route (target: the did id)
_SIPACC_LIST = Read("sipacc_list", "sipacc", Freshness.STRUCTURE)
_DID_LIST = Read("did_list", "did", Freshness.STRUCTURE)
_INDICATOR_LIST = Read("indicator_list", "indicator", Freshness.STRUCTURE)
_ROUTES = Read("routes", "routes", Freshness.STRUCTURE)
_LISTS = (_SIPACC_LIST, _DID_LIST, _INDICATOR_LIST, _ROUTES)

# Field names, as the PHP client's SipAccount object and its fixtures name them; a few
# spellings more are tolerated since the document shows no answer at all.
_SIP_FIELDS = frozenset({"logname", "naam", "voornaam", "DIDout", "SIPusername", "userAgent"})
_NAME_KEYS = ("logname", "naam", "name", "omschrijving", "description", "logicalName")
_USERNAME_KEYS = ("SIPusername", "sipusername", "SIPUsername", "username", "sipUsername")
_USER_AGENT_KEYS = ("userAgent", "useragent", "UserAgent", "user_agent")
_PING_KEYS = ("SIPping", "sipping", "SIPPing", "ping")
_NUMBER_KEYS = ("nummer", "number", "did", "telnr", "DID")
_ROUTE_KEYS = ("route", "r", "routeID", "route_id", "routeid")
_ACTIVE_KEYS = ("actief", "active", "status", "state")
_UNREACHABLE = frozenset({"unreachable", "unknown", "lagged", "nok", "-", "none"})


# --- hashing and signing ------------------------------------------------------------------


def hash_password(plain: str) -> str:
    """``pwd`` as the API wants it: sha256 hex of the md5 hex of the password.

    The Home Assistant layer stores only this hash, never the password.
    """
    md5_hex = hashlib.md5(plain.encode()).hexdigest()
    return hashlib.sha256(md5_hex.encode()).hexdigest()


def signed_fields(endpoint: str) -> tuple[str, ...]:
    """The fields ``endpoint`` signs, in the order they are sent."""
    if endpoint not in MENU_FIELDS:
        raise InvalidRequest(f"VoipCenter has no endpoint {endpoint[:40]}")
    return (*CREDENTIAL_FIELDS, *MENU_FIELDS[endpoint], *TRAILING_FIELDS)


def string_to_sign(endpoint: str, fields: Mapping[str, str]) -> str:
    """Names and values of the signed fields, concatenated in the order sent."""
    return "".join(name + fields.get(name, "") for name in signed_fields(endpoint))


def sign(api_key: str, endpoint: str, fields: Mapping[str, str]) -> str:
    """``pass``: HMAC-SHA256 of ``string_to_sign``, keyed with the API key, as hex."""
    message = string_to_sign(endpoint, fields).encode()
    return hmac.new(api_key.encode(), message, hashlib.sha256).hexdigest()


def build_request(
    endpoint: str,
    credentials: Mapping[str, str],
    menu: Mapping[str, str],
    api_key: str,
    ts: int,
    filter_text: str | None = None,
) -> dict[str, str]:
    """Every field of one request in the order sent, ``pass`` last.

    ``credentials`` holds apiID, knummer and pwd; ``menu`` the endpoint's menu fields.
    """
    fields: dict[str, str] = {name: credentials[name] for name in CREDENTIAL_FIELDS}
    for name in MENU_FIELDS[endpoint]:
        fields[name] = menu[name]
    if filter_text is not None and endpoint == "get.php":
        fields["filter"] = filter_text  # sent, never signed
    fields["f"] = ANSWER_FORMAT
    fields["ts"] = str(ts)
    fields["pass"] = sign(api_key, endpoint, fields)
    return fields


# --- reading answers ----------------------------------------------------------------------


def _scalar(value: Any) -> str:
    """A JSON scalar as stripped, bounded text; containers and None give ""."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value.strip()[:MAX_FIELD_LENGTH]
    if isinstance(value, int | float):
        try:
            return str(value)[:MAX_FIELD_LENGTH]
        except ValueError:  # an integer too long to print
            return ""
    return ""


def _first(row: Mapping[str, Any], keys: Sequence[str]) -> str:
    """The first non-empty scalar of ``keys``."""
    for key in keys:
        text = _scalar(row.get(key))
        if text:
            return text
    return ""


def _int_or_none(value: Any) -> int | None:
    text = _scalar(value)
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return None


def _redact(text: str, secrets: Sequence[str]) -> str:
    """A provider message made safe to log: no secrets, nothing token-like, short."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _TOKEN_LIKE.sub("***", text)
    return " ".join(text.split())[:_MAX_MESSAGE]


def _parts(body: Any) -> list[Mapping[str, Any]]:
    """Where an error may be: the top level, ``head`` and ``body`` (PHP client: either)."""
    if not isinstance(body, dict):
        return []
    parts: list[Mapping[str, Any]] = [body]
    parts.extend(body[key] for key in ("head", "body") if isinstance(body.get(key), dict))
    return parts


def error_code(body: Any) -> tuple[int, str] | None:
    """The first non-empty ``error_number`` (and its message), wherever it is."""
    for part in _parts(body):
        raw = part.get("error_number")
        text = _scalar(raw)
        if text and text != "0":
            code = _int_or_none(text)
            return (code if code is not None else -1), _scalar(part.get("error_message"))
    return None


class _ClockRejected(ProviderError):
    """Error 11: our timestamp is more than 5 s off the server's clock."""

    default_reason = ErrorReason.CLOCK_SKEW


def raise_for_error(
    body: Any,
    secrets: Sequence[str] = (),
    unknown_id: ErrorReason = ErrorReason.INVALID_REQUEST,
) -> None:
    """Map the documented error codes onto typed errors; messages name no secret."""
    found = error_code(body)
    if found is None:
        return
    code, message = found
    said = _redact(message, secrets)
    if code == CLOCK_CODE:
        raise _ClockRejected("VoipCenter refused the timestamp", ErrorReason.CLOCK_SKEW)
    if code == QUOTA_CODE:
        raise QuotaExceeded("VoipCenter: too many attempts", QUOTA_RETRY_AFTER, code=str(code))
    if code in AUTH_CODES:
        raise AuthError(AUTH_CODES[code], code=str(code))
    if code in INVALID_CODES:
        raise InvalidRequest(INVALID_CODES[code], ErrorReason.INVALID_REQUEST, code=str(code))
    if code in CALL_CODES:
        raise InvalidRequest(CALL_CODES[code], ErrorReason.CALL_FAILED, code=str(code))
    if code == UNAVAILABLE_CODE:
        raise ProviderUnavailable("VoipCenter could not reach its own server", code=str(code))
    if code == UNKNOWN_ID_CODE:
        raise InvalidRequest("VoipCenter does not know this id", unknown_id, code=str(code))
    raise InvalidRequest(
        f"VoipCenter refused the request (error {code}: {said or 'no message'})",
        ErrorReason.REFUSED,
        code=str(code),
        status=said,
    )


def check_answer(
    response: HttpResponse,
    secrets: Sequence[str] = (),
    unknown_id: ErrorReason = ErrorReason.INVALID_REQUEST,
) -> Any:
    """The decoded body of an answer, or the typed error it carries.

    The body is JSON whatever Content-Type says (``text/json charset=utf-8``); an HTML
    page, truncated JSON or XML where JSON was asked all raise InvalidResponse.
    """
    if response.status == 429:
        raise QuotaExceeded("VoipCenter: too many attempts", QUOTA_RETRY_AFTER)
    if response.status in (401, 403):
        raise AuthError(f"VoipCenter refused the credentials (HTTP {response.status})")
    if response.status >= 400:
        raise InvalidResponse(f"VoipCenter answered HTTP {response.status}")
    if response.text.lstrip().startswith("<") and "{" not in response.text:
        raise InvalidResponse("VoipCenter answered XML or HTML, not JSON")
    body = parse_json(response.text)
    raise_for_error(body, secrets, unknown_id)
    return body


def unwrap(body: Any) -> Any:
    """get.php's bare object; tolerate the head/body wrapping the other endpoints use."""
    if isinstance(body, dict) and "head" in body and "body" in body:
        return body["body"]
    return body


def parse_id_map(body: Any) -> dict[str, Any]:
    """A list answer (id=0) as ``{id: value}``.

    Keys are ``id_<n>`` for sipacc and did, and ``<prefix>_<n>`` for indicators (the HACS
    integration takes the part after the underscore): both are read by taking the digits
    after the last underscore. A bare numeric key is accepted too. PHP's json_encode writes
    an empty array as ``[]`` and a sequential one as a list: a list of rows with an ``id``
    field is accepted as well. Keys that are not ids (``status``, ``head``...) are skipped.
    """
    body = unwrap(body)
    if isinstance(body, list):
        rows: dict[str, Any] = {}
        for row in body:
            if isinstance(row, dict):
                ident = _scalar(row.get("id"))
                if _ID.fullmatch(ident):
                    rows[ident] = row
        return rows
    if not isinstance(body, dict):
        raise InvalidResponse("VoipCenter answered a list of an unexpected shape")
    found: dict[str, Any] = {}
    for key, value in body.items():
        _, _, ident = str(key).rpartition("_")
        if _ID.fullmatch(ident):
            found[ident] = value
    return found


def _single(body: Any, ident: str, fields: Sequence[str]) -> Mapping[str, Any]:
    """One item's details: a bare row, or a row wrapped as ``id_<n>`` (tolerated)."""
    body = unwrap(body)
    if not isinstance(body, dict):
        raise InvalidResponse("VoipCenter answered details of an unexpected shape")
    if any(key in body for key in fields):
        return body
    nested = parse_id_map(body)
    row = nested.get(ident)
    if row is None and len(nested) == 1:
        row = next(iter(nested.values()))
    if isinstance(row, dict):
        return row
    return body


@dataclass(frozen=True, slots=True)
class SipAccount:
    """What the client keeps of a SIP account (never a SIP password)."""

    id: str
    name: str
    username: str  # SIPusername: what call.php's ``sipacc`` wants


def _sip_name(ident: str, row: Mapping[str, Any]) -> str:
    name = _first(row, ("logname", "logicalName", "name"))
    if name:
        return name
    full = " ".join(
        part for part in (_scalar(row.get("voornaam")), _scalar(row.get("naam"))) if part
    )
    return full or _first(row, _USERNAME_KEYS) or ident


def parse_sip_accounts(body: Any) -> dict[str, SipAccount]:
    """``get.php?m=sipacc&id=0``: rows keyed ``id_<n>``; a bare name string is tolerated."""
    accounts: dict[str, SipAccount] = {}
    for ident, row in parse_id_map(body).items():
        if isinstance(row, dict):
            accounts[ident] = SipAccount(ident, _sip_name(ident, row), _first(row, _USERNAME_KEYS))
        elif _scalar(row):
            accounts[ident] = SipAccount(ident, _scalar(row), "")
    return accounts


def registration_status(details: Mapping[str, Any]) -> ExtensionStatus:
    """Registered or not, from the only hints v1 gives: ``userAgent`` and ``SIPping``.

    v1 has no registration field [NOTES §2, P]. An empty user agent means no device is
    registered. ``SIPping`` is most likely the qualify round trip in ms: a value that says
    the device does not answer (0 or less, "unreachable"...) means offline too; a missing
    or empty one leaves the user agent to decide.
    """
    if not _first(details, _USER_AGENT_KEYS):
        return ExtensionStatus.OFFLINE
    ping = _first(details, _PING_KEYS)
    if ping:
        number = _int_or_none(ping)
        if (number is not None and number <= 0) or ping.casefold() in _UNREACHABLE:
            return ExtensionStatus.OFFLINE
    return ExtensionStatus.IDLE


def parse_sip_details(sipacc_id: str, body: Any) -> ExtensionState:
    """``get.php?m=sipacc&id=<n>``: the account's registration as an ExtensionState."""
    row = _single(body, sipacc_id, tuple(_SIP_FIELDS))
    status = registration_status(row)
    agent = _first(row, _USER_AGENT_KEYS)
    return ExtensionState(sipacc_id, status, user_agent=agent or None)


def parse_numbers(body: Any) -> dict[str, str]:
    """``get.php?m=did&id=0``: ``{did id: number}``; values are plain number strings."""
    numbers: dict[str, str] = {}
    for ident, value in parse_id_map(body).items():
        number = _first(value, _NUMBER_KEYS) if isinstance(value, dict) else _scalar(value)
        if number:
            numbers[ident] = number
    return numbers


def _route_id(raw: str) -> str | None:
    """``140``, ``r140`` or ``r=140`` (the document writes both ``r140`` and ``r=140``)."""
    text = raw.strip().removeprefix("r").removeprefix("=").strip()
    return text if _ID.fullmatch(text) else None


def parse_did_details(did_id: str, body: Any) -> tuple[str, str | None]:
    """``get.php?m=did&id=<n>``: the number (may be "") and the route it uses (or None).

    The answer's fields are not documented; update.php's ``p`` names them
    feestdagen|vakantieperiode|kantooruren|route|backuproute, so ``route`` (or ``r``) is
    read, as a bare id or as ``r<id>``.
    """
    row = _single(body, did_id, (*_NUMBER_KEYS, *_ROUTE_KEYS))
    number = _first(row, _NUMBER_KEYS)
    route = None
    for key in _ROUTE_KEYS:
        route = _route_id(_scalar(row.get(key)))
        if route is not None:
            break
    return number, route


def parse_indicators(body: Any) -> dict[str, str]:
    """``get.php?m=indicator&id=0``: a flat ``{"<prefix>_<id>": "<name>"}`` map.

    A row object with a name field is tolerated in place of the bare name.
    """
    names: dict[str, str] = {}
    for ident, value in parse_id_map(body).items():
        name = _first(value, _NAME_KEYS) if isinstance(value, dict) else _scalar(value)
        names[ident] = name or ident
    return names


def _is_on(value: Any) -> bool | None:
    text = _scalar(value).casefold()
    if text in {"1", "true", "on", "yes", "ja"}:
        return True
    if text in {"0", "false", "off", "no", "nee"}:
        return False
    return None


def parse_indicator(indicator_id: str, body: Any) -> bool:
    """``get.php?m=indicator&id=<n>``: ``actief`` "1"/"0" (a few spellings tolerated)."""
    row = _single(body, indicator_id, _ACTIVE_KEYS)
    for key in _ACTIVE_KEYS:
        state = _is_on(row.get(key))
        if state is not None:
            return state
    raise InvalidResponse("VoipCenter answered an indicator without its state")


def parse_routes(body: Any) -> dict[str, Route]:
    """``get.php?m=routes&id=0``: ``{id_<n>: name}``, or rows with a name field."""
    routes: dict[str, Route] = {}
    for ident, value in parse_id_map(body).items():
        name = _first(value, _NAME_KEYS) if isinstance(value, dict) else _scalar(value)
        routes[ident] = Route(ident, name or ident)
    return routes


def parse_action(body: Any, *, call: bool = False) -> None:
    """An update.php or call.php answer: success is status "1".

    The PHP client wants ``head.status`` and ``body.status`` both "1" for call.php; the HACS
    integration checks ``body.status`` for update.php. Any status present must be "1"; an
    answer with no status and no error is accepted, since the error codes are the
    documented way to fail.
    """
    reason = ErrorReason.CALL_FAILED if call else ErrorReason.REFUSED
    if not isinstance(body, dict):
        raise InvalidResponse("VoipCenter answered an action with an unexpected shape")
    for part in _parts(body)[1:] or [body]:
        status = _scalar(part.get("status"))
        if status and status != "1":
            raise InvalidRequest(
                "VoipCenter did not carry out the request", reason, status=status[:40]
            )


@dataclass(frozen=True, slots=True)
class WebsocketKey:
    """What ``get.php?m=wskey`` answers: the websocket user and its key."""

    username: str
    wskey: str = field(repr=False)


def parse_wskey(body: Any) -> WebsocketKey:
    """``{"username": ..., "wskey": ...}``, bare or wrapped."""
    row = _single(body, "", ("username", "wskey"))
    username, key = _scalar(row.get("username")), _scalar(row.get("wskey"))
    if not key:
        raise InvalidResponse("VoipCenter answered without a websocket key")
    return WebsocketKey(username, key)


# --- live events --------------------------------------------------------------------------

# The notify payload is not documented [NOTES §2, Q]: these are the names we recognise.
NOTIFY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "caller": ("caller", "callerid", "caller_id", "callernumber", "from", "src", "cli", "ani"),
    "callee": ("callee", "called", "to", "dst", "destination", "dnis", "telnr"),
    "status": ("status", "state", "event", "type", "action"),
    "direction": ("direction", "dir", "richting"),
    "sipacc": ("sipacc", "sipaccount", "sipusername", "extension", "account", "user"),
    "call_id": ("call_id", "callid", "uniqueid", "unique_id", "linkedid", "uuid", "id"),
}
_DIRECTIONS = {
    "in": "inbound",
    "inbound": "inbound",
    "incoming": "inbound",
    "inkomend": "inbound",
    "out": "outbound",
    "outbound": "outbound",
    "outgoing": "outbound",
    "uitgaand": "outbound",
}
_MAX_NOTIFY_KEYS = 64
_MAX_NOTIFY_DEPTH = 4
_MAX_NOTIFY_TEXT = 64 * 1024


def _flatten(value: Any, prefix: str, out: dict[str, str], depth: int) -> None:
    """Scalars of nested objects as ``a.b`` keys, bounded in depth and in count."""
    if len(out) >= _MAX_NOTIFY_KEYS or depth > _MAX_NOTIFY_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            _flatten(item, name[:MAX_FIELD_LENGTH], out, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}" if prefix else str(index), out, depth + 1)
    else:
        text = _scalar(value)
        if text and prefix:
            out[prefix] = text


def _decode_text(raw: str | bytes) -> dict[str, Any] | None:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    if len(text) > _MAX_NOTIFY_TEXT or not text.strip():
        return None
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return {"value": text[:MAX_FIELD_LENGTH]}
    return {"value": decoded} if isinstance(decoded, str) else notify_payload(decoded)


def notify_payload(raw: Any) -> dict[str, Any] | None:
    """A notify event's payload as a dict: JSON text is decoded, a bare value wrapped."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str | bytes):
        return _decode_text(raw)
    if isinstance(raw, list | tuple):
        # Socket.IO passes several arguments as a list: the first object is the event.
        found = next((item for item in raw if isinstance(item, dict)), None)
        return found if found is not None else ({"value": raw} if raw else None)
    return None if raw is None else {"value": raw}


def parse_notify(payload: Any) -> dict[str, str] | None:
    """A notify event as plain text fields; never raises.

    The payload shape is unknown: recognised fields (at any depth, first match by our list
    of names) are copied to ``caller``, ``callee``, ``status``, ``direction`` (``inbound``/
    ``outbound`` when recognisable), ``sipacc`` and ``call_id``; every other scalar is kept
    under its own (dotted) name. Nothing usable gives None.
    """
    try:
        row = notify_payload(payload)
        if row is None:
            return None
        flat: dict[str, str] = {}
        _flatten(row, "", flat, 0)
    except RecursionError:
        return None
    if not flat:
        return None
    by_leaf: dict[str, str] = {}
    for key, value in flat.items():
        by_leaf.setdefault(key.rpartition(".")[2].casefold(), value)
    fields: dict[str, str] = {}
    for name, aliases in NOTIFY_FIELDS.items():
        for alias in aliases:
            if alias in by_leaf:
                fields[name] = by_leaf[alias]
                break
    if "direction" in fields:
        fields["direction"] = _DIRECTIONS.get(fields["direction"].casefold(), fields["direction"])
    for key, value in flat.items():
        fields.setdefault(key, value)
    return fields


type NotifyCallback = Callable[[dict[str, Any]], Awaitable[None] | None]


def _check_events_url(url: str) -> None:
    """TLS unless the server is on this machine (the simulator)."""
    parts = urlsplit(url)
    if parts.scheme in ("https", "wss"):
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme in ("http", "ws") and loopback:
        return
    raise InvalidRequest("The websocket URL must use TLS", ErrorReason.INVALID_URL)


class VoipcenterEvents:
    """Live call events: a Socket.IO client that registers with a wskey.

    The server emits ``serveroutput`` when a client connects; the client answers with
    ``register {username, wskey}`` (once per connection) and then receives ``notify``
    events, each handed to ``callback`` as a dict. A dropped transport is reconnected by
    python-socketio with exponential back-off; a connection the server ends (or that cannot
    be made) is retried here, with the same back-off. TLS is always verified.
    """

    def __init__(
        self,
        url: str,
        key: WebsocketKey,
        callback: NotifyCallback,
        *,
        transports: Sequence[str] | None = None,
        socketio_path: str = "socket.io",
        reconnect_delay: float = 1.0,
        reconnect_delay_max: float = 60.0,
        http_session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Prepare the client; nothing connects until ``start``."""
        _check_events_url(url)
        self._url = url
        self._key = key
        self._callback = callback
        self._transports = list(transports) if transports is not None else None
        self._path = socketio_path
        self._delay = reconnect_delay
        self._delay_max = reconnect_delay_max
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._registered = False
        options: dict[str, Any] = {}
        if http_session is not None:
            options["http_session"] = http_session
        self._sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=reconnect_delay,
            reconnection_delay_max=reconnect_delay_max,
            ssl_verify=True,
            handle_sigint=False,
            **options,
        )
        self._sio.on("connect", self._on_connect)
        self._sio.on("serveroutput", self._on_serveroutput)
        self._sio.on("notify", self._on_notify)
        self.connections = 0  # successful connects, reconnects included

    @property
    def connected(self) -> bool:
        """Whether the socket is up now."""
        return bool(self._sio.connected)

    def start(self) -> None:
        """Connect in the background and stay connected until ``stop``."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        self._stopping.set()
        await self._sio.shutdown()  # disconnects, or ends socketio's reconnect attempts
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = self._delay
        while not self._stopping.is_set():
            try:
                await self._sio.connect(
                    self._url, transports=self._transports, socketio_path=self._path
                )
            except (socketio.exceptions.ConnectionError, ValueError, OSError) as err:
                _LOGGER.debug("VoipCenter websocket connect failed: %s", type(err).__name__)
            else:
                delay = self._delay
                await self._sio.wait()  # python-socketio reconnects dropped transports
            if await self._pause(delay):
                return
            delay = min(delay * 2, self._delay_max)

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``; True when stopped meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _on_connect(self) -> None:
        self._registered = False
        self.connections += 1

    async def _on_serveroutput(self, data: Any = None) -> None:
        # The server greets each connection; registering again on every greeting could
        # loop if the server answered a register with another greeting.
        if self._registered:
            return
        self._registered = True
        await self._sio.emit("register", {"username": self._key.username, "wskey": self._key.wskey})

    async def _on_notify(self, data: Any = None) -> None:
        payload = notify_payload(data)
        if payload is None:
            return
        try:
            result = self._callback(payload)
            if inspect.isawaitable(result):
                await result
        except Exception:
            _LOGGER.exception("VoipCenter notify callback failed")


# --- the client ---------------------------------------------------------------------------


def _valid_id(value: str, what: str, reason: ErrorReason) -> str:
    text = value.strip()
    if not _ID.fullmatch(text):
        raise InvalidRequest(f"Not a VoipCenter {what} id", reason, **{what: value[:40]})
    return text


def _number_key(number: str) -> str:
    """A number as international digits, to compare the provider's and the user's forms."""
    try:
        return international_digits(parse_own_number(number, REGION))
    except InvalidRequest:
        return "".join(char for char in number if char.isascii() and char.isdigit())


class VoipcenterClient:
    """Client for one VoipCenter customer (``knummer``) through one API user."""

    key: ClassVar[str] = "voipcenter"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.REGISTRATION})
    # Undocumented; error 13 "too many attempts" is all we know. The HA layer owns the budget.
    quota: ClassVar[Quota] = Quota(limit=20, window=60.0)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_id: str,
        api_key: str,
        customer_number: str,
        password_hash: str,
        base_url: str = DEFAULT_URL,
        gate: RequestGate | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        rate_limit: int | None = None,
    ) -> None:
        """Create a client; the session belongs to the caller.

        ``password_hash`` is ``hash_password(password)``. ``rate_limit`` (requests a minute)
        is kept for the caller's budget only: the client does not pace itself.
        """
        self._api_id = api_id.strip()
        self._api_key = api_key.strip()
        self._customer = customer_number.strip()
        self._pwd = password_hash.strip().lower()
        self._url = base_url if base_url.endswith("/") else base_url + "/"
        self._http = HttpTransport(session, gate=gate, timeout=request_timeout)
        self.rate_limit = rate_limit
        self._clock_offset = 0.0
        self._signatures: list[str] = []
        self._sip: dict[str, SipAccount] = {}
        self._numbers: dict[str, str] = {}  # did id -> number as listed
        self._indicators: dict[str, str] = {}  # id -> name

    @property
    def account_id(self) -> str:
        """The customer number identifies the account."""
        return self._customer

    @property
    def clock_offset(self) -> float:
        """Seconds the server's clock runs ahead of ours (negative: behind)."""
        return self._clock_offset

    @property
    def request_quota(self) -> Quota:
        """The quota to budget for: ``rate_limit`` a minute when given, else the default."""
        if self.rate_limit:
            return Quota(limit=self.rate_limit, window=60.0)
        return self.quota

    def _secrets(self) -> list[str]:
        return [self._api_key, self._pwd, self._api_id, *self._signatures[-8:]]

    # --- transport --------------------------------------------------------------------------

    def _now(self) -> int:
        return int(time.time() + self._clock_offset)

    async def _request(
        self,
        endpoint: str,
        menu: Mapping[str, str],
        *,
        method: str = "GET",
        unknown_id: ErrorReason = ErrorReason.INVALID_REQUEST,
    ) -> Any:
        """Send one signed request; on error 11, correct the clock from Date and retry once."""
        try:
            return await self._send(endpoint, menu, method, unknown_id)
        except _ClockRejected as err:
            if not self._measure(err):
                raise ProviderError(
                    "VoipCenter refused our clock and sent no time to correct it",
                    ErrorReason.CLOCK_SKEW,
                    offset=str(round(self._clock_offset)),
                ) from None
        try:
            return await self._send(endpoint, menu, method, unknown_id)
        except _ClockRejected as err:
            self._measure(err)
            raise ProviderError(
                "VoipCenter refuses our clock even after correcting it",
                ErrorReason.CLOCK_SKEW,
                offset=str(round(self._clock_offset)),
            ) from None

    def _measure(self, err: _ClockRejected) -> bool:
        """Take the server's clock from the refusal's Date header; False without one."""
        date = err.details.get("date", "")
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        self._clock_offset = float(round(server - time.time()))
        _LOGGER.debug("VoipCenter clock offset now %s s", self._clock_offset)
        return True

    async def _send(
        self, endpoint: str, menu: Mapping[str, str], method: str, unknown_id: ErrorReason
    ) -> Any:
        credentials = {"apiID": self._api_id, "knummer": self._customer, "pwd": self._pwd}
        fields = build_request(endpoint, credentials, menu, self._api_key, self._now())
        self._signatures = [*self._signatures[-7:], fields["pass"]]
        url = self._url + endpoint
        if method == "POST":
            response = await self._http.request("POST", url, data=fields)
        else:
            response = await self._http.request("GET", url, params=fields)
        try:
            return check_answer(response, self._secrets(), unknown_id)
        except _ClockRejected:
            date = next(
                (value for name, value in response.headers.items() if name.lower() == "date"), ""
            )
            raise _ClockRejected(
                "VoipCenter refused the timestamp", ErrorReason.CLOCK_SKEW, date=date
            ) from None

    async def _get(
        self, menu: str, ident: str = "0", unknown_id: ErrorReason = ErrorReason.INVALID_REQUEST
    ) -> Any:
        return await self._request("get.php", {"m": menu, "id": ident}, unknown_id=unknown_id)

    # --- reads ------------------------------------------------------------------------------

    async def async_validate(self) -> None:
        """One cheap read proves the API user, key, customer number and password."""
        self._sip = parse_sip_accounts(await self._get("sipacc"))

    async def async_sip_accounts(self) -> dict[str, Extension]:
        """``sipacc`` list: the SIP accounts as extensions."""
        self._sip = parse_sip_accounts(await self._get("sipacc"))
        return {ident: Extension(ident, account.name) for ident, account in self._sip.items()}

    async def async_sip_account(self, sipacc_id: str) -> ExtensionState:
        """One SIP account's details: its registration."""
        ident = _valid_id(sipacc_id, "extension", ErrorReason.UNKNOWN_EXTENSION)
        body = await self._get("sipacc", ident, ErrorReason.UNKNOWN_EXTENSION)
        row = _single(body, ident, tuple(_SIP_FIELDS))
        username = _first(row, _USERNAME_KEYS)
        known = self._sip.get(ident)
        if username and (known is None or not known.username):
            name = known.name if known else _sip_name(ident, row)
            self._sip[ident] = SipAccount(ident, name, username)
        return parse_sip_details(ident, body)

    async def async_numbers(self) -> dict[str, str]:
        """``did`` list: ``{did id: number}``."""
        self._numbers = parse_numbers(await self._get("did"))
        return dict(self._numbers)

    async def async_number(self, did_id: str) -> tuple[str, str | None]:
        """One number's details: (number, route id or None)."""
        ident = _valid_id(did_id, "number", ErrorReason.INVALID_NUMBER)
        number, route = parse_did_details(ident, await self._get("did", ident))
        return number or self._numbers.get(ident, ""), route

    async def async_indicators(self) -> dict[str, str]:
        """``indicator`` list: ``{id: name}``."""
        self._indicators = parse_indicators(await self._get("indicator"))
        return dict(self._indicators)

    async def async_indicator(self, indicator_id: str) -> Switch:
        """One function indicator's state, as a switch."""
        ident = _valid_id(indicator_id, "switch", ErrorReason.UNKNOWN_SWITCH)
        on = parse_indicator(ident, await self._get("indicator", ident, ErrorReason.UNKNOWN_SWITCH))
        name = self._indicators.get(ident, ident)
        return Switch(ident, name, on, kind=SwitchKind.FUNCTION_INDICATOR)

    async def async_routes(self) -> dict[str, Route]:
        """``routes`` list."""
        return parse_routes(await self._get("routes"))

    def extensions_for(self, *names: str) -> tuple[str, ...]:
        """The SIP accounts a pushed event names (by id or SIP username)."""
        wanted = {name for name in names if name}
        return tuple(
            ident
            for ident, account in self._sip.items()
            if ident in wanted or account.username in wanted
        )

    async def async_websocket_key(self, username: str) -> WebsocketKey:
        """``get.php?m=wskey&id=<websocket user>`` (a form POST, as the HACS client sends)."""
        user = username.strip()
        if not user or len(user) > 64 or not user.isprintable():
            raise InvalidRequest("Not a websocket user name", ErrorReason.INVALID_REQUEST)
        body = await self._request("get.php", {"m": "wskey", "id": user}, method="POST")
        key = parse_wskey(body)
        self._signatures = [*self._signatures[-7:], key.wskey]  # never in a message
        return key

    # --- structure and polling --------------------------------------------------------------

    def _with_lists(
        self,
        data: AccountData,
        *,
        extensions: dict[str, Extension] | None = None,
        numbers: dict[str, str] | None = None,
        indicators: dict[str, str] | None = None,
        routes: dict[str, Route] | None = None,
    ) -> AccountData:
        """Fold fresh lists into ``data``, keeping states already read for items that stay."""
        if extensions is not None:
            data = replace(
                data,
                extensions=extensions,
                extension_states={
                    k: s for k, s in data.extension_states.items() if k in extensions
                },
            )
        if numbers is not None:
            data = replace(
                data,
                numbers={
                    number: PhoneNumber(
                        number, route=old.route if (old := data.numbers.get(number)) else None
                    )
                    for number in numbers.values()
                },
            )
        if indicators is not None:
            # A new indicator's state is unknown until its first read: off until then.
            data = replace(
                data,
                switches={
                    ident: Switch(
                        ident,
                        name,
                        known.is_on if (known := data.switches.get(ident)) else False,
                        kind=SwitchKind.FUNCTION_INDICATOR,
                    )
                    for ident, name in indicators.items()
                },
            )
        if routes is not None:
            data = replace(data, routes=routes)
        return data

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """The four lists (four requests); details come from polling."""
        loaded = self._with_lists(
            data,
            extensions=await self.async_sip_accounts(),
            numbers=await self.async_numbers(),
            indicators=await self.async_indicators(),
            routes=await self.async_routes(),
        )
        return StructureLoad(loaded, _LISTS)

    def plan_reads(self, data: AccountData) -> list[Read]:
        """A read per SIP account and per indicator (frequent), per number (slow), the lists."""
        did_ids = {number: ident for ident, number in self._numbers.items()}
        return [
            *(Read(SIPACC, ext, Freshness.FREQUENT, extension_id=ext) for ext in data.extensions),
            *(
                Read(INDICATOR, ident, Freshness.FREQUENT)
                for ident, switch in data.switches.items()
                if switch.kind is SwitchKind.FUNCTION_INDICATOR
            ),
            *(
                Read(DID, did_ids[number], Freshness.SLOW)
                for number in data.numbers
                if number in did_ids
            ),
            *_LISTS,
        ]

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one planned read and fold its answer into a new ``data``."""
        if read.name in (SIPACC, INDICATOR, DID):
            return await self._read_item(read, data)
        if read.name in {listed.name for listed in _LISTS}:
            return await self._read_list(read, data)
        raise InvalidRequest(f"VoipCenter has no read {read.key[:60]}", ErrorReason.UNKNOWN_READ)

    async def _read_item(self, read: Read, data: AccountData) -> AccountData:
        if read.name == SIPACC:
            state = await self.async_sip_account(read.target)
            return replace(data, extension_states={**data.extension_states, read.target: state})
        if read.name == INDICATOR:
            switch = await self.async_indicator(read.target)
            known = data.switches.get(switch.id)
            if known is not None and switch.name == switch.id:
                switch = replace(switch, name=known.name)
            return replace(data, switches={**data.switches, switch.id: switch})
        number, route = await self.async_number(read.target)
        if not number:
            return data
        old = data.numbers.get(number) or PhoneNumber(number)
        return replace(data, numbers={**data.numbers, number: replace(old, route=route)})

    async def _read_list(self, read: Read, data: AccountData) -> AccountData:
        if read.name == _SIPACC_LIST.name:
            return self._with_lists(data, extensions=await self.async_sip_accounts())
        if read.name == _DID_LIST.name:
            return self._with_lists(data, numbers=await self.async_numbers())
        if read.name == _INDICATOR_LIST.name:
            return self._with_lists(data, indicators=await self.async_indicators())
        return self._with_lists(data, routes=await self.async_routes())

    # --- actions ----------------------------------------------------------------------------

    async def _update(self, menu: str, ident: str, value: str, unknown_id: ErrorReason) -> None:
        body = await self._request(
            "update.php", {"m": menu, "id": ident, "p": value}, unknown_id=unknown_id
        )
        parse_action(body)

    async def async_set_switch(self, switch_id: str, on: bool) -> Switch:
        """update.php m=indicator p=1|0, then the state read back."""
        ident = _valid_id(switch_id, "switch", ErrorReason.UNKNOWN_SWITCH)
        await self._update("indicator", ident, "1" if on else "0", ErrorReason.UNKNOWN_SWITCH)
        return await self.async_indicator(ident)

    async def _did_id(self, number: str) -> str:
        wanted = _number_key(number)
        for _ in range(2):
            for ident, listed in self._numbers.items():
                if wanted and _number_key(listed) == wanted:
                    return ident
            if _ID.fullmatch(number.strip()) and number.strip() in self._numbers:
                return number.strip()
            await self.async_numbers()
        raise InvalidRequest(
            "The number is not one of this account's",
            ErrorReason.INVALID_NUMBER,
            number=number[:40],
        )

    async def async_set_route(self, number: str, route_id: str) -> str:
        """update.php m=did p=r<route id>; return the route read back.

        The document writes ``p`` both as ``r140|b150`` (examples) and ``r=140|b=150``
        (parameter list); we send the examples' form with only the route, so the number's
        time filters and backup route stay as they are.
        """
        route = _valid_id(route_id, "route", ErrorReason.INVALID_REQUEST)
        did_id = await self._did_id(number)
        await self._update("did", did_id, f"r{route}", ErrorReason.INVALID_NUMBER)
        _, read_back = await self.async_number(did_id)
        return read_back or ""

    async def _sip_username(self, extension_id: str) -> str:
        ident = _valid_id(extension_id, "extension", ErrorReason.UNKNOWN_EXTENSION)
        if ident not in self._sip:
            await self.async_sip_accounts()
        account = self._sip.get(ident)
        if account is None:
            raise InvalidRequest(
                "Unknown VoipCenter SIP account", ErrorReason.UNKNOWN_EXTENSION, extension=ident
            )
        if not account.username:
            await self.async_sip_account(ident)  # the list may leave SIPusername out
            account = self._sip[ident]
        if not account.username:
            raise InvalidRequest(
                "VoipCenter did not tell this SIP account's user name",
                ErrorReason.UNKNOWN_EXTENSION,
                extension=ident,
            )
        return account.username

    async def async_click_to_call(self, extension_id: str, number: str) -> ActionResult:
        """call.php: the SIP account rings first, then calls ``number``.

        ``telnr`` is "Belgisch of Internationaal E164 formaat" (093456789, 3293456789,
        31209988776): Belgian numbers go as national digits, others as international digits.
        """
        parsed = parse_number(number, REGION)
        telnr = (
            dialled_digits(parsed, REGION)
            if parsed.country_code == 32
            else international_digits(parsed)
        )
        username = await self._sip_username(extension_id)
        body = await self._request(
            "call.php",
            {"sipacc": username, "telnr": telnr},
            unknown_id=ErrorReason.UNKNOWN_EXTENSION,
        )
        parse_action(body, call=True)
        return ActionResult("initiated", {"extension": extension_id, "number": telnr})


__all__ = [
    "DEFAULT_URL",
    "DEFAULT_WEBSOCKET_URL",
    "MENU_FIELDS",
    "VoipcenterClient",
    "VoipcenterEvents",
    "WebsocketKey",
    "build_request",
    "hash_password",
    "parse_notify",
    "registration_status",
    "sign",
    "string_to_sign",
]
