"""Options change what is polled; repeated quota refusals raise a repair; restarts don't burst."""

from __future__ import annotations

from collections import Counter

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hosted_pbx.const import DOMAIN
from simulator.common import Fault
from simulator.vdb import VdbSimulator

from .helpers import entity_id, run_for

ACCOUNT = "info@example.nl"


@pytest.fixture
def vdb_sim_options() -> dict[str, int]:
    """Six extensions and two queues."""
    return {"extensions": 6, "queues": 2, "numbers": 1}


def _live_reads(sim: VdbSimulator, since: int) -> Counter[str]:
    return Counter(entry["N"] for entry in sim.request_log[since:] if entry["C"] == "live_call")


async def test_options_flow_changes_what_is_polled(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await hass.config_entries.options.async_init(loaded_vdb.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"watched_extensions": ["1201", "1202"], "watched_queues": [], "quota_share": 60},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_vdb.state is ConfigEntryState.LOADED
    budget = loaded_vdb.runtime_data.coordinator.budget
    assert budget.limit == 15  # 60 % of 25

    start = len(vdb_sim.request_log)
    await run_for(hass, freezer, 1800, step=5)
    reads = _live_reads(vdb_sim, start)
    watched = reads["1201"] + reads["1202"]
    unwatched = sum(count for ext, count in reads.items() if ext not in ("1201", "1202"))
    assert reads["1201"] >= 10
    assert unwatched <= 4 * 2  # each of the other four about every 15 minutes
    assert watched > 3 * unwatched
    assert vdb_sim.quota.violations == 0


async def test_options_need_a_loaded_entry(hass: HomeAssistant, vdb_entry: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(vdb_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_repeated_quota_refusal_raises_a_repair_until_healthy(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    issues = ir.async_get(hass)
    issue_id = f"quota_exceeded_{loaded_vdb.entry_id}"
    for attempt in range(2):
        vdb_sim.fault = Fault.QUOTA
        await run_for(hass, freezer, 30, step=5)
        vdb_sim.fault = Fault.NONE
        if attempt == 0:
            assert issues.async_get_issue(DOMAIN, issue_id) is None  # once is no pattern
            await run_for(hass, freezer, 330, step=5)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "quota_exceeded"
    await run_for(hass, freezer, 340, step=5)  # the window passes, polling works again
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_restart_does_not_burst_into_a_full_window(
    hass: HomeAssistant,
    loaded_vdb: MockConfigEntry,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    await run_for(hass, freezer, 300, step=5)  # polling fills its share of the window
    assert await hass.config_entries.async_unload(loaded_vdb.entry_id)
    sent_before_restart = len(vdb_sim.request_log)

    # Setup never fails because our own budget says "wait": it loads, sends nothing yet,
    # and the entities keep their devices until the first reads.
    assert await hass.config_entries.async_setup(loaded_vdb.entry_id) is True
    assert loaded_vdb.state is ConfigEntryState.LOADED
    assert len(vdb_sim.request_log) == sent_before_restart

    await run_for(hass, freezer, 400, step=5)
    assert loaded_vdb.state is ConfigEntryState.LOADED
    assert len(vdb_sim.request_log) > sent_before_restart
    status = entity_id(hass, ACCOUNT, "extension", "1201", "extension_status")
    assert hass.states.get(status).state == "idle"
    assert vdb_sim.quota.violations == 0
    window = [t for t in (e["time"] for e in vdb_sim.request_log) if t > vdb_sim.now() - 302]
    assert len(window) <= loaded_vdb.runtime_data.coordinator.budget.limit
