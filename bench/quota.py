"""Quota benchmark: the real coordinators and clients against the simulators, simulated time.

Run from the repository root: ``.venv/bin/python -m bench.quota`` (``--hours 2`` for a
quick run). Time is frozen and moved from one due timer to the next, so 24 simulated
hours take a minute or two; nothing sleeps. Prints one table (markdown).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import platform
import statistics
import tempfile
import time
from typing import Any
from unittest.mock import patch

from aiohttp import ThreadedResolver
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import aiohttp_client, device_registry as dr
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.hosted_pbx.api.models import Freshness
from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from custom_components.hosted_pbx.coordinator import HostedPbxCoordinator
from custom_components.hosted_pbx.planner import POLICIES
from custom_components.hosted_pbx.providers.voipzeker import CONF_LOGIN_TOKEN
from simulator.common import QuotaCounter, SimulatorServer
from simulator.vdb import VdbSimulator
from simulator.voipzeker import API_PATH as VOIPZEKER_PATH, VoipzekerSimulator

ACTION_EVERY = 600.0
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@dataclass
class Result:
    """What one scenario measured."""

    name: str
    requests: int
    violations: int
    read_share: float
    live_median: float
    live_p95: float
    live_best: float
    action_median_ms: float
    action_worst_ms: float
    actions: int
    notes: str = ""


@dataclass
class MarkLog:
    """When each planned read completed (recorded around the planner)."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _wall_clock() -> float:
    # freezegun freezes time.monotonic and perf_counter; clock_gettime it leaves alone.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return float(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))])


def _best_live_interval(coordinator: HostedPbxCoordinator) -> float:
    """The live-status interval the quota allows if the planner's weights are honoured.

    Slots per second come from the budget; slow reads (credit, structure) take their
    small fixed share; the fast reads split the rest by weight.
    """
    reads = coordinator.client.plan_reads(coordinator.data)
    rate = 1 / coordinator.budget.poll_interval
    fast = [read for read in reads if POLICIES[read.freshness].min_interval == 0]
    slow = [read for read in reads if POLICIES[read.freshness].min_interval > 0]
    rate -= sum(read.cost / POLICIES[read.freshness].min_interval for read in slow)
    weights = sum(POLICIES[read.freshness].weight for read in fast)
    live = next(read for read in fast if read.freshness is Freshness.LIVE)
    share = POLICIES[live.freshness].weight / weights
    return live.cost / (rate * share)


def _record_marks(coordinator: HostedPbxCoordinator, log: MarkLog) -> None:
    original = coordinator.planner.mark

    def mark(reads: Any) -> None:
        reads = list(reads)
        now = coordinator.budget._clock()  # noqa: SLF001 - the benchmark reads the same clock
        for read in reads:
            log.times[f"{read.freshness}|{read.key}"].append(now)
        original(reads)

    coordinator.planner.mark = mark  # type: ignore[method-assign]


def _next_step(hass: HomeAssistant, until: float) -> float:
    """Seconds to the next due timer (or ``until``), at least a millisecond."""
    now = hass.loop.time()
    pending: list[float] = [
        handle.when()
        for handle in hass.loop._scheduled  # type: ignore[attr-defined]  # noqa: SLF001
        if not handle.cancelled()
    ]
    nearest = min([*pending, now + until])
    return max(0.001, min(nearest - now, until))


async def _run(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    seconds: float,
    action: Callable[[], Any],
) -> list[float]:
    """Advance simulated time timer by timer; call ``action`` every 10 minutes."""
    latencies: list[float] = []
    elapsed = 0.0
    next_action = 60.0
    while elapsed < seconds:
        step = _next_step(hass, min(next_action - elapsed, seconds - elapsed))
        frozen.tick(timedelta(seconds=step))
        elapsed += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        if elapsed >= next_action:
            began = _wall_clock()
            await action()
            latencies.append((_wall_clock() - began) * 1000)
            next_action += ACTION_EVERY
    return latencies


@dataclass(frozen=True)
class Account:
    """A simulated account ready to be added: entry data, its quota counter, a device."""

    data: dict[str, Any]
    unique_id: str
    quota: QuotaCounter
    extension: str


@asynccontextmanager
async def _vdb(extensions: int) -> AsyncIterator[Account]:
    sim = VdbSimulator(extensions=extensions, queues=3, numbers=2)
    server = SimulatorServer(sim.app, "/API/")
    url = await server.start()
    data = {
        CONF_PROVIDER: "vdb",
        CONF_USERNAME: sim.username,
        CONF_PASSWORD: sim.password,
        CONF_URL: url,
    }
    try:
        yield Account(data, sim.username, sim.quota, "1201")
    finally:
        await server.stop()


@asynccontextmanager
async def _voipzeker(extensions: int) -> AsyncIterator[Account]:
    sim = VoipzekerSimulator(extensions=extensions, switches=10)
    server = SimulatorServer(sim.app, VOIPZEKER_PATH)
    url = await server.start()
    sim.login_tokens.add("bench-login-token")  # as if provisioned with an invitation
    data = {CONF_PROVIDER: "voipzeker", CONF_LOGIN_TOKEN: "bench-login-token", CONF_URL: url}
    try:
        yield Account(data, sim.tenant, sim.quota, str(sim.extensions[0]["id"]))
    finally:
        await server.stop()


async def _scenario(
    name: str, account_cm: Any, hours: float, frozen: FrozenDateTimeFactory
) -> Result:
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass, account_cm as account:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            entry = MockConfigEntry(domain=DOMAIN, data=account.data, unique_id=account.unique_id)
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            coordinator: HostedPbxCoordinator = entry.runtime_data.coordinator
            log = MarkLog()
            _record_marks(coordinator, log)
            identifier = (DOMAIN, f"{account.unique_id}|extension|{account.extension}")
            device = next(
                device
                for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
                if identifier in device.identifiers
            )

            async def action() -> None:
                await hass.services.async_call(
                    DOMAIN,
                    "click_to_call",
                    {"device_id": device.id, "number": "0612345678"},
                    blocking=True,
                )

            latencies = await _run(hass, frozen, hours * 3600, action)
            result = _result(name, coordinator, account.quota, log, latencies, hours)
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)
            return result


def _result(
    name: str,
    coordinator: HostedPbxCoordinator,
    quota: QuotaCounter,
    log: MarkLog,
    latencies: list[float],
    hours: float,
) -> Result:
    budget = coordinator.budget
    actions = len(latencies)
    reads = quota.total - actions
    usable = hours * 3600 / budget.poll_interval
    intervals = [
        later - earlier
        for key, times in log.times.items()
        if key.startswith(f"{Freshness.LIVE}|")
        for earlier, later in pairwise(times)
    ]
    return Result(
        name=name,
        requests=quota.total,
        violations=quota.violations,
        read_share=reads / usable,
        live_median=statistics.median(intervals) if intervals else float("nan"),
        live_p95=_percentile(intervals, 0.95),
        live_best=_best_live_interval(coordinator),
        action_median_ms=statistics.median(latencies) if latencies else float("nan"),
        action_worst_ms=max(latencies, default=float("nan")),
        actions=actions,
    )


def _table(results: list[Result], hours: float) -> str:
    lines = [
        f"Simulated {hours:g} h per scenario, one click-to-call every 10 minutes; "
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()} "
        f"Python {platform.python_version()}.",
        "",
        "| scenario | requests | violations | reads / usable budget "
        "| live refresh median / p95 (s) | best allowed (s) | action latency median / worst |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.requests} | {r.violations} | {r.read_share:.0%} "
        f"| {r.live_median:.1f} / {r.live_p95:.1f} | {r.live_best:.1f} "
        f"| {r.action_median_ms:.1f} ms / {r.action_worst_ms:.1f} ms |"
        for r in results
    ]
    return "\n".join(lines)


SCENARIOS: list[tuple[str, Callable[[int], Any], int]] = [
    ("VdB, 5 extensions, 3 queues", _vdb, 5),
    ("VdB, 20 extensions, 3 queues", _vdb, 20),
    ("VdB, 100 extensions, 3 queues", _vdb, 100),
    ("VOIPZeker, 10 extensions, 10 switches", _voipzeker, 10),
    ("VOIPZeker, 200 extensions, 10 switches", _voipzeker, 200),
]


async def main(hours: float) -> str:
    """Run every scenario and return the table."""
    results = []
    # Home Assistant's shared session resolves names through zeroconf, which needs the
    # network integration (and multicast). Everything here is on 127.0.0.1: plain DNS.
    with patch.object(aiohttp_client, "_async_make_resolver", lambda _hass: ThreadedResolver()):
        for name, account, extensions in SCENARIOS:
            with freeze_time(START) as frozen:
                assert isinstance(frozen, FrozenDateTimeFactory)
                results.append(await _scenario(name, account(extensions), hours, frozen))
    return _table(results, hours)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours")
    args = parser.parse_args()
    print(asyncio.run(main(args.hours)))
