"""Quota benchmark: the real coordinators and clients against the simulators, simulated time.

Run from the repository root: ``.venv/bin/python -m bench.quota`` (``--hours 2`` for a
quick run; ``--only VoipCenter`` for the scenarios whose name contains a word). Time is
frozen and moved from one due timer to the next, so 24 simulated hours take a few minutes;
nothing sleeps. Prints one table (markdown) with notes per scenario below it; warnings and
errors logged during the run go to stderr.

Every scenario runs one action every 10 minutes: click-to-call, or send_sms for VoIP.ms,
whose API cannot place a call. VoipCenter and VoIP.ms have no live read: their status
column measures the per-extension registration read. Business-ISP polls only while a call
is up, so its status refresh is measured within calls, and its violations are counted
against the client's assumed quota (none is documented).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import pairwise
import logging
import platform
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

from aiohttp import ThreadedResolver, web
from aiohttp.typedefs import Handler
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    aiohttp_client,
    device_registry as dr,
    entity_registry as er,
)
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.hosted_pbx.api.business_isp import QUOTA as BUSINESS_ISP_QUOTA
from custom_components.hosted_pbx.api.models import Freshness, Read
from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from custom_components.hosted_pbx.coordinator import MIN_SLOT, HostedPbxCoordinator
from custom_components.hosted_pbx.planner import POLICIES
from custom_components.hosted_pbx.providers.voipcenter import CONF_PASSWORD_HASH
from custom_components.hosted_pbx.providers.voipzeker import CONF_LOGIN_TOKEN
from simulator.business_isp import API_PATH as BUSINESS_ISP_PATH, BusinessIspSimulator
from simulator.common import QuotaCounter, SimulatorServer
from simulator.vdb import VdbSimulator
from simulator.voipcenter import API_PATH as VOIPCENTER_PATH, VoipcenterSimulator
from simulator.voipms import API_PATH as VOIPMS_PATH, VoipmsSimulator
from simulator.voipzeker import API_PATH as VOIPZEKER_PATH, VoipzekerSimulator

ACTION_EVERY = 600.0
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CALLEE = "0612345678"
LOGGERS = ("custom_components.hosted_pbx", "homeassistant")


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
    notes: list[str] = field(default_factory=list)


@dataclass
class MarkLog:
    """When each planned read completed (recorded around the planner), and the reads seen."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    reads: dict[str, Read] = field(default_factory=dict)


class LogCapture(logging.Handler):
    """Keeps the warnings and errors a scenario logs."""

    def __init__(self) -> None:
        """Capture WARNING and above."""
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one line per record."""
        if "has not been tested by Home Assistant" in record.getMessage():
            return  # every custom integration gets this one
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def _wall_clock() -> float:
    # freezegun freezes time.monotonic and perf_counter; clock_gettime it leaves alone.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return float(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))])


def _status_reads(reads: Sequence[Read]) -> list[Read]:
    """The reads the "live refresh" column measures.

    The live reads where a provider has them (extension status, a call's progress);
    otherwise the per-extension reads (VoipCenter's and VoIP.ms's registrations, which
    are in the frequent tier).
    """
    live = [read for read in reads if read.freshness is Freshness.LIVE]
    return live or [read for read in reads if read.extension_id is not None]


def _best_live_interval(coordinator: HostedPbxCoordinator) -> float | None:
    """The status-read interval the quota allows if the planner's weights are honoured.

    Slots per second come from the budget; slow reads (credit, structure) take their
    small fixed share; the fast reads split the rest by weight. None when nothing is
    planned (Business-ISP between calls).
    """
    reads = coordinator.client.plan_reads(coordinator.data)
    measured = _status_reads(reads)
    if not measured:
        return None
    rate = 1 / max(MIN_SLOT, coordinator.budget.poll_interval)  # the coordinator's slot
    fast = [read for read in reads if POLICIES[read.freshness].min_interval == 0]
    slow = [read for read in reads if POLICIES[read.freshness].min_interval > 0]
    rate -= sum(read.cost / POLICIES[read.freshness].min_interval for read in slow)
    weights = sum(POLICIES[read.freshness].weight for read in fast)
    read = measured[0]
    share = POLICIES[read.freshness].weight / weights
    return read.cost / (rate * share)


def _record_marks(coordinator: HostedPbxCoordinator, log: MarkLog) -> None:
    original = coordinator.planner.mark

    def mark(reads: Any) -> None:
        reads = list(reads)
        now = coordinator.budget._clock()  # noqa: SLF001 - the benchmark reads the same clock
        for read in reads:
            log.times[read.key].append(now)
            log.reads[read.key] = read
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
    action: Callable[[], Awaitable[None]],
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


def _no_notes() -> list[str]:
    return []


@dataclass(frozen=True)
class Account:
    """A simulated account ready to be added: entry data, its quota counter, the action.

    ``target`` and ``target_id`` name the device the action is called on; ``per_call``
    measures status refreshes within each call only (the reads stop between calls);
    ``notes`` reports what the simulator saw, read before the entry is unloaded.
    """

    data: dict[str, Any]
    unique_id: str
    quota: QuotaCounter
    target_id: str
    target: str = "extension"
    action: str = "click_to_call"
    action_data: dict[str, Any] = field(default_factory=lambda: {"number": CALLEE})
    per_call: bool = False
    notes: Callable[[], list[str]] = _no_notes


type AccountFactory = Callable[[], AbstractAsyncContextManager[Account]]


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


@asynccontextmanager
async def _voipcenter() -> AsyncIterator[Account]:
    """The simulator's default customer: 5 SIP accounts (101-103 registered), 20/min."""
    sim = VoipcenterSimulator()
    server = SimulatorServer(sim.app, VOIPCENTER_PATH)
    url = await server.start()
    data = {
        CONF_PROVIDER: "voipcenter",
        "api_id": sim.api_id,
        "api_key": sim.api_key,
        "customer_number": sim.customer_number,
        CONF_PASSWORD_HASH: sim.password_hash,  # as the config flow stores it
        CONF_URL: url,
    }

    def notes() -> list[str]:
        return [f"{len(sim.calls)} calls placed"]

    try:
        yield Account(
            data,
            sim.customer_number,
            sim.quota,
            "101",
            action_data={"number": "+32 470 12 34 56"},  # the account's region is BE
            notes=notes,
        )
    finally:
        await server.stop()


@asynccontextmanager
async def _voipms(sub_accounts: int, dids: int) -> AsyncIterator[Account]:
    """VoIP.ms has no click-to-call: the action is a text from the first DID."""
    sim = VoipmsSimulator(sub_accounts=sub_accounts, dids=dids)
    server = SimulatorServer(sim.app, VOIPMS_PATH)
    sim.url = await server.start()
    data = {
        CONF_PROVIDER: "voipms",
        "username": sim.username,
        "api_password": sim.api_password,
        CONF_URL: sim.url,
    }

    def notes() -> list[str]:
        return [f"{len(sim.sms_sent)} texts sent"]

    try:
        yield Account(
            data,
            sim.username.casefold(),
            sim.quota,
            next(iter(sim.dids)),
            target="number",
            action="send_sms",
            action_data={"to": "+1 (416) 555-0199", "message": "Benchmark"},
            notes=notes,
        )
    finally:
        await server.stop()


def _counting(quota: QuotaCounter) -> Any:
    """A middleware counting every request (the Business-ISP simulator keeps no quota)."""

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        quota.hit()
        return await handler(request)

    return count


@asynccontextmanager
async def _business_isp() -> AsyncIterator[Account]:
    """Calls from the first number; the status is polled during each call only.

    No quota is documented: violations count against the client's assumed one.
    """
    sim = BusinessIspSimulator()
    quota = QuotaCounter(limit=BUSINESS_ISP_QUOTA.limit, window=BUSINESS_ISP_QUOTA.window)
    sim.app.middlewares.append(_counting(quota))
    server = SimulatorServer(sim.app, BUSINESS_ISP_PATH)
    sim.bind(await server.start())
    data = {
        CONF_PROVIDER: "business_isp",
        "username": sim.username,
        "password": sim.password,
        "numbers": list(sim.numbers),
        CONF_URL: sim.url,
    }

    def notes() -> list[str]:
        polls = [command for command in sim.commands if command.casefold() == "getstatus"]
        logins = sim.commands.count("login")
        return [
            f"{len(sim.sessions)} sessions ({logins} logins), "
            f"{len(sim.sessions_ended)} ended by the integration, "
            f"{len(sim.open_sessions)} still open before unload",
            f"{len(polls)} status polls, {len(polls) / max(1, logins):.1f} per call",
        ]

    try:
        yield Account(
            data,
            sim.username.casefold(),
            quota,
            "31201234567",
            target="number",
            per_call=True,
            notes=notes,
        )
    finally:
        await server.stop()


async def _scenario(
    name: str,
    account_cm: AbstractAsyncContextManager[Account],
    hours: float,
    frozen: FrozenDateTimeFactory,
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
            identifier = (DOMAIN, f"{account.unique_id}|{account.target}|{account.target_id}")
            device = next(
                device
                for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
                if identifier in device.identifiers
            )
            action_times: list[float] = []
            best: list[float] = []
            failures: list[str] = []

            async def action() -> None:
                action_times.append(coordinator.budget._clock())  # noqa: SLF001 - same clock
                try:
                    await hass.services.async_call(
                        DOMAIN,
                        account.action,
                        {"device_id": device.id, **account.action_data},
                        blocking=True,
                        return_response=account.action == "send_sms",
                    )
                except HomeAssistantError as err:
                    failures.append(str(err))
                # Business-ISP plans its status read only while a call is up.
                if (allowed := _best_live_interval(coordinator)) is not None:
                    best.append(allowed)

            latencies = await _run(hass, frozen, hours * 3600, action)
            if (allowed := _best_live_interval(coordinator)) is not None:
                best.append(allowed)
            result = _result(
                name,
                coordinator,
                account,
                log,
                latencies,
                hours,
                best[-1] if best else float("nan"),
                action_times if account.per_call else [],
            )
            result.notes += account.notes()
            if failures:
                result.notes.append(f"{len(failures)} actions failed, first: {failures[0]}")
            unavailable = _unavailable(hass, entry.entry_id)
            if unavailable:
                result.notes.append(f"unavailable at the end: {', '.join(unavailable)}")
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)
            return result


def _unavailable(hass: HomeAssistant, entry_id: str) -> list[str]:
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    return sorted(
        entity.entity_id
        for entity in entities
        if (state := hass.states.get(entity.entity_id)) is not None
        and state.state == STATE_UNAVAILABLE
    )


def _result(
    name: str,
    coordinator: HostedPbxCoordinator,
    account: Account,
    log: MarkLog,
    latencies: list[float],
    hours: float,
    best: float,
    action_times: list[float],
) -> Result:
    """The measured numbers; intervals across an action in ``action_times`` are left out."""
    budget = coordinator.budget
    quota = account.quota
    actions = len(latencies)
    reads = quota.total - actions
    usable = hours * 3600 / budget.poll_interval
    measured = _status_reads(list(log.reads.values()))
    intervals = [
        later - earlier
        for read in measured
        for earlier, later in pairwise(log.times[read.key])
        if not any(earlier < at <= later for at in action_times)
    ]
    notes = []
    if measured and measured[0].freshness is not Freshness.LIVE:
        notes.append(f"no live read: the status column is the {measured[0].name} read")
    if account.per_call:
        notes.append("status refresh measured within calls only")
    return Result(
        name=name,
        requests=quota.total,
        violations=quota.violations,
        read_share=reads / usable,
        live_median=statistics.median(intervals) if intervals else float("nan"),
        live_p95=_percentile(intervals, 0.95),
        live_best=best,
        action_median_ms=statistics.median(latencies) if latencies else float("nan"),
        action_worst_ms=max(latencies, default=float("nan")),
        actions=actions,
        notes=notes,
    )


def _table(results: list[Result], hours: float) -> str:
    lines = [
        f"Simulated {hours:g} h per scenario, one action every 10 minutes "
        "(click-to-call; send_sms where there is none); "
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
    notes = [f"- {r.name}: {'; '.join(r.notes)}." for r in results if r.notes]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


SCENARIOS: list[tuple[str, AccountFactory]] = [
    ("VdB, 5 extensions, 3 queues", partial(_vdb, 5)),
    ("VdB, 20 extensions, 3 queues", partial(_vdb, 20)),
    ("VdB, 100 extensions, 3 queues", partial(_vdb, 100)),
    ("VOIPZeker, 10 extensions, 10 switches", partial(_voipzeker, 10)),
    ("VOIPZeker, 200 extensions, 10 switches", partial(_voipzeker, 200)),
    ("VoipCenter, 5 SIP accounts, 4 indicators, 3 numbers", _voipcenter),
    ("VoIP.ms, 20 sub-accounts, 5 DIDs (send_sms)", partial(_voipms, 20, 5)),
    ("Business-ISP, 2 numbers, a 38 s call each time", _business_isp),
]


async def main(hours: float, only: str | None = None) -> str:
    """Run every scenario (or those whose name contains ``only``) and return the table."""
    results = []
    capture = LogCapture()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(capture)
    # Home Assistant's shared session resolves names through zeroconf, which needs the
    # network integration (and multicast). Everything here is on 127.0.0.1: plain DNS.
    try:
        with patch.object(aiohttp_client, "_async_make_resolver", lambda _hass: ThreadedResolver()):
            for name, account in SCENARIOS:
                if only is not None and only.casefold() not in name.casefold():
                    continue
                before = len(capture.lines)
                with freeze_time(START) as frozen:
                    assert isinstance(frozen, FrozenDateTimeFactory)
                    results.append(await _scenario(name, account(), hours, frozen))
                if logged := len(capture.lines) - before:
                    results[-1].notes.append(f"{logged} warnings or errors logged")
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
    for line in capture.lines:
        print(line, file=sys.stderr)
    return _table(results, hours)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours")
    parser.add_argument("--only", help="run only the scenarios whose name contains this")
    args = parser.parse_args()
    print(asyncio.run(main(args.hours, args.only)))
