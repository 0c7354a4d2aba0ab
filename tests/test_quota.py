"""The request budget through Home Assistant: the simulator's own count is the judge."""

from __future__ import annotations

from collections import Counter

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.const import DOMAIN
from simulator.common import Fault
from simulator.vdb import VdbSimulator

from .helpers import advance, device_id, entity_id, run_for

ACCOUNT = "info@example.nl"
TWO_HOURS = 2 * 3600


@pytest.fixture
def vdb_sim_options() -> dict[str, int]:
    """A busy office: 20 extensions and 3 queues."""
    return {"extensions": 20, "queues": 3, "numbers": 2}


async def _click_to_call(hass: HomeAssistant, device: str) -> None:
    await hass.services.async_call(
        DOMAIN, "click_to_call", {"device_id": device, "number": "0612345678"}, blocking=True
    )


async def test_two_hours_of_polling_and_actions_stay_within_quota(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    extension_device = device_id(hass, ACCOUNT, "extension", "1201")
    number_device = device_id(hass, ACCOUNT, "number", next(iter(vdb_sim.numbers)))
    budget = loaded_vdb.runtime_data.coordinator.budget
    actions = 0
    for second in range(TWO_HOURS):
        if second % 5 == 0:
            vdb_sim.tick()  # phones ring, callers queue up
        if second % 600 == 0:
            await _click_to_call(hass, extension_device)
            await hass.services.async_call(
                DOMAIN,
                "send_sms",
                {"device_id": number_device, "to": "0612345678", "message": "Test"},
                blocking=True,
            )
            actions += 2
        await advance(hass, freezer, 1)

    assert vdb_sim.quota.violations == 0
    assert len(vdb_sim.received) == actions  # every action got through
    reads = Counter(vdb_sim.commands)
    polls = sum(reads.values()) - actions
    # The polling share is spent, not wasted: at least 90 % of what the budget allows.
    assert polls >= 0.9 * TWO_HOURS / budget.poll_interval
    # Every extension and queue is refreshed, round-robin, each several times.
    assert reads["live_call"] >= 20 * 10
    assert reads["queue"] >= 3 * 5
    # Credit every 15 minutes at most, structure hourly.
    assert reads["number_list"] <= TWO_HOURS // 900 + 1
    assert reads["extension_list"] <= TWO_HOURS // 3600 + 1


async def test_actions_use_the_reserve_and_never_exceed_the_quota(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await run_for(hass, freezer, 300, step=5)  # polling has spent its share of the window
    budget = loaded_vdb.runtime_data.coordinator.budget
    assert budget.used() >= budget.poll_limit
    device = device_id(hass, ACCOUNT, "extension", "1201")
    while budget.used() < budget.limit:
        await _click_to_call(hass, device)
    sent = len(vdb_sim.commands)
    with pytest.raises(HomeAssistantError) as err:
        await _click_to_call(hass, device)
    assert err.value.translation_key == "quota"
    assert len(vdb_sim.commands) == sent  # refused here, never sent
    assert vdb_sim.quota.violations == 0


async def test_first_minute_after_setup_is_not_a_burst(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await run_for(hass, freezer, 60, step=1)
    # Three structure reads, then one read per slot: the share of a minute and no more.
    assert (
        len(vdb_sim.commands)
        <= 3 + 60 / loaded_vdb.runtime_data.coordinator.budget.poll_interval + 1
    )


async def test_quota_answer_stops_polling_until_the_window_passes(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = entity_id(hass, ACCOUNT, "extension", "1201", "extension_status")
    vdb_sim.fault = Fault.QUOTA
    await run_for(hass, freezer, 30, step=5)
    vdb_sim.fault = Fault.NONE
    refused_at = len(vdb_sim.commands)
    assert hass.states.get(status).state == STATE_UNAVAILABLE

    await run_for(hass, freezer, 290, step=5)
    assert len(vdb_sim.commands) == refused_at  # not one request into the window
    logged = [r for r in caplog.records if "request limit" in r.getMessage()]
    assert len(logged) == 1  # logged once, not per slot

    await run_for(hass, freezer, 60, step=5)
    assert len(vdb_sim.commands) > refused_at
    await run_for(hass, freezer, 300, step=5)
    assert hass.states.get(status).state != STATE_UNAVAILABLE
