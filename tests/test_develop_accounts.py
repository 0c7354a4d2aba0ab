"""The demo's spare accounts (``python -m simulator``): each can be added next to the first.

``scripts/develop`` adds every provider's first account; the spare one is left for a
developer to add by hand. These tests add both through the config flow, as a person would.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.hosted_pbx.const import DOMAIN
from custom_components.hosted_pbx.providers import PROVIDERS
from simulator.__main__ import BUILDERS, Builder, Simulated, _vdb, _voipzeker


def _built(build: Builder, *, spare: bool) -> Simulated:
    """A simulator whose office life never runs (no server started either)."""
    sim = build(spare=spare)
    sim.activity.close()
    return sim


async def _add(hass: HomeAssistant, key: str, info: dict[str, str]) -> Any:
    """The config flow with the simulator's printed fields; the URL in "advanced"."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": key}
    )
    assert result["type"] is FlowResultType.FORM
    wanted = {str(item) for item in result["data_schema"].schema}
    answer: dict[str, Any] = {name: value for name, value in info.items() if name in wanted}
    answer["advanced"] = {CONF_URL: info["url"]}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    return result


async def test_every_provider_has_a_spare_account_of_its_own() -> None:
    for build in BUILDERS:
        first, spare = _built(build, spare=False), _built(build, spare=True)
        assert spare.key == first.key
        assert spare.info.keys() == first.info.keys()  # the same form to fill in
        spec = PROVIDERS[first.key]
        for item in spec.fields:
            if item.identifies:  # else the flow would abort: already configured
                assert spare.info[item.key] != first.info[item.key], first.key
        assert spare.info != first.info


@pytest.mark.parametrize("build", [_vdb, _voipzeker], ids=["vdb", "voipzeker"])
async def test_spare_account_is_added_next_to_the_first(
    hass: HomeAssistant, socket_enabled: None, build: Builder
) -> None:
    sims = [_built(build, spare=False), _built(build, spare=True)]
    try:
        printed = [{"url": await sim.server.start(), **sim.info} for sim in sims]
        first = await _add(hass, sims[0].key, printed[0])
        assert first["type"] is FlowResultType.CREATE_ENTRY
        # The first account once more, as a person following the old banner did: refused.
        again = await _add(hass, sims[0].key, printed[0])
        assert again["type"] is not FlowResultType.CREATE_ENTRY
        if again["type"] is FlowResultType.FORM:  # VOIPZeker: the invitation is used up
            assert again["errors"] == {"base": "invalid_invitation_used"}
            hass.config_entries.flow.async_abort(again["flow_id"])
        spare = await _add(hass, sims[1].key, printed[1])
        assert spare["type"] is FlowResultType.CREATE_ENTRY, spare.get("errors")

        entries = hass.config_entries.async_entries(DOMAIN)
        assert len(entries) == 2
        assert {entry.unique_id for entry in entries} == {
            first["result"].unique_id,
            spare["result"].unique_id,
        }
        assert first["result"].unique_id != spare["result"].unique_id
        assert all(entry.state is ConfigEntryState.LOADED for entry in entries)
        for entry in entries:
            assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        for sim in sims:
            await sim.server.stop()
