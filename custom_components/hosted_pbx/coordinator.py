"""One coordinator per account: it owns every read, polled or pushed, within the budget."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from . import cache
from .account_issues import AccountIssues
from .api import Closes, LimitsCallLength, Provider
from .api.errors import AuthError, ErrorReason, PermissionDenied, ProviderError, QuotaExceeded
from .api.models import AccountData, Freshness, Read
from .budget import SAVE_INTERVAL, BudgetExhausted, RequestBudget
from .call_events import CallEvents, caller
from .const import (
    CONF_MAX_CALL_MINUTES,
    CONF_QUOTA_SHARE,
    CONF_WATCHED_EXTENSIONS,
    CONF_WATCHED_QUEUES,
    CONF_WEBHOOK_REGISTERED,
    DEFAULT_MAX_CALL_MINUTES,
    DEFAULT_QUOTA_SHARE,
    DOMAIN,
    EVENT_PREFIX,
    LOGGER,
)
from .devices import StaleDevices, Target
from .errors import error_translation
from .planner import PollPlanner
from .providers import ProviderSpec, PushEvent


@dataclass
class HostedPbxRuntimeData:
    """What a loaded entry holds: the coordinator (with client and budget), the account.

    ``models`` are the device models in Home Assistant's language (``async_model_names``).
    """

    coordinator: HostedPbxCoordinator
    account_device_id: str
    models: Mapping[Target, str]


type HostedPbxConfigEntry = ConfigEntry[HostedPbxRuntimeData]

STORAGE_VERSION = 1
# Pushed events with the same key within this many seconds are one event (replays).
DEDUP_SECONDS = 3600.0
DEDUP_MAX = 1000
MIN_SLOT = 1.0
REFRESH_COOLDOWN = 2.0
# The structure and slow values change rarely: written a minute after they do.
CACHE_SAVE_DELAY = 60.0


def budget_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an account's quota window is kept across restarts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.budget")


def cache_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an account's structure and slow values are kept across restarts."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.cache")


class HaBudgetStore:
    """Saves the budget's window at most ``SAVE_INTERVAL`` after a request.

    Unlike a delayed save that every request postpones, a pending save is never moved:
    an account polled every few seconds is still written every ``SAVE_INTERVAL``.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the store; the budget is attached once it exists."""
        self.store = budget_store(hass, entry_id)
        self.budget: RequestBudget | None = None
        self._pending = False

    @callback
    def request_save(self) -> None:
        """Schedule one save unless one is already on its way."""
        if not self._pending:
            self._pending = True
            self.store.async_delay_save(self._snapshot, SAVE_INTERVAL)

    def _snapshot(self) -> dict[str, Any]:
        self._pending = False
        assert self.budget is not None
        return self.budget.export(time.time(), clean=False)

    async def async_restore(self) -> None:
        """Count what the previous run sent in the still-open window."""
        if (saved := await self.store.async_load()) and self.budget is not None:
            self.budget.restore(saved, time.time())

    async def async_save_clean(self) -> None:
        """The entry stops: write the window now."""
        if self.budget is not None:
            await self.store.async_save(self.budget.export(time.time(), clean=True))


class HostedPbxCoordinator(DataUpdateCoordinator[AccountData]):
    """Polls one account within its request budget, and takes its pushed events."""

    config_entry: HostedPbxConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HostedPbxConfigEntry,
        spec: ProviderSpec,
        client: Provider,
        budget: RequestBudget,
        store: HaBudgetStore,
    ) -> None:
        """Tick once per polling slot the budget allows."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=_slot(budget),
            always_update=False,
        )
        self.spec = spec
        self.client = client
        self.budget = budget
        self.planner = PollPlanner()
        self._store = store
        self._cache = cache_store(hass, entry.entry_id)
        self._structure = AccountData()
        self.issues = AccountIssues(hass, entry, client)
        self._failure: UpdateFailed | None = None
        self.disabled_reads: set[str] = set()
        self._seen_push: dict[str, float] = {}
        # The call events polling finds; call records share the pushed events' dedup.
        self.call_events = CallEvents(self, self._seen_before, self._remember)
        # How pushed events arrive, for diagnostics: "webhook", "connected", "polling only".
        self.push_state = "webhook" if spec.push is not None else "polling only"
        # Events come in bursts (ringing, answered, hung up): one status read per cooldown.
        self._refresher = Debouncer(
            hass,
            LOGGER,
            cooldown=REFRESH_COOLDOWN,
            immediate=True,
            function=self.async_refresh_live,
            background=True,
        )
        # The options in force (the options flow applies new ones before it saves them).
        self.options: dict[str, Any] = dict(entry.options)
        if isinstance(client, LimitsCallLength) and CONF_MAX_CALL_MINUTES in entry.options:
            client.max_call_seconds = float(entry.options[CONF_MAX_CALL_MINUTES]) * 60
        self.account_id = entry.unique_id or entry.entry_id
        self.account_name = spec.account_name(self.account_id)
        self.stale = StaleDevices(self.account_id)
        # Append-only: platforms forget the entities of these and may add them again.
        self.removed_devices: list[tuple[Target, str]] = []

    # --- setup --------------------------------------------------------------------------

    async def _async_setup(self) -> None:
        """Restore the quota window, then read the structure if the polling share allows.

        Setup never fails because our own budget says "wait": the structure is then the
        first thing polling reads.
        """
        await self._store.async_restore()
        saved = await self._cache.async_load()
        if saved is not None and isinstance(seen := saved.get("seen"), list):
            # Pushed events seen before the restart stay seen: no event fires twice.
            now = time.monotonic()
            self._seen_push = {str(key): now for key in seen[-DEDUP_MAX:]}
        if saved is not None:
            # Busy hours, call lengths and busy phones are learned over days: a restart
            # does not start that again.
            self.planner.restore(saved.get("planner"))
            # A ring that stopped just before the restart: the records still tell.
            self.call_events.restore(saved.get("rings"))
        if saved is not None and self.spec.restore_state is not None:
            self.spec.restore_state(self.client, saved.get("provider"))
        if (cached := cache.load(saved)) is not None:
            # Devices and slow values as they were: live reads go first. Only the reads
            # the cache really holds count as done: one saved before the extensions were
            # listed (a restart while the window was busy) must not hide them for an hour.
            self._structure = cached
            covered = set(saved.get("covered", ())) if isinstance(saved, dict) else set()
            self.planner.mark(
                read for read in self.client.plan_reads(cached) if read.key in covered
            )
        # What the load may cost: the account-wide reads (per-item ones come later).
        reads = self.client.plan_reads(AccountData())
        if not self.budget.poll_allowed(max(1, sum(read.cost for read in reads))):
            LOGGER.info(
                "%s: the request window is still busy from before; reading the account "
                "when it allows",
                self.config_entry.title,
            )
            return
        try:
            with self._mapped_errors(), self.budget.polling():
                loaded = await self.client.async_load_structure(self._structure)
        except UpdateFailed as err:
            if not isinstance(err.__cause__, BudgetExhausted):
                raise
            return
        self._structure = loaded.data
        self.planner.mark(loaded.covered)

    # --- polling ------------------------------------------------------------------------

    async def _async_update_data(self) -> AccountData:
        """Spend this slot on the most overdue read; tell the bus how placed calls went."""
        before = self.data if self.data is not None else self._structure
        # Not in the first refresh: the event entities are set up after it.
        if self.data is not None and (stopped := self.call_events.due_ring()) is not None:
            # This slot goes to the call records instead of a status read.
            await self.call_events.async_verify_ring(*stopped)
            if self._failure is not None:
                raise self._failure
            return before
        try:
            updated = await self._async_poll(before)
        except UpdateFailed as err:
            self._failure = err
            raise
        self.call_events.fire_call_events(before, updated)
        self.call_events.dispatch_status_events(before, updated)
        self._messages_as_events(before, updated)
        return updated

    def _named(self, data: Mapping[str, str]) -> dict[str, str]:
        """A pushed call's data with the other party's name, when known and not given.

        Pushed calls (VOIPZeker's webhook) say ``from``, ``to`` and the ``direction``: the
        other party is ``from`` on inbound calls and ``to`` on outbound ones.
        """
        direction = data.get("direction", "")
        remote = {"inbound": data.get("from"), "outbound": data.get("to")}.get(direction)
        if "name" in data or not remote:
            return dict(data)
        known = self.data if self.data is not None else self._structure
        name = caller(known, remote, self.spec.region).get("name")
        return {**data, "name": name} if name else dict(data)

    @callback
    def async_device_event(
        self, target: Target, target_id: str, kind: str, data: Mapping[str, str]
    ) -> None:
        """Hand an event to the event entity of one device."""
        async_dispatcher_send(
            self.hass, self.event_signal, target.value, target_id, kind, dict(data)
        )

    @property
    def event_signal(self) -> str:
        """The dispatcher signal the entry's event entities listen to."""
        return f"{DOMAIN}_{self.config_entry.entry_id}_device_event"

    async def _async_poll(self, data: AccountData) -> AccountData:
        """Spend this slot on the most overdue read, if the budget allows one."""
        if blocked := self.budget.blocked_for():
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="quota",
                translation_placeholders={"retry_after": str(round(blocked))},
            )
        skipped = self.disabled_reads | self._pushed_reads()
        reads = [r for r in self.client.plan_reads(data) if r.name not in skipped]
        read = self.planner.next_read(
            reads, self._unwatched(reads), data, slot=_slot(self.budget).total_seconds()
        )
        if read is None or not self.budget.poll_allowed(read.cost):
            if self._failure is not None:
                # A slot without a read proves nothing: the last failure still stands.
                raise self._failure
            return data
        return await self._async_read(read, data)

    async def _async_read(self, read: Read, data: AccountData) -> AccountData:
        try:
            with self._mapped_errors(), self.budget.polling():
                updated = await self.client.async_read(read, data)
        except _StructureChanged:
            self.planner.mark([read])
            self.planner.forget(self._structure_reads(data))
            return data
        except UpdateFailed as err:
            if isinstance(err.__cause__, BudgetExhausted):
                # Our own budget said "wait" mid-read (a token renewal cost one more):
                # not a fault of the provider, so the entities stay as they are.
                return data
            cause = err.__cause__
            if (
                isinstance(cause, PermissionDenied)
                # An address allow-list is the whole account's, and passes: keep reading.
                and cause.reason is not ErrorReason.IP_NOT_ALLOWED
                and read.freshness is not Freshness.STRUCTURE
            ):
                self._disable_read(read, cause)
                return data
            raise
        self.planner.mark([read])
        self._failure = None
        self.issues.read_worked(read.name)
        if read.freshness is Freshness.STRUCTURE:
            self._check_stale(updated)
        if read.freshness is not Freshness.LIVE:
            self._cache.async_delay_save(self._cache_snapshot, CACHE_SAVE_DELAY)
        return updated

    def _pushed_reads(self) -> frozenset[str]:
        """Fallback reads not needed while the provider calls our webhook."""
        push = self.spec.push
        if push is None or not self.config_entry.data.get(CONF_WEBHOOK_REGISTERED):
            return frozenset()
        return push.covers

    @callback
    def _messages_as_events(self, before: AccountData, after: AccountData) -> None:
        """Texts found by polling become the same events a push gives, once each."""
        if after.messages == before.messages:
            return
        for message in after.messages:
            data = {
                "id": message.id,
                "from": message.from_number,
                "to": message.to_number,
                "message": message.text,
                "timestamp": message.received.isoformat() if message.received else "",
            }
            self.async_push(
                PushEvent(
                    event_type="sms_received",
                    data=data,
                    dedup_key=f"sms|{message.id}",
                    refresh=False,
                    device_events=(("number", message.to_number, "sms_received"),),
                )
            )

    def _structure_reads(self, data: AccountData) -> list[Read]:
        return [r for r in self.client.plan_reads(data) if r.freshness is Freshness.STRUCTURE]

    def _check_stale(self, data: AccountData) -> None:
        """After a structure read: remove devices gone long enough (see StaleDevices)."""
        self.removed_devices.extend(self.stale.async_check(self.hass, self.config_entry, data))

    def _unwatched(self, reads: list[Read]) -> set[str]:
        """Read keys of extensions and queues the user chose not to watch."""
        options = self.options
        slow: set[str] = set()
        for read in reads:
            for item, option in (
                (read.extension_id, CONF_WATCHED_EXTENSIONS),
                (read.queue_id, CONF_WATCHED_QUEUES),
            ):
                if item is not None and option in options and item not in options[option]:
                    slow.add(read.key)
        return slow

    def watchable(self) -> tuple[bool, bool]:
        """Whether this provider reads extensions and queues one by one (watch lists apply)."""
        reads = self.client.plan_reads(self.data or self._structure)
        return (
            any(read.extension_id is not None for read in reads),
            any(read.queue_id is not None for read in reads),
        )

    @callback
    def async_apply_options(self, options: Mapping[str, Any]) -> None:
        """New options only change the planner and the budget: no reload needed."""
        self.options = dict(options)
        if isinstance(self.client, LimitsCallLength):
            minutes = options.get(CONF_MAX_CALL_MINUTES, DEFAULT_MAX_CALL_MINUTES)
            self.client.max_call_seconds = float(minutes) * 60
        share = options.get(CONF_QUOTA_SHARE, DEFAULT_QUOTA_SHARE) / 100
        self.budget.set_share(share)
        self.update_interval = _slot(self.budget)
        # Thresholds in the options show at once, not at the next read.
        self.async_update_listeners()

    # --- errors -------------------------------------------------------------------------

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        """Turn client errors into what a coordinator raises, noting the provider's quota."""
        try:
            yield
        except QuotaExceeded as err:
            if not isinstance(err, BudgetExhausted):
                self.provider_refused(err)
            raise _update_failed(err) from err
        except AuthError as err:
            raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="auth") from err
        except ProviderError as err:
            if err.reason in (ErrorReason.UNKNOWN_EXTENSION, ErrorReason.UNKNOWN_QUEUE):
                LOGGER.debug("Structure changed (%s); reading it again", err)
                raise _StructureChanged from err
            self.issues.fault(err)
            raise _update_failed(err) from err

    def _disable_read(self, read: Read, err: PermissionDenied) -> None:
        """An optional read the account may not do: switch it off and say which, once.

        Asking the user to sign in again cannot fix a permission, so this is a repair
        issue, and the rest of the account keeps working.
        """
        self.disabled_reads.add(read.name)
        LOGGER.warning(
            "%s: the provider refuses %s (%s); it is no longer read",
            self.config_entry.title,
            read.name,
            err,
        )
        self.issues.permission_missing(read.name)

    @contextmanager
    def quota_watch(self) -> Iterator[None]:
        """Around an action: the provider's "too many" pauses the account, as in polling."""
        try:
            yield
        except QuotaExceeded as err:
            if not isinstance(err, BudgetExhausted):
                self.provider_refused(err)
            raise
        except AuthError:
            # Some providers (Business-ISP) can only find out here that the password changed.
            self.config_entry.async_start_reauth(self.hass)
            raise

    @callback
    def provider_refused(self, err: QuotaExceeded) -> None:
        """Any path that got the provider's "too many": pause the whole account."""
        self.budget.provider_refused(err.retry_after)
        self.issues.quota_refused()

    # --- push ---------------------------------------------------------------------------

    @callback
    def async_push(self, event: PushEvent) -> None:
        """A pushed event (webhook or socket): the bus, the event entities, a status read."""
        if self.async_push_seen(event):
            return
        data = self._named(event.data)
        self.hass.bus.async_fire(
            f"{EVENT_PREFIX}_{event.event_type}",
            {**data, "config_entry_id": self.config_entry.entry_id},
        )
        self.planner_fresh(event.extensions)
        for kind, target_id, event_type in event.device_events:
            self.async_device_event(Target(kind), target_id, event_type, data)
        if event.refresh:
            self.config_entry.async_create_background_task(
                self.hass, self._refresher.async_call(), f"{DOMAIN} push status refresh"
            )

    @callback
    def async_push_seen(self, event: PushEvent) -> bool:
        """Whether this event was seen already (a replay); remembers it otherwise."""
        if self._seen_before(event.dedup_key):
            return True
        self._remember(event.dedup_key)
        return False

    def _seen_before(self, key: str) -> bool:
        """Whether an event (pushed, or a call record) with this key was handled lately."""
        seen = self._seen_push.get(key)
        return seen is not None and time.monotonic() - seen < DEDUP_SECONDS

    @callback
    def _remember(self, key: str) -> None:
        """Note an event as handled; kept across restarts with the cache."""
        now = time.monotonic()
        if len(self._seen_push) > DEDUP_MAX:
            self._seen_push = {
                key: seen for key, seen in self._seen_push.items() if now - seen < DEDUP_SECONDS
            }
        self._seen_push[key] = now
        self._cache.async_delay_save(self._cache_snapshot, CACHE_SAVE_DELAY)

    @callback
    def planner_fresh(self, extensions: tuple[str, ...]) -> None:
        """A push told us about these extensions: their status reads can wait."""
        if extensions:
            self.planner.mark(
                read
                for read in self.client.plan_reads(self.data)
                if read.extension_id in extensions and read.freshness is Freshness.LIVE
            )

    async def async_refresh_live(self) -> None:
        """A pushed event: read the live status now if the polling share allows."""
        reads = [r for r in self.client.plan_reads(self.data) if r.freshness is Freshness.LIVE]
        if len(reads) != 1 or not self.budget.poll_allowed(reads[0].cost):
            return  # per-extension reads: polling picks them up by priority
        try:
            updated = await self._async_read(reads[0], self.data)
        except (UpdateFailed, ConfigEntryAuthFailed) as err:
            LOGGER.debug("Status read after a pushed event failed: %s", err)
            return
        # Only the statuses: anything else may have changed while the read was under way.
        self.async_set_updated_data(replace(self.data, extension_states=updated.extension_states))

    async def async_shutdown(self) -> None:
        """On unload and stop: close what the client holds open, save the quota window."""
        await super().async_shutdown()
        self._refresher.async_shutdown()
        if isinstance(self.client, Closes):
            await self.client.async_close()  # e.g. call sessions: nothing leaks
        await self._store.async_save_clean()
        if self.data is not None:
            await self._cache.async_save(self._cache_snapshot())

    def _cache_snapshot(self) -> dict[str, Any]:
        data = self.data or self._structure
        covered = [
            read.key
            for read in self.client.plan_reads(data)
            if read.freshness in (Freshness.SLOW, Freshness.STRUCTURE)
            and self.planner.age(read) is not None
        ]
        snapshot = {
            **cache.dump(data),
            "covered": covered,
            "seen": list(self._seen_push)[-DEDUP_MAX:],
            "planner": self.planner.learned(),
            "rings": self.call_events.waiting(),
        }
        if self.spec.save_state is not None:
            snapshot["provider"] = self.spec.save_state(self.client)
        return snapshot


class _StructureChanged(Exception):
    """A read found an extension or queue the provider no longer knows."""


def _slot(budget: RequestBudget) -> timedelta:
    """Time between polling slots: the budget's even spread, at least a second.

    DataUpdateCoordinator schedules from the whole second, so an interval under one
    second can fall in the past and refresh in a tight loop.
    """
    return timedelta(seconds=max(MIN_SLOT, budget.poll_interval))


def _update_failed(err: ProviderError) -> UpdateFailed:
    key, placeholders = error_translation(err)
    return UpdateFailed(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
