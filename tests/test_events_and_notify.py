"""Event entities for calls and texts, and notify entities that text (issue 13)."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.const import DOMAIN
from simulator.vdb import VdbSimulator

from .helpers import run_for

ACCOUNT = "info@example.nl"


def _entity(hass: HomeAssistant, platform: str, target: str, target_id: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{ACCOUNT}|{target}|{target_id}|{key}"
    )
    assert found is not None, f"no {platform} {key} for {target} {target_id}"
    return found


def _event(hass: HomeAssistant, entity_id: str) -> tuple[str | None, dict[str, Any]]:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.attributes.get("event_type"), dict(state.attributes)


async def _until(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_id: str, event_type: str
) -> dict[str, Any]:
    """Poll until the event entity shows ``event_type`` (VdB reads one phone a slot)."""
    for _ in range(60):
        await run_for(hass, freezer, 6, step=3)
        kind, attributes = _event(hass, entity_id)
        if kind == event_type:
            return attributes
    raise AssertionError(f"{entity_id} never showed {event_type}")


async def test_a_call_seen_by_polling_fires_ringing_answered_ended(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    calls = _entity(hass, "event", "extension", "1201", "calls")
    assert _event(hass, calls)[0] is None
    await run_for(hass, freezer, 120, step=5)  # every phone read once: idle
    vdb_sim.set_live_call("1201", direction="in", state="Ringing", remote="31612345678")
    ringing = await _until(hass, freezer, calls, "incoming_call")
    assert ringing["direction"] == "inbound"
    assert ringing["number"] == "+31612345678"  # E.164
    vdb_sim.set_live_call("1201", direction="in", state="Up", remote="31612345678")
    await _until(hass, freezer, calls, "answered")
    vdb_sim.clear_live_call("1201")
    ended = await _until(hass, freezer, calls, "ended")
    assert "duration" in ended


async def test_notify_entity_texts_the_recipient_in_the_options(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    number = next(iter(vdb_sim.numbers))
    notifier = _entity(hass, "notify", "number", number, "sms")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "send_message", {"entity_id": notifier, "message": "Hi"}, blocking=True
        )
    assert err.value.translation_key == "no_notify_recipient"
    result = await hass.config_entries.options.async_init(loaded_vdb.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {"quota_share": 80, "sms_notify_to": "06 1234 5678"}
    )
    await hass.async_block_till_done()
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": notifier, "title": "Alarm", "message": "back door open"},
        blocking=True,
    )
    assert vdb_sim.received[-1]["C"] == "send_sms"
    assert vdb_sim.received[-1]["T"] == "0612345678"
    assert vdb_sim.received[-1]["M"] == "Alarm: back door open"
    # Bad input is refused with the send_sms action's own translated errors.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "send_message", {"entity_id": notifier, "message": "x" * 200}, blocking=True
        )
    assert err.value.translation_key == "sms_length"
