"""Business-ISP Connect Call through Home Assistant, against the simulator.

The config flow (which sends nothing), a phone-number device per source number with its
call status, click-to-call followed second by second until the call ends, hang-up, the
outcomes the provider reports (busy, no answer, no credit), sessions that never leak
(unload, stop), polling that stops when no call is up, text messages, bad answers, the
wrong password at the first call, and secrets kept out of logs and diagnostics.

Only time and the API address are patched: the client, the coordinator and the
simulator are the real ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_URL, EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from custom_components.hosted_pbx.diagnostics import async_get_config_entry_diagnostics
from simulator.business_isp import API_PATH, BusinessIspSimulator, XmlFault
from simulator.common import Fault, SimulatorServer

from .helpers import advance, device_id, entity_id, find_device, run_for

SOURCES = "020 123 4567\n+31 20 123 4568"  # as a user types them, one per line
SOURCE = "31201234567"  # the numbers' keys: international digits
OTHER_SOURCE = "31201234568"
CALLEE = "06 1234 5678"
# The simulator's plan for an ordinary callee (type 1, source first), in seconds.
RINGING_UNTIL = (
    BusinessIspSimulator.SOURCE_RING
    + BusinessIspSimulator.SOURCE_CONNECT
    + BusinessIspSimulator.DEST_RING
)
CALL_SECONDS = RINGING_UNTIL + BusinessIspSimulator.TALK
CALL_PROGRESS = ["source_ringing", "source_connected", "destination_ringing", "connected"]


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
async def bisp(socket_enabled: None) -> AsyncIterator[BusinessIspSimulator]:
    """A Business-ISP simulator on 127.0.0.1; ``url`` and ``sms_url`` are its pages."""
    sim = BusinessIspSimulator()
    server = SimulatorServer(sim.app, API_PATH)
    sim.bind(await server.start())
    yield sim
    await server.stop()


@pytest.fixture
def account(bisp: BusinessIspSimulator) -> str:
    """The account id: the login, case-folded."""
    return bisp.username.casefold()


@pytest.fixture
async def bisp_entry(hass: HomeAssistant, bisp: BusinessIspSimulator) -> ConfigEntry:
    """An entry made through the real config flow, loaded."""
    result = await _submit(hass, bisp)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


# --- helpers ---------------------------------------------------------------------------------


async def _form(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "business_isp" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "business_isp"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "business_isp"
    return result


async def _submit(
    hass: HomeAssistant,
    sim: BusinessIspSimulator,
    *,
    username: str | None = None,
    password: str | None = None,
    numbers: str = SOURCES,
) -> Any:
    flow_id = (await _form(hass))["flow_id"]
    return await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "username": sim.username if username is None else username,
            "password": sim.password if password is None else password,
            "numbers": numbers,
            "advanced": {CONF_URL: sim.url},
        },
    )


async def _action(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(DOMAIN, action, data, blocking=True, return_response=True)


def _number_device(hass: HomeAssistant, account: str, number: str = SOURCE) -> str:
    return device_id(hass, account, "number", number)


def _state(
    hass: HomeAssistant, account: str, key: str = "call_status", number: str = SOURCE
) -> str:
    state = hass.states.get(entity_id(hass, account, "number", number, key))
    assert state is not None
    return state.state


async def _call(hass: HomeAssistant, account: str, number: str = CALLEE) -> Any:
    return await _action(
        hass, "click_to_call", {"device_id": _number_device(hass, account), "number": number}
    )


async def _follow(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, account: str, seconds: float
) -> list[str]:
    """The call status, second by second, each change once."""
    seen: list[str] = []
    elapsed = 0.0
    while elapsed < seconds:
        await advance(hass, freezer, 1)
        elapsed += 1
        state = _state(hass, account)
        if not seen or seen[-1] != state:
            seen.append(state)
    return seen


def _polls(sim: BusinessIspSimulator) -> int:
    return sim.commands.count("getStatus")


def _secrets(sim: BusinessIspSimulator) -> list[str]:
    return [sim.password, *sim.sessions]


# --- config flow -----------------------------------------------------------------------------


async def test_form_has_the_fields_and_a_collapsed_url(
    hass: HomeAssistant, bisp: BusinessIspSimulator
) -> None:
    schema = (await _form(hass))["data_schema"].schema
    assert set(schema) == {"username", "password", "numbers", "advanced"}
    assert schema["numbers"].config["multiline"] is True
    assert schema["password"].config["type"] == "password"
    assert schema["advanced"].options == {"collapsed": True}
    assert CONF_URL in schema["advanced"].schema.schema


async def test_flow_creates_the_entry_without_a_request(
    hass: HomeAssistant, bisp: BusinessIspSimulator, account: str
) -> None:
    result = await _submit(hass, bisp, username=f"  {bisp.username.upper()} ")
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: ConfigEntry = result["result"]
    assert entry.unique_id == account
    assert entry.data[CONF_PROVIDER] == "business_isp"
    assert entry.data[CONF_URL] == bisp.url
    assert entry.state is ConfigEntryState.LOADED
    # No read exists: a login would place a call, so nothing at all was sent.
    assert bisp.commands == []
    assert bisp.sessions == {}


async def test_a_device_per_number_and_the_call_status_is_idle(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    registry = dr.async_get(hass)
    for number, name in ((SOURCE, "+31 20 123 4567"), (OTHER_SOURCE, "+31 20 123 4568")):
        device = registry.async_get(_number_device(hass, account, number))
        assert device is not None
        assert device.name == name
        assert device.model == "Phone number"
        assert device.manufacturer == "Business-ISP"
        assert _state(hass, account, number=number) == "idle"
        assert _state(hass, account, "session_duration", number) == "0"
    await run_for(hass, freezer, 120, step=5)
    assert bisp.commands == []  # idle: nothing is polled


@pytest.mark.parametrize(
    "numbers",
    ["020 123 4567\nnot a number", "0201234567, 12", "020 123 4567\n0900 1234 5678x"],
)
async def test_an_invalid_number_is_a_form_error(
    hass: HomeAssistant, bisp: BusinessIspSimulator, numbers: str
) -> None:
    result = await _submit(hass, bisp, numbers=numbers)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"numbers": "invalid_number"}
    assert bisp.commands == []
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_no_number_is_a_form_error(hass: HomeAssistant, bisp: BusinessIspSimulator) -> None:
    result = await _submit(hass, bisp, numbers=" \n , ")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"numbers": "invalid_number"}


async def test_the_same_login_cannot_be_added_twice(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry
) -> None:
    result = await _submit(hass, bisp, username=bisp.username.upper(), numbers="020 765 4321")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert bisp.commands == []


# --- calls -----------------------------------------------------------------------------------


async def test_click_to_call_follows_the_call_to_its_end(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    response = await _call(hass, account)
    assert response == {
        "status": "call started",
        "source": SOURCE,
        "to": "0612345678",
        "mode": "source_first",
    }
    assert bisp.commands == ["login"]
    assert bisp.received[0] == {
        "login": bisp.username,
        "source": "0201234567",
        "dest": "0612345678",
        "type": "1",
    }
    assert len(bisp.open_sessions) == 1

    seen = await _follow(hass, freezer, account, RINGING_UNTIL + 10)
    assert seen == CALL_PROGRESS
    assert int(_state(hass, account, "session_duration")) >= 9
    # The other number's device is not involved.
    assert _state(hass, account, number=OTHER_SOURCE) == "idle"

    seen = await _follow(hass, freezer, account, CALL_SECONDS - RINGING_UNTIL)
    assert seen == ["connected", "ended"]
    # The duration stays the last one seen connected.
    assert int(_state(hass, account, "session_duration")) >= BusinessIspSimulator.TALK - 2
    # About one status poll a second while the call was up, then the session was ended.
    assert 0.75 * CALL_SECONDS <= _polls(bisp) <= 1.6 * CALL_SECONDS
    assert bisp.commands[-1] == "end"
    assert bisp.open_sessions == []
    assert bisp.sessions_ended == list(bisp.sessions)


async def test_polling_stops_when_the_call_has_ended(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account, bisp.BUSY_NUMBER)
    await run_for(hass, freezer, 10)
    assert _state(hass, account) == "busy"
    sent = len(bisp.commands)
    await run_for(hass, freezer, 300, step=3)
    assert len(bisp.commands) == sent
    assert _state(hass, account) == "busy"  # the last call's outcome stays shown
    assert bisp_entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("callee", "seconds", "outcome"),
    [
        (BusinessIspSimulator.BUSY_NUMBER, 10, "busy"),
        (BusinessIspSimulator.NO_ANSWER_NUMBER, 30, "no_answer"),
        (BusinessIspSimulator.INSUFFICIENT_FUNDS_NUMBER, 10, "insufficient_funds"),
        (BusinessIspSimulator.CREDIT_RUNS_OUT_NUMBER, 25, "insufficient_funds"),
        (BusinessIspSimulator.REJECTED_NUMBER, 10, "rejected"),
        (BusinessIspSimulator.WRONG_DESTINATION_NUMBER, 10, "wrong_number"),
    ],
)
async def test_call_outcomes(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
    callee: str,
    seconds: int,
    outcome: str,
) -> None:
    await _call(hass, account, callee)
    seen = await _follow(hass, freezer, account, seconds)
    assert seen[0] == "source_ringing"
    assert seen[-1] == outcome
    assert bisp.open_sessions == []
    assert bisp.commands[-1] == "end"


async def test_hang_up_while_ringing(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, 2)
    assert _state(hass, account) == "source_ringing"
    token = bisp.open_sessions[0]
    response = await _action(hass, "hang_up", {"device_id": _number_device(hass, account)})
    assert response == {"status": "OK", "source": SOURCE}
    assert bisp.commands[-2:] == ["hangUp", "end"]
    assert bisp.call_status(token) == 4  # Hang Up
    assert bisp.open_sessions == []
    await run_for(hass, freezer, 2)
    assert _state(hass, account) == "ended"
    assert _state(hass, account, "session_duration") == "0"
    sent = len(bisp.commands)
    await run_for(hass, freezer, 60, step=3)
    assert len(bisp.commands) == sent


async def test_hang_up_during_the_call(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 5)
    assert _state(hass, account) == "connected"
    await _action(hass, "hang_up", {"device_id": _number_device(hass, account)})
    assert bisp.commands[-2:] == ["hangUp", "end"]
    assert bisp.open_sessions == []
    await run_for(hass, freezer, 2)
    assert _state(hass, account) == "ended"
    assert int(_state(hass, account, "session_duration")) >= 4


async def test_hang_up_without_a_call(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _action(hass, "hang_up", {"device_id": _number_device(hass, account)})
    assert err.value.translation_key == "no_active_call"
    assert bisp.commands == []


async def test_a_second_call_reuses_the_session(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 2)
    assert _state(hass, account) == "connected"
    await _call(hass, account, bisp.BUSY_NUMBER)
    assert bisp.commands.count("login") == 1
    assert bisp.commands[-2:] == ["hangUp", "connect"]
    assert len(bisp.sessions) == 1
    seen = await _follow(hass, freezer, account, 10)
    assert seen[-1] == "busy"
    assert bisp.open_sessions == []


async def test_a_failed_second_call_ends_the_session(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 2)
    bisp.fault, bisp.fault_command = Fault.HTTP_500, "connect"
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, account, bisp.BUSY_NUMBER)
    assert err.value.translation_key == "unavailable"
    assert bisp.commands[-3:] == ["hangUp", "connect", "end"]
    assert bisp.open_sessions == []
    await run_for(hass, freezer, 2)
    assert _state(hass, account) == "ended"  # the first call was hung up


async def test_a_session_that_could_not_be_ended_is_ended_at_unload(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account, bisp.BUSY_NUMBER)
    bisp.fault, bisp.fault_command = Fault.HTTP_500, "end"
    await run_for(hass, freezer, 10)
    assert _state(hass, account) == "busy"
    assert len(bisp.open_sessions) == 1  # the provider could not be told
    bisp.fault = Fault.NONE
    assert await hass.config_entries.async_unload(bisp_entry.entry_id)
    assert bisp.open_sessions == []


async def test_an_invalid_callee_is_refused_before_sending(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    for number in ("12", "call me", "0900 123 4567"):
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, account, number)
        assert err.value.translation_key in ("invalid_number", "premium_number")
    assert bisp.commands == []


async def test_calls_are_placed_from_number_devices_only(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    account_device = dr.async_get(hass).async_get(find_device(hass, (DOMAIN, account)))
    assert account_device is not None
    with pytest.raises(ServiceValidationError):
        await _action(hass, "click_to_call", {"device_id": account_device.id, "number": CALLEE})
    with pytest.raises(ServiceValidationError):
        await _action(hass, "hang_up", {"device_id": account_device.id})
    assert bisp.commands == []


async def test_the_error_names_a_number_device(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    account_device = dr.async_get(hass).async_get(find_device(hass, (DOMAIN, account)))
    assert account_device is not None
    with pytest.raises(ServiceValidationError) as err:
        await _action(hass, "click_to_call", {"device_id": account_device.id, "number": CALLEE})
    assert err.value.translation_key == "not_number_device"


async def test_unload_during_a_call_leaves_no_session(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 3)
    assert _state(hass, account) == "connected"
    assert await hass.config_entries.async_unload(bisp_entry.entry_id)
    await hass.async_block_till_done()
    assert bisp.commands[-1] == "end"
    assert bisp.open_sessions == []
    sent = len(bisp.commands)
    await run_for(hass, freezer, 30, step=3)
    assert len(bisp.commands) == sent


async def test_stop_during_a_call_leaves_no_session(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 3)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert bisp.open_sessions == []


# --- text messages ---------------------------------------------------------------------------


async def test_send_sms(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    device = _number_device(hass, account)
    response = await _action(
        hass, "send_sms", {"device_id": device, "to": "06-12345678", "message": "Alarm: deur open!"}
    )
    assert response == {"status": "SMS message sent.", "to": "31612345678", "code": "200"}
    assert bisp.sms_sent == [{"from": SOURCE, "to": "31612345678", "text": "Alarm: deur open!"}]
    await _action(
        hass,
        "send_sms",
        {"device_id": device, "to": "+31 6 1234 5678", "message": "Hi", "sender": "Kantoor"},
    )
    assert bisp.sms_sent[-1]["from"] == "Kantoor"
    assert bisp.commands == ["sms", "sms"]
    assert bisp.sessions == {}


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"to": "12", "message": "Hi"}, "invalid_number"),
        ({"to": "call me", "message": "Hi"}, "invalid_number"),
        ({"to": "020 123 4567", "message": "Hi"}, "not_mobile"),
        ({"to": "0612345678", "message": "x" * 161}, "sms_length"),
        ({"to": "0612345678", "message": "€" * 81}, "sms_length"),
        ({"to": "0612345678", "message": "Hi", "sender": "Far too long a name"}, "invalid_sender"),
    ],
)
async def test_invalid_sms_is_refused_before_sending(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    fields: dict[str, str],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _action(hass, "send_sms", {"device_id": _number_device(hass, account), **fields})
    assert err.value.translation_key == key
    assert bisp.commands == []
    assert bisp.sms_sent == []


@pytest.mark.parametrize(
    ("recipient", "key"),
    [
        (BusinessIspSimulator.SMS_NO_CREDIT_NUMBER, "refused"),
        (BusinessIspSimulator.SMS_SERVER_ERROR_NUMBER, "unavailable"),
        (BusinessIspSimulator.SMS_RESELLER_FUNDS_NUMBER, "refused"),
    ],
)
async def test_sms_refused_by_the_provider(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    recipient: str,
    key: str,
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await _action(
            hass,
            "send_sms",
            {"device_id": _number_device(hass, account), "to": recipient, "message": "Hi"},
        )
    assert err.value.translation_key == key
    assert bisp.sms_sent == []
    assert bisp_entry.state is ConfigEntryState.LOADED


# --- bad answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [XmlFault.MALFORMED, XmlFault.BOMB, XmlFault.UNKNOWN_CODE, Fault.HTML, Fault.HTTP_500],
)
async def test_bad_answers_during_a_call(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
    fault: Fault | XmlFault,
) -> None:
    await _call(hass, account)
    await run_for(hass, freezer, 2)
    assert _state(hass, account) == "source_ringing"
    bisp.fault, bisp.fault_command = fault, "getStatus"
    await run_for(hass, freezer, 5)
    assert _state(hass, account) == STATE_UNAVAILABLE
    assert bisp_entry.state is ConfigEntryState.LOADED
    assert len(bisp.open_sessions) == 1
    bisp.fault = Fault.NONE
    seen = await _follow(hass, freezer, account, CALL_SECONDS)
    assert seen[0] in CALL_PROGRESS
    assert seen[-1] == "ended"
    assert bisp.open_sessions == []


async def test_a_call_stuck_on_bad_answers_is_given_up(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _call(hass, account)
    bisp.fault, bisp.fault_command = XmlFault.MALFORMED, "getStatus"
    await run_for(hass, freezer, 50)
    assert _state(hass, account) == "failed"
    assert bisp.commands[-1] == "end"
    assert bisp.open_sessions == []
    sent = len(bisp.commands)
    await run_for(hass, freezer, 30, step=3)
    assert len(bisp.commands) == sent


async def test_bad_answer_to_the_login(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    bisp.fault, bisp.fault_command = XmlFault.MALFORMED, "login"
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, account)
    assert err.value.translation_key == "invalid_response"
    assert bisp_entry.state is ConfigEntryState.LOADED
    assert _state(hass, account) == "idle"


# --- credentials -----------------------------------------------------------------------------


async def test_wrong_password_shows_at_the_first_call(
    hass: HomeAssistant, bisp: BusinessIspSimulator, account: str
) -> None:
    result = await _submit(hass, bisp, password="wrong")
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY  # nothing could be checked
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, account)
    assert err.value.translation_key == "auth"
    assert bisp.commands == ["login"]
    assert bisp.sessions == {}
    with pytest.raises(HomeAssistantError) as err:
        await _action(
            hass,
            "send_sms",
            {"device_id": _number_device(hass, account), "to": CALLEE, "message": "Hi"},
        )
    assert err.value.translation_key == "auth"
    assert bisp.sms_sent == []


async def test_wrong_password_at_the_first_call_starts_reauth(
    hass: HomeAssistant, bisp: BusinessIspSimulator, account: str
) -> None:
    result = await _submit(hass, bisp, password="wrong")
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    with pytest.raises(HomeAssistantError):
        await _call(hass, account)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    # The new password is taken without a request (none can check it) and reloads.
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {"password": bisp.password}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == bisp.password
    await _call(hass, account)
    assert len(bisp.open_sessions) == 1


async def test_no_password_or_session_id_in_logs_or_diagnostics(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 2)
    bisp.fault, bisp.fault_command = XmlFault.MALFORMED, "getStatus"
    await run_for(hass, freezer, 3)
    bisp.fault = Fault.NONE
    await run_for(hass, freezer, 2)
    during = json.dumps(await async_get_config_entry_diagnostics(hass, bisp_entry), default=str)
    await _action(hass, "hang_up", {"device_id": _number_device(hass, account)})
    await _call(hass, account, bisp.BUSY_NUMBER)
    await run_for(hass, freezer, 10)
    await _action(
        hass,
        "send_sms",
        {"device_id": _number_device(hass, account), "to": CALLEE, "message": "Hi"},
    )
    bisp.password = "changed"  # the provider no longer takes ours
    for action, data in (
        ("click_to_call", {"number": CALLEE}),
        ("send_sms", {"to": CALLEE, "message": "Hi"}),
    ):
        with pytest.raises(HomeAssistantError):
            await _action(hass, action, {"device_id": _number_device(hass, account), **data})
    after = json.dumps(await async_get_config_entry_diagnostics(hass, bisp_entry), default=str)

    secrets = [bisp_entry.data["password"], *bisp.sessions]
    assert len(secrets) == 3
    assert json.loads(during)["provider"] == "business_isp"
    for text in (during, after):
        for secret in secrets:
            assert secret not in text
        assert "0612345678" not in text  # the callee is redacted too
    for record in caplog.records:
        line = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        for secret in secrets:
            assert secret not in line, f"secret in log: {line}"


async def test_call_events_on_the_bus(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    from pytest_homeassistant_custom_component.common import async_capture_events

    events = async_capture_events(hass, "hosted_pbx_call")
    await _call(hass, account)
    await _follow(hass, freezer, account, CALL_SECONDS + 5)
    statuses = [event.data["status"] for event in events]
    assert statuses == [*CALL_PROGRESS, "ended"]
    last = events[-1].data
    assert last["ended"] is True
    assert last["duration"] >= BusinessIspSimulator.TALK - 2
    assert last["config_entry_id"] == bisp_entry.entry_id
    assert not any(event.data["ended"] for event in events[:-1])


async def test_hang_up_button(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    from homeassistant.helpers import entity_registry as er

    button = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{account}|number|{SOURCE}|hang_up"
    )
    assert button is not None
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 3)
    assert _state(hass, account) == "connected"
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    await run_for(hass, freezer, 3)
    assert _state(hass, account) == "ended"
    assert bisp.open_sessions == []


async def test_both_at_once_mode(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry, account: str
) -> None:
    device = _number_device(hass, account)
    await _action(hass, "click_to_call", {"device_id": device, "number": CALLEE, "mode": "both"})
    assert bisp.received[0]["type"] == "2"


async def test_polling_stops_at_the_maximum_call_duration(
    hass: HomeAssistant,
    bisp: BusinessIspSimulator,
    bisp_entry: ConfigEntry,
    account: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    client = bisp_entry.runtime_data.coordinator.client
    client.max_call_seconds = RINGING_UNTIL + 5  # the default is two hours
    await _call(hass, account)
    await run_for(hass, freezer, RINGING_UNTIL + 10)
    assert _state(hass, account) == "ended"
    assert bisp.open_sessions == []
    polls = _polls(bisp)
    await run_for(hass, freezer, 60)
    assert _polls(bisp) == polls


async def test_the_maximum_call_duration_is_an_option(
    hass: HomeAssistant, bisp: BusinessIspSimulator, bisp_entry: ConfigEntry
) -> None:
    client = bisp_entry.runtime_data.coordinator.client
    assert client.max_call_seconds == 7200  # two hours by default
    result = await hass.config_entries.options.async_init(bisp_entry.entry_id)
    assert "max_call_minutes" in result["data_schema"].schema
    await hass.config_entries.options.async_configure(
        result["flow_id"], {"quota_share": 80, "max_call_minutes": 30, "low_credit_threshold": 5}
    )
    await hass.async_block_till_done()
    assert client.max_call_seconds == 1800
