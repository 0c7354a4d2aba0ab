"""The polling planner: which read the next slot goes to. No Home Assistant imports.

Each read declares its freshness tier; the tier gives a weight (how much staleness
counts) and a minimum interval (slow data is not read more often than it changes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
import time

from .api.models import AccountData, Freshness, Read


def _monotonic() -> float:
    return time.monotonic()


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


class PollPlanner:
    """Chooses the next read: never-read first, then the most overdue by weight.

    Weighting staleness gives round-robin among equals and a steady share between
    kinds, so nothing is read in bursts and nothing starves.
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        """Start with nothing read."""
        self._clock = clock or _monotonic
        self._last: dict[str, float] = {}

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
        data: AccountData | None = None,  # what is known now (activity-aware planning)
    ) -> Read | None:
        """The read the next polling slot should go to, if any is due.

        Reads whose key is in ``slow`` (unwatched extensions and queues) are refreshed
        rarely, leaving their share to the watched ones.
        """
        best: Read | None = None
        best_score = (-1, -1.0)
        for read in reads:
            policy = UNWATCHED if read.key in slow else POLICIES[read.freshness]
            age = self.age(read)
            if age is None:
                # Never read: what changes fastest first (live status before credit).
                score = (1, float(-FIRST_READ_ORDER.index(read.freshness)))
            elif age < policy.min_interval:
                continue
            else:
                score = (0, age * policy.weight)
            if score > best_score:
                best, best_score = read, score
        return best
