"""What the intents can name: the devices and phonebook contacts of loaded accounts."""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from ..const import DOMAIN
from ..coordinator import HostedPbxConfigEntry
from ..devices import Target, async_devices_by_identifier, device_identifier, targets


@dataclass(frozen=True, eq=False)
class _Device:
    """One of the integration's devices of a loaded account."""

    entry: HostedPbxConfigEntry
    device: dr.DeviceEntry
    target: Target
    target_id: str

    @property
    def name(self) -> str:
        return self.device.name_by_user or self.device.name or self.target_id


def _loaded_entries(hass: HomeAssistant) -> list[HostedPbxConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def _entities_by_device(
    hass: HomeAssistant, target: Target, platform: str, key: str
) -> dict[_Device, str]:
    """Every loaded account's entity of one key, by the device it belongs to."""
    return {
        device: entity_id
        for entry in _loaded_entries(hass)
        for device in _devices(hass, entry, target)
        if (entity_id := _entity_id(hass, device, platform, key))
    }


def _devices(hass: HomeAssistant, entry: HostedPbxConfigEntry, target: Target) -> list[_Device]:
    """The entry's devices of one kind, in the provider's order."""
    devices = async_devices_by_identifier(hass, entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    found: list[_Device] = []
    for target_id in targets(coordinator.data).get(target, {}):
        identifier = device_identifier(coordinator.account_id, target, target_id)
        if device := devices.get(identifier):
            found.append(_Device(entry, device, target, target_id))
    return found


def _entity_id(hass: HomeAssistant, device: _Device, domain: str, key: str) -> str | None:
    """The entity of one translation key on a device."""
    for entity in er.async_entries_for_device(er.async_get(hass), device.device.id):
        if entity.domain == domain and entity.platform == DOMAIN and entity.translation_key == key:
            return entity.entity_id
    return None


@dataclass
class _Contact:
    """A name in the phonebook of a loaded account, with its numbers (E.164 where known)."""

    entry_id: str
    name: str
    numbers: list[str] = field(default_factory=list)


def _contacts(hass: HomeAssistant) -> list[_Contact]:
    """The phonebooks of the loaded accounts: one contact per account and name."""
    found: dict[tuple[str, str], _Contact] = {}
    for entry in _loaded_entries(hass):
        for number, name in entry.runtime_data.coordinator.data.contacts.items():
            contact = found.setdefault(
                (entry.entry_id, name.casefold()), _Contact(entry.entry_id, name)
            )
            contact.numbers.append(number)
    return list(found.values())
