"""Loopback simulator of VdB Diensten's "VoIP en Mobiel" API (portal.vdbdiensten.nl/API/).

Written from the provider's document (version 0.2 [BETA], 30-10-2020). Where the document is
silent (error texts, the live_call idle answer, validation rules) it follows the team's wire
contract, so that the client and this simulator agree on one reading.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
import hashlib
import json
import math
import random
import re
import time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .common import Fault, QuotaCounter, apply_fault

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # PHP date() on the provider's server
QUOTA_LIMIT = 25
QUOTA_WINDOW = 300.0
QUOTA_STATUS = "To many requests, wait 5 minutes"  # the typo is the provider's
CENT = Decimal("0.01")
CALL_RATE = Decimal("0.03")  # euro per started minute, for the demo's credit drain
SMS_MAX_LENGTH = 160
# [0-9] rather than \d: Python's \d would accept any Unicode digit.
PHONE_PATTERN = re.compile(r"\+?[0-9]{3,15}")
SMS_PATTERN = re.compile(r"[A-Za-z0-9 .,!?:;'\"()\-+/&@%#=*_]*")
PACKAGES = ("VoIP Lijn Pakket Extra", "VoIP Lijn Pakket Basis")
QUEUE_NAMES = ("Sales", "Support", "Service")
REQUEST_FIELDS = ("C", "N", "T", "F", "M", "U")  # what `received` keeps: never P or TOKEN
TIMESTAMP = "%Y-%m-%d %H:%M:%S"

# run_activity's odds per tick and its bounds in seconds.
CALL_CHANCE = 0.3
INBOUND_SHARE = 0.7
MISSED_SHARE = 0.2
JOIN_CHANCE = 0.25
MAX_QUEUE_CALLERS = 4

type Fields = dict[str, str]
type Row = dict[str, str]
type Reply = list[Row] | Row


@dataclass
class NumberState:
    """One of the account's phone numbers, as number_list shows it."""

    package: str
    credit_limit: Decimal
    credit_available: Decimal


@dataclass
class QueueCaller:
    """A caller waiting in a queue."""

    since: float  # monotonic time the caller joined
    leave_after: float | None = None  # run_activity's plan; None: stays until removed


@dataclass
class QueueState:
    """A queue, its member extensions and the callers waiting in it."""

    name: str
    extensions: list[str]
    callers: dict[str, QueueCaller] = field(default_factory=dict)


@dataclass(frozen=True)
class CallPlan:
    """How run_activity will move a call on: ring, then talk (0: never answered)."""

    ring: float
    talk: float


@dataclass
class LiveCall:
    """The call an extension is in, as live_call shows it."""

    direction: str  # "in" | "out"
    state: str  # "Ringing" | "Up"
    remote: str
    line: str  # the account number used: out_phone_nr
    since: float  # monotonic start of the current state
    state_started: datetime  # the same moment on the wall clock, for the CDR row
    plan: CallPlan | None = None  # None: stays as it is until a test pokes it


@dataclass(frozen=True)
class CdrRecord:
    """A finished call, shown by cdr_number (by line) and cdr_extension."""

    uid: str
    direction: str
    extension: str
    number: str  # the account number
    remote: str
    start: datetime
    end: datetime
    answered: bool

    @property
    def call_time(self) -> int:
        """Talk time in seconds; an unanswered call has none."""
        return int((self.end - self.start).total_seconds()) if self.answered else 0

    def common_row(self) -> Row:
        """The fields both CDR commands share."""
        return {
            "UID": self.uid,
            "direction": self.direction,
            "time_start": self.start.strftime(TIMESTAMP),
            "time_end": self.end.strftime(TIMESTAMP),
            "call_time": str(self.call_time),
        }

    def number_row(self) -> Row:
        """cdr_number's row: ``cli`` is the number presented to the called party."""
        ours = self.direction == "out"
        source, target = (self.number, self.remote) if ours else (self.remote, self.number)
        return {**self.common_row(), "cli": source, "from": source, "to": target}

    def extension_row(self) -> Row:
        """cdr_extension's row, with the provider's spelling ``answerd``."""
        ours = self.direction == "out"
        source, target = (self.extension, self.remote) if ours else (self.remote, self.extension)
        return {
            **self.common_row(),
            "from": source,
            "to": target,
            "answerd": "1" if self.answered else "0",
        }


def _status(text: str) -> list[Row]:
    """The provider's list-wrapped status answer."""
    return [{"status": text}]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _parse_date(text: str) -> date | None:
    """``Y-m-d`` as the commands say; ``Y-m-d H:i`` too, as the variable list says."""
    for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


async def _read_fields(request: web.Request) -> Fields:
    """Query and form fields merged like PHP's $_REQUEST: the last value of a name wins."""
    fields = dict(request.query.items())
    if request.method == "POST":
        form = await request.post()
        fields.update((key, value) for key, value in form.items() if isinstance(value, str))
    return fields


class VdbSimulator:
    """One VdB portal account served over HTTP, with optional simulated office life."""

    def __init__(
        self,
        *,
        username: str = "info@example.nl",
        password: str = "geheim",  # noqa: S107 - the document's example account
        extensions: int = 3,
        queues: int = 1,
        numbers: int = 2,
        seed: int = 0,
    ) -> None:
        """Build the account; the seed fixes credits, CDRs and run_activity's choices."""
        self.username = username
        self.password = password
        self.url = ""  # the API address, once a server runs it
        self.quota = QuotaCounter(limit=QUOTA_LIMIT, window=QUOTA_WINDOW)
        self._other_quotas: dict[str, QuotaCounter] = {}
        self.fault = Fault.NONE
        self.slow_seconds: float = 30
        # Seconds the provider's clock runs ahead of ours (negative: behind).
        self.clock_skew: float = 0
        self.received: list[dict[str, str]] = []
        self.commands: list[str] = []
        # Every request: arrival time (monotonic), command and target, for the benchmark.
        self.request_log: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self.extensions = {str(1201 + i): f"Toestel {i + 1}" for i in range(extensions)}
        self.numbers = {str(31201234567 + i): self._new_number(i) for i in range(numbers)}
        self.queues = {str(123456 + i): self._new_queue(i) for i in range(queues)}
        self.live_calls: dict[str, LiveCall] = {}
        self.cdrs: list[CdrRecord] = []
        self._seed_cdrs()
        self._handlers: dict[str, Callable[[Fields], Reply]] = {
            "extension_list": self._extension_list,
            "number_list": self._number_list,
            "queues_list": self._queues_list,
            "queue": self._queue,
            "live_call": self._live_call,
            "cdr_number": self._cdr_number,
            "cdr_extension": self._cdr_extension,
            "init_call": self._init_call,
            "send_sms": self._send_sms,
        }
        self.app = web.Application()
        self.app.router.add_post("/API/", self._handle)
        self.app.router.add_get("/API/", self._handle)

    # --- building the account -------------------------------------------------------------

    def _new_number(self, index: int) -> NumberState:
        available = Decimal(self._rng.randint(2000, 5000)) / 100
        return NumberState(PACKAGES[index % len(PACKAGES)], Decimal("50.00"), available)

    def _new_queue(self, index: int) -> QueueState:
        """The first queue rings everyone; later ones a rotating pair, for variety."""
        name = QUEUE_NAMES[index] if index < len(QUEUE_NAMES) else f"Queue {index + 1}"
        members = list(self.extensions)
        if index and members:
            pair = {members[index % len(members)], members[(index + 1) % len(members)]}
            members = [extension for extension in members if extension in pair]
        return QueueState(name, members)

    def _seed_cdrs(self) -> None:
        """A few finished calls per extension earlier today."""
        now = datetime.now(AMSTERDAM)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for extension in self.extensions:
            for _ in range(self._rng.randint(2, 4)):
                answered = self._rng.random() > MISSED_SHARE
                seconds = self._rng.randint(20, 400) if answered else self._rng.randint(10, 30)
                start = midnight + (now - midnight) * self._rng.random()
                end = start + timedelta(seconds=seconds)
                direction = "in" if self._rng.random() < INBOUND_SHARE else "out"
                if end <= now:  # just after midnight there is no room for every call
                    line = self._line_for(extension)
                    remote = self._random_remote()
                    self._record_cdr(extension, direction, remote, start, end, answered, line)

    # --- the test and demo API ------------------------------------------------------------

    @staticmethod
    def now() -> float:
        """The simulator's clock (monotonic; tests and the benchmark freeze it)."""
        return time.monotonic()

    def token(self, username: str | None = None, now: datetime | None = None) -> str:
        """The documented token: md5 of the Amsterdam hour ``YmdH`` and the username."""
        moment = now or datetime.now(AMSTERDAM) + timedelta(seconds=self.clock_skew)
        hour = moment.astimezone(AMSTERDAM).strftime("%Y%m%d%H")
        return hashlib.md5((hour + (username or self.username)).encode()).hexdigest()

    def set_live_call(
        self,
        extension: str,
        *,
        direction: str = "in",
        state: str = "Ringing",
        remote: str = "31612345678",
    ) -> None:
        """Put an extension in a call that stays until changed or cleared."""
        if extension not in self.extensions:
            raise KeyError(extension)
        if direction not in ("in", "out") or state not in ("Ringing", "Up"):
            raise ValueError(f"unsupported call {direction!r} / {state!r}")
        self._start_call(extension, direction, remote, state=state)

    def clear_live_call(self, extension: str) -> None:
        """The extension goes idle and its call gets a CDR row, as a real hang-up does.

        A call cleared while ringing was not answered; one cleared while "Up" was, and
        its call_time runs from the "Up". The credit is left alone: tests set it.
        """
        call = self.live_calls.pop(extension, None)
        if call is None:
            return
        end = datetime.now(AMSTERDAM)
        answered = call.state == "Up"
        self._record_cdr(
            extension, call.direction, call.remote, call.state_started, end, answered, call.line
        )

    def add_queue_caller(self, queue_id: str, number: str) -> None:
        """A caller joins the queue now and waits until removed."""
        self.queues[queue_id].callers[number] = QueueCaller(time.monotonic())

    def remove_queue_caller(self, queue_id: str, number: str) -> None:
        """The caller leaves the queue."""
        del self.queues[queue_id].callers[number]

    def set_credit(self, number: str, available: Decimal) -> None:
        """Set a number's available credit."""
        self.numbers[number].credit_available = available

    def add_cdr(
        self,
        extension: str,
        remote: str,
        *,
        direction: str = "in",
        seconds: int = 60,
        answered: bool = True,
        start: datetime | None = None,
        number: str | None = None,
    ) -> CdrRecord:
        """Record a finished call; by default one that ended just now on the extension's line.

        ``start`` is Amsterdam wall time, as the rows show it.
        """
        begin = start or datetime.now(AMSTERDAM) - timedelta(seconds=seconds)
        end = begin + timedelta(seconds=seconds)
        line = number if number is not None else self._line_for(extension)
        return self._record_cdr(extension, direction, remote, begin, end, answered, line)

    async def run_activity(self, interval: float = 3.0) -> None:
        """Simulate office life forever (cancel the task to stop)."""
        while True:
            self.tick()
            await asyncio.sleep(interval)

    def tick(self) -> None:
        """One step of office life: calls move on or start, queue callers come and go."""
        now = time.monotonic()
        for extension in list(self.live_calls):
            self._advance_call(extension, now)
        self._maybe_start_call()
        for queue in self.queues.values():
            self._advance_queue(queue, now)

    # --- office life ----------------------------------------------------------------------

    def _line_for(self, extension: str) -> str:
        """Extensions share the account's numbers round-robin; "" if the account has none."""
        lines = list(self.numbers)
        if not lines:
            return ""
        known = list(self.extensions)
        return lines[known.index(extension) % len(lines) if extension in known else 0]

    def _random_remote(self) -> str:
        """A Dutch mobile number in the international form the portal shows."""
        return f"316{self._rng.randint(10_000_000, 99_999_999)}"

    def _start_call(
        self,
        extension: str,
        direction: str,
        remote: str,
        *,
        state: str = "Ringing",
        plan: CallPlan | None = None,
    ) -> None:
        line = self._line_for(extension)
        started = datetime.now(AMSTERDAM)
        self.live_calls[extension] = LiveCall(
            direction, state, remote, line, time.monotonic(), started, plan
        )

    def _advance_call(self, extension: str, now: float) -> None:
        call = self.live_calls[extension]
        if call.plan is None:
            return
        elapsed = now - call.since
        if call.state == "Ringing" and elapsed >= call.plan.ring:
            if call.plan.talk > 0:
                call.state, call.since = "Up", now
                call.state_started = datetime.now(AMSTERDAM)
            else:
                self._hang_up(extension, answered=False)
        elif call.state == "Up" and elapsed >= call.plan.talk:
            self._hang_up(extension, answered=True)

    def _hang_up(self, extension: str, *, answered: bool) -> None:
        """End a call: write its CDR row and, if it was talked, charge the line."""
        call = self.live_calls.pop(extension)
        end = datetime.now(AMSTERDAM)
        record = self._record_cdr(
            extension, call.direction, call.remote, call.state_started, end, answered, call.line
        )
        if answered and call.line:
            cost = Decimal(math.ceil(record.call_time / 60)) * CALL_RATE
            number = self.numbers[call.line]
            number.credit_available = max(Decimal(0), number.credit_available - cost)

    def _maybe_start_call(self) -> None:
        idle = [extension for extension in self.extensions if extension not in self.live_calls]
        if not idle or self._rng.random() >= CALL_CHANCE:
            return
        extension = self._rng.choice(idle)
        direction = "in" if self._rng.random() < INBOUND_SHARE else "out"
        if direction == "in" and self._rng.random() < MISSED_SHARE:
            plan = CallPlan(ring=self._rng.uniform(15, 25), talk=0)
        else:
            plan = CallPlan(ring=self._rng.uniform(2, 8), talk=self._rng.uniform(20, 90))
        self._start_call(extension, direction, self._random_remote(), plan=plan)

    def _advance_queue(self, queue: QueueState, now: float) -> None:
        for number, caller in list(queue.callers.items()):
            if caller.leave_after is not None and now - caller.since >= caller.leave_after:
                del queue.callers[number]
        if len(queue.callers) < MAX_QUEUE_CALLERS and self._rng.random() < JOIN_CHANCE:
            number = f"06{self._rng.randint(10_000_000, 99_999_999)}"  # as the document shows
            queue.callers[number] = QueueCaller(now, self._rng.uniform(10, 120))

    def _record_cdr(
        self,
        extension: str,
        direction: str,
        remote: str,
        start: datetime,
        end: datetime,
        answered: bool,
        line: str,
    ) -> CdrRecord:
        uid = f"{self._rng.getrandbits(128):032x}"
        record = CdrRecord(uid, direction, extension, line, remote, start, end, answered)
        self.cdrs.append(record)
        return record

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        """Every request counts against the quota, even refused or faulted ones."""
        fields = await _read_fields(request)
        self.commands.append(fields.get("C", ""))
        self.request_log.append(
            {"time": self.now(), "C": fields.get("C", ""), "N": fields.get("N", "")}
        )
        within_quota = self._quota_for(fields.get("U", "")).hit()
        faulted = await apply_fault(self.fault, self.slow_seconds)
        if faulted is not None:
            return faulted
        if self.fault is Fault.QUOTA or not within_quota:
            return self._reply(_status(QUOTA_STATUS))
        return self._reply(self._answer(fields))

    def _quota_for(self, username: str) -> QuotaCounter:
        key = username.lower()
        if key == self.username.lower():
            return self.quota
        return self._other_quotas.setdefault(key, QuotaCounter(QUOTA_LIMIT, QUOTA_WINDOW))

    def _reply(self, body: Reply) -> web.Response:
        """Compact JSON with escaped slashes, as PHP's json_encode writes it."""
        text = json.dumps(body, separators=(",", ":")).replace("/", "\\/")
        if self.fault is Fault.TRUNCATED:
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="text/html", charset="UTF-8")

    def _answer(self, fields: Fields) -> Reply:
        if not self._authenticated(fields):
            return _status("Authentication failed")
        handler = self._handlers.get(fields.get("C", ""))
        if handler is None:
            return _status("Unknown command")
        return handler(fields)

    def _authenticated(self, fields: Fields) -> bool:
        """Username (any case), password and this hour's token must all match."""
        user = fields.get("U", "")
        if user.lower() != self.username.lower() or fields.get("P") != self.password:
            return False
        # A client may hash the username as it typed it or as the portal stores it.
        return fields.get("TOKEN", "").lower() in {self.token(user), self.token()}

    # --- commands -------------------------------------------------------------------------

    def _extension_list(self, fields: Fields) -> Reply:
        return [{"extension": ext, "name": name} for ext, name in self.extensions.items()]

    def _number_list(self, fields: Fields) -> Reply:
        return [
            {
                "number": number,
                "package": state.package,
                "credit_limit": _money(state.credit_limit),
                "credit_available": _money(state.credit_available),
            }
            for number, state in self.numbers.items()
        ]

    def _queues_list(self, fields: Fields) -> Reply:
        return [
            {"id": queue_id, "name": queue.name, "extensions": "-".join(queue.extensions)}
            for queue_id, queue in self.queues.items()
        ]

    def _queue(self, fields: Fields) -> Reply:
        queue = self.queues.get(fields.get("N", ""))
        if queue is None:
            return _status("Unknown queue")
        now = time.monotonic()
        return [
            {"number": number, "duration": str(max(0, int(now - caller.since)))}
            for number, caller in queue.callers.items()
        ]

    def _live_call(self, fields: Fields) -> Reply:
        extension = fields.get("N", "")
        if extension not in self.extensions:
            return _status("Unknown extension")
        call = self.live_calls.get(extension)
        if call is None:
            return []
        inbound = call.direction == "in"
        return [
            {
                "extension": extension,
                "duration": str(max(0, int(time.monotonic() - call.since))),
                "out_phone_nr": call.line,
                "direction": call.direction,
                "state": call.state,
                "call_to": "" if inbound else call.remote,
                "caller_nr": call.remote if inbound else "",
            }
        ]

    def _cdr_number(self, fields: Fields) -> Reply:
        return self._cdr(fields, lambda record: record.number, CdrRecord.number_row)

    def _cdr_extension(self, fields: Fields) -> Reply:
        return self._cdr(fields, lambda record: record.extension, CdrRecord.extension_row)

    def _cdr(
        self, fields: Fields, key: Callable[[CdrRecord], str], row: Callable[[CdrRecord], Row]
    ) -> Reply:
        """Rows of the records on day D whose ``key`` is N, oldest first (none: N unknown)."""
        day = _parse_date(fields.get("D", ""))
        if day is None:
            return _status("Invalid date")
        target = fields.get("N", "")
        found = [r for r in self.cdrs if key(r) == target and r.start.date() == day]
        return [row(record) for record in sorted(found, key=lambda record: record.start)]

    def _init_call(self, fields: Fields) -> Reply:
        extension, to = fields.get("N", ""), fields.get("T", "")
        if extension not in self.extensions:
            return {"status": "Unknown extension"}
        if not PHONE_PATTERN.fullmatch(to):
            return {"status": "Invalid number"}
        self._keep(fields)
        # The device rings first (out/Ringing), is picked up and talks ~a minute.
        self._start_call(extension, "out", to, plan=CallPlan(ring=5, talk=55))
        return {"status": "call started", "extension": extension, "to": to}

    def _send_sms(self, fields: Fields) -> Reply:
        sender, to, message = fields.get("F", ""), fields.get("T", ""), fields.get("M", "")
        if fields.get("N", "") not in self.numbers:
            return {"status": "Unknown number"}
        if len(message) > SMS_MAX_LENGTH:
            return {"status": "Message too long"}
        if not SMS_PATTERN.fullmatch(message):
            return {"status": "Message contains special characters"}
        if not PHONE_PATTERN.fullmatch(to):
            return {"status": "Invalid number"}
        self._keep(fields)
        return {"status": "SMS send", "from": sender, "to": to, "message": message}

    def _keep(self, fields: Fields) -> None:
        """Remember an accepted action, without the credentials."""
        self.received.append({key: fields[key] for key in REQUEST_FIELDS if key in fields})
