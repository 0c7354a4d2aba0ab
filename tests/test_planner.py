"""The polling planner alone: each activity rule, the floor, and the request count."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

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
from custom_components.hosted_pbx.planner import CALL_LENGTH_BOUNDS, FLOOR_FACTOR, PollPlanner

from .strategies import json_values

SLOT = 17.8
IDLE, RINGING, IN_CALL = ExtensionStatus.IDLE, ExtensionStatus.RINGING, ExtensionStatus.IN_CALL
OFFICE = 10 * 3600.0  # 10:00 UTC on the planner's wall clock


class Clock:
    """A hand-moved clock for the planner (monotonic and wall)."""

    def __init__(self, wall: float = OFFICE) -> None:
        self.now = 0.0
        self.wall_start = wall

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_start + self.now


def _live(ext: str) -> Read:
    return Read("live_call", ext, Freshness.LIVE, extension_id=ext)


def _queue(queue: str) -> Read:
    return Read("queue", queue, Freshness.FREQUENT, queue_id=queue)


SLOW_READS = [
    Read("number_list", "numbers", Freshness.SLOW),
    Read("extension_list", "extensions", Freshness.STRUCTURE),
    Read("queues_list", "queues", Freshness.STRUCTURE),
]


def _account(
    extensions: int = 20,
    statuses: dict[str, ExtensionStatus] | None = None,
    queues: dict[str, tuple[tuple[str, ...], int]] | None = None,
) -> tuple[AccountData, list[Read]]:
    """An account like VdB's: one live read per extension, one read per queue, slow lists."""
    ids = [str(1201 + i) for i in range(extensions)]
    statuses = statuses or {}
    queues = queues or {}
    data = AccountData(
        extensions={ext: Extension(ext, ext) for ext in ids},
        extension_states={
            ext: ExtensionState(ext, statuses.get(ext, IDLE), duration=0) for ext in ids
        },
        queues={q: Queue(q, q, members) for q, (members, _) in queues.items()},
        queue_states={
            q: QueueState(q, tuple(QueueCaller(f"06{i}", 5) for i in range(callers)))
            for q, (_, callers) in queues.items()
        },
    )
    reads = [*(_live(ext) for ext in ids), *(_queue(q) for q in queues), *SLOW_READS]
    return data, reads


def _planner(clock: Clock, reads: list[Read], *, activity: bool = True) -> PollPlanner:
    """A planner that has read everything once, at time 0."""
    planner = PollPlanner(clock, activity=activity, wall=clock.wall)
    planner.mark(reads)
    return planner


def _run(
    planner: PollPlanner,
    clock: Clock,
    reads: list[Read],
    data: AccountData,
    slots: int,
) -> list[Read]:
    """One next_read per slot, the chosen read marked done, as the coordinator does."""
    done = []
    for _ in range(slots):
        clock.now += SLOT
        read = planner.next_read(reads, (), data, slot=SLOT)
        if read is not None:
            planner.mark([read])
            done.append(read)
    return done


def test_ringing_is_read_again_soon() -> None:
    clock = Clock()
    data, reads = _account(statuses={"1205": RINGING})
    planner = _planner(clock, reads)
    clock.now = 100.0  # everything equally stale
    assert planner.next_read(reads, (), data, slot=SLOT) == _live("1205")
    planner.mark([_live("1205")])
    # Two slots later the ringing phone is the first choice again, before idle ones.
    chosen = _run(planner, clock, reads, data, 3)
    assert _live("1205") in chosen


def test_in_call_is_read_more_often_than_idle() -> None:
    clock = Clock()
    data, reads = _account(statuses={"1203": IN_CALL})
    planner = _planner(clock, reads)
    chosen = _run(planner, clock, reads, data, 200)
    in_call = chosen.count(_live("1203"))
    idle = chosen.count(_live("1210"))
    assert in_call >= 2 * idle
    assert len(chosen) == 200


def test_queue_callers_lift_the_queue_and_its_members() -> None:
    clock = Clock()
    members = ("1201", "1202", "1203")
    empty_data, reads = _account(queues={"q1": (members, 0), "q2": (("1210",), 0)})
    busy_data, _ = _account(queues={"q1": (members, 2), "q2": (("1210",), 0)})
    quiet = _run(_planner(clock, reads), clock, reads, empty_data, 100)
    clock = Clock()
    lifted = _run(_planner(clock, reads), clock, reads, busy_data, 100)
    assert lifted.count(_queue("q1")) > 1.4 * max(1, quiet.count(_queue("q1")))
    member_reads = sum(lifted.count(_live(m)) for m in members)
    assert member_reads > sum(quiet.count(_live(m)) for m in members)
    assert lifted.count(_queue("q1")) > lifted.count(_queue("q2"))


def _was_active(planner: PollPlanner, clock: Clock, ext: str) -> None:
    """The planner sees ``ext`` in a call and back to idle (at the current time)."""
    data, _ = _account()
    planner.observe(data)
    planner.observe(_account(statuses={ext: IN_CALL})[0])
    planner.observe(data)


def test_recently_active_ranks_above_long_idle() -> None:
    clock = Clock()
    data, reads = _account()
    planner = _planner(clock, reads)
    _was_active(planner, clock, "1204")
    clock.now = 200.0
    planner.mark([r for r in reads if r != _live("1204")])  # 1204 read at 0, others at 200
    clock.now = 400.0
    planner.mark([_live("1204")])  # now 1204 is fresher than every other phone
    clock.now = 600.0
    rates = planner.rates(reads, (), data)
    assert rates[_live("1204").key] > 2 * rates[_live("1210").key]


def test_outside_busy_hours_everything_relaxes_evenly() -> None:
    clock = Clock()
    data, reads = _account()
    planner = _planner(clock, reads)
    for hour in range(8, 18):  # a history of office hours
        planner.hours[hour] = 10
    _was_active(planner, clock, "1204")
    busy_rates = planner.rates(reads, (), data)
    clock.wall_start = 3 * 3600.0  # 03:00: nobody calls
    night = planner.rates(reads, (), data)
    assert planner.busy_factor() < 0.5
    idle = [_live(ext).key for ext in data.extensions if ext != "1204"]
    assert all(night[key] < busy_rates[key] for key in idle)
    assert len({night[key] for key in idle}) == 1  # evenly
    # The recently active phone's lead shrinks at night more than the rest relax.
    assert night[_live("1204").key] / night[idle[0]] < (
        busy_rates[_live("1204").key] / busy_rates[idle[0]]
    )


def test_pushed_fresh_extensions_go_last() -> None:
    clock = Clock()
    data, reads = _account(extensions=4)
    planner = _planner(clock, reads)
    clock.now = 300.0
    planner.mark([_live("1201"), _live("1202")])  # a push said these are known
    chosen = _run(planner, clock, reads, data, 2)
    assert _live("1201") not in chosen
    assert _live("1202") not in chosen


def test_first_reads_go_to_what_is_unknown_not_to_structure_just_read() -> None:
    clock = Clock()
    data, reads = _account(extensions=3, queues={"q": (("1201",), 0)})
    planner = PollPlanner(clock, wall=clock.wall)
    planner.mark(SLOW_READS)  # the structure load covered these
    chosen = _run(planner, clock, reads, data, 4)
    assert [read.freshness for read in chosen] == [
        Freshness.LIVE,
        Freshness.LIVE,
        Freshness.LIVE,
        Freshness.FREQUENT,
    ]


def test_uniform_mode_is_a_weighted_round_robin() -> None:
    clock = Clock()
    data, reads = _account(extensions=4, statuses={"1201": IN_CALL})
    planner = _planner(clock, reads, activity=False)
    chosen = _run(planner, clock, reads, data, 40)
    counts = {ext: chosen.count(_live(ext)) for ext in data.extensions}
    assert max(counts.values()) - min(counts.values()) <= 1  # activity is ignored


statuses = st.sampled_from([IDLE, IDLE, IDLE, RINGING, IN_CALL, ExtensionStatus.OFFLINE, None])


@settings(max_examples=60, deadline=None)
@given(
    extensions=st.integers(1, 30),
    queues=st.integers(0, 4),
    timeline=st.lists(
        st.tuples(
            st.integers(0, 29), statuses, st.integers(0, 3), st.integers(0, 3), st.integers(0, 900)
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_no_watched_read_exceeds_the_floor_and_one_read_per_slot(
    extensions: int, queues: int, timeline: list[tuple[int, ExtensionStatus | None, int, int, int]]
) -> None:
    """Random activity: every watched read within uniform x 1.5; one read per slot."""
    clock = Clock()
    ids = [str(1201 + i) for i in range(extensions)]
    queue_ids = [f"q{i}" for i in range(queues)]
    state = {ext: ExtensionState(ext, IDLE) for ext in ids}
    callers = dict.fromkeys(queue_ids, 0)
    reads = [*(_live(ext) for ext in ids), *(_queue(q) for q in queue_ids), *SLOW_READS]
    planner = _planner(clock, reads)
    floors = planner.floors(reads, (), SLOT)
    uniform = planner.uniform_intervals(reads, (), SLOT)
    # x 1.5 holds wherever it leaves room for the slow reads that can come due together.
    assert all(
        floors[key] == uniform[key] * FLOOR_FACTOR
        for key in floors
        if uniform[key] * (FLOOR_FACTOR - 1) >= (len(SLOW_READS) + 1) * SLOT
    )
    last = {read.key: 0.0 for read in reads}
    slots = 0
    done = 0
    for ext_index, status, queue_index, count, duration in timeline:
        ext = ids[ext_index % extensions]
        state[ext] = ExtensionState(ext, status, duration=duration)
        if queue_ids:
            callers[queue_ids[queue_index % queues]] = count
        data = AccountData(
            extensions={e: Extension(e, e) for e in ids},
            extension_states=dict(state),
            queues={q: Queue(q, q, tuple(ids[:3])) for q in queue_ids},
            queue_states={
                q: QueueState(q, tuple(QueueCaller("06", 1) for _ in range(n)))
                for q, n in callers.items()
            },
        )
        for _ in range(10):  # ten slots with this state
            clock.now += SLOT
            slots += 1
            read = planner.next_read(reads, (), data, slot=SLOT)
            assert read is not None  # the polling share is used, never exceeded
            planner.mark([read])
            done += 1
            last[read.key] = clock.now
            for key, floor in floors.items():
                assert clock.now - last[key] <= floor + 1e-6, key
    assert done == slots


def test_without_a_slot_the_planner_estimates_it_and_keeps_the_floor() -> None:
    clock = Clock()
    data, reads = _account(extensions=20, statuses={"1201": IN_CALL})
    planner = _planner(clock, reads)
    floors = planner.uniform_intervals(reads, (), SLOT)
    last = dict.fromkeys(floors, 0.0)
    for _ in range(300):
        clock.now += SLOT
        read = planner.next_read(reads, (), data)  # no slot: learned from the calls
        assert read is not None
        planner.mark([read])
        last[read.key] = clock.now
        assert all(clock.now - last[key] <= floor * FLOOR_FACTOR for key, floor in floors.items())


def _learned_on_a_busy_morning() -> tuple[PollPlanner, Clock, list[Read], AccountData]:
    """A planner that saw 1204 take three calls of five minutes in office hours."""
    clock = Clock()
    data, reads = _account()
    planner = _planner(clock, reads)
    planner.observe(data)
    for _ in range(3):
        clock.now += 600.0
        planner.observe(_account(statuses={"1204": IN_CALL})[0])
        talking = _account()[0]
        talking = AccountData(
            extensions=talking.extensions,
            extension_states={
                **talking.extension_states,
                "1204": ExtensionState("1204", IN_CALL, duration=300),
            },
        )
        planner.observe(talking)
        planner.observe(data)
    return planner, clock, reads, data


def test_what_is_learned_survives_a_restart() -> None:
    before, clock, reads, data = _learned_on_a_busy_morning()
    saved = json.loads(json.dumps(before.learned()))  # as the cache stores it
    # Home Assistant is down for an hour; the new process's monotonic clock starts at 0.
    after_clock = Clock(wall=clock.wall() + 3600.0)
    after = _planner(after_clock, reads)
    after.restore(saved)
    after.observe(data)
    assert after.hours == before.hours
    assert sum(after.hours) == 3
    assert after.call_length == before.call_length != PollPlanner(clock).call_length
    rates = after.rates(reads, (), data)
    assert rates[_live("1204").key] > 2 * rates[_live("1210").key]
    # An hour down weighs as an hour running: the activity decayed meanwhile.
    clock.now += 3600.0
    running = before.rates(reads, (), data)
    assert rates[_live("1204").key] == pytest.approx(running[_live("1204").key], rel=1e-6)


def test_a_phone_in_a_call_at_the_restart_is_not_a_new_call() -> None:
    before, clock, reads, _ = _learned_on_a_busy_morning()
    after_clock = Clock(wall=clock.wall())
    after = _planner(after_clock, reads)
    after.restore(before.learned())
    after.observe(_account(statuses={"1204": IN_CALL})[0])  # first seen: already talking
    assert after.hours == before.hours


def test_a_fresh_planner_keeps_what_it_restored_until_it_learns_more() -> None:
    before, clock, reads, _ = _learned_on_a_busy_morning()
    after = _planner(Clock(wall=clock.wall()), reads)
    after.restore(before.learned())
    # Saved again before any phone was read (a second restart soon after the first).
    again = after.learned()
    assert again["extensions"].keys() == before.learned()["extensions"].keys()


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["version", "hours", "call_length", "extensions"]),
        json_values
        | st.dictionaries(
            st.sampled_from(["1201", "1202", "gone"]),
            st.lists(st.floats() | st.integers(), max_size=4),
        ),
        max_size=4,
    )
    | json_values
)
def test_a_damaged_memory_is_ignored(saved: Any) -> None:
    """Junk in the stored memory never raises and never makes a rate unusable."""
    clock = Clock()
    data, reads = _account(extensions=3)
    planner = _planner(clock, reads)
    if isinstance(saved, dict):
        saved = {**planner.learned(), **saved}
    planner.restore(saved)
    planner.observe(data)
    assert len(planner.hours) == 24
    low, high = CALL_LENGTH_BOUNDS
    assert low <= planner.call_length <= high
    assert all(math.isfinite(rate) and rate > 0 for rate in planner.rates(reads, (), data).values())
    assert planner.next_read(reads, (), data, slot=SLOT) is not None


def test_a_phone_idle_for_days_is_forgotten() -> None:
    before, clock, reads, data = _learned_on_a_busy_morning()
    assert "1204" in before.learned()["extensions"]
    clock.now += 3 * 24 * 3600.0  # a long weekend without a call
    before.observe(data)
    assert before.learned()["extensions"] == {}
    assert sum(before.hours) == 3  # when the office is busy is still known
