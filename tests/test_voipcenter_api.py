"""The HA-free VoipCenter client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.hosted_pbx.api import ClickToCall, HasRoutes, HasSwitches
from custom_components.hosted_pbx.api.errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from custom_components.hosted_pbx.api.http import HttpResponse
from custom_components.hosted_pbx.api.models import (
    AccountData,
    ExtensionStatus,
    Freshness,
    Read,
    SwitchKind,
)
from custom_components.hosted_pbx.api.voipcenter import (
    MENU_FIELDS,
    VoipcenterClient,
    VoipcenterEvents,
    WebsocketKey,
    build_request,
    check_answer,
    error_code,
    hash_password,
    notify_payload,
    parse_action,
    parse_did_details,
    parse_id_map,
    parse_indicator,
    parse_indicators,
    parse_notify,
    parse_numbers,
    parse_routes,
    parse_sip_accounts,
    parse_sip_details,
    parse_wskey,
    raise_for_error,
    registration_status,
    sign,
    string_to_sign,
)
from simulator.common import Fault, SimulatorServer
from simulator.voipcenter import API_PATH, VoipcenterSimulator

from .conftest import START

# The document's example values.
API_ID = "pi990000tst"
KNUMMER = "123456"
TS = 1400229417
PROPERTY = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def real_clock() -> None:
    """Requested by tests that need the wall clock (Socket.IO's timers)."""


@pytest.fixture(autouse=True)
def frozen_start(request: pytest.FixtureRequest) -> None:
    """Time is frozen at START as everywhere else, unless a test asks for the real clock."""
    if "real_clock" not in request.fixturenames:
        request.getfixturevalue("freezer").move_to(START)


@dataclass
class Env:
    """A running simulator, its URL and a client session."""

    sim: VoipcenterSimulator
    url: str
    session: aiohttp.ClientSession

    def client(self, **kwargs: Any) -> VoipcenterClient:
        options: dict[str, Any] = {
            "api_id": self.sim.api_id,
            "api_key": self.sim.api_key,
            "customer_number": self.sim.customer_number,
            "password_hash": hash_password(self.sim.password),
            "base_url": self.url,
            **kwargs,
        }
        return VoipcenterClient(self.session, **options)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def secrets(self) -> list[str]:
        """Everything that must never appear in an error: key, password, hash, signatures."""
        sent = [
            value
            for fields in self.sim.raw_fields
            for name, value in fields
            if name in ("pass", "pwd")
        ]
        return [
            self.sim.api_key,
            self.sim.password,
            self.sim.password_hash,
            self.sim.api_id,
            self.sim.wskey,
            *sent,
        ]

    def assert_clean(self, err: BaseException) -> None:
        texts = [str(err), repr(err), str(err.__cause__ or ""), repr(err.__context__ or "")]
        if isinstance(err, ProviderError):
            texts.extend(err.details.values())
        for secret in self.secrets():
            assert all(secret not in text for text in texts), f"secret leaked in {err!r}"


@pytest.fixture
async def env(socket_enabled: None) -> AsyncIterator[Env]:
    sim = VoipcenterSimulator()
    server = SimulatorServer(sim.app, API_PATH)
    url = await server.start()
    async with aiohttp.ClientSession() as session:
        yield Env(sim, url, session)
    await server.stop()


@pytest.fixture
def client(env: Env) -> VoipcenterClient:
    return env.client()


async def loaded(client: VoipcenterClient) -> AccountData:
    return (await client.async_load_structure(AccountData())).data


# --- hashing and signing ------------------------------------------------------------------


def test_password_hash_is_sha256_of_md5_hex() -> None:
    md5_hex = hashlib.md5(b"password").hexdigest()
    assert hash_password("password") == hashlib.sha256(md5_hex.encode()).hexdigest()
    assert hash_password("password") != hashlib.sha256(b"password").hexdigest()


PWD = hash_password("password")
CREDENTIALS = {"apiID": API_ID, "knummer": KNUMMER, "pwd": PWD}


@pytest.mark.parametrize(
    ("endpoint", "menu", "expected"),
    [
        # The document's get.php string: apiID knummer pwd m id f ts.
        (
            "get.php",
            {"m": "indicator", "id": "0"},
            f"apiID{API_ID}knummer{KNUMMER}pwd{PWD}mindicatorid0fjsonts{TS}",
        ),
        # update.php: what it sends (m id p), not the call.php string the document shows.
        (
            "update.php",
            {"m": "indicator", "id": "100", "p": "1"},
            f"apiID{API_ID}knummer{KNUMMER}pwd{PWD}mindicatorid100p1fjsonts{TS}",
        ),
        # call.php: the document's string, sipacc and telnr.
        (
            "call.php",
            {"sipacc": "sipaccount1", "telnr": "021234567"},
            f"apiID{API_ID}knummer{KNUMMER}pwd{PWD}sipaccsipaccount1telnr021234567fjsonts{TS}",
        ),
    ],
)
def test_string_to_sign_per_endpoint(endpoint: str, menu: dict[str, str], expected: str) -> None:
    fields = build_request(endpoint, CREDENTIALS, menu, "the-key", TS)
    assert string_to_sign(endpoint, fields) == expected
    digest = hmac.new(b"the-key", expected.encode(), hashlib.sha256).hexdigest()
    assert fields["pass"] == sign("the-key", endpoint, fields) == digest
    # Sent in the signed order, pass last.
    assert list(fields) == ["apiID", "knummer", "pwd", *MENU_FIELDS[endpoint], "f", "ts", "pass"]


def test_filter_is_sent_but_not_signed() -> None:
    menu = {"m": "sipacc", "id": "0"}
    plain = build_request("get.php", CREDENTIALS, menu, "k", TS)
    filtered = build_request("get.php", CREDENTIALS, menu, "k", TS, filter_text="bureau")
    assert filtered["filter"] == "bureau"
    assert filtered["pass"] == plain["pass"]
    assert list(filtered).index("filter") == list(filtered).index("id") + 1


async def test_signatures_on_the_wire(env: Env, client: VoipcenterClient) -> None:
    """The simulator checks the documented rule (fields in the order received); pin it too."""
    await loaded(client)
    await client.async_set_switch("13", True)
    await client.async_click_to_call("101", "+32 9 234 56 78")
    seen = {
        endpoint: fields
        for (endpoint, _), fields in zip(env.sim.requests, env.sim.raw_fields, strict=True)
    }
    assert set(seen) == {"get.php", "update.php", "call.php"}
    for endpoint, fields in seen.items():
        names = [name for name, _ in fields]
        assert names == ["apiID", "knummer", "pwd", *MENU_FIELDS[endpoint], "f", "ts", "pass"]
        message = "".join(name + value for name, value in fields[:-1])
        expected = hmac.new(env.sim.api_key.encode(), message.encode(), hashlib.sha256)
        assert dict(fields)["pass"] == expected.hexdigest()


# --- reads --------------------------------------------------------------------------------


async def test_structure_costs_four_requests(env: Env, client: VoipcenterClient) -> None:
    load = await client.async_load_structure(AccountData())
    assert [m for _, m in env.sim.requests] == ["sipacc", "did", "indicator", "routes"]
    data = load.data
    assert {e.id: e.name for e in data.extensions.values()} == {
        ident: account.logname for ident, account in env.sim.sip_accounts.items()
    }
    assert set(data.numbers) == {did.number for did in env.sim.dids.values()}
    assert {s.id: s.name for s in data.switches.values()} == {
        "12": "Dag",
        "13": "Nacht",
        "14": "Vakantie",
        "15": "Storing",
    }
    assert all(s.kind is SwitchKind.FUNCTION_INDICATOR for s in data.switches.values())
    assert {r.id: r.name for r in data.routes.values()} == env.sim.routes
    assert {read.name for read in load.covered} == {
        "sipacc_list",
        "did_list",
        "indicator_list",
        "routes",
    }
    assert client.account_id == env.sim.customer_number


async def test_planned_reads_fill_in_the_details(env: Env, client: VoipcenterClient) -> None:
    data = await loaded(client)
    plan = client.plan_reads(data)
    per_sip = [read for read in plan if read.name == "sipacc"]
    assert {read.extension_id for read in per_sip} == set(env.sim.sip_accounts)
    assert all(read.freshness is Freshness.FREQUENT and read.cost == 1 for read in per_sip)
    assert {read.target for read in plan if read.name == "indicator"} == set(env.sim.indicators)
    assert {read.target for read in plan if read.name == "did"} == set(env.sim.dids)
    assert len({read.key for read in plan}) == len(plan)
    before = len(env.sim.requests)
    for read in plan:
        data = await client.async_read(read, data)
    assert len(env.sim.requests) - before == sum(read.cost for read in plan)

    states = data.extension_states
    assert {k for k, s in states.items() if s.status is ExtensionStatus.IDLE} == {
        "101",
        "102",
        "103",
    }
    assert states["104"].status is ExtensionStatus.OFFLINE
    assert states["104"].user_agent is None
    assert states["101"].user_agent == env.sim.sip_accounts["101"].user_agent
    assert {k: s.is_on for k, s in data.switches.items()} == {
        "12": True,
        "13": False,
        "14": False,
        "15": False,
    }
    assert data.switches["12"].name == "Dag"
    assert {n.number: n.route for n in data.numbers.values()} == {
        did.number: did.route for did in env.sim.dids.values()
    }


async def test_registration_follows_the_simulator(env: Env, client: VoipcenterClient) -> None:
    read = Read("sipacc", "101", Freshness.FREQUENT, extension_id="101")
    data = await client.async_read(read, AccountData())
    assert data.extension_states["101"].status is ExtensionStatus.IDLE
    env.sim.set_registration("101", "")
    data = await client.async_read(read, data)
    assert data.extension_states["101"].status is ExtensionStatus.OFFLINE
    before = {k: a.registered for k, a in env.sim.sip_accounts.items()}
    for _ in range(200):
        env.sim.tick()
    assert before != {k: a.registered for k, a in env.sim.sip_accounts.items()}


async def test_unknown_items(env: Env, client: VoipcenterClient) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_read(Read("sipacc", "999", Freshness.FREQUENT), AccountData())
    assert err.value.reason is ErrorReason.UNKNOWN_EXTENSION
    with pytest.raises(InvalidRequest) as err:
        await client.async_indicator("999")
    assert err.value.reason is ErrorReason.UNKNOWN_SWITCH
    with pytest.raises(InvalidRequest) as err:
        await client.async_read(Read("cdr", "x", Freshness.SLOW), AccountData())
    assert err.value.reason is ErrorReason.UNKNOWN_READ
    sent = len(env.sim.requests)
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_switch("12|1", True)  # never sent: an id is a number
    assert err.value.reason is ErrorReason.UNKNOWN_SWITCH
    assert len(env.sim.requests) == sent


async def test_a_list_refresh_drops_states_of_removed_accounts(
    env: Env, client: VoipcenterClient
) -> None:
    data = await loaded(client)
    data = await client.async_read(Read("sipacc", "105", Freshness.FREQUENT), data)
    del env.sim.sip_accounts["105"]
    data = await client.async_read(Read("sipacc_list", "sipacc", Freshness.STRUCTURE), data)
    assert "105" not in data.extensions
    assert "105" not in data.extension_states


# --- credentials and clock ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"api_key": "wrong-key"}, "14"),
        ({"password_hash": hash_password("wrong")}, "15"),
        ({"api_id": "pi000000xxx"}, "16"),
    ],
)
async def test_bad_credentials(env: Env, override: dict[str, str], code: str) -> None:
    client = env.client(**override)
    with pytest.raises(AuthError) as err:
        await client.async_validate()
    assert err.value.reason is ErrorReason.AUTH
    assert err.value.details["code"] == code
    env.assert_clean(err.value)
    assert "wrong" not in str(err.value)


@pytest.mark.parametrize("skew", [30, -45])
async def test_clock_skew_is_corrected_from_date(env: Env, skew: int) -> None:
    env.sim.clock_skew = skew
    client = env.client()
    await client.async_validate()
    assert client.clock_offset == skew
    assert len(env.sim.requests) == 2  # refused once (error 11), then accepted
    await client.async_indicators()
    assert len(env.sim.requests) == 3  # the offset is kept


async def test_persistent_skew_is_a_clock_error(env: Env, client: VoipcenterClient) -> None:
    env.sim.clock_skew = 30
    env.sim.clock_drift = 30  # the server's clock runs away after each refusal
    with pytest.raises(ProviderError) as err:
        await client.async_validate()
    assert err.value.reason is ErrorReason.CLOCK_SKEW
    assert err.value.details["offset"] == "60"
    assert len(env.sim.requests) == 2
    env.assert_clean(err.value)


async def test_skew_without_date_header(client: VoipcenterClient) -> None:
    """An error 11 without a Date header cannot be corrected: no blind retry."""
    body = json.dumps({"head": {"error_number": "11", "error_message": "Timestamp mismatch"}})
    with pytest.raises(ProviderError) as err:
        check_answer(HttpResponse(200, body, {}))
    assert err.value.reason is ErrorReason.CLOCK_SKEW


# --- writes -------------------------------------------------------------------------------


async def test_indicators_on_and_off(env: Env, client: VoipcenterClient) -> None:
    await loaded(client)
    assert isinstance(client, HasSwitches)
    switch = await client.async_set_switch("13", True)
    assert switch.is_on is True
    assert switch.name == "Nacht"
    assert switch.kind is SwitchKind.FUNCTION_INDICATOR
    assert env.sim.indicator_on("13")
    switch = await client.async_set_switch("13", False)
    assert switch.is_on is False
    assert not env.sim.indicator_on("13")
    assert env.sim.received == [
        {"m": "indicator", "id": "13", "p": "1"},
        {"m": "indicator", "id": "13", "p": "0"},
    ]


@pytest.mark.parametrize("number", ["+32 50 12 34 56", "050 12 34 56", "3250123456"])
async def test_route_change(env: Env, client: VoipcenterClient, number: str) -> None:
    await loaded(client)
    assert isinstance(client, HasRoutes)
    assert await client.async_set_route(number, "142") == "142"
    assert env.sim.dids["540"].route == "142"
    assert env.sim.dids["540"].backup == "150"  # untouched
    assert env.sim.received == [{"m": "did", "id": "540", "p": "r142"}]


async def test_route_change_refusals(env: Env, client: VoipcenterClient) -> None:
    await loaded(client)
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_route("+32 2 123 45 67", "142")
    assert err.value.reason is ErrorReason.INVALID_NUMBER
    with pytest.raises(InvalidRequest):
        await client.async_set_route("3250123456", "142|b1")  # no smuggled fields
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_route("3250123456", "999")  # the server's error 17
    assert err.value.reason is ErrorReason.INVALID_REQUEST
    assert env.sim.received == []


@pytest.mark.parametrize(
    ("number", "telnr"),
    [
        ("+32 9 234 56 78", "092345678"),
        ("09 234 56 78", "092345678"),
        ("0032 470 12 34 56", "0470123456"),
        ("+31 20 998 8776", "31209988776"),
    ],
)
async def test_click_to_call(env: Env, client: VoipcenterClient, number: str, telnr: str) -> None:
    assert isinstance(client, ClickToCall)
    result = await client.async_click_to_call("101", number)
    assert result.status == "initiated"
    assert env.sim.calls == [{"sipacc": "123456_101", "telnr": telnr}]


async def test_click_to_call_refusals(env: Env, client: VoipcenterClient) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_click_to_call("104", "+32 9 234 56 78")  # nothing registered
    assert err.value.reason is ErrorReason.CALL_FAILED
    with pytest.raises(InvalidRequest) as err:
        await client.async_click_to_call("999", "+32 9 234 56 78")
    assert err.value.reason is ErrorReason.UNKNOWN_EXTENSION
    with pytest.raises(InvalidRequest) as err:
        await client.async_click_to_call("101", "0900 12 345")  # premium, refused locally
    assert err.value.reason is ErrorReason.PREMIUM_NUMBER
    assert env.sim.calls == []


async def test_websocket_key(env: Env, client: VoipcenterClient) -> None:
    key = await client.async_websocket_key(env.sim.ws_username)
    assert key == WebsocketKey(env.sim.ws_username, env.sim.wskey)
    assert env.sim.wskey not in repr(key)
    with pytest.raises(InvalidRequest):
        await client.async_websocket_key("nobody")


# --- quota and bad answers ----------------------------------------------------------------


async def test_error_13_is_quota(env: Env, client: VoipcenterClient) -> None:
    for _ in range(env.sim.rate_limit):
        await client.async_indicators()
    with pytest.raises(QuotaExceeded) as err:
        await client.async_indicators()
    assert err.value.retry_after == 60
    assert env.sim.quota.violations == 1
    env.assert_clean(err.value)
    env.sim.quota.reset()
    env.sim.fault = Fault.QUOTA
    with pytest.raises(QuotaExceeded):
        await client.async_indicators()


async def test_rate_limit_is_kept_for_the_budget(env: Env) -> None:
    assert env.client().request_quota == VoipcenterClient.quota
    assert env.client(rate_limit=10).request_quota.limit == 10


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.HTTP_500, ProviderUnavailable),
        (Fault.HTML, InvalidResponse),
        (Fault.TRUNCATED, InvalidResponse),
    ],
)
async def test_bad_answers(
    env: Env, client: VoipcenterClient, fault: Fault, error: type[ProviderError]
) -> None:
    env.sim.fault = fault
    with pytest.raises(error) as err:
        await client.async_sip_accounts()
    env.assert_clean(err.value)


async def test_xml_when_json_was_asked(env: Env, client: VoipcenterClient) -> None:
    env.sim.force_xml = True
    with pytest.raises(InvalidResponse) as err:
        await client.async_indicators()
    env.assert_clean(err.value)


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        ("1", ProviderUnavailable, ErrorReason.UNAVAILABLE),
        ("2", InvalidRequest, ErrorReason.INVALID_REQUEST),
        ("10", InvalidRequest, ErrorReason.INVALID_REQUEST),
        ("12", InvalidRequest, ErrorReason.INVALID_REQUEST),
        ("13", QuotaExceeded, ErrorReason.QUOTA),
        ("14", AuthError, ErrorReason.AUTH),
        ("15", AuthError, ErrorReason.AUTH),
        ("16", AuthError, ErrorReason.AUTH),
        ("17", InvalidRequest, ErrorReason.INVALID_REQUEST),
        ("20", InvalidRequest, ErrorReason.CALL_FAILED),
        ("21", InvalidRequest, ErrorReason.CALL_FAILED),
        ("25", AuthError, ErrorReason.AUTH),
        ("99", InvalidRequest, ErrorReason.REFUSED),
    ],
)
def test_error_codes(code: str, error: type[ProviderError], reason: ErrorReason) -> None:
    secret = "s3cr3t-k3y-that-must-not-leak-0123456789"
    for body in (
        {"head": {"status": "0", "error_number": code, "error_message": f"bad {secret}"}},
        {"head": {"status": "1"}, "body": {"error_number": int(code), "error_message": "x"}},
        {"error_number": code},
    ):
        with pytest.raises(error) as err:
            raise_for_error(body, [secret])
        assert err.value.reason is reason
        assert secret not in str(err.value)
        assert all(secret not in value for value in err.value.details.values())


def test_answer_shapes() -> None:
    # get.php's bare object, and the head/body wrapping tolerated on get.php too.
    assert parse_indicators({"fi_12": "Dag", "ind_13": "Nacht"}) == {"12": "Dag", "13": "Nacht"}
    assert parse_indicators({"head": {"status": "1"}, "body": {"fi_12": "Dag"}}) == {"12": "Dag"}
    assert parse_indicators([]) == {}
    assert parse_numbers({"id_540": "3250123456", "id_541": {"nummer": "3292345678"}}) == {
        "540": "3250123456",
        "541": "3292345678",
    }
    assert parse_id_map([{"id": "7", "logname": "x"}, "junk"]) == {"7": {"id": "7", "logname": "x"}}
    assert parse_indicator("12", {"actief": "1"}) is True
    assert parse_indicator("12", {"id_12": {"naam": "Dag", "actief": 0}}) is False
    with pytest.raises(InvalidResponse):
        parse_indicator("12", {"naam": "Dag"})
    assert parse_did_details("540", {"nummer": "3250123456", "route": "r140"}) == (
        "3250123456",
        "140",
    )
    assert parse_did_details("540", {"r": "=141"}) == ("", "141")
    assert {r.name for r in parse_routes({"id_1": {"naam": "Receptie"}, "id_2": "Nacht"}).values()}
    accounts = parse_sip_accounts({"id_1": {"voornaam": "Jan", "naam": "Peeters"}, "id_2": "Bar"})
    assert accounts["1"].name == "Jan Peeters"
    assert accounts["2"].name == "Bar"
    assert parse_wskey({"username": "ws1", "wskey": "abc"}) == WebsocketKey("ws1", "abc")
    parse_action({"head": {"status": "1"}, "body": {"status": "1"}}, call=True)
    with pytest.raises(InvalidRequest) as err:
        parse_action({"head": {"status": "1"}, "body": {"status": "0"}}, call=True)
    assert err.value.reason is ErrorReason.CALL_FAILED
    # The provider's odd content type and PHP's escaped slashes.
    text = '{"id_1":"Agent\\/Receptie"}'
    answer = check_answer(HttpResponse(200, text, {"Content-Type": "text/json charset=utf-8"}))
    assert parse_routes(answer)["1"].name == "Agent/Receptie"
    with pytest.raises(InvalidResponse):
        check_answer(HttpResponse(200, "<?xml version='1.0'?><response/>"))


def test_registration_status() -> None:
    idle, offline = ExtensionStatus.IDLE, ExtensionStatus.OFFLINE
    assert registration_status({"userAgent": "Vendor/Type/Version", "SIPping": 25}) is idle
    assert registration_status({"userAgent": "Vendor/Type/Version"}) is idle
    assert registration_status({"userAgent": "Vendor/Type/Version", "SIPping": ""}) is idle
    assert registration_status({"userAgent": "", "SIPping": 25}) is offline
    assert registration_status({"userAgent": " ", "SIPping": "25"}) is offline
    assert registration_status({"userAgent": "X", "SIPping": "0"}) is offline
    assert registration_status({"userAgent": "X", "SIPping": -1}) is offline
    assert registration_status({"userAgent": "X", "SIPping": "UNREACHABLE"}) is offline
    assert registration_status({}) is offline
    state = parse_sip_details("1", {"userAgent": "snom", "SIPping": 12})
    assert (state.status, state.user_agent) == (idle, "snom")


def test_parse_notify_examples() -> None:
    fields = parse_notify(
        {
            "callid": "abc.123",
            "caller": "3250123456",
            "callee": "092345678",
            "status": "ringing",
            "direction": "IN",
            "sipacc": "123456_101",
            "extra": {"queue": "Sales"},
        }
    )
    assert fields is not None
    assert fields["call_id"] == "abc.123"
    assert fields["direction"] == "inbound"
    assert fields["sipacc"] == "123456_101"
    assert fields["extra.queue"] == "Sales"
    nested = parse_notify('{"data": {"from": "1", "to": "2", "state": "answered"}}')
    assert nested is not None
    assert (nested["caller"], nested["callee"], nested["status"]) == ("1", "2", "answered")
    assert parse_notify("just text") == {"value": "just text"}
    assert parse_notify(None) is None
    assert parse_notify({}) is None
    assert notify_payload(["x", {"a": 1}]) == {"a": 1}


# --- Socket.IO ----------------------------------------------------------------------------


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def test_events_and_reconnect(env: Env, client: VoipcenterClient, real_clock: None) -> None:
    key = await client.async_websocket_key(env.sim.ws_username)
    received: list[dict[str, Any]] = []

    async def on_notify(payload: dict[str, Any]) -> None:
        received.append(payload)

    events = VoipcenterEvents(
        env.origin, key, on_notify, transports=["websocket"], reconnect_delay=0.1
    )
    events.start()
    try:
        await _until(lambda: env.sim.registrations == 1)
        assert len(env.sim.sockets) == 1
        payload = {"callid": "1", "caller": "3250123456", "callee": "101", "status": "ringing"}
        assert await env.sim.emit_notify(payload) == 1
        await _until(lambda: len(received) == 1)
        assert received == [payload]
        assert parse_notify(received[0]) is not None

        await env.sim.drop_sockets()
        await _until(lambda: env.sim.registrations == 2)
        assert events.connections == 2
        await env.sim.emit_notify({"callid": "2", "status": "hangup"})
        await _until(lambda: len(received) == 2)
        assert received[1]["callid"] == "2"
    finally:
        await events.stop()
    assert not events.connected
    assert env.sim.refused_registrations == 0


async def test_events_with_a_wrong_key_receive_nothing(env: Env, real_clock: None) -> None:
    received: list[dict[str, Any]] = []
    events = VoipcenterEvents(
        env.origin,
        WebsocketKey(env.sim.ws_username, "wrong"),
        received.append,
        transports=["websocket"],
    )
    events.start()
    try:
        await _until(lambda: env.sim.refused_registrations == 1)
        assert await env.sim.emit_notify({"callid": "1"}) == 0
    finally:
        await events.stop()
    assert received == []


async def test_events_retry_an_unreachable_server(socket_enabled: None, real_clock: None) -> None:
    events = VoipcenterEvents(
        "http://127.0.0.1:9", WebsocketKey("u", "k"), print, reconnect_delay=0.05
    )
    events.start()
    await asyncio.sleep(0.3)  # a few refused connects, each followed by a longer pause
    await events.stop()
    assert events.connections == 0


def test_events_refuse_plain_http_off_loopback() -> None:
    key = WebsocketKey("u", "k")
    with pytest.raises(InvalidRequest) as err:
        VoipcenterEvents("http://ws1.voipcenter.be:4123", key, print)
    assert err.value.reason is ErrorReason.INVALID_URL
    VoipcenterEvents("https://ws1.voipcenter.be:4123", key, print)
    VoipcenterEvents("http://127.0.0.1:8123", key, print)


# --- property tests -----------------------------------------------------------------------

KEYS = st.one_of(
    st.sampled_from(
        [
            "head",
            "body",
            "status",
            "error_number",
            "error_message",
            "actief",
            "userAgent",
            "SIPping",
            "SIPusername",
            "logname",
            "naam",
            "voornaam",
            "nummer",
            "route",
            "r",
            "username",
            "wskey",
            "id",
            "caller",
            "direction",
        ]
    ),
    st.from_regex(r"(id|fi|x)_[0-9]{1,4}", fullmatch=True),
    st.text(max_size=10),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["0", "1", "11", "13", "14", "2", "r140", "-1", " ", "UNREACHABLE"]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=25,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=8)
ANSWERS = st.one_of(
    JSON.map(json.dumps),
    st.text(max_size=200),
    st.sampled_from(["<html><body>Error</body></html>", '{"id_1": "x"', "<?xml?><a>{</a>"]),
)


def _typed_only(parse: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Call a parser: it may only fail with the client's typed errors."""
    with suppress(ProviderError):
        parse(*args, **kwargs)


@PROPERTY
@given(JSON)
def test_property_list_parsers(value: Any) -> None:
    for parse in (parse_id_map, parse_sip_accounts, parse_numbers, parse_indicators, parse_routes):
        _typed_only(parse, value)


@PROPERTY
@given(JSON)
def test_property_detail_parsers(value: Any) -> None:
    _typed_only(parse_sip_details, "101", value)
    _typed_only(parse_did_details, "540", value)
    _typed_only(parse_indicator, "12", value)
    _typed_only(parse_wskey, value)


@PROPERTY
@given(OBJECTS)
def test_property_registration(value: dict[str, Any]) -> None:
    assert registration_status(value) in (ExtensionStatus.IDLE, ExtensionStatus.OFFLINE)


@PROPERTY
@given(JSON, st.booleans())
def test_property_envelope(value: Any, call: bool) -> None:
    _typed_only(raise_for_error, value, ["secret-key"])
    _typed_only(parse_action, value, call=call)
    found = error_code(value)
    assert found is None or isinstance(found[0], int)


@PROPERTY
@given(ANSWERS, st.sampled_from([200, 200, 302, 401, 404, 429]))
def test_property_answers(text: str, status: int) -> None:
    _typed_only(check_answer, HttpResponse(status, text, {}))


@PROPERTY
@given(st.one_of(JSON, JSON.map(json.dumps), st.binary(max_size=50)))
def test_property_notify_never_raises(value: Any) -> None:
    fields = parse_notify(value)
    assert fields is None or all(
        isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
    )
