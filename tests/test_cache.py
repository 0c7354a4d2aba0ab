"""The account cache kept across reloads: a faithful round trip, and nothing raises on junk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.hosted_pbx import cache
from custom_components.hosted_pbx.api.models import (
    AccountData,
    Balance,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Mailbox,
    PhoneNumber,
    Queue,
    Route,
    Switch,
    SwitchKind,
)

from .strategies import json_values

DATA = AccountData(
    extensions={"1201": Extension("1201", "Toestel 1")},
    extension_states={"1201": ExtensionState("1201", ExtensionStatus.RINGING)},
    numbers={"31201234567": PhoneNumber("31201234567", "Basis", Decimal(50), Decimal("12.34"))},
    queues={"7": Queue("7", "Sales", ("1201",))},
    switches={"dnd_1201": Switch("dnd_1201", "DND", True, SwitchKind.DO_NOT_DISTURB, "1201")},
    routes={"fwd:1": Route("fwd:1", "Mobile")},
    mailboxes={"1": Mailbox("1", "Office", 2, 1)},
    calls_today=(1, 4),
    balance=Balance(Decimal("9.50"), "CAD", Decimal("0.40"), 3),
    contacts={"+31612345678": "Jan de Vries"},
)


def test_round_trip_keeps_structure_and_slow_values_not_live_ones() -> None:
    restored = cache.load(cache.dump(DATA))
    assert restored is not None
    assert restored.extension_states == {}  # live states are stale at once
    assert restored == AccountData(
        extensions=DATA.extensions,
        numbers=DATA.numbers,
        queues=DATA.queues,
        switches=DATA.switches,
        routes=DATA.routes,
        mailboxes=DATA.mailboxes,
        calls_today=DATA.calls_today,
        balance=DATA.balance,
        contacts=DATA.contacts,
    )


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(list(cache.dump(DATA))), json_values) | json_values)
def test_junk_is_ignored(saved: Any) -> None:
    if isinstance(saved, dict):
        saved = {**cache.dump(DATA), **saved}
    restored = cache.load(saved)
    assert restored is None or isinstance(restored, AccountData)
