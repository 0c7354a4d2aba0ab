"""HA-free clients for hosted VoIP providers.

Nothing under this package imports Home Assistant: each client takes an injected
aiohttp session and speaks one provider's API, returning the typed models in
``models`` and raising the exceptions in ``errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol

from .models import AccountData, ActionResult, Read, Switch

type RequestGate = Callable[[], None]
"""Called before every HTTP request a client sends; may raise ``QuotaExceeded``."""


class Capability(StrEnum):
    """What a provider's API lets us offer."""

    EXTENSION_STATUS = "extension_status"
    CALL_DETAILS = "call_details"  # the live call's remote number and duration
    QUEUES = "queues"
    BALANCE = "balance"
    SWITCHES = "switches"
    CLICK_TO_CALL = "click_to_call"
    SEND_SMS = "send_sms"
    CALL_HISTORY = "call_history"


@dataclass(frozen=True, slots=True)
class Quota:
    """A provider's request quota: ``limit`` requests per ``window`` seconds."""

    limit: int
    window: float
    action_reserve: int


class Provider(Protocol):
    """What the Home Assistant layer needs from a provider client."""

    key: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    quota: ClassVar[Quota]

    @property
    def account_id(self) -> str:
        """A stable id of the account, used as the config entry's unique id."""

    async def async_validate(self) -> None:
        """Check the credentials with one cheap read."""

    async def async_load_structure(self, data: AccountData) -> AccountData:
        """Read what the account holds (extensions, numbers, queues, switches)."""

    def plan_reads(self, data: AccountData) -> list[Read]:
        """List the polling reads that keep ``data`` fresh."""

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one read and return ``data`` updated with its answer."""

    async def async_click_to_call(self, extension_id: str, number: str) -> ActionResult:
        """Let an extension call a number."""

    async def async_send_sms(
        self, from_number: str, to: str, message: str, sender: str | None
    ) -> ActionResult:
        """Send a text message from one of the account's numbers."""


class SwitchProvider(Provider, Protocol):
    """A provider with switches (Capability.SWITCHES)."""

    async def async_set_switch(self, switch_id: str, on: bool) -> Switch:
        """Turn a switch on or off; return its state as read back from the provider."""
