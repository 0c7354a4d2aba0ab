"""One coordinator per account: structure once, then one budgeted read per slot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import Provider
from .api.errors import AuthError, InvalidRequest, ProviderError, QuotaExceeded
from .api.models import AccountData, Read, ReadKind
from .budget import BudgetExhausted, PollPlanner, RequestBudget
from .const import CONF_WATCHED_EXTENSIONS, CONF_WATCHED_QUEUES, DOMAIN, LOGGER
from .errors import error_translation


@dataclass
class HostedPbxRuntimeData:
    """What a loaded entry holds."""

    client: Provider
    budget: RequestBudget
    coordinator: HostedPbxCoordinator
    account_device_id: str


type HostedPbxConfigEntry = ConfigEntry[HostedPbxRuntimeData]

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
# A second "too many" answer within this many seconds raises a repair issue.
REPEAT_WINDOW = 3600.0


def budget_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an account's quota window is kept across restarts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.budget")


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
            # The entry's unique id is the account id; some clients learn theirs only later.
            name=f"{DOMAIN} {entry.unique_id or entry.title}",
            update_interval=timedelta(seconds=budget.poll_interval),
            always_update=False,
        )
        self.client = client
        self.budget = budget
        self.planner = PollPlanner()
        self._structure = AccountData()
        self._just_loaded = False
        self._quota_refusals: list[float] = []
        self._issue_raised = False
        self._store = budget_store(hass, entry.entry_id)
        budget.on_sent = self._schedule_save

    async def _async_setup(self) -> None:
        """Restore the quota window of the previous run, then read the structure once."""
        if saved := await self._store.async_load():
            self.budget.restore(saved, time.time())
        reads = [
            read
            for read in self.client.plan_reads(AccountData())
            if read.kind in (ReadKind.STRUCTURE, ReadKind.BALANCE)
        ]
        structure_cost = max(1, sum(read.cost for read in reads))
        if wait := self.budget.poll_wait(structure_cost):
            # A restart right after a busy window: wait rather than burst.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(round(wait))},
            )
        with self._mapped_errors():
            self._structure = await self.client.async_load_structure(AccountData())
        self.planner.mark(
            read
            for read in self.client.plan_reads(self._structure)
            if read.kind in (ReadKind.STRUCTURE, ReadKind.BALANCE)
        )
        self._just_loaded = True

    async def _async_update_data(self) -> AccountData:
        """Spend this slot on the most overdue read, if the budget allows one."""
        data = self.data if self.data is not None else self._structure
        if self._just_loaded:
            # The structure reads just spent this slot and the next few.
            self._just_loaded = False
            return data
        if blocked := self.budget.blocked_for():
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"retry_after": str(round(blocked))},
            )
        read = self.planner.next_read(self.client.plan_reads(data), self._unwatched(data))
        if read is None or not self.budget.poll_allowed(read.cost):
            return data
        with self._mapped_errors():
            try:
                updated = await self.client.async_read(read, data)
            except InvalidRequest as err:
                # The provider no longer knows this extension or queue: the account's
                # structure changed, so read it next instead of failing every entity.
                LOGGER.debug("Structure changed (%s); reading it again", err)
                self.planner.mark([read])
                self.planner.forget(ReadKind.STRUCTURE)
                return data
        self.planner.mark([read])
        self._polling_healthy()
        return updated

    def _unwatched(self, data: AccountData) -> set[str]:
        """Read keys of extensions and queues the user chose not to watch."""
        options = self.config_entry.options
        slow: set[str] = set()
        for kind, option, targets in (
            (ReadKind.LIVE, CONF_WATCHED_EXTENSIONS, data.extensions),
            (ReadKind.QUEUE, CONF_WATCHED_QUEUES, data.queues),
        ):
            if option in options:
                watched = set(options[option])
                slow |= {Read(kind, target).key for target in targets if target not in watched}
        return slow

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """Turn client errors into what a coordinator raises, noting the provider's quota."""
        try:
            yield
        except QuotaExceeded as err:
            if not isinstance(err, BudgetExhausted):
                self.budget.provider_refused(err.retry_after)
                self._quota_refused()
            raise _update_failed(err) from err
        except AuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except ProviderError as err:
            raise _update_failed(err) from err

    def _quota_refused(self) -> None:
        """A second "too many" within an hour becomes a repair issue."""
        now = time.monotonic()
        self._quota_refusals = [t for t in self._quota_refusals if now - t < REPEAT_WINDOW]
        self._quota_refusals.append(now)
        if len(self._quota_refusals) > 1:
            self._issue_raised = True
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="quota_exceeded",
                translation_placeholders={"title": self.config_entry.title},
            )

    def _polling_healthy(self) -> None:
        """A read went through: the repair issue (if any) is resolved."""
        if self._issue_raised:
            self._issue_raised = False
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    @property
    def _issue_id(self) -> str:
        return f"quota_exceeded_{self.config_entry.entry_id}"

    @callback
    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._budget_snapshot, SAVE_DELAY)

    def _budget_snapshot(self) -> dict[str, Any]:
        return self.budget.export(time.time())

    async def async_shutdown(self) -> None:
        """Save the quota window so a restart does not burst into it."""
        await super().async_shutdown()
        await self._store.async_save(self._budget_snapshot())


def _update_failed(err: ProviderError) -> UpdateFailed:
    key, placeholders = error_translation(err)
    return UpdateFailed(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
