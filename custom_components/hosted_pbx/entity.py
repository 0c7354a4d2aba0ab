"""Base entity: devices per extension, number, queue and mailbox, linked to the account."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import override

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import HostedPbxConfigEntry, HostedPbxCoordinator
from .devices import Target, device_identifier, format_own_number, shown_id, targets


class HostedPbxEntity(CoordinatorEntity[HostedPbxCoordinator]):
    """An entity of one extension, number, queue, mailbox or the account itself."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: HostedPbxCoordinator,
        *,
        description: EntityDescription,
        target: Target,
        target_id: str,
        unique_part: str | None = None,
    ) -> None:
        """Attach the entity to its device.

        ``unique_part`` replaces the target id in the unique id where several entities of
        one key share a device (the account's switches); ids never change once given.
        """
        super().__init__(coordinator)
        self.entity_description = description
        self.target = target
        self.target_id = target_id
        part = target_id if unique_part is None else unique_part
        self._attr_unique_id = f"{coordinator.account_id}|{target}|{part}|{description.key}"
        self._attr_device_info = self._device_info()

    def _device_info(self) -> DeviceInfo:
        """Built in one call: on current releases DeviceInfo is not a dict to merge."""
        coordinator = self.coordinator
        identifier = device_identifier(coordinator.account_id, self.target, self.target_id)
        return DeviceInfo(
            identifiers={identifier},
            manufacturer=coordinator.spec.name,
            model=coordinator.config_entry.runtime_data.models[self.target],
            model_id=shown_id(self.target, self.target_id),
            name=self._device_name(),
        )

    def _device_name(self) -> str:
        data = self.coordinator.data
        if self.target is Target.ACCOUNT:
            return self.coordinator.account_name
        if self.target is Target.NUMBER:
            return format_own_number(self.target_id, self.coordinator.spec.region)
        item = targets(data).get(self.target, {}).get(self.target_id)
        return str(getattr(item, "name", "") or self.target_id)

    @override
    async def async_added_to_hass(self) -> None:
        """Hang the device under the account's device.

        Set on the registry rather than through ``DeviceInfo``: the key for it differs
        between the releases we support (``via_device`` / ``via_device_id``).
        """
        await super().async_added_to_hass()
        account_device = self.coordinator.config_entry.runtime_data.account_device_id
        device = self.device_entry
        if isinstance(device, dr.DeviceEntry) and account_device not in (
            device.id,
            device.via_device_id,
        ):
            dr.async_get(self.hass).async_update_device(device.id, via_device_id=account_device)

    @property
    @override
    def available(self) -> bool:
        """Unavailable when polling fails or the thing is not (yet) listed."""
        if not super().available:
            return False
        if self.target is Target.ACCOUNT:
            return True
        return self.target_id in targets(self.coordinator.data)[self.target]


def async_add_entities_as_found(
    entry: HostedPbxConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    new_entities: Callable[[set[str]], Sequence[Entity]],
) -> None:
    """Add entities now and whenever polling finds new extensions, queues or switches.

    ``new_entities`` gets the unique ids already added and skips those. Entities of a
    removed device are forgotten, so they are added again if the provider lists it again.
    """
    known: set[str] = set()
    coordinator = entry.runtime_data.coordinator
    seen_removals = len(coordinator.removed_devices)

    @callback
    def _add_new() -> None:
        nonlocal seen_removals
        for target, target_id in coordinator.removed_devices[seen_removals:]:
            prefix = f"{coordinator.account_id}|{target}|{target_id}|"
            known.difference_update({uid for uid in known if uid.startswith(prefix)})
        seen_removals = len(coordinator.removed_devices)
        if entities := new_entities(known):
            known.update(str(entity.unique_id) for entity in entities)
            async_add_entities(entities)

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))
