"""VoipCenter (pbxonline.be): API id, API key, customer number and password.

The password is stored only as the hash the API signs with (sha256 of its md5), never
as typed: the config flow's credential exchange replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..api import Provider, RequestGate
from ..api.voipcenter import (
    DEFAULT_URL,
    VoipcenterClient,
    VoipcenterEvents,
    hash_password,
    parse_notify,
)
from . import (
    CredentialField,
    FieldType,
    ProviderSpec,
    PushEvent,
    PushSink,
    SocketPush,
    StopPush,
)

_LOGGER = logging.getLogger(__name__)
CONF_WEBSOCKET_USER = "websocket_user"

CONF_PASSWORD_HASH = "password_hash"  # noqa: S105 - the key, not a hash


def _client(
    data: Mapping[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> Provider:
    return VoipcenterClient(
        session,
        api_id=str(data["api_id"]).strip(),
        api_key=str(data["api_key"]).strip(),
        customer_number=str(data["customer_number"]).strip(),
        password_hash=data[CONF_PASSWORD_HASH],
        base_url=data.get("url") or DEFAULT_URL,
        gate=gate,
    )


async def _exchange(
    data: dict[str, Any], _session: aiohttp.ClientSession, _gate: RequestGate | None
) -> None:
    """Keep only the hash of a newly typed password (no request); trim the typed ids.

    Trimmed here, the entry's title and data show the customer number as the client
    uses it (the account id), not with the spaces a paste brought along.
    """
    for key in ("api_id", "api_key", "customer_number"):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    if "password" in data:
        data[CONF_PASSWORD_HASH] = hash_password(str(data.pop("password")))


# The websocket add-on's server (NOTES.md); a reseller's own API address serves its own.
DEFAULT_EVENTS_URL = "https://ws1.voipcenter.be:4123"
# What a notify event's status means for the SIP account's event entity (the payload is
# undocumented: these are the words public clients show; the rest only reach the bus).
_DEVICE_EVENTS = {
    "ringing": "incoming_call",
    "ring": "incoming_call",
    "answered": "answered",
    "answer": "answered",
    "connected": "answered",
    "hangup": "ended",
    "ended": "ended",
    "missed": "missed",
}


def _events_url(data: Mapping[str, Any]) -> str:
    url = data.get("url")
    if not url or url == DEFAULT_URL:
        return DEFAULT_EVENTS_URL
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _push_event(client: VoipcenterClient, payload: Mapping[str, Any]) -> PushEvent | None:
    fields = parse_notify(payload)
    if fields is None:
        return None
    status = fields.get("status", "").casefold()
    extensions = client.extensions_for(
        fields.get("sipacc", ""), fields.get("callee", ""), fields.get("caller", "")
    )
    kind = _DEVICE_EVENTS.get(status)
    if kind is None:
        _LOGGER.debug("VoipCenter event without a known status: %s", sorted(fields))
    call_id = fields.get("call_id", "")
    return PushEvent(
        event_type="call",
        data=fields,
        # Without a call id every event is new: better twice than never.
        dedup_key=f"{call_id}|{status}" if call_id else f"{id(payload)}|{status}",
        extensions=extensions,
        device_events=tuple(("extension", ext, kind) for ext in extensions) if kind else (),
    )


async def _start_events(
    client: Provider, data: Mapping[str, Any], sink: PushSink
) -> StopPush | None:
    """Connect the websocket add-on when the account has a websocket user."""
    assert isinstance(client, VoipcenterClient)
    user = str(data.get(CONF_WEBSOCKET_USER) or "").strip()
    if not user:
        return None
    key = await client.async_websocket_key(user)

    def _on_notify(payload: dict[str, Any]) -> None:
        if (event := _push_event(client, payload)) is not None:
            sink(event)

    events = VoipcenterEvents(_events_url(data), key, _on_notify)
    events.start()
    return events.stop


SPEC = ProviderSpec(
    key="voipcenter",
    name="VoipCenter",
    client=VoipcenterClient,
    create_client=_client,
    fields=(
        # The customer number is the account (the entry's unique id): it names the entry
        # and finds a duplicate, whichever API user of the customer is typed.
        CredentialField("api_id"),
        CredentialField("api_key", FieldType.PASSWORD, secret=True),
        CredentialField("customer_number", identifies=True),
        CredentialField("password", FieldType.PASSWORD, secret=True),
        # The websocket add-on's user: live call events; without it, polling only.
        CredentialField(CONF_WEBSOCKET_USER, required=False),
    ),
    reauth_fields=("api_key", "password"),
    reconfigure_fields=("api_key", "password", CONF_WEBSOCKET_USER),
    default_url=DEFAULT_URL,
    region="BE",
    currency="EUR",
    exchange=_exchange,
    socket=SocketPush(async_start=_start_events),
    stored_secrets=frozenset({CONF_PASSWORD_HASH, "api_key"}),
    # Who the account is: diagnostics redact the unique id and title, so these too.
    redact=frozenset({"api_id", "customer_number"}),
    account_name=lambda account_id: f"VoipCenter {account_id}",
)
