"""Entities through Home Assistant against the VdB simulator."""

from __future__ import annotations

from decimal import Decimal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.vdb import VdbSimulator

from .helpers import entity_id, run_for

ACCOUNT = "info@example.nl"


async def test_entities_follow_the_simulator(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    extension = next(iter(vdb_sim.extensions))
    status = entity_id(hass, ACCOUNT, "extension", extension, "extension_status")
    remote = entity_id(hass, ACCOUNT, "extension", extension, "call_remote_number")
    direction = entity_id(hass, ACCOUNT, "extension", extension, "call_direction")

    vdb_sim.set_live_call(extension, direction="in", state="Ringing", remote="31612345678")
    await run_for(hass, freezer, 120, step=5)
    assert hass.states.get(status).state == "ringing"
    # International and readable, like the phone-number devices.
    assert hass.states.get(remote).state == "+31 6 12345678"
    assert hass.states.get(direction).state == "inbound"

    vdb_sim.set_live_call(extension, direction="in", state="Up", remote="31612345678")
    await run_for(hass, freezer, 120, step=5)
    assert hass.states.get(status).state == "in_call"

    vdb_sim.clear_live_call(extension)
    await run_for(hass, freezer, 120, step=5)
    assert hass.states.get(status).state == "idle"
    assert hass.states.get(remote).state == STATE_UNKNOWN


async def test_current_call_names_an_internal_caller(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    first, second = list(vdb_sim.extensions)[:2]
    remote = entity_id(hass, ACCOUNT, "extension", first, "call_remote_number")
    vdb_sim.set_live_call(first, direction="in", state="Up", remote=second)
    await run_for(hass, freezer, 120, step=5)
    state = hass.states.get(remote)
    assert state is not None
    # The number stays the state (what automations compare); the name is beside it.
    assert state.state == second
    assert state.attributes["caller_name"] == vdb_sim.extensions[second]
    vdb_sim.set_live_call(first, direction="in", state="Up", remote="31612345678")
    await run_for(hass, freezer, 120, step=5)
    state = hass.states.get(remote)
    assert state is not None
    assert state.state == "+31 6 12345678"
    assert "caller_name" not in state.attributes  # VdB has no phonebook


async def test_queue_and_credit(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    queue = next(iter(vdb_sim.queues))
    number = next(iter(vdb_sim.numbers))
    credit = entity_id(hass, ACCOUNT, "number", number, "credit_available")
    limit = entity_id(hass, ACCOUNT, "number", number, "credit_limit")
    waiting = entity_id(hass, ACCOUNT, "queue", queue, "queue_calls_waiting")
    longest = entity_id(hass, ACCOUNT, "queue", queue, "queue_longest_wait")
    assert Decimal(hass.states.get(credit).state) == vdb_sim.numbers[number].credit_available
    assert Decimal(hass.states.get(limit).state) == vdb_sim.numbers[number].credit_limit
    assert hass.states.get(credit).attributes["unit_of_measurement"] == "EUR"

    vdb_sim.add_queue_caller(queue, "0612345678")
    await run_for(hass, freezer, 60, step=5)
    vdb_sim.add_queue_caller(queue, "0687654321")
    await run_for(hass, freezer, 300, step=5)
    assert hass.states.get(waiting).state == "2"
    assert int(hass.states.get(longest).state) >= 120


async def test_credit_is_read_every_15_minutes(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    number = next(iter(vdb_sim.numbers))
    credit = entity_id(hass, ACCOUNT, "number", number, "credit_available")
    vdb_sim.set_credit(number, Decimal("12.34"))
    await run_for(hass, freezer, 600, step=10)
    assert Decimal(hass.states.get(credit).state) != Decimal("12.34")
    await run_for(hass, freezer, 400, step=10)
    assert Decimal(hass.states.get(credit).state) == Decimal("12.34")


async def test_unavailable_while_failing_then_recovers(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: object,
) -> None:
    from simulator.common import Fault

    extension = next(iter(vdb_sim.extensions))
    status = entity_id(hass, ACCOUNT, "extension", extension, "extension_status")
    await run_for(hass, freezer, 60, step=5)
    assert hass.states.get(status).state == "idle"

    vdb_sim.fault = Fault.HTTP_500
    await run_for(hass, freezer, 60, step=5)
    assert hass.states.get(status).state == STATE_UNAVAILABLE

    vdb_sim.fault = Fault.NONE
    await run_for(hass, freezer, 60, step=5)
    assert hass.states.get(status).state == "idle"


async def test_devices_hang_under_the_account(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    from homeassistant.helpers import device_registry as dr

    from custom_components.hosted_pbx.const import DOMAIN

    from .helpers import device_id, find_device

    account = find_device(hass, (DOMAIN, ACCOUNT))
    registry = dr.async_get(hass)
    children = [
        device_id(hass, ACCOUNT, "extension", next(iter(vdb_sim.extensions))),
        device_id(hass, ACCOUNT, "queue", next(iter(vdb_sim.queues))),
        device_id(hass, ACCOUNT, "number", next(iter(vdb_sim.numbers))),
    ]
    for child in children:
        device = registry.async_get(child)
        assert device is not None
        assert device.via_device_id == account
    extension = registry.async_get(children[0])
    assert extension is not None
    assert extension.name == next(iter(vdb_sim.extensions.values()))
    assert extension.manufacturer == "VdB Diensten"


async def test_device_of_a_removed_extension_is_removed(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    from homeassistant.helpers import device_registry as dr

    from .helpers import device_id

    gone, kept = list(vdb_sim.extensions)[:2]
    gone_device = device_id(hass, ACCOUNT, "extension", gone)
    del vdb_sim.extensions[gone]
    await run_for(hass, freezer, 3700, step=20)  # the list of extensions is read hourly
    registry = dr.async_get(hass)
    assert registry.async_get(gone_device) is None
    assert registry.async_get(device_id(hass, ACCOUNT, "extension", kept)) is not None


async def test_removed_extension_seen_while_polling_triggers_a_structure_read(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    from homeassistant.helpers import device_registry as dr

    from .helpers import device_id

    gone = next(iter(vdb_sim.extensions))
    gone_device = device_id(hass, ACCOUNT, "extension", gone)
    kept_status = entity_id(hass, ACCOUNT, "extension", "1202", "extension_status")
    gone_status = entity_id(hass, ACCOUNT, "extension", gone, "extension_status")
    del vdb_sim.extensions[gone]
    await run_for(hass, freezer, 300, step=5)  # far less than the hourly structure read
    assert vdb_sim.commands.count("extension_list") == 2
    # One listing without it is not enough to delete the user's device and settings.
    assert dr.async_get(hass).async_get(gone_device) is not None
    assert hass.states.get(gone_status).state == "unavailable"
    assert hass.states.get(kept_status).state == "idle"
    # A second listing an hour later confirms it: now the device goes.
    await run_for(hass, freezer, 3700, step=20)
    assert vdb_sim.commands.count("extension_list") >= 3
    assert dr.async_get(hass).async_get(gone_device) is None
    assert hass.states.get(kept_status).state == "idle"


async def test_low_credit_follows_the_threshold_in_the_options(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    from decimal import Decimal

    from homeassistant.helpers import entity_registry as er

    number = next(iter(vdb_sim.numbers))
    low = er.async_get(hass).async_get_entity_id(
        "binary_sensor", "hosted_pbx", f"{ACCOUNT}|number|{number}|low_credit"
    )
    assert low is not None
    vdb_sim.set_credit(number, Decimal("12.00"))
    await run_for(hass, freezer, 960, step=20)  # credit is read every 15 minutes
    assert hass.states.get(low).state == "off"
    result = await hass.config_entries.options.async_init(loaded_vdb.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"quota_share": 80, "low_credit_threshold": 20}
    )
    await hass.async_block_till_done()
    assert hass.states.get(low).state == "on"  # no reload: the threshold applies at once
    assert hass.states.get(low).attributes["threshold"] == 20.0


async def test_only_devices_the_provider_no_longer_lists_can_be_deleted(
    hass: HomeAssistant, loaded_vdb: MockConfigEntry, vdb_sim: VdbSimulator
) -> None:
    from homeassistant.helpers import device_registry as dr

    from custom_components.hosted_pbx import async_remove_config_entry_device

    from .helpers import device_id

    registry = dr.async_get(hass)
    current = registry.async_get(device_id(hass, ACCOUNT, "extension", "1201"))
    assert current is not None
    assert not await async_remove_config_entry_device(hass, loaded_vdb, current)
    gone = registry.async_get_or_create(
        config_entry_id=loaded_vdb.entry_id,
        identifiers={("hosted_pbx", f"{ACCOUNT}|extension|9999")},
    )
    assert await async_remove_config_entry_device(hass, loaded_vdb, gone)
