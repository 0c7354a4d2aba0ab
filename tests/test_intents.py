"""Assist intents end to end: the shipped sentences, Home Assistant's agent, the simulators."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    intent,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.const import DOMAIN
from custom_components.hosted_pbx.intents.call import INTENT_CALL
from custom_components.hosted_pbx.intents.credit import INTENT_CREDIT
from custom_components.hosted_pbx.intents.do_not_disturb import INTENT_DO_NOT_DISTURB
from custom_components.hosted_pbx.intents.lookup import PhonebookEntry
from custom_components.hosted_pbx.intents.matching import match_contacts
from custom_components.hosted_pbx.intents.queue_callers import INTENT_QUEUE
from simulator.vdb import VdbSimulator
from simulator.voipzeker import VoipzekerSimulator

from .conftest import TENANT
from .helpers import advance, device_id, run_for

ACCOUNT = "info@example.nl"
SENTENCES = Path(__file__).parent.parent / "custom_sentences"


@pytest.fixture(autouse=True)
async def assist(hass: HomeAssistant, tmp_path: Path) -> None:
    """Home Assistant's agent with the shipped sentences, as a user installs them.

    The test hass's config directory is the plugin's shared ``testing_config``; the
    sentences go into a per-test directory instead, set before the agent loads them.
    """
    hass.config.config_dir = str(tmp_path)
    for language in ("en", "nl"):
        target = Path(hass.config.path("custom_sentences", language))
        target.mkdir(parents=True)
        shutil.copy(SENTENCES / language / "hosted_pbx.yaml", target / "hosted_pbx.yaml")
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, "conversation", {})


async def say(hass: HomeAssistant, text: str, language: str) -> tuple[str, str | None, str]:
    """What the agent answered: speech, the intent it ran, and the response type."""
    result = await conversation.async_converse(hass, text, None, Context(), language=language)
    response = result.response
    name = response.intent.intent_type if response.intent else None
    return response.speech["plain"]["speech"], name, response.response_type.value


def _vdb_extension(sim: VdbSimulator, index: int) -> str:
    return list(sim.extensions)[index]


@pytest.mark.parametrize(
    ("text", "language", "index", "dialled", "speech"),
    [
        (
            "call 0612345678 from Toestel 1",
            "en",
            0,
            "0612345678",
            "Calling 0612345678 from Toestel 1.",
        ),
        (
            "dial 020 123 4567 on Toestel 2",
            "en",
            1,
            "0201234567",
            "Calling 020 123 4567 from Toestel 2.",
        ),
        (
            "bel 0612345678 vanaf Toestel 1",
            "nl",
            0,
            "0612345678",
            "Ik bel 0612345678 vanaf Toestel 1.",
        ),
        (
            "bel naar 020 123 4567 met toestel 3",
            "nl",
            2,
            "0201234567",
            "Ik bel 020 123 4567 vanaf Toestel 3.",
        ),
    ],
)
async def test_call_from_a_named_extension(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    text: str,
    language: str,
    index: int,
    dialled: str,
    speech: str,
) -> None:
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_CALL, "action_done", speech)
    assert vdb_sim.received[-1] == {
        "C": "init_call",
        "N": _vdb_extension(vdb_sim, index),
        "T": dialled,
        "U": ACCOUNT,
    }


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        (
            "call 020 123 4567 from the kitchen phone",
            "en",
            "Calling 020 123 4567 from Kitchen phone.",
        ),
        ("bel 020 123 4567 vanaf de keuken", "nl", "Ik bel 020 123 4567 vanaf Kitchen phone."),
    ],
)
async def test_call_from_a_renamed_phone_or_its_area(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    text: str,
    language: str,
    speech: str,
) -> None:
    extension = _vdb_extension(vdb_sim, 1)
    kitchen = ar.async_get(hass).async_create("Keuken")
    dr.async_get(hass).async_update_device(
        device_id(hass, ACCOUNT, "extension", extension),
        name_by_user="Kitchen phone",
        area_id=kitchen.id,
    )
    spoken, name, _kind = await say(hass, text, language)
    assert (name, spoken) == (INTENT_CALL, speech)
    assert vdb_sim.received[-1]["N"] == extension
    assert vdb_sim.received[-1]["T"] == "0201234567"


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        ("call 0612345678", "en", "Calling 0612345678 from Toestel 1."),
        ("bel 0612345678", "nl", "Ik bel 0612345678 vanaf Toestel 1."),
    ],
)
async def test_call_without_a_source_uses_the_first_extension_and_says_so(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    text: str,
    language: str,
    speech: str,
) -> None:
    spoken, name, _kind = await say(hass, text, language)
    assert (name, spoken) == (INTENT_CALL, speech)
    assert vdb_sim.received[-1]["N"] == _vdb_extension(vdb_sim, 0)


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        ("call 0612345678 from the garage", "en", "I don't know a phone called the garage."),
        ("bel 0612345678 vanaf de garage", "nl", "Ik ken geen toestel dat de garage heet."),
        ("call 12 from Toestel 1", "en", '"12" is not a valid phone number.'),
        ("bel 12 vanaf Toestel 1", "nl", '"12" is geen geldig telefoonnummer.'),
        (
            "call 0909 1234567 from Toestel 1",
            "en",
            '"0909 1234567" is a premium-rate number; those are not dialled.',
        ),
    ],
)
async def test_call_errors_are_spoken_and_send_nothing(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    text: str,
    language: str,
    speech: str,
) -> None:
    before = list(vdb_sim.commands)
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_CALL, "error", speech)
    assert vdb_sim.commands == before


# --- calling a contact from the provider's phonebook (VOIPZeker) ---------------------------


async def _phonebook_read(
    hass: HomeAssistant, zeker: VoipzekerSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Poll until the phonebook has been read (early: it is not kept across restarts)."""
    for _ in range(60):
        if zeker.requests["listphonebookitems"]:
            break
        await advance(hass, freezer, 2)
    assert zeker.requests["listphonebookitems"] == 1


def _in_kitchen(hass: HomeAssistant, zeker: VoipzekerSimulator, index: int) -> None:
    """Put one extension in the area Keuken."""
    kitchen = ar.async_get(hass).async_create("Keuken")
    extension = str(zeker.extensions[index]["id"])
    dr.async_get(hass).async_update_device(
        device_id(hass, TENANT, "extension", extension), area_id=kitchen.id
    )


@pytest.mark.parametrize(
    ("text", "language", "source", "dialled", "speech"),
    [
        (
            "call Jan de Vries from Verkoop",
            "en",
            "0201",
            "31612345678",
            "Calling Jan de Vries from 0201 Verkoop.",
        ),
        ("call jan", "en", "0200", "31612345678", "Calling Jan de Vries from 0200 Receptie."),
        (
            "bel Jan vanaf de keuken",
            "nl",
            "0202",
            "31612345678",
            "Ik bel Jan de Vries vanaf 0202 Support.",
        ),
        (
            "bel de loodgieter vanaf Magazijn",
            "nl",
            "0203",
            "31201234567",
            "Ik bel Loodgietersbedrijf Smit vanaf 0203 Magazijn.",
        ),
        (
            "bel naar Fatima El Amrani",
            "nl",
            "0200",
            "31651234987",
            "Ik bel Fatima El Amrani vanaf 0200 Receptie.",
        ),
    ],
)
async def test_call_a_phonebook_contact_by_name(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str,
    source: str,
    dialled: str,
    speech: str,
) -> None:
    await _phonebook_read(hass, zeker, freezer)
    _in_kitchen(hass, zeker, 2)
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_CALL, "action_done", speech)
    assert zeker.calls == [{"username": f"{TENANT}*{source}", "call_number": dialled}]


@pytest.fixture
def second_jan(zeker: VoipzekerSimulator) -> None:
    """A second Jan in the phonebook, before the entry loads and reads it."""
    zeker.add_contact("Jan", "Jansen", number="31687654321")


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        ("call Jan", "en", "Which one do you mean: Jan de Vries or Jan Jansen?"),
        ("bel Jan vanaf Verkoop", "nl", "Welke bedoel je: Jan de Vries of Jan Jansen?"),
    ],
)
async def test_a_first_name_of_two_contacts_asks_which_one(
    hass: HomeAssistant,
    second_jan: None,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str,
    speech: str,
) -> None:
    await _phonebook_read(hass, zeker, freezer)
    assert "+31687654321" in loaded_zeker.runtime_data.coordinator.data.contacts
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_CALL, "error", speech)
    # The full name is not ambiguous.
    spoken, _name, _kind = await say(hass, "call Jan Jansen from Verkoop", "en")
    assert spoken == "Calling Jan Jansen from 0201 Verkoop."
    assert zeker.calls == [{"username": f"{TENANT}*0201", "call_number": "31687654321"}]


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        ("call Piet Pieters", "en", '"Piet Pieters" is not a valid phone number.'),
        ("bel Piet", "nl", '"Piet" is geen geldig telefoonnummer.'),
    ],
)
async def test_a_name_not_in_the_phonebook_is_answered_as_before(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str,
    speech: str,
) -> None:
    await _phonebook_read(hass, zeker, freezer)
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_CALL, "error", speech)
    assert zeker.calls == []


def test_contacts_of_the_calling_account_come_first() -> None:
    jan_here = PhonebookEntry("here", "Jan de Vries", ["+31612345678"])
    jan_there = PhonebookEntry("there", "Jan Jansen", ["+31687654321"])
    jan_twice = PhonebookEntry("there", "Jan de Vries", ["+31611111111"])
    contacts = [jan_there, jan_twice, jan_here]
    assert match_contacts(contacts, "Jan", "here") == [jan_here]
    assert match_contacts(contacts, "Jan", "there") == [jan_there, jan_twice]
    assert match_contacts(contacts, "Jan", "elsewhere") == [jan_there, jan_twice]
    assert match_contacts(contacts, "jan de vries.", "elsewhere") == [jan_twice]
    # "The plumber" is no word of the name; a word's start of at least 4 letters is.
    plumber = PhonebookEntry("here", "Loodgietersbedrijf Smit", ["+31201234567"])
    assert match_contacts([plumber], "the plumber") == []
    assert match_contacts([plumber], "de loodgieter") == [plumber]
    assert match_contacts([plumber], "lood") == [plumber]
    assert match_contacts([plumber], "loo") == []


def _dnd_entity(hass: HomeAssistant, extension: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{TENANT}|extension|{extension}|do_not_disturb"
    )
    assert found is not None
    return found


async def test_do_not_disturb_on_and_off(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    verkoop = str(zeker.extensions[1]["id"])
    receptie = str(zeker.extensions[0]["id"])
    # DND states are read by polling in turn: the switches appear with the first read.
    await run_for(hass, freezer, 120, step=3)
    switch = _dnd_entity(hass, verkoop)
    assert hass.states.get(switch).state == STATE_OFF

    spoken, name, _kind = await say(hass, "turn on do not disturb on Verkoop", "en")
    assert (name, spoken) == (INTENT_DO_NOT_DISTURB, "Do not disturb is on for 0201 Verkoop.")
    assert zeker.dnd[verkoop] is True
    assert hass.states.get(switch).state == STATE_ON

    # A change costs two requests of the action reserve: let the window pass in between.
    await advance(hass, freezer, 62)
    spoken, name, _kind = await say(hass, "zet niet storen uit op Verkoop", "nl")
    assert (name, spoken) == (INTENT_DO_NOT_DISTURB, "Niet storen staat uit op 0201 Verkoop.")
    assert zeker.dnd[verkoop] is False
    assert hass.states.get(switch).state == STATE_OFF

    await advance(hass, freezer, 62)
    spoken, name, _kind = await say(hass, "zet niet storen aan op Receptie", "nl")
    assert (name, spoken) == (INTENT_DO_NOT_DISTURB, "Niet storen staat aan op 0200 Receptie.")
    assert zeker.dnd[receptie] is True

    await advance(hass, freezer, 62)
    spoken, name, _kind = await say(hass, "turn off do not disturb for extension 0200", "en")
    assert (name, spoken) == (INTENT_DO_NOT_DISTURB, "Do not disturb is off for 0200 Receptie.")
    assert zeker.dnd[receptie] is False


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        (
            "turn on do not disturb",
            "en",
            "For which phone: 0200 Receptie, 0201 Verkoop, 0202 Support, 0203 Magazijn"
            " or 0204 Directie?",
        ),
        (
            "zet niet storen aan",
            "nl",
            "Op welk toestel: 0200 Receptie, 0201 Verkoop, 0202 Support, 0203 Magazijn"
            " of 0204 Directie?",
        ),
        ("turn on do not disturb on the attic", "en", "I don't know a phone called the attic."),
    ],
)
async def test_do_not_disturb_asks_which_phone(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str,
    speech: str,
) -> None:
    await run_for(hass, freezer, 120, step=3)
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_DO_NOT_DISTURB, "error", speech)
    assert zeker.dnd == {}


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        ("turn on do not disturb on Toestel 1", "en", "None of your phones has do not disturb."),
        ("zet niet storen aan op Toestel 1", "nl", "Geen van je toestellen heeft niet storen."),
    ],
)
async def test_do_not_disturb_where_the_provider_has_none(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, text: str, language: str, speech: str
) -> None:
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_DO_NOT_DISTURB, "error", speech)


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        (
            "what is my phone credit",
            "en",
            "+31 20 123 4567 has 12.34 euro credit. +31 20 123 4568 has 40.00 euro credit.",
        ),
        (
            "how much calling credit do I have left",
            "en",
            "+31 20 123 4567 has 12.34 euro credit. +31 20 123 4568 has 40.00 euro credit.",
        ),
        (
            "hoeveel beltegoed heb ik nog",
            "nl",
            "+31 20 123 4567 heeft 12,34 euro tegoed. +31 20 123 4568 heeft 40,00 euro tegoed.",
        ),
        (
            "wat is mijn beltegoed",
            "nl",
            "+31 20 123 4567 heeft 12,34 euro tegoed. +31 20 123 4568 heeft 40,00 euro tegoed.",
        ),
    ],
)
async def test_credit(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str,
    speech: str,
) -> None:
    first, second = list(vdb_sim.numbers)
    vdb_sim.set_credit(first, Decimal("12.34"))
    vdb_sim.set_credit(second, Decimal(40))
    # Credit is read every 15 minutes.
    await run_for(hass, freezer, 1000, step=10)
    spoken, name, kind = await say(hass, text, language)
    assert (name, kind, spoken) == (INTENT_CREDIT, "action_done", speech)


@pytest.mark.parametrize(
    ("text", "language", "speech"),
    [
        ("how many callers are waiting in Sales", "en", "2 callers are waiting in Sales."),
        ("how many calls are in the Sales queue", "en", "2 callers are waiting in Sales."),
        ("hoeveel bellers wachten er in Sales", "nl", "Er wachten 2 bellers in Sales."),
        (
            "hoeveel bellers wachten er in de wachtrij van sales",
            "nl",
            "Er wachten 2 bellers in Sales.",
        ),
        ("how many callers are waiting", "en", "2 callers are waiting in Sales."),
        ("how many callers are waiting in Support", "en", "I don't know a queue called Support."),
        ("hoeveel bellers wachten er in Support", "nl", "Ik ken geen wachtrij die Support heet."),
    ],
)
async def test_queue_callers(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    text: str,
    language: str,
    speech: str,
) -> None:
    queue = next(iter(vdb_sim.queues))
    vdb_sim.add_queue_caller(queue, "0612345678")
    vdb_sim.add_queue_caller(queue, "0687654321")
    await run_for(hass, freezer, 300, step=5)
    spoken, name, _kind = await say(hass, text, language)
    assert (name, spoken) == (INTENT_QUEUE, speech)


@pytest.mark.parametrize(
    ("count", "en", "nl"),
    [
        (0, "No callers are waiting in Sales.", "Er wachten geen bellers in Sales."),
        (1, "1 caller is waiting in Sales.", "Er wacht 1 beller in Sales."),
    ],
)
async def test_queue_none_or_one(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    count: int,
    en: str,
    nl: str,
) -> None:
    queue = next(iter(vdb_sim.queues))
    for caller in ("0612345678",)[:count]:
        vdb_sim.add_queue_caller(queue, caller)
    await run_for(hass, freezer, 300, step=5)
    assert (await say(hass, "how many callers are waiting in Sales", "en"))[0] == en
    assert (await say(hass, "hoeveel bellers wachten er in Sales", "nl"))[0] == nl


async def test_handlers_describe_themselves_for_llm_agents(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry
) -> None:
    handlers = {handler.intent_type: handler for handler in intent.async_get(hass)}
    for name in (INTENT_CALL, INTENT_DO_NOT_DISTURB, INTENT_CREDIT, INTENT_QUEUE):
        assert handlers[name].description
    assert "phonebook" in handlers[INTENT_CALL].description
    # An LLM calls the handler directly, with slot values only.
    response = await intent.async_handle(
        hass, "test", INTENT_CALL, {"number": {"value": "06 1234 5678"}}, language="en"
    )
    assert response.speech["plain"]["speech"] == "Calling 06 1234 5678 from Toestel 1."


@pytest.mark.parametrize("zeker_options", [{"extensions": 9, "switches": 1}])
async def test_a_long_list_of_phones_is_cut_short(
    hass: HomeAssistant,
    loaded_zeker: MockConfigEntry,
    zeker: VoipzekerSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await run_for(hass, freezer, 300, step=3)
    spoken, _name, _kind = await say(hass, "turn off do not disturb", "en")
    assert spoken == (
        "For which phone: 0200 Receptie, 0201 Verkoop, 0202 Support, 0203 Magazijn,"
        " 0204 Directie or 4 others?"
    )
