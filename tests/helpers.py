"""Helpers for moving simulated time and finding entities."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.hosted_pbx.const import DOMAIN


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move time forward and let Home Assistant run everything that became due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    # Polling runs as a background task doing real HTTP: wait for it, or the next tick
    # would move time under an open request.
    await hass.async_block_till_done(wait_background_tasks=True)


async def run_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 1.0
) -> None:
    """Advance in steps so every polling slot in ``seconds`` runs."""
    elapsed = 0.0
    while elapsed < seconds:
        await advance(hass, freezer, step)
        elapsed += step


def entity_id(hass: HomeAssistant, account: str, target: str, target_id: str, key: str) -> str:
    """The entity id of one of our entities, found through its unique id."""
    found = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{account}|{target}|{target_id}|{key}"
    )
    assert found is not None, f"no entity for {target} {target_id} {key}"
    return found


def device_id(hass: HomeAssistant, account: str, target: str, target_id: str) -> str:
    """The device id of an extension, number or queue."""
    return find_device(hass, (DOMAIN, f"{account}|{target}|{target_id}"))


def find_device(hass: HomeAssistant, identifier: tuple[str, str]) -> str:
    """A device id by identifier (works on every Home Assistant release we support)."""
    registry = dr.async_get(hass)
    found = [
        device.id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if identifier in device.identifiers
    ]
    assert len(found) == 1, f"{len(found)} devices for {identifier}"
    return found[0]
