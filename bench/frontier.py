"""How far can polling go on VdB? The call-traffic days replayed against the planner alone.

Run from the repository root: ``.venv/bin/python -m bench.frontier`` (``--days 4``,
``--seed 1``). No Home Assistant and no HTTP: each polling slot asks the real
``PollPlanner`` for a read and answers it from the day's timeline (``bench.traffic``'s
days: 20 extensions, 3 queues, VdB's polling share), so a run takes seconds where
``bench.traffic`` takes minutes. Its figures agree with ``bench.traffic``'s within a few
per cent; those are the ones the README reports.

What it adds is a bound. Besides the uniform and the activity-aware planner, it runs
planners that are *told* each phone's true call rate for the day (a real planner only
learns it from what it happens to see) and sweeps how much they give to calls in
progress, to queues and to the busiest phones. Where not even those reach the issue's
goal (call start no later than uniform, call end and queue callers in half the time),
better weights cannot either: the information is missing, not the tuning.
"""

from __future__ import annotations

import argparse
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise, product
import statistics

from bench.quota import _percentile
from bench.traffic import DRAIN, EXTENSIONS, QUEUES, Step, queue_members, timeline
from custom_components.hosted_pbx.api.models import (
    AccountData,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Freshness,
    Queue,
    QueueCaller,
    QueueState,
    Read,
)
from custom_components.hosted_pbx.api.vdb import VdbClient
from custom_components.hosted_pbx.budget import RequestBudget
from custom_components.hosted_pbx.const import DEFAULT_QUOTA_SHARE
from custom_components.hosted_pbx.planner import PollPlanner

HOURS = 10.0
# The polling slot of a VdB account with the default share, as the coordinator has it.
SLOT = RequestBudget(VdbClient.quota, share=DEFAULT_QUOTA_SHARE / 100).poll_interval
ROWS = ("call start", "answered", "call end", "queue caller joins")
EXT_IDS = [str(1201 + index) for index in range(EXTENSIONS)]
QUEUE_IDS = [str(501 + index) for index in range(QUEUES)]
SLOW_READS = (
    Read("number_list", "numbers", Freshness.SLOW),
    Read("extension_list", "extensions", Freshness.STRUCTURE),
    Read("queues_list", "queues", Freshness.STRUCTURE),
)
# The sweep of the told planners.
IN_CALL_FACTORS = (1.0, 2.0, 3.0, 4.0)
QUEUE_RATES = (1 / 3000, 1 / 1500, 1 / 1000)
SKEWS = (1.0, 2.0)

type Latencies = dict[str, list[float]]
type Factory = Callable[[Callable[[], float], Callable[[], float], "Day"], PollPlanner]


@dataclass
class Day:
    """One day's truth: each phone's status over time, each queue's callers over time."""

    phones: list[list[tuple[float, ExtensionStatus, float]]]  # (at, status, call began)
    queues: list[list[tuple[float, int]]]  # (at, callers waiting)
    seconds: float
    calls: list[int] = field(default_factory=list)  # call starts per phone

    @classmethod
    def of(cls, steps: Iterable[Step], seconds: float) -> Day:
        """The truth the simulator would hold while playing ``steps``."""
        idle = ExtensionStatus.IDLE
        phones = [[(0.0, idle, 0.0)] for _ in range(EXTENSIONS)]
        queues = [[(0.0, 0)] for _ in range(QUEUES)]
        calls = [0] * EXTENSIONS
        for step in steps:
            if step.kind in ("join", "leave"):
                waiting = queues[step.target][-1][1] + (1 if step.kind == "join" else -1)
                queues[step.target].append((step.at, waiting))
                continue
            line = phones[step.target]
            if step.kind == "ring":
                calls[step.target] += 1
                ringing = (
                    ExtensionStatus.RINGING if step.direction == "in" else ExtensionStatus.DIALING
                )
                line.append((step.at, ringing, step.at))
            else:
                status = ExtensionStatus.IN_CALL if step.kind == "up" else idle
                line.append((step.at, status, line[-1][2]))
        return cls(phones, queues, seconds, calls)

    def phone(self, index: int, at: float) -> ExtensionState:
        """What live_call answers for phone ``index`` at ``at``."""
        line = self.phones[index]
        _, status, began = line[bisect_right([moment for moment, _, _ in line], at) - 1]
        duration = round(at - began) if status is ExtensionStatus.IN_CALL else None
        return ExtensionState(EXT_IDS[index], status, duration=duration)

    def queue(self, index: int, at: float) -> QueueState:
        """What the queue read answers for queue ``index`` at ``at``."""
        line = self.queues[index]
        waiting = line[bisect_right([moment for moment, _ in line], at) - 1][1]
        return QueueState(QUEUE_IDS[index], tuple(QueueCaller("06", 0) for _ in range(waiting)))


def replay(day: Day, factory: Factory) -> Latencies:
    """Every polling slot of the day to the planner; how late each change was seen."""
    now = 0.0
    planner = factory(lambda: now, lambda: 8 * 3600.0 + now, day)
    members = queue_members(EXTENSIONS, QUEUES)
    structure = AccountData(
        extensions={ext: Extension(ext, ext) for ext in EXT_IDS},
        queues={
            queue: Queue(queue, queue, tuple(EXT_IDS[m] for m in group))
            for queue, group in zip(QUEUE_IDS, members, strict=True)
        },
    )
    phone_reads = [Read("live_call", ext, Freshness.LIVE, extension_id=ext) for ext in EXT_IDS]
    queue_reads = [Read("queue", queue, Freshness.FREQUENT, queue_id=queue) for queue in QUEUE_IDS]
    reads = [*phone_reads, *queue_reads, *SLOW_READS]
    seen_phones: dict[str, ExtensionState] = {}
    seen_queues: dict[str, QueueState] = {}
    read_at: dict[str, list[float]] = {read.key: [] for read in reads}
    while now < day.seconds + DRAIN:
        now += SLOT
        known = AccountData(
            extensions=structure.extensions,
            queues=structure.queues,
            extension_states=dict(seen_phones),
            queue_states=dict(seen_queues),
        )
        read = planner.next_read(reads, (), known, slot=SLOT)
        if read is None:
            continue
        if read.extension_id is not None:
            seen_phones[read.extension_id] = day.phone(EXT_IDS.index(read.extension_id), now)
        elif read.queue_id is not None:
            seen_queues[read.queue_id] = day.queue(QUEUE_IDS.index(read.queue_id), now)
        planner.mark([read])
        read_at[read.key].append(now)
    return _latencies(
        day,
        [read_at[read.key] for read in phone_reads],
        [read_at[read.key] for read in queue_reads],
    )


def _latencies(
    day: Day, phone_reads: list[list[float]], queue_reads: list[list[float]]
) -> Latencies:
    """A change is shown at the first read of its phone or queue after it (as on VdB)."""
    found: Latencies = {row: [] for row in ROWS}

    def shown(times: list[float], at: float) -> float | None:
        index = bisect_left(times, at)
        return times[index] - at if index < len(times) else None

    for phone, times in zip(day.phones, phone_reads, strict=True):
        for (_, before, _), (at, after, _) in pairwise(phone):
            row = _row(before, after)
            if row is not None and (late := shown(times, at)) is not None:
                found[row].append(late)
    for queue, times in zip(day.queues, queue_reads, strict=True):
        for (_, waiting_before), (at, waiting) in pairwise(queue):
            if waiting > waiting_before and (late := shown(times, at)) is not None:
                found["queue caller joins"].append(late)
    return found


def _row(before: ExtensionStatus, after: ExtensionStatus) -> str | None:
    if before is ExtensionStatus.IDLE and after is not ExtensionStatus.IDLE:
        return "call start"
    if after is ExtensionStatus.IN_CALL:
        return "answered"
    if before is ExtensionStatus.IN_CALL and after is ExtensionStatus.IDLE:
        return "call end"
    return None


class ToldPlanner(PollPlanner):
    """The activity planner told each phone's true call rate, with its shares swept.

    ``skew`` > 1 leans the idle phones' reads further toward the busy ones than the
    square-root rule does (which minimises the mean, not the median, latency).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        wall: Callable[[], float],
        day: Day,
        *,
        in_call: float,
        queue_rate: float,
        skew: float,
    ) -> None:
        """The true rates are the day's call starts per phone over its hours."""
        super().__init__(clock, wall=wall)
        mean = sum(day.calls) / len(day.calls) / day.seconds
        self._true = {
            ext: mean * (max(calls, 0.5) / day.seconds / mean) ** skew
            for ext, calls in zip(EXT_IDS, day.calls, strict=True)
        }
        self._in_call = in_call
        self._queue_empty = queue_rate

    def _extension_rates(self, data: AccountData, busy: float) -> dict[str, float]:
        rates = super()._extension_rates(data, busy)
        for ext, state in data.extension_states.items():
            if state.status is ExtensionStatus.IDLE:
                rates[ext] = self._true[ext]
            elif state.status is ExtensionStatus.IN_CALL:
                rates[ext] = self._in_call / max(self.call_length, float(state.duration or 0))
        return rates

    def _queue_rate(self, queue_id: str, data: AccountData, busy: float) -> float:
        rate = super()._queue_rate(queue_id, data, busy)
        return rate if self._callers(queue_id, data) else self._queue_empty


def _told(in_call: float, queue_rate: float, skew: float) -> Factory:
    def factory(clock: Callable[[], float], wall: Callable[[], float], day: Day) -> PollPlanner:
        return ToldPlanner(clock, wall, day, in_call=in_call, queue_rate=queue_rate, skew=skew)

    return factory


@dataclass
class Result:
    """One planner over all days."""

    name: str
    latencies: Latencies

    def median(self, row: str) -> float:
        """The median latency of one transition."""
        return statistics.median(self.latencies[row])

    def cell(self, row: str) -> str:
        """Median / p95 for the table."""
        values = self.latencies[row]
        return f"{statistics.median(values):.0f} / {_percentile(values, 0.95):.0f}"

    def worst(self, uniform: Result) -> float:
        """The goal's worst ratio: 1 or less means all three goals are met."""
        return max(
            self.median("call start") / uniform.median("call start"),
            self.median("call end") / (uniform.median("call end") / 2),
            self.median("queue caller joins") / (uniform.median("queue caller joins") / 2),
        )


def run(name: str, days: list[Day], factory: Factory) -> Result:
    """One planner on every day, latencies pooled."""
    pooled: Latencies = {row: [] for row in ROWS}
    for day in days:
        for row, values in replay(day, factory).items():
            pooled[row] += values
    return Result(name, pooled)


def main(days: int, seed: int) -> str:
    """The table: uniform, activity, and the told planners closest to the goal."""
    seconds = HOURS * 3600
    played = [Day.of(timeline(seed + n, seconds, with_queues=True), seconds) for n in range(days)]
    uniform = run(
        "uniform", played, lambda clock, wall, _day: PollPlanner(clock, activity=False, wall=wall)
    )
    activity = run(
        "activity (learns)", played, lambda clock, wall, _day: PollPlanner(clock, wall=wall)
    )
    told = []
    for in_call, queue_rate, skew in product(IN_CALL_FACTORS, QUEUE_RATES, SKEWS):
        name = f"told: in call x{in_call:g}, empty queue 1/{1 / queue_rate:.0f} s, skew {skew:g}"
        told.append(run(name, played, _told(in_call, queue_rate, skew)))
    told.sort(key=lambda result: result.worst(uniform))
    calls = sum(sum(day.calls) for day in played)
    lines = [
        f"VdB, {EXTENSIONS} extensions, {QUEUES} queues, {days} x {HOURS:g} h "
        f"(seeds {seed}-{seed + days - 1}, {calls} calls), one read per {SLOT:.1f} s slot; "
        "median / p95 seconds until shown. Goal ratio: the worst of call start / uniform, "
        "call end / (uniform / 2), queue joins / (uniform / 2); 1 or less meets the goal.",
        "",
        f"| planner | {' | '.join(ROWS)} | goal ratio |",
        "|---|" + "---:|" * (len(ROWS) + 1),
    ]
    for result in [uniform, activity, *told[:5]]:
        cells = " | ".join(result.cell(row) for row in ROWS)
        lines.append(f"| {result.name} | {cells} | {result.worst(uniform):.2f} |")
    lines.append("")
    lines.append(
        f"{len(told)} told planners swept; the best goal ratio is {told[0].worst(uniform):.2f}"
        f" ({'met' if told[0].worst(uniform) <= 1 else 'not met'})."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=4, help="days, each its own timeline")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first day")
    args = parser.parse_args()
    print(main(args.days, args.seed))
