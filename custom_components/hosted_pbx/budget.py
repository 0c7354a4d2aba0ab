"""Request budget per account. No Home Assistant imports.

The budget is a sliding window over the requests actually sent. Polling may use the
window minus a reserve; only actions (click-to-call, SMS, switches) may spend the
reserve. It is saved across restarts through an injected store, so a restart (clean or
not) never bursts into a window the previous run already used.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
import math
import time
from typing import Any, Protocol

from .api import Quota
from .api.errors import QuotaExceeded

# Our clock and the provider's differ by the request's latency: count a little longer.
WINDOW_MARGIN = 2.0
# Requests of every window that polling leaves for actions.
ACTION_RESERVE = 3
# A save happens at most this long after a request; a crash loses at most this much.
SAVE_INTERVAL = 10.0


# Set while the coordinator polls: a context variable, so an action running in another
# task at the same moment still counts as an action.
_POLLING: ContextVar[bool] = ContextVar("hosted_pbx_polling", default=False)


def _monotonic() -> float:
    # Looked up at call time, so tests that freeze time move the budget's clock too.
    return time.monotonic()


class BudgetExhausted(QuotaExceeded):
    """We refused to send: the window is full (the provider was not asked)."""


class BudgetStore(Protocol):
    """Where the window is kept; told after each request, it decides when to write."""

    def request_save(self) -> None:
        """A request was recorded: save within ``SAVE_INTERVAL``."""


class RequestBudget:
    """Sliding-window request budget shared by polling and actions of one account."""

    def __init__(
        self,
        quota: Quota,
        *,
        share: float = 1.0,
        clock: Callable[[], float] | None = None,
        store: BudgetStore | None = None,
    ) -> None:
        """Use ``share`` of the provider's quota; the action reserve comes out of it."""
        self.quota = quota
        self.window = quota.window + WINDOW_MARGIN
        self._clock = clock or _monotonic
        self._store = store
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self.total_sent = 0
        self.limit = self.reserve = self.poll_limit = 0
        self.set_share(share)

    def set_share(self, share: float, limit: int | None = None) -> None:
        """Change the share (options) or the provider's limit (learned); no reload needed."""
        if limit is not None:
            self.quota = Quota(limit=limit, window=self.quota.window)
        self.limit = max(1, math.floor(self.quota.limit * share))
        self.reserve = min(ACTION_RESERVE, self.limit - 1)
        self.poll_limit = self.limit - self.reserve

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
        if excess > len(self._sent):  # more than the whole polling share: never at once
            return self.window
        return max(0.0, self._sent[excess - 1] + self.window - self._clock())

    def retry_after(self) -> float:
        """Seconds until one more request fits in the window."""
        if self.blocked_for():
            return self.blocked_for()
        if self.used() < self.limit:
            return 0.0
        return max(0.0, self._sent[0] + self.window - self._clock())

    def gate(self) -> None:
        """Record one request about to be sent; refuse it when it would break the quota.

        Inside ``polling()`` a request may not touch the action reserve.
        """
        if _POLLING.get():
            if not self.poll_allowed():
                raise BudgetExhausted("Polling share used up", retry_after=self.poll_wait())
        elif wait := self.retry_after():
            raise BudgetExhausted("Request budget used up", retry_after=wait)
        self._record()

    @contextmanager
    def polling(self) -> Iterator[None]:
        """Requests sent in this block (this task only) are polling, not actions."""
        token = _POLLING.set(True)
        try:
            yield
        finally:
            _POLLING.reset(token)

    def _record(self) -> None:
        self._sent.append(self._clock())
        self.total_sent += 1
        if self._store is not None:
            self._store.request_save()

    def provider_refused(self, retry_after: float) -> None:
        """The provider said "too many": send nothing until its window has passed."""
        self._blocked_until = max(
            self._blocked_until, self._clock() + max(retry_after, self.window)
        )

    def export(self, wall_now: float, *, clean: bool) -> dict[str, Any]:
        """The window as wall-clock times, to survive a restart.

        ``clean`` says the run stops now; otherwise requests may follow that the next
        run cannot know about, and it assumes the worst for them.
        """
        now = self._clock()
        self.used()
        saved: dict[str, Any] = {
            "sent": [wall_now - (now - sent) for sent in self._sent],
            "saved_at": wall_now,
            "clean": clean,
        }
        if blocked := self.blocked_for():
            saved["blocked_until"] = wall_now + blocked
        return saved

    def restore(self, saved: dict[str, Any], wall_now: float) -> None:
        """Count the requests a previous run sent in the still-open window.

        Every restored time is bounded by the window: a clock that jumped (either way)
        between save and restore can make us wait at most one window, never longer.
        Times in the future are ignored.
        """
        now = self._clock()
        try:
            ages = sorted(wall_now - float(sent) for sent in saved.get("sent", []))
            saved_age = wall_now - float(saved.get("saved_at", wall_now))
            blocked = float(saved.get("blocked_until", 0.0)) - wall_now
        except (TypeError, ValueError):
            return  # a damaged file: start with an empty window
        for age in reversed(ages):
            if 0 <= age < self.window:
                self._sent.append(now - age)
        if not saved.get("clean", True) and 0 <= saved_age < self.window:
            # A crash: up to SAVE_INTERVAL of requests after the save were never written.
            unknown = math.ceil(SAVE_INTERVAL / self.poll_interval) + self.reserve
            stamp = now - max(0.0, saved_age - SAVE_INTERVAL)
            self._sent.extend([stamp] * unknown)
            self._sent = deque(sorted(self._sent))
        if 0 < blocked <= self.window:
            self._blocked_until = now + blocked
