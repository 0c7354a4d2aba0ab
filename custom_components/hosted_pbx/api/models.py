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


class ReadKind(StrEnum):
    """What a polling read refreshes, in the planner's priority order."""

    LIVE = "live"
    QUEUE = "queue"
    SWITCH = "switch"
    BALANCE = "balance"
    STRUCTURE = "structure"


@dataclass(frozen=True, slots=True)
class Extension:
    """An extension (a phone or softphone) on the account."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ExtensionState:
    """The live state of one extension."""

    extension_id: str
    status: ExtensionStatus
    remote_number: str | None = None
    direction: CallDirection | None = None
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number (DID) with its package and credit."""

    number: str
    package: str | None = None
    credit_limit: Decimal | None = None
    credit_available: Decimal | None = None


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


@dataclass(frozen=True, slots=True)
class Switch:
    """A provider-side switch; ``extension_id`` is set for per-extension ones (DND)."""

    id: str
    name: str
    is_on: bool
    kind: SwitchKind = SwitchKind.SWITCH
    extension_id: str | None = None


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


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the provider answered to an action (click-to-call, SMS)."""

    status: str
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly copy for an action response."""
        return {"status": self.status, **self.details}


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


@dataclass(frozen=True, slots=True)
class Read:
    """One polling read a provider can do, and what it costs in requests."""

    kind: ReadKind
    target: str
    cost: int = 1

    @property
    def key(self) -> str:
        """Stable identity of the read for the planner."""
        return f"{self.kind}:{self.target}"
