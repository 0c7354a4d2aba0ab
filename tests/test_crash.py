"""Home Assistant killed without a clean stop while polling: the restart never bursts.

The quota window is saved by ``HaBudgetStore`` through a delayed Store save (at most
``SAVE_INTERVAL`` after a request). A crash here is: polling runs for a random while, what
storage held at that moment is what was on disk, the entry goes away without its shutdown
save (and without the pending delayed save), storage is put back to that moment, and the
same entry is set up again from it. After every crash the simulators count the requests
that arrive: none may go into a window the provider would refuse.
"""

from __future__ import annotations

import copy
import os
import random
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from custom_components.hosted_pbx.const import DOMAIN

from .helpers import run_for
from .test_fault_matrix import LONG, Harness, available, device_count, harness

CRASHES = int(os.environ.get("HOSTED_PBX_CRASHES", "50" if LONG else "10"))
SEED = 20261123
# Per crash: whether a budget on disk was a delayed save (not a clean stop's).
_DIRTY: list[bool] = []


class _TrackedStore(Store[dict[str, Any]]):
    """The integration's Store, remembered so a crash can drop its pending save."""

    made: list[Store[dict[str, Any]]] = []  # noqa: RUF012 - shared on purpose

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.made.append(self)


def _on_disk(storage: dict[str, Any]) -> dict[str, Any]:
    """What the integration had written: every key of ours."""
    return {key: copy.deepcopy(value) for key, value in storage.items() if key.startswith(DOMAIN)}


async def _crash(
    hass: HomeAssistant, hass_storage: dict[str, Any], harnesses: list[Harness]
) -> None:
    """Kill the entries: nothing written after this moment reaches the disk."""
    disk = _on_disk(hass_storage)
    _DIRTY.append(
        any(
            not v.get("data", {}).get("clean", True)
            for k, v in disk.items()
            if k.endswith(".budget")
        )
    )
    for h in harnesses:
        assert await hass.config_entries.async_unload(h.entry.entry_id)
    await hass.async_block_till_done()
    for store in _TrackedStore.made:
        # The process is gone: its pending delayed and final writes never happen.
        store._async_cleanup_delay_listener()
        store._async_cleanup_final_write_listener()
    _TrackedStore.made.clear()
    for key in [key for key in hass_storage if key.startswith(DOMAIN)]:
        del hass_storage[key]
    hass_storage.update(disk)


async def test_crashes_never_burst_into_a_full_window(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    socket_enabled: None,
) -> None:
    rng = random.Random(SEED)
    with patch("custom_components.hosted_pbx.coordinator.Store", _TrackedStore):
        async with harness(hass, "vdb") as vdb, harness(hass, "voipzeker") as zeker:
            harnesses = [vdb, zeker]
            # Setting the first entry up loads the integration, and with it every entry.
            assert await hass.config_entries.async_setup(vdb.entry.entry_id)
            await hass.async_block_till_done()
            assert all(h.entry.state is ConfigEntryState.LOADED for h in harnesses)
            await run_for(hass, freezer, 60, step=2)
            watched = {h.provider: available(hass, h.entry) for h in harnesses}
            devices = {h.provider: device_count(hass, h.entry) for h in harnesses}
            assert all(watched.values())

            for _ in range(CRASHES):
                # A random moment: often within SAVE_INTERVAL of the last save, sometimes
                # right after a burst of polling, sometimes after a long quiet run.
                await run_for(hass, freezer, rng.choice((1, 3, 7, 11, 17, 29, 61, 97)))
                await _crash(hass, hass_storage, harnesses)
                for h in harnesses:
                    assert await hass.config_entries.async_setup(h.entry.entry_id)
                    assert h.entry.state is ConfigEntryState.LOADED
                await hass.async_block_till_done()
                for h in harnesses:
                    assert h.sim.quota.violations == 0, f"{h.provider} burst after a crash"

            assert any(_DIRTY), "no crash found an unclean save on disk"
            sent = {h.provider: h.requests for h in harnesses}
            await run_for(hass, freezer, 400, step=2)
            for h in harnesses:
                assert h.sim.quota.violations == 0
                assert h.requests > sent[h.provider], f"{h.provider} stopped polling"
                assert watched[h.provider] <= available(hass, h.entry)
                assert device_count(hass, h.entry) == devices[h.provider]
            kept = all(device_count(hass, h.entry) == devices[h.provider] for h in harnesses)
            violations = sum(h.sim.quota.violations for h in harnesses)
            # bench/reliability.py reads this line.
            print(f"\nRELIABILITY crashes={CRASHES} violations={violations} devices_kept={kept}")
