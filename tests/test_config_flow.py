"""The config flow against the VdB simulator: success, errors, duplicate, reauth, reconfigure."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from simulator.common import Fault, SimulatorServer
from simulator.vdb import VdbSimulator


def _url(url: str) -> dict[str, dict[str, str]]:
    """The API address lives in the form's collapsed "advanced" section."""
    return {"advanced": {CONF_URL: url}}


async def _vdb_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["vdb", "voipcenter", "voipzeker", "voipms", "business_isp"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "vdb"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "vdb"
    return str(result["flow_id"])


async def test_user_flow_creates_entry(hass: HomeAssistant, vdb_sim: VdbSimulator) -> None:
    flow_id = await _vdb_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_USERNAME: "Info@Example.nl", CONF_PASSWORD: vdb_sim.password, **_url(vdb_sim.url)},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "VdB Diensten (Info@Example.nl)"
    assert result["result"].unique_id == "info@example.nl"
    assert result["data"][CONF_PROVIDER] == "vdb"
    assert result["result"].state is ConfigEntryState.LOADED
    assert result["data"][CONF_URL] == vdb_sim.url
    assert vdb_sim.commands[0] == "extension_list"


async def test_url_is_in_a_collapsed_section(hass: HomeAssistant) -> None:
    flow_id = await _vdb_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, None)
    schema = result["data_schema"].schema
    assert CONF_URL not in schema
    assert CONF_USERNAME in schema
    advanced = schema["advanced"]
    assert advanced.options == {"collapsed": True}
    assert advanced.schema({}) == {CONF_URL: "https://portal.vdbdiensten.nl/API/"}


@pytest.mark.parametrize(
    ("fault", "password", "error"),
    [
        (Fault.NONE, "wrong", "invalid_auth"),
        (Fault.QUOTA, None, "rate_limited"),
        (Fault.HTTP_500, None, "cannot_connect"),
        (Fault.HTML, None, "cannot_connect"),
        (Fault.TRUNCATED, None, "cannot_connect"),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    vdb_sim: VdbSimulator,
    fault: Fault,
    password: str | None,
    error: str,
) -> None:
    flow_id = await _vdb_form(hass)
    vdb_sim.fault = fault
    fields = {CONF_USERNAME: vdb_sim.username, **_url(vdb_sim.url)}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**fields, CONF_PASSWORD: password or vdb_sim.password}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)

    vdb_sim.fault = Fault.NONE
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**fields, CONF_PASSWORD: vdb_sim.password}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unreachable_url(hass: HomeAssistant, vdb_sim: VdbSimulator) -> None:
    flow_id = await _vdb_form(hass)
    fields = {CONF_USERNAME: vdb_sim.username, CONF_PASSWORD: vdb_sim.password}
    # A closed loopback port: connection refused.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**fields, **_url("http://127.0.0.1:9/API/")}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    # Not a URL at all.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**fields, **_url("not a url")}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_duplicate_account_aborts(
    hass: HomeAssistant, vdb_sim: VdbSimulator, vdb_entry: MockConfigEntry
) -> None:
    flow_id = await _vdb_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_USERNAME: "INFO@example.nl", CONF_PASSWORD: vdb_sim.password, **_url(vdb_sim.url)},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_when_password_changes(
    hass: HomeAssistant, vdb_sim: VdbSimulator, vdb_entry: MockConfigEntry
) -> None:
    vdb_sim.password = "changed-in-portal"
    assert not await hass.config_entries.async_setup(vdb_entry.entry_id)
    await hass.async_block_till_done()
    assert vdb_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]

    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PASSWORD: "still-wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_PASSWORD: "changed-in-portal"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert vdb_entry.data[CONF_PASSWORD] == "changed-in-portal"
    assert vdb_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_changes_url(
    hass: HomeAssistant, vdb_sim: VdbSimulator, loaded_vdb: MockConfigEntry
) -> None:
    result = await loaded_vdb.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PASSWORD: vdb_sim.password, "advanced": {CONF_URL: "http://127.0.0.1:9/API/"}},
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert loaded_vdb.data[CONF_URL] == vdb_sim.url

    # The reseller moved the API: the same account answers at another address.
    moved_sim = VdbSimulator(username=vdb_sim.username)
    moved = SimulatorServer(moved_sim.app, "/API/")
    new_url = await moved.start()
    try:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: vdb_sim.password, "advanced": {CONF_URL: new_url}}
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"
        # The entry was set up once: one check by the flow, one structure load.
        assert moved_sim.commands.count("extension_list") == 2
        assert loaded_vdb.data[CONF_URL] == new_url
        assert loaded_vdb.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(loaded_vdb.entry_id)
    finally:
        await moved.stop()


async def test_reconfigure_other_account_is_refused(
    hass: HomeAssistant, vdb_sim: VdbSimulator, loaded_vdb: MockConfigEntry
) -> None:
    other = VdbSimulator(username="other@example.nl")
    server = SimulatorServer(other.app, "/API/")
    other_url = await server.start()
    try:
        hass.config_entries.async_update_entry(
            loaded_vdb, data={**loaded_vdb.data, CONF_USERNAME: "other@example.nl"}
        )
        result = await loaded_vdb.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PASSWORD: other.password, "advanced": {CONF_URL: other_url}}
        )
        assert result["reason"] == "wrong_account"
    finally:
        await server.stop()
