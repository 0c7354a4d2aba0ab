"""The automation blueprints, loaded and run by Home Assistant's automation integration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.blueprint import models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.hosted_pbx.const import DOMAIN

SOURCE = Path(__file__).resolve().parent.parent / "blueprints" / "automation" / DOMAIN
BLUEPRINTS = sorted(path.name for path in SOURCE.glob("*.yaml"))

LOW_CREDIT = "binary_sensor.vdb_0201234567_low_credit"
QUEUE = "sensor.sales_queue_calls_waiting"
PHONE = "sensor.kitchen_phone_status"
KITCHEN = "media_player.kitchen"
RADIO = "media_player.kitchen_radio"
TV = "media_player.living_room_tv"
DND = "switch.reception_do_not_disturb"
CLOSED = "switch.office_closed"


@pytest.fixture
async def blueprint_hass(hass: HomeAssistant, tmp_path: Path) -> HomeAssistant:
    """Home Assistant with its own configuration folder holding the blueprints."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints", "automation", DOMAIN))
    target.mkdir(parents=True)
    for name in BLUEPRINTS:
        shutil.copy(SOURCE / name, target / name)
    return hass


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from a blueprint; fail if Home Assistant refused it."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "under_test",
                    "alias": "Under test",
                    "use_blueprint": {"path": f"{DOMAIN}/{name}", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.under_test")
    assert state is not None, "the automation was not created (invalid blueprint or inputs?)"
    assert state.state == "on"


async def later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **delta: float) -> None:
    """Move time on and run what became due."""
    await hass.async_block_till_done()  # state changes first, as the event loop would
    freezer.tick(timedelta(**delta))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def until(done: Callable[[], object], rounds: int = 100) -> None:
    """Let the event loop run until ``done()`` is true, or ``rounds`` times."""
    for _ in range(rounds):
        if done():
            return
        await asyncio.sleep(0)


def test_there_are_four_blueprints() -> None:
    assert BLUEPRINTS == [
        "away_do_not_disturb.yaml",
        "low_credit_notify.yaml",
        "queue_waiting_notify.yaml",
        "ringing_pause_media.yaml",
    ]


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_metadata(name: str) -> None:
    data = load_yaml_dict(str(SOURCE / name))
    blueprint = models.Blueprint(data, expected_domain="automation", schema=BLUEPRINT_SCHEMA)
    meta = data["blueprint"]
    assert blueprint.name.startswith("Hosted PBX: ")
    assert meta["description"].strip()
    assert meta["homeassistant"]["min_version"] == "2025.4.0"
    # Every input is explained, and one that picks our entities offers only those.
    for key, spec in meta["input"].items():
        assert spec.get("name"), key
        assert spec.get("description"), key
        entity = spec["selector"].get("entity")
        if entity is None:
            continue
        domains = {f["domain"] for f in entity["filter"]}
        if domains & {"binary_sensor", "sensor", "switch"}:
            assert all(f["integration"] == DOMAIN for f in entity["filter"]), key


# --------------------------------------------------------------------------- low credit


async def test_low_credit_default_persistent_notification(blueprint_hass: HomeAssistant) -> None:
    hass = blueprint_hass
    created = async_mock_service(hass, "persistent_notification", "create")
    hass.states.async_set(
        LOW_CREDIT, "off", {"friendly_name": "0201234567 Low credit", "threshold": 5.0}
    )
    await use_blueprint(hass, "low_credit_notify.yaml", {"low_credit_sensor": [LOW_CREDIT]})

    hass.states.async_set(
        LOW_CREDIT, "on", {"friendly_name": "0201234567 Low credit", "threshold": 5.0}
    )
    await hass.async_block_till_done()

    assert len(created) == 1
    data = created[0].data
    assert data["title"] == "Phone credit is low"
    assert data["message"].startswith("0201234567 Low credit: the credit is below 5.0.")
    assert data["notification_id"] == f"hosted_pbx_low_credit_{LOW_CREDIT}"


async def test_low_credit_own_notify_action(blueprint_hass: HomeAssistant) -> None:
    hass = blueprint_hass
    sent = async_mock_service(hass, "notify", "office_phone")
    hass.states.async_set(LOW_CREDIT, "off", {"threshold": 10.0})
    await use_blueprint(
        hass,
        "low_credit_notify.yaml",
        {
            "low_credit_sensor": [LOW_CREDIT],
            "notify": [
                {
                    "action": "notify.office_phone",
                    "data": {"title": "{{ title }}", "message": "{{ message }}"},
                }
            ],
        },
    )

    # Coming back from an outage already low: no second notification.
    hass.states.async_set(LOW_CREDIT, "unavailable")
    await hass.async_block_till_done()
    hass.states.async_set(LOW_CREDIT, "on", {"threshold": 10.0})
    await hass.async_block_till_done()
    assert sent == []

    hass.states.async_set(LOW_CREDIT, "off", {"threshold": 10.0})
    await hass.async_block_till_done()
    hass.states.async_set(LOW_CREDIT, "on", {"threshold": 10.0})
    await hass.async_block_till_done()
    assert [call.data["title"] for call in sent] == ["Phone credit is low"]
    assert f"{LOW_CREDIT}: the credit is below 10.0" in sent[0].data["message"]


# --------------------------------------------------------------------------- queue


async def test_queue_waits_the_minutes_before_notifying(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass = blueprint_hass
    sent = async_mock_service(hass, "notify", "reception")
    hass.states.async_set(QUEUE, "0", {"friendly_name": "Sales Calls waiting"})
    await use_blueprint(
        hass,
        "queue_waiting_notify.yaml",
        {
            "queue_sensor": QUEUE,
            "callers": 2,
            "minutes": 3,
            "notify": [{"action": "notify.reception", "data": {"message": "{{ message }}"}}],
        },
    )

    # Two waiting is not more than two; three, but only for two minutes: nothing yet.
    hass.states.async_set(QUEUE, "2", {"friendly_name": "Sales Calls waiting"})
    await later(hass, freezer, minutes=5)
    hass.states.async_set(QUEUE, "3", {"friendly_name": "Sales Calls waiting"})
    await later(hass, freezer, minutes=2)
    hass.states.async_set(QUEUE, "1", {"friendly_name": "Sales Calls waiting"})
    await later(hass, freezer, minutes=5)
    assert sent == []

    hass.states.async_set(QUEUE, "3", {"friendly_name": "Sales Calls waiting"})
    await later(hass, freezer, minutes=2)
    hass.states.async_set(QUEUE, "4", {"friendly_name": "Sales Calls waiting"})
    await later(hass, freezer, minutes=0.5)
    assert sent == []
    await later(hass, freezer, minutes=0.6)
    assert len(sent) == 1
    assert sent[0].data["message"] == (
        "Sales Calls waiting: 4 callers waiting, more than 2 for 3 minutes."
    )


async def test_queue_default_notification(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass = blueprint_hass
    created = async_mock_service(hass, "persistent_notification", "create")
    hass.states.async_set(QUEUE, "0")
    await use_blueprint(hass, "queue_waiting_notify.yaml", {"queue_sensor": QUEUE})

    hass.states.async_set(QUEUE, "4")  # default: more than 3 for 2 minutes
    await later(hass, freezer, minutes=1)
    assert created == []
    await later(hass, freezer, minutes=1, seconds=1)
    assert [call.data["title"] for call in created] == ["Callers are waiting"]
    assert created[0].data["notification_id"] == f"hosted_pbx_queue_{QUEUE}"


# --------------------------------------------------------------------------- ringing


async def test_ringing_pauses_what_plays_in_the_room(blueprint_hass: HomeAssistant) -> None:
    hass = blueprint_hass
    paused = async_mock_service(hass, "media_player", "media_pause")
    played = async_mock_service(hass, "media_player", "media_play")
    hass.states.async_set(PHONE, "idle")
    hass.states.async_set(KITCHEN, "playing")
    hass.states.async_set(RADIO, "paused")
    await use_blueprint(
        hass,
        "ringing_pause_media.yaml",
        {"extension_status": PHONE, "media_player": [KITCHEN, RADIO]},
    )

    hass.states.async_set(PHONE, "dialing")
    await hass.async_block_till_done()
    assert paused == []

    hass.states.async_set(PHONE, "ringing")
    await hass.async_block_till_done()
    assert len(paused) == 1
    assert paused[0].data["entity_id"] == [KITCHEN]

    hass.states.async_set(PHONE, "idle")
    await hass.async_block_till_done()
    assert played == []  # resume is off by default


async def test_ringing_resumes_when_idle(blueprint_hass: HomeAssistant) -> None:
    hass = blueprint_hass
    paused = async_mock_service(hass, "media_player", "media_pause")
    played: list[ServiceCall] = async_mock_service(hass, "media_player", "media_play")
    hass.states.async_set(PHONE, "idle")
    hass.states.async_set(KITCHEN, "playing")
    hass.states.async_set(TV, "off")
    await use_blueprint(
        hass,
        "ringing_pause_media.yaml",
        {"extension_status": PHONE, "media_player": [KITCHEN, TV], "resume": True},
    )

    # The run now waits for the phone to be idle: async_block_till_done would wait for it.
    hass.states.async_set(PHONE, "ringing")
    await until(lambda: paused)
    hass.states.async_set(KITCHEN, "paused")  # what the real player would do
    hass.states.async_set(PHONE, "in_call")
    await until(lambda: False)
    assert [call.data["entity_id"] for call in paused] == [[KITCHEN]]
    assert played == []

    hass.states.async_set(PHONE, "idle")
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in played] == [[KITCHEN]]


async def test_ringing_with_nothing_playing_does_nothing(blueprint_hass: HomeAssistant) -> None:
    hass = blueprint_hass
    paused = async_mock_service(hass, "media_player", "media_pause")
    hass.states.async_set(PHONE, "idle")
    hass.states.async_set(KITCHEN, "idle")
    await use_blueprint(
        hass, "ringing_pause_media.yaml", {"extension_status": PHONE, "media_player": [KITCHEN]}
    )
    hass.states.async_set(PHONE, "ringing")
    await hass.async_block_till_done()
    assert paused == []


# --------------------------------------------------------------------------- everyone away


async def test_away_turns_the_switches_on_and_back_off(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass = blueprint_hass
    on = async_mock_service(hass, "switch", "turn_on")
    off = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set("zone.home", "2")
    await use_blueprint(
        hass, "away_do_not_disturb.yaml", {"switches": [DND, CLOSED], "away_minutes": 10}
    )

    hass.states.async_set("zone.home", "1")
    await later(hass, freezer, minutes=30)
    hass.states.async_set("zone.home", "0")
    await later(hass, freezer, minutes=9)
    assert on == []
    await later(hass, freezer, minutes=1, seconds=1)
    assert [call.data["entity_id"] for call in on] == [[DND, CLOSED]]
    assert off == []

    hass.states.async_set("zone.home", "1")
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in off] == [[DND, CLOSED]]
    assert len(on) == 1


async def test_away_in_another_zone_without_turning_off(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    hass = blueprint_hass
    on = async_mock_service(hass, "switch", "turn_on")
    off = async_mock_service(hass, "switch", "turn_off")
    hass.states.async_set("zone.office", "3")
    hass.states.async_set("zone.home", "0")
    await use_blueprint(
        hass,
        "away_do_not_disturb.yaml",
        {
            "zone": "zone.office",
            "switches": [DND],
            "away_minutes": 0,
            "turn_off_on_return": False,
        },
    )

    hass.states.async_set("zone.office", "0")
    await later(hass, freezer, seconds=1)
    assert [call.data["entity_id"] for call in on] == [[DND]]
    hass.states.async_set("zone.office", "1")
    await hass.async_block_till_done()
    assert off == []
