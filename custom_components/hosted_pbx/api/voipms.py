"""VoIP.ms REST/JSON API (https://voip.ms/api/v1/rest.php).

Every call carries ``api_username`` (the account e-mail), ``api_password`` (the separate API
password) and ``method``. Reads are GET requests with query parameters; writes are
multipart/form-data POST requests (an urlencoded body is refused). Answers are JSON objects
whose ``status`` is ``"success"`` or an error code; every value arrives as a string, and some
methods answer an empty body on success. "Nothing there" comes back as an error status
(``no_sms``, ``no_cdr`` ...): those are empty results, not failures.

The API only answers allow-listed IP addresses (``ip_not_enabled``); ``getIP`` works from
anywhere, so the caller can tell the user which address to allow. The per-minute request
limit (``api_limit_exceeded``) is undocumented.

Markers as in the team's notes: [P] plausible, not confirmed; [Q] open question. Where one
matters the code is tolerant and says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone as fixed_timezone, tzinfo
from decimal import Decimal, InvalidOperation
import hashlib
import ipaddress
import re
import secrets
from typing import Any, ClassVar, TypeGuard
import unicodedata
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
import phonenumbers

from . import Capability, Quota, RequestGate
from .errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from .http import DEFAULT_TIMEOUT, HttpResponse, HttpTransport, bounded, parse_json
from .models import (
    AccountData,
    ActionResult,
    Balance,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Freshness,
    Mailbox,
    Message,
    PhoneNumber,
    Read,
    Route,
    StructureLoad,
    Switch,
    SwitchKind,
)
from .phone import parse_number

DEFAULT_URL = "https://voip.ms/api/v1/rest.php"
DEFAULT_REGION = "CA"
DEFAULT_CURRENCY = "CAD"
DEFAULT_TIMEZONE = "America/Toronto"
# [P] The {TIMESTAMP} of the SMS URL callback: VoIP.ms keeps its clock in Eastern time.
CALLBACK_TZ = ZoneInfo("America/New_York")
QUOTA_RETRY_AFTER = 60.0  # "API requests limit per minute has been reached"

# [C] 160 per text; VoIP.ms counts UTF-8 bytes (a long-lived client's finding), so a part is
# at most 160 bytes and never splits a grapheme cluster. Long texts are sent as up to 10.
SMS_PART_BYTES = 160
SMS_MAX_PARTS = 10
SMS_MAX_BYTES = SMS_PART_BYTES * SMS_MAX_PARTS
INBOUND_MAX_LENGTH = 2048  # the MMS limit: nothing longer comes from VoIP.ms
SMS_HISTORY_DAYS = 90  # getSMS spans at most ~90 days
SMS_HISTORY_LIMIT = 1000

FORWARDING_SWITCH = "fwd_"  # switch id prefix: fwd_<did>
FORWARDING_ROUTE = "fwd:"
ACCOUNT_ROUTE = "account:"
VOICEMAIL_ROUTE = "vm:"
ROUTE_HEADERS = frozenset(
    {"account", "fwd", "vm", "sip", "grp", "ivr", "sys", "recording", "queue", "cb", "tc"}
    | {"disa", "none"}
)
_ROUTE = re.compile(r"([a-z]+):([A-Za-z0-9_.@+-]{0,64})")

EMPTY_STATUSES = frozenset(
    {
        "no_sms",
        "no_cdr",
        "no_messages",
        "no_mailbox",
        "no_forwarding",
        "no_did",
        "no_account",
        "no_recording",
        "no_transactions",
    }
)
AUTH_STATUSES = frozenset({"invalid_credentials", "missing_credentials", "api_not_enabled"})
IP_STATUS = "ip_not_enabled"
QUOTA_STATUS = "api_limit_exceeded"
UNAVAILABLE_STATUSES = frozenset({"method_maintenance", "unavailable_info"})
SUCCESS = "success"

_STATUS_LENGTH = 80
_INT = re.compile(r"-?[0-9]{1,12}")
_DID_CHARS = re.compile(r"\+?[0-9 ()./-]{4,30}")
_CALLBACK_NUMBER = re.compile(r"\+?[0-9]{3,15}")
_CALLBACK_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLACEHOLDER = re.compile(r"\{[A-Z]+\}")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
CALLBACK_FIELDS = {"from": "{FROM}", "to": "{TO}", "message": "{MESSAGE}"} | {
    "id": "{ID}",
    "date": "{TIMESTAMP}",
}
# setSMS parameter <- getDIDsInfo field: the DID's SMS settings a callback change keeps.
SMS_SETTINGS = {
    "enable": "sms_enabled",
    "email_enabled": "sms_email_enabled",
    "email_address": "sms_email",
    "sms_forward_enable": "sms_forward_enabled",
    "sms_forward": "sms_forward",
    "url_callback_enable": "sms_url_callback_enabled",
    "url_callback": "sms_url_callback",
    "url_callback_retry": "sms_url_callback_retry",
    "webhook": "webhook",
    "webhook_enabled": "webhook_enabled",
    "sms_sipaccount": "sms_sipaccount",
    "sms_sipaccount_enabled": "sms_sipaccount_enabled",
    "dialmode": "dialmode",
}
SMS_FLAGS = frozenset(
    {"enable", "email_enabled", "sms_forward_enable", "webhook_enabled", "sms_sipaccount_enabled"}
)

# The reads; registration reads are one per sub-account.
_ACCOUNTS = Read("accounts", "accounts", Freshness.STRUCTURE)
_FORWARDINGS = Read("forwardings", "forwardings", Freshness.STRUCTURE)
_DIDS = Read("dids", "dids", Freshness.FREQUENT)  # routes change with the forwarding switch
_VOICEMAILS = Read("voicemails", "mailboxes", Freshness.FREQUENT)
_BALANCE = Read("balance", "account", Freshness.SLOW)
_CALLS_TODAY = Read("cdr", "calls_today", Freshness.SLOW)
# Received texts by polling: only needed where Home Assistant has no URL for the callback.
_RECEIVED_SMS = Read("received_sms", "sms", Freshness.SLOW)
RECEIVED_SMS = _RECEIVED_SMS.name
MAX_MESSAGES = 50
REGISTRATION = "registration"


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A text message received on one of the account's DIDs."""

    id: str
    from_number: str
    to_did: str
    message: str
    timestamp: datetime | None

    def as_dict(self) -> dict[str, str]:
        """Event data for the Home Assistant bus."""
        return {
            "id": self.id,
            "from": self.from_number,
            "to": self.to_did,
            "message": self.message,
            "timestamp": self.timestamp.isoformat() if self.timestamp else "",
        }


# --- answers ------------------------------------------------------------------------------


def _redact(text: str, secrets_: Sequence[str]) -> str:
    """A provider text made safe for a message: no secrets, one line, short."""
    for secret in secrets_:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:_STATUS_LENGTH]


def raise_for_status(status: str, secrets_: Sequence[str] = ()) -> None:
    """Map a status to a typed error; success and the empty-result statuses pass."""
    if status == SUCCESS or status in EMPTY_STATUSES:
        return
    shown = _redact(status, secrets_)
    if status == QUOTA_STATUS:
        raise QuotaExceeded("VoIP.ms's per-minute API request limit is reached", QUOTA_RETRY_AFTER)
    if status in AUTH_STATUSES:
        raise AuthError(f"VoIP.ms refused the API credentials ({shown})", status=shown)
    if status == IP_STATUS:
        raise PermissionDenied(
            "VoIP.ms does not accept API requests from this IP address; allow it in the "
            "portal's API settings",
            ErrorReason.IP_NOT_ALLOWED,
            status=shown,
        )
    if status in UNAVAILABLE_STATUSES:
        raise ProviderUnavailable(f"VoIP.ms is unavailable ({shown})", status=shown)
    raise InvalidRequest(f"VoIP.ms refused the request: {shown}", ErrorReason.REFUSED, status=shown)


def parse_answer(text: str, secrets_: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON object of an answer, its ``status`` normalised; errors raised as typed ones.

    An empty body is a success (some methods answer nothing); a read that expects data then
    finds its list missing and raises InvalidResponse.
    """
    if not text.strip():
        return {"status": SUCCESS}
    body = parse_json(text)
    if not isinstance(body, dict):
        raise InvalidResponse("VoIP.ms answered JSON that is not an object")
    status = body.get("status")
    if not isinstance(status, str) or not status.strip():
        raise InvalidResponse("VoIP.ms answered without a status")
    normalised = status.strip().lower()
    raise_for_status(normalised, secrets_)
    return {**body, "status": normalised}


def check_response(response: HttpResponse, secrets_: Sequence[str] = ()) -> dict[str, Any]:
    """An HTTP answer: JSON statuses win; HTTP errors without one are typed by code."""
    if response.status == 429:
        raise QuotaExceeded("VoIP.ms's per-minute API request limit is reached", QUOTA_RETRY_AFTER)
    if 200 <= response.status < 300:
        return parse_answer(response.text, secrets_)
    try:
        body = parse_answer(response.text, secrets_)
    except InvalidResponse:
        body = None
    if body is not None and body["status"] != SUCCESS:
        return body
    raise InvalidResponse(f"VoIP.ms answered HTTP {response.status}")


def _rows(body: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The list under ``key``; an empty-result status is an empty list."""
    status = body.get("status")
    if isinstance(status, str) and status in EMPTY_STATUSES:
        return []
    value = body.get(key)
    if isinstance(value, dict):
        # A PHP array with gaps is encoded as an object: {"0": {...}, "1": {...}}.
        inner = list(value.values())
        value = inner if inner and all(isinstance(row, dict) for row in inner) else [value]
    if not isinstance(value, list):
        raise InvalidResponse(f"VoIP.ms answered without {key}")
    return [row for row in value if isinstance(row, dict)]


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return bounded(value)
    return ""


def _int(row: Mapping[str, Any], key: str) -> int:
    raw = _text(row, key)
    if not raw:
        return 0
    if not _INT.fullmatch(raw):
        raise InvalidResponse(f"VoIP.ms sent a non-numeric {key}")
    return int(raw)


def _money(row: Mapping[str, Any], key: str) -> Decimal | None:
    raw = _text(row, key)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation as err:
        raise InvalidResponse(f"VoIP.ms sent a non-numeric {key}") from err
    if not value.is_finite() or abs(value) > Decimal(10) ** 12:
        raise InvalidResponse(f"VoIP.ms sent an impossible {key}")
    return value


def _yes(value: str) -> bool:
    return value.strip().lower() in {"1", "yes", "y", "true", "on"}


def parse_sub_accounts(body: Mapping[str, Any]) -> dict[str, Extension]:
    """getSubAccounts: the SIP login (``100001_office``) is the extension id.

    Rows also carry the SIP password: nothing of a row but its login and description is kept.
    """
    extensions: dict[str, Extension] = {}
    for row in _rows(body, "accounts"):
        account = _text(row, "account")
        if account:
            extensions[account] = Extension(account, _text(row, "description") or account)
    return extensions


def parse_registration(account: str, body: Mapping[str, Any]) -> ExtensionState:
    """getRegistrationStatus: registered yes/no, and the server the phone registered to.

    Only the server's name goes into the state, never an IP address (server_ip, register_ip).
    [P] No user-agent field is documented; one is used if the answer has it.
    """
    registered = _text(body, "registered").lower()
    if registered not in {"yes", "no", "1", "0"}:
        raise InvalidResponse("VoIP.ms answered the registration without its state")
    rows = _rows(body, "registrations") if isinstance(body.get("registrations"), list) else []
    first = rows[0] if rows else {}
    server = (
        _text(first, "server_hostname")
        or _text(first, "server_shortname")
        or _text(first, "server_name")
    )
    agent = _text(first, "user_agent") or _text(first, "useragent")
    status = ExtensionStatus.IDLE if _yes(registered) else ExtensionStatus.OFFLINE
    return ExtensionState(account, status, user_agent=agent or None, server=server or None)


def parse_dids(body: Mapping[str, Any]) -> dict[str, PhoneNumber]:
    """getDIDsInfo: the account's numbers, keyed as VoIP.ms writes them (``5145550100``)."""
    numbers: dict[str, PhoneNumber] = {}
    for row in _rows(body, "dids"):
        did = _text(row, "did")
        if did:
            numbers[did] = PhoneNumber(
                number=did,
                sms_enabled=_yes(_text(row, "sms_enabled")),
                route=_text(row, "routing") or None,
            )
    return numbers


def parse_forwardings(body: Mapping[str, Any]) -> dict[str, Route]:
    """getForwardings: each forwarding is a route ``fwd:<id>``."""
    routes: dict[str, Route] = {}
    for row in _rows(body, "forwardings"):
        forwarding = _text(row, "forwarding")
        if forwarding:
            name = _text(row, "description") or _text(row, "phone_number") or forwarding
            routes[FORWARDING_ROUTE + forwarding] = Route(FORWARDING_ROUTE + forwarding, name)
    return routes


def parse_mailboxes(body: Mapping[str, Any]) -> dict[str, Mailbox]:
    """getVoicemails: new and urgent counts of every mailbox in one answer."""
    mailboxes: dict[str, Mailbox] = {}
    for row in _rows(body, "voicemails"):
        mailbox = _text(row, "mailbox")
        if mailbox:
            mailboxes[mailbox] = Mailbox(
                mailbox,
                _text(row, "name") or mailbox,
                new=max(0, _int(row, "new")),
                urgent=max(0, _int(row, "urgent")),
            )
    return mailboxes


def parse_balance(body: Mapping[str, Any], currency: str = DEFAULT_CURRENCY) -> Balance:
    """The answer of getBalance (advanced=1 adds today's spending and calls)."""
    balance = body.get("balance")
    if not isinstance(balance, dict):
        raise InvalidResponse("VoIP.ms answered without a balance")
    amount = _money(balance, "current_balance")
    if amount is None:
        raise InvalidResponse("VoIP.ms answered without a current balance")
    # [Q] No currency field is documented; the account's currency is configured.
    stated = (_text(balance, "currency") or _text(body, "currency")).upper()
    calls = _text(balance, "calls_today")
    return Balance(
        amount=amount,
        currency=stated if _CURRENCY.fullmatch(stated) else currency,
        spent_today=_money(balance, "spent_today"),
        calls_today=max(0, _int(balance, "calls_today")) if calls else None,
    )


def _nanp(digits: str) -> str:
    """Ten NANP digits from ``1XXXXXXXXXX``; anything else unchanged."""
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isascii() and char.isdigit())


def parse_calls_today(body: Mapping[str, Any], dids: Collection[str]) -> tuple[int, int]:
    """Today's getCDR rows: inbound (to one of our DIDs) calls as (missed, answered).

    [P] Inbound rows are those whose destination is one of our DIDs or whose description
    says "inbound"; any disposition but ANSWERED is a missed call.
    """
    ours = {_nanp(_digits(did)) for did in dids}
    missed = answered = 0
    for row in _rows(body, "cdr"):
        destination = _nanp(_digits(_text(row, "destination")))
        inbound = destination in ours or "inbound" in _text(row, "description").lower()
        if not inbound:
            continue
        if _text(row, "disposition").upper() == "ANSWERED":
            answered += 1
        else:
            missed += 1
    return missed, answered


def _unescape(message: str) -> str:
    """[C] getSMS bodies may carry PHP-escaped quotes."""
    return message.replace("\\'", "'").replace('\\"', '"')


def _parse_time(text: str, tz: tzinfo) -> datetime | None:
    """``Y-m-d H:i:s`` in ``tz``, or Unix seconds (milliseconds tolerated)."""
    raw = text.strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 14:
        stamp = int(raw)
        if stamp > 10**11:
            stamp //= 1000
        try:
            return datetime.fromtimestamp(stamp, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    for pattern in _DATETIME_FORMATS:
        try:
            return datetime.strptime(raw, pattern).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def parse_received_sms(
    body: Mapping[str, Any], since: datetime, tz: tzinfo = UTC
) -> list[InboundSms]:
    """The getSMS type=1 rows dated ``since`` or later, oldest first."""
    found: list[InboundSms] = []
    for row in _rows(body, "sms"):
        sms_id = _text(row, "id")
        if not sms_id or _text(row, "type") not in {"", "1"}:
            continue
        stamp = _parse_time(_text(row, "date"), tz)
        if stamp is None or stamp < since:
            continue
        message = row.get("message")
        found.append(
            InboundSms(
                id=sms_id,
                from_number=_text(row, "contact"),
                to_did=_text(row, "did"),
                message=_unescape(message)[:INBOUND_MAX_LENGTH] if isinstance(message, str) else "",
                timestamp=stamp,
            )
        )
    return sorted(found, key=lambda sms: (sms.timestamp or since, sms.id))


# --- the SMS URL callback -----------------------------------------------------------------


def sms_callback_url(url: str) -> str:
    """The URL callback to configure: ``url`` with every placeholder as a query field."""
    query = "&".join(f"{name}={placeholder}" for name, placeholder in CALLBACK_FIELDS.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _callback_field(fields: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = fields.get(name)
        if value is not None and not _PLACEHOLDER.fullmatch(value.strip()):
            return value
    return None


def parse_sms_callback(
    query: Mapping[str, str],
    *,
    dids: Collection[str] | None = None,
    tz: tzinfo = CALLBACK_TZ,
) -> InboundSms | None:
    """A message VoIP.ms delivered to the URL callback; None when anything is dubious.

    [C] {FROM}, {TO} and {MESSAGE} are documented; [P] {ID} and {TIMESTAMP} are used by
    others. Without an id, one is derived from the content so that VoIP.ms's re-sends (every
    30 minutes until the answer is ``ok``) keep the same id. ``dids``, when given, are the
    account's numbers: a message to another number is not ours.
    """
    fields = {
        key.strip().lower(): value
        for key, value in query.items()
        if isinstance(key, str) and isinstance(value, str)
    }
    sender = (_callback_field(fields, "from") or "").strip()
    to = (_callback_field(fields, "to") or "").strip()
    message = _callback_field(fields, "message", "msg", "text")
    if not _CALLBACK_NUMBER.fullmatch(sender) or not _CALLBACK_NUMBER.fullmatch(to):
        return None
    if message is None or len(message) > INBOUND_MAX_LENGTH:
        return None
    if dids is not None and _nanp(_digits(to)) not in {_nanp(_digits(did)) for did in dids}:
        return None
    raw_time = _callback_field(fields, "date", "timestamp")
    stamp = _parse_time(raw_time, tz) if raw_time else None
    sms_id = (_callback_field(fields, "id") or "").strip()
    if not _CALLBACK_ID.fullmatch(sms_id):
        if sms_id:
            return None
        digest = hashlib.sha256(
            "\x1f".join((sender, to, message, raw_time or "")).encode("utf-8", "surrogatepass")
        )
        sms_id = "h" + digest.hexdigest()[:24]
    return InboundSms(sms_id, sender.lstrip("+"), to.lstrip("+"), message, stamp)


# --- long texts ---------------------------------------------------------------------------


# Grapheme-cluster-break classes by code point range, where the category does not tell.
_BREAK_RANGES = (
    (0x0A, 0x0A, "LF"),
    (0x0D, 0x0D, "CR"),
    (0x200C, 0x200C, "Extend"),  # ZWNJ
    (0x200D, 0x200D, "ZWJ"),
    (0x1100, 0x115F, "L"),  # Hangul jamo: leading, vowel, trailing
    (0xA960, 0xA97C, "L"),
    (0x1160, 0x11A7, "V"),
    (0xD7B0, 0xD7C6, "V"),
    (0x11A8, 0x11FF, "T"),
    (0xD7CB, 0xD7FB, "T"),
    (0x1F1E6, 0x1F1FF, "RI"),  # regional indicators: flags are pairs
    (0x1F3FB, 0x1F3FF, "Extend"),  # emoji skin tones
    (0xE0020, 0xE007F, "Extend"),  # tag characters (subdivision flags)
)
_CATEGORY_CLASS = {
    "Mn": "Extend",
    "Me": "Extend",
    "Mc": "SpacingMark",
    "Cc": "Control",
    "Cf": "Control",
    "Zl": "Control",
    "Zp": "Control",
    "Cs": "Control",
    "So": "Pictographic",
}


def _break_class(char: str) -> str:
    """The character's grapheme-cluster-break class (UAX #29), closely approximated."""
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3:  # precomposed Hangul syllables
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    for low, high, kind in _BREAK_RANGES:
        if low <= code <= high:
            return kind
    return _CATEGORY_CLASS.get(unicodedata.category(char), "Other")


_HANGUL_JOINS = {
    "L": {"L", "V", "LV", "LVT"},
    "LV": {"V", "T"},
    "V": {"V", "T"},
    "LVT": {"T"},
    "T": {"T"},
}


def _joins(before: str, after: str, regional_run: int) -> bool:
    """Whether no cluster boundary lies between two characters of these classes."""
    if before == "CR" and after == "LF":
        return True
    if before in ("Control", "CR", "LF") or after in ("Control", "CR", "LF"):
        return False
    if after in _HANGUL_JOINS.get(before, ()):
        return True
    if after in ("Extend", "ZWJ", "SpacingMark"):
        return True
    if before == "ZWJ" and after == "Pictographic":
        return True  # an emoji ZWJ sequence (family, profession ...)
    return before == "RI" and after == "RI" and regional_run % 2 == 1


def graphemes(text: str) -> list[str]:
    """Split ``text`` into user-perceived characters (extended grapheme clusters)."""
    clusters: list[str] = []
    current: list[str] = []
    before = ""
    regional_run = 0
    for char in text:
        kind = _break_class(char)
        if current and not _joins(before, kind, regional_run):
            clusters.append("".join(current))
            current = []
            regional_run = 0
        current.append(char)
        regional_run = regional_run + 1 if kind == "RI" else 0
        before = kind
    if current:
        clusters.append("".join(current))
    return clusters


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _cut_cluster(cluster: str) -> list[str]:
    """A cluster larger than a text (a pile of combining marks) cut at code points."""
    pieces: list[str] = []
    current = ""
    for char in cluster:
        if current and _utf8_size(current + char) > SMS_PART_BYTES:
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def _too_long(message: str, parts: int) -> InvalidRequest:
    return InvalidRequest(
        f"The message needs {parts} texts of {SMS_PART_BYTES} bytes; VoIP.ms sends at most "
        f"{SMS_MAX_PARTS}",
        ErrorReason.SMS_LENGTH,
        length=str(len(message)),
        maximum=str(SMS_MAX_BYTES),
        parts=str(parts),
        maximum_parts=str(SMS_MAX_PARTS),
    )


def split_sms(message: str) -> list[str]:
    """The texts to send for ``message``: at most 10 of at most 160 UTF-8 bytes each.

    Parts end on grapheme-cluster boundaries, so an accent, an emoji sequence or a flag is
    never torn apart; only a single cluster larger than a whole text is cut. Parts that are
    only whitespace are left out (VoIP.ms refuses empty texts). Raises InvalidRequest
    ``sms_length`` for an empty or too long message, ``sms_invalid_characters`` for text
    that cannot be encoded (lone surrogates).
    """
    if not message.strip():
        raise InvalidRequest(
            "The message is empty",
            ErrorReason.SMS_LENGTH,
            length="0",
            maximum=str(SMS_MAX_BYTES),
        )
    try:
        size = len(message.encode("utf-8"))
    except UnicodeEncodeError as err:
        raise InvalidRequest(
            "The message contains characters that cannot be sent",
            ErrorReason.SMS_INVALID_CHARACTERS,
        ) from err
    if size > SMS_MAX_BYTES * 4:  # far beyond any packing: no need to count exactly
        raise _too_long(message, -(-size // SMS_PART_BYTES))
    parts: list[str] = []
    current = ""
    used = 0
    for cluster in graphemes(message):
        pieces = [cluster] if _utf8_size(cluster) <= SMS_PART_BYTES else _cut_cluster(cluster)
        for piece in pieces:
            piece_size = _utf8_size(piece)
            if current and used + piece_size > SMS_PART_BYTES:
                parts.append(current)
                current, used = "", 0
            current += piece
            used += piece_size
    parts.append(current)
    parts = [part for part in parts if part.strip()]
    if len(parts) > SMS_MAX_PARTS:
        raise _too_long(message, len(parts))
    return parts


# --- numbers, routes, time ----------------------------------------------------------------


def did_digits(number: str) -> str:
    """One of the account's numbers as VoIP.ms writes it: ten digits for US/Canada."""
    text = number.strip()
    if not _DID_CHARS.fullmatch(text):
        raise InvalidRequest("Not a phone number", ErrorReason.INVALID_NUMBER, number=text[:40])
    digits = _nanp(_digits(text))
    if not 4 <= len(digits) <= 15:
        raise InvalidRequest("Not a phone number", ErrorReason.INVALID_NUMBER, number=text[:40])
    return digits


def check_route(route_id: str) -> str:
    """A DID routing value (``header:value``) as setDIDRouting takes it."""
    match = _ROUTE.fullmatch(route_id.strip())
    if match is None or match.group(1) not in ROUTE_HEADERS:
        raise InvalidRequest(
            "Not a VoIP.ms route", ErrorReason.INVALID_REQUEST, route=route_id.strip()[:40]
        )
    return match.group(0)


def _zone(value: str | float) -> tzinfo:
    """A fixed offset in hours (``-5``, ``"-3.5"``) or a time zone name."""
    hours: float
    if isinstance(value, str):
        try:
            hours = float(value)
        except ValueError:
            try:
                return ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as err:
                raise InvalidRequest(
                    "Unknown time zone", ErrorReason.INVALID_REQUEST, timezone=value[:40]
                ) from err
    else:
        hours = value
    if not -12 <= hours <= 14:
        raise InvalidRequest("Time zone offset out of range", ErrorReason.INVALID_REQUEST)
    return fixed_timezone(timedelta(hours=hours))


def _offset_hours(moment: datetime) -> str:
    """VoIP.ms's ``timezone`` parameter: the UTC offset in hours (``-5``, ``-3.5``)."""
    offset = moment.utcoffset() or timedelta()
    hours = offset.total_seconds() / 3600
    return str(int(hours)) if hours.is_integer() else f"{hours:g}"


def _multipart(fields: Mapping[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type.

    Built here because aiohttp's FormData sends plain text fields urlencoded, which VoIP.ms
    refuses for POST requests.
    """
    encoded = {name: value.encode("utf-8") for name, value in fields.items()}
    boundary = secrets.token_hex(16)
    while any(boundary.encode() in value for value in encoded.values()):
        boundary = secrets.token_hex(16)  # pragma: no cover - 2**-128
    chunks: list[bytes] = []
    for name, value in encoded.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        chunks.append(value + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


# --- the client ---------------------------------------------------------------------------


@dataclass
class _Remembered:
    """A DID's routes to switch between: its last forwarding and its last other route."""

    on: str | None = None
    off: str | None = None


class VoipmsClient:
    """Client for one VoIP.ms account (the API user, not a reseller's clients)."""

    key: ClassVar[str] = "voipms"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.REGISTRATION,
            Capability.ACCOUNT_BALANCE,
            Capability.CALL_HISTORY,
            Capability.VOICEMAIL,
        }
    )
    # [Q] Undocumented; the HA layer lowers it after every api_limit_exceeded.
    quota: ClassVar[Quota] = Quota(limit=30, window=60.0)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        username: str,
        api_password: str,
        base_url: str = DEFAULT_URL,
        gate: RequestGate | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        region: str = DEFAULT_REGION,
        currency: str = DEFAULT_CURRENCY,
        timezone: str | float = DEFAULT_TIMEZONE,
    ) -> None:
        """Create a client; the session belongs to the caller.

        ``timezone`` (a zone name or an offset in hours) decides what "today" is for the
        call history and the ``timezone`` VoIP.ms gets with getCDR and getSMS.
        """
        self._username = username.strip()
        self._password = api_password
        self._url = base_url
        self._http = HttpTransport(session, gate=gate, timeout=request_timeout)
        self._region = region.upper()
        self._currency = currency.upper()
        self._tz = _zone(timezone)
        self._remembered: dict[str, _Remembered] = {}
        self._forwardings: list[str] = []  # fwd:<id> in the order getForwardings lists them

    @property
    def account_id(self) -> str:
        """The API username (the account's e-mail), case-folded."""
        return self._username.casefold()

    # --- transport --------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        return [self._password, self._username]

    async def _call(
        self, method: str, params: Mapping[str, str] | None = None, *, write: bool = False
    ) -> dict[str, Any]:
        """One API call: a GET for reads, a multipart POST for writes."""
        fields = {
            "api_username": self._username,
            "api_password": self._password,
            "method": method,
            **(params or {}),
        }
        try:
            if write:
                body, content_type = _multipart(fields)
                response = await self._http.request(
                    "POST", self._url, raw=body, headers={"Content-Type": content_type}
                )
            else:
                response = await self._http.request("GET", self._url, params=fields)
        except ProviderError as err:
            # A GET carries the password in its URL, and aiohttp errors may quote the URL.
            cause = f"{err.__cause__!s} {err.__cause__!r}" if err.__cause__ else ""
            if self._password and self._password in cause:
                raise err from None
            raise
        return check_response(response, self._secrets())

    # --- reads ------------------------------------------------------------------------------

    async def async_validate(self) -> None:
        """getBalance: proves the credentials, the API being enabled and the allowed IP."""
        parse_balance(await self._call("getBalance"), self._currency)

    async def async_public_ip(self) -> str:
        """getIP: the address VoIP.ms sees us calling from (works without the allow-list)."""
        body = await self._call("getIP")
        text = _text(body, "ip")
        try:
            return str(ipaddress.ip_address(text))
        except ValueError as err:
            raise InvalidResponse("VoIP.ms answered getIP without an address") from err

    async def async_sub_accounts(self) -> dict[str, Extension]:
        """Read getSubAccounts."""
        return parse_sub_accounts(await self._call("getSubAccounts"))

    async def async_registration(self, account: str) -> ExtensionState:
        """Read getRegistrationStatus of one sub-account (its SIP login)."""
        try:
            body = await self._call("getRegistrationStatus", {"account": account})
        except InvalidRequest as err:
            if err.details.get("status") != "invalid_account":
                raise
            raise InvalidRequest(
                "VoIP.ms does not know this sub-account",
                ErrorReason.UNKNOWN_EXTENSION,
                extension=account,
            ) from None
        return parse_registration(account, body)

    async def _did_rows(self, did: str | None = None) -> list[dict[str, Any]]:
        return _rows(await self._call("getDIDsInfo", {"did": did} if did else None), "dids")

    async def async_dids(self) -> dict[str, PhoneNumber]:
        """getDIDsInfo: numbers, their routing and whether they send texts."""
        numbers = parse_dids(await self._call("getDIDsInfo"))
        for number in numbers.values():
            self._observe(number.number, number.route)
        return numbers

    async def async_forwardings(self) -> dict[str, Route]:
        """getForwardings: the routes ``fwd:<id>``."""
        routes = parse_forwardings(await self._call("getForwardings"))
        self._forwardings = list(routes)
        return routes

    async def async_mailboxes(self) -> dict[str, Mailbox]:
        """getVoicemails: every mailbox's new and urgent counts in one request."""
        return parse_mailboxes(await self._call("getVoicemails"))

    async def async_balance(self) -> Balance:
        """Read getBalance with today's spending and calls."""
        return parse_balance(await self._call("getBalance", {"advanced": "1"}), self._currency)

    async def async_calls_today(
        self, dids: Collection[str], now: datetime | None = None
    ) -> tuple[int, int]:
        """Read getCDR for today in the configured time zone: inbound (missed, answered)."""
        moment = (now or datetime.now(UTC)).astimezone(self._tz)
        today = moment.date().isoformat()
        params = {
            "date_from": today,
            "date_to": today,
            "timezone": _offset_hours(moment),
            "answered": "1",
            "noanswer": "1",
            "busy": "1",
            "failed": "1",
        }
        body = await self._call("getCDR", params)
        return parse_calls_today(body, dids)

    async def _read_received_sms(self, data: AccountData) -> AccountData:
        """The fallback without a webhook: texts of the last day, newest last."""
        now = datetime.now(UTC)
        texts = await self.async_received_sms(now - timedelta(days=1), now)
        messages = tuple(
            Message(sms.id, sms.from_number, sms.to_did, sms.message, sms.timestamp)
            for sms in texts
        )
        return replace(data, messages=messages[-MAX_MESSAGES:])

    async def async_received_sms(
        self, since: datetime, now: datetime | None = None
    ) -> list[InboundSms]:
        """Read getSMS type=1: messages received since ``since`` (the polling fallback)."""
        moment = (now or datetime.now(UTC)).astimezone(self._tz)
        start = since if since.tzinfo else since.replace(tzinfo=UTC)
        start = max(start, moment - timedelta(days=SMS_HISTORY_DAYS))
        params = {
            "type": "1",
            "from": start.astimezone(self._tz).date().isoformat(),
            "to": moment.date().isoformat(),
            "timezone": _offset_hours(moment),
            "limit": str(SMS_HISTORY_LIMIT),
        }
        body = await self._call("getSMS", params)
        # Answer dates are in the offset we asked for.
        offset = fixed_timezone(moment.utcoffset() or timedelta())
        return parse_received_sms(body, start, offset)

    # --- structure and polling --------------------------------------------------------------

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """Sub-accounts, numbers, forwardings and mailboxes: four requests, lists only."""
        extensions = await self.async_sub_accounts()
        numbers = await self.async_dids()
        forwardings = await self.async_forwardings()
        mailboxes = await self.async_mailboxes()
        loaded = self._with_extensions(data, extensions)
        loaded = replace(loaded, numbers=numbers, mailboxes=mailboxes)
        loaded = replace(loaded, routes=self._routes(loaded, forwardings=forwardings))
        return StructureLoad(
            self._with_switches(loaded), (_ACCOUNTS, _DIDS, _FORWARDINGS, _VOICEMAILS)
        )

    def plan_reads(self, data: AccountData) -> list[Read]:
        """A registration read per sub-account, the lists, the balance and today's calls."""
        return [
            *(
                Read(REGISTRATION, account, Freshness.FREQUENT, extension_id=account)
                for account in data.extensions
            ),
            _DIDS,
            _VOICEMAILS,
            _BALANCE,
            _CALLS_TODAY,
            _ACCOUNTS,
            _FORWARDINGS,
            _RECEIVED_SMS,
        ]

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one planned read and fold its answer into a new ``data``."""
        if read.name == REGISTRATION:
            state = await self.async_registration(read.target)
            return replace(data, extension_states={**data.extension_states, read.target: state})
        handlers = {
            _DIDS.name: self._read_dids,
            _VOICEMAILS.name: self._read_voicemails,
            _BALANCE.name: self._read_balance,
            _CALLS_TODAY.name: self._read_calls_today,
            _ACCOUNTS.name: self._read_accounts,
            _FORWARDINGS.name: self._read_forwardings,
            _RECEIVED_SMS.name: self._read_received_sms,
        }
        handler = handlers.get(read.name)
        if handler is None:
            raise InvalidRequest(f"VoIP.ms has no read {read.key}", ErrorReason.UNKNOWN_READ)
        return await handler(data)

    async def _read_dids(self, data: AccountData) -> AccountData:
        return self._with_switches(replace(data, numbers=await self.async_dids()))

    async def _read_voicemails(self, data: AccountData) -> AccountData:
        data = replace(data, mailboxes=await self.async_mailboxes())
        return replace(data, routes=self._routes(data))

    async def _read_balance(self, data: AccountData) -> AccountData:
        return replace(data, balance=await self.async_balance())

    async def _read_calls_today(self, data: AccountData) -> AccountData:
        return replace(data, calls_today=await self.async_calls_today(list(data.numbers)))

    async def _read_accounts(self, data: AccountData) -> AccountData:
        data = self._with_extensions(data, await self.async_sub_accounts())
        return replace(data, routes=self._routes(data))

    async def _read_forwardings(self, data: AccountData) -> AccountData:
        forwardings = await self.async_forwardings()
        data = replace(data, routes=self._routes(data, forwardings=forwardings))
        return self._with_switches(data)

    @staticmethod
    def _with_extensions(data: AccountData, extensions: dict[str, Extension]) -> AccountData:
        """New sub-accounts; the states of removed ones go."""
        return replace(
            data,
            extensions=extensions,
            extension_states={k: s for k, s in data.extension_states.items() if k in extensions},
        )

    @staticmethod
    def _routes(
        data: AccountData, forwardings: Mapping[str, Route] | None = None
    ) -> dict[str, Route]:
        """Forwardings, sub-accounts and mailboxes as the routes a number can take."""
        if forwardings is None:
            forwardings = {k: r for k, r in data.routes.items() if k.startswith(FORWARDING_ROUTE)}
        return {
            **forwardings,
            **{
                ACCOUNT_ROUTE + account: Route(ACCOUNT_ROUTE + account, extension.name)
                for account, extension in data.extensions.items()
            },
            **{
                VOICEMAIL_ROUTE + mailbox: Route(VOICEMAIL_ROUTE + mailbox, box.name)
                for mailbox, box in data.mailboxes.items()
            },
        }

    @staticmethod
    def _with_switches(data: AccountData) -> AccountData:
        """A call-forwarding switch per number, where there is a forwarding to switch to."""
        has_forwarding = any(route.startswith(FORWARDING_ROUTE) for route in data.routes)
        switches = {
            k: s for k, s in data.switches.items() if s.kind is not SwitchKind.CALL_FORWARDING
        }
        for did, number in data.numbers.items():
            forwarded = (number.route or "").startswith(FORWARDING_ROUTE)
            if has_forwarding or forwarded:
                switch = _forwarding_switch(did, number.route)
                switches[switch.id] = switch
        return replace(data, switches=switches)

    # --- routing and the forwarding switch --------------------------------------------------

    def _observe(self, did: str, route: str | None) -> None:
        """Remember a number's route: the forwarding to switch on, the route to go back to."""
        if not route:
            return
        remembered = self._remembered.setdefault(did, _Remembered())
        if route.startswith(FORWARDING_ROUTE):
            remembered.on = route
        else:
            remembered.off = route

    @property
    def remembered_routes(self) -> dict[str, dict[str, str]]:
        """Per number, the forwarding (``on``) and other route (``off``) last seen: to persist."""
        return {
            did: {key: value for key, value in (("on", memo.on), ("off", memo.off)) if value}
            for did, memo in self._remembered.items()
            if memo.on or memo.off
        }

    def restore_remembered_routes(self, routes: Mapping[Any, Any]) -> None:
        """Take back routes persisted from ``remembered_routes``; malformed entries are skipped.

        What the client has seen itself since it started wins over restored values.
        """
        for did, entry in routes.items():
            if not isinstance(did, str) or not isinstance(entry, Mapping):
                continue
            memo = self._remembered.setdefault(did, _Remembered())
            on, off = entry.get("on"), entry.get("off")
            if memo.on is None and _valid_route(on) and on.startswith(FORWARDING_ROUTE):
                memo.on = on
            if memo.off is None and _valid_route(off) and not off.startswith(FORWARDING_ROUTE):
                memo.off = off

    async def _current_route(self, did: str) -> str:
        rows = await self._did_rows(did)
        row = next((row for row in rows if _text(row, "did") == did), None)
        if row is None:
            raise InvalidRequest(
                "VoIP.ms does not list this number", ErrorReason.INVALID_NUMBER, number=did
            )
        route = _text(row, "routing")
        self._observe(did, route)
        return route

    async def async_set_route(self, number: str, route_id: str) -> str:
        """setDIDRouting; the route is read back and returned."""
        did = did_digits(number)
        route = check_route(route_id)
        await self._call("setDIDRouting", {"did": did, "routing": route}, write=True)
        return await self._current_route(did)

    async def async_set_switch(self, switch_id: str, on: bool) -> Switch:
        """The call-forwarding switch ``fwd_<did>``.

        On routes the number to its remembered forwarding (the first one if none was seen);
        off routes it back to the route it had before (a sub-account, a mailbox ...).
        """
        if not switch_id.startswith(FORWARDING_SWITCH):
            raise InvalidRequest(
                "Unknown VoIP.ms switch", ErrorReason.UNKNOWN_SWITCH, switch=switch_id[:40]
            )
        did = did_digits(switch_id.removeprefix(FORWARDING_SWITCH))
        current = await self._current_route(did)
        if current.startswith(FORWARDING_ROUTE) == on:
            return _forwarding_switch(did, current)
        memo = self._remembered.setdefault(did, _Remembered())
        if on:
            if memo.on is None:
                if not self._forwardings:
                    await self.async_forwardings()
                memo.on = self._forwardings[0] if self._forwardings else None
            target = memo.on
        else:
            target = memo.off
        if target is None:
            raise InvalidRequest(
                "There is no forwarding to switch to"
                if on
                else "The number's route before forwarding is not known",
                ErrorReason.NOT_SUPPORTED,
                number=did,
            )
        await self._call("setDIDRouting", {"did": did, "routing": target}, write=True)
        return _forwarding_switch(did, await self._current_route(did))

    # --- text messages ----------------------------------------------------------------------

    def _destination(self, to: str) -> str:
        """The ten NANP digits VoIP.ms sends texts to."""
        number = parse_number(to, self._region)
        if number.country_code != 1:
            raise InvalidRequest(
                "VoIP.ms sends texts to US and Canadian numbers only",
                ErrorReason.INVALID_NUMBER,
                number=to[:40],
            )
        digits = phonenumbers.national_significant_number(number)
        if len(digits) != 10:
            raise InvalidRequest(
                "Not a valid phone number", ErrorReason.INVALID_NUMBER, number=to[:40]
            )
        return digits

    async def async_send_sms(
        self, from_number: str, to: str, message: str, sender: str | None
    ) -> ActionResult:
        """Send texts with sendSMS from a DID; a long message goes as up to 10 texts, in order.

        Everything is checked before the first request. ``sender`` is ignored: VoIP.ms sends
        from the DID. When a later part fails, the error's details say how many were sent.
        """
        del sender
        parts = split_sms(message)
        did = did_digits(from_number)
        dst = self._destination(to)
        ids: list[str] = []
        for part in parts:
            try:
                fields = {"did": did, "dst": dst, "message": part}
                body = await self._call("sendSMS", fields, write=True)
            except ProviderError as err:
                if ids:
                    err.details = {
                        **err.details,
                        "parts_sent": str(len(ids)),
                        "ids": ",".join(ids),
                    }
                raise
            ids.append(_text(body, "sms"))
        return ActionResult(
            SUCCESS,
            {"from": did, "to": dst, "parts": str(len(parts)), "ids": ",".join(ids)},
        )

    async def async_set_sms_callback(self, did: str, url: str) -> str:
        """setSMS: deliver received texts to ``url`` (GET, with retries); "" turns it off.

        VoIP.ms resets what setSMS is not given, so the DID's other SMS settings (e-mail,
        forwarding, webhook ...) are read first and sent back unchanged. Returns the
        callback URL configured.
        """
        digits = did_digits(did)
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise InvalidRequest("The callback URL must be http(s)", ErrorReason.INVALID_URL)
        rows = await self._did_rows(digits)
        row = next((row for row in rows if _text(row, "did") == digits), None)
        if row is None:
            raise InvalidRequest(
                "VoIP.ms does not list this number", ErrorReason.INVALID_NUMBER, number=digits
            )
        if _text(row, "sms_available") and not _yes(_text(row, "sms_available")):
            raise InvalidRequest(
                "Text messages are not available on this number",
                ErrorReason.NOT_SUPPORTED,
                number=digits,
            )
        settings = {
            param: _text(row, field) for param, field in SMS_SETTINGS.items() if field in row
        }
        for param in SMS_FLAGS & settings.keys():
            settings[param] = "1" if _yes(settings[param]) else "0"
        template = sms_callback_url(url) if url else ""
        settings.update(
            url_callback_enable="1" if url else "0",
            url_callback=template,
            url_callback_retry="1" if url else "0",
        )
        await self._call("setSMS", {"did": digits, **settings}, write=True)
        return template


def _valid_route(route: object) -> TypeGuard[str]:
    if not isinstance(route, str):
        return False
    try:
        check_route(route)
    except InvalidRequest:
        return False
    return True


def _forwarding_switch(did: str, route: str | None) -> Switch:
    return Switch(
        id=FORWARDING_SWITCH + did,
        name=did,
        is_on=(route or "").startswith(FORWARDING_ROUTE),
        kind=SwitchKind.CALL_FORWARDING,
        number=did,
    )


__all__ = [
    "DEFAULT_URL",
    "InboundSms",
    "VoipmsClient",
    "check_response",
    "graphemes",
    "parse_answer",
    "parse_sms_callback",
    "sms_callback_url",
    "split_sms",
]
