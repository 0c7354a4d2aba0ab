"""Request budget per account and the polling planner. No Home Assistant imports.

The budget is a sliding window over the requests actually sent. Polling may use the
window minus a reserve; only actions (click-to-call, SMS) may spend the reserve. The
planner picks which read the next polling slot goes to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
import math
import time
from typing import Any

from .api import Quota
from .api.errors import QuotaExceeded
from .api.models import Read, ReadKind

# Our clock and the provider's differ by the request's latency: count a little longer.
WINDOW_MARGIN = 2.0


def _monotonic() -> float:
    # Looked up at call time, so tests that freeze time move the budget's clock too.
    return time.monotonic()


class BudgetExhausted(QuotaExceeded):
    """We refused to send: the window is full (the provider was not asked)."""


class RequestBudget:
    """Sliding-window request budget shared by polling and actions of one account."""

    def __init__(
        self,
        quota: Quota,
        *,
        share: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Use ``share`` of the provider's quota; the action reserve comes out of it."""
        self.window = quota.window + WINDOW_MARGIN
        self.limit = max(1, math.floor(quota.limit * share))
        self.reserve = min(quota.action_reserve, self.limit - 1)
        self.poll_limit = self.limit - self.reserve
        self._clock = clock or _monotonic
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self.total_sent = 0
        # Called after each recorded request (the coordinator persists the window).
        self.on_sent: Callable[[], None] | None = None

    @property
    def poll_interval(self) -> float:
        """Seconds between polling requests that spread the polling share evenly."""
        return self.window / self.poll_limit

    def used(self) -> int:
        """Requests sent in the current window."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        return len(self._sent)

    def blocked_for(self) -> float:
        """Seconds left of a provider-imposed pause (0 when none)."""
        return max(0.0, self._blocked_until - self._clock())

    def poll_allowed(self, cost: int = 1) -> bool:
        """Whether polling may send ``cost`` requests now without touching the reserve."""
        return not self.blocked_for() and self.used() + cost <= self.poll_limit

    def poll_wait(self, cost: int = 1) -> float:
        """Seconds until polling may send ``cost`` requests (0 when it may now)."""
        if self.blocked_for():
            return self.blocked_for()
        excess = self.used() + cost - self.poll_limit
        if excess <= 0:
            return 0.0
        return max(0.0, self._sent[excess - 1] + self.window - self._clock())

    def retry_after(self) -> float:
        """Seconds until one more request fits in the window."""
        if self.blocked_for():
            return self.blocked_for()
        if self.used() < self.limit:
            return 0.0
        return max(0.0, self._sent[0] + self.window - self._clock())

    def gate(self) -> None:
        """Record one request about to be sent; refuse it when it would break the quota."""
        wait = self.retry_after()
        if wait:
            raise BudgetExhausted("Request budget used up", retry_after=wait)
        self._sent.append(self._clock())
        self.total_sent += 1
        if self.on_sent is not None:
            self.on_sent()

    def provider_refused(self, retry_after: float) -> None:
        """The provider said "too many": send nothing until its window has passed."""
        self._blocked_until = self._clock() + max(retry_after, self.window)

    def export(self, wall_now: float) -> dict[str, Any]:
        """The window as wall-clock times, to survive a restart."""
        now = self._clock()
        self.used()
        return {
            "sent": [wall_now - (now - sent) for sent in self._sent],
            "blocked_until": wall_now + self.blocked_for(),
        }

    def restore(self, saved: dict[str, Any], wall_now: float) -> None:
        """Count the requests a previous run sent in the still-open window."""
        now = self._clock()
        ages = sorted(wall_now - float(sent) for sent in saved.get("sent", []))
        for age in reversed(ages):
            if 0 <= age < self.window:
                self._sent.append(now - age)
        blocked = float(saved.get("blocked_until", 0)) - wall_now
        if blocked > 0:
            self._blocked_until = now + blocked


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How eagerly a kind of read is refreshed.

    ``weight`` multiplies staleness when slots are shared; ``min_interval`` keeps slow
    data (credit, structure) from being read more often than it changes.
    """

    weight: float
    min_interval: float


POLICIES: dict[ReadKind, PollPolicy] = {
    ReadKind.LIVE: PollPolicy(weight=4.0, min_interval=0.0),
    ReadKind.QUEUE: PollPolicy(weight=2.0, min_interval=0.0),
    ReadKind.SWITCH: PollPolicy(weight=2.0, min_interval=0.0),
    ReadKind.BALANCE: PollPolicy(weight=1000.0, min_interval=900.0),
    ReadKind.STRUCTURE: PollPolicy(weight=1000.0, min_interval=3600.0),
}

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

    def forget(self, kind: ReadKind) -> None:
        """Make every read of ``kind`` due at once (e.g. the structure changed)."""
        for key in [key for key in self._last if key.startswith(f"{kind}:")]:
            del self._last[key]

    def age(self, read: Read) -> float | None:
        """Seconds since ``read`` was last done, None if never."""
        last = self._last.get(read.key)
        return None if last is None else self._clock() - last

    def next_read(self, reads: Iterable[Read], slow: Collection[str] = ()) -> Read | None:
        """The read the next polling slot should go to, if any is due.

        Reads whose key is in ``slow`` (unwatched extensions and queues) are refreshed
        rarely, leaving their share to the watched ones.
        """
        best: Read | None = None
        best_score = (-1, -1.0)
        for read in reads:
            policy = UNWATCHED if read.key in slow else POLICIES[read.kind]
            age = self.age(read)
            if age is None:
                score = (1, policy.weight)
            elif age < policy.min_interval:
                continue
            else:
                score = (0, age * policy.weight)
            if score > best_score:
                best, best_score = read, score
        return best
