"""Devices: what each one stands for, its identifier, the account device, and stale ones.

A device is identified by the account id, what it stands for and the provider's id of
it, so the same extension always gets the same device (and automations keep working)
whatever happens in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations

from .api.errors import InvalidRequest
from .api.models import AccountData
from .api.phone import parse_own_number, readable
from .const import DOMAIN, LOGGER

# A device the provider no longer lists is removed only when two structure reads at
# least this far apart both leave it out: one odd answer never costs a user's settings.
REMOVE_AFTER = 3600.0


class Target(StrEnum):
    """What a device stands for; part of its identifier."""

    ACCOUNT = "account"
    EXTENSION = "extension"
    NUMBER = "number"
    QUEUE = "queue"
    MAILBOX = "mailbox"


# The key of each device model's text in strings.json ("device" section). The models
# are also what the actions' device selectors filter on: services.yaml lists each model
# in every language we ship (a test checks it), since a model id would show on the device
# page as "Toestel (extension)".
MODEL_KEYS = {
    Target.ACCOUNT: "account",
    Target.EXTENSION: "extension",
    Target.NUMBER: "phone_number",
    Target.QUEUE: "queue",
    Target.MAILBOX: "voicemail",
}
# The longest provider id worth showing beside the model ("Toestel (1201)"): an opaque one
# (VOIPZeker's "R3286091...") tells a person nothing.
SHOWN_ID_LENGTH = 12
# English models, used where the translations lack one.
MODELS = {
    Target.ACCOUNT: "Account",
    Target.EXTENSION: "Extension",
    Target.NUMBER: "Phone number",
    Target.QUEUE: "Queue",
    Target.MAILBOX: "Voicemail",
}


async def async_model_names(hass: HomeAssistant) -> dict[Target, str]:
    """The device models in Home Assistant's language.

    The device registry translates device names but not models, so the model is looked
    up here, once per setup: a changed language shows at the next setup.
    """
    texts = await async_get_translations(hass, hass.config.language, "device", {DOMAIN})
    return {
        target: texts.get(f"component.{DOMAIN}.device.{MODEL_KEYS[target]}.name") or english
        for target, english in MODELS.items()
    }


def shown_id(target: Target, target_id: str) -> str | None:
    """The provider's id for the device page, where it helps (an extension's "1201")."""
    if target in (Target.ACCOUNT, Target.NUMBER) or len(target_id) > SHOWN_ID_LENGTH:
        return None  # the account and numbers are named by it already
    return target_id


def device_identifier(account_id: str, target: Target, target_id: str) -> tuple[str, str]:
    """The device registry identifier; actions parse it back with ``parse_identifier``."""
    if target is Target.ACCOUNT:
        return (DOMAIN, account_id)
    return (DOMAIN, f"{account_id}|{target}|{target_id}")


def parse_identifier(identifier: str) -> tuple[str, Target, str] | None:
    """Account id, target and target id of a device identifier (None for an account)."""
    parts = identifier.rsplit("|", 2)
    if len(parts) != 3 or parts[1] not in Target.__members__.values():
        return None
    return parts[0], Target(parts[1]), parts[2]


def format_own_number(number: str, region: str) -> str:
    """One of the account's numbers, international and readable (``+31 20 123 4567``)."""
    try:
        return readable(parse_own_number(number, region))
    except InvalidRequest:
        return number


def targets(data: AccountData) -> dict[Target, Mapping[str, object]]:
    """The provider's current ids per kind of device."""
    return {
        Target.EXTENSION: data.extensions,
        Target.NUMBER: data.numbers,
        Target.QUEUE: data.queues,
        Target.MAILBOX: data.mailboxes,
    }


@callback
def async_devices_by_identifier(
    hass: HomeAssistant, entry_id: str
) -> dict[tuple[str, str], dr.DeviceEntry]:
    """An entry's devices by identifier.

    The registry's own lookup by identifiers is deprecated on current releases and its
    replacement does not exist on the oldest we support; this works on both.
    """
    return {
        identifier: device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
        for identifier in device.identifiers
    }


@callback
def async_account_device(
    hass: HomeAssistant,
    entry: ConfigEntry,
    account_id: str,
    name: str,
    manufacturer: str,
    models: Mapping[Target, str],
) -> dr.DeviceEntry:
    """The account's own device, parent of all others; ``models`` from ``async_model_names``."""
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={device_identifier(account_id, Target.ACCOUNT, account_id)},
        manufacturer=manufacturer,
        model=models[Target.ACCOUNT],
        name=name,
    )


@callback
def async_ensure_devices(
    hass: HomeAssistant,
    entry: ConfigEntry,
    data: AccountData,
    account: tuple[str, str, str],
    known: set[tuple[str, str]],
    region: str,
    models: Mapping[Target, str],
) -> None:
    """A device for every extension, number, queue and mailbox, even one without entities.

    Actions address devices (a number to text from), so a number needs its device whether
    or not the provider reports anything about it. ``account`` is (account id, account
    device id, manufacturer); ``known`` holds the identifiers already made.
    """
    account_id, account_device_id, manufacturer = account
    registry = dr.async_get(hass)
    for target, items in targets(data).items():
        for target_id, item in items.items():
            identifier = device_identifier(account_id, target, target_id)
            if identifier in known:
                continue
            device = registry.async_get_or_create(
                config_entry_id=entry.entry_id,
                identifiers={identifier},
                manufacturer=manufacturer,
                model=models[target],
                model_id=shown_id(target, target_id),
                name=format_own_number(target_id, region)
                if target is Target.NUMBER
                else str(getattr(item, "name", "") or target_id),
            )
            if device.via_device_id != account_device_id:
                # Linked through the registry: the DeviceInfo key differs between releases.
                registry.async_update_device(device.id, via_device_id=account_device_id)
            known.add(identifier)


@dataclass
class StaleDevices:
    """Removes devices of things that left the account, carefully.

    A device goes only when the provider left it out of two listings at least
    ``REMOVE_AFTER`` apart, and never because a listing came back empty while devices of
    that kind exist: an empty answer is more likely a fault than an empty office.
    """

    account_id: str
    absent_since: dict[tuple[str, str], float] = field(default_factory=dict)

    @callback
    def async_check(
        self, hass: HomeAssistant, entry: ConfigEntry, data: AccountData
    ) -> list[tuple[Target, str]]:
        """Remove what has been gone long enough; return the removed (target, id)s."""
        registry = dr.async_get(hass)
        now = time.time()
        removed: list[tuple[Target, str]] = []
        current = targets(data)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            for target, target_id, identifier in self._ours(device.identifiers):
                if target_id in current[target] or not current[target]:
                    self.absent_since.pop(identifier, None)
                    continue
                first = self.absent_since.setdefault(identifier, now)
                if now - first >= REMOVE_AFTER:
                    LOGGER.info("%s %s left the account: removing its device", target, target_id)
                    registry.async_remove_device(device.id)
                    self.absent_since.pop(identifier, None)
                    removed.append((target, target_id))
        return removed

    def _ours(
        self, identifiers: Iterable[tuple[str, str]]
    ) -> Iterable[tuple[Target, str, tuple[str, str]]]:
        for identifier in identifiers:
            if identifier[0] != DOMAIN:
                continue
            parsed = parse_identifier(identifier[1])
            if parsed is not None and parsed[0] == self.account_id:
                yield parsed[1], parsed[2], identifier
