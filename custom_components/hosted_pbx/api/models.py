"""Typed, immutable data the provider clients return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class ExtensionStatus(StrEnum):
    """What an extension (phone) is doing; values are translation keys."""

    IDLE = "idle"
    RINGING = "ringing"
    DIALING = "dialing"
    IN_CALL = "in_call"
    OFFLINE = "offline"
    NEVER_REGISTERED = "never_registered"


class CallDirection(StrEnum):
    """Direction of a call as seen from the account."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Freshness(StrEnum):
    """How quickly what a read returns goes stale; the planner's policy follows from it.

    Named by how data changes, not by what it is, so a provider's new kind of data
    picks the tier that fits instead of adding a case to the planner.
    """

    LIVE = "live"  # changes within seconds: extension status, a call's progress
    FREQUENT = "frequent"  # changes within minutes: queues, switches, registrations
    SLOW = "slow"  # changes within hours: credit, counters; at most every 15 minutes
    STRUCTURE = "structure"  # what the account holds; hourly


@dataclass(frozen=True, slots=True)
class Extension:
    """An extension (a phone or softphone) on the account."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ExtensionState:
    """The live state of one extension."""

    extension_id: str
    status: ExtensionStatus | None  # None: the provider said something we do not know
    remote_number: str | None = None
    direction: CallDirection | None = None
    duration: int | None = None
    # Registration details, where the provider reports them (diagnostic attributes).
    user_agent: str | None = None
    server: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number (DID) with its package and credit."""

    number: str
    package: str | None = None
    credit_limit: Decimal | None = None
    credit_available: Decimal | None = None
    sms_enabled: bool = False
    route: str | None = None  # id of the route (``routes``) the number uses now


@dataclass(frozen=True, slots=True)
class Queue:
    """A call queue and the extensions that answer it."""

    id: str
    name: str
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueCaller:
    """A caller waiting in a queue."""

    number: str
    wait_seconds: int


@dataclass(frozen=True, slots=True)
class QueueState:
    """The callers currently in a queue."""

    queue_id: str
    callers: tuple[QueueCaller, ...] = ()

    @property
    def calls_waiting(self) -> int:
        """Number of callers in the queue."""
        return len(self.callers)

    @property
    def longest_wait(self) -> int:
        """Seconds the longest-waiting caller has waited (0 when empty)."""
        return max((caller.wait_seconds for caller in self.callers), default=0)


class SwitchKind(StrEnum):
    """What a provider-side switch controls."""

    SWITCH = "switch"  # VOIPZeker Unite switch
    DO_NOT_DISTURB = "do_not_disturb"  # per extension
    FUNCTION_INDICATOR = "function_indicator"  # VoipCenter
    CALL_FORWARDING = "call_forwarding"  # per phone number (VoIP.ms)


@dataclass(frozen=True, slots=True)
class Switch:
    """A provider-side switch; ``extension_id`` is set for per-extension ones (DND)."""

    id: str
    name: str
    is_on: bool
    kind: SwitchKind = SwitchKind.SWITCH
    extension_id: str | None = None
    number: str | None = None  # set for per-number switches (call forwarding)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One finished call from the provider's call detail records."""

    uid: str
    direction: CallDirection | None
    start: datetime | None
    duration: int
    from_number: str
    to_number: str
    answered: bool | None = None
    end: datetime | None = None  # when the call stopped (ringing or talking)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the provider answered to an action (click-to-call, SMS)."""

    status: str
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly copy for an action response."""
        return {"status": self.status, **self.details}


@dataclass(frozen=True, slots=True)
class Balance:
    """The account's prepaid balance, in the provider's currency."""

    amount: Decimal
    currency: str
    spent_today: Decimal | None = None
    calls_today: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """Where a phone number can send its calls (a route, a forwarding, a sub-account)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A voicemail box and its message counts."""

    id: str
    name: str
    new: int = 0
    urgent: int = 0


class CallStatus(StrEnum):
    """The progress of a call the integration placed (click-to-call sessions)."""

    IDLE = "idle"
    SOURCE_RINGING = "source_ringing"
    SOURCE_CONNECTED = "source_connected"
    DESTINATION_RINGING = "destination_ringing"
    CONNECTED = "connected"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    ENDED = "ended"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    WRONG_NUMBER = "wrong_number"
    FAILED = "failed"


# The statuses after which a placed call is over: nothing more will happen to it.
FINAL_CALL_STATUSES = frozenset(
    {
        CallStatus.ENDED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.REJECTED,
        CallStatus.INSUFFICIENT_FUNDS,
        CallStatus.WRONG_NUMBER,
        CallStatus.FAILED,
    }
)


@dataclass(frozen=True, slots=True)
class CallSession:
    """A placed call's progress, keyed by its source (an extension or a number)."""

    source: str
    status: CallStatus
    destination: str | None = None
    code: int | None = None  # the provider's own status code
    started: datetime | None = None
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A text message received on one of the account's numbers."""

    id: str
    from_number: str
    to_number: str
    text: str
    received: datetime | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A provider phonebook entry: the name to show and the numbers it is known by."""

    name: str
    numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountData:
    """Everything known about one account; replaced (never mutated) on each read."""

    extensions: Mapping[str, Extension] = field(default_factory=dict)
    extension_states: Mapping[str, ExtensionState] = field(default_factory=dict)
    numbers: Mapping[str, PhoneNumber] = field(default_factory=dict)
    queues: Mapping[str, Queue] = field(default_factory=dict)
    queue_states: Mapping[str, QueueState] = field(default_factory=dict)
    switches: Mapping[str, Switch] = field(default_factory=dict)
    calls_today: tuple[int, int] | None = None  # (missed, answered) inbound calls today
    balance: Balance | None = None
    routes: Mapping[str, Route] = field(default_factory=dict)
    mailboxes: Mapping[str, Mailbox] = field(default_factory=dict)
    calls: Mapping[str, CallSession] = field(default_factory=dict)
    # Texts received lately, newest last (read where the provider cannot push them).
    messages: tuple[Message, ...] = ()
    # The provider's phonebook: a number (E.164 where it parses, else its digits) -> a name.
    contacts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Read:
    """One polling read a provider can do, its freshness tier and its cost in requests.

    ``name`` says what the read fetches (the provider's own vocabulary); ``extension_id``
    or ``queue_id`` is set when the read is about one extension or queue, so the user's
    watch list can apply to it.
    """

    name: str
    target: str
    freshness: Freshness
    cost: int = 1
    extension_id: str | None = None
    queue_id: str | None = None

    @property
    def key(self) -> str:
        """Stable identity of the read for the planner."""
        return f"{self.name}:{self.target}"


@dataclass(frozen=True, slots=True)
class StructureLoad:
    """What a structure load found, and which reads it already covered."""

    data: AccountData
    covered: tuple[Read, ...] = ()
