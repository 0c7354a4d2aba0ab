"""Which providers the integration offers, and how to build a client from an entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME

from .api import Provider, RequestGate
from .api.vdb import DEFAULT_URL as VDB_URL, VdbClient
from .api.voipzeker import DEFAULT_URL as VOIPZEKER_URL, VoipzekerClient
from .const import CONF_LOGIN_TOKEN, PROVIDER_VDB, PROVIDER_VOIPZEKER

IMPLEMENTED: tuple[str, ...] = (PROVIDER_VDB, PROVIDER_VOIPZEKER)
DEFAULT_URLS: dict[str, str] = {PROVIDER_VDB: VDB_URL, PROVIDER_VOIPZEKER: VOIPZEKER_URL}
_CLASSES: dict[str, type[Provider]] = {
    PROVIDER_VDB: VdbClient,
    PROVIDER_VOIPZEKER: VoipzekerClient,
}


def provider_class(provider: str) -> type[Provider]:
    """The client class of a provider key, for its quota and capabilities."""
    return _CLASSES[provider]


def create_client(
    provider: str,
    data: Mapping[str, Any],
    session: aiohttp.ClientSession,
    gate: RequestGate | None = None,
) -> Provider:
    """Build the client for a config entry's data."""
    if provider == PROVIDER_VDB:
        return VdbClient(
            session,
            username=data[CONF_USERNAME],
            password=data[CONF_PASSWORD],
            base_url=data.get(CONF_URL) or VDB_URL,
            gate=gate,
        )
    if provider == PROVIDER_VOIPZEKER:
        return VoipzekerClient(
            session,
            login_token=data[CONF_LOGIN_TOKEN],
            base_url=data.get(CONF_URL) or VOIPZEKER_URL,
            gate=gate,
        )
    raise ValueError(f"Unknown provider {provider}")
