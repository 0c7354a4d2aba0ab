"""The request budget and the clock: restarts, crashes, clock jumps and DST (issue 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.hosted_pbx.api import Quota
from custom_components.hosted_pbx.api.vdb import PROVIDER_TZ, neighbour_hour, token_for
from custom_components.hosted_pbx.budget import SAVE_INTERVAL, BudgetExhausted, RequestBudget

VDB = Quota(limit=25, window=300.0)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _budget(clock: Clock, share: float = 0.8) -> RequestBudget:
    return RequestBudget(VDB, share=share, clock=clock)


def test_polling_never_touches_the_action_reserve() -> None:
    clock = Clock()
    budget = _budget(clock)
    with budget.polling():
        for _ in range(budget.poll_limit):
            budget.gate()
        with pytest.raises(BudgetExhausted):
            budget.gate()
    for _ in range(budget.reserve):  # actions still get through
        budget.gate()
    assert budget.used() == budget.limit


def test_clean_restart_counts_the_open_window() -> None:
    clock = Clock()
    before = _budget(clock)
    for _ in range(10):
        before.gate()
        clock.now += 5
    saved = before.export(wall_now=50_000.0, clean=True)
    after = _budget(Clock())
    after.restore(saved, wall_now=50_010.0)
    assert after.used() == 10


def test_a_crash_assumes_the_worst_for_the_unsaved_gap() -> None:
    clock = Clock()
    before = _budget(clock)
    before.gate()
    saved = before.export(wall_now=50_000.0, clean=False)
    after = _budget(Clock())
    after.restore(saved, wall_now=50_005.0)
    # One request known, plus what could have been sent in SAVE_INTERVAL, plus the reserve.
    unknown = -(-SAVE_INTERVAL // after.poll_interval) + after.reserve
    assert after.used() == 1 + unknown


@pytest.mark.parametrize("jump", [-86_400.0, 86_400.0, -301.0, 3_600.0])
def test_a_clock_jump_never_blocks_longer_than_one_window(jump: float) -> None:
    clock = Clock()
    before = _budget(clock)
    for _ in range(5):
        before.gate()
    before.provider_refused(30)
    saved = before.export(wall_now=50_000.0, clean=True)
    after = _budget(Clock())
    after.restore(saved, wall_now=50_000.0 + jump)
    assert after.blocked_for() <= after.window
    assert after.used() <= 5
    if jump > after.window:  # the saved window is long gone
        assert after.used() == 0
        assert after.blocked_for() == 0


def test_nothing_blocked_is_not_saved_as_blocked() -> None:
    budget = _budget(Clock())
    assert "blocked_until" not in budget.export(wall_now=50_000.0, clean=True)


def test_damaged_saved_window_is_ignored() -> None:
    budget = _budget(Clock())
    budget.restore({"sent": ["x"], "saved_at": None}, wall_now=1.0)
    assert budget.used() == 0


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.one_of(st.none(), st.floats(), st.text(max_size=5)),
)
def test_restore_of_any_saved_data_stays_within_one_window(
    sent: list[float], saved_at: float, blocked: object
) -> None:
    budget = _budget(Clock())
    budget.restore(
        {"sent": sent, "saved_at": saved_at, "blocked_until": blocked, "clean": False},
        wall_now=1_000_000.0,
    )
    assert budget.blocked_for() <= budget.window
    assert budget.retry_after() <= budget.window


def test_options_change_the_share_without_a_new_budget() -> None:
    budget = _budget(Clock())
    budget.set_share(0.6)
    assert (budget.limit, budget.poll_limit) == (15, 12)


def test_token_neighbour_covers_every_hour_boundary_of_a_year() -> None:
    """Both DST changes included: with 60 s skew either way, one of two tokens matches."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    failures = []
    for hours in range(366 * 24):
        boundary = start + timedelta(hours=hours)
        for provider_offset, skew in ((-1, -60), (-1, 60), (1, -60), (1, 60)):
            theirs = boundary + timedelta(seconds=provider_offset)
            ours = (theirs + timedelta(seconds=skew)).astimezone(PROVIDER_TZ)
            tried = {token_for("info@example.nl", ours)}
            if (neighbour := neighbour_hour(ours)) is not None:
                tried.add(token_for("info@example.nl", neighbour))
            if token_for("info@example.nl", theirs) not in tried:
                failures.append((boundary, provider_offset, skew))
    assert failures == []
