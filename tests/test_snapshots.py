"""Snapshots of every entity (registry entry and state), as Home Assistant core tests do.

Registry entries are reduced to the fields this integration decides, so the same
snapshot holds on every release we test: newer releases add their own keys (and change
how entries serialise), which say nothing about our entities.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from simulator.vdb import VdbSimulator
from simulator.voipzeker import VoipzekerSimulator

from .helpers import run_for

# What our code sets on a registry entry.
ENTRY_FIELDS = (
    "entity_id",
    "unique_id",
    "platform",
    "translation_key",
    "original_device_class",
    "unit_of_measurement",
    "entity_category",
    "capabilities",
    "has_entity_name",
    "original_icon",
)


def _plain(value: Any) -> Any:
    """Enum keys and values as their strings: releases differ in which they store."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _entities(hass: HomeAssistant, registry: er.EntityRegistry, entry_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in sorted(er.async_entries_for_config_entry(registry, entry_id), key=str):
        state = hass.states.get(entry.entity_id)
        found[entry.entity_id] = {
            "entry": {field: _plain(getattr(entry, field, None)) for field in ENTRY_FIELDS},
            "state": None
            if state is None
            else {"state": state.state, "attributes": _plain(dict(state.attributes))},
        }
    return dict(sorted(found.items()))


async def test_vdb_entities(
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
    assert _entities(hass, entity_registry, loaded_vdb.entry_id) == snapshot


async def test_voipzeker_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await run_for(hass, freezer, 120, step=5)
    assert _entities(hass, entity_registry, loaded_zeker.entry_id) == snapshot
