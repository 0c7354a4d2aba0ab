"""VdB Diensten "VoIP en Mobiel" (portal.vdbdiensten.nl/API/).

Every command is one form POST carrying the portal username and password plus a token:
``md5(YmdH + username)``, where ``YmdH`` is the provider's local hour. The provider allows
25 requests per 5 minutes and answers the 26th with a "wait 5 minutes" status.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
import hashlib
import logging
import math
import re
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import aiohttp

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
from .http import DEFAULT_TIMEOUT, HttpTransport, bounded, parse_json
from .models import (
    AccountData,
    ActionResult,
    CallDirection,
    CallRecord,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Freshness,
    PhoneNumber,
    Queue,
    QueueCaller,
    QueueState,
    Read,
    StructureLoad,
)
from .phone import dialled_digits, international_digits, is_mobile, parse_number

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "https://portal.vdbdiensten.nl/API/"
PROVIDER_TZ = ZoneInfo("Europe/Amsterdam")
QUOTA_RETRY_AFTER = 300.0
# Near the top of the hour our clock and the provider's may disagree on the hour.
HOUR_BOUNDARY = timedelta(minutes=2)

SMS_MAX_LENGTH = 160
# "No special characters allowed": we read that as plain ASCII letters, digits and
# common punctuation, which every SMS gateway accepts unchanged.
SMS_ALLOWED = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?:;'\"()-+/&@%#=*_"
)
# GSM alphanumeric sender ids are at most 11 characters; numeric ones at most 16 digits.
# ASCII classes only: ``\d`` would let any Unicode digit through to the provider.
SENDER_PATTERN = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\+?[0-9]{1,16})$")

_AUTH_WORDS = ("auth", "login", "password", "token", "credential", "unauthori", "denied")
_QUOTA_WORDS = ("wait 5 minutes", "many requests")


# The account-wide reads, each one request.
_NUMBERS = Read("number_list", "numbers", Freshness.SLOW)
_EXTENSIONS = Read("extension_list", "extensions", Freshness.STRUCTURE)
_QUEUES = Read("queues_list", "queues", Freshness.STRUCTURE)


def token_for(username: str, hour: datetime) -> str:
    """The documented token: md5 of ``YmdH`` (provider time) and the username."""
    stamp = hour.astimezone(PROVIDER_TZ).strftime("%Y%m%d%H")
    return hashlib.md5((stamp + username).encode()).hexdigest()


def neighbour_hour(now: datetime) -> datetime | None:
    """The adjacent hour worth one retry when ``now`` is close to an hour boundary.

    Computed from the instant (UTC ± 1 h), not on the wall clock: on the night the
    clocks go forward, 03:00 minus an hour on the wall clock is 02:00, an hour that
    does not exist in Amsterdam; the instant an hour earlier is 01:00.
    """
    into_hour = timedelta(minutes=now.minute, seconds=now.second)
    instant = now.astimezone(UTC)
    if into_hour < HOUR_BOUNDARY:
        return (instant - timedelta(hours=1)).astimezone(PROVIDER_TZ)
    if timedelta(hours=1) - into_hour < HOUR_BOUNDARY:
        return (instant + timedelta(hours=1)).astimezone(PROVIDER_TZ)
    return None


def _rows(body: Any) -> list[dict[str, Any]]:
    """The document shows both a single object and lists of objects: accept both."""
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list) and all(isinstance(row, dict) for row in body):
        return body
    raise InvalidResponse("The provider answered JSON of an unexpected shape")


def _status_only(rows: list[dict[str, Any]]) -> str | None:
    """The status text of an answer that is only a status (an error or notice)."""
    if len(rows) == 1 and set(rows[0]) == {"status"}:
        return str(rows[0]["status"])
    return None


def _raise_for_status(rows: list[dict[str, Any]]) -> None:
    """Turn quota and authentication statuses into typed errors."""
    for row in rows:
        text = str(row.get("status", "")).casefold()
        if any(word in text for word in _QUOTA_WORDS):
            raise QuotaExceeded("The provider's request quota is used up", QUOTA_RETRY_AFTER)
        if any(word in text for word in _AUTH_WORDS):
            raise AuthError("The provider refused the username, password or token")


def _text(row: dict[str, Any], key: str) -> str:
    """A field as bounded text: a 20 MB caller number never reaches Home Assistant."""
    return bounded(row.get(key))


def _int(row: dict[str, Any], key: str) -> int:
    """A count or a duration: never negative, never out of range."""
    try:
        value = float(_text(row, key) or 0)
    except ValueError as err:
        raise InvalidResponse(f"The provider sent a non-numeric {key}") from err
    if not math.isfinite(value):
        raise InvalidResponse(f"The provider sent an out-of-range {key}")
    return max(0, int(value))


def _money(row: dict[str, Any], key: str) -> Decimal | None:
    raw = _text(row, key).replace(",", ".")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as err:
        raise InvalidResponse(f"The provider sent a non-numeric {key}") from err


def _direction(raw: str) -> CallDirection | None:
    text = raw.casefold()
    if text.startswith("in"):
        return CallDirection.INBOUND
    if text.startswith(("out", "uit")):
        return CallDirection.OUTBOUND
    return None


def _live_status(state: str, direction: CallDirection | None) -> ExtensionStatus | None:
    """Map the channel state (Asterisk names: Up, Ringing, Ring, Dialing...).

    A state we do not know (or none) is unknown, not "in call": guessing would show a
    busy phone that is not.
    """
    text = state.casefold()
    if text in ("up", "hold", "onhold", "busy", "bridged", "talking"):
        return ExtensionStatus.IN_CALL
    if text.startswith("ring") and direction is CallDirection.INBOUND:
        return ExtensionStatus.RINGING
    if text.startswith(("ring", "dial", "down", "offhook", "rsrvd")):
        return ExtensionStatus.DIALING
    _LOGGER.debug("Unknown channel state %r: status unknown", state[:40])
    return None


def parse_live_call(extension_id: str, rows: list[dict[str, Any]]) -> ExtensionState:
    """An empty answer (or a bare notice) means idle; otherwise the first call wins.

    The document does not say how "no call" looks; we accept ``[]`` and any notice,
    except one saying the extension is unknown: that one means it left the account.
    """
    notice = _status_only(rows) or ""
    if "unknown" in notice.casefold():
        raise InvalidRequest(
            f"The provider does not know extension {extension_id}",
            reason=ErrorReason.UNKNOWN_EXTENSION,
            extension=extension_id,
        )
    calls = [row for row in rows if "state" in row]
    if not calls:
        return ExtensionState(extension_id, ExtensionStatus.IDLE)
    call = next((row for row in calls if _text(row, "state").casefold() == "up"), calls[0])
    direction = _direction(_text(call, "direction"))
    remote = _text(call, "caller_nr" if direction is CallDirection.INBOUND else "call_to")
    return ExtensionState(
        extension_id,
        _live_status(_text(call, "state"), direction),
        remote_number=remote or None,
        direction=direction,
        duration=_int(call, "duration"),
    )


def parse_extensions(rows: list[dict[str, Any]]) -> dict[str, Extension]:
    """Rows with an ``extension`` field, whatever command returned them."""
    return {
        _text(row, "extension"): Extension(
            _text(row, "extension"), _text(row, "name") or _text(row, "extension")
        )
        for row in rows
        if _text(row, "extension")
    }


def parse_numbers(rows: list[dict[str, Any]]) -> dict[str, PhoneNumber]:
    """Rows with a ``number`` and credit fields.

    The document's PHP examples swap extension_list and number_list; we parse by the
    fields present rather than trusting the command, so either reading works.
    """
    return {
        _text(row, "number"): PhoneNumber(
            number=_text(row, "number"),
            package=_text(row, "package") or None,
            credit_limit=_money(row, "credit_limit"),
            credit_available=_money(row, "credit_available"),
            sms_enabled=True,  # send_sms takes any of the account's numbers as sender
        )
        for row in rows
        if _text(row, "number") and ("credit_available" in row or "package" in row)
    }


def parse_queues(rows: list[dict[str, Any]]) -> dict[str, Queue]:
    """Queue rows; ``extensions`` is a dash-separated list ("1234-1235-1236")."""
    return {
        _text(row, "id"): Queue(
            _text(row, "id"),
            _text(row, "name") or _text(row, "id"),
            tuple(part for part in re.split(r"[-,;\s]+", _text(row, "extensions")) if part),
        )
        for row in rows
        if _text(row, "id")
    }


def parse_queue(queue_id: str, rows: list[dict[str, Any]]) -> QueueState:
    """The callers in a queue; ``duration`` is how long each has waited."""
    callers = tuple(
        QueueCaller(_text(row, "number"), _int(row, "duration")) for row in rows if "number" in row
    )
    return QueueState(queue_id, callers)


def _time(row: dict[str, Any], key: str) -> datetime | None:
    """A ``Y-m-d H:M:S`` field in the provider's time zone; None if absent or unreadable."""
    try:
        return datetime.strptime(_text(row, key), "%Y-%m-%d %H:%M:%S").replace(tzinfo=PROVIDER_TZ)
    except ValueError:
        return None


def _answered(row: dict[str, Any]) -> bool | None:
    """The answered flag, None when the row does not say.

    The document spells it "answerd"; we also take "answered", in case the provider ever
    corrects the typo, so a fixed spelling does not turn every call into an unknown.
    """
    raw = _text(row, "answerd") or _text(row, "answered")
    text = raw.strip().casefold()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    return None


def _still_going(record: CallRecord, since: datetime) -> bool:
    """Whether a call may have been going at ``since``: a record without times may."""
    moment = record.end or record.start
    return moment is None or moment >= since


def parse_cdr(rows: list[dict[str, Any]]) -> list[CallRecord]:
    """Call detail records of cdr_number and cdr_extension."""
    return [
        CallRecord(
            uid=_text(row, "UID"),
            direction=_direction(_text(row, "direction")),
            start=_time(row, "time_start"),
            duration=_int(row, "call_time"),
            from_number=_text(row, "from"),
            to_number=_text(row, "to"),
            answered=_answered(row),
            end=_time(row, "time_end"),
        )
        for row in rows
        if _text(row, "UID")
    ]


def validate_sms(message: str) -> None:
    """Refuse a message the provider would refuse, naming the offending characters."""
    bad = sorted({char for char in message if char not in SMS_ALLOWED})
    if bad:
        raise InvalidRequest(
            "The message contains characters the provider refuses",
            reason=ErrorReason.SMS_INVALID_CHARACTERS,
            characters=" ".join(bad),
        )
    if not message or len(message) > SMS_MAX_LENGTH:
        raise InvalidRequest(
            f"The message must be 1 to {SMS_MAX_LENGTH} characters",
            reason=ErrorReason.SMS_LENGTH,
            length=str(len(message)),
            maximum=str(SMS_MAX_LENGTH),
        )


class VdbClient:
    """Client for one VdB portal account."""

    key: ClassVar[str] = "vdb"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.EXTENSION_STATUS,
            Capability.CALL_DETAILS,
            Capability.QUEUES,
            Capability.BALANCE,
        }
    )
    quota: ClassVar[Quota] = Quota(limit=25, window=300.0)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        username: str,
        password: str,
        base_url: str = DEFAULT_URL,
        gate: RequestGate | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client; the session belongs to the caller."""
        self._username = username.strip()
        self._password = password
        self._url = base_url
        self._http = HttpTransport(session, gate=gate, timeout=request_timeout)

    @property
    def account_id(self) -> str:
        """The portal username identifies the account."""
        return self._username.casefold()

    async def _command(self, command: str, **fields: str) -> list[dict[str, Any]]:
        """Send one command, retrying once with the neighbouring hour's token."""
        now = datetime.now(PROVIDER_TZ)
        try:
            return await self._send(command, now, fields)
        except AuthError:
            neighbour = neighbour_hour(now)
            if neighbour is None:
                raise
            return await self._send(command, neighbour, fields)

    async def _send(
        self, command: str, hour: datetime, fields: dict[str, str]
    ) -> list[dict[str, Any]]:
        form = {
            "TOKEN": token_for(self._username, hour),
            "U": self._username,
            "P": self._password,
            "C": command,
            **fields,
        }
        response = await self._http.request("POST", self._url, data=form)
        if response.status in (401, 403):
            raise AuthError("The provider refused the username, password or token")
        if response.status == 429:
            raise QuotaExceeded("The provider's request quota is used up", QUOTA_RETRY_AFTER)
        if response.status >= 400:
            raise InvalidResponse(f"The provider answered HTTP {response.status}")
        rows = _rows(parse_json(response.text))
        _raise_for_status(rows)
        return rows

    async def _list(self, command: str, **fields: str) -> list[dict[str, Any]]:
        """A listing command: a bare status answer is the provider refusing it."""
        rows = await self._command(command, **fields)
        status = _status_only(rows)
        if status is not None:
            # A refused listing is the provider failing to answer, not the account changing.
            raise ProviderUnavailable(
                f"The provider refused {command}: {status}", ErrorReason.REFUSED, status=status
            )
        return rows

    async def async_validate(self) -> None:
        """One cheap read proves the username, password and token."""
        await self._command("extension_list")

    async def async_extensions(self) -> dict[str, Extension]:
        """extension_list."""
        return parse_extensions(await self._list("extension_list"))

    async def async_numbers(self) -> dict[str, PhoneNumber]:
        """number_list, with package and credit."""
        return parse_numbers(await self._list("number_list"))

    async def async_queues(self) -> dict[str, Queue]:
        """queues_list."""
        return parse_queues(await self._list("queues_list"))

    async def async_queue(self, queue_id: str) -> QueueState:
        """Queue: the callers waiting; "unknown queue" means it left the account."""
        rows = await self._command("queue", N=queue_id)
        status = _status_only(rows)
        if status is not None and "unknown" in status.casefold():
            raise InvalidRequest(
                f"The provider does not know queue {queue_id}",
                ErrorReason.UNKNOWN_QUEUE,
                queue=queue_id,
            )
        if status is not None:
            raise ProviderUnavailable(
                f"The provider refused queue: {status}", ErrorReason.REFUSED, status=status
            )
        return parse_queue(queue_id, rows)

    async def async_live_call(self, extension_id: str) -> ExtensionState:
        """live_call; a bare status (no call) is read as idle."""
        return parse_live_call(extension_id, await self._command("live_call", N=extension_id))

    async def async_cdr_number(self, number: str, day: date) -> list[CallRecord]:
        """cdr_number: calls on one of the account's numbers (``31...`` form) on a day."""
        digits = international_digits(parse_number(number))
        return parse_cdr(await self._list("cdr_number", N=digits, D=day.isoformat()))

    async def async_cdr_extension(self, extension_id: str, day: date) -> list[CallRecord]:
        """cdr_extension: calls of one extension on a day."""
        return parse_cdr(await self._list("cdr_extension", N=extension_id, D=day.isoformat()))

    async def async_calls_since(self, extension_id: str, since: datetime) -> list[CallRecord]:
        """cdr_extension for each provider day from ``since`` to today (at most two).

        Days are the provider's (Amsterdam): a ring just before midnight is on
        yesterday's list. A call still going at ``since`` has ended at or after it.
        """
        today = datetime.now(PROVIDER_TZ).date()
        first = max(since.astimezone(PROVIDER_TZ).date(), today - timedelta(days=1))
        days = [today - timedelta(days=1), today] if first < today else [today]
        records = [r for day in days for r in await self.async_cdr_extension(extension_id, day)]
        return [record for record in records if _still_going(record, since)]

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """Extensions, queues and numbers: three requests, which cover their own reads."""
        loaded = replace(
            data,
            extensions=await self.async_extensions(),
            queues=await self.async_queues(),
            numbers=await self.async_numbers(),
        )
        return StructureLoad(loaded, (_EXTENSIONS, _QUEUES, _NUMBERS))

    def plan_reads(self, data: AccountData) -> list[Read]:
        """One live_call per extension, one queue read per queue, and the slow lists."""
        return [
            *(Read("live_call", ext, Freshness.LIVE, extension_id=ext) for ext in data.extensions),
            *(Read("queue", queue, Freshness.FREQUENT, queue_id=queue) for queue in data.queues),
            _NUMBERS,
            _EXTENSIONS,
            _QUEUES,
        ]

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one planned read and fold its answer into ``data``."""
        if read.name == "live_call":
            state = await self.async_live_call(read.target)
            return replace(data, extension_states={**data.extension_states, read.target: state})
        if read.name == "queue":
            queue = await self.async_queue(read.target)
            return replace(data, queue_states={**data.queue_states, read.target: queue})
        if read == _NUMBERS:
            return replace(data, numbers=await self.async_numbers())
        if read == _EXTENSIONS:
            return replace(data, extensions=await self.async_extensions())
        if read == _QUEUES:
            return replace(data, queues=await self.async_queues())
        raise InvalidRequest(f"VdB has no read {read.key}", ErrorReason.UNKNOWN_READ)

    async def async_click_to_call(self, extension_id: str, number: str) -> ActionResult:
        """init_call: the extension rings, then calls ``number``."""
        dialled = dialled_digits(parse_number(number))
        rows = await self._command("init_call", N=extension_id, T=dialled)
        return self._action_result(rows, "call", extension=extension_id, to=dialled)

    async def async_send_sms(
        self, from_number: str, to: str, message: str, sender: str | None
    ) -> ActionResult:
        """send_sms from one of the account's numbers; everything is checked first."""
        validate_sms(message)
        recipient = parse_number(to)
        if not is_mobile(recipient):
            raise InvalidRequest(
                "Text messages go to mobile numbers", reason=ErrorReason.NOT_MOBILE, number=to
            )
        own = international_digits(parse_number(from_number))
        sender_id = (sender or own).strip()
        if not SENDER_PATTERN.match(sender_id):
            raise InvalidRequest(
                "The sender is not a valid SMS sender", reason=ErrorReason.INVALID_SENDER
            )
        rows = await self._command(
            "send_sms", N=own, F=sender_id, T=dialled_digits(recipient), M=message
        )
        return self._action_result(rows, "sms", to=dialled_digits(recipient))

    @staticmethod
    def _action_result(rows: list[dict[str, Any]], expected: str, **details: str) -> ActionResult:
        """Success statuses are "call started" and "SMS send"; anything else is a refusal."""
        row = rows[0] if rows else {}
        status = _text(row, "status")
        if "unknown extension" in status.casefold() and "extension" in details:
            raise InvalidRequest(
                f"The provider does not know extension {details['extension']}",
                ErrorReason.UNKNOWN_EXTENSION,
                extension=details["extension"],
            )
        if expected not in status.casefold():
            raise InvalidRequest(
                f"The provider refused the request: {status or 'no answer'}",
                reason=ErrorReason.REFUSED,
                status=status,
            )
        answer = {key: _text(row, key) for key in row if key != "status"}
        return ActionResult(status, {**details, **answer})


__all__ = ["DEFAULT_URL", "ProviderError", "VdbClient", "token_for"]
