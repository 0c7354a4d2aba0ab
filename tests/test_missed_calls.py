"""A ring that stops: the provider's call records say "missed" or "answered" (issue 13).

Through Home Assistant and real HTTP against the VdB simulator; only time moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from hypothesis import given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.call_events import CallEvents
from custom_components.hosted_pbx.const import DOMAIN
from simulator.common import Fault
from simulator.vdb import VdbSimulator

from .helpers import run_for
from .strategies import json_values

ACCOUNT = "info@example.nl"
CALLER = "31612345678"


@pytest.fixture
def vdb_sim_options() -> dict[str, int]:
    """One phone: every polling slot can read it, so the tests know when it is read."""
    return {"extensions": 1, "queues": 0, "numbers": 1}


class Events:
    """Every event the extension's event entity shows, in order."""

    def __init__(self, hass: HomeAssistant) -> None:
        found = er.async_get(hass).async_get_entity_id(
            "event", DOMAIN, f"{ACCOUNT}|extension|1201|calls"
        )
        assert found is not None
        self.entity_id = found
        self.seen: list[dict[str, Any]] = []
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event[Any]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] != self.entity_id or new is None:
            return
        if new.attributes.get("event_type"):
            self.seen.append(dict(new.attributes))

    @property
    def kinds(self) -> list[str]:
        return [attributes["event_type"] for attributes in self.seen]

    async def until(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, kind: str) -> None:
        """Run polling slots until the entity shows ``kind``."""
        for _ in range(40):
            if kind in self.kinds:
                return
            await run_for(hass, freezer, 3)
        raise AssertionError(f"never {kind}; saw {self.kinds}")


async def _ring(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: VdbSimulator, events: Events
) -> None:
    """After the first reads settle, 1201 rings until Home Assistant shows it."""
    await run_for(hass, freezer, 30, step=3)
    sim.set_live_call("1201", direction="in", state="Ringing", remote=CALLER)
    await events.until(hass, freezer, "incoming_call")


async def _stop_ring(hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: VdbSimulator) -> int:
    """The ring stops; return once polling saw it (the records read is still to come).

    Returns how many commands the simulator had received when the ring stopped.
    """
    sim.clear_live_call("1201")
    cleared = len(sim.commands)
    while "live_call" not in sim.commands[cleared:]:
        await run_for(hass, freezer, 1)
    return cleared


async def test_a_ring_that_stops_unanswered_is_missed(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    vdb_sim.clear_live_call("1201")
    await events.until(hass, freezer, "missed")
    await run_for(hass, freezer, 120, step=3)  # nothing follows
    assert events.kinds == ["incoming_call", "missed"]
    missed = events.seen[-1]
    assert missed["direction"] == "inbound"
    assert missed["number"] == "+31612345678"
    assert "cdr_extension" in vdb_sim.commands


async def test_a_ring_answered_between_two_polls_is_answered_then_ended(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    vdb_sim.set_live_call("1201", direction="in", state="Up", remote=CALLER)
    freezer.tick(timedelta(seconds=45))  # a 45 s talk no poll sees
    vdb_sim.clear_live_call("1201")
    await events.until(hass, freezer, "ended")
    await run_for(hass, freezer, 120, step=3)
    assert events.kinds == ["incoming_call", "answered", "ended"]
    answered, ended = events.seen[1:]
    assert answered["number"] == ended["number"] == "+31612345678"
    assert ended["direction"] == "inbound"
    assert ended["duration"] == "45"


async def test_the_records_read_is_a_polling_slot_within_the_budget(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    budget = loaded_vdb.runtime_data.coordinator.budget
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    vdb_sim.clear_live_call("1201")
    await events.until(hass, freezer, "missed")
    await run_for(hass, freezer, 30, step=3)
    # Every request went through the budget's gate, the records read included.
    assert budget.total_sent == len(vdb_sim.request_log)
    log = vdb_sim.request_log
    at = next(i for i, entry in enumerate(log) if entry["C"] == "cdr_extension")
    # It had a slot of its own: nothing else was sent within a slot either side of it.
    slot = budget.poll_interval
    assert log[at]["time"] - log[at - 1]["time"] >= slot - 1
    assert log[at + 1]["time"] - log[at]["time"] >= slot - 1
    # And polling never reached into the action reserve in any window.
    times = [entry["time"] for entry in log]
    for start in times:
        in_window = [t for t in times if start <= t < start + budget.quota.window]
        assert len(in_window) <= budget.poll_limit


async def test_the_records_wait_while_the_provider_pauses_the_account(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    budget = loaded_vdb.runtime_data.coordinator.budget
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    cleared = await _stop_ring(hass, freezer, vdb_sim)
    vdb_sim.fault = Fault.QUOTA  # the records read gets "too many"
    while len(vdb_sim.commands) == cleared + 1:
        await run_for(hass, freezer, 1)
    assert vdb_sim.commands[-1] == "cdr_extension"
    vdb_sim.fault = Fault.NONE
    refused = len(vdb_sim.commands)
    await run_for(hass, freezer, budget.blocked_for() - 2, step=3)
    assert len(vdb_sim.commands) == refused  # nothing at all while paused
    await events.until(hass, freezer, "missed")
    assert events.kinds == ["incoming_call", "missed"]
    assert vdb_sim.quota.violations == 0


async def test_a_record_fires_once_across_a_reload(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    vdb_sim.clear_live_call("1201")
    await events.until(hass, freezer, "missed")
    # The caller tries again at once, and Home Assistant restarts the entry meanwhile.
    vdb_sim.set_live_call("1201", direction="in", state="Ringing", remote=CALLER)
    assert await hass.config_entries.async_reload(loaded_vdb.entry_id)
    await hass.async_block_till_done()
    events.seen.clear()
    await run_for(hass, freezer, 30, step=3)  # seen ringing again after the reload
    vdb_sim.clear_live_call("1201")
    second = vdb_sim.cdrs.pop()  # the provider writes this record late
    await run_for(hass, freezer, 30, step=3)
    # The first call's record (same caller, ended a moment ago) is not taken for this one.
    assert "missed" not in events.kinds
    vdb_sim.cdrs.append(second)
    await events.until(hass, freezer, "missed")
    await run_for(hass, freezer, 120, step=3)
    assert events.kinds.count("missed") == 1
    assert "ended" not in events.kinds


async def test_a_ring_still_waiting_for_the_records_at_a_reload_is_checked_after_it(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    cleared = await _stop_ring(hass, freezer, vdb_sim)
    assert "cdr_extension" not in vdb_sim.commands[cleared:]  # the records read is next
    assert await hass.config_entries.async_reload(loaded_vdb.entry_id)
    await hass.async_block_till_done()
    # Nothing guessed at the unload (the event entity only shows its last event again).
    assert set(events.kinds) == {"incoming_call"}
    events.seen.clear()
    await events.until(hass, freezer, "missed")
    await run_for(hass, freezer, 120, step=3)
    assert events.kinds == ["missed"]
    assert events.seen[0]["number"] == "+31612345678"
    assert vdb_sim.quota.violations == 0


async def test_a_ring_from_before_a_long_stop_is_let_go(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = Events(hass)
    await _ring(hass, freezer, vdb_sim, events)
    await _stop_ring(hass, freezer, vdb_sim)
    assert await hass.config_entries.async_unload(loaded_vdb.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=30))  # Home Assistant was down for half an hour
    assert await hass.config_entries.async_setup(loaded_vdb.entry_id)
    await hass.async_block_till_done()
    restarted = len(vdb_sim.commands)
    events.seen.clear()
    await run_for(hass, freezer, 180, step=3)
    # A "missed" half an hour late would set off automations as if it were now.
    assert "missed" not in events.kinds
    assert "ended" not in events.kinds
    assert "cdr_extension" not in vdb_sim.commands[restarted:]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(json_values | st.lists(json_values, min_size=4, max_size=4), max_size=5) | json_values
)
def test_damaged_saved_rings_are_skipped(saved: Any) -> None:
    """Junk where the cache keeps waiting rings never raises; what is taken is a ring."""
    events = CallEvents(cast(Any, None), lambda _key: False, lambda _key: None)
    events.restore(saved)
    for extension_id, since, remote, data in events.waiting():
        assert isinstance(extension_id, str)
        assert datetime.fromisoformat(since).tzinfo is not None
        assert remote is None or isinstance(remote, str)
        assert all(isinstance(value, str) for value in data.values())


def test_saved_rings_round_trip() -> None:
    now = dt_util.utcnow().replace(microsecond=0)
    saved = [["1201", now.isoformat(), "31612345678", {"direction": "inbound", "number": "+3161"}]]
    events = CallEvents(cast(Any, None), lambda _key: False, lambda _key: None)
    events.restore(saved)
    assert events.waiting() == saved
