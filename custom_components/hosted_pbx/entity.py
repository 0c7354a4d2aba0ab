"""Base entity: devices per extension, number and queue, linked to the account."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, PROVIDER_NAMES
from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator


class Target(StrEnum):
    """What a device stands for; part of its identifier."""

    ACCOUNT = "account"
    EXTENSION = "extension"
    NUMBER = "number"
    QUEUE = "queue"


def device_identifier(account_id: str, target: Target, target_id: str) -> tuple[str, str]:
    """The device registry identifier; actions parse it back with ``parse_identifier``."""
    if target is Target.ACCOUNT:
        return (DOMAIN, account_id)
    return (DOMAIN, f"{account_id}|{target}|{target_id}")


def parse_identifier(identifier: str) -> tuple[Target, str] | None:
    """The target and its id from a device identifier (None for the account device)."""
    parts = identifier.rsplit("|", 2)
    if len(parts) != 3 or parts[1] not in Target.__members__.values():
        return None
    return Target(parts[1]), parts[2]


# Device models double as filters of the action's device selectors (services.yaml).
MODELS = {
    Target.ACCOUNT: "Account",
    Target.EXTENSION: "Extension",
    Target.NUMBER: "Phone number",
    Target.QUEUE: "Queue",
}


@callback
def async_remove_stale_devices(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> None:
    """Remove devices of extensions, queues and numbers that left the account."""
    coordinator = entry.runtime_data.coordinator
    data, account = coordinator.data, coordinator.client.account_id
    current = {device_identifier(account, Target.ACCOUNT, account)}
    for target, ids in (
        (Target.EXTENSION, data.extensions),
        (Target.QUEUE, data.queues),
        (Target.NUMBER, data.numbers),
    ):
        current |= {device_identifier(account, target, target_id) for target_id in ids}
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & current:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


class HostedPbxEntity(CoordinatorEntity[HostedPbxCoordinator]):
    """An entity of one extension, number, queue or the account itself."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: HostedPbxCoordinator,
        description: EntityDescription,
        target: Target,
        target_id: str,
    ) -> None:
        """Attach the entity to its device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.target = target
        self.target_id = target_id
        account = coordinator.client.account_id
        self._attr_unique_id = f"{account}|{target}|{target_id}|{description.key}"
        self._attr_device_info = self._device_info(account)

    def _device_info(self, account: str) -> DeviceInfo:
        info = DeviceInfo(
            identifiers={device_identifier(account, self.target, self.target_id)},
            manufacturer=PROVIDER_NAMES[self.coordinator.client.key],
        )
        if self.target is Target.ACCOUNT:
            return info | DeviceInfo(name=account, model=MODELS[self.target])
        data = self.coordinator.data
        if self.target is Target.EXTENSION:
            extension = data.extensions.get(self.target_id)
            name = extension.name if extension else self.target_id
            return info | DeviceInfo(name=name, model=MODELS[self.target], model_id=self.target_id)
        if self.target is Target.QUEUE:
            queue = data.queues.get(self.target_id)
            name = queue.name if queue else self.target_id
            return info | DeviceInfo(name=name, model=MODELS[self.target], model_id=self.target_id)
        return info | DeviceInfo(name=f"+{self.target_id}", model=MODELS[self.target])

    async def async_added_to_hass(self) -> None:
        """Hang the device under the account's device.

        Set on the registry rather than through ``DeviceInfo(via_device=...)``, which newer
        Home Assistant releases deprecate.
        """
        await super().async_added_to_hass()
        account_device = self.coordinator.config_entry.runtime_data.account_device_id
        device = self.device_entry
        if device and account_device not in (device.id, device.via_device_id):
            dr.async_get(self.hass).async_update_device(device.id, via_device_id=account_device)

    @property
    def available(self) -> bool:
        """Unavailable when polling fails or the thing left the account."""
        return super().available and self.target_id in self._targets()

    def _targets(self) -> set[str]:
        data = self.coordinator.data
        if self.target is Target.EXTENSION:
            return set(data.extensions)
        if self.target is Target.QUEUE:
            return set(data.queues)
        if self.target is Target.NUMBER:
            return set(data.numbers)
        return {self.target_id}


def async_add_entities_as_found(
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    new_entities: Callable[[set[str]], Sequence[Entity]],
) -> None:
    """Add entities now and whenever polling finds new extensions, queues or switches.

    ``new_entities`` gets the ids it already returned and adds the ones it returns now.
    """
    known: set[str] = set()
    async_add_entities(new_entities(known))

    @callback
    def _add_new() -> None:
        if entities := new_entities(known):
            async_add_entities(entities)

    entry.async_on_unload(entry.runtime_data.coordinator.async_add_listener(_add_new))
