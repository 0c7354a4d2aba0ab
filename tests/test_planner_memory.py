"""What the polling planner learned survives a restart (issue 14).

Busy phones, busy hours and call lengths are learned over days; the entry's cache keeps
them, so a restart (an update, a reload) does not start that learning again. Through
Home Assistant and real HTTP against the VdB simulator; only time moves.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.const import DOMAIN
from simulator.vdb import VdbSimulator

from .helpers import entity_id, run_for

ACCOUNT = "info@example.nl"


@pytest.fixture
def vdb_sim_options() -> dict[str, int]:
    """Two phones: 1201 takes the calls, 1202 none."""
    return {"extensions": 2, "queues": 0, "numbers": 1}


async def _until_shown(hass: HomeAssistant, freezer: FrozenDateTimeFactory, status: str) -> None:
    sensor = entity_id(hass, ACCOUNT, "extension", "1201", "extension_status")
    for _ in range(60):
        if (state := hass.states.get(sensor)) is not None and state.state == status:
            return
        await run_for(hass, freezer, 3)
    raise AssertionError(f"1201 never showed {status}")


async def _calls_on_1201(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: VdbSimulator
) -> None:
    """A busy quarter of an hour: 1201 takes four calls of two minutes."""
    await run_for(hass, freezer, 60, step=3)
    for _ in range(4):
        sim.set_live_call("1201", direction="in", state="Up")
        await _until_shown(hass, freezer, "in_call")
        await run_for(hass, freezer, 120, step=3)
        sim.clear_live_call("1201")
        await _until_shown(hass, freezer, "idle")


def _status_reads(sim: VdbSimulator, since: int) -> Counter[str]:
    return Counter(
        request["N"] for request in sim.request_log[since:] if request["C"] == "live_call"
    )


@pytest.mark.parametrize("memory_kept", [True, False], ids=["kept", "lost"])
async def test_a_busy_phone_stays_busy_across_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    memory_kept: bool,
) -> None:
    await _calls_on_1201(hass, freezer, vdb_sim)
    assert await hass.config_entries.async_unload(loaded_vdb.entry_id)
    await hass.async_block_till_done()
    cache = hass_storage[f"{DOMAIN}.{loaded_vdb.entry_id}.cache"]["data"]
    assert sum(cache["planner"]["hours"]) == 4  # four calls seen start
    if not memory_kept:
        del cache["planner"]  # as a cache written by an earlier version
    assert await hass.config_entries.async_setup(loaded_vdb.entry_id)
    await hass.async_block_till_done()
    since = len(vdb_sim.request_log)
    await run_for(hass, freezer, 1200, step=3)  # both phones idle all along
    reads = _status_reads(vdb_sim, since)
    if memory_kept:
        # The phone that was busy before the restart is still read more often.
        assert reads["1201"] > 1.5 * reads["1202"]
    else:
        assert abs(reads["1201"] - reads["1202"]) <= 1
    assert vdb_sim.quota.violations == 0
