"""Diagnostics: what the account looks like, with credentials and numbers redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import HostedPbxConfigEntry

TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    "token",
    "login_token",
    "access_token",
    "invitation_id",
    "api_key",
    "number",
    "numbers",
    "remote_number",
    "from_number",
    "to_number",
    "callers",
    "title",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HostedPbxConfigEntry
) -> dict[str, Any]:
    """The entry, the budget and the coordinator's data, redacted."""
    runtime = entry.runtime_data
    data = runtime.coordinator.data
    budget = runtime.budget
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "provider": runtime.client.key,
        "budget": {
            "limit": budget.limit,
            "polling_limit": budget.poll_limit,
            "window_seconds": budget.window,
            "used": budget.used(),
            "blocked_for": budget.blocked_for(),
            "total_sent": budget.total_sent,
        },
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
            },
            TO_REDACT,
        ),
    }
