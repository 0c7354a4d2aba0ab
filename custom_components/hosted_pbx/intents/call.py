"""The call intent: ring one of the user's phones, which then calls a number or contact."""

from __future__ import annotations

import re
from typing import Any, override

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, intent
import voluptuous as vol

from ..api import ClickToCall
from ..const import ATTR_DEVICE_ID, ATTR_NUMBER, DOMAIN, SERVICE_CLICK_TO_CALL
from .lookup import PhonebookEntry, SpokenDevice, devices_of, loaded_contacts, loaded_entries
from .matching import in_area_of, match_contacts, match_devices, slot_text
from .responses import error_response, failure_response, spoken_response
from .speech import request_language, say, spoken_names

INTENT_CALL = "HostedPbxCall"

SLOT_NUMBER = "number"
SLOT_SOURCE = "source"

# Words between the number and the phone to call from. Home Assistant's agent prefers
# the sentence with the fewest wildcards, so "call {number}" wins over "call {number}
# from {source}" and the number slot then holds both: the handler splits them again.
CONNECTORS: dict[str, tuple[str, ...]] = {
    "en": ("from", "on", "using", "with"),
    "nl": ("vanaf", "met", "via", "op"),
}


def _split_callee(language: str, text: str, contacts: list[PhonebookEntry]) -> tuple[str, str]:
    """``Jan vanaf de keuken`` as callee and source, when the part before is a contact.

    Without contacts to look at, as a number (``_split_source``).
    """
    if not contacts:
        return _split_source(language, text)
    if match_contacts(contacts, text):
        return text, ""
    words = text.split()
    for index in range(len(words) - 1, 0, -1):
        before = " ".join(words[:index])
        if words[index].casefold() in CONNECTORS[language] and match_contacts(contacts, before):
            return before, " ".join(words[index + 1 :])
    return text, ""


def _split_source(language: str, number: str) -> tuple[str, str]:
    """``0612345678 from Toestel 1`` as number and source; the number alone otherwise."""
    words = number.split()
    for index in range(len(words) - 1, 0, -1):
        before = " ".join(words[:index])
        if words[index].casefold() in CONNECTORS[language] and any(
            char.isdigit() for char in before
        ):
            return before, " ".join(words[index + 1 :])
    return number, ""


def _spoken_number(text: str) -> str:
    """``plus 31 6 ...`` as speech-to-text may write it: ``+31 6 ...``."""
    return re.sub(r"^(plus|\+)\s*", "+", text.strip(), flags=re.IGNORECASE)


class CallIntent(intent.IntentHandler):
    """Start a call: the extension rings, and calls the number once picked up."""

    intent_type = INTENT_CALL
    description = (
        "Starts a phone call through the hosted phone system (Hosted PBX): the chosen "
        "desk phone (extension) rings first and dials the number when picked up. "
        "Instead of a number, a contact name from the provider's phonebook works too. "
        "Use for requests like 'call 020 123 4567 from the kitchen phone' or "
        "'call Jan de Vries'."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """The number (or phonebook contact) to call and, optionally, the phone to call from."""
        return {
            vol.Required(
                SLOT_NUMBER,
                description="The phone number to call, as said or typed, or the name of a "
                "contact in the provider's phonebook (e.g. 'Jan de Vries')",
            ): cv.string,
            vol.Optional(
                SLOT_SOURCE,
                description="Name of the phone (extension) to call from; "
                "the first phone when left out",
            ): cv.string,
        }

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Pick the phone, start the call through the click_to_call action, say so."""
        hass = intent_obj.hass
        language = request_language(intent_obj)
        slots = self.async_validate_slots(intent_obj.slots)
        number = slot_text(slots, SLOT_NUMBER)
        said_source = slot_text(slots, SLOT_SOURCE)
        # Words without a digit may be a name in a provider's phonebook.
        contacts = [] if any(char.isdigit() for char in number) else loaded_contacts(hass)
        if not said_source:
            number, said_source = _split_callee(language, number, contacts)
        number = _spoken_number(number)
        if not number:
            return error_response(intent_obj, say(language, "no_number"))
        source = self._source(intent_obj, language, said_source)
        if isinstance(source, str):
            return error_response(intent_obj, source)
        called = number
        if found := match_contacts(contacts, number, source.entry.entry_id):
            if len(found) > 1:
                names = spoken_names(language, (contact.name for contact in found))
                return error_response(intent_obj, say(language, "ambiguous", names=names))
            called, number = found[0].name, found[0].numbers[0]
        try:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_CLICK_TO_CALL,
                {ATTR_DEVICE_ID: source.device.id, ATTR_NUMBER: number},
                blocking=True,
                return_response=True,
                context=intent_obj.context,
            )
        except HomeAssistantError as err:
            return await failure_response(intent_obj, language, err)
        response = spoken_response(
            intent_obj, say(language, "calling", number=called, source=source.name)
        )
        slots_spoken = {"number": number, "source": source.name}
        if called != number:
            slots_spoken["name"] = called
        response.async_set_speech_slots(slots_spoken)
        return response

    @staticmethod
    def _source(intent_obj: intent.Intent, language: str, said: str) -> SpokenDevice | str:
        """The phone to call from: the one named, else the one nearby, else the first.

        What to say instead when there is no such phone (or several).
        """
        hass = intent_obj.hass
        candidates = [
            device
            for entry in loaded_entries(hass)
            if isinstance(entry.runtime_data.coordinator.client, ClickToCall)
            for device in devices_of(hass, entry, entry.runtime_data.coordinator.spec.call_source)
        ]
        if not candidates:
            return say(language, "no_call_source")
        if not said:
            return in_area_of(hass, candidates, intent_obj.device_id) or candidates[0]
        matches = match_devices(hass, candidates, said)
        if not matches:
            return say(language, "no_such_phone", name=said)
        if len(matches) > 1:
            names = spoken_names(language, (device.name for device in matches))
            return say(language, "ambiguous", names=names)
        return matches[0]
