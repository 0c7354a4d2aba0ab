"""What an account held at the last stop, so a reload or restart starts from it.

The structure (extensions, numbers, queues, switches, routes, mailboxes) and the slow
values (credit, balance, calls today) are kept; live states are not, since they are
stale within seconds. With it, entities are there and keep their last slow values
after a reload even when the request window does not allow reading the account yet.
A damaged or foreign cache is ignored.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .api.models import (
    AccountData,
    Balance,
    Extension,
    Mailbox,
    PhoneNumber,
    Queue,
    Route,
    Switch,
    SwitchKind,
)

VERSION = 1


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def dump(data: AccountData) -> dict[str, Any]:
    """The kept part of ``data`` as JSON-ready values."""
    balance = data.balance
    return {
        "version": VERSION,
        "extensions": [[e.id, e.name] for e in data.extensions.values()],
        "numbers": [
            [
                n.number,
                n.package,
                _money(n.credit_limit),
                _money(n.credit_available),
                n.sms_enabled,
                n.route,
            ]
            for n in data.numbers.values()
        ],
        "queues": [[q.id, q.name, list(q.extensions)] for q in data.queues.values()],
        "switches": [
            [s.id, s.name, s.is_on, s.kind.value, s.extension_id, s.number]
            for s in data.switches.values()
        ],
        "routes": [[r.id, r.name] for r in data.routes.values()],
        "mailboxes": [[m.id, m.name, m.new, m.urgent] for m in data.mailboxes.values()],
        "calls_today": list(data.calls_today) if data.calls_today else None,
        # Phonebook names, so callers are named at once after a restart.
        "contacts": [[number, name] for number, name in data.contacts.items()],
        "balance": None
        if balance is None
        else [
            str(balance.amount),
            balance.currency,
            _money(balance.spent_today),
            balance.calls_today,
        ],
    }


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError("not a finite amount")
    return number


def load(saved: Any) -> AccountData | None:
    """The AccountData a cache holds, or None when it is missing or damaged."""
    if not isinstance(saved, dict) or saved.get("version") != VERSION:
        return None
    try:
        return _load(saved)
    except (TypeError, ValueError, KeyError, IndexError, InvalidOperation):
        return None


def _load(saved: dict[str, Any]) -> AccountData:
    balance = saved.get("balance")
    calls_today = saved.get("calls_today")
    return AccountData(
        extensions={str(i): Extension(str(i), str(n)) for i, n in saved["extensions"]},
        numbers={
            str(n): PhoneNumber(str(n), p, _decimal(lim), _decimal(av), bool(sms), r)
            for n, p, lim, av, sms, r in saved["numbers"]
        },
        queues={str(i): Queue(str(i), str(n), tuple(map(str, e))) for i, n, e in saved["queues"]},
        switches={
            str(i): Switch(str(i), str(n), bool(on), SwitchKind(k), ext, num)
            for i, n, on, k, ext, num in saved["switches"]
        },
        routes={str(i): Route(str(i), str(n)) for i, n in saved["routes"]},
        mailboxes={
            str(i): Mailbox(str(i), str(n), int(new), int(urgent))
            for i, n, new, urgent in saved["mailboxes"]
        },
        calls_today=(int(calls_today[0]), int(calls_today[1])) if calls_today else None,
        # Caches written before phonebooks were read have none.
        contacts={str(number): str(name) for number, name in saved.get("contacts", [])},
        balance=None
        if balance is None
        else Balance(
            Decimal(str(balance[0])) if _decimal(balance[0]) is not None else Decimal(0),
            str(balance[1]),
            _decimal(balance[2]),
            None if balance[3] is None else int(balance[3]),
        ),
    )
