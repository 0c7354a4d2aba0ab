"""A provider defined only here proves that adding one needs no change elsewhere.

The test writes a tiny HTTP API (an aiohttp simulator on loopback), a minimal client for
it and its ``ProviderSpec``, and registers the spec in ``PROVIDERS`` for the test only.
Through Home Assistant it then gets the config flow (menu, form, entry, reauth,
reconfigure), entities (extension status sensors, an account switch that flips at the
simulator), redacted diagnostics and both actions, with no other module touched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
import json
from typing import Any, ClassVar

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.hosted_pbx.api import (
    Capability,
    ClickToCall,
    HasSwitches,
    Provider,
    Quota,
    RequestGate,
    SendsSms,
)
from custom_components.hosted_pbx.api.errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
)
from custom_components.hosted_pbx.api.http import HttpTransport, parse_json
from custom_components.hosted_pbx.api.models import (
    AccountData,
    ActionResult,
    Extension,
    ExtensionState,
    ExtensionStatus,
    Freshness,
    PhoneNumber,
    Read,
    StructureLoad,
    Switch,
    SwitchKind,
)
from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from custom_components.hosted_pbx.diagnostics import async_get_config_entry_diagnostics
from custom_components.hosted_pbx.providers import (
    PROVIDERS,
    CredentialField,
    FieldType,
    ProviderSpec,
)
from simulator.common import SimulatorServer

from .helpers import device_id, entity_id, run_for

KEY = "fakepbx"
ACCOUNT = "acme-42"
TOKEN = "fake-secret-token-0123456789"
NEW_TOKEN = "fake-rotated-token-9876543210"
NUMBER = "+31201234567"
DEFAULT_URL = "https://api.fakepbx.invalid/v1/"


# --- the simulator --------------------------------------------------------------------


@dataclass
class FakeSimulator:
    """The provider's API: bearer token, a structure read, a status read, three actions."""

    account: str = ACCOUNT
    token: str = TOKEN
    extensions: dict[str, str] = field(
        default_factory=lambda: {"201": "Reception", "202": "Office"}
    )
    statuses: dict[str, str] = field(default_factory=lambda: {"201": "idle", "202": "in_call"})
    numbers: list[str] = field(default_factory=lambda: [NUMBER])
    switches: dict[str, bool] = field(default_factory=lambda: {"night": False})
    received: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def app(self) -> web.Application:
        """The aiohttp application, under ``/v1/``."""
        app = web.Application()
        app.router.add_get("/v1/structure", self._structure)
        app.router.add_get("/v1/status", self._status)
        app.router.add_post("/v1/call", self._call)
        app.router.add_post("/v1/sms", self._sms)
        app.router.add_put("/v1/switches/{switch_id}", self._switch)
        return app

    async def _authorized(self, request: web.Request) -> dict[str, Any] | None:
        body: dict[str, Any] = await request.json() if request.can_read_body else {}
        self.received.append((request.method, request.path, body))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return None
        return body

    @staticmethod
    def _refused() -> web.Response:
        return web.json_response({"error": "invalid token"}, status=401)

    async def _structure(self, request: web.Request) -> web.Response:
        if await self._authorized(request) is None:
            return self._refused()
        return web.json_response(
            {
                "account": self.account,
                "extensions": [{"id": k, "name": v} for k, v in self.extensions.items()],
                "numbers": self.numbers,
                "switches": [
                    {"id": k, "name": "Night mode", "on": v} for k, v in self.switches.items()
                ],
            }
        )

    async def _status(self, request: web.Request) -> web.Response:
        if await self._authorized(request) is None:
            return self._refused()
        return web.json_response(self.statuses)

    async def _call(self, request: web.Request) -> web.Response:
        if (body := await self._authorized(request)) is None:
            return self._refused()
        return web.json_response(
            {"status": "calling", "extension": body["extension"], "to": body["number"]}
        )

    async def _sms(self, request: web.Request) -> web.Response:
        if (body := await self._authorized(request)) is None:
            return self._refused()
        return web.json_response({"status": "queued", "from": body["from"], "to": body["to"]})

    async def _switch(self, request: web.Request) -> web.Response:
        if (body := await self._authorized(request)) is None:
            return self._refused()
        switch_id = request.match_info["switch_id"]
        if switch_id not in self.switches:
            return web.json_response({"error": "unknown switch"}, status=404)
        self.switches[switch_id] = bool(body["on"])
        return web.json_response({"id": switch_id, "on": self.switches[switch_id]})


# --- the client -----------------------------------------------------------------------

STRUCTURE = Read("structure", "account", Freshness.STRUCTURE)
STATUS = Read("status", "account", Freshness.LIVE)


class FakeClient:
    """A minimal client: one structure read, one live status read, three actions."""

    key: ClassVar[str] = KEY
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.EXTENSION_STATUS})
    quota: ClassVar[Quota] = Quota(limit=60, window=60.0)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        account: str,
        token: str,
        base_url: str,
        gate: RequestGate | None = None,
    ) -> None:
        """Keep the credentials; the session is Home Assistant's."""
        self._http = HttpTransport(session, gate=gate)
        self._account = account.strip()
        self._token = token
        self._url = base_url.rstrip("/") + "/"

    @property
    def account_id(self) -> str:
        """The account name, as typed, case-folded."""
        return self._account.casefold()

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        response = await self._http.request(
            method,
            self._url + path,
            json_body=body,
            headers={"Authorization": f"Bearer {self._token}"},
        )
        if response.status == 401:
            raise AuthError("The provider refused the token")
        if response.status == 404:
            raise InvalidRequest("Unknown switch", ErrorReason.UNKNOWN_SWITCH)
        if response.status != 200:
            raise InvalidResponse(f"The provider answered HTTP {response.status}")
        return parse_json(response.text)

    async def _structure(self) -> AccountData:
        answer = await self._request("GET", "structure")
        if str(answer["account"]).casefold() != self.account_id:
            raise AuthError("The token belongs to another account")
        return AccountData(
            extensions={e["id"]: Extension(e["id"], e["name"]) for e in answer["extensions"]},
            numbers={n: PhoneNumber(n) for n in answer["numbers"]},
            switches={
                s["id"]: Switch(s["id"], s["name"], bool(s["on"]), SwitchKind.SWITCH)
                for s in answer["switches"]
            },
        )

    async def async_validate(self) -> None:
        """The structure read proves the token and the account."""
        await self._structure()

    async def async_load_structure(self, data: AccountData) -> StructureLoad:
        """One request for extensions, numbers and switches."""
        loaded = await self._structure()
        return StructureLoad(replace(data, **_structure_fields(loaded)), (STRUCTURE,))

    def plan_reads(self, data: AccountData) -> list[Read]:
        """The live status of every extension in one read, and the structure."""
        return [STATUS, STRUCTURE]

    async def async_read(self, read: Read, data: AccountData) -> AccountData:
        """Do one read and fold its answer into ``data``."""
        if read == STATUS:
            answer: dict[str, str] = await self._request("GET", "status")
            states = {
                ext: ExtensionState(ext, ExtensionStatus(status)) for ext, status in answer.items()
            }
            return replace(data, extension_states=states)
        if read == STRUCTURE:
            return replace(data, **_structure_fields(await self._structure()))
        raise InvalidRequest(f"No read {read.key}", ErrorReason.UNKNOWN_READ)

    async def async_click_to_call(self, extension_id: str, number: str) -> ActionResult:
        """The extension rings, then calls ``number``."""
        answer = await self._request("POST", "call", {"extension": extension_id, "number": number})
        return _result(answer)

    async def async_send_sms(
        self, from_number: str, to: str, message: str, sender: str | None
    ) -> ActionResult:
        """Send a text from one of the account's numbers."""
        body = {"from": from_number, "to": to, "message": message, "sender": sender}
        return _result(await self._request("POST", "sms", body))

    async def async_set_switch(self, switch_id: str, on: bool) -> Switch:
        """Flip a switch; return what the provider read back."""
        answer = await self._request("PUT", f"switches/{switch_id}", {"on": on})
        return Switch(answer["id"], answer["id"], bool(answer["on"]), SwitchKind.SWITCH)


def _structure_fields(loaded: AccountData) -> dict[str, Any]:
    return {
        "extensions": loaded.extensions,
        "numbers": loaded.numbers,
        "switches": loaded.switches,
    }


def _result(answer: Mapping[str, Any]) -> ActionResult:
    details = {key: str(value) for key, value in answer.items() if key != "status"}
    return ActionResult(str(answer["status"]), details)


def _create_client(
    data: Mapping[str, Any], session: aiohttp.ClientSession, gate: RequestGate | None
) -> Provider:
    return FakeClient(
        session,
        account=data["account"],
        token=data["api_token"],
        base_url=data.get(CONF_URL) or DEFAULT_URL,
        gate=gate,
    )


SPEC = ProviderSpec(
    key=KEY,
    name="Fake PBX",
    client=FakeClient,
    create_client=_create_client,
    fields=(
        CredentialField("account", FieldType.TEXT, identifies=True),
        CredentialField("api_token", FieldType.PASSWORD, secret=True),
    ),
    reauth_fields=("api_token",),
    reconfigure_fields=("api_token",),
    default_url=DEFAULT_URL,
    region="NL",
    currency="EUR",
)


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake provider is in the registry for this module's tests only."""
    monkeypatch.setitem(PROVIDERS, KEY, SPEC)


async def _serve(sim: FakeSimulator) -> SimulatorServer:
    server = SimulatorServer(sim.app, "/v1/")
    await server.start()
    return server


@pytest.fixture
async def fake_server(socket_enabled: None) -> AsyncIterator[tuple[FakeSimulator, str]]:
    """The fake provider on 127.0.0.1, and its API base URL."""
    sim = FakeSimulator()
    server = await _serve(sim)
    yield sim, server.url
    await server.stop()


@pytest.fixture
def fake_sim(fake_server: tuple[FakeSimulator, str]) -> FakeSimulator:
    """The simulator's state."""
    return fake_server[0]


@pytest.fixture
def fake_url(fake_server: tuple[FakeSimulator, str]) -> str:
    """The simulator's API base URL."""
    return fake_server[1]


@pytest.fixture
async def loaded_fake(
    hass: HomeAssistant, fake_url: str, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """A fake-provider entry, set up, with the live status read at least once."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Fake PBX ({ACCOUNT})",
        unique_id=ACCOUNT,
        data={CONF_PROVIDER: KEY, "account": ACCOUNT, "api_token": TOKEN, CONF_URL: fake_url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await run_for(hass, freezer, 10)
    return entry


def _schema(result: Any) -> dict[Any, Any]:
    """The fields of a form (the flow result's schema is optional in its type)."""
    schema: dict[Any, Any] = result["data_schema"].schema
    return schema


def _state(hass: HomeAssistant, entity: str) -> str:
    state = hass.states.get(entity)
    assert state is not None, entity
    return state.state


async def _action(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(DOMAIN, action, data, blocking=True, return_response=True)


# --- tests ----------------------------------------------------------------------------


async def test_menu_is_the_registry(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    # Generated from the registry at call time: the real providers, then the fake one.
    assert result["menu_options"] == list(PROVIDERS)
    assert list(PROVIDERS)[-1] == KEY
    assert KEY in result["menu_options"]


async def test_config_flow_creates_entry(
    hass: HomeAssistant, fake_sim: FakeSimulator, fake_url: str
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert KEY in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == KEY
    schema = _schema(result)
    assert [str(key) for key in schema] == ["account", "api_token", "advanced"]
    assert schema["advanced"].schema({}) == {CONF_URL: DEFAULT_URL}

    fields = {"account": "ACME-42", "advanced": {CONF_URL: fake_url}}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**fields, "api_token": "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**fields, "api_token": TOKEN}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Fake PBX (ACME-42)"
    assert result["data"] == {
        CONF_PROVIDER: KEY,
        "account": "ACME-42",
        "api_token": TOKEN,
        CONF_URL: fake_url,
    }
    entry = result["result"]
    assert entry.unique_id == ACCOUNT
    assert entry.state is ConfigEntryState.LOADED
    # The refused attempt, the flow's check, the setup's structure load (which covers the
    # structure read) and the first refresh's live status: one request each.
    assert [path for _, path, _ in fake_sim.received] == [
        "/v1/structure",
        "/v1/structure",
        "/v1/structure",
        "/v1/status",
    ]

    # The same account again is refused before anything is sent.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": KEY}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**fields, "account": "acme-42", "api_token": TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(fake_sim.received) == 4


async def test_reauth_after_token_rotation(
    hass: HomeAssistant,
    fake_sim: FakeSimulator,
    loaded_fake: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    fake_sim.token = NEW_TOKEN
    await run_for(hass, freezer, 10)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, None)
    assert result["step_id"] == "reauth_confirm"
    assert [str(key) for key in _schema(result)] == ["api_token"]
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert (placeholders["account"], placeholders["provider"]) == (
        f"Fake PBX ({ACCOUNT})",
        "Fake PBX",
    )

    result = await hass.config_entries.flow.async_configure(flow_id, {"api_token": TOKEN})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_token": NEW_TOKEN})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_fake.data["api_token"] == NEW_TOKEN
    assert loaded_fake.state is ConfigEntryState.LOADED


async def test_reconfigure_moves_the_api(
    hass: HomeAssistant, fake_sim: FakeSimulator, loaded_fake: MockConfigEntry
) -> None:
    result = await loaded_fake.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert [str(key) for key in _schema(result)] == ["api_token", "advanced"]

    moved_sim = FakeSimulator(token=NEW_TOKEN)
    moved = await _serve(moved_sim)
    try:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"api_token": NEW_TOKEN, "advanced": {CONF_URL: moved.url}}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert loaded_fake.data[CONF_URL] == moved.url
        assert loaded_fake.data["api_token"] == NEW_TOKEN
        assert loaded_fake.state is ConfigEntryState.LOADED
        # The flow's check, the reloaded entry's structure load and its first status read.
        assert [path for _, path, _ in moved_sim.received] == [
            "/v1/structure",
            "/v1/structure",
            "/v1/status",
        ]
        assert await hass.config_entries.async_unload(loaded_fake.entry_id)
    finally:
        await moved.stop()


async def test_reconfigure_to_another_account_is_refused(
    hass: HomeAssistant, loaded_fake: MockConfigEntry
) -> None:
    other_sim = FakeSimulator(account="other-7")
    other = await _serve(other_sim)
    try:
        hass.config_entries.async_update_entry(
            loaded_fake, data={**loaded_fake.data, "account": "other-7"}
        )
        result = await loaded_fake.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"api_token": TOKEN, "advanced": {CONF_URL: other.url}}
        )
        assert result["reason"] == "wrong_account"
    finally:
        await other.stop()


async def test_extension_status_sensors(
    hass: HomeAssistant,
    fake_sim: FakeSimulator,
    loaded_fake: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    reception = entity_id(hass, ACCOUNT, "extension", "201", "extension_status")
    office = entity_id(hass, ACCOUNT, "extension", "202", "extension_status")
    assert _state(hass, reception) == "idle"
    assert _state(hass, office) == "in_call"
    assert "/v1/status" in [path for _, path, _ in fake_sim.received]

    fake_sim.statuses["201"] = "ringing"
    await run_for(hass, freezer, 5)
    assert _state(hass, reception) == "ringing"
    # The devices carry the provider's name; the number's is formatted for its region.
    device = dr.async_get(hass).async_get(device_id(hass, ACCOUNT, "number", NUMBER))
    assert device is not None
    assert (device.manufacturer, device.name) == ("Fake PBX", "+31 20 123 4567")


async def test_account_switch_toggles_at_the_simulator(
    hass: HomeAssistant, fake_sim: FakeSimulator, loaded_fake: MockConfigEntry
) -> None:
    switch = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{ACCOUNT}|account|night|unite_switch"
    )
    assert switch is not None
    assert _state(hass, switch) == "off"

    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    assert fake_sim.switches == {"night": True}
    assert fake_sim.received[-1] == ("PUT", "/v1/switches/night", {"on": True})
    state = hass.states.get(switch)
    assert state is not None
    assert state.state == "on"
    assert str(state.name).endswith("Night mode")  # the listing's name, kept over the read-back

    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert fake_sim.switches == {"night": False}
    assert _state(hass, switch) == "off"


async def test_diagnostics_redact_the_secret_field(
    hass: HomeAssistant, loaded_fake: MockConfigEntry
) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_fake)
    assert TOKEN not in json.dumps(diagnostics)
    assert diagnostics["provider"] == KEY
    assert diagnostics["push"] == "polling only"
    assert diagnostics["entry"]["data"]["api_token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["account"] == ACCOUNT  # not secret, not redacted
    assert diagnostics["budget"]["limit"] == 48  # 80 % of the client's quota of 60
    assert {ext["id"] for ext in diagnostics["data"]["extensions"]} == {"201", "202"}
    assert diagnostics["data"]["phone_numbers"] == 1
    assert [switch["id"] for switch in diagnostics["data"]["switches"]] == ["night"]


async def test_actions_reach_the_simulator(
    hass: HomeAssistant, fake_sim: FakeSimulator, loaded_fake: MockConfigEntry
) -> None:
    client = loaded_fake.runtime_data.coordinator.client
    assert isinstance(client, ClickToCall)
    assert isinstance(client, SendsSms)
    assert isinstance(client, HasSwitches)

    extension = device_id(hass, ACCOUNT, "extension", "201")
    response = await _action(
        hass, "click_to_call", {"device_id": extension, "number": "+31612345678"}
    )
    assert response == {"status": "calling", "extension": "201", "to": "+31612345678"}
    assert fake_sim.received[-1] == (
        "POST",
        "/v1/call",
        {"extension": "201", "number": "+31612345678"},
    )

    number = device_id(hass, ACCOUNT, "number", NUMBER)
    response = await _action(
        hass,
        "send_sms",
        {"device_id": number, "to": "+31612345678", "message": "Door open", "sender": "Office"},
    )
    assert response == {"status": "queued", "from": NUMBER, "to": "+31612345678"}
    assert fake_sim.received[-1] == (
        "POST",
        "/v1/sms",
        {"from": NUMBER, "to": "+31612345678", "message": "Door open", "sender": "Office"},
    )


async def test_spec_derives_quota_and_secrets_from_the_client() -> None:
    assert PROVIDERS[KEY] is SPEC
    assert SPEC.quota == Quota(limit=60, window=60.0)
    assert SPEC.secret_keys == frozenset({"api_token"})
