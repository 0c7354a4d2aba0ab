"""Loopback simulator of Business-ISP's Connect Call API and its SMS API.

Written from the provider's document (FAQ #1281, 2016) and the team's notes (SMS: FAQ 498).
Where the document is silent it makes these choices, which the client tolerates:

* a ``guid`` the server does not know (never issued, ended, or expired) answers 102;
* ``connect`` while the session's call is still in progress answers 101 Failed (the
  document: always hang up before the next connect); an unknown ``cmd`` answers 104;
* ``hangUp`` without a call in progress answers 105 NoChanges;
* numbers are compared as national digits (``0612345678``), whatever form is sent;
* the SMS codes within the documented families (40x, 50x, 60x, 70x) are our own picks.

Time is ``time.monotonic()`` plus ``advance()``'s offset, so tests move a call along either
by freezing and ticking time or by calling ``advance(seconds)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import math
import random
import re
import string
import time
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from .common import Fault, apply_fault

API_PATH = "/api/"
CONNECT_PAGE = "connectcall.aspx"
SMS_PAGE = "sendsms.ashx"

# Response codes (the document's table, its spelling).
OK, FAILED, AUTH_FAILED, LOGIN_SUCCESS, WRONG_PARAMETERS, NO_CHANGES = 100, 101, 102, 103, 104, 105
RESPONSE_TEXT = {
    OK: "OK",
    FAILED: "Failed",
    AUTH_FAILED: "AutorizationFailed",
    LOGIN_SUCCESS: "LoginSucess",
    WRONG_PARAMETERS: "WrongParameters",
    NO_CHANGES: "NoChanges",
}
# Status codes (the document's table).
STATUS_TEXT = {
    3: "Unknown",
    4: "Hang Up",
    5: "Account State",
    7: "Call ended because of insufficient funds",
    9: "Clients connected",
    10: "Busy",
    11: "No answer",
    12: "Call has been rejected",
    16: "Insufficient funds",
    24: "Wrong source number",
    25: "Wrong destination number",
    26: "Destination is alerting",
    27: "Source is alerting",
    28: "Source number connected",
    29: "Destination number connected",
    30: "Destination number ended the call",
    31: "Source number ended the call",
    32: "Source number has insufficient funds",
    33: "Destination number has insufficient funds",
}
HANG_UP = 4
FINAL_CODES = frozenset({4, 5, 7, 10, 11, 12, 16, 24, 25, 30, 31, 32, 33})

# SMS answers: (code, text).
SMS_SENT = (200, "SMS message sent.")
SMS_AUTH = (401, "Authentication failed.")
SMS_NO_CREDIT = (402, "Insufficient credit.")
SMS_SERVER_ERROR = (501, "Internal server error.")
SMS_BAD_NUMBER = (601, "Invalid destination number.")
SMS_CARRIER_REFUSED = (602, "Message rejected by the carrier.")
SMS_EMPTY = (603, "Empty message.")
SMS_RESELLER_FUNDS = (701, "Reseller has insufficient funds.")

_DIGITS = re.compile(r"\+?[0-9]{3,20}")
# Request fields ``received`` keeps: never password, pass or guid.
_KEPT = ("cmd", "login", "source", "dest", "type", "from", "to", "text")
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits

XML_BOMB = (
    '<?xml version="1.0"?>\n'
    "<!DOCTYPE lolz [\n"
    ' <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    "]>\n"
    "<response><code>100</code><message>&lol3;</message></response>"
)


class XmlFault(StrEnum):
    """Faults of an XML API, beside the shared ones in ``common.Fault``."""

    MALFORMED = "malformed_xml"  # mismatched tags
    BOMB = "xml_bomb"  # entity expansion ("billion laughs")
    UNKNOWN_CODE = "unknown_code"  # a well-formed answer with an undocumented code


def national(raw: str) -> str:
    """A number as national digits: ``+31612345678``, ``0031…``, ``31…`` → ``0612345678``."""
    digits = raw.strip().removeprefix("+")
    if digits.startswith("0031"):
        return "0" + digits[4:]
    if digits.startswith("31") and len(digits) == 11:
        return "0" + digits[2:]
    return digits


@dataclass
class SimCall:
    """A call in a session and the plan its status follows."""

    source: str
    dest: str
    call_type: str
    started: float
    phases: list[tuple[float, int]]  # (seconds, status code); the last lasts forever
    ended_code: int | None = None  # set by hangUp: overrides the plan

    def status(self, now: float) -> int:
        """The status code ``now`` seconds into the simulator's clock."""
        if self.ended_code is not None:
            return self.ended_code
        elapsed = now - self.started
        for seconds, code in self.phases:
            if elapsed < seconds:
                return code
            elapsed -= seconds
        return self.phases[-1][1]

    def in_progress(self, now: float) -> bool:
        """Whether the call has not reached a final status."""
        return self.status(now) not in FINAL_CODES


@dataclass
class SimSession:
    """A login session: its id, its current call and how it ended."""

    token: str
    username: str
    opened: float
    call: SimCall | None = None
    ended_by: str | None = None  # "client" (cmd=end) or "server" (expired)

    @property
    def open(self) -> bool:
        """Whether the session is still logged in."""
        return self.ended_by is None


@dataclass
class SimulatorState:
    """Everything a test may inspect besides the sessions."""

    commands: list[str] = field(default_factory=list)
    received: list[dict[str, str]] = field(default_factory=list)
    sms_sent: list[dict[str, str]] = field(default_factory=list)
    request_log: list[dict[str, Any]] = field(default_factory=list)


class BusinessIspSimulator:
    """One Business-ISP account served over HTTP: Connect Call sessions and SMS.

    A call's outcome is chosen by its destination (national digits, the class constants
    below); a source that is not one of ``numbers`` gets 24 Wrong source number.
    """

    # Connect Call destinations with a scripted outcome; any other number answers.
    BUSY_NUMBER = "0612000010"  # 10 Busy when the destination is tried
    NO_ANSWER_NUMBER = "0612000011"  # rings NO_ANSWER_RING seconds, then 11 No answer
    REJECTED_NUMBER = "0612000012"  # rings REJECT_RING seconds, then 12 rejected
    INSUFFICIENT_FUNDS_NUMBER = "0612000016"  # 16 Insufficient funds when tried
    CREDIT_RUNS_OUT_NUMBER = "0612000007"  # connects, then 7 after CREDIT_TALK seconds
    WRONG_DESTINATION_NUMBER = "0612000025"  # 25 Wrong destination number
    # SMS recipients with a scripted refusal; any other valid number is sent.
    SMS_NO_CREDIT_NUMBER = "0612000402"
    SMS_SERVER_ERROR_NUMBER = "0612000501"
    SMS_CARRIER_REFUSES_NUMBER = "0612000602"
    SMS_RESELLER_FUNDS_NUMBER = "0612000701"

    # Seconds each phase lasts (type 1: source first).
    SOURCE_RING = 3.0  # 27 Source is alerting
    SOURCE_CONNECT = 1.0  # 28 Source number connected
    DEST_RING = 4.0  # 26 Destination is alerting
    TALK = 30.0  # 29 Destination number connected (type 2: 9 Clients connected)
    NO_ANSWER_RING = 20.0
    REJECT_RING = 2.0
    CREDIT_TALK = 10.0

    def __init__(
        self,
        *,
        username: str = "demo@example.nl",
        password: str = "geheim",  # noqa: S107 - a demo account
        numbers: tuple[str, ...] = ("0201234567", "0201234568"),
        seed: int = 0,
    ) -> None:
        """Build the account; ``numbers`` are the sources it accepts (else status 24)."""
        self.username = username
        self.password = password
        self.numbers = tuple(national(number) for number in numbers)
        self.url = ""  # set by ``bind`` once listening
        self.sms_url = ""
        self.fault: Fault | XmlFault = Fault.NONE
        # Only this command ("login", "connect", "hangUp", "getStatus", "end", "sms")
        # is faulted; None: every request.
        self.fault_command: str | None = None
        self.slow_seconds: float = 30
        # Answer every request with this HTTP status and an empty body (None: don't).
        self.http_status: int | None = None
        self.unknown_code = 999
        self.sessions: dict[str, SimSession] = {}
        self.state = SimulatorState()
        self._offset = 0.0
        self._rng = random.Random(seed)
        self.app = web.Application()
        for page, handler in ((CONNECT_PAGE, self._connectcall), (SMS_PAGE, self._sendsms)):
            self.app.router.add_get(API_PATH + page, handler)
            self.app.router.add_post(API_PATH + page, handler)

    # --- the test API -----------------------------------------------------------------------

    def bind(self, base_url: str) -> None:
        """Set ``url`` and ``sms_url`` from the server's base (``http://127.0.0.1:p/api/``)."""
        base = base_url.rstrip("/") + "/"
        self.url = base + CONNECT_PAGE
        self.sms_url = base + SMS_PAGE

    def now(self) -> float:
        """The simulator's clock: monotonic (frozen by tests) plus ``advance``'s offset."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move every call on by ``seconds``."""
        self._offset += seconds

    @property
    def open_sessions(self) -> list[str]:
        """Ids of the sessions still logged in: after a test, none should be left."""
        return [token for token, session in self.sessions.items() if session.open]

    @property
    def sessions_ended(self) -> list[str]:
        """Ids of the sessions the client ended (cmd=end)."""
        return [token for token, s in self.sessions.items() if s.ended_by == "client"]

    @property
    def commands(self) -> list[str]:
        """Every command in order; a login is ``login``, an SMS ``sms``."""
        return self.state.commands

    @property
    def received(self) -> list[dict[str, str]]:
        """Every request's fields, without password, pass or guid."""
        return self.state.received

    @property
    def sms_sent(self) -> list[dict[str, str]]:
        """Accepted text messages: ``from``, ``to`` and ``text`` as received."""
        return self.state.sms_sent

    def call_status(self, token: str) -> int | None:
        """A session's current status code (None: no call yet)."""
        call = self.sessions[token].call
        return None if call is None else call.status(self.now())

    def expire_sessions(self) -> None:
        """The server forgets every session, as an idle timeout would."""
        for session in self.sessions.values():
            if session.open:
                session.ended_by = "server"

    # --- calls ------------------------------------------------------------------------------

    def _phases(self, source: str, dest: str, call_type: str) -> list[tuple[float, int]]:
        """The status walk of a new call, chosen by its numbers."""
        forever = math.inf
        if source not in self.numbers:
            return [(forever, 24)]
        lead: list[tuple[float, int]] = [(self.SOURCE_RING, 27)]
        talk_code = 9
        if call_type == "1":
            lead.append((self.SOURCE_CONNECT, 28))
            talk_code = 29
        scripted: dict[str, list[tuple[float, int]]] = {
            self.BUSY_NUMBER: [(forever, 10)],
            self.NO_ANSWER_NUMBER: [(self.NO_ANSWER_RING, 26), (forever, 11)],
            self.REJECTED_NUMBER: [(self.REJECT_RING, 26), (forever, 12)],
            self.INSUFFICIENT_FUNDS_NUMBER: [(forever, 16)],
            self.WRONG_DESTINATION_NUMBER: [(forever, 25)],
            self.CREDIT_RUNS_OUT_NUMBER: [
                (self.DEST_RING, 26),
                (self.CREDIT_TALK, talk_code),
                (forever, 7),
            ],
        }
        rest = scripted.get(dest, [(self.DEST_RING, 26), (self.TALK, talk_code), (forever, 30)])
        return lead + rest

    def _new_call(self, fields: dict[str, str]) -> SimCall | None:
        """A call from the request's source, dest and type; None: WrongParameters."""
        source, dest = fields.get("source", ""), fields.get("dest", "")
        call_type = fields.get("type", "")
        if not _DIGITS.fullmatch(source) or not _DIGITS.fullmatch(dest):
            return None
        if call_type not in ("1", "2"):
            return None
        source, dest = national(source), national(dest)
        return SimCall(source, dest, call_type, self.now(), self._phases(source, dest, call_type))

    def _new_token(self) -> str:
        """An 11-character opaque id, like the document's ``5ae2a5rw47w``."""
        while True:
            token = "".join(self._rng.choice(_TOKEN_ALPHABET) for _ in range(11))
            if token not in self.sessions:
                return token

    # --- HTTP -------------------------------------------------------------------------------

    async def _fields(self, request: web.Request) -> dict[str, str]:
        """Query and form fields, names case-insensitive as ASP.NET reads them."""
        fields = {key.casefold(): value for key, value in request.query.items()}
        if request.method == "POST":
            form = await request.post()
            fields.update(
                (key.casefold(), value) for key, value in form.items() if isinstance(value, str)
            )
        return fields

    def _log(self, command: str, fields: dict[str, str]) -> None:
        self.state.commands.append(command)
        self.state.received.append({key: fields[key] for key in _KEPT if key in fields})
        self.state.request_log.append({"time": self.now(), "command": command})

    async def _faulted(self, command: str, body: str) -> web.Response | None:
        """The faulty answer for ``command``, or None to answer normally."""
        if self.fault_command is not None and command != self.fault_command:
            return None
        if self.http_status is not None:
            return web.Response(status=self.http_status, text="")
        return await self._fault_answer(body)

    async def _fault_answer(self, body: str) -> web.Response | None:
        if isinstance(self.fault, XmlFault):
            return _xml(self._fault_body(self.fault, body))
        if self.fault is Fault.QUOTA:  # not documented: a plain 429
            return web.Response(status=429, text="Too Many Requests")
        if self.fault is Fault.TRUNCATED:
            return _xml(body[: len(body) // 2])
        return await apply_fault(self.fault, self.slow_seconds)

    def _fault_body(self, fault: XmlFault, body: str) -> str:
        if fault is XmlFault.BOMB:
            return XML_BOMB
        if fault is XmlFault.MALFORMED:
            return "<response><code>100</code><message>OK</mesage></response>"
        if "sms_response_code" in body:
            return _sms_body(self.unknown_code, "Unknown", "")
        return _answer(self.unknown_code, "Unknown")

    async def _connectcall(self, request: web.Request) -> web.Response:
        """One connectcall.aspx request. Faults answer before any state changes.

        A slow fault only delays the answer: the request is still carried out.
        """
        fields = await self._fields(request)
        command = fields.get("cmd", "") if "guid" in fields else "login"
        self._log(command, fields)
        faulted = await self._faulted(command, _answer(OK, "OK"))
        if faulted is not None:
            return faulted
        return _xml(self._connect_answer(fields))

    def _connect_answer(self, fields: dict[str, str]) -> str:
        if "guid" not in fields:
            return self._login(fields)
        session = self.sessions.get(fields["guid"])
        if session is None or not session.open:
            return _answer(AUTH_FAILED, RESPONSE_TEXT[AUTH_FAILED])
        handlers = {
            "getstatus": self._get_status,
            "hangup": self._hang_up,
            "connect": self._connect,
            "end": self._end,
        }
        handler = handlers.get(fields.get("cmd", "").casefold())
        if handler is None:
            return _answer(WRONG_PARAMETERS, RESPONSE_TEXT[WRONG_PARAMETERS])
        return handler(session, fields)

    def _get_status(self, session: SimSession, fields: dict[str, str]) -> str:
        code = self.call_status(session.token)
        code = 3 if code is None else code
        return _answer(code, STATUS_TEXT[code])

    def _hang_up(self, session: SimSession, fields: dict[str, str]) -> str:
        if session.call is None or not session.call.in_progress(self.now()):
            return _answer(NO_CHANGES, RESPONSE_TEXT[NO_CHANGES])
        session.call.ended_code = HANG_UP
        return _answer(OK, "OK")

    def _connect(self, session: SimSession, fields: dict[str, str]) -> str:
        if session.call is not None and session.call.in_progress(self.now()):
            return _answer(FAILED, RESPONSE_TEXT[FAILED])  # hang up first, says the document
        call = self._new_call(fields)
        if call is None:
            return _answer(WRONG_PARAMETERS, RESPONSE_TEXT[WRONG_PARAMETERS])
        session.call = call
        return _answer(OK, "OK")

    def _end(self, session: SimSession, fields: dict[str, str]) -> str:
        session.ended_by = "client"
        return _answer(OK, "OK")

    def _login(self, fields: dict[str, str]) -> str:
        login, password = fields.get("login", ""), fields.get("password", "")
        if login.casefold() != self.username.casefold() or password != self.password:
            return _answer(AUTH_FAILED, RESPONSE_TEXT[AUTH_FAILED])
        call = self._new_call(fields)
        if call is None:
            return _answer(WRONG_PARAMETERS, RESPONSE_TEXT[WRONG_PARAMETERS])
        token = self._new_token()
        self.sessions[token] = SimSession(token, login, self.now(), call)
        return _answer(LOGIN_SUCCESS, token)

    async def _sendsms(self, request: web.Request) -> web.Response:
        fields = await self._fields(request)
        self._log("sms", fields)
        code, text = self._sms_outcome(fields)
        body = _sms_body(code, text, fields.get("to", ""))
        faulted = await self._faulted("sms", body)
        if faulted is not None:
            return faulted
        if code == SMS_SENT[0]:
            self.state.sms_sent.append({key: fields.get(key, "") for key in ("from", "to", "text")})
        return _xml(body)

    def _sms_outcome(self, fields: dict[str, str]) -> tuple[int, str]:
        login, password = fields.get("login", ""), fields.get("pass", "")
        if login.casefold() != self.username.casefold() or password != self.password:
            return SMS_AUTH
        to = fields.get("to", "")
        if not _DIGITS.fullmatch(to):
            return SMS_BAD_NUMBER
        if not fields.get("text", ""):
            return SMS_EMPTY
        scripted = {
            self.SMS_NO_CREDIT_NUMBER: SMS_NO_CREDIT,
            self.SMS_SERVER_ERROR_NUMBER: SMS_SERVER_ERROR,
            self.SMS_CARRIER_REFUSES_NUMBER: SMS_CARRIER_REFUSED,
            self.SMS_RESELLER_FUNDS_NUMBER: SMS_RESELLER_FUNDS,
        }
        return scripted.get(national(to), SMS_SENT)


def _answer(code: int, message: str) -> str:
    return f"<response>\n<code>{code}</code>\n<message>{escape(message)}</message>\n</response>"


def _sms_body(code: int, text: str, destination: str) -> str:
    return (
        "<response>"
        f"<sms_response_code>{code}</sms_response_code>"
        f"<sms_response_text>{escape(text)}</sms_response_text>"
        f"<sms_response_destination>{escape(destination)}</sms_response_destination>"
        "</response>"
    )


def _xml(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/xml", charset="utf-8")
