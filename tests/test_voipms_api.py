"""The HA-free VoIP.ms client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.hosted_pbx.api.errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
    PermissionDenied,
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
from custom_components.hosted_pbx.api.voipms import (
    CALLBACK_TZ,
    SMS_MAX_PARTS,
    SMS_PART_BYTES,
    InboundSms,
    VoipmsClient,
    check_response,
    check_route,
    did_digits,
    graphemes,
    parse_answer,
    parse_balance,
    parse_calls_today,
    parse_dids,
    parse_forwardings,
    parse_mailboxes,
    parse_received_sms,
    parse_registration,
    parse_sms_callback,
    parse_sub_accounts,
    raise_for_status,
    sms_callback_url,
    split_sms,
)
from simulator.common import Fault, SimulatorServer
from simulator.voipms import API_PATH, VoipmsSimulator

PROPERTY = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
EASTERN = CALLBACK_TZ

type MakeSim = Callable[..., Any]


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def servers(socket_enabled: None) -> AsyncIterator[list[SimulatorServer]]:
    started: list[SimulatorServer] = []
    yield started
    for server in started:
        await server.stop()


@pytest.fixture
def make_sim(servers: list[SimulatorServer]) -> MakeSim:
    """Start a simulator; ``rate_limit`` is high unless a test is about the limit."""

    async def make(**options: Any) -> VoipmsSimulator:
        sim = VoipmsSimulator(**{"rate_limit": 1000, **options})
        server = SimulatorServer(sim.app, API_PATH)
        sim.url = await server.start()
        servers.append(server)
        return sim

    return make


@pytest.fixture
async def sim(make_sim: MakeSim) -> VoipmsSimulator:
    result: VoipmsSimulator = await make_sim()
    return result


def make_client(
    session: aiohttp.ClientSession, sim: VoipmsSimulator, **options: Any
) -> VoipmsClient:
    return VoipmsClient(
        session,
        username=sim.username,
        api_password=sim.api_password,
        base_url=sim.url,
        **options,
    )


@pytest.fixture
def client(session: aiohttp.ClientSession, sim: VoipmsSimulator) -> VoipmsClient:
    return make_client(session, sim)


def clean(err: BaseException, sim: VoipmsSimulator) -> None:
    """Neither the API password nor the URL is in the error or its cause."""
    texts = [str(err), repr(err), str(err.__cause__ or ""), repr(err.__cause__ or "")]
    texts += [str(getattr(err, "details", ""))]
    for text in texts:
        assert sim.api_password not in text
        assert "api_password" not in text
        assert sim.url not in text


async def loaded(client: VoipmsClient) -> AccountData:
    return (await client.async_load_structure(AccountData())).data


# --- reads --------------------------------------------------------------------------------


async def test_load_structure(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    load = await client.async_load_structure(AccountData())
    data = load.data
    assert sim.methods == ["getSubAccounts", "getDIDsInfo", "getForwardings", "getVoicemails"]
    assert {read.name for read in load.covered} == {"accounts", "dids", "forwardings", "voicemails"}
    assert len(data.extensions) == 20
    assert set(data.extensions) == set(sim.sub_accounts)
    first = next(iter(sim.sub_accounts.values()))
    assert data.extensions[first.account].name == first.description
    assert set(data.numbers) == set(sim.dids)
    for did, number in data.numbers.items():
        assert number.route == sim.dids[did].routing
        assert number.sms_enabled == (sim.dids[did].sms["sms_enabled"] == "1")
    assert {"fwd:1026", "fwd:1027", "vm:101", "vm:102", f"account:{first.account}"} <= set(
        data.routes
    )
    assert data.routes["fwd:1026"].name == "Mobile"
    switches = {s.number: s for s in data.switches.values()}
    assert set(switches) == set(sim.dids)
    assert all(s.kind is SwitchKind.CALL_FORWARDING and not s.is_on for s in switches.values())
    assert {m: (b.new, b.urgent) for m, b in data.mailboxes.items()} == {
        "101": (0, 0),
        "102": (0, 0),
    }
    # Neither SIP passwords nor voicemail PINs are kept.
    text = repr(data)
    assert all(sub.password not in text for sub in sim.sub_accounts.values())
    assert "4321" not in text
    assert client.account_id == sim.username.casefold()


async def test_plan_and_every_read(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    data = await loaded(client)
    plan = client.plan_reads(data)
    registrations = [read for read in plan if read.name == "registration"]
    assert len(registrations) == 20
    assert all(read.extension_id == read.target for read in registrations)
    assert {read.freshness for read in registrations} == {Freshness.FREQUENT}
    slow = {read.name for read in plan if read.freshness is Freshness.SLOW}
    assert slow == {"balance", "cdr", "received_sms"}  # texts: the fallback without a URL
    sim.add_voicemail("102", urgent=True)
    sim.methods.clear()
    for read in plan:
        data = await client.async_read(read, data)
    assert len(sim.methods) == sum(read.cost for read in plan)
    for account, sub in sim.sub_accounts.items():
        state = data.extension_states[account]
        assert state.status is (ExtensionStatus.IDLE if sub.registered else ExtensionStatus.OFFLINE)
        if sub.registered:
            assert state.server == sub.server
        assert sub.register_ip not in repr(state)
        assert "208.100" not in repr(state)
    assert data.balance is not None
    assert data.balance.amount == sim.balance
    assert data.balance.currency == "CAD"
    today = sim._today_calls()
    assert data.balance.calls_today == len(today)
    inbound = [cdr for cdr in today if cdr.description == "Inbound DID"]
    answered = sum(cdr.disposition == "ANSWERED" for cdr in inbound)
    assert data.calls_today == (len(inbound) - answered, answered)
    assert data.mailboxes["102"].new == 1
    assert data.mailboxes["102"].urgent == 1


async def test_registration_changes(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    account = next(iter(sim.sub_accounts))
    sim.set_registered(account, True)
    assert (await client.async_registration(account)).status is ExtensionStatus.IDLE
    sim.set_registered(account, False)
    state = await client.async_registration(account)
    assert state.status is ExtensionStatus.OFFLINE
    assert state.server is None
    before = {a: s.registered for a, s in sim.sub_accounts.items()}
    for _ in range(10):
        sim.tick()
    assert before != {a: s.registered for a, s in sim.sub_accounts.items()}


async def test_unknown_sub_account_refused(client: VoipmsClient) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_registration("100001_nobody")
    assert err.value.reason is ErrorReason.UNKNOWN_EXTENSION
    assert err.value.details["extension"] == "100001_nobody"


async def test_balance_drops_after_calls(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    before = await client.async_balance()
    sim.add_call(seconds=125)  # three started minutes
    after = await client.async_balance()
    assert after.amount == before.amount - Decimal("0.0300")
    assert after.calls_today == (before.calls_today or 0) + 1
    assert after.spent_today == (before.spent_today or 0) + Decimal("0.0300")


async def test_currency_configured_and_timezone_offset(
    session: aiohttp.ClientSession, sim: VoipmsSimulator
) -> None:
    client = make_client(session, sim, currency="usd", timezone=-5)
    assert (await client.async_balance()).currency == "USD"
    assert await client.async_calls_today(list(sim.dids)) is not None
    with pytest.raises(InvalidRequest):
        make_client(session, sim, timezone="Mars/Olympus")
    with pytest.raises(InvalidRequest):
        make_client(session, sim, timezone=40)


async def test_calls_today_counts_inbound_only(
    client: VoipmsClient, make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    sim: VoipmsSimulator = await make_sim()
    sim.cdrs.clear()
    did = next(iter(sim.dids))
    sim.add_call(did=did, answered=True)
    sim.add_call(did=did, answered=False)
    sim.add_call(did=did, answered=False)
    sim.add_call(did=did, inbound=False)
    sim.add_call(did=did, when=datetime.now(UTC) - timedelta(days=2))  # not today
    client = make_client(session, sim)
    assert await client.async_calls_today(list(sim.dids)) == (2, 1)


async def test_empty_results_are_not_errors(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    sim: VoipmsSimulator = await make_sim(sub_accounts=0, dids=0, forwardings=0, mailboxes=0)
    sim.cdrs.clear()
    client = make_client(session, sim)
    data = await loaded(client)
    assert data.extensions == {}
    assert data.numbers == {}
    assert data.routes == {}
    assert data.mailboxes == {}
    assert data.switches == {}
    assert await client.async_calls_today([]) == (0, 0)
    assert await client.async_received_sms(datetime.now(UTC) - timedelta(days=1)) == []
    assert sim.methods[-2:] == ["getCDR", "getSMS"]


async def test_validate_and_bad_credentials(
    client: VoipmsClient, sim: VoipmsSimulator, session: aiohttp.ClientSession
) -> None:
    await client.async_validate()
    wrong = VoipmsClient(session, username=sim.username, api_password="nope", base_url=sim.url)
    with pytest.raises(AuthError) as err:
        await wrong.async_validate()
    assert err.value.details["status"] == "invalid_credentials"
    assert "nope" not in str(err.value)
    clean(err.value, sim)
    sim.api_enabled = False
    with pytest.raises(AuthError) as err:
        await client.async_validate()
    assert err.value.details["status"] == "api_not_enabled"
    clean(err.value, sim)


async def test_ip_not_enabled(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    sim: VoipmsSimulator = await make_sim(allowed_ips={"203.0.113.7"})
    client = make_client(session, sim)
    with pytest.raises(PermissionDenied) as err:
        await client.async_validate()
    assert err.value.reason is ErrorReason.IP_NOT_ALLOWED
    clean(err.value, sim)
    assert await client.async_public_ip() == "127.0.0.1"
    sim.allowed_ips = {"127.0.0.1"}
    await client.async_validate()


async def test_quota(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    sim: VoipmsSimulator = await make_sim(rate_limit=3)
    client = make_client(session, sim)
    for _ in range(3):
        await client.async_validate()
    with pytest.raises(QuotaExceeded) as err:
        await client.async_validate()
    assert err.value.retry_after == 60
    assert sim.quota.violations == 1
    clean(err.value, sim)


async def test_quota_fault_and_gate(
    client: VoipmsClient, sim: VoipmsSimulator, session: aiohttp.ClientSession
) -> None:
    sim.fault = Fault.QUOTA
    with pytest.raises(QuotaExceeded):
        await client.async_mailboxes()

    def gate() -> None:
        raise QuotaExceeded("our own budget", 12)

    gated = VoipmsClient(
        session, username=sim.username, api_password=sim.api_password, base_url=sim.url, gate=gate
    )
    sim.methods.clear()
    with pytest.raises(QuotaExceeded) as err:
        await gated.async_mailboxes()
    assert err.value.retry_after == 12
    assert sim.methods == []


async def test_maintenance_is_unavailable(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    sim.maintenance = {"getVoicemails"}
    with pytest.raises(ProviderUnavailable) as err:
        await client.async_mailboxes()
    assert err.value.details["status"] == "method_maintenance"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.HTTP_500, ProviderUnavailable),
        (Fault.HTML, InvalidResponse),
        (Fault.TRUNCATED, InvalidResponse),
    ],
)
async def test_bad_answers(
    client: VoipmsClient, sim: VoipmsSimulator, fault: Fault, error: type[ProviderError]
) -> None:
    sim.fault = fault
    with pytest.raises(error) as err:
        await client.async_sub_accounts()
    clean(err.value, sim)
    with pytest.raises(error) as err:
        await client.async_set_route(next(iter(sim.dids)), "fwd:1026")
    clean(err.value, sim)


async def test_transport_error_does_not_leak_the_url(
    client: VoipmsClient, sim: VoipmsSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing(*args: Any, **kwargs: Any) -> HttpResponse:
        # An aiohttp error may quote the request URL, which for a GET has the password.
        url = f"{sim.url}?api_password={sim.api_password}"
        try:
            raise aiohttp.InvalidURL(url)
        except aiohttp.ClientError as err:
            raise ProviderUnavailable("Cannot reach the provider") from err

    monkeypatch.setattr(client._http, "request", failing)
    with pytest.raises(ProviderUnavailable) as err:
        await client.async_sub_accounts()
    clean(err.value, sim)
    assert err.value.__cause__ is None


async def test_transport_error_keeps_a_harmless_cause(session: aiohttp.ClientSession) -> None:
    client = VoipmsClient(
        session, username="u", api_password="p4ss", base_url="ftp://127.0.0.1/rest.php"
    )
    with pytest.raises(ProviderUnavailable) as err:
        await client.async_sub_accounts()
    assert isinstance(err.value.__cause__, aiohttp.ClientError)


async def test_unknown_read(client: VoipmsClient) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_read(Read("nothing", "x", Freshness.SLOW), AccountData())
    assert err.value.reason is ErrorReason.UNKNOWN_READ


async def test_structure_reads_drop_removed_sub_accounts(
    client: VoipmsClient, sim: VoipmsSimulator
) -> None:
    data = await loaded(client)
    account = next(iter(sim.sub_accounts))
    data = await client.async_read(Read("registration", account, Freshness.FREQUENT), data)
    assert account in data.extension_states
    del sim.sub_accounts[account]
    data = await client.async_read(Read("accounts", "accounts", Freshness.STRUCTURE), data)
    assert account not in data.extensions
    assert account not in data.extension_states
    assert f"account:{account}" not in data.routes
    assert "fwd:1026" in data.routes
    del sim.forwardings["1026"]
    data = await client.async_read(Read("forwardings", "forwardings", Freshness.STRUCTURE), data)
    assert "fwd:1026" not in data.routes
    assert "vm:101" in data.routes


# --- multipart writes, routing and the forwarding switch ----------------------------------


async def test_writes_must_be_multipart(
    client: VoipmsClient, sim: VoipmsSimulator, session: aiohttp.ClientSession
) -> None:
    did = next(iter(sim.dids))
    fields = {
        "api_username": sim.username,
        "api_password": sim.api_password,
        "method": "setDIDRouting",
        "did": did,
        "routing": "fwd:1026",
    }
    async with session.post(sim.url, data=fields) as response:  # urlencoded
        assert "SOAP-ENV:Fault" in await response.text()
    async with session.get(sim.url, params=fields) as response:
        assert "SOAP-ENV:Fault" in await response.text()
    assert sim.dids[did].routing.startswith("account:")
    # The client's own writes are multipart POSTs, and they work; its reads are GETs.
    assert await client.async_set_route(did, "fwd:1026") == "fwd:1026"
    assert sim.requests[-2] == {
        "method": "setDIDRouting",
        "verb": "POST",
        "content_type": "multipart/form-data",
    }
    assert sim.requests[-1]["verb"] == "GET"
    # A refused urlencoded body (a SOAP fault) is an invalid answer, not a success.
    with pytest.raises(InvalidResponse):
        check_response(HttpResponse(200, "<SOAP-ENV:Envelope/>"))


async def test_set_route(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    did = next(iter(sim.dids))
    assert await client.async_set_route("+1 " + did, "vm:101") == "vm:101"
    assert sim.dids[did].routing == "vm:101"
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_route(did, "fwd:9999")
    assert err.value.details["status"] == "invalid_routing"
    sim.methods.clear()
    for bad in ("nonsense", "evil:1", "fwd:1; drop"):
        with pytest.raises(InvalidRequest):
            await client.async_set_route(did, bad)
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_route("not a number", "vm:101")
    assert err.value.reason is ErrorReason.INVALID_NUMBER
    assert sim.methods == []


async def test_empty_write_answers(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    sim: VoipmsSimulator = await make_sim(empty_write_answers=True)
    client = make_client(session, sim)
    did = next(iter(sim.dids))
    assert await client.async_set_route(did, "fwd:1027") == "fwd:1027"


async def test_forwarding_switch_restores_the_route(
    client: VoipmsClient, sim: VoipmsSimulator
) -> None:
    data = await loaded(client)
    did = next(iter(sim.dids))
    original = sim.dids[did].routing
    switch = await client.async_set_switch(f"fwd_{did}", True)
    assert switch.is_on
    assert switch.kind is SwitchKind.CALL_FORWARDING
    assert switch.number == did
    assert sim.dids[did].routing == "fwd:1026"  # the first forwarding
    sim.methods.clear()
    assert (await client.async_set_switch(f"fwd_{did}", True)).is_on
    assert sim.methods == ["getDIDsInfo"]  # already on: nothing written
    switch = await client.async_set_switch(f"fwd_{did}", False)
    assert not switch.is_on
    assert sim.dids[did].routing == original
    # The forwarding last used is remembered, and so is a route set in between.
    await client.async_set_route(did, "fwd:1027")
    await client.async_set_route(did, "vm:102")
    assert (await client.async_set_switch(f"fwd_{did}", True)).is_on
    assert sim.dids[did].routing == "fwd:1027"
    await client.async_set_switch(f"fwd_{did}", False)
    assert sim.dids[did].routing == "vm:102"
    # A route changed in the portal is noticed by polling and restored to later.
    sim.dids[did].routing = "vm:101"
    data = await client.async_read(Read("dids", "dids", Freshness.FREQUENT), data)
    assert not data.switches[f"fwd_{did}"].is_on
    await client.async_set_switch(f"fwd_{did}", True)
    data = await client.async_read(Read("dids", "dids", Freshness.FREQUENT), data)
    assert data.switches[f"fwd_{did}"].is_on
    await client.async_set_switch(f"fwd_{did}", False)
    assert sim.dids[did].routing == "vm:101"


async def test_remembered_routes_survive_a_restart(
    client: VoipmsClient, sim: VoipmsSimulator, session: aiohttp.ClientSession
) -> None:
    dids = list(sim.dids)
    original = sim.dids[dids[0]].routing
    await loaded(client)
    await client.async_set_switch(f"fwd_{dids[0]}", True)
    remembered = client.remembered_routes
    assert remembered[dids[0]] == {"on": "fwd:1026", "off": original}
    stored = json.loads(json.dumps(remembered))  # as the HA layer would persist it
    stored["garbage"] = "not a mapping"
    stored[dids[1]] = {"on": "vm:101", "off": "fwd:1027"}  # swapped: both ignored
    restarted = make_client(session, sim)
    restarted.restore_remembered_routes(stored)
    assert restarted.remembered_routes == {k: v for k, v in remembered.items() if k != dids[1]}
    await restarted.async_set_switch(f"fwd_{dids[0]}", False)
    assert sim.dids[dids[0]].routing == original
    # Without a memory, switching off a forwarded number is refused, not guessed.
    sim.dids[dids[1]].routing = "fwd:1027"
    fresh = make_client(session, sim)
    with pytest.raises(InvalidRequest) as err:
        await fresh.async_set_switch(f"fwd_{dids[1]}", False)
    assert err.value.reason is ErrorReason.NOT_SUPPORTED


async def test_switch_errors(make_sim: MakeSim, session: aiohttp.ClientSession) -> None:
    sim: VoipmsSimulator = await make_sim(forwardings=0)
    client = make_client(session, sim)
    data = await loaded(client)
    assert data.switches == {}  # nothing to forward to
    did = next(iter(sim.dids))
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_switch(f"fwd_{did}", True)
    assert err.value.reason is ErrorReason.NOT_SUPPORTED
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_switch("dnd_100001_ext101", True)
    assert err.value.reason is ErrorReason.UNKNOWN_SWITCH
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_switch("fwd_9999999999", True)
    assert err.value.reason is ErrorReason.REFUSED  # invalid_did


# --- sending texts ------------------------------------------------------------------------


async def test_send_sms(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    did = next(iter(sim.dids))
    result = await client.async_send_sms("+1 " + did, "(416) 555-0142", "Hello there", "ignored")
    assert sim.sms_sent == [
        {"id": sim.sms_sent[0]["id"], "did": did, "dst": "4165550142", "message": "Hello there"}
    ]
    assert result.details["parts"] == "1"
    assert result.details["ids"] == sim.sms_sent[0]["id"]
    assert result.details["to"] == "4165550142"
    assert result.as_dict()["status"] == "success"


async def test_long_sms_split_in_order(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    did = next(iter(sim.dids))
    message = " ".join(f"word{i} 👍🏽 café" for i in range(40))
    result = await client.async_send_sms(did, "+1 416 555 0142", message, None)
    parts = [sent["message"] for sent in sim.sms_sent]
    assert len(parts) > 1
    assert "".join(parts) == message
    assert all(len(part.encode()) <= SMS_PART_BYTES for part in parts)
    assert all(not part.startswith(("\U0001f3fd", "\u0301")) for part in parts)
    assert result.details["parts"] == str(len(parts))
    assert result.details["ids"].split(",") == [sent["id"] for sent in sim.sms_sent]


async def test_sms_failing_midway_says_what_was_sent(
    make_sim: MakeSim, session: aiohttp.ClientSession
) -> None:
    sim: VoipmsSimulator = await make_sim(sms_daily_limit=2)
    client = make_client(session, sim)
    with pytest.raises(InvalidRequest) as err:
        await client.async_send_sms(next(iter(sim.dids)), "4165550142", "x" * 400, None)
    assert err.value.details["status"] == "limit_reached"
    assert err.value.details["parts_sent"] == "2"
    assert len(sim.sms_sent) == 2


@pytest.mark.parametrize(
    ("to", "message", "reason"),
    [
        ("4165550142", "", ErrorReason.SMS_LENGTH),
        ("4165550142", "  \n ", ErrorReason.SMS_LENGTH),
        ("4165550142", "x" * (SMS_PART_BYTES * SMS_MAX_PARTS + 1), ErrorReason.SMS_LENGTH),
        ("4165550142", "😀" * 401, ErrorReason.SMS_LENGTH),
        ("4165550142", "bad \ud800 surrogate", ErrorReason.SMS_INVALID_CHARACTERS),
        ("not a number", "hi", ErrorReason.INVALID_NUMBER),
        ("+31 6 12345678", "hi", ErrorReason.INVALID_NUMBER),  # VoIP.ms texts NANP only
        ("1-900-555-0199", "hi", ErrorReason.PREMIUM_NUMBER),
        ("123", "hi", ErrorReason.INVALID_NUMBER),
    ],
)
async def test_sms_refused_before_any_request(
    client: VoipmsClient, sim: VoipmsSimulator, to: str, message: str, reason: ErrorReason
) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_send_sms(next(iter(sim.dids)), to, message, None)
    assert err.value.reason is reason
    if reason is ErrorReason.SMS_LENGTH and message.strip():
        assert err.value.details["maximum"] == str(SMS_PART_BYTES * SMS_MAX_PARTS)
        assert int(err.value.details["parts"]) > SMS_MAX_PARTS
    assert sim.methods == []


async def test_sms_from_a_bad_did_refused(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_send_sms("abc", "4165550142", "hi", None)
    assert err.value.reason is ErrorReason.INVALID_NUMBER
    disabled = list(sim.dids)[3]  # SMS not enabled on it
    with pytest.raises(InvalidRequest) as err:
        await client.async_send_sms(disabled, "4165550142", "hi", None)
    assert err.value.details["status"] == "invalid_did"


# --- receiving texts ----------------------------------------------------------------------


@pytest.fixture
async def receiver(servers: list[SimulatorServer]) -> dict[str, Any]:
    """An HTTP endpoint standing in for Home Assistant's webhook."""
    state: dict[str, Any] = {"answers": [], "received": [], "queries": [], "url": ""}

    async def handle(request: web.Request) -> web.Response:
        state["queries"].append(dict(request.query))
        sms = parse_sms_callback(request.query)
        state["received"].append(sms)
        answer = state["answers"].pop(0) if state["answers"] else "ok"
        return web.Response(text=answer)

    app = web.Application()
    app.router.add_get("/api/webhook/voipms", handle)
    server = SimulatorServer(app, "/api/webhook/voipms")
    state["url"] = await server.start()
    servers.append(server)
    return state


async def test_set_sms_callback_keeps_other_settings(
    client: VoipmsClient, sim: VoipmsSimulator
) -> None:
    did = next(iter(sim.dids))
    before = dict(sim.dids[did].sms)
    assert before["sms_email"] == "owner@example.ca"
    url = "https://hass.example/api/webhook/abc?x=1"
    template = await client.async_set_sms_callback(did, url)
    assert template == sms_callback_url(url)
    assert template.startswith(url + "&from={FROM}")
    after = sim.dids[did].sms
    assert after["sms_url_callback"] == template
    assert after["sms_url_callback_enabled"] == "1"
    assert after["sms_url_callback_retry"] == "1"
    changed = {"sms_url_callback", "sms_url_callback_enabled", "sms_url_callback_retry"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    assert sim.requests[-1]["content_type"] == "multipart/form-data"
    assert await client.async_set_sms_callback(did, "") == ""
    assert sim.dids[did].sms["sms_url_callback_enabled"] == "0"
    assert sim.dids[did].sms["sms_email"] == "owner@example.ca"


async def test_set_sms_callback_refusals(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_sms_callback(next(iter(sim.dids)), "javascript:alert(1)")
    assert err.value.reason is ErrorReason.INVALID_URL
    assert sim.methods == []
    unavailable = list(sim.dids)[4]
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_sms_callback(unavailable, "https://hass.example/hook")
    assert err.value.reason is ErrorReason.NOT_SUPPORTED
    with pytest.raises(InvalidRequest) as err:
        await client.async_set_sms_callback("5145559999", "https://hass.example/hook")
    assert err.value.details["status"] == "invalid_did"


async def test_callback_delivery_retried_until_ok(
    client: VoipmsClient, sim: VoipmsSimulator, receiver: dict[str, Any]
) -> None:
    did = next(iter(sim.dids))
    await client.async_set_sms_callback(did, receiver["url"])
    receiver["answers"] = ["error", "not yet"]
    text = "Hi & welcome 'home' 👋🏽 — 100% sure?"
    record = await sim.deliver_sms("4165550142", did, text)
    assert len(sim.undelivered) == 1
    assert await sim.retry_undelivered() == 0  # "not yet"
    assert await sim.retry_undelivered() == 1  # "ok"
    assert sim.undelivered == []
    assert await sim.retry_undelivered() == 0
    assert [d["attempt"] for d in sim.deliveries] == ["1", "2", "3"]
    received: list[InboundSms] = receiver["received"]
    assert len(received) == 3
    assert len({sms.id for sms in received}) == 1  # a re-send keeps its id
    sms = received[0]
    assert sms == InboundSms(
        id=record.id,
        from_number="4165550142",
        to_did=did,
        message=text,
        timestamp=datetime.now(UTC).astimezone(EASTERN),
    )
    assert sms.as_dict()["from"] == "4165550142"
    assert parse_sms_callback(receiver["queries"][0], dids=sim.dids) == sms
    assert parse_sms_callback(receiver["queries"][0], dids=["5145550199"]) is None


async def test_no_retry_without_retry_flag(
    client: VoipmsClient, sim: VoipmsSimulator, receiver: dict[str, Any]
) -> None:
    did = next(iter(sim.dids))
    await client.async_set_sms_callback(did, receiver["url"])
    sim.dids[did].sms["sms_url_callback_retry"] = "0"
    receiver["answers"] = ["nope"]
    await sim.deliver_sms("4165550142", did, "once")
    assert sim.undelivered == []
    # No callback configured: nothing is sent, the text waits for polling.
    await client.async_set_sms_callback(did, "")
    await sim.deliver_sms("4165550142", did, "polled")
    assert len(receiver["received"]) == 1


async def test_received_sms_polling(client: VoipmsClient, sim: VoipmsSimulator) -> None:
    did = next(iter(sim.dids))
    since = datetime.now(UTC) - timedelta(minutes=5)
    await sim.deliver_sms("4165550142", did, "It's me")
    await sim.deliver_sms("4165550143", did, 'Say "hi"')
    await client.async_send_sms(did, "4165550142", "an answer", None)  # sent: not listed
    found = await client.async_received_sms(since)
    assert [(sms.from_number, sms.message) for sms in found] == [
        ("4165550142", "It's me"),
        ("4165550143", 'Say "hi"'),
    ]
    assert all(sms.to_did == did and sms.timestamp is not None for sms in found)
    assert await client.async_received_sms(datetime.now(UTC) + timedelta(minutes=1)) == []
    query = sim.requests[-1]
    assert query["method"] == "getSMS"


# --- parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        ("invalid_credentials", AuthError, ErrorReason.AUTH),
        ("missing_credentials", AuthError, ErrorReason.AUTH),
        ("api_not_enabled", AuthError, ErrorReason.AUTH),
        ("ip_not_enabled", PermissionDenied, ErrorReason.IP_NOT_ALLOWED),
        ("api_limit_exceeded", QuotaExceeded, ErrorReason.QUOTA),
        ("method_maintenance", ProviderUnavailable, ErrorReason.UNAVAILABLE),
        ("unavailable_info", ProviderUnavailable, ErrorReason.UNAVAILABLE),
        ("sms_toolong", InvalidRequest, ErrorReason.REFUSED),
        ("Something NEW", InvalidRequest, ErrorReason.REFUSED),
    ],
)
def test_statuses(status: str, error: type[ProviderError], reason: ErrorReason) -> None:
    with pytest.raises(error) as err:
        parse_answer(json.dumps({"status": status}))
    assert err.value.reason is reason


@pytest.mark.parametrize(
    "status",
    ["no_sms", "no_cdr", "no_messages", "no_mailbox", "no_forwarding", "no_did", "no_account"],
)
def test_empty_statuses(status: str) -> None:
    body = parse_answer(json.dumps({"status": status}))
    assert parse_sub_accounts(body) == {}
    assert parse_dids(body) == {}
    assert parse_forwardings(body) == {}
    assert parse_mailboxes(body) == {}
    assert parse_calls_today(body, ["5145550100"]) == (0, 0)
    assert parse_received_sms(body, datetime(2020, 1, 1, tzinfo=UTC)) == []


def test_answer_shapes() -> None:
    assert parse_answer("") == {"status": "success"}
    assert parse_answer('\ufeff{"status":"Success"}')["status"] == "success"
    for text in ("<html>Error</html>", '{"status": 1}', "[1, 2]", '{"status": "succ', "{}"):
        with pytest.raises(InvalidResponse):
            parse_answer(text)
    with pytest.raises(InvalidResponse):
        parse_sub_accounts(parse_answer(""))  # a read that got an empty body
    # A PHP array with gaps comes as an object.
    body = {"status": "success", "accounts": {"0": {"account": "1_a"}, "2": {"account": "1_b"}}}
    assert set(parse_sub_accounts(body)) == {"1_a", "1_b"}
    with pytest.raises(QuotaExceeded):
        check_response(HttpResponse(429, ""))
    with pytest.raises(InvalidResponse, match="HTTP 403"):
        check_response(HttpResponse(403, "<html>Cloudflare</html>"))
    with pytest.raises(AuthError):
        check_response(HttpResponse(401, '{"status":"invalid_credentials"}'))


def test_secrets_redacted_from_statuses() -> None:
    with pytest.raises(InvalidRequest) as err:
        raise_for_status("bad pass Api-Pass-7f3k here", ["Api-Pass-7f3k"])
    assert "Api-Pass-7f3k" not in str(err.value)
    assert "Api-Pass-7f3k" not in err.value.details["status"]


def test_registration_parser_keeps_ips_out() -> None:
    body = {
        "status": "success",
        "registered": "yes",
        "registrations": [
            {"server_ip": "208.100.60.17", "register_ip": "198.51.100.23", "user_agent": "Yealink"}
        ],
    }
    state = parse_registration("1_a", body)
    assert state.status is ExtensionStatus.IDLE
    assert state.server is None
    assert state.user_agent == "Yealink"
    with pytest.raises(InvalidResponse):
        parse_registration("1_a", {"status": "success"})


def test_balance_parser() -> None:
    body = {"status": "success", "balance": {"current_balance": "12.5", "currency": "usd"}}
    balance = parse_balance(body, "CAD")
    assert balance.amount == Decimal("12.5")
    assert balance.currency == "USD"
    assert balance.calls_today is None
    for bad in ({"current_balance": "NaN"}, {"current_balance": "x"}, {}):
        with pytest.raises(InvalidResponse):
            parse_balance({"status": "success", "balance": bad})


def test_route_and_did_checks() -> None:
    assert check_route("account:100001_ext101") == "account:100001_ext101"
    assert check_route("none:") == "none:"
    assert did_digits("+1 (514) 555-0100") == "5145550100"
    assert did_digits("15145550100") == "5145550100"
    assert did_digits("442012345678") == "442012345678"


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("e\u0301a", ["e\u0301", "a"]),
        ("👨\u200d👩\u200d👧x", ["👨\u200d👩\u200d👧", "x"]),
        ("🇨🇦🇺🇸🇫", ["🇨🇦", "🇺🇸", "🇫"]),
        ("👍🏽!", ["👍🏽", "!"]),
        ("\u1100\u1161\u11a8가", ["\u1100\u1161\u11a8", "가"]),
        ("a\r\nb", ["a", "\r\n", "b"]),
        ("\u0915\u093f", ["\u0915\u093f"]),  # a spacing mark stays with its letter
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", None),
    ],
)
def test_graphemes(text: str, clusters: list[str] | None) -> None:
    assert graphemes(text) == (clusters or [text])


def test_split_keeps_clusters_whole() -> None:
    message = "a" * 159 + "e\u0301" + "b"
    assert split_sms(message) == ["a" * 159, "e\u0301b"]
    flags = "🇨🇦" * 30  # 8 bytes each: 20 per text
    assert split_sms(flags) == ["🇨🇦" * 20, "🇨🇦" * 10]
    zalgo = "z" + "\u0301" * 200  # one cluster larger than a text: cut at code points
    parts = split_sms(zalgo)
    assert "".join(parts) == zalgo
    assert all(len(part.encode()) <= SMS_PART_BYTES for part in parts)
    assert split_sms("x" * 160 + " ") == ["x" * 160]  # a whitespace-only part is not sent


# --- properties: no input raises anything but the client's typed errors -------------------

_KEYS = st.sampled_from(
    [
        "status",
        "accounts",
        "account",
        "description",
        "registered",
        "registrations",
        "server_hostname",
        "user_agent",
        "dids",
        "did",
        "routing",
        "sms_enabled",
        "forwardings",
        "forwarding",
        "voicemails",
        "mailbox",
        "new",
        "urgent",
        "balance",
        "current_balance",
        "spent_today",
        "calls_today",
        "currency",
        "cdr",
        "destination",
        "disposition",
        "sms",
        "id",
        "date",
        "type",
        "contact",
        "message",
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["yes", "no", "1", "0", "0000-00-00", "2026-11-23 04:00:00", "ANSWERED"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(_KEYS | st.text(max_size=8), inner, max_size=6),
    max_leaves=25,
)
_BODIES = st.dictionaries(_KEYS, _JSON, max_size=8)


def _typed_only(call: Callable[[], object]) -> None:
    try:
        call()
    except ProviderError as err:
        reason = err.reason
        assert isinstance(reason, ErrorReason)


@PROPERTY
@given(st.text(max_size=300))
def test_property_answer_text(text: str) -> None:
    _typed_only(lambda: parse_answer(text))


@PROPERTY
@given(_JSON, st.integers(min_value=100, max_value=599))
def test_property_answer_json(value: object, code: int) -> None:
    _typed_only(lambda: check_response(HttpResponse(code, json.dumps(value))))


@PROPERTY
@given(st.text(max_size=60) | st.sampled_from(sorted({"no_sms", "success", "ip_not_enabled"})))
def test_property_statuses(status: str) -> None:
    _typed_only(lambda: raise_for_status(status, ["secret"]))


@PROPERTY
@given(_BODIES)
def test_property_row_parsers(body: dict[str, Any]) -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    _typed_only(lambda: parse_sub_accounts(body))
    _typed_only(lambda: parse_registration("1_a", body))
    _typed_only(lambda: parse_dids(body))
    _typed_only(lambda: parse_forwardings(body))
    _typed_only(lambda: parse_mailboxes(body))
    _typed_only(lambda: parse_balance(body))
    _typed_only(lambda: parse_calls_today(body, ["5145550100"]))
    _typed_only(lambda: parse_received_sms(body, since))


_CALLBACK_KEYS = st.sampled_from(["from", "to", "message", "id", "date", "FROM", "Msg", "x"])


@PROPERTY
@given(
    st.dictionaries(_CALLBACK_KEYS | st.text(max_size=6), st.text(max_size=40), max_size=7),
    st.booleans(),
)
def test_property_sms_callback(query: dict[str, str], with_dids: bool) -> None:
    sms = parse_sms_callback(query, dids=["5145550100"] if with_dids else None)
    assert sms is None or isinstance(sms, InboundSms)


@PROPERTY
@given(
    st.from_regex(r"\+?1?[0-9]{10}", fullmatch=True),
    st.text(max_size=200),
    st.one_of(st.none(), st.from_regex(r"[0-9]{1,12}", fullmatch=True), st.text(max_size=20)),
    st.one_of(st.none(), st.text(max_size=25), st.from_regex(r"[0-9]{9,13}", fullmatch=True)),
)
def test_property_sms_callback_valid_numbers(
    sender: str, message: str, sms_id: str | None, stamp: str | None
) -> None:
    query = {"from": sender, "to": "5145550100", "message": message}
    if sms_id is not None:
        query["id"] = sms_id
    if stamp is not None:
        query["date"] = stamp
    sms = parse_sms_callback(query)
    if sms is not None:
        assert sms.message == message
        assert sms.id
        assert sms == parse_sms_callback(query)  # re-sends get the same id


_SMS_TEXT = st.text(
    alphabet=st.characters(codec=None)
    | st.sampled_from(["\u0301", "\u200d", "🏽", "🇨", "🇦", "👨", "\r", "\n", " ", "\u1100"]),
    max_size=600,
)


@PROPERTY
@given(_SMS_TEXT)
def test_property_split_sms(message: str) -> None:
    try:
        parts = split_sms(message)
    except InvalidRequest as err:
        reason = err.reason
        assert reason in (ErrorReason.SMS_LENGTH, ErrorReason.SMS_INVALID_CHARACTERS)
        return
    assert 1 <= len(parts) <= SMS_MAX_PARTS
    assert all(part.strip() and len(part.encode()) <= SMS_PART_BYTES for part in parts)

    def visible(text: str) -> str:
        return "".join(char for char in text if not char.isspace())

    assert visible("".join(parts)) == visible(message)
    if "".join(parts) == message and all(
        len(cluster.encode()) <= SMS_PART_BYTES for cluster in graphemes(message)
    ):
        # No cluster is torn apart: the parts' clusters are the message's.
        assert [c for part in parts for c in graphemes(part)] == graphemes(message)


@PROPERTY
@given(_SMS_TEXT)
def test_property_graphemes(text: str) -> None:
    clusters = graphemes(text)
    assert "".join(clusters) == text
    assert all(clusters)
