"""Assist intents: call, do-not-disturb, credit and queue callers for this integration.

The handlers only look at the integration's own devices (extensions, numbers, queues of
loaded accounts), found by the name the user says. Sentences for Home Assistant's own
agent ship in ``custom_sentences/<language>/hosted_pbx.yaml`` at the repository root;
LLM agents use the handlers' descriptions and slot schemas directly.

Every answer, errors included, is speech in the language of the request (English or
Dutch): a failure is an error response with a short sentence, never an exception that
the default agent would turn into "an unexpected error occurred".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
import re
from typing import Any, override

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    intent,
    translation,
)
import voluptuous as vol

from .api import ClickToCall
from .const import ATTR_DEVICE_ID, ATTR_NUMBER, DOMAIN, SERVICE_CLICK_TO_CALL
from .coordinator import HostedPbxConfigEntry
from .devices import Target, async_devices_by_identifier, device_identifier, targets

INTENT_CALL = "HostedPbxCall"
INTENT_DO_NOT_DISTURB = "HostedPbxDoNotDisturb"
INTENT_CREDIT = "HostedPbxCredit"
INTENT_QUEUE = "HostedPbxQueue"

SLOT_NUMBER = "number"
SLOT_SOURCE = "source"
SLOT_EXTENSION = "extension"
SLOT_STATE = "state"
SLOT_QUEUE = "queue"

DEFAULT_LANGUAGE = "en"
# A question listing more phones than this names the first few and counts the rest.
MAX_NAMES_SPOKEN = 6

# Everything spoken, per language; placeholders are filled with str.format.
SPEECH: dict[str, dict[str, str]] = {
    "en": {
        "calling": "Calling {number} from {source}.",
        "no_number": "Which number should I call?",
        "no_call_source": "None of your phone accounts can start calls.",
        "no_such_phone": "I don't know a phone called {name}.",
        "ambiguous": "Which one do you mean: {names}?",
        "failed": "That did not work.",
        "dnd_on": "Do not disturb is on for {name}.",
        "dnd_off": "Do not disturb is off for {name}.",
        "no_dnd": "None of your phones has do not disturb.",
        "dnd_which": "For which phone: {names}?",
        "dnd_unavailable": "Do not disturb of {name} cannot be reached right now.",
        "credit_number": "{name} has {amount} {currency} credit.",
        "balance_account": "The balance of {name} is {amount} {currency}.",
        "no_credit": "No credit is known for your phone accounts.",
        "queue_none": "No callers are waiting in {name}.",
        "queue_one": "1 caller is waiting in {name}.",
        "queue_many": "{count} callers are waiting in {name}.",
        "queue_unknown": "I don't know how many callers are waiting in {name} right now.",
        "no_queues": "Your phone accounts have no queues.",
        "no_such_queue": "I don't know a queue called {name}.",
        "or": "or",
        "others": "{count} others",
    },
    "nl": {
        "calling": "Ik bel {number} vanaf {source}.",
        "no_number": "Welk nummer moet ik bellen?",
        "no_call_source": "Geen van je telefoonaccounts kan gesprekken starten.",
        "no_such_phone": "Ik ken geen toestel dat {name} heet.",
        "ambiguous": "Welke bedoel je: {names}?",
        "failed": "Dat is niet gelukt.",
        "dnd_on": "Niet storen staat aan op {name}.",
        "dnd_off": "Niet storen staat uit op {name}.",
        "no_dnd": "Geen van je toestellen heeft niet storen.",
        "dnd_which": "Op welk toestel: {names}?",
        "dnd_unavailable": "Niet storen van {name} is nu niet bereikbaar.",
        "credit_number": "{name} heeft {amount} {currency} tegoed.",
        "balance_account": "Het saldo van {name} is {amount} {currency}.",
        "no_credit": "Er is geen tegoed bekend voor je telefoonaccounts.",
        "queue_none": "Er wachten geen bellers in {name}.",
        "queue_one": "Er wacht 1 beller in {name}.",
        "queue_many": "Er wachten {count} bellers in {name}.",
        "queue_unknown": "Ik weet nu niet hoeveel bellers er in {name} wachten.",
        "no_queues": "Je telefoonaccounts hebben geen wachtrijen.",
        "no_such_queue": "Ik ken geen wachtrij die {name} heet.",
        "or": "of",
        "others": "{count} andere",
    },
}

# Words between the number and the phone to call from. Home Assistant's agent prefers
# the sentence with the fewest wildcards, so "call {number}" wins over "call {number}
# from {source}" and the number slot then holds both: the handler splits them again.
CONNECTORS: dict[str, tuple[str, ...]] = {
    "en": ("from", "on", "using", "with"),
    "nl": ("vanaf", "met", "via", "op"),
}

# Spoken currency names; other currencies are spoken as their code.
CURRENCIES: dict[str, dict[str, str]] = {
    "en": {"EUR": "euro", "CAD": "Canadian dollars", "USD": "US dollars"},
    "nl": {"EUR": "euro", "CAD": "Canadese dollar", "USD": "Amerikaanse dollar"},
}

# Words people put around a name that are not part of it ("the kitchen phone").
_FILLER_WORDS = frozenset(
    {"the", "my", "phone", "extension", "queue", "de", "het", "mijn", "telefoon", "wachtrij"}
)
_PUNCTUATION = re.compile(r"[^\w+]+")


def _language(intent_obj: intent.Intent) -> str:
    """``en`` or ``nl`` for ``nl-BE`` and the like; English otherwise."""
    base = (intent_obj.language or DEFAULT_LANGUAGE).split("-")[0].split("_")[0].lower()
    return base if base in SPEECH else DEFAULT_LANGUAGE


def _say(language: str, key: str, **placeholders: object) -> str:
    return SPEECH[language][key].format(**placeholders)


def _names(language: str, names: Iterable[str]) -> str:
    """``A, B or C``."""
    listed = list(names)
    if len(listed) > MAX_NAMES_SPOKEN:
        others = _say(language, "others", count=len(listed) - MAX_NAMES_SPOKEN + 1)
        listed = [*listed[: MAX_NAMES_SPOKEN - 1], others]
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} {SPEECH[language]['or']} {listed[-1]}"


def _clean(text: str) -> str:
    """A slot's text without the punctuation speech-to-text adds around it."""
    return text.strip().strip(".?!,;:").strip()


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


def _match(hass: HomeAssistant, candidates: list[_Device], said: str) -> list[_Device]:
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


def _in_area_of(
    hass: HomeAssistant, candidates: list[_Device], device_id: str | None
) -> _Device | None:
    """The one candidate in the same area as the device that heard the request."""
    if not device_id or not (satellite := dr.async_get(hass).async_get(device_id)):
        return None
    if not satellite.area_id:
        return None
    local = [device for device in candidates if device.device.area_id == satellite.area_id]
    return local[0] if len(local) == 1 else None


def _error(intent_obj: intent.Intent, text: str) -> intent.IntentResponse:
    response = intent_obj.create_response()
    response.async_set_error(intent.IntentResponseErrorCode.NO_VALID_TARGETS, text)
    return response


def _spoken(intent_obj: intent.Intent, text: str) -> intent.IntentResponse:
    response = intent_obj.create_response()
    response.async_set_speech(text)
    return response


async def _failure(
    intent_obj: intent.Intent, language: str, err: HomeAssistantError
) -> intent.IntentResponse:
    """A failed action as a spoken error, in the request's language where we can."""
    text = str(err)
    if err.translation_domain == DOMAIN and err.translation_key:
        messages = await translation.async_get_translations(
            intent_obj.hass, language, "exceptions", {DOMAIN}
        )
        message = messages.get(f"component.{DOMAIN}.exceptions.{err.translation_key}.message")
        if message:
            try:
                text = message.format(**(err.translation_placeholders or {}))
            except (KeyError, IndexError, ValueError):
                text = message
    response = intent_obj.create_response()
    response.async_set_error(
        intent.IntentResponseErrorCode.FAILED_TO_HANDLE, text or _say(language, "failed")
    )
    return response


def _slot(slots: dict[str, Any], name: str) -> str:
    """A slot's text (what was said), or empty."""
    if (slot := slots.get(name)) is None:
        return ""
    value = slot.get("text") or slot.get("value")
    return _clean(str(value)) if value is not None else ""


@dataclass
class _Contact:
    """A name in the phonebook of a loaded account, with its numbers (E.164 where known)."""

    entry_id: str
    name: str
    numbers: list[str] = field(default_factory=list)


# A spoken word shorter than this is not taken as the start of a longer word in a name
# ("loodgieter" finds "Loodgietersbedrijf Smit"; "al" finds nothing by itself).
MIN_PREFIX = 4


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


def _match_contacts(
    contacts: list[_Contact], said: str, entry_id: str | None = None
) -> list[_Contact]:
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
        by_name: dict[str, _Contact] = {}
        for contact in own or matches:
            by_name.setdefault(contact.name.casefold(), contact)
        return list(by_name.values())
    return []


def _split_callee(language: str, text: str, contacts: list[_Contact]) -> tuple[str, str]:
    """``Jan vanaf de keuken`` as callee and source, when the part before is a contact.

    Without contacts to look at, as a number (``_split_source``).
    """
    if not contacts:
        return _split_source(language, text)
    if _match_contacts(contacts, text):
        return text, ""
    words = text.split()
    for index in range(len(words) - 1, 0, -1):
        before = " ".join(words[:index])
        if words[index].casefold() in CONNECTORS[language] and _match_contacts(contacts, before):
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
        language = _language(intent_obj)
        slots = self.async_validate_slots(intent_obj.slots)
        number = _slot(slots, SLOT_NUMBER)
        said_source = _slot(slots, SLOT_SOURCE)
        # Words without a digit may be a name in a provider's phonebook.
        contacts = [] if any(char.isdigit() for char in number) else _contacts(hass)
        if not said_source:
            number, said_source = _split_callee(language, number, contacts)
        number = _spoken_number(number)
        if not number:
            return _error(intent_obj, _say(language, "no_number"))
        source = self._source(intent_obj, language, said_source)
        if isinstance(source, str):
            return _error(intent_obj, source)
        called = number
        if found := _match_contacts(contacts, number, source.entry.entry_id):
            if len(found) > 1:
                names = _names(language, (contact.name for contact in found))
                return _error(intent_obj, _say(language, "ambiguous", names=names))
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
            return await _failure(intent_obj, language, err)
        response = _spoken(intent_obj, _say(language, "calling", number=called, source=source.name))
        slots_spoken = {"number": number, "source": source.name}
        if called != number:
            slots_spoken["name"] = called
        response.async_set_speech_slots(slots_spoken)
        return response

    @staticmethod
    def _source(intent_obj: intent.Intent, language: str, said: str) -> _Device | str:
        """The phone to call from: the one named, else the one nearby, else the first.

        What to say instead when there is no such phone (or several).
        """
        hass = intent_obj.hass
        candidates = [
            device
            for entry in _loaded_entries(hass)
            if isinstance(entry.runtime_data.coordinator.client, ClickToCall)
            for device in _devices(hass, entry, entry.runtime_data.coordinator.spec.call_source)
        ]
        if not candidates:
            return _say(language, "no_call_source")
        if not said:
            return _in_area_of(hass, candidates, intent_obj.device_id) or candidates[0]
        matches = _match(hass, candidates, said)
        if not matches:
            return _say(language, "no_such_phone", name=said)
        if len(matches) > 1:
            names = _names(language, (device.name for device in matches))
            return _say(language, "ambiguous", names=names)
        return matches[0]


class DoNotDisturbIntent(intent.IntentHandler):
    """Turn do-not-disturb of an extension on or off."""

    intent_type = INTENT_DO_NOT_DISTURB
    description = (
        "Turns do not disturb (DND) on or off for a desk phone (extension) of the hosted "
        "phone system (Hosted PBX). While on, the phone does not ring."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """Which phone, and on or off."""
        return {
            vol.Required(SLOT_STATE, description="'on' or 'off'"): vol.In(["on", "off"]),
            vol.Optional(
                SLOT_EXTENSION,
                description="Name of the phone (extension); needed when there are several",
            ): cv.string,
        }

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Switch the extension's do_not_disturb switch and say the new state."""
        hass = intent_obj.hass
        language = _language(intent_obj)
        slots = self.async_validate_slots(intent_obj.slots)
        turn_on = slots[SLOT_STATE]["value"] == "on"
        said = _slot(slots, SLOT_EXTENSION)
        switches = _entities_by_device(hass, Target.EXTENSION, "switch", "do_not_disturb")
        if not switches:
            return _error(intent_obj, _say(language, "no_dnd"))
        candidates = list(switches)
        if said:
            matches = _match(hass, candidates, said)
            if not matches:
                return _error(intent_obj, _say(language, "no_such_phone", name=said))
        else:
            local = _in_area_of(hass, candidates, intent_obj.device_id)
            matches = [local] if local else candidates
        if len(matches) > 1:
            names = _names(language, (device.name for device in matches))
            return _error(intent_obj, _say(language, "dnd_which", names=names))
        device = matches[0]
        entity_id = switches[device]
        state = hass.states.get(entity_id)
        if state is None or state.state == STATE_UNAVAILABLE:
            return _error(intent_obj, _say(language, "dnd_unavailable", name=device.name))
        try:
            await hass.services.async_call(
                "switch",
                "turn_on" if turn_on else "turn_off",
                {"entity_id": entity_id},
                blocking=True,
                context=intent_obj.context,
            )
        except HomeAssistantError as err:
            return await _failure(intent_obj, language, err)
        response = _spoken(
            intent_obj, _say(language, "dnd_on" if turn_on else "dnd_off", name=device.name)
        )
        response.async_set_speech_slots({"extension": device.name, "state": turn_on})
        return response


def _amount(value: str) -> Decimal | None:
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _money(language: str, amount: Decimal) -> str:
    text = f"{amount:.2f}"
    return text.replace(".", ",") if language == "nl" else text


class CreditIntent(intent.IntentHandler):
    """Say the credit of the account's numbers and the accounts' balances."""

    intent_type = INTENT_CREDIT
    description = (
        "Tells the remaining calling credit of the phone numbers and the balance of the "
        "accounts of the hosted phone system (Hosted PBX), with currency."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """No slots."""
        return {}

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Read the credit_available and balance sensors and speak them."""
        hass = intent_obj.hass
        language = _language(intent_obj)
        sentences: list[str] = []
        amounts: list[dict[str, str]] = []
        for entry in _loaded_entries(hass):
            for target, key, speech in (
                (Target.NUMBER, "credit_available", "credit_number"),
                (Target.ACCOUNT, "balance", "balance_account"),
            ):
                devices = (
                    _devices(hass, entry, target)
                    if target is not Target.ACCOUNT
                    else self._account(hass, entry)
                )
                for device in devices:
                    entity_id = _entity_id(hass, device, "sensor", key)
                    state = hass.states.get(entity_id) if entity_id else None
                    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                        continue
                    if (amount := _amount(state.state)) is None:
                        continue
                    code = str(state.attributes.get("unit_of_measurement") or "")
                    currency = CURRENCIES[language].get(code, code)
                    sentences.append(
                        _say(
                            language,
                            speech,
                            name=device.name,
                            amount=_money(language, amount),
                            currency=currency,
                        )
                    )
                    amounts.append({"name": device.name, "amount": str(amount), "currency": code})
        if not sentences:
            return _error(intent_obj, _say(language, "no_credit"))
        response = _spoken(intent_obj, " ".join(sentences))
        response.async_set_speech_slots({"credit": amounts})
        return response

    @staticmethod
    def _account(hass: HomeAssistant, entry: HostedPbxConfigEntry) -> list[_Device]:
        coordinator = entry.runtime_data.coordinator
        identifier = device_identifier(
            coordinator.account_id, Target.ACCOUNT, coordinator.account_id
        )
        device = async_devices_by_identifier(hass, entry.entry_id).get(identifier)
        return (
            []
            if device is None
            else [_Device(entry, device, Target.ACCOUNT, coordinator.account_id)]
        )


class QueueIntent(intent.IntentHandler):
    """Say how many callers wait in a queue (or in each queue)."""

    intent_type = INTENT_QUEUE
    description = (
        "Tells how many callers are waiting in a call queue of the hosted phone system "
        "(Hosted PBX); all queues when no queue is named."
    )

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        """Optionally the queue's name."""
        return {
            vol.Optional(SLOT_QUEUE, description="Name of the call queue, e.g. 'Sales'"): cv.string
        }

    @override
    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Read the queue_calls_waiting sensor(s) and speak them."""
        hass = intent_obj.hass
        language = _language(intent_obj)
        slots = self.async_validate_slots(intent_obj.slots)
        said = _slot(slots, SLOT_QUEUE)
        sensors = _entities_by_device(hass, Target.QUEUE, "sensor", "queue_calls_waiting")
        if not sensors:
            return _error(intent_obj, _say(language, "no_queues"))
        queues = list(sensors)
        if said:
            queues = _match(hass, queues, said)
            if not queues:
                return _error(intent_obj, _say(language, "no_such_queue", name=said))
        sentences: list[str] = []
        counts: dict[str, int | None] = {}
        for queue in queues:
            state = hass.states.get(sensors[queue])
            try:
                count = int(state.state) if state else None
            except ValueError:
                count = None
            counts[queue.name] = count
            if count is None:
                sentences.append(_say(language, "queue_unknown", name=queue.name))
            else:
                key = "queue_none" if count == 0 else "queue_one" if count == 1 else "queue_many"
                sentences.append(_say(language, key, name=queue.name, count=count))
        response = _spoken(intent_obj, " ".join(sentences))
        response.async_set_speech_slots({"queues": counts})
        return response


@callback
def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the integration's intents (once, from async_setup)."""
    for handler in (CallIntent(), DoNotDisturbIntent(), CreditIntent(), QueueIntent()):
        intent.async_register(hass, handler)
