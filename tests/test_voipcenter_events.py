"""VoipCenter's websocket add-on through Home Assistant: live call events (real clock).

Socket.IO runs on the wall clock, so these tests do not freeze time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.hosted_pbx.api.voipcenter import hash_password
from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN, EVENT_CALL
from custom_components.hosted_pbx.diagnostics import async_get_config_entry_diagnostics
from simulator.common import SimulatorServer
from simulator.voipcenter import API_PATH, VoipcenterSimulator


@pytest.fixture(autouse=True)
def frozen_start() -> None:
    """Not frozen here: Socket.IO's timers need the wall clock."""


@pytest.fixture
async def center(socket_enabled: None) -> AsyncIterator[tuple[VoipcenterSimulator, str]]:
    sim = VoipcenterSimulator()
    server = SimulatorServer(sim.app, API_PATH)
    url = await server.start()
    yield sim, url
    await server.stop()


def _entry(
    hass: HomeAssistant, sim: VoipcenterSimulator, url: str, ws_user: str
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="VoipCenter (123456)",
        unique_id=sim.customer_number,
        data={
            CONF_PROVIDER: "voipcenter",
            "api_id": sim.api_id,
            "api_key": sim.api_key,
            "customer_number": sim.customer_number,
            "password_hash": hash_password(sim.password),
            "websocket_user": ws_user,
            CONF_URL: url,
        },
    )
    entry.add_to_hass(hass)
    return entry


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_live_events_reach_the_bus_and_the_event_entity(
    hass: HomeAssistant, center: tuple[VoipcenterSimulator, str]
) -> None:
    sim, url = center
    entry = _entry(hass, sim, url, sim.ws_username)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await _until(lambda: len(sim.registered) == 1)
    events = async_capture_events(hass, EVENT_CALL)
    payload = {"callid": "c-1", "caller": "3250123456", "callee": "101", "status": "ringing"}
    assert await sim.emit_notify(payload) == 1
    await _until(lambda: len(events) == 1)
    assert events[0].data["caller"] == "3250123456"
    assert events[0].data["status"] == "ringing"
    await sim.emit_notify(payload)  # the same event again: one bus event
    await asyncio.sleep(0.3)
    assert len(events) == 1
    calls = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{sim.customer_number}|extension|101|calls"
    )
    assert calls is not None
    await _until(lambda: hass.states.get(calls).attributes.get("event_type") == "incoming_call")
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["push"] == "socket"
    assert sim.wskey not in repr(diagnostics)

    # The connection drops: the client reconnects and events flow again.
    await sim.drop_sockets()
    await _until(lambda: sim.registrations >= 2)
    await sim.emit_notify({"callid": "c-2", "status": "hangup", "callee": "101"})
    await _until(lambda: len(events) == 2)
    await _until(lambda: hass.states.get(calls).attributes.get("event_type") == "ended")
    # VoipCenter says itself when a call was missed: the event entity shows it.
    missed = {"callid": "c-3", "caller": "3250123456", "callee": "101", "status": "missed"}
    await sim.emit_notify(missed)
    await _until(lambda: hass.states.get(calls).attributes.get("event_type") == "missed")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await _until(lambda: not sim.registered)


async def test_without_the_add_on_it_polls_and_says_so(
    hass: HomeAssistant, center: tuple[VoipcenterSimulator, str]
) -> None:
    sim, url = center
    entry = _entry(hass, sim, url, "")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["push"] == "polling only (not configured)"
    assert sim.registered == set()
    assert await hass.config_entries.async_unload(entry.entry_id)
