"""VoipCenter (pbxonline.be) through Home Assistant, against the simulator.

Config flow (the password kept only as its hash), reauth and reconfigure, registration
statuses, function indicators as switches, the route select, click-to-call, the
unsupported SMS action, error 13 backing polling off, and secrets kept out of logs and
diagnostics. Only time and the API address are patched: everything else is real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_URL, STATE_OFF, STATE_ON, STATE_UNAVAILABLE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped, unused-ignore]
    MockConfigEntry,
)

from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from custom_components.hosted_pbx.diagnostics import async_get_config_entry_diagnostics
from simulator.common import Fault, SimulatorServer
from simulator.voipcenter import API_PATH, VoipcenterSimulator, password_hash

from .helpers import device_id, run_for

ACCOUNT = "123456"  # the simulator's customer number: the entry's unique id


@dataclass
class Center:
    """A VoipCenter simulator on 127.0.0.1 and the API address it answers at."""

    sim: VoipcenterSimulator
    url: str

    def credentials(self, **override: str) -> dict[str, Any]:
        """The form's fields as a user types them (plain password), the URL folded away."""
        fields: dict[str, Any] = {
            "api_id": self.sim.api_id,
            "api_key": self.sim.api_key,
            "customer_number": self.sim.customer_number,
            "password": self.sim.password,
        }
        return {**fields, **override, "advanced": {CONF_URL: self.url}}

    def secrets(self) -> list[str]:
        """What must never be shown: key, password, its hash, every signature sent."""
        sent = [
            value
            for fields in self.sim.raw_fields
            for name, value in fields
            if name in ("pass", "pwd")
        ]
        return [self.sim.api_key, self.sim.password, self.sim.password_hash, *sent]


@pytest.fixture
async def center(socket_enabled: None) -> AsyncIterator[Center]:
    """The simulator, listening on loopback."""
    sim = VoipcenterSimulator()
    server = SimulatorServer(sim.app, API_PATH)
    url = await server.start()
    yield Center(sim, url)
    await server.stop()


@pytest.fixture
def center_entry(hass: HomeAssistant, center: Center) -> MockConfigEntry:
    """An entry as the config flow stores it: the password's hash, never the password."""
    sim = center.sim
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"VoipCenter ({ACCOUNT})",
        unique_id=ACCOUNT,
        data={
            CONF_PROVIDER: "voipcenter",
            "api_id": sim.api_id,
            "api_key": sim.api_key,
            "customer_number": sim.customer_number,
            "password_hash": password_hash(sim.password),
            CONF_URL: center.url,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_center(
    hass: HomeAssistant, center_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The entry set up, with every SIP account, indicator and number read once."""
    assert await hass.config_entries.async_setup(center_entry.entry_id)
    await hass.async_block_till_done()
    await run_for(hass, freezer, 120, step=2)
    return center_entry


def _entity(hass: HomeAssistant, platform: str, target: str, target_id: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{ACCOUNT}|{target}|{target_id}|{key}"
    )
    assert found is not None, f"no {platform} for {target} {target_id} {key}"
    return found


def _state(hass: HomeAssistant, entity: str) -> str:
    state = hass.states.get(entity)
    assert state is not None, f"no state for {entity}"
    return state.state


def _schema(result: ConfigFlowResult) -> dict[Any, Any]:
    schema = result.get("data_schema")
    assert schema is not None
    return dict(schema.schema)


def _loaded(entry: ConfigEntry) -> bool:
    """The entry's state now (a function: mypy keeps no narrowing across awaits here)."""
    return entry.state is ConfigEntryState.LOADED


async def _form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "voipcenter" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "voipcenter"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "voipcenter"
    return str(result["flow_id"])


# --- config flow ---------------------------------------------------------------------------


async def test_flow_creates_entry_with_only_the_password_hash(
    hass: HomeAssistant, center: Center
) -> None:
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        center.credentials(customer_number=f" {ACCOUNT}\t"),  # pasted with blanks
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"VoipCenter ({ACCOUNT})"
    entry = result["result"]
    assert entry.unique_id == ACCOUNT
    assert entry.data["customer_number"] == ACCOUNT
    assert entry.data[CONF_PROVIDER] == "voipcenter"
    assert entry.data[CONF_URL] == center.url
    assert entry.data["password_hash"] == center.sim.password_hash
    assert "password" not in entry.data
    assert center.sim.password not in json.dumps(dict(entry.data))
    assert entry.state is ConfigEntryState.LOADED
    # The check (one list) and the structure (four lists).
    assert [m for _, m in center.sim.requests[:5]] == [
        "sipacc",
        "sipacc",
        "did",
        "indicator",
        "routes",
    ]


async def test_form_fields_and_collapsed_url(hass: HomeAssistant) -> None:
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, None)
    schema = _schema(result)
    assert set(schema) == {
        "api_id",
        "api_key",
        "customer_number",
        "password",
        "websocket_user",
        "advanced",
    }
    advanced = schema["advanced"]
    assert advanced.options == {"collapsed": True}
    assert advanced.schema({}) == {CONF_URL: "https://pbxonline.be/api/"}


@pytest.mark.parametrize(
    ("fault", "override", "error"),
    [
        (Fault.NONE, {"api_key": "not-the-key"}, "invalid_auth"),  # error 14
        (Fault.NONE, {"password": "not-the-password"}, "invalid_auth"),  # error 15
        (Fault.NONE, {"api_id": "pi990000xxx"}, "invalid_auth"),  # error 16
        (Fault.QUOTA, {}, "rate_limited"),  # error 13
        (Fault.HTML, {}, "cannot_connect"),
        (Fault.HTTP_500, {}, "cannot_connect"),
        (Fault.TRUNCATED, {}, "cannot_connect"),
    ],
)
async def test_flow_errors_then_recovers(
    hass: HomeAssistant,
    center: Center,
    fault: Fault,
    override: dict[str, str],
    error: str,
) -> None:
    flow_id = await _form(hass)
    center.sim.fault = fault
    result = await hass.config_entries.flow.async_configure(flow_id, center.credentials(**override))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)

    center.sim.fault = Fault.NONE
    result = await hass.config_entries.flow.async_configure(flow_id, center.credentials())
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "password" not in result["data"]


@pytest.mark.parametrize("api_id", ["pi990000tst", "pi990001oth"])
async def test_same_customer_cannot_be_added_twice(
    hass: HomeAssistant, center: Center, center_entry: MockConfigEntry, api_id: str
) -> None:
    """The customer number is the account, whichever API user signs in."""
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, center.credentials(api_id=api_id, customer_number=f" {ACCOUNT} ")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not center.sim.requests  # refused before anything is sent


async def test_reauth_after_the_password_changed(
    hass: HomeAssistant, center: Center, center_entry: MockConfigEntry
) -> None:
    center.sim.password = "changed-in-the-portal"
    assert not await hass.config_entries.async_setup(center_entry.entry_id)
    await hass.async_block_till_done()
    assert center_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, None)
    assert result["step_id"] == "reauth_confirm"
    assert set(_schema(result)) == {"api_key", "password"}
    assert (result.get("description_placeholders") or {})["account"] == center_entry.title

    key = center.sim.api_key
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"api_key": key, "password": "geheim-wachtwoord"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"api_key": key, "password": "changed-in-the-portal"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert center_entry.data["password_hash"] == password_hash("changed-in-the-portal")
    assert "password" not in center_entry.data
    assert _loaded(center_entry)


async def test_reconfigure_new_key_and_address(
    hass: HomeAssistant,
    center: Center,
    loaded_center: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await loaded_center.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    schema = _schema(result)
    assert set(schema) == {"api_key", "password", "websocket_user", "advanced"}
    assert schema["advanced"].schema({}) == {CONF_URL: center.url}

    # The API key was regenerated in the portal, and the reseller moved the API.
    moved = VoipcenterSimulator(api_key="a-brand-new-api-key-0123456789")
    server = SimulatorServer(moved.app, API_PATH)
    new_url = await server.start()
    requests = len(center.sim.requests)
    try:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                "api_key": center.sim.api_key,  # the old key: refused at the new address
                "password": moved.password,
                "advanced": {CONF_URL: new_url},
            },
        )
        assert result["errors"] == {"base": "invalid_auth"}
        assert loaded_center.data[CONF_URL] == center.url
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {"api_key": moved.api_key, "password": moved.password, "advanced": {CONF_URL: new_url}},
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert loaded_center.data[CONF_URL] == new_url
        assert loaded_center.data["api_key"] == moved.api_key
        assert loaded_center.data["password_hash"] == moved.password_hash
        assert "password" not in loaded_center.data
        assert loaded_center.state is ConfigEntryState.LOADED
        # Set up again once, at the new address. The account's request window is still
        # busy from before the reload: the devices come from the cache, and polling
        # reads the SIP accounts and indicators first (the lists were just known).
        await run_for(hass, freezer, 120, step=2)
        assert {"sipacc", "indicator"} <= {m for _, m in moved.requests}
        assert {m for _, m in moved.requests} <= {"sipacc", "did", "indicator", "routes"}
        assert not center.sim.requests[requests:]
        assert moved.quota.violations == 0
        night = _entity(hass, "switch", "account", "13", "function_indicator")
        assert _state(hass, night) == STATE_OFF
        assert await hass.config_entries.async_unload(loaded_center.entry_id)
    finally:
        await server.stop()


# --- entities ------------------------------------------------------------------------------


async def test_registration_status_and_user_agent(
    hass: HomeAssistant,
    loaded_center: MockConfigEntry,
    center: Center,
    freezer: FrozenDateTimeFactory,
) -> None:
    registered = {"101", "102", "103"}
    for ident in center.sim.sip_accounts:
        status = _entity(hass, "sensor", "extension", ident, "extension_status")
        assert _state(hass, status) == ("idle" if ident in registered else "offline")
    agent = _entity(hass, "sensor", "extension", "101", "user_agent")
    assert _state(hass, agent) == "Yealink SIP-T46U 108.86.0.45"
    entry = er.async_get(hass).async_get(agent)
    assert entry is not None
    assert entry.entity_category is EntityCategory.DIAGNOSTIC
    # The SIP account's device is named as in the portal.
    state = hass.states.get(_entity(hass, "sensor", "extension", "101", "extension_status"))
    assert state is not None
    assert str(state.attributes["friendly_name"]).startswith("Receptie")

    # The phone of 101 drops off, one on 104 registers.
    center.sim.set_registration("101", "")
    center.sim.set_registration("104", "snom D785/10.1.141.13", 30)
    await run_for(hass, freezer, 90, step=2)
    assert _state(hass, _entity(hass, "sensor", "extension", "101", "extension_status")) == (
        "offline"
    )
    assert _state(hass, agent) == "unknown"
    assert _state(hass, _entity(hass, "sensor", "extension", "104", "extension_status")) == "idle"
    assert _state(hass, _entity(hass, "sensor", "extension", "104", "user_agent")) == (
        "snom D785/10.1.141.13"
    )


async def test_function_indicators_are_switches(
    hass: HomeAssistant,
    loaded_center: MockConfigEntry,
    center: Center,
    freezer: FrozenDateTimeFactory,
) -> None:
    registry = er.async_get(hass)
    for ident, (name, on) in center.sim.indicators.items():
        switch = _entity(hass, "switch", "account", ident, "function_indicator")
        entry = registry.async_get(switch)
        assert entry is not None
        assert entry.translation_key == "function_indicator"
        state = hass.states.get(switch)
        assert state is not None
        assert state.state == (STATE_ON if on else STATE_OFF)
        assert str(state.attributes["friendly_name"]) == f"VoipCenter {ACCOUNT} {name}"

    night = _entity(hass, "switch", "account", "13", "function_indicator")
    await hass.services.async_call("switch", "turn_on", {"entity_id": night}, blocking=True)
    assert center.sim.indicator_on("13") is True
    assert _state(hass, night) == STATE_ON
    assert center.sim.received[-1] == {"m": "indicator", "id": "13", "p": "1"}
    await hass.services.async_call("switch", "turn_off", {"entity_id": night}, blocking=True)
    assert center.sim.indicator_on("13") is False
    assert _state(hass, night) == STATE_OFF

    # Switched in the portal: polling follows.
    center.sim.indicators["14"] = ("Vakantie", True)
    await run_for(hass, freezer, 90, step=2)
    assert _state(hass, _entity(hass, "switch", "account", "14", "function_indicator")) == STATE_ON


async def test_route_select_changes_the_route(
    hass: HomeAssistant, loaded_center: MockConfigEntry, center: Center
) -> None:
    number = center.sim.dids["540"].number
    select = _entity(hass, "select", "number", number, "route")
    state = hass.states.get(select)
    assert state is not None
    assert state.state == "Receptie"
    assert state.attributes["options"] == ["Receptie", "Nachtdienst", "Voicemail"]

    await hass.services.async_call(
        "select", "select_option", {"entity_id": select, "option": "Voicemail"}, blocking=True
    )
    assert center.sim.dids["540"].route == "142"
    assert center.sim.received[-1] == {"m": "did", "id": "540", "p": "r142"}
    assert _state(hass, select) == "Voicemail"
    # The other numbers and this number's time filters are untouched.
    assert center.sim.dids["541"].route == "141"
    assert center.sim.dids["540"].backup == "150"
    assert _state(hass, _entity(hass, "select", "number", center.sim.dids["541"].number, "route"))


async def test_click_to_call(
    hass: HomeAssistant, loaded_center: MockConfigEntry, center: Center
) -> None:
    device = device_id(hass, ACCOUNT, "extension", "102")
    response = await hass.services.async_call(
        DOMAIN,
        "click_to_call",
        {"device_id": device, "number": "+31 20 123 4567"},
        blocking=True,
        return_response=True,
    )
    assert center.sim.calls == [{"sipacc": "123456_102", "telnr": "31201234567"}]
    assert response == {"status": "initiated", "extension": "102", "number": "31201234567"}

    # A Belgian number goes out as national digits.
    await hass.services.async_call(
        DOMAIN,
        "click_to_call",
        {"device_id": device, "number": "+32 9 234 56 78"},
        blocking=True,
        return_response=True,
    )
    assert center.sim.calls[-1] == {"sipacc": "123456_102", "telnr": "092345678"}


async def test_send_sms_is_not_supported(
    hass: HomeAssistant, loaded_center: MockConfigEntry, center: Center
) -> None:
    device = device_id(hass, ACCOUNT, "number", center.sim.dids["540"].number)
    requests = len(center.sim.requests)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_sms",
            {"device_id": device, "to": "+32 470 12 34 56", "message": "Hallo"},
            blocking=True,
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "not_supported"
    assert err.value.translation_placeholders == {"action": "send_sms", "provider": "VoipCenter"}
    assert str(err.value) == "VoipCenter does not support send_sms"  # HA drops the "."
    assert len(center.sim.requests) == requests


# --- quota and faults ----------------------------------------------------------------------


async def test_error_13_backs_off_then_recovers(
    hass: HomeAssistant,
    loaded_center: MockConfigEntry,
    center: Center,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = center.sim
    agent = _entity(hass, "sensor", "extension", "101", "user_agent")
    night = _entity(hass, "switch", "account", "13", "function_indicator")
    select = _entity(hass, "select", "number", sim.dids["540"].number, "route")
    sim.fault = Fault.QUOTA
    before = len(sim.requests)
    for _ in range(30):  # until the next polling slot meets the refusal
        await run_for(hass, freezer, 1)
        if len(sim.requests) > before:
            break
    sim.fault = Fault.NONE
    refused_at = len(sim.requests)
    assert refused_at == before + 1
    for entity in (agent, night, select):
        assert _state(hass, entity) == STATE_UNAVAILABLE

    # Nothing goes out while the provider's minute runs.
    await run_for(hass, freezer, 58)
    assert len(sim.requests) == refused_at
    assert _state(hass, agent) == STATE_UNAVAILABLE
    # Then polling resumes and the entities come back.
    await run_for(hass, freezer, 20)
    assert len(sim.requests) > refused_at
    assert _state(hass, agent) == "Yealink SIP-T46U 108.86.0.45"
    assert _state(hass, night) == STATE_OFF
    assert _state(hass, select) == "Receptie"
    assert loaded_center.state is ConfigEntryState.LOADED
    assert sim.quota.violations == 0


async def test_error_13_on_an_action_pauses_polling_too(
    hass: HomeAssistant,
    loaded_center: MockConfigEntry,
    center: Center,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = center.sim
    night = _entity(hass, "switch", "account", "13", "function_indicator")
    sim.fault = Fault.QUOTA
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call("switch", "turn_on", {"entity_id": night}, blocking=True)
    assert err.value.translation_key == "quota"
    assert sim.indicator_on("13") is False
    sim.fault = Fault.NONE
    refused_at = len(sim.requests)
    await run_for(hass, freezer, 58)
    assert len(sim.requests) == refused_at
    # Polling says "paused": the switch is unavailable, and a command sends nothing.
    assert _state(hass, night) == STATE_UNAVAILABLE
    await hass.services.async_call("switch", "turn_on", {"entity_id": night}, blocking=True)
    assert len(sim.requests) == refused_at
    await run_for(hass, freezer, 20)
    await hass.services.async_call("switch", "turn_on", {"entity_id": night}, blocking=True)
    assert sim.indicator_on("13") is True
    assert sim.quota.violations == 0


@pytest.mark.parametrize("skew", [-40, 25])
async def test_server_clock_skew_is_corrected(
    hass: HomeAssistant, center: Center, center_entry: MockConfigEntry, skew: int
) -> None:
    """Error 11: the client takes the server's time from the refusal and signs again."""
    center.sim.clock_skew = skew
    assert await hass.config_entries.async_setup(center_entry.entry_id)
    await hass.async_block_till_done()
    assert center_entry.state is ConfigEntryState.LOADED
    assert center_entry.runtime_data.coordinator.client.clock_offset == skew
    night = _entity(hass, "switch", "account", "13", "function_indicator")
    await hass.services.async_call("switch", "turn_on", {"entity_id": night}, blocking=True)
    assert center.sim.indicator_on("13") is True


async def test_two_hours_stay_within_the_rate_limit(
    hass: HomeAssistant,
    loaded_center: MockConfigEntry,
    center: Center,
    freezer: FrozenDateTimeFactory,
) -> None:
    night = _entity(hass, "switch", "account", "13", "function_indicator")
    for minute in range(120):
        if minute % 3 == 0:  # a change costs two requests of the action reserve
            await hass.services.async_call("switch", "toggle", {"entity_id": night}, blocking=True)
        await run_for(hass, freezer, 60, step=5)
    assert center.sim.quota.violations == 0
    assert sum(1 for _, m in center.sim.requests if m == "routes") <= 4  # hourly, not more


# --- secrets -------------------------------------------------------------------------------


async def test_no_secret_in_logs_or_diagnostics(
    hass: HomeAssistant,
    center: Center,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    flow_id = await _form(hass)
    wrong = {"api_key": "wrong-key-00000000000000000000", "password": "wrong-password"}
    for override in ({"api_key": wrong["api_key"]}, {"password": wrong["password"]}):
        result = await hass.config_entries.flow.async_configure(
            flow_id, center.credentials(**override)
        )
        assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, center.credentials())
    await hass.async_block_till_done()
    entry = result["result"]
    for fault in (Fault.HTTP_500, Fault.HTML, Fault.TRUNCATED, Fault.QUOTA, Fault.NONE):
        center.sim.fault = fault
        await run_for(hass, freezer, 90, step=3)
    device = device_id(hass, ACCOUNT, "extension", "101")
    await hass.services.async_call(
        DOMAIN, "click_to_call", {"device_id": device, "number": "+32 9 234 56 78"}, blocking=True
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["provider"] == "voipcenter"
    data = diagnostics["entry"]["data"]
    for key in ("password_hash", "api_key", "api_id", "customer_number"):
        assert data[key] == "**REDACTED**"
    assert center.sim.api_id not in json.dumps(diagnostics)
    assert ACCOUNT not in json.dumps(diagnostics)

    # The password changes in the portal: the signed requests are refused, reauth starts.
    center.sim.password = "changed-in-the-portal"
    await run_for(hass, freezer, 30, step=3)
    assert any(
        flow["context"]["source"] == "reauth" for flow in hass.config_entries.flow.async_progress()
    )

    secrets = [*center.secrets(), *wrong.values(), password_hash(wrong["password"])]
    assert len(secrets) > 20
    text = json.dumps(diagnostics)
    for secret in secrets:
        assert secret not in text, "secret in diagnostics"
    for record in caplog.records:
        line = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        for secret in secrets:
            assert secret not in line, f"secret in log: {line}"


async def test_a_clock_that_stays_wrong_raises_a_repair_issue(
    hass: HomeAssistant,
    loaded_center: MockConfigEntry,
    center: Center,
    freezer: FrozenDateTimeFactory,
) -> None:
    from homeassistant.helpers import issue_registry as ir

    issue_id = f"clock_skew_{loaded_center.entry_id}"
    center.sim.clock_skew = 30
    center.sim.clock_drift = 30  # every correction is wrong again at once
    await run_for(hass, freezer, 30, step=5)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert abs(float(issue.translation_placeholders["offset"])) >= 30
    center.sim.clock_drift = 0  # the clock is set right: the next correction holds
    await run_for(hass, freezer, 90, step=5)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
