"""The HA-free Business-ISP client against its simulator over real HTTP, and its parsers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.hosted_pbx.api import ClickToCall, HangsUp, SendsSms
from custom_components.hosted_pbx.api.business_isp import (
    FINAL_STATUSES,
    MAX_STUCK_POLLS,
    RESPONSE_CODES,
    STATUS_CODES,
    BusinessIspClient,
    call_status,
    endpoint,
    parse_answer,
    parse_sms_answer,
    raise_for_code,
    validate_sms,
)
from custom_components.hosted_pbx.api.errors import (
    AuthError,
    ErrorReason,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from custom_components.hosted_pbx.api.models import AccountData, CallStatus, Freshness, Read
from simulator.business_isp import (
    API_PATH,
    STATUS_TEXT,
    XML_BOMB,
    BusinessIspSimulator,
    XmlFault,
)
from simulator.common import Fault, SimulatorServer

SOURCE = "020 123 4567"  # as a user types it
SOURCE_KEY = "31201234567"
OTHER_SOURCE = "+31 20 123 4568"
OTHER_KEY = "31201234568"
CALLEE = "06 1234 5678"
CALLEE_DIALLED = "0612345678"
PROPERTY = settings(max_examples=500, deadline=None)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[BusinessIspSimulator]:
    simulator = BusinessIspSimulator()
    server = SimulatorServer(simulator.app, API_PATH)
    simulator.bind(await server.start())
    yield simulator
    await server.stop()


@pytest.fixture
def client(session: aiohttp.ClientSession, sim: BusinessIspSimulator) -> BusinessIspClient:
    return BusinessIspClient(
        session,
        username=sim.username,
        password=sim.password,
        sources=[SOURCE, OTHER_SOURCE],
        base_url=sim.url,
        sms_url=sim.sms_url,
    )


def _secrets_absent(sim: BusinessIspSimulator, *texts: str) -> None:
    for text in texts:
        assert sim.password not in text
        for token in sim.sessions:
            assert token not in text


# --- the account -------------------------------------------------------------------------------


async def test_protocols_and_identity(client: BusinessIspClient, sim: BusinessIspSimulator) -> None:
    assert isinstance(client, ClickToCall)
    assert isinstance(client, HangsUp)
    assert isinstance(client, SendsSms)
    assert client.key == "business_isp"
    assert client.account_id == sim.username.casefold()
    assert sim.password not in repr(client)


async def test_validate_checks_formats_and_sends_nothing(
    session: aiohttp.ClientSession, client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_validate()
    for kwargs, reason in (
        ({"username": " ", "password": "x", "sources": [SOURCE]}, ErrorReason.INVALID_REQUEST),
        ({"username": "u", "password": "", "sources": [SOURCE]}, ErrorReason.INVALID_REQUEST),
        ({"username": "u", "password": "x", "sources": []}, ErrorReason.INVALID_NUMBER),
        ({"username": "u", "password": "x", "sources": ["12ab"]}, ErrorReason.INVALID_NUMBER),
    ):
        bad = BusinessIspClient(session, base_url=sim.url, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequest) as err:
            await bad.async_validate()
        assert err.value.reason is reason
    assert sim.commands == []


async def test_structure_and_plan(client: BusinessIspClient, sim: BusinessIspSimulator) -> None:
    load = await client.async_load_structure(AccountData())
    assert set(load.data.numbers) == {SOURCE_KEY, OTHER_KEY}
    assert load.covered == ()
    assert client.plan_reads(load.data) == []
    assert sim.commands == []

    await client.async_click_to_call(SOURCE, CALLEE)
    assert client.plan_reads(load.data) == [Read("status", SOURCE_KEY, Freshness.LIVE)]
    data = await client.async_read(Read("status", SOURCE_KEY, Freshness.LIVE), load.data)
    assert data.calls[SOURCE_KEY].status is CallStatus.SOURCE_RINGING
    assert data.calls[SOURCE_KEY].code == 27
    with pytest.raises(InvalidRequest) as err:
        await client.async_read(Read("balance", "x", Freshness.SLOW), data)
    assert err.value.reason is ErrorReason.UNKNOWN_READ
    await client.async_close()


def test_endpoint_accepts_a_base_or_the_page() -> None:
    assert endpoint("https://x.example/api/", "connectcall.aspx") == (
        "https://x.example/api/connectcall.aspx"
    )
    assert endpoint("https://x.example/api", "sendsms.ashx") == "https://x.example/api/sendsms.ashx"
    assert endpoint(" https://x.example/custom.aspx ", "connectcall.aspx") == (
        "https://x.example/custom.aspx"
    )


# --- calls ------------------------------------------------------------------------------------


async def test_click_to_call_walks_to_connected_and_ends(
    client: BusinessIspClient, sim: BusinessIspSimulator, freezer: FrozenDateTimeFactory
) -> None:
    result = await client.async_click_to_call(SOURCE, CALLEE)
    assert result.status == "call started"
    assert result.details == {"source": SOURCE_KEY, "to": CALLEE_DIALLED, "mode": "source_first"}
    assert sim.received[0] == {
        "login": sim.username,
        "source": "0201234567",
        "dest": CALLEE_DIALLED,
        "type": "1",
    }
    (token,) = sim.open_sessions
    assert len(token) == 11

    seen = []
    for seconds in (0, 3, 1, 4, 10):
        freezer.tick(timedelta(seconds=seconds))  # moves the simulator's monotonic clock too
        call = await client.async_call_status(SOURCE)
        seen.append((call.status, call.code))
    assert seen == [
        (CallStatus.SOURCE_RINGING, 27),
        (CallStatus.SOURCE_CONNECTED, 28),
        (CallStatus.DESTINATION_RINGING, 26),
        (CallStatus.CONNECTED, 29),
        (CallStatus.CONNECTED, 29),
    ]
    assert call.duration == 10
    assert call.destination == CALLEE_DIALLED
    assert call.started is not None

    freezer.tick(timedelta(seconds=sim.TALK - 11))
    assert (await client.async_call_status(SOURCE)).duration == sim.TALK - 1
    freezer.tick(timedelta(seconds=5))
    call = await client.async_call_status(SOURCE)
    assert (call.status, call.code) == (CallStatus.ENDED, 30)
    assert call.duration == sim.TALK - 1  # the last duration seen connected
    # The final status ended the session: nothing is left open or polled.
    assert sim.open_sessions == []
    assert sim.sessions_ended == [token]
    assert sim.commands[-1] == "end"
    assert client.plan_reads(AccountData()) == []
    requests = len(sim.commands)
    assert (await client.async_call_status(SOURCE)).status is CallStatus.ENDED
    assert len(sim.commands) == requests
    assert client.calls[SOURCE_KEY].status is CallStatus.ENDED


async def test_both_at_once(client: BusinessIspClient, sim: BusinessIspSimulator) -> None:
    await client.async_click_to_call(SOURCE_KEY, CALLEE, mode="both")
    assert sim.received[0]["type"] == "2"
    sim.advance(sim.SOURCE_RING + sim.DEST_RING)
    call = await client.async_call_status(SOURCE)
    assert (call.status, call.code) == (CallStatus.CONNECTED, 9)
    with pytest.raises(InvalidRequest):
        await client.async_click_to_call(SOURCE, CALLEE, mode="destination_first")
    await client.async_close()
    assert sim.open_sessions == []


@pytest.mark.parametrize(
    ("destination", "wait", "status", "code"),
    [
        (BusinessIspSimulator.BUSY_NUMBER, 4, CallStatus.BUSY, 10),
        (BusinessIspSimulator.NO_ANSWER_NUMBER, 24, CallStatus.NO_ANSWER, 11),
        (BusinessIspSimulator.REJECTED_NUMBER, 6, CallStatus.REJECTED, 12),
        (BusinessIspSimulator.INSUFFICIENT_FUNDS_NUMBER, 4, CallStatus.INSUFFICIENT_FUNDS, 16),
        (BusinessIspSimulator.WRONG_DESTINATION_NUMBER, 4, CallStatus.WRONG_NUMBER, 25),
        (BusinessIspSimulator.CREDIT_RUNS_OUT_NUMBER, 18, CallStatus.INSUFFICIENT_FUNDS, 7),
    ],
)
async def test_failed_calls_end_their_session(
    client: BusinessIspClient,
    sim: BusinessIspSimulator,
    destination: str,
    wait: float,
    status: CallStatus,
    code: int,
) -> None:
    await client.async_click_to_call(SOURCE, destination)
    sim.advance(wait)
    call = await client.async_call_status(SOURCE)
    assert (call.status, call.code) == (status, code)
    assert sim.open_sessions == []
    assert client.active_sources == ()


async def test_wrong_source_number(
    session: aiohttp.ClientSession, sim: BusinessIspSimulator
) -> None:
    stranger = BusinessIspClient(
        session,
        username=sim.username,
        password=sim.password,
        sources=["0301234567"],
        base_url=sim.url,
    )
    await stranger.async_click_to_call("0301234567", CALLEE)
    call = await stranger.async_call_status("0301234567")
    assert (call.status, call.code) == (CallStatus.WRONG_NUMBER, 24)
    assert sim.open_sessions == []


@pytest.mark.parametrize("wait", [0.0, 3.0 + 1.0 + 4.0 + 5.0])
async def test_hang_up_while_ringing_or_talking(
    client: BusinessIspClient, sim: BusinessIspSimulator, wait: float
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.advance(wait)
    before = await client.async_call_status(SOURCE)
    assert before.status in (CallStatus.SOURCE_RINGING, CallStatus.CONNECTED)
    (token,) = sim.open_sessions
    result = await client.async_hang_up(SOURCE_KEY)
    assert result.status == "OK"
    assert sim.commands[-2:] == ["hangUp", "end"]
    call = sim.sessions[token].call
    assert call is not None
    assert call.ended_code == 4
    assert sim.open_sessions == []
    assert client.calls[SOURCE_KEY].status is CallStatus.ENDED
    with pytest.raises(InvalidRequest) as err:
        await client.async_hang_up(SOURCE)
    assert err.value.reason is ErrorReason.NO_ACTIVE_CALL


async def test_hang_up_without_a_call_sends_nothing(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_hang_up(SOURCE)
    assert err.value.reason is ErrorReason.NO_ACTIVE_CALL
    with pytest.raises(InvalidRequest) as err:
        await client.async_hang_up("0301234567")  # not one of the account's numbers
    assert err.value.reason is ErrorReason.UNKNOWN_EXTENSION
    assert (await client.async_call_status(SOURCE)).status is CallStatus.IDLE
    assert sim.commands == []


async def test_new_call_while_active_hangs_up_first(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.advance(10)
    assert (await client.async_call_status(SOURCE)).status is CallStatus.CONNECTED
    await client.async_click_to_call(SOURCE, "0612345679")
    assert sim.commands == ["login", "getStatus", "hangUp", "connect"]
    (token,) = sim.open_sessions  # the same session carries the new call
    call = sim.sessions[token].call
    assert call is not None
    assert call.dest == "0612345679"
    assert (await client.async_call_status(SOURCE)).status is CallStatus.SOURCE_RINGING
    await client.async_close()
    assert sim.open_sessions == []


async def test_new_call_after_the_provider_forgot_the_session(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.expire_sessions()
    await client.async_click_to_call(SOURCE, CALLEE)
    assert sim.commands == ["login", "hangUp", "login"]
    assert len(sim.open_sessions) == 1
    sim.expire_sessions()
    call = await client.async_call_status(SOURCE)
    assert call.status is CallStatus.IDLE
    assert client.active_sources == ()


async def test_failed_connect_ends_the_session(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.fault, sim.fault_command = XmlFault.UNKNOWN_CODE, "connect"
    with pytest.raises(InvalidResponse):
        await client.async_click_to_call(SOURCE, CALLEE)
    assert sim.commands == ["login", "hangUp", "connect", "end"]
    assert sim.open_sessions == []


async def test_close_ends_every_session(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    await client.async_click_to_call(OTHER_SOURCE, "0612345679")
    assert len(sim.open_sessions) == 2
    await client.async_close()
    assert sim.open_sessions == []
    assert client.active_sources == ()
    requests = len(sim.commands)
    await client.async_close()  # twice is harmless and sends nothing
    assert len(sim.commands) == requests


async def test_close_never_raises(client: BusinessIspClient, sim: BusinessIspSimulator) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.fault = Fault.HTTP_500
    await client.async_close()  # the end fails, and so does the retry
    assert sim.commands == ["login", "end", "end"]
    assert client.active_sources == ()


async def test_close_retries_a_failed_end(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.advance(100)
    sim.fault = Fault.HTTP_500
    sim.fault_command = "end"
    call = await client.async_call_status(SOURCE)  # final: the end fails
    assert call.status is CallStatus.ENDED
    assert sim.open_sessions != []
    sim.fault = Fault.NONE
    await client.async_close()
    assert sim.open_sessions == []


async def test_end_session(client: BusinessIspClient, sim: BusinessIspSimulator) -> None:
    await client.async_end_session(SOURCE)  # none: nothing sent
    assert sim.commands == []
    await client.async_click_to_call(SOURCE, CALLEE)
    await client.async_end_session(SOURCE)
    assert sim.commands == ["login", "end"]
    assert sim.open_sessions == []


async def test_a_stuck_session_is_given_up(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.fault, sim.fault_command = XmlFault.UNKNOWN_CODE, "getStatus"
    for _ in range(MAX_STUCK_POLLS - 1):
        with pytest.raises(InvalidResponse):
            await client.async_call_status(SOURCE)
    call = await client.async_call_status(SOURCE)
    assert call.status is CallStatus.FAILED
    assert sim.open_sessions == []


async def test_unknown_status_for_long_is_given_up(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    (token,) = sim.open_sessions
    sim.sessions[token].call = None  # the provider answers 3 "Unknown"
    for _ in range(MAX_STUCK_POLLS - 1):
        call = await client.async_call_status(SOURCE)
        assert (call.status, call.code) == (CallStatus.IDLE, 3)
    assert client.active_sources == (SOURCE_KEY,)
    call = await client.async_call_status(SOURCE)
    assert call.status is CallStatus.FAILED
    assert sim.open_sessions == []


async def test_hang_up_after_the_provider_forgot_the_session(
    client: BusinessIspClient, sim: BusinessIspSimulator
) -> None:
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.expire_sessions()
    with pytest.raises(InvalidRequest) as err:
        await client.async_hang_up(SOURCE)
    assert err.value.reason is ErrorReason.NO_ACTIVE_CALL
    assert client.active_sources == ()


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthError), (403, AuthError), (404, InvalidResponse), (429, QuotaExceeded)],
)
async def test_http_statuses(
    client: BusinessIspClient,
    sim: BusinessIspSimulator,
    status: int,
    error: type[ProviderError],
) -> None:
    sim.http_status = status
    with pytest.raises(error):
        await client.async_click_to_call(SOURCE, CALLEE)
    with pytest.raises(error):
        await client.async_send_sms(SOURCE, CALLEE, "Hallo", None)
    assert sim.open_sessions == []


async def test_bad_credentials(session: aiohttp.ClientSession, sim: BusinessIspSimulator) -> None:
    wrong = BusinessIspClient(
        session, username=sim.username, password="wrong-pw", sources=[SOURCE], base_url=sim.url
    )
    with pytest.raises(AuthError) as err:
        await wrong.async_click_to_call(SOURCE, CALLEE)
    assert "wrong-pw" not in str(err.value)
    assert sim.open_sessions == []
    assert wrong.active_sources == ()


async def test_refused_parameters(
    session: aiohttp.ClientSession, sim: BusinessIspSimulator
) -> None:
    odd = BusinessIspClient(
        session, username=sim.username, password=sim.password, sources=[SOURCE], base_url=sim.url
    )
    with pytest.raises(InvalidRequest) as err:
        await odd.async_click_to_call(SOURCE, "0909 1234567")  # premium: refused before sending
    assert err.value.reason is ErrorReason.PREMIUM_NUMBER
    assert sim.commands == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (XmlFault.MALFORMED, InvalidResponse),
        (XmlFault.BOMB, InvalidResponse),
        (XmlFault.UNKNOWN_CODE, InvalidResponse),
        (Fault.HTML, InvalidResponse),
        (Fault.TRUNCATED, InvalidResponse),
        (Fault.HTTP_500, ProviderUnavailable),
        (Fault.QUOTA, QuotaExceeded),
    ],
)
async def test_bad_answers(
    client: BusinessIspClient,
    sim: BusinessIspSimulator,
    fault: Fault | XmlFault,
    error: type[ProviderError],
) -> None:
    sim.fault = fault
    with pytest.raises(error) as login_err:
        await client.async_click_to_call(SOURCE, CALLEE)
    sim.fault = Fault.NONE
    await client.async_click_to_call(SOURCE, CALLEE)
    sim.fault = fault
    with pytest.raises(error) as status_err:
        await client.async_call_status(SOURCE)
    with pytest.raises(error) as sms_err:
        await client.async_send_sms(SOURCE, CALLEE, "Hallo", None)
    _secrets_absent(sim, str(login_err.value), str(status_err.value), str(sms_err.value))
    sim.fault = Fault.NONE
    await client.async_close()
    assert sim.open_sessions == []


async def test_timeout(
    client: BusinessIspClient, sim: BusinessIspSimulator, freezer: FrozenDateTimeFactory
) -> None:
    sim.fault, sim.slow_seconds = Fault.SLOW, 60
    task = asyncio.create_task(client.async_click_to_call(SOURCE, CALLEE))
    while not sim.commands:  # noqa: ASYNC110 - the request reached the simulator
        await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=20))  # past the client's 15 s timeout
    with pytest.raises(ProviderUnavailable, match="did not answer in time"):
        await task
    freezer.tick(timedelta(seconds=60))  # let the simulator's slow handler finish


async def test_secrets_stay_out_of_messages_and_logs(
    client: BusinessIspClient, sim: BusinessIspSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await client.async_click_to_call(SOURCE, CALLEE)
    texts = [repr(client), repr(client.calls)]
    for fault in (XmlFault.UNKNOWN_CODE, Fault.HTTP_500, XmlFault.BOMB):
        sim.fault = fault
        with pytest.raises(ProviderError) as err:
            await client.async_call_status(SOURCE)
        texts += [str(err.value), repr(err.value), repr(err.value.details)]
    sim.fault = Fault.HTTP_500
    await client.async_close()
    _secrets_absent(sim, *texts, caplog.text)


# --- SMS --------------------------------------------------------------------------------------


async def test_sms_sent_and_recorded(client: BusinessIspClient, sim: BusinessIspSimulator) -> None:
    result = await client.async_send_sms(SOURCE, CALLEE, "Alarm: deur open {1}", None)
    assert result.status == "SMS message sent."
    assert result.details["to"] == "31612345678"
    await client.async_send_sms(OTHER_KEY, CALLEE, "Hé 👋", "Kantoor")
    assert sim.sms_sent == [
        {"from": SOURCE_KEY, "to": "31612345678", "text": "Alarm: deur open {1}"},
        {"from": "Kantoor", "to": "31612345678", "text": "Hé 👋"},
    ]
    assert all("pass" not in fields for fields in sim.received)


@pytest.mark.parametrize(
    ("to", "error", "reason"),
    [
        (BusinessIspSimulator.SMS_NO_CREDIT_NUMBER, InvalidRequest, ErrorReason.REFUSED),
        (
            BusinessIspSimulator.SMS_SERVER_ERROR_NUMBER,
            ProviderUnavailable,
            ErrorReason.UNAVAILABLE,
        ),
        (BusinessIspSimulator.SMS_CARRIER_REFUSES_NUMBER, InvalidRequest, ErrorReason.REFUSED),
        (BusinessIspSimulator.SMS_RESELLER_FUNDS_NUMBER, InvalidRequest, ErrorReason.REFUSED),
    ],
)
async def test_sms_refusals_are_typed(
    client: BusinessIspClient,
    sim: BusinessIspSimulator,
    to: str,
    error: type[ProviderError],
    reason: ErrorReason,
) -> None:
    with pytest.raises(error) as err:
        await client.async_send_sms(SOURCE, to, "Hallo", None)
    assert err.value.reason is reason
    assert err.value.details["code"].isdigit()
    assert err.value.details["status"]
    assert sim.sms_sent == []


async def test_sms_bad_credentials(
    session: aiohttp.ClientSession, sim: BusinessIspSimulator
) -> None:
    wrong = BusinessIspClient(
        session,
        username=sim.username,
        password="wrong-pw",
        sources=[SOURCE],
        sms_url=sim.sms_url,
    )
    with pytest.raises(AuthError) as err:
        await wrong.async_send_sms(SOURCE, CALLEE, "Hallo", None)
    assert "wrong-pw" not in str(err.value)
    assert sim.sms_sent == []


@pytest.mark.parametrize(
    ("from_number", "to", "message", "sender", "reason"),
    [
        (SOURCE, CALLEE, "x" * 161, None, ErrorReason.SMS_LENGTH),
        (SOURCE, CALLEE, "€" * 81, None, ErrorReason.SMS_LENGTH),  # two septets each
        (SOURCE, CALLEE, "👋" * 36, None, ErrorReason.SMS_LENGTH),  # 72 UTF-16 units
        (SOURCE, CALLEE, "", None, ErrorReason.SMS_LENGTH),
        (SOURCE, CALLEE, "bell\x07", None, ErrorReason.SMS_INVALID_CHARACTERS),
        (SOURCE, "020 765 4321", "Hallo", None, ErrorReason.NOT_MOBILE),
        (SOURCE, "12ab", "Hallo", None, ErrorReason.INVALID_NUMBER),
        (SOURCE, CALLEE, "Hallo", "Far too long a name", ErrorReason.INVALID_SENDER),
        ("0301234567", CALLEE, "Hallo", None, ErrorReason.UNKNOWN_EXTENSION),
    ],
)
async def test_sms_checked_before_sending(
    client: BusinessIspClient,
    sim: BusinessIspSimulator,
    from_number: str,
    to: str,
    message: str,
    sender: str | None,
    reason: ErrorReason,
) -> None:
    with pytest.raises(InvalidRequest) as err:
        await client.async_send_sms(from_number, to, message, sender)
    assert err.value.reason is reason
    assert sim.commands == []


def test_sms_lengths_at_the_limits() -> None:
    validate_sms("x" * 160)
    validate_sms("€" * 80)
    validate_sms("ß" * 69 + "ş")  # not GSM: 70 UTF-16 units
    with pytest.raises(InvalidRequest):
        validate_sms("ß" * 70 + "ş")
    validate_sms("a\nb\r")


# --- the tables and parsers ---------------------------------------------------------------------


def test_status_table_covers_the_document() -> None:
    # The simulator's copy of the document's table, and ours, list the same codes and words.
    assert {code: words for code, (_, words) in STATUS_CODES.items()} == STATUS_TEXT
    assert set(STATUS_CODES) == {3, 4, 5, 7, 9, 10, 11, 12, 16, *range(24, 34)}
    assert {call_status(code) for code in (4, 10, 11, 12, 16, 25)} <= FINAL_STATUSES
    assert call_status(27) not in FINAL_STATUSES
    with pytest.raises(InvalidResponse):
        call_status(8)
    assert set(RESPONSE_CODES) == set(range(100, 106))


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        (101, InvalidRequest, ErrorReason.CALL_FAILED),
        (102, AuthError, ErrorReason.AUTH),
        (104, InvalidRequest, ErrorReason.INVALID_REQUEST),
        (105, InvalidRequest, ErrorReason.REFUSED),
        (106, InvalidResponse, ErrorReason.INVALID_RESPONSE),
        (27, InvalidResponse, ErrorReason.INVALID_RESPONSE),
    ],
)
def test_response_codes(code: int, error: type[ProviderError], reason: ErrorReason) -> None:
    raise_for_code(100)
    raise_for_code(103)
    with pytest.raises(error) as err:
        raise_for_code(code)
    assert type(err.value) is error
    assert err.value.reason is reason


def test_parse_answer_shapes() -> None:
    doc = "<response>\n<code>103</code>\n<message>5ae2a5rw47w</message>\n</response>"
    assert parse_answer(doc) == (103, "5ae2a5rw47w")
    assert parse_answer('<?xml version="1.0"?><Response><Code> 27 </Code></Response>') == (27, "")
    for bad in (XML_BOMB, "", "<response><code>١٠٣</code></response>", "<html/>", "<r><code>1"):
        with pytest.raises(InvalidResponse):
            parse_answer(bad)


def test_parse_sms_answer_shapes() -> None:
    ok = (
        "<response><sms_response_code>200</sms_response_code>"
        "<sms_response_text>SMS message sent.</sms_response_text>"
        "<sms_response_destination>31612345678</sms_response_destination></response>"
    )
    assert parse_sms_answer(ok).details == {"to": "31612345678", "code": "200"}
    refused = (
        "<response><sms_response_code>401</sms_response_code>"
        "<sms_response_text>Login geheim failed</sms_response_text></response>"
    )
    with pytest.raises(AuthError) as err:
        parse_sms_answer(refused, ("user", "geheim"))
    assert "geheim" not in str(err.value)
    assert "geheim" not in err.value.details["status"]
    number = refused.replace("401", "604").replace("Login geheim failed", "Unknown number")
    with pytest.raises(InvalidRequest) as refusal:
        parse_sms_answer(number)
    assert refusal.value.reason is ErrorReason.INVALID_NUMBER
    with pytest.raises(InvalidResponse):
        parse_sms_answer(refused.replace("401", "301"))


# Pieces that make near-valid answers more likely than plain random text.
_TAGS = st.sampled_from(
    ["response", "Response", "code", "message", "sms_response_code", "sms_response_text", "x"]
)
_VALUES = st.one_of(
    st.integers(min_value=-5, max_value=1000).map(str),
    st.sampled_from(["103", "27", "200", "402", "601", "701", "5ae2a5rw47w", "", " 1 "]),
    st.text(max_size=20),
)


@st.composite
def _xml_answers(draw: st.DrawFn) -> str:
    root = draw(_TAGS)
    children = draw(st.lists(st.tuples(_TAGS, _VALUES), max_size=4))
    body = "".join(f"<{tag}>{value}</{tag}>" for tag, value in children)
    text = f"<{root}>{body}</{root}>"
    if draw(st.booleans()):
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:cut] + draw(st.text(max_size=5))
    return text


_ANY_ANSWER = st.one_of(st.text(), _xml_answers(), st.just(XML_BOMB))


def _raised(func: Callable[..., object], *args: Any) -> ProviderError | None:
    """Run a parser: None when it returned, its error when it raised a typed one."""
    try:
        func(*args)
    except ProviderError as err:
        return err
    return None


@PROPERTY
@given(_ANY_ANSWER)
def test_parse_answer_only_raises_typed_errors(text: str) -> None:
    if _raised(parse_answer, text) is not None:
        return
    code, message = parse_answer(text)
    assert 0 <= code < 1_000_000
    assert len(message) <= 255
    _raised(raise_for_code, code)
    _raised(call_status, code)


@PROPERTY
@given(st.integers())
def test_status_mapping_only_raises_typed_errors(code: int) -> None:
    error = _raised(call_status, code)
    assert (error is None) == (code in STATUS_CODES)
    assert error is None or isinstance(error, InvalidResponse)
    if error is None:
        assert isinstance(call_status(code), CallStatus)


@PROPERTY
@given(_ANY_ANSWER, st.lists(st.text(max_size=8), max_size=2))
def test_parse_sms_answer_only_raises_typed_errors(text: str, secrets: list[str]) -> None:
    error = _raised(parse_sms_answer, text, secrets)
    if error is None:
        assert parse_sms_answer(text, secrets).details["code"] == "200"
        return
    shown = f"{error} {error.details.get('status', '')}".casefold()
    for secret in secrets:
        if len(secret) > 3 and secret.isascii() and secret.isalnum():
            assert secret.casefold() not in shown


@PROPERTY
@given(st.text(max_size=200))
def test_validate_sms_only_raises_typed_errors(message: str) -> None:
    error = _raised(validate_sms, message)
    assert error is None or error.reason in (
        ErrorReason.SMS_LENGTH,
        ErrorReason.SMS_INVALID_CHARACTERS,
    )
