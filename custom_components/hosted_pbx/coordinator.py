"""One coordinator per account: structure once, then one budgeted read per slot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import Provider
from .api.errors import AuthError, ProviderError, QuotaExceeded
from .api.models import AccountData, Read, ReadKind
from .budget import BudgetExhausted, PollPlanner, RequestBudget
from .const import DOMAIN, LOGGER
from .errors import error_translation


@dataclass
class HostedPbxRuntimeData:
    """What a loaded entry holds."""

    client: Provider
    budget: RequestBudget
    coordinator: HostedPbxCoordinator


type HostedPbxConfigEntry = ConfigEntry[HostedPbxRuntimeData]


class HostedPbxCoordinator(DataUpdateCoordinator[AccountData]):
    """Polls one account within its request budget."""

    config_entry: HostedPbxConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HostedPbxConfigEntry,
        client: Provider,
        budget: RequestBudget,
    ) -> None:
        """Tick once per polling slot the budget allows."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {client.account_id}",
            update_interval=timedelta(seconds=budget.poll_interval),
            always_update=False,
        )
        self.client = client
        self.budget = budget
        self.planner = PollPlanner()
        self._structure = AccountData()

    async def _async_setup(self) -> None:
        """Read the account's structure once, before the first poll."""
        with _mapped_errors(self.budget):
            self._structure = await self.client.async_load_structure(AccountData())
        self.planner.mark(
            read
            for read in self.client.plan_reads(self._structure)
            if read.kind in (ReadKind.STRUCTURE, ReadKind.BALANCE)
        )

    async def _async_update_data(self) -> AccountData:
        """Spend this slot on the most overdue read, if the budget allows one."""
        data = self.data if self.data is not None else self._structure
        if blocked := self.budget.blocked_for():
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(round(blocked))},
            )
        read = self.planner.next_read(self.client.plan_reads(data))
        if read is None or not self.budget.poll_allowed(read.cost):
            return data
        return await self._async_read(read, data)

    async def _async_read(self, read: Read, data: AccountData) -> AccountData:
        with _mapped_errors(self.budget):
            updated = await self.client.async_read(read, data)
        self.planner.mark([read])
        return updated


@contextmanager
def _mapped_errors(budget: RequestBudget) -> Iterator[None]:
    """Turn client errors into what a coordinator raises, noting the provider's quota."""
    try:
        yield
    except QuotaExceeded as err:
        if not isinstance(err, BudgetExhausted):
            budget.provider_refused(err.retry_after)
        raise _update_failed(err) from err
    except AuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except ProviderError as err:
        raise _update_failed(err) from err


def _update_failed(err: ProviderError) -> UpdateFailed:
    key, placeholders = error_translation(err)
    return UpdateFailed(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
