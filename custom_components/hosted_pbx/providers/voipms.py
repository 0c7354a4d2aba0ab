"""VoIP.ms: the API username (the portal e-mail) and the API password.

Received text messages are delivered by VoIP.ms to a Home Assistant webhook (the DID's
SMS URL callback), which must answer ``ok`` or VoIP.ms sends them again every 30 minutes.
The API has no way to place a call, so click-to-call refuses VoIP.ms devices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from ..api import Provider, RequestGate
from ..api.voipms import DEFAULT_URL, RECEIVED_SMS, VoipmsClient, parse_sms_callback
from . import CredentialField, FieldType, ProviderSpec, PushEvent, WebhookPush

CONF_CURRENCY = "currency"


def _client(
    data: Mapping[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> Provider:
    return VoipmsClient(
        session,
        username=str(data["username"]).strip(),
        api_password=data["api_password"],
        base_url=data.get("url") or DEFAULT_URL,
        gate=gate,
        # Accounts are in CAD or USD; the API does not always say which.
        currency=str(data.get(CONF_CURRENCY) or "CAD").strip().upper()[:3],
    )


def _save_state(client: Provider) -> dict[str, Any]:
    assert isinstance(client, VoipmsClient)
    return {"routes": client.remembered_routes}


def _restore_state(client: Provider, saved: Any) -> None:
    assert isinstance(client, VoipmsClient)
    if isinstance(saved, dict) and isinstance(routes := saved.get("routes"), dict):
        client.restore_remembered_routes(routes)


async def _register(client: Provider, url: str) -> None:
    """Point every SMS-enabled number's URL callback at the webhook.

    ``async_set_sms_callback`` adds the placeholders (``sms_callback_url``) itself.
    """
    assert isinstance(client, VoipmsClient)
    for number in (await client.async_dids()).values():
        if number.sms_enabled:
            await client.async_set_sms_callback(number.number, url)


def _parse(client: Provider, fields: Mapping[str, str]) -> PushEvent | None:
    sms = parse_sms_callback(fields)
    if sms is None:
        return None
    return PushEvent(
        event_type="sms_received",
        data=sms.as_dict(),
        dedup_key=f"sms|{sms.id}",
        refresh=False,
        device_events=(("number", sms.to_did, "sms_received"),),
    )


SPEC = ProviderSpec(
    key="voipms",
    name="VoIP.ms",
    client=VoipmsClient,
    create_client=_client,
    fields=(
        CredentialField("username", FieldType.EMAIL, identifies=True),
        CredentialField("api_password", FieldType.PASSWORD, secret=True),
        CredentialField(CONF_CURRENCY, required=False),
    ),
    reauth_fields=("api_password",),
    reconfigure_fields=("api_password",),
    default_url=DEFAULT_URL,
    region="CA",
    currency="CAD",
    push=WebhookPush(
        async_register=_register,
        parse=_parse,
        answer="ok",
        covers=frozenset({RECEIVED_SMS}),
    ),
    receives_sms=True,
    save_state=_save_state,
    restore_state=_restore_state,
    account_name=lambda account_id: f"VoIP.ms {account_id}",
)
