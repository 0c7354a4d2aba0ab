"""Event entities: calls on each extension, texts received on each number.

Automations pick them in the UI ("When Toestel 1 rings") without templates. They are fed
by pushes where the provider has them and by the status transitions polling sees. The
``hosted_pbx_call`` bus event stays for existing automations.
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target
from .entity import HostedPbxEntity, async_add_entities_as_found

PARALLEL_UPDATES = 0

CALLS = EventEntityDescription(
    key="calls",
    translation_key="calls",
    event_types=["incoming_call", "answered", "missed", "ended"],
)
TEXTS = EventEntityDescription(
    key="texts",
    translation_key="texts",
    event_types=["sms_received"],
)


class DeviceEventEntity(HostedPbxEntity, EventEntity):
    """The latest call or text event of one extension or number."""

    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator's events for this device."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self.coordinator.event_signal, self._on_event)
        )

    @callback
    def _on_event(self, target: str, target_id: str, kind: str, data: dict[str, str]) -> None:
        if target != self.target or target_id != self.target_id:
            return
        if kind not in self.event_types:
            return
        self._trigger_event(kind, data)
        self.async_write_ha_state()


def _new_events(coordinator: HostedPbxCoordinator, known: set[str]) -> list[DeviceEventEntity]:
    data = coordinator.data
    entities = [
        DeviceEventEntity(
            coordinator, description=CALLS, target=Target.EXTENSION, target_id=extension
        )
        for extension in data.extensions
    ]
    if coordinator.spec.receives_sms:
        entities += [
            DeviceEventEntity(
                coordinator, description=TEXTS, target=Target.NUMBER, target_id=number.number
            )
            for number in data.numbers.values()
            if number.sms_enabled
        ]
    return [entity for entity in entities if entity.unique_id not in known]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Event entities for every extension, and every number that receives texts."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities_as_found(
        entry, async_add_entities, lambda known: _new_events(coordinator, known)
    )
