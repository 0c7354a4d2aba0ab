"""Call-traffic benchmark: how soon Home Assistant shows calls, per polling planner.

Run from the repository root: ``.venv/bin/python -m bench.traffic`` (``--days 4``,
``--hours 10``, ``--seed 1``). The real integration runs in Home Assistant against the
simulators in simulated time (as ``bench.quota``). Each day's call timeline is drawn
from its seed and played on the simulators' live state for each planner, uniform and
activity-aware; the figures pool the days:

- calls arrive as a Poisson process, 30 an hour from 08:00 to 18:00, 2 an hour at night;
  phones are not equally busy (a receptionist takes more calls than the warehouse);
- rings last 5-30 s; calls last a lognormal time, median 3 minutes, long tail;
- on VdB a third of the inbound calls come in through one of 3 queues (6-7 members
  each): the caller waits, then a free member rings, or the caller hangs up first.

For every state change the simulator makes, the bench records when Home Assistant showed
it: the first state change of the entity (``extension_status``, ``queue_calls_waiting``)
after it to a value the simulator held since (this state or a later one: a ring answered
before any read counts as shown when "in call" shows). "seen" is the share of changes
whose own state Home Assistant showed. VOIPZeker's events are also pushed (its webhook),
each a status read when the polling share allows.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

from aiohttp import ThreadedResolver
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import aiohttp_client, entity_registry as er
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from bench.quota import LOGGERS, START, LogCapture, _next_step, _percentile, _wall_clock
from custom_components.hosted_pbx import coordinator as coordinator_module
from custom_components.hosted_pbx.api.models import AccountData, Freshness
from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from custom_components.hosted_pbx.coordinator import HostedPbxCoordinator
from custom_components.hosted_pbx.planner import PollPlanner
from custom_components.hosted_pbx.providers.voipzeker import CONF_LOGIN_TOKEN, SPEC as VZ_SPEC
from simulator.common import SimulatorServer
from simulator.vdb import VdbSimulator
from simulator.voipzeker import API_PATH as VOIPZEKER_PATH, VoipzekerSimulator

EXTENSIONS = 20
QUEUES = 3
OFFICE_RATE = 30 / 3600  # calls per second, 08:00-18:00
NIGHT_RATE = 2 / 3600
OFFICE_HOURS = range(8, 18)
QUEUE_SHARE = 1 / 3  # of inbound calls on VdB
INBOUND_SHARE = 0.7
ANSWER_SHARE = 0.85
RING = (5.0, 30.0)
MEMBER_RING = (5.0, 15.0)
CALL_MEDIAN = 180.0
CALL_SIGMA = 1.0
CALL_BOUNDS = (10.0, 3600.0)
QUEUE_WAIT = (5.0, 120.0)  # until a member is free and rings
PATIENCE = (20.0, 240.0)  # a queue caller hangs up after this
DRAIN = 1200.0  # seconds run after the last call arrival, for the last changes to show

# (kind, value before, value after) -> row of the table.
ROWS = {
    "call start (idle → ringing/dialing)": {
        ("idle", "ringing"),
        ("idle", "dialing"),
    },
    "answered (ringing/dialing → in call)": {("ringing", "in_call"), ("dialing", "in_call")},
    "call end (in call → idle)": {("in_call", "idle")},
    "ring stops unanswered (→ idle)": {("ringing", "idle"), ("dialing", "idle")},
}
QUEUE_JOIN = "queue caller joins"
QUEUE_LEAVE = "queue caller leaves"
ROW_NAMES = [*ROWS, QUEUE_JOIN, QUEUE_LEAVE]


# --- the call timeline -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Step:
    """One change the simulator makes at ``at`` seconds after the start."""

    at: float
    seq: int
    kind: str  # "ring" | "up" | "idle" | "join" | "leave"
    target: int  # extension index, or queue index for join/leave
    direction: str = "in"
    caller: str = ""


def _rate(at: float) -> float:
    hour = (START.hour + int(at // 3600)) % 24
    return OFFICE_RATE if hour in OFFICE_HOURS else NIGHT_RATE


def queue_members(extensions: int, queues: int) -> list[list[int]]:
    """Queues answered by disjoint groups of the extensions (Sales, Support, Service)."""
    return [[i for i in range(extensions) if i % queues == q] for q in range(queues)]


def timeline(seed: int, seconds: float, *, with_queues: bool) -> list[Step]:
    """Calls as a Poisson process (thinned from the office rate), in time order."""
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 0.7 for i in range(EXTENSIONS)]  # some phones are busier
    members = queue_members(EXTENSIONS, QUEUES)
    busy_until = [0.0] * EXTENSIONS
    steps: list[Step] = []
    seq = iter(range(10**9))

    def call(at: float, ext: int, direction: str, ring: float, answered: bool) -> None:
        talk = rng.lognormvariate(math.log(CALL_MEDIAN), CALL_SIGMA)
        talk = min(CALL_BOUNDS[1], max(CALL_BOUNDS[0], talk))
        steps.append(Step(at, next(seq), "ring", ext, direction))
        if answered:
            steps.append(Step(at + ring, next(seq), "up", ext, direction))
            steps.append(Step(at + ring + talk, next(seq), "idle", ext))
            busy_until[ext] = at + ring + talk
        else:
            steps.append(Step(at + ring, next(seq), "idle", ext))
            busy_until[ext] = at + ring

    at = 0.0
    callers = 0
    while True:
        at += rng.expovariate(OFFICE_RATE)
        if at >= seconds:
            break
        if rng.random() > _rate(at) / OFFICE_RATE:
            continue  # thinning: fewer calls at night
        inbound = rng.random() < INBOUND_SHARE
        if inbound and with_queues and rng.random() < QUEUE_SHARE:
            queue = rng.randrange(QUEUES)
            callers += 1
            number = f"06{10_000_000 + callers}"
            steps.append(Step(at, next(seq), "join", queue, caller=number))
            wait, patience = rng.uniform(*QUEUE_WAIT), rng.uniform(*PATIENCE)
            free = [m for m in members[queue] if busy_until[m] <= at + wait]
            if patience < wait or not free:
                steps.append(
                    Step(at + min(patience, wait), next(seq), "leave", queue, caller=number)
                )
                continue
            steps.append(Step(at + wait, next(seq), "leave", queue, caller=number))
            member = rng.choice(free)
            busy_until[member] = math.inf  # reserved from now on
            call(at + wait, member, "in", rng.uniform(*MEMBER_RING), answered=True)
            continue
        ext = rng.choices(range(EXTENSIONS), weights)[0]
        if busy_until[ext] > at:
            continue  # busy: the caller gets a busy tone, the phone does not change
        answered = not inbound or rng.random() < ANSWER_SHARE
        call(at, ext, "in" if inbound else "out", rng.uniform(*RING), answered)
    return sorted(steps)


# --- one provider under traffic ----------------------------------------------------------


@dataclass
class Driver:
    """Applies timeline steps to a simulator and says what Home Assistant should show."""

    data: dict[str, Any]
    unique_id: str
    extension_ids: list[str]
    queue_ids: list[str]
    apply: Callable[[Step], None]
    request_times: list[float]
    quota: Any
    push: Callable[[Step], dict[str, str] | None] = lambda _step: None


def _timed(quota: Any, times: list[float]) -> None:
    original = quota.hit

    def hit() -> bool:
        times.append(time.monotonic())
        return bool(original())

    quota.hit = hit


@asynccontextmanager
async def _vdb() -> AsyncIterator[Driver]:
    sim = VdbSimulator(extensions=EXTENSIONS, queues=QUEUES, numbers=2)
    extension_ids = list(sim.extensions)
    queue_ids = list(sim.queues)
    for queue_id, group in zip(queue_ids, queue_members(EXTENSIONS, QUEUES), strict=True):
        sim.queues[queue_id].extensions = [extension_ids[i] for i in group]
    server = SimulatorServer(sim.app, "/API/")
    url = await server.start()

    def apply(step: Step) -> None:
        if step.kind == "join":
            sim.add_queue_caller(queue_ids[step.target], step.caller)
        elif step.kind == "leave":
            sim.remove_queue_caller(queue_ids[step.target], step.caller)
        elif step.kind == "idle":
            sim.clear_live_call(extension_ids[step.target])
        else:
            state = "Ringing" if step.kind == "ring" else "Up"
            sim.set_live_call(extension_ids[step.target], direction=step.direction, state=state)

    data = {
        CONF_PROVIDER: "vdb",
        CONF_USERNAME: sim.username,
        CONF_PASSWORD: sim.password,
        CONF_URL: url,
    }
    times: list[float] = []
    _timed(sim.quota, times)
    try:
        yield Driver(data, sim.username, extension_ids, queue_ids, apply, times, sim.quota)
    finally:
        await server.stop()


@asynccontextmanager
async def _voipzeker() -> AsyncIterator[Driver]:
    sim = VoipzekerSimulator(extensions=EXTENSIONS, switches=10)
    server = SimulatorServer(sim.app, VOIPZEKER_PATH)
    url = await server.start()
    sim.login_tokens.add("bench-login-token")
    extension_ids = [str(ext["id"]) for ext in sim.extensions]
    calls: dict[int, str] = {}
    codes = {("ring", "in"): 3, ("ring", "out"): 4, ("up", "in"): 6, ("up", "out"): 5}
    directions: dict[int, str] = {}

    def apply(step: Step) -> None:
        if step.kind == "idle":
            sim.set_status(extension_ids[step.target], 1)
        elif step.kind in ("ring", "up"):
            sim.set_status(extension_ids[step.target], codes[step.kind, step.direction])

    def push(step: Step) -> dict[str, str] | None:
        """The webhook's fields for a step, as the service would send them."""
        if step.kind not in ("ring", "up", "idle"):
            return None
        if step.kind == "ring":
            calls[step.target] = f"195.200.82.130_{step.seq:032x}"
            directions[step.target] = step.direction
        direction = directions.get(step.target, "in")
        user = str(sim.extensions[step.target]["username"])
        remote = "31612345678"
        desc = {
            "ring": "INCOMING_RINGING" if direction == "in" else "OUTGOING_RINGING",
            "up": "CONNECTED",
            "idle": "DISCONNECTED",
        }[step.kind]
        return {
            "calluniqueid": calls.get(step.target, f"195.200.82.130_{step.seq:032x}"),
            "callfrom": remote if direction == "in" else user,
            "callto": user if direction == "in" else remote,
            "status_desc": desc,
            "direction": direction,
            "timestamp": str(int(time.time())),
        }

    data = {CONF_PROVIDER: "voipzeker", CONF_LOGIN_TOKEN: "bench-login-token", CONF_URL: url}
    times: list[float] = []
    _timed(sim.quota, times)
    try:
        yield Driver(data, sim.tenant, extension_ids, [], apply, times, sim.quota, push)
    finally:
        await server.stop()


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run measured."""

    provider: str
    planner: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seen: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    unshown: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: int = 0
    violations: int = 0
    reserve_untouched: bool = True
    peak_window: int = 0
    poll_limit: int = 0
    wall: float = 0.0


type History = dict[str, list[tuple[float, str]]]


def _status(step: Step) -> str:
    if step.kind == "ring":
        return "ringing" if step.direction == "in" else "dialing"
    return "in_call" if step.kind == "up" else "idle"


def _truth(steps: list[Step], driver: Driver) -> History:
    """Each entity's values over time (what Home Assistant should show)."""
    truth: History = {f"ext:{ext}": [(0.0, "idle")] for ext in driver.extension_ids}
    truth.update({f"queue:{queue}": [(0.0, "0")] for queue in driver.queue_ids})
    counts: defaultdict[int, int] = defaultdict(int)
    for step in steps:
        if step.kind in ("join", "leave"):
            if not driver.queue_ids:
                continue
            counts[step.target] += 1 if step.kind == "join" else -1
            key = f"queue:{driver.queue_ids[step.target]}"
            truth[key].append((step.at, str(counts[step.target])))
        else:
            truth[f"ext:{driver.extension_ids[step.target]}"].append((step.at, _status(step)))
    return truth


def _row(key: str, before: str, after: str) -> str | None:
    if key.startswith("queue:"):
        return QUEUE_JOIN if int(after) > int(before) else QUEUE_LEAVE
    return next((row for row, pairs in ROWS.items() if (before, after) in pairs), None)


def _measure(truth: History, shown: History, outcome: Outcome) -> None:
    for key, values in truth.items():
        display = shown.get(key, [])
        for index in range(1, len(values)):
            at, value = values[index]
            row = _row(key, values[index - 1][1], value)
            if row is None:
                continue
            until = values[index + 1][0] if index + 1 < len(values) else math.inf
            outcome.seen[row].append(
                any(at <= moment < until and state == value for moment, state in display)
            )
            detected = None
            for moment, state in display:
                if moment < at:
                    continue
                held = {v for t, v in values if at <= t <= moment} | {value}
                if state in held:
                    detected = moment - at
                    break
            if detected is None:
                outcome.unshown[row] += 1
            else:
                outcome.latencies[row].append(detected)


def _peak(times: list[float], window: float) -> int:
    peak, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


async def _run_one(
    provider: str,
    driver_cm: Callable[[], Any],
    mode: str,
    steps: list[Step],
    seconds: float,
    frozen: FrozenDateTimeFactory,
) -> Outcome:
    outcome = Outcome(provider, mode)
    began = _wall_clock()
    planner = partial(PollPlanner, activity=mode == "activity")
    with (
        tempfile.TemporaryDirectory() as config_dir,
        patch.object(coordinator_module, "PollPlanner", planner),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass, driver_cm() as driver:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            entry = MockConfigEntry(domain=DOMAIN, data=driver.data, unique_id=driver.unique_id)
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            coordinator: HostedPbxCoordinator = entry.runtime_data.coordinator
            entities = _entities(hass, entry.entry_id)
            start = time.monotonic()
            shown: History = defaultdict(list)
            for entity_id, key in entities.items():
                if (state := hass.states.get(entity_id)) is not None:
                    shown[key].append((0.0, state.state))

            @callback
            def changed(event: Event[EventStateChangedData]) -> None:
                key = entities.get(event.data["entity_id"])
                new = event.data["new_state"]
                if key is not None and new is not None:
                    shown[key].append((time.monotonic() - start, new.state))

            hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
            by_key = {key: entity_id for entity_id, key in entities.items()}
            read_now: set[str] = set()
            _record_reads(coordinator, read_now)

            def sample() -> None:
                """What Home Assistant shows of each entity a read just refreshed."""
                for key in read_now:
                    if key in by_key and (state := hass.states.get(by_key[key])) is not None:
                        shown[key].append((time.monotonic() - start, state.state))
                read_now.clear()

            requests_before = len(driver.request_times)
            await _play(hass, frozen, coordinator, driver, steps, seconds + DRAIN, sample)
            for values in shown.values():
                values.sort(key=lambda item: item[0])
            _measure(_truth(steps, driver), shown, outcome)
            times = driver.request_times[requests_before:]
            outcome.requests = len(times)
            outcome.violations = driver.quota.violations
            outcome.poll_limit = coordinator.budget.poll_limit
            outcome.peak_window = _peak(times, coordinator.budget.window)
            outcome.reserve_untouched = outcome.peak_window <= coordinator.budget.poll_limit
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)
    outcome.wall = _wall_clock() - began
    return outcome


def _record_reads(coordinator: HostedPbxCoordinator, read_now: set[str]) -> None:
    """Note which entities each completed read (or pushed freshness) refreshed."""
    original = coordinator.planner.mark
    extensions = [f"ext:{ext}" for ext in (coordinator.data or AccountData()).extensions]

    def mark(reads: Any) -> None:
        reads = list(reads)
        for read in reads:
            if read.extension_id is not None:
                read_now.add(f"ext:{read.extension_id}")
            elif read.queue_id is not None:
                read_now.add(f"queue:{read.queue_id}")
            elif read.freshness is Freshness.LIVE:
                read_now.update(extensions)
        original(reads)

    coordinator.planner.mark = mark  # type: ignore[method-assign]


def _entities(hass: HomeAssistant, entry_id: str) -> dict[str, str]:
    """entity_id -> "ext:<id>" or "queue:<id>" for the entities the bench watches."""
    found = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id):
        parts = str(entity.unique_id).split("|")
        if len(parts) != 4:
            continue
        if parts[3] == "extension_status":
            found[entity.entity_id] = f"ext:{parts[2]}"
        elif parts[3] == "queue_calls_waiting":
            found[entity.entity_id] = f"queue:{parts[2]}"
    return found


async def _play(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    coordinator: HostedPbxCoordinator,
    driver: Driver,
    steps: list[Step],
    seconds: float,
    sample: Callable[[], None],
) -> None:
    """Advance simulated time timer by timer, applying each step when it is due."""
    elapsed = 0.0
    index = 0
    while elapsed < seconds:
        next_at = steps[index].at if index < len(steps) else seconds
        step = _next_step(hass, max(0.001, min(next_at, seconds) - elapsed))
        frozen.tick(timedelta(seconds=step))
        elapsed += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        sample()
        while index < len(steps) and steps[index].at <= elapsed + 1e-9:
            driver.apply(steps[index])
            if (fields := driver.push(steps[index])) is not None and VZ_SPEC.push is not None:
                event = VZ_SPEC.push.parse(coordinator.client, fields)
                if event is not None:
                    coordinator.async_push(event)
            index += 1
        await hass.async_block_till_done(wait_background_tasks=True)
        sample()


# --- the table ---------------------------------------------------------------------------


def _cell(values: list[float], share: float) -> str:
    if not values:
        return "-"
    return (
        f"{_percentile(values, share):.0f}" if share != 0.5 else f"{statistics.median(values):.0f}"
    )


def table(outcomes: list[Outcome], hours: float, seed: int, calls: int, days: int = 1) -> str:
    """One markdown table per provider, the planners side by side."""
    lines = [
        f"Call traffic, {days} x {hours:g} simulated h from {START:%H:%M} "
        f"(seeds {seed}-{seed + days - 1}, {calls} calls); "
        "latency = seconds until Home Assistant showed the change (or a later state); "
        "seen = share of changes whose own state it showed.",
    ]
    for provider in dict.fromkeys(outcome.provider for outcome in outcomes):
        runs = [outcome for outcome in outcomes if outcome.provider == provider]
        header = " | ".join(f"{run.planner}: median / p95 (s), seen" for run in runs)
        lines += ["", f"**{provider}**", "", f"| transition | n | {header} |"]
        lines.append("|---|---:|" + "---:|" * len(runs))
        for row in ROW_NAMES:
            count = len(runs[0].seen.get(row, []))
            if not count:
                continue
            cells = []
            for run in runs:
                values = run.latencies.get(row, [])
                seen = run.seen.get(row, [])
                share = sum(seen) / len(seen) if seen else 0.0
                missing = f", {run.unshown[row]} never" if run.unshown.get(row) else ""
                cells.append(f"{_cell(values, 0.5)} / {_cell(values, 0.95)}, {share:.0%}{missing}")
            lines.append(f"| {row} | {count} | " + " | ".join(cells) + " |")
        lines.append("| requests sent | | " + " | ".join(str(run.requests) for run in runs) + " |")
        lines.append("| violations | | " + " | ".join(str(run.violations) for run in runs) + " |")
        lines.append(
            "| action reserve untouched (peak / polling limit per window) | | "
            + " | ".join(
                f"{'yes' if run.reserve_untouched else 'NO'} ({run.peak_window} / {run.poll_limit})"
                for run in runs
            )
            + " |"
        )
        lines.append("| wall time (s) | | " + " | ".join(f"{run.wall:.0f}" for run in runs) + " |")
    return "\n".join(lines)


PROVIDERS: list[tuple[str, Callable[[], Any], bool]] = [
    (f"VdB, {EXTENSIONS} extensions, {QUEUES} queues", _vdb, True),
    (f"VOIPZeker, {EXTENSIONS} extensions, webhook push", _voipzeker, False),
]


def _merge(runs: list[Outcome]) -> Outcome:
    """Several days of one planner as one outcome (latencies pooled, requests summed)."""
    merged = Outcome(runs[0].provider, runs[0].planner)
    for run in runs:
        for row, values in run.latencies.items():
            merged.latencies[row] += values
        for row, flags in run.seen.items():
            merged.seen[row] += flags
        for row, count in run.unshown.items():
            merged.unshown[row] += count
        merged.requests += run.requests
        merged.violations += run.violations
        merged.reserve_untouched &= run.reserve_untouched
        merged.peak_window = max(merged.peak_window, run.peak_window)
        merged.poll_limit = run.poll_limit
        merged.wall += run.wall
    return merged


async def main(hours: float, seed: int, only: str | None = None, days: int = 1) -> str:
    """Run both planners on each provider with the same timelines; return the tables.

    Each of ``days`` is its own timeline (seeds ``seed``, ``seed + 1``, ...) played from
    the morning; the figures pool them, so a median rests on hundreds of calls.
    """
    seconds = hours * 3600
    capture = LogCapture()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(capture)
    outcomes = []
    calls = 0
    try:
        with patch.object(aiohttp_client, "_async_make_resolver", lambda _hass: ThreadedResolver()):
            for name, driver, with_queues in PROVIDERS:
                if only is not None and only.casefold() not in name.casefold():
                    continue
                timelines = [
                    timeline(seed + day, seconds, with_queues=with_queues) for day in range(days)
                ]
                calls = max(
                    calls, sum(step.kind == "ring" for steps in timelines for step in steps)
                )
                for mode in ("uniform", "activity"):
                    runs = []
                    for steps in timelines:
                        with freeze_time(START) as frozen:
                            assert isinstance(frozen, FrozenDateTimeFactory)
                            runs.append(await _run_one(name, driver, mode, steps, seconds, frozen))
                    outcomes.append(_merge(runs))
    finally:
        for logger in loggers:
            logger.removeHandler(capture)
    for line in capture.lines:
        print(line, file=sys.stderr)
    return table(outcomes, hours, seed, calls, days)


def _reproducible() -> None:
    """Run again with a fixed hash seed: the order of equal-ranked reads then repeats."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        argv = [sys.executable, "-m", "bench.traffic", *sys.argv[1:]]
        os.execv(sys.executable, argv)  # noqa: S606 - this interpreter, this module again


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=10.0, help="simulated hours a day")
    parser.add_argument("--days", type=int, default=4, help="days, each its own timeline")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first day")
    parser.add_argument("--only", help="run only the providers whose name contains this")
    args = parser.parse_args()
    _reproducible()
    print(asyncio.run(main(args.hours, args.seed, args.only, args.days)))
