"""VdB Diensten "VoIP en Mobiel": portal e-mail address and password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from ..api import Provider, RequestGate
from ..api.vdb import DEFAULT_URL, VdbClient
from . import CredentialField, FieldType, ProviderSpec


def _client(
    data: Mapping[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> Provider:
    return VdbClient(
        session,
        username=data["username"],
        password=data["password"],
        base_url=data.get("url") or DEFAULT_URL,
        gate=gate,
    )


SPEC = ProviderSpec(
    key="vdb",
    name="VdB Diensten",
    client=VdbClient,
    create_client=_client,
    fields=(
        CredentialField("username", FieldType.EMAIL, identifies=True),
        CredentialField("password", FieldType.PASSWORD, secret=True),
    ),
    reauth_fields=("password",),
    reconfigure_fields=("password",),
    default_url=DEFAULT_URL,
    region="NL",
    currency="EUR",
)
