"""VOIPZeker Unite: a single-use invitation id, exchanged once for a login token.

Call events are pushed to a Home Assistant webhook set as the Unite webhook URL template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from ..api import Provider, RequestGate
from ..api.voipzeker import (
    DEFAULT_URL,
    VoipzekerClient,
    async_provision,
    parse_webhook_event,
    webhook_template,
)
from . import CredentialField, ProviderSpec, PushEvent, WebhookPush

CONF_INVITATION_ID = "invitation_id"
CONF_LOGIN_TOKEN = "login_token"  # noqa: S105 - the key, not a token


def _client(
    data: Mapping[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> Provider:
    return VoipzekerClient(
        session,
        login_token=data[CONF_LOGIN_TOKEN],
        base_url=data.get("url") or DEFAULT_URL,
        gate=gate,
    )


async def _exchange(
    data: dict[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> None:
    """Swap the invitation id for a login token; the invitation is never stored.

    Without an invitation (reconfiguring the address only) the stored token stays.
    """
    if CONF_INVITATION_ID not in data:
        return
    invitation = str(data.pop(CONF_INVITATION_ID))
    url = data.get("url") or DEFAULT_URL
    data[CONF_LOGIN_TOKEN] = await async_provision(session, invitation, url, gate)


async def _register(client: Provider, url: str) -> None:
    assert isinstance(client, VoipzekerClient)
    await client.async_set_webhook(webhook_template(url))


def _parse(client: Provider, fields: Mapping[str, str]) -> PushEvent | None:
    assert isinstance(client, VoipzekerClient)
    event = parse_webhook_event(fields, client.webhook_numbers)
    if event is None:
        return None
    status = event.status_desc.lower()
    extensions = client.extensions_for(event.from_number, event.to_number)
    # A disconnect is "missed" when the call rang here and was never connected.
    kind = client.call_outcomes.outcome(event) or _DEVICE_EVENTS.get(event.status_desc)
    return PushEvent(
        event_type="call",
        data={
            "call_id": event.call_id,
            "from": event.from_number,
            "to": event.to_number,
            "direction": event.direction.value,
            "status": status,
            "timestamp": event.timestamp.isoformat(),
        },
        dedup_key=f"{event.call_id}|{status}",
        extensions=extensions,
        device_events=tuple(("extension", ext, kind) for ext in extensions) if kind else (),
    )


# The webhook's statuses as the extensions' event entities show them.
_DEVICE_EVENTS = {
    "INCOMING_RINGING": "incoming_call",
    "CONNECTED": "answered",
}


def _account_name(account_id: str) -> str:
    # The tenant code alone ("1234") would make entity ids like switch.1234_nachtstand.
    return f"VOIPZeker {account_id}"


SPEC = ProviderSpec(
    key="voipzeker",
    name="VOIPZeker",
    client=VoipzekerClient,
    create_client=_client,
    fields=(CredentialField(CONF_INVITATION_ID),),
    reauth_fields=(CONF_INVITATION_ID,),
    reconfigure_fields=(),
    default_url=DEFAULT_URL,
    region="NL",
    currency="EUR",
    exchange=_exchange,
    stored_secrets=frozenset({CONF_LOGIN_TOKEN, CONF_INVITATION_ID}),
    push=WebhookPush(async_register=_register, parse=_parse),
    auth_error="invalid_invitation_used",
    account_name=_account_name,
)
