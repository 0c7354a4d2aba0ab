"""The polling planner: which read the next slot goes to. No Home Assistant imports.

Each read declares its freshness tier; the tier gives a weight (how much staleness
counts) and a minimum interval (slow data is not read more often than it changes).

Two modes, at the same request count (the planner only chooses *which* read a slot
gets; it never adds one):

- ``uniform`` (``activity=False``): the most overdue read by weighted staleness, a
  weighted round-robin.
- ``activity`` (the default): each watched read has a rate at which its answer is
  expected to change, from what is known now (an extension ringing, in a call, a queue
  with callers, an extension recently active, the account's busy hours). The slot goes
  to the read with the most expected undetected change, ``rate x age²`` (reads whose
  answer changes often are read more often, by the square-root rule that minimises the
  mean detection latency). A floor holds for every watched read: it never waits longer
  than its uniform interval x ``FLOOR_FACTOR``; when the floors leave no slack, the
  earliest deadline is served first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
import math
import time
from typing import Any, TypeGuard

from .api.models import AccountData, ExtensionStatus, Freshness, Read


def _monotonic() -> float:
    return time.monotonic()


def _wall() -> float:
    return time.time()


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How eagerly a kind of read is refreshed.

    ``weight`` multiplies staleness when slots are shared; ``min_interval`` keeps slow
    data (credit, structure) from being read more often than it changes.
    """

    weight: float
    min_interval: float


POLICIES: dict[Freshness, PollPolicy] = {
    Freshness.LIVE: PollPolicy(weight=4.0, min_interval=0.0),
    Freshness.FREQUENT: PollPolicy(weight=2.0, min_interval=0.0),
    Freshness.SLOW: PollPolicy(weight=1000.0, min_interval=900.0),
    Freshness.STRUCTURE: PollPolicy(weight=1000.0, min_interval=3600.0),
}

FIRST_READ_ORDER = (Freshness.LIVE, Freshness.FREQUENT, Freshness.SLOW, Freshness.STRUCTURE)

UNWATCHED = PollPolicy(weight=1.0, min_interval=900.0)

# --- activity mode ------------------------------------------------------------------------
# No watched read waits longer than its uniform interval times this.
FLOOR_FACTOR = 1.5
# Slots kept in hand when checking the floors (slots come late, actions take some).
FLOOR_MARGIN = 2
# Expected rates of change (per second) of what a read returns, by what is known now.
RINGING_RATE = 1 / 15  # rings last 5-30 s: read again within a slot or two
UNKNOWN_RATE = 1 / 60  # a status we could not read: soon
IN_CALL_FACTOR = 2.0  # a call found is read a few times per median call length
IDLE_RATE = 1 / 7200  # an idle phone nobody has used yet (the rest is learned)
OFFLINE_FACTOR = 0.5  # an offline phone changes less often than an idle one
QUEUE_EMPTY_RATE = 1 / 1500  # an empty queue in busy hours: callers show within minutes
QUEUE_CALLER_RATE = 1 / 60  # a waiting caller is answered or leaves within minutes
FREQUENT_RATE = 1 / 1800  # switches, DND, registrations: no activity known
UNWATCHED_RATE = IDLE_RATE / 10
# An extension's calls are counted twice: over hours (how busy the phone is) and over
# minutes (it was just in use: a call back, a colleague, a transfer).
ACTIVITY_TAU = 4 * 3600.0
RECENT_TAU = 900.0
# A call just now adds this many calls per RECENT_TAU: enough to rank the phone above
# one idle for hours, small because most offices' calls do not come in bursts.
RECENT_WEIGHT = 0.2
# A call length is learned as a geometric mean (lognormal calls: the median).
CALL_LENGTH_PRIOR = 180.0
CALL_LENGTH_BOUNDS = (20.0, 3600.0)
CALL_LENGTH_ALPHA = 0.1
# Busy hours: decayed counts of observed activity per hour of the day (UTC).
BUSY_MIN_EVENTS = 20.0
BUSY_MAX_EVENTS = 2000.0
BUSY_FLOOR = 0.1
# What is learned is kept across restarts (``learned`` / ``restore``), bounded.
LEARNED_VERSION = 1
LEARNED_MAX_EXTENSIONS = 1000
FORGET_ACTIVITY = 0.001  # one call some 28 hours ago: as good as none
# A slot interval estimated from the calls of next_read when none is given.
SLOT_ALPHA = 0.2
_ACTIVE = frozenset({ExtensionStatus.RINGING, ExtensionStatus.DIALING, ExtensionStatus.IN_CALL})
_QUIET = frozenset({ExtensionStatus.OFFLINE, ExtensionStatus.NEVER_REGISTERED})


@dataclass(slots=True)
class _Seen:
    """What the planner last saw of one extension, and how active it has been."""

    status: ExtensionStatus | None = None
    activity: float = 0.0  # decayed count of call starts, at ``activity_at``
    recent: float = 0.0  # the same with RECENT_TAU
    activity_at: float = 0.0
    call_max: int = 0  # the longest duration reported in the current call


class PollPlanner:
    """Chooses the next read: never-read first, then by mode (uniform or activity)."""

    def __init__(
        self,
        clock: Callable[[], float] | None = None,
        *,
        activity: bool = True,
        wall: Callable[[], float] | None = None,
    ) -> None:
        """Start with nothing read; ``wall`` (epoch seconds) gives the hour of the day."""
        self._clock = clock or _monotonic
        self._wall = wall or _wall
        self.activity = activity
        self._last: dict[str, float] = {}
        self._seen: dict[str, _Seen] = {}
        self._queue_callers: dict[str, int] = {}
        self.call_length = CALL_LENGTH_PRIOR
        self.hours = [0.0] * 24
        self._slot_estimate: float | None = None
        self._last_call: float | None = None
        # Activity kept from before a restart: (activity, recent, monotonic time), taken
        # up when the extension is first seen again.
        self._restored: dict[str, tuple[float, float, float]] = {}

    def mark(self, reads: Iterable[Read]) -> None:
        """Record that these reads were just done."""
        now = self._clock()
        for read in reads:
            self._last[read.key] = now

    def forget(self, reads: Iterable[Read]) -> None:
        """Make these reads due at once (e.g. the structure changed)."""
        for read in reads:
            self._last.pop(read.key, None)

    def age(self, read: Read) -> float | None:
        """Seconds since ``read`` was last done, None if never."""
        last = self._last.get(read.key)
        return None if last is None else self._clock() - last

    def next_read(
        self,
        reads: Iterable[Read],
        slow: Collection[str] = (),
        data: AccountData | None = None,
        slot: float | None = None,
    ) -> Read | None:
        """The read the next polling slot should go to, if any is due.

        Reads whose key is in ``slow`` (unwatched extensions and queues) are refreshed
        rarely, leaving their share to the watched ones. ``data`` is what is known now;
        ``slot`` the seconds between polling slots (estimated from the calls if None).
        """
        reads = list(reads)
        now = self._clock()
        slot = self._slot(now, slot)
        if data is not None:
            self.observe(data)
        first = self._first_read(reads)
        if first is not None:
            return first
        if not self.activity or slot is None:
            return self._uniform(reads, slow)
        return self._by_activity(reads, slow, data or AccountData(), slot)

    # --- uniform ------------------------------------------------------------------------

    def _first_read(self, reads: list[Read]) -> Read | None:
        """Never read: what changes fastest first (live status before credit)."""
        unread = [read for read in reads if read.key not in self._last]
        if not unread:
            return None
        return min(unread, key=lambda read: FIRST_READ_ORDER.index(read.freshness))

    def _uniform(self, reads: list[Read], slow: Collection[str]) -> Read | None:
        """The most overdue read by weighted staleness (a weighted round-robin)."""
        best: Read | None = None
        best_score = -1.0
        for read in reads:
            policy = _policy(read, slow)
            age = self._clock() - self._last[read.key]
            if age < policy.min_interval:
                continue
            if (score := age * policy.weight) > best_score:
                best, best_score = read, score
        return best

    # --- activity -----------------------------------------------------------------------

    def uniform_intervals(
        self, reads: Iterable[Read], slow: Collection[str], slot: float
    ) -> dict[str, float]:
        """Each fast read's interval under the uniform planner, for the same slots.

        The slow reads take their fixed share (cost / min_interval); the fast reads share
        the rest by weight.
        """
        reads = list(reads)
        fast = [read for read in reads if _policy(read, slow).min_interval == 0]
        rate = 1 / slot - sum(
            read.cost / _policy(read, slow).min_interval
            for read in reads
            if _policy(read, slow).min_interval > 0
        )
        rate = max(rate, 1 / slot / 4)  # never below a quarter of the slots
        shares = sum(_policy(read, slow).weight * read.cost for read in fast)
        return {read.key: shares / (_policy(read, slow).weight * rate) for read in fast}

    def floors(self, reads: Iterable[Read], slow: Collection[str], slot: float) -> dict[str, float]:
        """The longest each watched fast read may wait: its uniform interval x FLOOR_FACTOR.

        Never less than what reads in whole slots allow: when credit and structure come
        due together, even the uniform planner makes a phone wait its interval plus one
        slot for each of them (with one or two phones, x 1.5 is less than that).
        """
        reads = list(reads)
        due_together = sum(
            1 for read in reads if read.key not in slow and POLICIES[read.freshness].min_interval
        )
        return {
            key: max(interval * FLOOR_FACTOR, interval + (due_together + 1) * slot)
            for key, interval in self.uniform_intervals(reads, slow, slot).items()
        }

    def _by_activity(
        self, reads: list[Read], slow: Collection[str], data: AccountData, slot: float
    ) -> Read | None:
        now = self._clock()
        floors = self.floors(reads, slow, slot)
        # Deadlines: every watched fast read by its floor; slow reads when they are due.
        jobs: list[tuple[float, Read]] = []
        for read in reads:
            policy = _policy(read, slow)
            last = self._last[read.key]
            if read.key in floors:
                jobs.append((last + floors[read.key], read))
            elif read.key not in slow:
                jobs.append((last + policy.min_interval + slot, read))
        jobs.sort(key=lambda job: job[0])
        for count, (deadline, _read) in enumerate(jobs, start=1):
            slots_left = math.floor((deadline - now) / slot) + 1  # this slot included
            if count + FLOOR_MARGIN > slots_left:
                return jobs[0][1]  # no slack: earliest deadline first
            if deadline - now > slot * (len(jobs) + FLOOR_MARGIN):
                break  # later deadlines cannot be tight
        # Slow reads (credit, structure) as soon as they are due, as in uniform mode.
        due_slow = [
            read
            for read in reads
            if read.key not in floors
            and read.key not in slow
            and now - self._last[read.key] >= _policy(read, slow).min_interval
        ]
        if due_slow:
            return max(due_slow, key=lambda read: now - self._last[read.key])
        rates = self.rates(reads, slow, data)
        best: Read | None = None
        best_score = -1.0
        for read in reads:
            age = now - self._last[read.key]
            if read.key in slow and age < UNWATCHED.min_interval:
                continue
            if read.key not in rates:
                continue
            if (score := rates[read.key] * age * age / read.cost) > best_score:
                best, best_score = read, score
        return best

    def rates(
        self, reads: Iterable[Read], slow: Collection[str], data: AccountData
    ) -> dict[str, float]:
        """Expected changes per second of each fast or unwatched read's answer."""
        busy = self.busy_factor()
        extension_rates = self._extension_rates(data, busy)
        rates: dict[str, float] = {}
        for read in reads:
            if read.key in slow:
                rates[read.key] = UNWATCHED_RATE * busy
            elif POLICIES[read.freshness].min_interval > 0:
                continue
            elif read.freshness is Freshness.LIVE and read.extension_id is not None:
                rates[read.key] = extension_rates.get(read.extension_id, UNKNOWN_RATE)
            elif read.freshness is Freshness.LIVE:
                # One read covers every extension (and calls): the sum of their rates.
                rates[read.key] = max(sum(extension_rates.values()), IDLE_RATE * busy)
            elif read.queue_id is not None:
                rates[read.key] = self._queue_rate(read.queue_id, data, busy)
            else:
                rates[read.key] = FREQUENT_RATE * busy
        return rates

    def _extension_rates(self, data: AccountData, busy: float) -> dict[str, float]:
        now = self._clock()
        rates: dict[str, float] = {}
        for extension_id in data.extensions:
            state = data.extension_states.get(extension_id)
            status = state.status if state is not None else None
            if status in (ExtensionStatus.RINGING, ExtensionStatus.DIALING):
                rate = RINGING_RATE
            elif status is ExtensionStatus.IN_CALL:
                elapsed = float(state.duration or 0) if state is not None else 0.0
                rate = IN_CALL_FACTOR / max(self.call_length, elapsed)
            elif status is None:
                rate = UNKNOWN_RATE
            else:
                # Idle: more likely to change when it was just active; all of it relaxes
                # outside the account's busy hours.
                rate = busy * IDLE_RATE
                if (seen := self._seen.get(extension_id)) is not None:
                    since = now - seen.activity_at
                    calls = seen.activity * math.exp(-since / ACTIVITY_TAU) / ACTIVITY_TAU
                    recent = seen.recent * math.exp(-since / RECENT_TAU) / RECENT_TAU
                    rate += busy * (calls + busy * RECENT_WEIGHT * recent)
                if status in _QUIET:
                    rate *= OFFLINE_FACTOR
            rates[extension_id] = rate
        # Callers waiting in a queue: its members are about to ring.
        for queue_id, queue in data.queues.items():
            callers = self._callers(queue_id, data)
            members = [member for member in queue.extensions if member in rates]
            for member in members:
                rates[member] += callers * QUEUE_CALLER_RATE / len(members)
        return rates

    def _callers(self, queue_id: str, data: AccountData) -> int:
        state = data.queue_states.get(queue_id)
        return state.calls_waiting if state is not None else 0

    def _queue_rate(self, queue_id: str, data: AccountData, busy: float) -> float:
        callers = self._callers(queue_id, data)
        if callers:
            return callers * QUEUE_CALLER_RATE
        return QUEUE_EMPTY_RATE * busy

    # --- learning from what is seen -----------------------------------------------------

    def observe(self, data: AccountData) -> None:
        """Learn from what the account shows: call starts, call lengths, busy hours."""
        now = self._clock()
        for extension_id, state in data.extension_states.items():
            if (seen := self._seen.get(extension_id)) is None:
                seen = self._seen[extension_id] = self._first_seen(extension_id, state.status)
            before, after = seen.status, state.status
            if after is ExtensionStatus.IN_CALL:
                seen.call_max = max(seen.call_max, state.duration or 0)
            if before is after:
                continue
            if after in _ACTIVE and before not in _ACTIVE:
                since = now - seen.activity_at
                seen.activity = 1 + seen.activity * math.exp(-since / ACTIVITY_TAU)
                seen.recent = 1 + seen.recent * math.exp(-since / RECENT_TAU)
                seen.activity_at = now
                self._count_activity()
            if before is ExtensionStatus.IN_CALL and seen.call_max > 0:
                self._learn_call_length(seen.call_max)
                seen.call_max = 0
            seen.status = after
        for queue_id, queue in data.queue_states.items():
            before_callers = self._queue_callers.get(queue_id)
            if before_callers is not None and queue.calls_waiting > before_callers:
                self._count_activity()
            self._queue_callers[queue_id] = queue.calls_waiting
        # Forget extensions and queues that left the account (bounded memory).
        for gone in set(self._seen) - set(data.extension_states):
            del self._seen[gone]
        for gone in set(self._queue_callers) - set(data.queue_states):
            del self._queue_callers[gone]

    def _first_seen(self, extension_id: str, status: ExtensionStatus | None) -> _Seen:
        """A phone seen for the first time since the start: its state is not a change."""
        activity, recent, at = self._restored.pop(extension_id, (0.0, 0.0, 0.0))
        return _Seen(status=status, activity=activity, recent=recent, activity_at=at)

    def _learn_call_length(self, seconds: float) -> None:
        low, high = CALL_LENGTH_BOUNDS
        seconds = min(high, max(low, seconds))
        log_length = math.log(self.call_length)
        log_length += CALL_LENGTH_ALPHA * (math.log(seconds) - log_length)
        self.call_length = math.exp(log_length)

    def _hour(self) -> int:
        return int(self._wall() // 3600) % 24

    def _count_activity(self) -> None:
        self.hours[self._hour()] += 1
        if sum(self.hours) > BUSY_MAX_EVENTS:
            self.hours = [count / 2 for count in self.hours]

    def busy_factor(self) -> float:
        """1 in the account's busy hours (or before enough is known); less outside them."""
        total = sum(self.hours)
        if total < BUSY_MIN_EVENTS:
            return 1.0
        peak = max(self.hours)
        return min(1.0, max(BUSY_FLOOR, 2 * self.hours[self._hour()] / peak))

    # --- kept across restarts -----------------------------------------------------------

    def learned(self) -> dict[str, Any]:
        """What the planner learned, JSON-ready: busy hours, call length, phone activity.

        Times are wall-clock: the monotonic clock starts again with Home Assistant.
        """
        now, wall = self._clock(), self._wall()
        kept = {
            extension_id: (seen.activity, seen.recent, seen.activity_at)
            for extension_id, seen in self._seen.items()
        } | self._restored
        return {
            "version": LEARNED_VERSION,
            "hours": list(self.hours),
            "call_length": self.call_length,
            # A phone idle for a day or more (or gone from the account) is forgotten.
            "extensions": {
                extension_id: [activity, recent, wall - (now - at)]
                for extension_id, (activity, recent, at) in kept.items()
                # (max: a clock that jumped back makes no activity newer than now)
                if activity * math.exp(-max(0.0, now - at) / ACTIVITY_TAU) >= FORGET_ACTIVITY
            },
        }

    def restore(self, saved: Any) -> None:
        """Take back what ``learned`` returned before a restart; damaged parts are ignored.

        Activity decays over the time Home Assistant was down, as it would have running.
        """
        if not isinstance(saved, dict) or saved.get("version") != LEARNED_VERSION:
            return
        hours = saved.get("hours")
        if isinstance(hours, list) and len(hours) == 24 and all(map(_count, hours)):
            self.hours = [min(float(count), BUSY_MAX_EVENTS) for count in hours]
        if _count(length := saved.get("call_length")) and length > 0:
            low, high = CALL_LENGTH_BOUNDS
            self.call_length = min(high, max(low, float(length)))
        extensions = saved.get("extensions")
        if not isinstance(extensions, dict):
            return
        now, wall = self._clock(), self._wall()
        for extension_id, kept in list(extensions.items())[:LEARNED_MAX_EXTENSIONS]:
            if not isinstance(kept, list) or len(kept) != 3 or not all(map(_count, kept)):
                continue
            activity, recent = (min(float(value), BUSY_MAX_EVENTS) for value in kept[:2])
            at = float(kept[2])
            down = max(0.0, wall - at)  # a clock set back counts as no time at all
            self._restored[str(extension_id)] = (
                activity * math.exp(-down / ACTIVITY_TAU),
                recent * math.exp(-down / RECENT_TAU),
                now,
            )

    def _slot(self, now: float, slot: float | None) -> float | None:
        """The given slot interval, else one estimated from the gaps between calls."""
        if self._last_call is not None and (gap := now - self._last_call) > 0:
            if self._slot_estimate is None:
                self._slot_estimate = gap
            else:
                self._slot_estimate += SLOT_ALPHA * (gap - self._slot_estimate)
        self._last_call = now
        return slot if slot is not None else self._slot_estimate


def _count(value: Any) -> TypeGuard[int | float]:
    """A finite, non-negative number (what every learned value is)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _policy(read: Read, slow: Collection[str]) -> PollPolicy:
    return UNWATCHED if read.key in slow else POLICIES[read.freshness]
