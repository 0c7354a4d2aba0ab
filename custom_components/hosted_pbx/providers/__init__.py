"""One spec per provider, and the registry the rest of the integration talks to.

A spec says everything the Home Assistant layer needs to know about a provider: its
name, the fields of its config flow, how to turn them into a client (and, where a
provider has one, how to exchange a credential first), its default API address, its
phone-number region and currency, what to redact, and its push support. The config
flow, diagnostics, webhook and ``scripts/develop`` never name a provider themselves:
adding one is a new module here, listed in ``PROVIDERS`` below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp

from ..api import Provider, Quota, RequestGate
from ..devices import Target


class FieldType(StrEnum):
    """How a credential field is shown in the form."""

    TEXT = "text"
    PASSWORD = "password"  # noqa: S105 - a field type, not a password
    EMAIL = "email"
    NUMBERS = "numbers"  # phone numbers, comma- or line-separated, stored as a list


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One field of a provider's credential form.

    ``secret`` fields are redacted in diagnostics; ``identifies`` ones name the account
    in the reauth form's description (an e-mail address, a customer number).
    """

    key: str
    type: FieldType = FieldType.TEXT
    secret: bool = False
    identifies: bool = False
    required: bool = True


type ClientFactory = Callable[
    [Mapping[str, Any], aiohttp.ClientSession, RequestGate | None], Provider
]
type CredentialExchange = Callable[
    [dict[str, Any], aiohttp.ClientSession, RequestGate | None], Awaitable[None]
]


@dataclass(frozen=True, slots=True)
class WebhookPush:
    """A provider that calls a Home Assistant webhook.

    ``async_register`` points the provider at the webhook's URL (one request). ``parse``
    turns the request's fields into a push event, or None when it is not one.
    """

    async_register: Callable[[Provider, str], Awaitable[None]]
    parse: Callable[[Provider, Mapping[str, str]], PushEvent | None]
    answer: str = ""  # the body the provider expects back (VoIP.ms wants "ok")
    # Reads the push makes needless once the provider calls the webhook (a fallback).
    covers: frozenset[str] = frozenset()


type PushSink = Callable[[PushEvent], None]
type StopPush = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class SocketPush:
    """A provider whose events arrive over a connection the integration keeps open.

    ``async_start`` connects (reconnecting by itself) and hands every event to the sink;
    it returns how to stop, or None when the account has no such connection configured.
    """

    async_start: Callable[[Provider, Mapping[str, Any], PushSink], Awaitable[StopPush | None]]


@dataclass(frozen=True, slots=True)
class PushEvent:
    """One pushed event: fired on the bus and de-duplicated by ``dedup_key``.

    ``extensions`` are marked as fresh (no status read needed for them) and
    ``refresh`` asks the coordinator for a status read when the budget allows.
    """

    event_type: str
    data: Mapping[str, str]
    dedup_key: str
    extensions: tuple[str, ...] = ()
    refresh: bool = True
    # What the devices' event entities show: (kind of device, id, event type), e.g.
    # ("extension", "1201", "incoming_call") or ("number", "5145550100", "sms_received").
    device_events: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProviderSpec:
    """What the integration knows about one provider."""

    key: str
    name: str
    client: type[Provider]
    create_client: ClientFactory
    fields: tuple[CredentialField, ...]
    reauth_fields: tuple[str, ...]
    reconfigure_fields: tuple[str, ...]
    default_url: str
    region: str
    currency: str
    exchange: CredentialExchange | None = None
    redact: frozenset[str] = frozenset()
    push: WebhookPush | None = None
    socket: SocketPush | None = None
    auth_error: str = "invalid_auth"  # the form's error key when the sign-in is refused
    # Which devices place a click-to-call (and hang up): extensions, or the numbers
    # themselves where the provider calls from a number (Business-ISP).
    call_source: Target = Target.EXTENSION
    # How click-to-call may ring the parties: "source_first" always, "both" where it can.
    call_modes: tuple[str, ...] = ("source_first",)
    # Whether received texts reach Home Assistant (an event entity per number).
    receives_sms: bool = False
    # Keys in entry data that are derived (tokens, hashes): never shown, always redacted.
    stored_secrets: frozenset[str] = frozenset()
    # What the client learns and should keep across restarts (VoIP.ms: the route a
    # number had before it was forwarded), kept in the entry's cache.
    save_state: Callable[[Provider], dict[str, Any]] | None = None
    restore_state: Callable[[Provider, Any], None] | None = None
    # The account device's name, from the account id (the entry's unique id).
    account_name: Callable[[str], str] = field(default=lambda account_id: account_id)

    @property
    def quota(self) -> Quota:
        """The provider's documented (or assumed) request quota."""
        return self.client.quota

    @property
    def secret_keys(self) -> frozenset[str]:
        """Every entry-data key that must never be shown."""
        typed = {item.key for item in self.fields if item.secret}
        return frozenset(typed) | self.stored_secrets | self.redact


def _registry() -> dict[str, ProviderSpec]:
    from . import business_isp, vdb, voipcenter, voipms, voipzeker

    specs = (vdb.SPEC, voipcenter.SPEC, voipzeker.SPEC, voipms.SPEC, business_isp.SPEC)
    return {spec.key: spec for spec in specs}


PROVIDERS: dict[str, ProviderSpec] = _registry()


def get_spec(key: str) -> ProviderSpec:
    """The spec of a provider key (raises KeyError for an unknown one)."""
    return PROVIDERS[key]
