"""Shared fixtures: simulators on loopback and a Home Assistant with the integration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from simulator.common import SimulatorServer
from simulator.vdb import VdbSimulator
from simulator.voipzeker import API_PATH as VOIPZEKER_PATH, VoipzekerSimulator

from .helpers import run_for

# Mid-hour in Amsterdam, far from the token's hour boundary unless a test moves there.
START = datetime(2026, 11, 23, 10, 20, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/hosted_pbx in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, stored beside the tests."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def frozen_start(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Every test starts at the same moment; tests move time only through ``freezer``."""
    freezer.move_to(START)
    return freezer


@pytest.fixture
def vdb_sim_options() -> dict[str, int]:
    """Size of the simulated VdB account; override per test module."""
    return {"extensions": 3, "queues": 1, "numbers": 2}


@pytest.fixture
async def vdb_sim(
    socket_enabled: None, vdb_sim_options: dict[str, int]
) -> AsyncIterator[VdbSimulator]:
    """A VdB simulator listening on 127.0.0.1; ``vdb_sim.url`` is its API base."""
    sim = VdbSimulator(**vdb_sim_options)
    server = SimulatorServer(sim.app, "/API/")
    sim.url = await server.start()
    yield sim
    await server.stop()


@pytest.fixture
def vdb_entry(hass: HomeAssistant, vdb_sim: VdbSimulator) -> MockConfigEntry:
    """A VdB config entry pointing at the simulator, added to Home Assistant."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="VdB Diensten (info@example.nl)",
        unique_id=vdb_sim.username,
        data={
            CONF_PROVIDER: "vdb",
            CONF_USERNAME: vdb_sim.username,
            CONF_PASSWORD: vdb_sim.password,
            CONF_URL: vdb_sim.url,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_vdb(hass: HomeAssistant, vdb_entry: MockConfigEntry) -> MockConfigEntry:
    """The VdB entry, set up."""
    assert await hass.config_entries.async_setup(vdb_entry.entry_id)
    await hass.async_block_till_done()
    return vdb_entry


TENANT = "1234"
LOGIN_TOKEN = "test-login-token-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def zeker_options() -> dict[str, int]:
    """Size of the simulated tenant; overridden by the quota test."""
    return {"extensions": 5, "switches": 2}


@pytest.fixture
async def zeker(
    socket_enabled: None, zeker_options: dict[str, int]
) -> AsyncIterator[VoipzekerSimulator]:
    """A VOIPZeker simulator on 127.0.0.1; ``zeker.url`` is its API base."""
    sim = VoipzekerSimulator(**zeker_options)
    server = SimulatorServer(sim.app, VOIPZEKER_PATH)
    sim.url = await server.start()
    yield sim
    await server.stop()


@pytest.fixture(autouse=True)
def no_network_url() -> Iterator[None]:
    """Home Assistant has no URL unless a test gives it one (the test hass guesses one)."""
    with patch("custom_components.hosted_pbx.webhook.get_url", side_effect=NoURLAvailableError):
        yield


@pytest.fixture
def zeker_entry(hass: HomeAssistant, zeker: VoipzekerSimulator) -> MockConfigEntry:
    """A VOIPZeker entry with a login token the simulator knows (as if provisioned)."""
    zeker.login_tokens.add(LOGIN_TOKEN)
    zeker.issued_secrets.append(LOGIN_TOKEN)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"VOIPZeker ({TENANT})",
        unique_id=TENANT,
        data={
            CONF_PROVIDER: "voipzeker",
            "login_token": LOGIN_TOKEN,
            CONF_URL: zeker.url,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_zeker(
    hass: HomeAssistant, zeker_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The VOIPZeker entry, set up, with a first round of statuses read."""
    assert await hass.config_entries.async_setup(zeker_entry.entry_id)
    await hass.async_block_till_done()
    await run_for(hass, freezer, 10)
    return zeker_entry
