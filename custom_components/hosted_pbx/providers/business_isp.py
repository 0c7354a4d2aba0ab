"""Business-ISP Connect Call: username, password and the numbers calls may come from.

The API has no read outside a call, so the flow checks formats only and says so; the
first call or SMS proves the credentials (an auth failure then starts reauth). Calls
are placed from a number, so click-to-call and hang-up take phone-number devices.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

import aiohttp

from ..api import Provider, RequestGate
from ..api.business_isp import DEFAULT_URL, BusinessIspClient, sms_endpoint
from ..devices import Target
from . import CredentialField, FieldType, ProviderSpec

_SEPARATORS = re.compile(r"[,;\n]+")


def numbers(value: Any) -> list[str]:
    """The source numbers as typed (one per line, or comma-separated) or as stored."""
    items = value if isinstance(value, list) else _SEPARATORS.split(str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def _client(
    data: Mapping[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> Provider:
    return BusinessIspClient(
        session,
        username=str(data["username"]).strip(),
        password=data["password"],
        sources=numbers(data["numbers"]),
        base_url=data.get("url") or DEFAULT_URL,
        sms_url=sms_endpoint(data.get("url")),
        gate=gate,
    )


SPEC = ProviderSpec(
    key="business_isp",
    name="Business-ISP",
    client=BusinessIspClient,
    create_client=_client,
    fields=(
        CredentialField("username", identifies=True),
        CredentialField("password", FieldType.PASSWORD, secret=True),
        CredentialField("numbers", FieldType.NUMBERS),
    ),
    reauth_fields=("password",),
    reconfigure_fields=("password", "numbers"),
    default_url=DEFAULT_URL,
    region="NL",
    currency="EUR",
    call_source=Target.NUMBER,
    call_modes=("source_first", "both"),
    account_name=lambda account_id: f"Business-ISP {account_id}",
)
