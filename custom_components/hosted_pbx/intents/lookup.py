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
class SpokenDevice:
    """One of the integration's devices of a loaded account."""

    entry: HostedPbxConfigEntry
    device: dr.DeviceEntry
    target: Target
    target_id: str

    @property
    def name(self) -> str:
        """The device's name as the user sees it (their own name first)."""
        return self.device.name_by_user or self.device.name or self.target_id


def loaded_entries(hass: HomeAssistant) -> list[HostedPbxConfigEntry]:
    """The loaded entries of this integration (others have no data to answer from)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def entities_by_device(
    hass: HomeAssistant, target: Target, platform: str, key: str
) -> dict[SpokenDevice, str]:
    """Every loaded account's entity of one key, by the device it belongs to."""
    return {
        device: entity_id
        for entry in loaded_entries(hass)
        for device in devices_of(hass, entry, target)
        if (entity_id := entity_of(hass, device, platform, key))
    }


def devices_of(
    hass: HomeAssistant, entry: HostedPbxConfigEntry, target: Target
) -> list[SpokenDevice]:
    """The entry's devices of one kind, in the provider's order."""
    devices = async_devices_by_identifier(hass, entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    found: list[SpokenDevice] = []
    for target_id in targets(coordinator.data).get(target, {}):
        identifier = device_identifier(coordinator.account_id, target, target_id)
        if device := devices.get(identifier):
            found.append(SpokenDevice(entry, device, target, target_id))
    return found


def entity_of(hass: HomeAssistant, device: SpokenDevice, domain: str, key: str) -> str | None:
    """The entity of one translation key on a device."""
    for entity in er.async_entries_for_device(er.async_get(hass), device.device.id):
        if entity.domain == domain and entity.platform == DOMAIN and entity.translation_key == key:
            return entity.entity_id
    return None


@dataclass
class PhonebookEntry:
    """A name in the phonebook of a loaded account, with its numbers (E.164 where known)."""

    entry_id: str
    name: str
    numbers: list[str] = field(default_factory=list)


def loaded_contacts(hass: HomeAssistant) -> list[PhonebookEntry]:
    """The phonebooks of the loaded accounts: one contact per account and name."""
    found: dict[tuple[str, str], PhonebookEntry] = {}
    for entry in loaded_entries(hass):
        for number, name in entry.runtime_data.coordinator.data.contacts.items():
            contact = found.setdefault(
                (entry.entry_id, name.casefold()), PhonebookEntry(entry.entry_id, name)
            )
            contact.numbers.append(number)
    return list(found.values())
