"""VoipCenter (pbxonline.be): API id, API key, customer number and password.

The password is stored only as the hash the API signs with (sha256 of its md5), never
as typed: the config flow's credential exchange replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from ..api import Provider, RequestGate
from ..api.voipcenter import DEFAULT_URL, VoipcenterClient, hash_password
from . import CredentialField, FieldType, ProviderSpec

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
    ),
    reauth_fields=("api_key", "password"),
    reconfigure_fields=("api_key", "password"),
    default_url=DEFAULT_URL,
    region="BE",
    currency="EUR",
    exchange=_exchange,
    stored_secrets=frozenset({CONF_PASSWORD_HASH, "api_key"}),
    # Who the account is: diagnostics redact the unique id and title, so these too.
    redact=frozenset({"api_id", "customer_number"}),
    account_name=lambda account_id: f"VoipCenter {account_id}",
)
