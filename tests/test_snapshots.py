"""Snapshots of every entity (registry entry and state), as Home Assistant core tests do."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from simulator.vdb import VdbSimulator

from .helpers import run_for


async def test_vdb_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    vdb_sim.set_live_call("1201", direction="in", state="Up", remote="31612345678")
    vdb_sim.add_queue_caller(next(iter(vdb_sim.queues)), "0612345678")
    await run_for(hass, freezer, 120, step=5)
    await snapshot_platform(hass, entity_registry, snapshot, loaded_vdb.entry_id)
