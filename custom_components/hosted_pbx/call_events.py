"""Call events from polling: status changes, placed calls, and how a stopped ring ended.

Polling sees an extension's status at intervals: a change between two reads becomes an
event on the extension's event entity (``STATUS_EVENTS``). A ring that stops cannot tell
whether it was answered; where the provider keeps call records, they are read in a later
polling slot and decide (missed, or answered and ended). A ring still waiting for them
at a restart is kept in the entry's cache and checked after it. ``caller`` names the
other party of a call, here and in the current-call sensor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import re
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .api import KnowsCallRecords
from .api.errors import InvalidRequest, ProviderError
from .api.models import (
    FINAL_CALL_STATUSES,
    AccountData,
    CallDirection,
    CallRecord,
    ExtensionState,
    ExtensionStatus,
)
from .api.phone import e164, parse_own_number
from .budget import BudgetExhausted
from .const import EVENT_CALL, LOGGER
from .devices import Target

if TYPE_CHECKING:
    from .coordinator import HostedPbxCoordinator

# Status transitions polling sees, as the extensions' event entities show them. A ring
# that stops is "ended": polling cannot tell whether it was answered. Where the provider
# keeps call records, the records decide instead (missed, or answered and ended).
_IDLE, _RINGING = ExtensionStatus.IDLE, ExtensionStatus.RINGING
_IN_CALL, _DIALING = ExtensionStatus.IN_CALL, ExtensionStatus.DIALING
STATUS_EVENTS: dict[tuple[ExtensionStatus, ExtensionStatus], str] = {
    (_IDLE, _RINGING): "incoming_call",
    (_RINGING, _IN_CALL): "answered",
    (_DIALING, _IN_CALL): "answered",
    (_IN_CALL, _IDLE): "ended",
    (_RINGING, _IDLE): "ended",
    (_DIALING, _IDLE): "ended",
}
# Reads of the call records after a ring stopped, before we give up and say "ended"
# (the provider may write the record a little after the call).
VERIFY_TRIES = 3
VERIFY_RETRY = 20.0
# A ring still waiting for the records at a restart is checked after it when it rang this
# recently; an older one is let go (an event that late would mislead an automation).
RESTORE_MAX_AGE = timedelta(minutes=10)
RESTORE_MAX_RINGS = 100
# A record's times come from the provider's clock: allow this much disagreement.
RECORD_SLACK = timedelta(seconds=60)
# Numbers compare by their last digits: "0612345678" and "31612345678" are one caller.
SAME_NUMBER_DIGITS = 9


@dataclass
class _StoppedRing:
    """An inbound ring polling saw stop; the call records will say how it ended."""

    since: datetime  # when polling first saw it ring (the call was going then)
    remote: str | None
    data: dict[str, str]  # the event data as polling saw it (direction, caller, duration)
    tries: int = 0
    next_try: float = 0.0  # monotonic; the first try is due in the next slot


class CallEvents:
    """The call events of one account's polling, and the rings waiting for the records.

    The coordinator hands over each poll's data before and after, and gives a polling
    slot to a stopped ring when ``due_ring`` names one. Call records share the pushed
    events' dedup (``seen_before``, ``remember``): a record is handled once, across
    restarts too.
    """

    def __init__(
        self,
        coordinator: HostedPbxCoordinator,
        seen_before: Callable[[str], bool],
        remember: Callable[[str], None],
    ) -> None:
        """Events go out through the coordinator; its client reads the records."""
        self._coordinator = coordinator
        self._seen_before = seen_before
        self._remember = remember
        # Inbound rings: when polling first saw each ring, and those that stopped unverified.
        self._ring_seen: dict[str, datetime] = {}
        self._stopped_rings: dict[str, _StoppedRing] = {}

    @callback
    def fire_call_events(self, before: AccountData, after: AccountData) -> None:
        """A ``hosted_pbx_call`` event for each change of a placed call's status."""
        coordinator = self._coordinator
        for source, call in after.calls.items():
            old = before.calls.get(source)
            if old is not None and old.status is call.status:
                continue
            coordinator.hass.bus.async_fire(
                EVENT_CALL,
                {
                    "source": source,
                    "to": call.destination or "",
                    "status": call.status.value,
                    "ended": call.status in FINAL_CALL_STATUSES,
                    "duration": call.duration or 0,
                    "config_entry_id": coordinator.config_entry.entry_id,
                },
            )

    @callback
    def dispatch_status_events(self, before: AccountData, after: AccountData) -> None:
        """Extension event entities from status transitions seen by polling."""
        for extension_id, state in after.extension_states.items():
            old = before.extension_states.get(extension_id)
            if state.status is _RINGING and (old is None or old.status is not _RINGING):
                self._ring_seen[extension_id] = dt_util.utcnow()
            if old is None or old.status is None or state.status is None:
                continue
            kind = STATUS_EVENTS.get((old.status, state.status))
            if kind is not None:
                # The idle state after a call has no direction: the call's is the one.
                direction = state.direction or old.direction
                data = {"direction": direction.value if direction else ""}
                if kind == "ended":
                    data["duration"] = str(old.duration or 0)
                if remote := state.remote_number or old.remote_number:
                    data |= self._caller(after, remote)
                if kind == "ended" and self._queue_ring_check(extension_id, old, data):
                    continue
                self._coordinator.async_device_event(Target.EXTENSION, extension_id, kind, data)

    def _caller(self, data: AccountData, remote: str) -> dict[str, str]:
        """The other party: an extension, else a number in E.164, named where known."""
        return caller(data, remote, self._coordinator.spec.region)

    # --- how a stopped ring ended, from the call records -------------------------------

    def _queue_ring_check(
        self, extension_id: str, old: ExtensionState, data: dict[str, str]
    ) -> bool:
        """An inbound ring stopped: leave the event to the records, if the provider has any."""
        if not (
            isinstance(self._coordinator.client, KnowsCallRecords)
            and old.status is _RINGING
            and old.direction is CallDirection.INBOUND
        ):
            return False
        since = self._ring_seen.pop(extension_id, None) or dt_util.utcnow()
        self._stopped_rings[extension_id] = _StoppedRing(since, old.remote_number, data)
        return True

    def waiting(self) -> list[list[Any]]:
        """The rings still waiting for the records, JSON-ready: the cache keeps them."""
        return [
            [extension_id, ring.since.isoformat(), ring.remote, ring.data]
            for extension_id, ring in self._stopped_rings.items()
        ]

    def restore(self, saved: Any) -> None:
        """Take back the rings ``waiting`` gave before a restart; damaged ones are skipped."""
        if not isinstance(saved, list):
            return
        oldest = dt_util.utcnow() - RESTORE_MAX_AGE
        for item in saved[:RESTORE_MAX_RINGS]:
            if (restored := _restored_ring(item)) is None:
                continue
            extension_id, ring = restored
            if ring.since >= oldest:
                self._stopped_rings[extension_id] = ring
            else:
                LOGGER.debug("A ring of %s rang too long ago to be checked now", extension_id)

    def due_ring(self) -> tuple[str, _StoppedRing] | None:
        """The stopped ring to check in this slot, if one is due and polling may send."""
        now = time.monotonic()
        for extension_id, ring in self._stopped_rings.items():
            if ring.next_try <= now:
                return (extension_id, ring) if self._coordinator.budget.poll_allowed() else None
        return None

    async def async_verify_ring(self, extension_id: str, ring: _StoppedRing) -> None:
        """One read of the records; the event once they tell, or "ended" after a few tries."""
        records = await self._async_call_records(extension_id, ring.since)
        if records is None:
            return  # our budget said wait: this was no try
        record = self._record_for(records, ring)
        ring.tries += 1
        if record is None and ring.tries < VERIFY_TRIES:
            ring.next_try = time.monotonic() + VERIFY_RETRY
            return
        del self._stopped_rings[extension_id]
        self._fire_ring_outcome(extension_id, ring, record)

    async def _async_call_records(
        self, extension_id: str, since: datetime
    ) -> list[CallRecord] | None:
        """The records as a polling request (never the action reserve); [] if they failed."""
        coordinator = self._coordinator
        assert isinstance(coordinator.client, KnowsCallRecords)
        try:
            with coordinator.quota_watch(), coordinator.budget.polling():
                return await coordinator.client.async_calls_since(
                    extension_id, since - RECORD_SLACK
                )
        except BudgetExhausted:
            return None
        except ProviderError as err:
            LOGGER.debug("Reading the call records of %s failed: %s", extension_id, err)
            return []

    def _record_for(self, records: list[CallRecord], ring: _StoppedRing) -> CallRecord | None:
        """The newest inbound record from the ringing number not handled before."""
        found = [
            record
            for record in records
            if record.direction is not CallDirection.OUTBOUND
            and not self._seen_before(_record_key(record))
            and _same_number(record.from_number, ring.remote)
        ]
        return max(found, key=_record_start) if found else None

    @callback
    def _fire_ring_outcome(
        self, extension_id: str, ring: _StoppedRing, record: CallRecord | None
    ) -> None:
        """Missed, answered then ended, or (records silent) ended as polling saw it."""
        caller = {key: value for key, value in ring.data.items() if key != "duration"}
        if record is not None:
            self._remember(_record_key(record))
        if record is None or record.answered is None:
            events = [("ended", ring.data)]
        elif record.answered:
            events = [("answered", caller), ("ended", caller | {"duration": str(record.duration)})]
        else:
            events = [("missed", caller)]
        for kind, data in events:
            self._coordinator.async_device_event(Target.EXTENSION, extension_id, kind, data)


def _restored_ring(item: Any) -> tuple[str, _StoppedRing] | None:
    """One saved ring, or None when it is not what ``CallEvents.waiting`` wrote."""
    if not isinstance(item, list) or len(item) != 4:
        return None
    extension_id, since, remote, data = item
    if not (
        isinstance(extension_id, str)
        and isinstance(since, str)
        and (remote is None or isinstance(remote, str))
        and isinstance(data, dict)
        and all(isinstance(key, str) and isinstance(value, str) for key, value in data.items())
    ):
        return None
    try:
        started = datetime.fromisoformat(since)
    except ValueError:
        return None
    if started.tzinfo is None:
        return None
    return extension_id, _StoppedRing(started, remote, data)


def caller(data: AccountData, remote: str, region: str) -> dict[str, str]:
    """The other party of a call, for events and the current-call sensor.

    An extension goes by its name; a number is in E.164 where it parses, with the name the
    provider's phonebook gives it (``data.contacts``, keyed the same way), if any.
    """
    if extension := data.extensions.get(remote):
        return {"number": remote, "name": extension.name}
    try:
        number = e164(parse_own_number(remote, region))
    except InvalidRequest:
        number = remote
    if name := data.contacts.get(number):
        return {"number": number, "name": name}
    return {"number": number}


def _record_key(record: CallRecord) -> str:
    """The dedup key of a call record (kept with the pushed events' keys)."""
    return f"cdr|{record.uid}"


def _record_start(record: CallRecord) -> datetime:
    return record.start or datetime.min.replace(tzinfo=UTC)


def _same_number(record_number: str, ringing: str | None) -> bool:
    """Whether a record's caller is the one seen ringing; unknown on either side matches.

    The live status and the records may write a number differently (031..., 31..., +31...):
    the last digits agree.
    """
    ours = re.sub(r"[^0-9]", "", ringing or "")
    theirs = re.sub(r"[^0-9]", "", record_number)
    if not ours or not theirs:
        return True
    return ours[-SAME_NUMBER_DIGITS:] == theirs[-SAME_NUMBER_DIGITS:]
