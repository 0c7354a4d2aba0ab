"""HA-free clients for hosted VoIP providers.

Nothing under this package imports Home Assistant or holds its policy: each client takes
an injected aiohttp session and speaks one provider's API, returning the typed models in
``models`` and raising the exceptions in ``errors``. The base ``Provider`` only reads;
what else a provider can do is a separate runtime-checkable protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

from .models import AccountData, ActionResult, CallRecord, Read, StructureLoad, Switch

type RequestGate = Callable[[], None]
"""Called before every HTTP request a client sends; may raise ``QuotaExceeded``."""


class Capability(StrEnum):
    """What a provider's reads report (which sensors make sense)."""

    EXTENSION_STATUS = "extension_status"
    CALL_DETAILS = "call_details"  # the live call's remote number and duration
    REGISTRATION = "registration"  # registered / not registered only, with the user agent
    QUEUES = "queues"
    BALANCE = "balance"  # credit per phone number
    ACCOUNT_BALANCE = "account_balance"  # one balance for the account
    CALL_HISTORY = "call_history"  # answered and missed calls today
    VOICEMAIL = "voicemail"
    CALL_SESSIONS = "call_sessions"  # the progress of calls the integration placed


@dataclass(frozen=True, slots=True)
class Quota:
    """A provider's request quota: ``limit`` requests per ``window`` seconds."""

    limit: int
    window: float


class Provider(Protocol):
    """What every provider client does: identify the account and read it."""

    key: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    quota: ClassVar[Quota]

    @property
    def account_id(self) -> str:
        """A stable id of the account, used as the config entry's unique id."""

    async def async_validate(self) -> None:
        """Check the credentials with one cheap read."""

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """Read what the account holds (extensions, numbers, queues, switches)."""

    def plan_reads(self, data: AccountData) -> list[Read]:
        """List the polling reads that keep ``data`` fresh."""

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one read and return ``data`` updated with its answer."""


@runtime_checkable
class ClickToCall(Protocol):
    """A provider that can make an extension (or a number) call someone."""

    async def async_click_to_call(self, extension_id: str, number: str) -> ActionResult:
        """Let an extension call a number."""


@runtime_checkable
class RingsBothAtOnce(Protocol):
    """A click-to-call provider that can also ring both parties at once."""

    async def async_click_to_call(
        self, source: str, number: str, mode: str = "source_first"
    ) -> ActionResult:
        """``mode`` "source_first" rings the source first; "both" rings both at once."""


@runtime_checkable
class SendsSms(Protocol):
    """A provider that sends text messages from the account's numbers."""

    async def async_send_sms(
        self, from_number: str, to: str, message: str, sender: str | None
    ) -> ActionResult:
        """Send a text message from one of the account's numbers."""


@runtime_checkable
class HasSwitches(Protocol):
    """A provider with switches the user can flip (Unite switches, DND, indicators)."""

    async def async_set_switch(self, switch_id: str, on: bool) -> Switch:
        """Turn a switch on or off; return its state as read back from the provider."""


@runtime_checkable
class HasRoutes(Protocol):
    """A provider whose phone numbers can be routed to one of ``AccountData.routes``."""

    async def async_set_route(self, number: str, route_id: str) -> str:
        """Route a number; return the route id read back from the provider."""


@runtime_checkable
class HangsUp(Protocol):
    """A provider that can end a call in progress."""

    async def async_hang_up(self, source: str) -> ActionResult:
        """End the active call of an extension or source number."""


@runtime_checkable
class KnowsCallRecords(Protocol):
    """A provider whose call records say whether a call was answered.

    Polling sees a ring stop but not whether someone picked up between two reads; the
    records tell.
    """

    async def async_calls_since(self, extension_id: str, since: datetime) -> list[CallRecord]:
        """The extension's calls that were still going at ``since`` or started later.

        One request per calendar day (of the provider) the answer spans.
        """


@runtime_checkable
class KnowsPublicIp(Protocol):
    """A provider with an address allow-list that can tell which address it sees."""

    async def async_public_ip(self) -> str:
        """The address the provider sees our requests come from."""


@runtime_checkable
class LimitsCallLength(Protocol):
    """A provider whose placed calls the client follows, up to a maximum duration."""

    max_call_seconds: float


@runtime_checkable
class Closes(Protocol):
    """A provider that holds something open (call sessions) until it is closed."""

    async def async_close(self) -> None:
        """End whatever is open; safe to call more than once, never raises."""
