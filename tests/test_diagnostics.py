"""Diagnostics and logs never contain credentials, tokens or phone numbers."""

from __future__ import annotations

from datetime import datetime
import json
import logging
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.api.vdb import token_for
from custom_components.hosted_pbx.diagnostics import async_get_config_entry_diagnostics
from simulator.common import Fault
from simulator.vdb import VdbSimulator

from .helpers import run_for

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    vdb_sim.set_live_call("1201", direction="in", state="Up", remote="31687654321")
    await run_for(hass, freezer, 180, step=5)  # polling saw 1201 go from idle to a call
    # Called directly: the HTTP view imports the supervisor client, which breaks under
    # frozen time.
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_vdb)
    text = json.dumps(diagnostics)
    assert vdb_sim.password not in text
    assert vdb_sim.username not in text
    assert "31687654321" not in text
    for number in vdb_sim.numbers:
        assert number not in text
    assert diagnostics["provider"] == "vdb"
    assert diagnostics["budget"]["limit"] == loaded_vdb.runtime_data.coordinator.budget.limit
    assert diagnostics["data"]["phone_numbers"] == len(vdb_sim.numbers)
    assert {ext["id"] for ext in diagnostics["data"]["extensions"]} == set(vdb_sim.extensions)
    learned = diagnostics["planner"]
    assert learned["mode"] == "activity"
    assert sum(learned["activity_by_hour_utc"]) == 1
    assert learned["activity_by_hour_utc"][dt_util.utcnow().hour] == 1


async def test_no_credential_in_any_log_line(
    hass: HomeAssistant,
    vdb_entry: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await hass.config_entries.async_setup(vdb_entry.entry_id)
    for fault in (Fault.HTTP_500, Fault.HTML, Fault.TRUNCATED, Fault.QUOTA, Fault.NONE):
        vdb_sim.fault = fault
        await run_for(hass, freezer, 400, step=10)
    vdb_sim.password = "rotated"  # the password stops working: reauth
    await run_for(hass, freezer, 60, step=5)
    assert vdb_entry.state is ConfigEntryState.LOADED
    assert any(
        flow["context"]["source"] == "reauth" for flow in hass.config_entries.flow.async_progress()
    )

    secrets = {"geheim", token_for(vdb_sim.username, datetime.now(AMSTERDAM))}
    for record in caplog.records:
        line = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        for secret in secrets:
            assert secret not in line, f"secret in log: {line}"
    assert "Error fetching" in caplog.text  # the failures were logged, just not the secrets


async def test_api_address_with_credentials_is_redacted(
    hass: HomeAssistant, vdb_sim: VdbSimulator, vdb_entry: MockConfigEntry
) -> None:
    # A reseller's address may carry user:password; diagnostics never show the address.
    with_userinfo = vdb_sim.url.replace("http://", "http://reseller:s3cret-pw@")
    hass.config_entries.async_update_entry(vdb_entry, data={**vdb_entry.data, "url": with_userinfo})
    assert await hass.config_entries.async_setup(vdb_entry.entry_id)
    await hass.async_block_till_done()
    text = json.dumps(await async_get_config_entry_diagnostics(hass, vdb_entry))
    assert "s3cret-pw" not in text
    assert "127.0.0.1" not in text
    # Extension names are people's names.
    assert "Toestel 1" not in text
