"""What the user said, cleaned up and matched against device and contact names."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, device_registry as dr

from .lookup import PhonebookEntry, SpokenDevice

# Words people put around a name that are not part of it ("the kitchen phone").
_FILLER_WORDS = frozenset(
    {"the", "my", "phone", "extension", "queue", "de", "het", "mijn", "telefoon", "wachtrij"}
)
_PUNCTUATION = re.compile(r"[^\w+]+")


def _clean(text: str) -> str:
    """A slot's text without the punctuation speech-to-text adds around it."""
    return text.strip().strip(".?!,;:").strip()


def slot_text(slots: dict[str, Any], name: str) -> str:
    """A slot's text (what was said), or empty."""
    if (slot := slots.get(name)) is None:
        return ""
    value = slot.get("text") or slot.get("value")
    return _clean(str(value)) if value is not None else ""


def _words(text: str) -> tuple[str, ...]:
    return tuple(word for word in _PUNCTUATION.sub(" ", text.casefold()).split() if word)


def _key(text: str) -> tuple[str, ...]:
    """A name as compared: case, punctuation and filler words ignored."""
    words = _words(text)
    return tuple(word for word in words if word not in _FILLER_WORDS) or words


def _without_digits(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(word for word in words if not word.isdigit())


def _only_digits(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(word for word in words if word.isdigit())


def match_devices(
    hass: HomeAssistant, candidates: list[SpokenDevice], said: str
) -> list[SpokenDevice]:
    """The candidates called ``said``: by name, then the provider's id, then the area."""
    exact = [device for device in candidates if device.name.casefold() == said.casefold()]
    if exact:
        return exact
    wanted = _key(said)
    by_name = [device for device in candidates if _key(device.name) == wanted]
    if by_name:
        return by_name
    # Providers may put the short number in the name ("0201 Verkoop"): either part will do.
    by_part = [
        device
        for device in candidates
        if wanted in (_without_digits(_key(device.name)), _only_digits(_key(device.name)))
        or _key(device.target_id) == wanted
    ]
    if by_part:
        return by_part
    areas = ar.async_get(hass)
    return [
        device
        for device in candidates
        if device.device.area_id
        and (area := areas.async_get_area(device.device.area_id))
        and _key(area.name) == wanted
    ]


def in_area_of(
    hass: HomeAssistant, candidates: list[SpokenDevice], device_id: str | None
) -> SpokenDevice | None:
    """The one candidate in the same area as the device that heard the request."""
    if not device_id or not (satellite := dr.async_get(hass).async_get(device_id)):
        return None
    if not satellite.area_id:
        return None
    local = [device for device in candidates if device.device.area_id == satellite.area_id]
    return local[0] if len(local) == 1 else None


# A spoken word shorter than this is not taken as the start of a longer word in a name
# ("loodgieter" finds "Loodgietersbedrijf Smit"; "al" finds nothing by itself).
MIN_PREFIX = 4


def _words_of(spoken: tuple[str, ...], name: tuple[str, ...], *, prefix: bool) -> bool:
    """Every spoken word is a word of the name (or starts one, with ``prefix``), in order."""
    rest = iter(name)
    return all(
        any(
            word == said or (prefix and len(said) >= MIN_PREFIX and word.startswith(said))
            for word in rest
        )
        for said in spoken
    )


def match_contacts(
    contacts: list[PhonebookEntry], said: str, entry_id: str | None = None
) -> list[PhonebookEntry]:
    """The contacts called ``said``, one per name; only ``entry_id``'s if it has any.

    The best kind of match wins: the whole name, the name without filler words, some of its
    words ("Jan" for "Jan de Vries"), then the starts of its words ("loodgieter" for
    "Loodgietersbedrijf Smit"). A name found in several phonebooks counts once.
    """
    wanted = _key(said)
    if not wanted:
        return []
    tiers = (
        lambda contact: contact.name.casefold() == said.casefold(),
        lambda contact: _key(contact.name) == wanted,
        lambda contact: _words_of(wanted, _key(contact.name), prefix=False),
        lambda contact: _words_of(wanted, _key(contact.name), prefix=True),
    )
    for tier in tiers:
        matches = [contact for contact in contacts if tier(contact)]
        if not matches:
            continue
        own = [contact for contact in matches if contact.entry_id == entry_id]
        by_name: dict[str, PhonebookEntry] = {}
        for contact in own or matches:
            by_name.setdefault(contact.name.casefold(), contact)
        return list(by_name.values())
    return []
