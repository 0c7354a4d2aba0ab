"""Business-ISP Connect Call (portal.business-isp.nl/api/connectcall.aspx) and its SMS API.

Connect Call has no read of its own. Logging in *places the first call* and answers code
103 with a session id ("GUID", in fact an 11-character opaque token). Within that login
session, ``cmd=connect`` places the next call, ``cmd=hangUp`` ends the call but keeps the
session, ``cmd=end`` logs out and ``cmd=getStatus`` reports the call's progress (status
codes 3-33), polled about once a second as the document suggests. Every answer is
``<response><code>…</code><message>…</message></response>``.

Policy of this client:

* one login session per source number, opened by a click-to-call and ended as soon as the
  call reaches a final status, is hung up, or the client closes: sessions never leak;
* the session id is a credential: it is never logged, put in a message or shown in a repr;
* a session the provider no longer knows (code 102 to a ``guid`` command, which carries
  no credentials) is forgotten, and a new call logs in afresh.

The SMS API (FAQ 498) lives on another host: ``sendsms.ashx?login=&pass=&from=&to=&text=``
answering ``<response><sms_response_code>200</sms_response_code>…</response>``.

Where the document is silent ([Q] in the team's notes: number format, session idle
timeout, what ``end`` does to a call in progress) the choices are commented where made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
import logging
import re
from types import MappingProxyType
from typing import ClassVar, Final
from xml.etree.ElementTree import Element

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
from .http import DEFAULT_TIMEOUT, HttpTransport, bounded, parse_xml
from .models import (
    FINAL_CALL_STATUSES,
    AccountData,
    ActionResult,
    CallSession,
    CallStatus,
    Freshness,
    PhoneNumber,
    Read,
    StructureLoad,
)
from .phone import (
    dialled_digits,
    international_digits,
    is_mobile,
    parse_number,
    parse_own_number,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "https://portal.business-isp.nl/api/connectcall.aspx"
# The SMS API's host has no ``portal.`` (FAQ 498, 2019).
DEFAULT_SMS_URL: Final = "https://business-isp.nl/api/sendsms.ashx"
CONNECT_PAGE: Final = "connectcall.aspx"
SMS_PAGE: Final = "sendsms.ashx"
STATUS_READ: Final = "status"

# Neither API documents a rate limit. During a call the document suggests polling the
# status about once a second: 60 requests a minute for one call. Twice that leaves room for
# a second source's call and for the actions (login, hangUp, end, SMS) beside the polling.
QUOTA: Final = Quota(limit=120, window=60.0)
# A 429 is not documented either; should one come, wait out the whole window.
QUOTA_RETRY_AFTER: Final = QUOTA.window

# Status polls in a row that tell nothing (status 3 "Unknown" or an unreadable answer)
# after which a session is given up and ended: ~30 s at the suggested 1 s polling.
MAX_CALL_SECONDS: Final = 2 * 3600.0  # a call is hung up and no longer polled after this
MAX_STUCK_POLLS: Final = 30


class CallMode(StrEnum):
    """The document's ``type``: who rings first."""

    SOURCE_FIRST = "source_first"  # type=1: the source rings, then the destination
    BOTH = "both"  # type=2: both ring at once


_CALL_TYPE: Final = MappingProxyType({CallMode.SOURCE_FIRST: "1", CallMode.BOTH: "2"})

# --- response codes ------------------------------------------------------------------------

OK: Final = 100
FAILED: Final = 101
AUTHORIZATION_FAILED: Final = 102
LOGIN_SUCCESS: Final = 103
WRONG_PARAMETERS: Final = 104
NO_CHANGES: Final = 105

# The document's table, with the provider's spelling.
RESPONSE_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {
        OK: "OK",
        FAILED: "Failed",
        AUTHORIZATION_FAILED: "AutorizationFailed",
        LOGIN_SUCCESS: "LoginSucess",
        WRONG_PARAMETERS: "WrongParameters",
        NO_CHANGES: "NoChanges",
    }
)

# The refusals among them: the error to raise, its reason and a safe message.
_REFUSALS: Final[Mapping[int, tuple[type[ProviderError], ErrorReason, str]]] = MappingProxyType(
    {
        FAILED: (InvalidRequest, ErrorReason.CALL_FAILED, "Business-ISP could not do that"),
        AUTHORIZATION_FAILED: (
            AuthError,
            ErrorReason.AUTH,
            "Business-ISP refused the username or password",
        ),
        WRONG_PARAMETERS: (
            InvalidRequest,
            ErrorReason.INVALID_REQUEST,
            "Business-ISP refused the request's parameters",
        ),
        NO_CHANGES: (InvalidRequest, ErrorReason.REFUSED, "Business-ISP changed nothing"),
    }
)

# --- status codes: the one table ------------------------------------------------------------

# Every documented getStatus code: our status and the provider's words. Codes the document
# does not list (6, 8, 13-15, 17-23, ...) are an InvalidResponse.
STATUS_CODES: Final[Mapping[int, tuple[CallStatus, str]]] = MappingProxyType(
    {
        # The provider does not know (yet): not final, but a session stuck here is ended
        # after MAX_STUCK_POLLS.
        3: (CallStatus.IDLE, "Unknown"),
        4: (CallStatus.ENDED, "Hang Up"),
        # [Q] Undocumented beyond its name; read as the account refusing the call.
        5: (CallStatus.FAILED, "Account State"),
        7: (CallStatus.INSUFFICIENT_FUNDS, "Call ended because of insufficient funds"),
        9: (CallStatus.CONNECTED, "Clients connected"),
        10: (CallStatus.BUSY, "Busy"),
        11: (CallStatus.NO_ANSWER, "No answer"),
        12: (CallStatus.REJECTED, "Call has been rejected"),
        16: (CallStatus.INSUFFICIENT_FUNDS, "Insufficient funds"),
        24: (CallStatus.WRONG_NUMBER, "Wrong source number"),
        25: (CallStatus.WRONG_NUMBER, "Wrong destination number"),
        26: (CallStatus.DESTINATION_RINGING, "Destination is alerting"),
        27: (CallStatus.SOURCE_RINGING, "Source is alerting"),
        28: (CallStatus.SOURCE_CONNECTED, "Source number connected"),
        # The destination answered while the source is on the line: the call is up.
        29: (CallStatus.CONNECTED, "Destination number connected"),
        30: (CallStatus.ENDED, "Destination number ended the call"),
        31: (CallStatus.ENDED, "Source number ended the call"),
        32: (CallStatus.INSUFFICIENT_FUNDS, "Source number has insufficient funds"),
        33: (CallStatus.INSUFFICIENT_FUNDS, "Destination number has insufficient funds"),
    }
)
UNKNOWN_STATUS: Final = 3
FINAL_STATUSES: Final = FINAL_CALL_STATUSES

# --- SMS ------------------------------------------------------------------------------------

SMS_OK: Final = 200
# One message: 160 GSM-7 septets (the escaped characters take two), or 70 UTF-16 units when
# the text needs Unicode. [P] The platform may split longer texts, but splitting is billed
# per part and undocumented, so we keep to one message.
SMS_MAX_GSM: Final = 160
SMS_MAX_UNICODE: Final = 70
_GSM_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED: Final = frozenset("^{}\\[~]|€")
# GSM alphanumeric sender ids are at most 11 characters; numeric ones at most 16 digits.
SENDER_PATTERN: Final = re.compile(r"(?:[A-Za-z0-9 ]{1,11}|\+?[0-9]{1,16})")
_FUNDS_WORDS: Final = ("credit", "fund", "balance", "saldo", "tegoed")
_NUMBER_WORDS: Final = ("number", "destination", "recipient", "nummer")

# ASCII digits only: int() would take any Unicode digit and surrounding whitespace.
_CODE: Final = re.compile(r"[0-9]{1,6}")
# The session id: opaque, printable ASCII without spaces (it goes into a query string).
_TOKEN: Final = re.compile(r"[\x21-\x7e]{1,255}")


# --- parsers (pure; every failure is a typed ProviderError) ---------------------------------


def _children(root: Element) -> dict[str, str]:
    """The root's child elements as ``{lower-case tag: bounded text}`` (first one wins)."""
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(child.tag.casefold(), bounded(child.text))
    return fields


def _response_fields(text: str) -> dict[str, str]:
    root = parse_xml(text)
    if not isinstance(root.tag, str) or root.tag.casefold() != "response":
        raise InvalidResponse("Business-ISP answered XML that is not a response")
    return _children(root)


def _code(raw: str | None) -> int:
    if raw is None or not _CODE.fullmatch(raw):
        raise InvalidResponse("Business-ISP answered without a numeric code")
    return int(raw)


def parse_answer(text: str) -> tuple[int, str]:
    """A connectcall.aspx answer as ``(code, message)``; the message may be a session id.

    Malformed XML, entities or a DTD (an XML bomb), another root, or a missing or
    non-numeric code raise InvalidResponse. Whether the code is one the document lists is
    for the caller: a command answers response codes, getStatus status codes.
    """
    fields = _response_fields(text)
    return _code(fields.get("code")), fields.get("message", "")


def raise_for_code(code: int) -> None:
    """Return for 100 OK and 103 LoginSucess; raise the typed error of any other code."""
    if code in (OK, LOGIN_SUCCESS):
        return
    refusal = _REFUSALS.get(code)
    if refusal is None:
        raise InvalidResponse(
            f"Business-ISP answered an unknown response code {code}", code=str(code)
        )
    error, reason, message = refusal
    status = RESPONSE_CODES[code]
    raise error(f"{message} ({status})", reason, status=status, code=str(code))


def call_status(code: int) -> CallStatus:
    """Our status for a getStatus code (3-33); an undocumented code is an InvalidResponse."""
    entry = STATUS_CODES.get(code)
    if entry is None:
        raise InvalidResponse(
            f"Business-ISP answered an unknown status code {code}", code=str(code)
        )
    return entry[0]


def _redact(text: str, secrets: Sequence[str]) -> str:
    """A provider's words made safe to show: no secrets, one line, short."""
    for secret in secrets:
        if secret:
            text = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
    return " ".join(text.split())[:120]


def parse_sms_answer(text: str, secrets: Sequence[str] = ()) -> ActionResult:
    """A sendsms.ashx answer: 200 is an ActionResult, the 40x-70x families typed errors.

    The families are documented (40x login or funds, 50x server, 60x carrier, 70x the
    reseller's funds), the single codes are not: within a family the provider's text tells
    a funds refusal from a login refusal, and a refused number from another refusal.
    """
    fields = _response_fields(text)
    code = _code(fields.get("sms_response_code"))
    words = _redact(fields.get("sms_response_text", ""), secrets)
    details = {"status": words, "code": str(code)}
    lowered = words.casefold()
    if code == SMS_OK:
        destination = fields.get("sms_response_destination", "")
        return ActionResult(words or "SMS message sent.", {"to": destination, "code": str(code)})
    family = code // 100
    shown = words or f"code {code}"
    if family == 4:
        if any(word in lowered for word in _FUNDS_WORDS):
            raise InvalidRequest(
                f"Business-ISP refused the text message: {shown}", ErrorReason.REFUSED, **details
            )
        raise AuthError(
            "Business-ISP refused the SMS login or password", ErrorReason.AUTH, **details
        )
    if family == 5:
        raise ProviderUnavailable(
            f"Business-ISP's SMS service failed: {shown}", ErrorReason.UNAVAILABLE, **details
        )
    if family == 6:
        reason = (
            ErrorReason.INVALID_NUMBER
            if any(word in lowered for word in _NUMBER_WORDS)
            else ErrorReason.REFUSED
        )
        raise InvalidRequest(f"The carrier refused the text message: {shown}", reason, **details)
    if family == 7:
        raise InvalidRequest(
            f"Business-ISP's reseller cannot send the text message: {shown}",
            ErrorReason.REFUSED,
            **details,
        )
    raise InvalidResponse(f"Business-ISP answered an unknown SMS code {code}", code=str(code))


def validate_sms(message: str) -> None:
    """Refuse an empty or over-long message, or one with control characters."""
    bad = sorted(
        {char for char in message if (ord(char) < 32 and char not in "\n\r") or ord(char) == 127}
    )
    if bad:
        raise InvalidRequest(
            "The message contains control characters",
            ErrorReason.SMS_INVALID_CHARACTERS,
            characters=" ".join(f"U+{ord(char):04X}" for char in bad),
        )
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in message):
        length = sum(2 if char in _GSM_EXTENDED else 1 for char in message)
        maximum = SMS_MAX_GSM
    else:
        length = len(message.encode("utf-16-le", errors="surrogatepass")) // 2
        maximum = SMS_MAX_UNICODE
    if not message or length > maximum:
        raise InvalidRequest(
            f"The message must be 1 to {maximum} characters",
            ErrorReason.SMS_LENGTH,
            length=str(length),
            maximum=str(maximum),
        )


def endpoint(url: str, page: str) -> str:
    """The page's URL: a custom API may be given as its base (``…/api/``) or as the page."""
    text = url.strip()
    if text.casefold().endswith((".aspx", ".ashx")):
        return text
    return text.rstrip("/") + "/" + page


def sms_endpoint(url: str | None) -> str:
    """The SMS page that goes with a Connect Call address.

    The provider's own address has its SMS API on another host (``DEFAULT_SMS_URL``).
    [Q] Another address (a reseller's, a test server) is taken to serve ``sendsms.ashx``
    beside ``connectcall.aspx``: the credentials then never go to a host the user did
    not give.
    """
    text = (url or "").strip()
    if not text or text == DEFAULT_URL:
        return DEFAULT_SMS_URL
    if text.casefold().endswith((".aspx", ".ashx")):
        text = text.rsplit("/", 1)[0]
    return endpoint(text, SMS_PAGE)


def _check_http(status: int) -> None:
    """HTTP statuses the document never mentions, mapped conservatively (5xx: transport)."""
    if status in (401, 403):
        raise AuthError("Business-ISP refused the credentials", status=str(status))
    if status == 429:
        raise QuotaExceeded("Business-ISP asked us to slow down", QUOTA_RETRY_AFTER)
    if status >= 400:
        raise InvalidResponse(f"Business-ISP answered HTTP {status}", status=str(status))


# --- the client -----------------------------------------------------------------------------


class _SessionGone(InvalidRequest):
    """The provider no longer knows a session id (102 to a ``guid`` command). Internal."""

    default_reason = ErrorReason.NO_ACTIVE_CALL


@dataclass(slots=True)
class _Session:
    """One open login session and the call it carries."""

    token: str = field(repr=False)
    destination: str
    started: datetime
    status: CallStatus = CallStatus.SOURCE_RINGING
    code: int | None = None
    connected_at: datetime | None = None
    duration: int | None = None
    stuck: int = 0

    def snapshot(self, source: str) -> CallSession:
        return CallSession(
            source=source,
            status=self.status,
            destination=self.destination,
            code=self.code,
            started=self.started,
            duration=self.duration,
        )


def _now() -> datetime:
    return datetime.now(UTC)


class BusinessIspClient:
    """Client for one Business-ISP account: click-to-call sessions and text messages.

    Numbers are keyed by their international digits (``31201234567``): ``data.numbers``,
    ``data.calls`` and the status reads' targets all use that form.
    """

    key: ClassVar[str] = "business_isp"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.CALL_SESSIONS})
    quota: ClassVar[Quota] = QUOTA

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        username: str,
        password: str,
        sources: Sequence[str],
        base_url: str = DEFAULT_URL,
        sms_url: str = DEFAULT_SMS_URL,
        gate: RequestGate | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        max_call_seconds: float = MAX_CALL_SECONDS,
    ) -> None:
        """Create a client; the aiohttp session belongs to the caller.

        ``sources`` are the account's numbers that may be a call's source (and an SMS's
        sender). They are checked by ``async_validate``, not here.
        """
        self._username = username.strip()
        self._password = password
        self._sources = tuple(sources)
        self._url = endpoint(base_url, CONNECT_PAGE)
        self._sms_url = endpoint(sms_url, SMS_PAGE)
        self._http = HttpTransport(session, gate=gate, timeout=request_timeout)
        self.max_call_seconds = max_call_seconds
        self._sessions: dict[str, _Session] = {}
        self._calls: dict[str, CallSession] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # Session ids whose ``end`` failed (provider unreachable); async_close tries again.
        self._orphans: list[str] = []
        # Sources whose call changed outside polling: one read (sending nothing) reports it.
        self._unreported: set[str] = set()

    def __repr__(self) -> str:
        """Name the account only: never the password or a session id."""
        return f"BusinessIspClient(account={self.account_id!r})"

    # --- the account ------------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        """The login name identifies the account."""
        return self._username.casefold()

    @property
    def calls(self) -> Mapping[str, CallSession]:
        """The last known progress of each source's call (final ones stay until replaced)."""
        return MappingProxyType(dict(self._calls))

    @property
    def active_sources(self) -> tuple[str, ...]:
        """Sources with an open login session: a call in progress."""
        return tuple(self._sessions)

    def _source_numbers(self) -> dict[str, PhoneNumber]:
        """The configured sources, keyed by international digits; invalid ones raise."""
        numbers: dict[str, PhoneNumber] = {}
        for raw in self._sources:
            digits = international_digits(parse_own_number(raw))
            numbers[digits] = PhoneNumber(
                number=digits,
                # The SMS API belongs to the account, with a free ``from``: any number can
                # be shown as the sender.
                sms_enabled=True,
            )
        return numbers

    async def async_validate(self) -> None:
        """Check the fields' formats only; nothing is sent.

        Connect Call has no read: its only request that checks the credentials is a login,
        and a login places a call. So a wrong password shows at the first click-to-call.
        """
        if not self._username or not self._password:
            raise InvalidRequest(
                "Enter the Business-ISP login and password", ErrorReason.INVALID_REQUEST
            )
        # Number errors name the form's field, so the flow shows them there.
        if not self._sources:
            raise InvalidRequest(
                "Enter at least one of the account's numbers",
                ErrorReason.INVALID_NUMBER,
                field="numbers",
            )
        try:
            self._source_numbers()
        except InvalidRequest as err:
            raise InvalidRequest(str(err), err.reason, **err.details, field="numbers") from err

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """The configured sources are the account's numbers; nothing is sent."""
        await self.async_validate()
        loaded = replace(data, numbers=self._source_numbers(), calls={**data.calls, **self._calls})
        return StructureLoad(loaded, ())

    def plan_reads(self, data: AccountData) -> list[Read]:
        """A live status read per source with a call in progress; nothing otherwise.

        A call that changed outside polling (hung up, its session ended) gets one more
        read that sends nothing (cost 0): it reports the last known state, so
        ``data.calls`` never keeps showing a call that is over.
        """
        reads = [Read(STATUS_READ, source, Freshness.LIVE) for source in self._sessions]
        reads.extend(
            Read(STATUS_READ, source, Freshness.LIVE, cost=0)
            for source in sorted(self._unreported)
            if source not in self._sessions
        )
        return reads

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Poll a call's status and fold it into ``data.calls``."""
        if read.name != STATUS_READ:
            raise InvalidRequest(f"Business-ISP has no read {read.key}", ErrorReason.UNKNOWN_READ)
        call = await self.async_call_status(read.target)
        self._unreported.discard(call.source)
        return replace(data, calls={**data.calls, call.source: call})

    # --- requests ---------------------------------------------------------------------------

    def _lock(self, source: str) -> asyncio.Lock:
        return self._locks.setdefault(source, asyncio.Lock())

    def _source_key(self, raw: str) -> str:
        """One of the configured sources, in any written form, as international digits."""
        wanted = international_digits(parse_own_number(raw))
        for configured in self._sources:
            try:
                known = international_digits(parse_own_number(configured))
            except InvalidRequest:
                continue
            if known == wanted:
                return wanted
        raise InvalidRequest(
            "This number is not one of the account's numbers",
            ErrorReason.UNKNOWN_EXTENSION,
            number=wanted,
        )

    async def _connectcall(self, params: dict[str, str]) -> tuple[int, str]:
        # GET with a query string, as documented; HttpTransport never names the URL.
        response = await self._http.request("GET", self._url, params=params)
        _check_http(response.status)
        return parse_answer(response.text)

    async def _login(self, source: str, destination: str, call_type: str) -> str:
        """Log in, which places the first call; return the session id."""
        code, message = await self._connectcall(
            {
                "login": self._username,
                "password": self._password,
                "source": source,
                "dest": destination,
                "type": call_type,
            }
        )
        raise_for_code(code)
        if code != LOGIN_SUCCESS or not _TOKEN.fullmatch(message):
            raise InvalidResponse("Business-ISP logged in without a usable session id")
        return message

    async def _command(self, token: str, cmd: str, **fields: str) -> int:
        """A command within a session; 102 means the provider forgot the session."""
        code, _ = await self._connectcall({"guid": token, "cmd": cmd, **fields})
        if code == AUTHORIZATION_FAILED:
            raise _SessionGone("The provider no longer knows the call's session")
        return code

    async def _end(self, source: str, session: _Session) -> None:
        """Log out of a session (best effort) and forget it; keep its last call state."""
        self._sessions.pop(source, None)
        self._calls[source] = session.snapshot(source)
        try:
            raise_for_code(await self._command(session.token, "end"))
        except _SessionGone:
            pass
        except ProviderError as err:
            if err.reason is not ErrorReason.REFUSED:  # 105 NoChanges: already gone
                self._orphans.append(session.token)
            _LOGGER.debug("Ending the Business-ISP session of %s failed: %s", source, err)
        else:
            _LOGGER.debug("Business-ISP session of %s ended", source)

    # --- calls ------------------------------------------------------------------------------

    async def async_click_to_call(
        self, source: str, number: str, mode: str = CallMode.SOURCE_FIRST
    ) -> ActionResult:
        """Ring ``source`` and connect it to ``number``.

        ``mode`` "source_first" (type 1) rings the source and then the destination; "both"
        (type 2) rings both at once. A call this integration placed from ``source`` that is
        still in progress is hung up first, and the new call reuses its session (hangUp,
        then connect): the document says to always end a call before the next connect,
        and one source number is in one of our calls at a time. Should the provider no
        longer know that session, we log in afresh, which places the call too.
        """
        key = self._source_key(source)
        try:
            call_type = _CALL_TYPE[CallMode(mode)]
        except ValueError as err:
            raise InvalidRequest(
                "The call mode must be source_first or both", ErrorReason.INVALID_REQUEST
            ) from err
        # [Q] The document does not say which number format it takes: we send what a phone
        # in the Netherlands dials (0201234567, 0032...), valid for any destination.
        destination = dialled_digits(parse_number(number))
        source_digits = dialled_digits(parse_own_number(key))
        async with self._lock(key):
            session = self._sessions.get(key)
            token = await self._reconnect(key, session, source_digits, destination, call_type)
            if token is None:
                token = await self._login(source_digits, destination, call_type)
            self._sessions[key] = _Session(token, destination, _now())
            self._calls[key] = self._sessions[key].snapshot(key)
        _LOGGER.debug("Business-ISP call placed from %s", key)
        return ActionResult("call started", {"source": key, "to": destination, "mode": mode})

    async def _reconnect(
        self,
        source: str,
        session: _Session | None,
        source_digits: str,
        destination: str,
        call_type: str,
    ) -> str | None:
        """Hang up the source's call and connect the next in its session; None: log in."""
        if session is None:
            return None
        try:
            code = await self._command(session.token, "hangUp")
            if code != NO_CHANGES:  # NoChanges: the call was already over
                raise_for_code(code)
            session.status, session.code = CallStatus.ENDED, None
            raise_for_code(
                await self._command(
                    session.token, "connect", source=source_digits, dest=destination, type=call_type
                )
            )
        except _SessionGone:
            self._sessions.pop(source, None)
            return None
        except ProviderError:
            if session.status is CallStatus.ENDED:
                # Hung up, but the next call failed: the session carries nothing any more.
                await self._end(source, session)
                self._unreported.add(source)
            raise
        return session.token

    async def async_hang_up(self, source: str) -> ActionResult:
        """End the call placed from ``source`` and log out of its session."""
        key = self._source_key(source)
        async with self._lock(key):
            session = self._sessions.get(key)
            if session is None:
                raise InvalidRequest(
                    "No call placed by the integration is active on this number",
                    ErrorReason.NO_ACTIVE_CALL,
                    number=key,
                )
            try:
                code = await self._command(session.token, "hangUp")
            except _SessionGone as err:
                self._sessions.pop(key, None)
                self._calls[key] = CallSession(key, CallStatus.IDLE, session.destination)
                self._unreported.add(key)
                raise InvalidRequest(
                    "No call placed by the integration is active on this number",
                    ErrorReason.NO_ACTIVE_CALL,
                    number=key,
                ) from err
            if code != NO_CHANGES:
                raise_for_code(code)
            session.status = CallStatus.ENDED
            self._freeze_duration(session)
            await self._end(key, session)
            self._unreported.add(key)
        return ActionResult(RESPONSE_CODES[code], {"source": key})

    async def async_call_status(self, source: str) -> CallSession:
        """The progress of the call placed from ``source`` (getStatus).

        Without an open session nothing is sent: the last known (final) state is returned,
        or ``idle``. A final status ends the session.
        """
        key = self._source_key(source)
        async with self._lock(key):
            session = self._sessions.get(key)
            if session is None:
                return self._calls.get(key) or CallSession(key, CallStatus.IDLE)
            if (datetime.now(UTC) - session.started).total_seconds() > self.max_call_seconds:
                # Polling a call once a second forever is a cost nobody asked for: after the
                # maximum, hang up, end the session and stop.
                with contextlib.suppress(ProviderError):
                    await self._command(session.token, "hangUp")
                session.status = CallStatus.ENDED
                await self._end(key, session)
                return self._calls[key]
            try:
                code = await self._command(session.token, "getStatus")
                if code in RESPONSE_CODES:
                    raise_for_code(code)  # a refusal raises; OK is no status
                    raise InvalidResponse("Business-ISP answered getStatus without a status")
                status = call_status(code)
            except _SessionGone:
                # The provider dropped the session (an idle timeout?): the call's fate is
                # unknown, and there is nothing left to poll.
                self._sessions.pop(key, None)
                self._calls[key] = CallSession(key, CallStatus.IDLE, session.destination)
                return self._calls[key]
            except (InvalidResponse, InvalidRequest):
                session.stuck += 1
                if session.stuck < MAX_STUCK_POLLS:
                    raise
                session.status = CallStatus.FAILED
                await self._end(key, session)
                return self._calls[key]
            return await self._track(key, session, status, code)

    async def _track(
        self, key: str, session: _Session, status: CallStatus, code: int
    ) -> CallSession:
        session.status, session.code = status, code
        now = _now()
        if status is CallStatus.CONNECTED and session.connected_at is None:
            session.connected_at = now
        if session.connected_at is not None and status is CallStatus.CONNECTED:
            session.duration = int((now - session.connected_at).total_seconds())
        session.stuck = session.stuck + 1 if code == UNKNOWN_STATUS else 0
        if session.stuck >= MAX_STUCK_POLLS:
            session.status = CallStatus.FAILED
        if session.status in FINAL_STATUSES:
            # The duration stays the last one seen connected: the call ended somewhere
            # between that poll and this one, and a lower bound is the honest figure.
            await self._end(key, session)
            return self._calls[key]
        self._calls[key] = session.snapshot(key)
        return self._calls[key]

    @staticmethod
    def _freeze_duration(session: _Session) -> None:
        if session.connected_at is not None:
            session.duration = int((_now() - session.connected_at).total_seconds())

    async def async_end_session(self, source: str) -> None:
        """Log out of the source's session, if any, without hanging up first.

        [Q] The document does not say what ``end`` does to a call in progress; we do not
        cut a call the user may be talking on ourselves.
        """
        key = self._source_key(source)
        async with self._lock(key):
            session = self._sessions.get(key)
            if session is not None:
                await self._end(key, session)
                self._unreported.add(key)

    async def async_close(self) -> None:
        """End every open session; safe at unload and at Home Assistant's stop.

        Never raises a provider error: what cannot be ended now is left to the provider's
        own expiry.
        """
        for key in list(self._sessions):
            async with self._lock(key):
                session = self._sessions.get(key)
                if session is not None:
                    await self._end(key, session)
        orphans, self._orphans = self._orphans, []
        for token in orphans:
            try:
                await self._command(token, "end")
            except ProviderError as err:
                _LOGGER.debug("A Business-ISP session could not be ended: %s", err)

    # --- SMS --------------------------------------------------------------------------------

    async def async_send_sms(
        self, from_number: str, to: str, message: str, sender: str | None
    ) -> ActionResult:
        """sendsms.ashx from one of the account's numbers; everything is checked first.

        ``from`` is ``sender`` when given (an alphanumeric id of at most 11 characters or a
        number), else the account number's international digits. The recipient is sent in
        the international digits the provider's answer shows (``31612345678``).
        """
        validate_sms(message)
        recipient = parse_number(to)
        if not is_mobile(recipient):
            raise InvalidRequest(
                "Text messages go to mobile numbers", ErrorReason.NOT_MOBILE, number=to[:40]
            )
        own = self._source_key(from_number)
        sender_id = (sender or own).strip()
        if not SENDER_PATTERN.fullmatch(sender_id):
            raise InvalidRequest("The sender is not a valid SMS sender", ErrorReason.INVALID_SENDER)
        response = await self._http.request(
            "GET",
            self._sms_url,
            params={
                "login": self._username,
                "pass": self._password,  # sic: ``pass`` here, ``password`` in Connect Call
                "from": sender_id,
                "to": international_digits(recipient),
                "text": message,
            },
        )
        _check_http(response.status)
        return parse_sms_answer(response.text, (self._username, self._password))


__all__ = [
    "DEFAULT_SMS_URL",
    "DEFAULT_URL",
    "FINAL_STATUSES",
    "RESPONSE_CODES",
    "STATUS_CODES",
    "BusinessIspClient",
    "CallMode",
    "call_status",
    "parse_answer",
    "parse_sms_answer",
    "raise_for_code",
    "sms_endpoint",
    "validate_sms",
]
