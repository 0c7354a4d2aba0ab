"""click_to_call and send_sms end to end through Home Assistant and the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, selector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.hosted_pbx.const import DOMAIN
from simulator.common import Fault
from simulator.vdb import VdbSimulator

from .helpers import device_id, find_device

ACCOUNT = "info@example.nl"


async def _call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(DOMAIN, action, data, blocking=True, return_response=True)


async def test_click_to_call(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    extension = next(iter(vdb_sim.extensions))
    device = device_id(hass, ACCOUNT, "extension", extension)
    response = await _call(
        hass, "click_to_call", {"device_id": device, "number": "+31 6 1234 5678"}
    )
    assert vdb_sim.received[-1] == {
        "C": "init_call",
        "N": extension,
        "T": "0612345678",
        "U": ACCOUNT,
    }
    assert response == {"status": "call started", "extension": extension, "to": "0612345678"}


async def test_click_to_call_abroad_and_without_response(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    extension = next(iter(vdb_sim.extensions))
    device = device_id(hass, ACCOUNT, "extension", extension)
    await hass.services.async_call(
        DOMAIN, "click_to_call", {"device_id": device, "number": "0032 470 12 34 56"}, blocking=True
    )
    assert vdb_sim.received[-1]["T"] == "0032470123456"


async def test_send_sms(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    number = next(iter(vdb_sim.numbers))
    device = device_id(hass, ACCOUNT, "number", number)
    response = await _call(
        hass,
        "send_sms",
        {
            "device_id": device,
            "to": "06-12345678",
            "message": "Alarm: back door open!",
            "sender": "Kantoor",
        },
    )
    assert vdb_sim.received[-1] == {
        "C": "send_sms",
        "N": number,
        "F": "Kantoor",
        "T": "0612345678",
        "M": "Alarm: back door open!",
        "U": ACCOUNT,
    }
    assert response["status"] == "SMS send"
    await _call(hass, "send_sms", {"device_id": device, "to": "0612345678", "message": "Hi"})
    assert vdb_sim.received[-1]["F"] == number  # default sender: the number itself


@pytest.mark.parametrize(
    ("action", "fields", "key"),
    [
        ("click_to_call", {"number": "12"}, "invalid_number"),
        ("click_to_call", {"number": "call me maybe"}, "invalid_number"),
        ("send_sms", {"to": "0612345678", "message": "x" * 161}, "sms_length"),
        ("send_sms", {"to": "0612345678", "message": "Café open €5"}, "sms_invalid_characters"),
        ("send_sms", {"to": "020 123 4567", "message": "Hi"}, "not_mobile"),
        (
            "send_sms",
            {"to": "0612345678", "message": "Hi", "sender": "Way too long name"},
            "invalid_sender",
        ),
    ],
)
async def test_invalid_input_sends_nothing(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    action: str,
    fields: dict[str, str],
    key: str,
) -> None:
    target = ("extension", next(iter(vdb_sim.extensions)))
    if action == "send_sms":
        target = ("number", next(iter(vdb_sim.numbers)))
    device = device_id(hass, ACCOUNT, *target)
    before = list(vdb_sim.commands)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, action, {"device_id": device, **fields})
    assert err.value.translation_key == key
    assert vdb_sim.commands == before


async def test_invalid_characters_are_named(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    device = device_id(hass, ACCOUNT, "number", next(iter(vdb_sim.numbers)))
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, "send_sms", {"device_id": device, "to": "0612345678", "message": "Café €5"}
        )
    assert err.value.translation_placeholders["characters"] == "é €"
    assert "é €" in str(err.value)


async def test_wrong_device_kind(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    number_device = device_id(hass, ACCOUNT, "number", next(iter(vdb_sim.numbers)))
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "click_to_call", {"device_id": number_device, "number": "0612345678"})
    assert err.value.translation_key == "not_extension_device"
    account_device = find_device(hass, (DOMAIN, ACCOUNT))
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, "send_sms", {"device_id": account_device, "to": "0612345678", "message": "Hi"}
        )
    assert err.value.translation_key == "not_number_device"
    with pytest.raises(ServiceValidationError):
        await _call(hass, "send_sms", {"device_id": "nope", "to": "0612345678", "message": "Hi"})


async def test_unloaded_entry(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    device = device_id(hass, ACCOUNT, "extension", next(iter(vdb_sim.extensions)))
    assert await hass.config_entries.async_unload(loaded_vdb.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "click_to_call", {"device_id": device, "number": "0612345678"})
    assert err.value.translation_key == "entry_not_loaded"


async def test_provider_refusal_and_failures(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    extension = next(iter(vdb_sim.extensions))
    device = device_id(hass, ACCOUNT, "extension", extension)
    del vdb_sim.extensions[extension]  # removed in the portal since the last structure read
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "click_to_call", {"device_id": device, "number": "0612345678"})
    assert err.value.translation_key == "unknown_extension"
    assert err.value.translation_placeholders["extension"] == extension

    for fault, key in (
        (Fault.HTTP_500, "unavailable"),
        (Fault.HTML, "invalid_response"),
        (Fault.TRUNCATED, "invalid_response"),
        (Fault.QUOTA, "quota"),
    ):
        vdb_sim.fault = fault
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, "click_to_call", {"device_id": device, "number": "0612345678"})
        assert err.value.translation_key == key


async def test_ringing_both_at_once_is_refused_where_the_provider_cannot(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    device = device_id(hass, ACCOUNT, "extension", next(iter(vdb_sim.extensions)))
    sent = len(vdb_sim.received)
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, "click_to_call", {"device_id": device, "number": "0612345678", "mode": "both"}
        )
    assert err.value.translation_key == "not_supported"
    assert len(vdb_sim.received) == sent


MODELS_BY_LANGUAGE = {
    "en": {
        "account": "Account",
        "extension": "Extension",
        "phone_number": "Phone number",
        "queue": "Queue",
    },
    "nl": {
        "account": "Account",
        "extension": "Toestel",
        "phone_number": "Telefoonnummer",
        "queue": "Wachtrij",
    },
}


def _models(hass: HomeAssistant, vdb_sim: VdbSimulator) -> dict[str, tuple[str | None, str | None]]:
    """(model, model_id) of the account's device and one extension, number and queue."""
    registry = dr.async_get(hass)
    devices = {
        "account": find_device(hass, (DOMAIN, ACCOUNT)),
        "extension": device_id(hass, ACCOUNT, "extension", next(iter(vdb_sim.extensions))),
        "phone_number": device_id(hass, ACCOUNT, "number", next(iter(vdb_sim.numbers))),
        "queue": device_id(hass, ACCOUNT, "queue", next(iter(vdb_sim.queues))),
    }
    found = {}
    for kind, device in devices.items():
        entry = registry.async_get(device)
        assert entry is not None
        found[kind] = (entry.model, entry.model_id)
    return found


@pytest.mark.parametrize(("language", "other"), [("nl", "en"), ("en", "nl")])
async def test_device_models_follow_the_language(
    hass: HomeAssistant,
    vdb_entry: MockConfigEntry,
    vdb_sim: VdbSimulator,
    language: str,
    other: str,
) -> None:
    hass.config.language = language
    assert await hass.config_entries.async_setup(vdb_entry.entry_id)
    await hass.async_block_till_done()
    # The provider's short ids show beside the model ("Toestel (1201)"); the account and
    # numbers are named by theirs already.
    shown = {
        "account": None,
        "extension": next(iter(vdb_sim.extensions)),
        "phone_number": None,
        "queue": next(iter(vdb_sim.queues)),
    }
    assert _models(hass, vdb_sim) == {
        kind: (text, shown[kind]) for kind, text in MODELS_BY_LANGUAGE[language].items()
    }
    # Another language shows at the next setup.
    hass.config.language = other
    assert await hass.config_entries.async_reload(vdb_entry.entry_id)
    await hass.async_block_till_done()
    assert _models(hass, vdb_sim) == {
        kind: (text, shown[kind]) for kind, text in MODELS_BY_LANGUAGE[other].items()
    }


def _matches(device: dr.DeviceEntry, domains: set[str], device_filter: dict[str, str]) -> bool:
    """What the frontend's device selector does with one filter of services.yaml."""
    checks = {
        "integration": lambda value: value in domains,
        "manufacturer": lambda value: value == device.manufacturer,
        "model": lambda value: value == device.model,
        "model_id": lambda value: value == device.model_id,
    }
    return all(checks[key](value) for key, value in device_filter.items())


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
async def test_device_selectors_of_the_actions_find_our_devices(
    hass: HomeAssistant, vdb_entry: MockConfigEntry, vdb_sim: VdbSimulator, language: str
) -> None:
    hass.config.language = language  # the filters hold in every language (fr: English)
    assert await hass.config_entries.async_setup(vdb_entry.entry_id)
    await hass.async_block_till_done()
    services = Path(__file__).parent.parent / "custom_components" / DOMAIN / "services.yaml"
    described = yaml.safe_load(services.read_text())
    # Devices by id (the device's own config entry list is deprecated on newer releases).
    ours = {
        device.id: device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), vdb_entry.entry_id)
    }
    extension = device_id(hass, ACCOUNT, "extension", next(iter(vdb_sim.extensions)))
    number = device_id(hass, ACCOUNT, "number", next(iter(vdb_sim.numbers)))
    others = {
        find_device(hass, (DOMAIN, ACCOUNT)),
        device_id(hass, ACCOUNT, "queue", next(iter(vdb_sim.queues))),
    }
    expected = {
        "click_to_call": {extension, number},
        "send_sms": {number},
        "hang_up": {extension, number},
    }
    for action, wanted in expected.items():
        config = described[action]["fields"]["device_id"]["selector"]
        selector.validate_selector(config)  # filters Home Assistant knows
        filters = config["device"]["filter"]
        filters = filters if isinstance(filters, list) else [filters]
        chosen = {
            device
            for device in (extension, number, *others)
            if any(_matches(ours[device], {DOMAIN}, item) for item in filters)
        }
        assert chosen == wanted, action


def test_device_selectors_name_the_models_of_every_shipped_language() -> None:
    """A language added to translations/ needs its models in services.yaml's filters."""
    component = Path(__file__).parent.parent / "custom_components" / DOMAIN
    described = yaml.safe_load((component / "services.yaml").read_text())
    wanted = {"click_to_call": ("extension", "phone_number"), "send_sms": ("phone_number",)}
    wanted["hang_up"] = wanted["click_to_call"]
    for language in sorted((component / "translations").glob("*.json")):
        models = json.loads(language.read_text())["device"]
        for action, keys in wanted.items():
            filters = described[action]["fields"]["device_id"]["selector"]["device"]["filter"]
            named = {item["model"] for item in filters}
            assert {models[key]["name"] for key in keys} <= named, (language.name, action)
