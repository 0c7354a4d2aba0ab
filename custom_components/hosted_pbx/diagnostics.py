"""Diagnostics: the account as the runtime objects see it, with secrets and people redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant

from .const import CONF_WEBHOOK_ID, CONF_WEBHOOK_REGISTERED
from .coordinator import HostedPbxConfigEntry
from .planner import PollPlanner

# Whatever the provider: account names, people's names, numbers, addresses, ids.
TO_REDACT = {
    "username",
    "title",
    "unique_id",
    "name",
    "number",
    "numbers",
    "remote_number",
    "from_number",
    "to_number",
    "destination",
    "source",
    "callers",
    "contacts",  # a phonebook: people's names and numbers
    "user_agent",
    "server",
    CONF_URL,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_REGISTERED,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HostedPbxConfigEntry
) -> dict[str, Any]:
    """The entry, the budget, the planner's state and the coordinator's data, redacted."""
    coordinator = entry.runtime_data.coordinator
    spec = coordinator.spec
    data = coordinator.data
    budget = coordinator.budget
    redact = TO_REDACT | spec.secret_keys
    return {
        "entry": async_redact_data(entry.as_dict(), redact),
        "provider": spec.key,
        "push": coordinator.push_state,
        "budget": {
            "limit": budget.limit,
            "polling_limit": budget.poll_limit,
            "used": budget.used(),
            "blocked_for": round(budget.blocked_for()),
            "total_sent": budget.total_sent,
        },
        "disabled_reads": sorted(coordinator.disabled_reads),
        "planner": _planner(coordinator.planner),
        "data": async_redact_data(
            {
                "extensions": [asdict(item) for item in data.extensions.values()],
                "extension_states": [asdict(item) for item in data.extension_states.values()],
                "queues": [asdict(item) for item in data.queues.values()],
                "queue_states": [
                    {"queue_id": item.queue_id, "calls_waiting": item.calls_waiting}
                    for item in data.queue_states.values()
                ],
                "phone_numbers": len(data.numbers),
                "switches": [asdict(item) for item in data.switches.values()],
                "balance": asdict(data.balance) if data.balance else None,
                "mailboxes": len(data.mailboxes),
                # How many phonebook numbers are known; never which.
                "phonebook_numbers": len(data.contacts),
                "calls": [asdict(item) for item in data.calls.values()],
            },
            redact,
        ),
    }


def _planner(planner: PollPlanner) -> dict[str, Any]:
    """What polling has learned of the account: when it is busy, how long calls last."""
    return {
        "mode": "activity" if planner.activity else "uniform",
        "call_length_seconds": round(planner.call_length),
        # Call starts and new queue callers seen, per hour of the day (older ones halved).
        "activity_by_hour_utc": [round(count, 1) for count in planner.hours],
        "busy_factor_now": round(planner.busy_factor(), 2),
    }
