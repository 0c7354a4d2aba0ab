"""Buttons: hang up the call in progress, for providers that can end a call."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import HangsUp
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import targets
from .entity import HostedPbxEntity, async_add_entities_as_found
from .errors import provider_errors

# A hang-up is a request or two within the account's budget: one at a time.
PARALLEL_UPDATES = 1

HANG_UP = ButtonEntityDescription(key="hang_up", translation_key="hang_up")


class HangUpButton(HostedPbxEntity, ButtonEntity):
    """Ends the active call of the device (the same as the hang_up action)."""

    @provider_errors
    async def async_press(self) -> None:
        """Hang up at the provider, then show what polling finds."""
        client = self.coordinator.client
        assert isinstance(client, HangsUp)  # only such providers get this button
        with self.coordinator.quota_watch():
            await client.async_hang_up(self.target_id)
        await self.coordinator.async_request_refresh()


def _new_buttons(coordinator: HostedPbxCoordinator, known: set[str]) -> list[HangUpButton]:
    source = coordinator.spec.call_source
    entities = [
        HangUpButton(coordinator, description=HANG_UP, target=source, target_id=target_id)
        for target_id in targets(coordinator.data)[source]
    ]
    return [entity for entity in entities if entity.unique_id not in known]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A hang-up button per device calls are placed from, where the provider can hang up."""
    coordinator = entry.runtime_data.coordinator
    if not isinstance(coordinator.client, HangsUp):
        return
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_buttons(coordinator, known)
    )
