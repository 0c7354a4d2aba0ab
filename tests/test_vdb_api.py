"""The HA-free VdB client against the simulator over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.hosted_pbx.api.errors import (
    AuthError,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderUnavailable,
    QuotaExceeded,
)
from custom_components.hosted_pbx.api.models import CallDirection, ExtensionStatus
from custom_components.hosted_pbx.api.vdb import (
    VdbClient,
    parse_extensions,
    parse_live_call,
    parse_numbers,
    token_for,
)
from simulator.common import Fault
from simulator.vdb import VdbSimulator

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(session: aiohttp.ClientSession, vdb_sim: VdbSimulator) -> VdbClient:
    return VdbClient(
        session, username=vdb_sim.username, password=vdb_sim.password, base_url=vdb_sim.url
    )


async def test_token_is_amsterdam_hour() -> None:
    # 23:30 UTC on 30 June is 01:30 the next day in Amsterdam (summer time).
    utc = datetime(2026, 6, 30, 23, 30, tzinfo=ZoneInfo("UTC"))
    import hashlib

    expected = hashlib.md5(b"2026070101info@example.nl").hexdigest()
    assert token_for("info@example.nl", utc) == expected


async def test_reads(client: VdbClient, vdb_sim: VdbSimulator) -> None:
    extensions = await client.async_extensions()
    assert {ext.id: ext.name for ext in extensions.values()} == vdb_sim.extensions
    numbers = await client.async_numbers()
    assert {n: p.credit_available for n, p in numbers.items()} == {
        n: state.credit_available for n, state in vdb_sim.numbers.items()
    }
    queues = await client.async_queues()
    assert set(queues) == set(vdb_sim.queues)
    queue_id = next(iter(queues))
    assert queues[queue_id].extensions == tuple(vdb_sim.queues[queue_id].extensions)

    extension = next(iter(extensions))
    vdb_sim.set_live_call(extension, direction="out", state="Ringing", remote="31612345678")
    state = await client.async_live_call(extension)
    assert state.status is ExtensionStatus.DIALING
    assert state.direction is CallDirection.OUTBOUND
    assert state.remote_number == "31612345678"


async def test_cdrs(client: VdbClient, vdb_sim: VdbSimulator) -> None:
    extension = next(iter(vdb_sim.extensions))
    record = vdb_sim.add_cdr(extension, "31612345678", direction="in", seconds=42)
    today = datetime.now(AMSTERDAM).date()
    by_extension = await client.async_cdr_extension(extension, today)
    found = next(item for item in by_extension if item.uid == record.uid)
    assert found.duration == 42
    assert found.answered is True
    assert found.direction is CallDirection.INBOUND
    by_number = await client.async_cdr_number("+" + record.number, today)
    assert record.uid in {item.uid for item in by_number}
    assert await client.async_cdr_extension(extension, date(2001, 1, 1)) == []


async def test_calls_since_reads_both_days_around_midnight(
    client: VdbClient, vdb_sim: VdbSimulator, freezer: FrozenDateTimeFactory
) -> None:
    midnight = datetime(2026, 11, 24, tzinfo=AMSTERDAM)
    freezer.move_to(midnight + timedelta(seconds=20))
    ring = midnight - timedelta(seconds=30)  # rang 40 s across midnight, not answered
    late = vdb_sim.add_cdr("1201", "31612345678", seconds=40, answered=False, start=ring)
    vdb_sim.commands.clear()
    found = await client.async_calls_since("1201", midnight - timedelta(seconds=10))
    assert [(r.uid, r.answered, r.end) for r in found] == [(late.uid, False, late.end)]
    assert vdb_sim.commands == ["cdr_extension", "cdr_extension"]  # yesterday and today
    vdb_sim.commands.clear()
    assert await client.async_calls_since("1201", midnight + timedelta(seconds=15)) == []
    assert vdb_sim.commands == ["cdr_extension"]  # today only


@pytest.mark.parametrize(
    ("offset", "skew"),
    [
        (timedelta(minutes=59, seconds=50), 30),  # provider already in the next hour
        (timedelta(seconds=20), -60),  # provider still in the previous hour
    ],
)
async def test_hour_boundary_retries_with_neighbouring_hour(
    client: VdbClient,
    vdb_sim: VdbSimulator,
    freezer: FrozenDateTimeFactory,
    offset: timedelta,
    skew: float,
) -> None:
    freezer.move_to(datetime(2026, 11, 23, 10, 0, tzinfo=AMSTERDAM) + offset)
    vdb_sim.clock_skew = skew
    assert await client.async_extensions()
    assert vdb_sim.commands == ["extension_list", "extension_list"]


async def test_no_retry_away_from_the_boundary(
    session: aiohttp.ClientSession, vdb_sim: VdbSimulator
) -> None:
    client = VdbClient(session, username=vdb_sim.username, password="wrong", base_url=vdb_sim.url)
    with pytest.raises(AuthError) as err:
        await client.async_validate()
    assert "wrong" not in str(err.value)
    assert vdb_sim.commands == ["extension_list"]


async def test_quota_answer(client: VdbClient, vdb_sim: VdbSimulator) -> None:
    vdb_sim.fault = Fault.QUOTA
    with pytest.raises(QuotaExceeded) as err:
        await client.async_extensions()
    assert err.value.retry_after == 300


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.HTTP_500, ProviderUnavailable),
        (Fault.HTML, InvalidResponse),
        (Fault.TRUNCATED, InvalidResponse),
    ],
)
async def test_bad_answers(
    client: VdbClient, vdb_sim: VdbSimulator, fault: Fault, error: type[ProviderError]
) -> None:
    vdb_sim.fault = fault
    with pytest.raises(error) as err:
        await client.async_numbers()
    assert vdb_sim.password not in str(err.value)
    assert vdb_sim.username not in str(err.value)


async def test_timeout(
    client: VdbClient, vdb_sim: VdbSimulator, freezer: FrozenDateTimeFactory
) -> None:
    vdb_sim.fault = Fault.SLOW
    vdb_sim.slow_seconds = 60
    task = asyncio.create_task(client.async_numbers())
    while not vdb_sim.commands:  # noqa: ASYNC110 - the request reached the simulator
        await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=20))  # past the client's 15 s timeout
    with pytest.raises(ProviderUnavailable, match="did not answer in time"):
        await task
    freezer.tick(timedelta(seconds=60))  # let the simulator's slow handler finish


async def test_unknown_queue_is_refused(client: VdbClient) -> None:
    with pytest.raises(InvalidRequest, match="does not know queue 999") as info:
        await client.async_queue("999")
    assert info.value.reason == "unknown_queue"


def test_parsers_accept_the_documents_shapes() -> None:
    # The document's examples are single objects; a real server sends lists.
    extension = {"extension": "1234", "name": "Toestel 1"}
    number = {
        "number": "31201234567",
        "package": "VoIP Lijn Pakket Extra",
        "credit_limit": "50,00",
        "credit_available": "50.00",
    }
    # Parsed by the fields present, whichever command the rows came back from.
    mixed = [extension, number]
    assert list(parse_extensions(mixed)) == ["1234"]
    assert str(parse_numbers(mixed)["31201234567"].credit_limit) == "50.00"
    assert parse_live_call("1234", []).status is ExtensionStatus.IDLE
    assert parse_live_call("1234", [{"status": "No active calls"}]).status is ExtensionStatus.IDLE
    inbound = parse_live_call(
        "1234",
        [
            {
                "extension": "1234",
                "duration": "60",
                "direction": "in",
                "state": "Ringing",
                "call_to": "",
                "caller_nr": "0612345678",
            }
        ],
    )
    assert inbound.status is ExtensionStatus.RINGING
    assert inbound.remote_number == "0612345678"
    assert parse_live_call("1", [{"state": "Up", "direction": "x"}]).status is (
        ExtensionStatus.IN_CALL
    )
    assert parse_live_call("1", [{"state": "Hold"}]).status is ExtensionStatus.IN_CALL


@pytest.mark.parametrize("state", ["Exploded", "", None, 12])
def test_unknown_channel_state_is_unknown(state: object) -> None:
    parsed = parse_live_call("1", [{"state": state, "direction": "in"}])
    assert parsed.status is None


def test_negative_duration_and_huge_number_are_bounded() -> None:
    parsed = parse_live_call(
        "1", [{"state": "Up", "direction": "in", "duration": "-30", "caller_nr": "3" * 20_000_000}]
    )
    assert parsed.duration == 0
    assert parsed.remote_number is not None
    assert len(parsed.remote_number) <= 255


@pytest.mark.parametrize("body", ['[{"extension": 1e999}]', '[{"a": Infinity}]', "[" * 5000])
def test_out_of_range_and_deep_json_are_typed_errors(body: str) -> None:
    from custom_components.hosted_pbx.api.http import parse_json

    with pytest.raises(InvalidResponse):
        parse_json(body)
