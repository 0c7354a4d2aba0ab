"""Doing the same thing many times in a row never breaks the quota, the reserve or push.

In simulated time, with a VdB and a VOIPZeker account loaded (VOIPZeker with its webhook
registered): option saves, reloads, reconfigures (VdB) and failed config flows against
the loaded accounts, many times each, with polling running in between. After each series:
no request the provider would refuse, a click-to-call right after still goes through (the
action reserve is whole), no entry waits in setup-retry, and the VOIPZeker webhook is the
same one and still set at the provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import os
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.network import get_url
from homeassistant.setup import async_setup_component
import pytest

from custom_components.hosted_pbx.const import DOMAIN

from .helpers import device_id, run_for
from .test_fault_matrix import LONG, Harness, harness

REPEATS = int(os.environ.get("HOSTED_PBX_REPEATS", "100" if LONG else "10"))
PAUSE = 7.0  # seconds of polling between two repetitions
# A reconfigure's check is one request of the action reserve (it is the user acting, and
# it may not wait for polling's share): at most two a window leave the reserve for a call.
RECONFIGURE_PAUSE = 160.0


@pytest.fixture
async def accounts(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> AsyncIterator[tuple[Harness, Harness]]:
    """A VdB and a VOIPZeker account loaded, VOIPZeker's webhook set at the provider."""
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.nl"})
    assert await async_setup_component(hass, "webhook", {})
    async with harness(hass, "vdb") as vdb, harness(hass, "voipzeker") as zeker:
        with patch("custom_components.hosted_pbx.webhook.get_url", wraps=get_url):
            assert await hass.config_entries.async_setup(vdb.entry.entry_id)
            await hass.async_block_till_done()
            await run_for(hass, freezer, 60, step=2)
            assert zeker.sim.webhook_url is not None
            yield vdb, zeker


async def _menu(hass: HomeAssistant, provider: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    assert result["type"] is FlowResultType.FORM
    return str(result["flow_id"])


async def _options(hass: HomeAssistant, h: Harness, turn: int) -> None:
    result = await hass.config_entries.options.async_init(h.entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    fields: dict[str, Any] = {"quota_share": (50, 60, 70, 80, 90)[turn % 5]}
    if h.provider == "vdb":
        extensions = sorted(h.sim.extensions)
        fields["watched_extensions"] = extensions[: 1 + turn % len(extensions)]
        fields["watched_queues"] = [] if turn % 2 else sorted(h.sim.queues)
    result = await hass.config_entries.options.async_configure(result["flow_id"], fields)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def _reload(hass: HomeAssistant, h: Harness, turn: int) -> None:
    assert await hass.config_entries.async_reload(h.entry.entry_id)


async def _reconfigure(hass: HomeAssistant, h: Harness, turn: int) -> None:
    if h.provider != "vdb":
        return  # VOIPZeker has nothing to reconfigure but its address
    result = await h.entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PASSWORD: h.sim.password, "advanced": {CONF_URL: h.entry.data[CONF_URL]}},
    )
    assert result["type"] is FlowResultType.ABORT, result
    assert result["reason"] == "reconfigure_successful"


async def _failed_flow(hass: HomeAssistant, h: Harness, turn: int) -> None:
    flow_id = await _menu(hass, h.provider)
    advanced = {"advanced": {CONF_URL: h.entry.data[CONF_URL]}}
    if h.provider == "vdb":
        fields = {CONF_USERNAME: h.sim.username, CONF_PASSWORD: f"wrong-{turn}", **advanced}
    else:
        fields = {"invitation_id": f"ZZZZ{turn % 100:02d}", **advanced}
    result = await hass.config_entries.flow.async_configure(flow_id, fields)
    # VdB knows the account by its e-mail address and refuses it before sending anything;
    # VOIPZeker learns the tenant only from a good invitation, so it asks the provider.
    assert result["type"] in (FlowResultType.ABORT, FlowResultType.FORM), result
    if result["type"] is FlowResultType.FORM:
        assert result["errors"], result
        hass.config_entries.flow.async_abort(flow_id)


ACTIONS: dict[str, Callable[[HomeAssistant, Harness, int], Awaitable[None]]] = {
    "option_saves": _options,
    "reloads": _reload,
    "reconfigures": _reconfigure,
    "failed_flows": _failed_flow,
}


@pytest.mark.parametrize("action", ACTIONS)
async def test_repeated(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    accounts: tuple[Harness, Harness],
    action: str,
) -> None:
    vdb, zeker = accounts
    webhook_id = zeker.entry.data["webhook_id"]
    with patch("custom_components.hosted_pbx.webhook.get_url", wraps=get_url):
        for turn in range(REPEATS):
            for h in accounts:
                await ACTIONS[action](hass, h, turn)
                await hass.async_block_till_done()
            await run_for(
                hass, freezer, RECONFIGURE_PAUSE if action == "reconfigures" else PAUSE, step=2
            )
            for h in accounts:
                assert h.sim.quota.violations == 0, f"{h.provider} after {action} {turn}"
                assert h.entry.state is ConfigEntryState.LOADED, h.entry.state

    # The action reserve is whole: a click-to-call right now goes through.
    devices = [
        device_id(hass, vdb.account, "extension", sorted(vdb.sim.extensions)[0]),
        device_id(hass, zeker.account, "extension", str(zeker.sim.extensions[0]["id"])),
    ]
    for device in devices:
        await hass.services.async_call(
            DOMAIN,
            "click_to_call",
            {"device_id": device, "number": "0612345678"},
            blocking=True,
        )
    assert vdb.sim.received[-1]["C"] == "init_call"
    assert zeker.sim.calls[-1]["call_number"].endswith("612345678")
    for h in accounts:
        assert h.sim.quota.violations == 0
        assert h.entry.state is ConfigEntryState.LOADED
    assert zeker.entry.data["webhook_id"] == webhook_id
    assert zeker.sim.webhook_url is not None
    assert webhook_id in zeker.sim.webhook_url
    print(f"\nRELIABILITY repeated={action}:{REPEATS} violations=0")
