"""The VOIPZeker Unite client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import json
import time
from typing import Any

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.hosted_pbx.api import ClickToCall, HasSwitches, SendsSms, voipzeker
from custom_components.hosted_pbx.api.errors import (
    AuthError,
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
    CallDirection,
    ExtensionStatus,
    Freshness,
    Read,
    SwitchKind,
)
from custom_components.hosted_pbx.api.voipzeker import (
    CallEvent,
    CallOutcomes,
    VoipzekerClient,
    async_provision,
    parse_webhook_event,
    webhook_template,
)
from simulator.common import Fault, SimulatorServer
from simulator.voipzeker import API_PATH, VoipzekerSimulator, build_demo

LIVE = Read("statuses", "all", Freshness.LIVE)


@dataclass
class Env:
    """A running simulator, its URL and a client session."""

    sim: VoipzekerSimulator
    url: str
    session: aiohttp.ClientSession
    errors: list[BaseException] = field(default_factory=list)

    async def client(self, **kwargs: Any) -> VoipzekerClient:
        token = await async_provision(self.session, self.sim.invitation_id, self.url)
        client = VoipzekerClient(self.session, login_token=token, base_url=self.url, **kwargs)
        await client.async_validate()
        return client

    def ext(self, index: int) -> str:
        return str(self.sim.extensions[index]["id"])

    def clean(self, err: BaseException) -> BaseException:
        """Assert no invitation or token is in the error (or its cause); return it."""
        texts = [str(err), repr(err), str(err.__cause__ or ""), repr(err.__cause__ or "")]
        for secret in self.sim.issued_secrets:
            assert all(secret not in text for text in texts), f"secret leaked in {err!r}"
        return err


type MakeEnv = Callable[..., Awaitable[Env]]


@pytest.fixture
async def make_env(socket_enabled: None) -> AsyncIterator[MakeEnv]:
    servers: list[SimulatorServer] = []
    session = aiohttp.ClientSession()

    async def _make(**kwargs: Any) -> Env:
        sim = VoipzekerSimulator(**{"extensions": 5, "switches": 3, **kwargs})
        server = SimulatorServer(sim.app, API_PATH)
        servers.append(server)
        return Env(sim, await server.start(), session)

    yield _make
    await session.close()
    for server in servers:
        await server.stop()


@pytest.fixture
async def env(make_env: MakeEnv) -> Env:
    return await make_env()


async def loaded(env: Env, **kwargs: Any) -> tuple[VoipzekerClient, AccountData]:
    client = await env.client(**kwargs)
    return client, (await client.async_load_structure(AccountData())).data


# --- provisioning -------------------------------------------------------------------------


async def test_provision_gives_a_login_token_that_logs_in(env: Env) -> None:
    token = await async_provision(env.session, env.sim.invitation_id, env.url)
    assert token in env.sim.login_tokens
    client = VoipzekerClient(env.session, login_token=token, base_url=env.url)
    await client.async_validate()
    assert client.account_id == env.sim.tenant == "1234"
    assert env.sim.requests["appprovision"] == 1
    assert env.sim.requests["applogin"] == 1


async def test_provision_accepts_lower_case_and_spaces(env: Env) -> None:
    token = await async_provision(env.session, f" {env.sim.invitation_id.lower()} ", env.url)
    assert token in env.sim.login_tokens


async def test_invitation_is_single_use(env: Env) -> None:
    invitation = env.sim.invitation_id
    await async_provision(env.session, invitation, env.url)
    with pytest.raises(AuthError) as info:
        await async_provision(env.session, invitation, env.url)
    env.clean(info.value)
    assert invitation not in str(info.value)
    # Re-enabling the template in the portal gives a new id that works.
    assert await async_provision(env.session, env.sim.issue_invitation(), env.url)


async def test_unknown_invitation_is_refused(env: Env) -> None:
    with pytest.raises(AuthError) as info:
        await async_provision(env.session, "ZZZZ99", env.url)
    env.clean(info.value)
    assert "ZZZZ99" not in str(info.value)


@pytest.mark.parametrize("invitation", ["", "ABC12", "ABC1234", "ABC-12", "ÄBC123", "AB 123"])
async def test_invitation_format_checked_before_any_request(env: Env, invitation: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        await async_provision(env.session, invitation, env.url)
    assert info.value.reason == "invalid_invitation"
    assert env.sim.quota.total == 0


async def test_provision_answer_without_token(env: Env) -> None:
    env.sim._provision = lambda form: web.json_response({"status": True, "data": {}})  # type: ignore[method-assign]
    with pytest.raises(InvalidResponse):
        await async_provision(env.session, env.sim.invitation_id, env.url)


async def test_provision_http_errors(env: Env) -> None:
    env.sim.force_http_status = 401
    with pytest.raises(AuthError) as info:
        await async_provision(env.session, env.sim.invitation_id, env.url)
    env.clean(info.value)
    env.sim.force_http_status = 400
    with pytest.raises(AuthError):
        await async_provision(env.session, env.sim.invitation_id, env.url)


# --- access token -------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [29, 31])
async def test_token_renewed_before_expiry(
    env: Env, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    client, data = await loaded(env)
    freezer.tick(timedelta(minutes=minutes))
    data = await client.async_read(LIVE, data)
    assert len(data.extension_states) == 5
    assert env.sim.requests["applogin"] == 2
    assert env.sim.token_rejections == 0


@pytest.mark.parametrize(
    ("poke", "code"),
    [(VoipzekerSimulator.expire_access_tokens, 90), (VoipzekerSimulator.forget_access_tokens, 21)],
)
async def test_rejected_token_renewed_and_request_retried(
    env: Env, poke: Callable[[VoipzekerSimulator], None], code: int
) -> None:
    client, data = await loaded(env)
    env.sim.set_status(env.ext(0), 3)
    poke(env.sim)
    data = await client.async_read(LIVE, data)
    assert data.extension_states[env.ext(0)].status is ExtensionStatus.RINGING
    assert env.sim.token_rejections == 1
    assert env.sim.requests["applogin"] == 2


async def test_concurrent_requests_share_one_renewal(env: Env) -> None:
    client, data = await loaded(env)
    env.sim.expire_access_tokens()
    await asyncio.gather(*(client.async_read(LIVE, data) for _ in range(3)))
    assert env.sim.requests["applogin"] == 2


async def test_polling_across_expiries_never_rejected(
    env: Env, freezer: FrozenDateTimeFactory
) -> None:
    client, data = await loaded(env)
    for _ in range(65 * 3):  # 65 minutes, every 20 seconds
        freezer.tick(timedelta(seconds=20))
        data = await client.async_read(LIVE, data)
    assert env.sim.token_rejections == 0
    assert env.sim.quota.violations == 0
    assert env.sim.requests["applogin"] == 3  # at 0, 28 and 56 minutes


async def test_refused_renewal_is_an_auth_error(env: Env) -> None:
    client, data = await loaded(env)
    env.sim.revoke_login_tokens()
    env.sim.expire_access_tokens()
    with pytest.raises(AuthError) as info:
        await client.async_read(LIVE, data)
    env.clean(info.value)


async def test_token_refused_after_renewal_is_an_auth_error(env: Env) -> None:
    client, data = await loaded(env)
    env.sim._check_token = lambda token: web.json_response(  # type: ignore[method-assign]
        {"status": False, "errorCode": 90, "message": "Access token value renew"}
    )
    with pytest.raises(AuthError) as info:
        await client.async_read(LIVE, data)
    assert not isinstance(info.value, voipzeker._TokenRejected)
    env.clean(info.value)


async def test_login_refused_without_error_code(env: Env) -> None:
    token = await async_provision(env.session, env.sim.invitation_id, env.url)
    env.sim._login = lambda form: web.json_response({"status": False, "message": "No"})  # type: ignore[method-assign]
    client = VoipzekerClient(env.session, login_token=token, base_url=env.url)
    with pytest.raises(AuthError) as info:
        await client.async_validate()
    env.clean(info.value)


async def test_rows_without_ids_skipped(env: Env) -> None:
    client = await env.client()
    extension = {k: v for k, v in env.sim.extensions[0].items() if k != "id"}
    env.sim._handlers["listextensions"] = lambda form: web.json_response(
        {"status": True, "data": {"pagecount": 1, "items": [extension]}}
    )
    env.sim._handlers["listswitches"] = lambda form: web.json_response(
        {"status": True, "data": [{"name": "no number", "state": True}]}
    )
    data = (await client.async_load_structure(AccountData())).data
    assert data.extensions == {}
    assert data.switches == {}


async def test_login_answer_without_token(env: Env) -> None:
    token = await async_provision(env.session, env.sim.invitation_id, env.url)
    env.sim._login = lambda form: web.json_response({"status": True, "data": {}})  # type: ignore[method-assign]
    client = VoipzekerClient(env.session, login_token=token, base_url=env.url)
    with pytest.raises(InvalidResponse):
        await client.async_validate()


# --- structure and reads ------------------------------------------------------------------


async def test_account_id_needs_validation(env: Env) -> None:
    client = VoipzekerClient(env.session, login_token="x", base_url=env.url)
    with pytest.raises(RuntimeError):
        _ = client.account_id


async def test_tenant_from_switches_when_usernames_have_no_prefix(make_env: MakeEnv) -> None:
    env = await make_env()
    for ext in env.sim.extensions:
        ext["username"] = ext["extno_format"]
    client = await env.client()
    assert client.account_id == env.sim.tenant_id


async def test_tenant_unknown_is_invalid(make_env: MakeEnv) -> None:
    env = await make_env(extensions=0, switches=0)
    with pytest.raises(InvalidResponse):
        await env.client()


async def test_load_structure_reads_every_page(make_env: MakeEnv) -> None:
    env = await make_env(extensions=25, switches=7)
    client = await env.client()
    client.page_limit = 10
    before = env.sim.requests["listextensions"]
    loaded = await client.async_load_structure(AccountData())
    data = loaded.data
    assert {read.key for read in loaded.covered} == {"extensions:extensions", "switches:switches"}
    assert env.sim.requests["listextensions"] - before == 3
    assert env.sim.requests["listswitches"] == 1
    assert set(data.extensions) == {ext["id"] for ext in env.sim.extensions}
    assert data.extensions[env.ext(0)].name == "0200 Receptie"
    assert {s.id for s in data.switches.values() if s.kind is SwitchKind.SWITCH} == {
        str(n) for n in range(1, 8)
    }
    costs = {read.key: read.cost for read in client.plan_reads(data)}
    assert costs["extensions:extensions"] == 3
    assert costs["statuses:all"] == 1
    # No DND state is read at load (it must fit the polling share): one planned read
    # takes them in turn.
    dnd = [s for s in data.switches.values() if s.kind is SwitchKind.DO_NOT_DISTURB]
    assert dnd == []
    assert costs["dnd:dnd"] == 1
    assert not any(key.startswith("dnd:dnd_") for key in costs)
    assert costs["cdr:calls_today"] == 2
    assert env.sim.quota.violations == 0


async def test_paging_stops_without_page_count(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    client = await env.client()
    monkeypatch.setattr(voipzeker, "MAX_PAGES", 3)
    full_page = [{"switch_no": str(n), "switchkey": f"k{n}", "state": "1"} for n in (1, 2)]
    env.sim._handlers["listswitches"] = lambda form: web.json_response(
        {"status": True, "data": full_page}
    )
    client.page_limit = 2
    switches = await client.async_switches()
    assert env.sim.requests["listswitches"] == 3
    assert set(switches) == {"1", "2"}
    client.page_limit = 5  # a short page is the last one
    await client.async_switches()
    assert env.sim.requests["listswitches"] == 4


async def test_no_sip_password_in_data(env: Env) -> None:
    client, data = await loaded(env)
    passwords = [ext["password"] for ext in env.sim.extensions]
    assert all(password not in repr(data) for password in passwords)
    assert all(password not in repr(client.__dict__) for password in passwords)


async def test_load_structure_costs_login_and_lists_only(env: Env) -> None:
    sent = 0

    def gate() -> None:
        nonlocal sent
        sent += 1

    token = await async_provision(env.session, env.sim.invitation_id, env.url)
    client = VoipzekerClient(env.session, login_token=token, base_url=env.url, gate=gate)
    data = (await client.async_load_structure(AccountData())).data
    assert sent == 3  # login, extensions, switches: setup stays within the polling share
    assert len(data.extensions) == 5
    assert client.account_id == "1234"


async def test_load_structure_keeps_known_dnd(env: Env) -> None:
    client, data = await loaded(env)
    before = env.sim.requests["getextensionproperties"]
    await client.async_load_structure(data)
    assert env.sim.requests["getextensionproperties"] == before


@pytest.mark.parametrize(
    ("code", "status", "direction"),
    [
        (0, ExtensionStatus.NEVER_REGISTERED, None),
        (1, ExtensionStatus.IDLE, None),
        (2, ExtensionStatus.OFFLINE, None),
        (3, ExtensionStatus.RINGING, CallDirection.INBOUND),
        (4, ExtensionStatus.DIALING, CallDirection.OUTBOUND),
        (5, ExtensionStatus.IN_CALL, CallDirection.OUTBOUND),
        (6, ExtensionStatus.IN_CALL, CallDirection.INBOUND),
    ],
)
async def test_status_mapping(
    env: Env, code: int, status: ExtensionStatus, direction: CallDirection | None
) -> None:
    client, data = await loaded(env)
    env.sim.set_status(env.ext(2), code)
    data = await client.async_read(LIVE, data)
    state = data.extension_states[env.ext(2)]
    assert (state.status, state.direction) == (status, direction)
    assert data.extension_states[env.ext(0)].status is ExtensionStatus.IDLE


async def test_all_statuses_in_one_request(env: Env) -> None:
    client, data = await loaded(env)
    before = env.sim.requests["listextensionsstatus"]
    await client.async_read(LIVE, data)
    assert env.sim.requests["listextensionsstatus"] - before == 1


async def test_statuses_in_chunks(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    client, data = await loaded(env)
    monkeypatch.setattr(voipzeker, "STATUS_CHUNK", 2)
    assert client.plan_reads(data)[0].cost == 3
    data = await client.async_read(LIVE, data)
    assert len(data.extension_states) == 5
    assert env.sim.requests["listextensionsstatus"] == 3


async def test_many_extensions_stay_under_the_size_cap(make_env: MakeEnv) -> None:
    env = await make_env(extensions=450, switches=0)
    client = await env.client()
    client.page_limit = 300
    data = (await client.async_load_structure(AccountData())).data
    data = await client.async_read(LIVE, data)
    assert len(data.extension_states) == 450
    assert env.sim.requests["listextensionsstatus"] == 3


async def test_no_extensions_no_status_request(env: Env) -> None:
    client = await env.client()
    data = await client.async_read(LIVE, AccountData())
    assert data.extension_states == {}
    assert env.sim.requests["listextensionsstatus"] == 0


async def test_switch_and_dnd_reads(env: Env) -> None:
    client, data = await loaded(env)
    env.sim.switch("1")["state"] = False
    env.sim.dnd[env.ext(4)] = True
    data = await client.async_read(Read("switches", "switches", Freshness.FREQUENT), data)
    assert data.switches["1"].is_on is False
    data = await client.async_read(Read("dnd", f"dnd_{env.ext(4)}", Freshness.FREQUENT), data)
    dnd = data.switches[f"dnd_{env.ext(4)}"]
    assert (dnd.is_on, dnd.extension_id, dnd.name) == (True, env.ext(4), "0204 Directie")
    # A later switch listing keeps the DND states read so far.
    data = await client.async_read(Read("switches", "switches", Freshness.FREQUENT), data)
    assert data.switches[f"dnd_{env.ext(4)}"].kind is SwitchKind.DO_NOT_DISTURB


async def test_dnd_rotation_reads_unread_first_then_in_turn(env: Env) -> None:
    client, data = await loaded(env)
    rotation = Read("dnd", "dnd", Freshness.FREQUENT)
    extensions = list(data.extensions)
    env.sim.dnd[extensions[0]] = True
    for _ in extensions:  # nothing read at load: every extension in order
        data = await client.async_read(rotation, data)
    assert {f"dnd_{ext}" for ext in extensions} <= set(data.switches)
    assert data.switches[f"dnd_{extensions[0]}"].is_on is True
    data = replace(
        data, switches={k: s for k, s in data.switches.items() if k != f"dnd_{extensions[3]}"}
    )
    env.sim.dnd[extensions[3]] = True
    data = await client.async_read(rotation, data)  # the unread one goes first
    assert data.switches[f"dnd_{extensions[3]}"].is_on is True
    before = env.sim.requests["getextensionproperties"]
    for _ in extensions:
        data = await client.async_read(rotation, data)
    assert env.sim.requests["getextensionproperties"] - before == len(extensions)
    assert "dnd:dnd" not in {read.key for read in client.plan_reads(AccountData())}


async def test_structure_read_drops_removed_extensions(env: Env) -> None:
    client, data = await loaded(env)
    data = await client.async_read(LIVE, data)
    gone = env.sim.extensions.pop(0)["id"]
    data = await client.async_read(Read("extensions", "extensions", Freshness.STRUCTURE), data)
    assert gone not in data.extensions
    assert gone not in data.extension_states
    assert f"dnd_{gone}" not in data.switches
    assert "1" in data.switches


async def test_unknown_read(env: Env) -> None:
    client, data = await loaded(env)
    with pytest.raises(InvalidRequest):
        await client.async_read(Read("queue", "q", Freshness.FREQUENT), data)


async def test_undocumented_status_code_gives_no_state(env: Env) -> None:
    client, data = await loaded(env)
    env.sim.statuses[env.ext(1)] = 9
    data = await client.async_read(LIVE, data)
    assert env.ext(1) not in data.extension_states


# --- switches -----------------------------------------------------------------------------


async def test_switch_toggled(env: Env) -> None:
    client, _ = await loaded(env)
    assert env.sim.switch("2")["state"] is False
    switch = await client.async_set_switch("2", True)
    assert env.sim.switch("2")["state"] is True
    assert (switch.id, switch.name, switch.is_on) == ("2", "Vakantie", True)
    switch = await client.async_set_switch("2", False)
    assert env.sim.switch("2")["state"] is False
    assert switch.is_on is False


async def test_switch_toggled_without_loaded_structure(env: Env) -> None:
    client = await env.client()
    switch = await client.async_set_switch("1", False)
    assert switch.is_on is False
    assert env.sim.switch("1")["state"] is False


async def test_dnd_toggled(env: Env) -> None:
    client, _ = await loaded(env)
    switch = await client.async_set_switch(f"dnd_{env.ext(1)}", True)
    assert env.sim.dnd[env.ext(1)] is True
    assert switch.is_on is True
    assert switch.kind is SwitchKind.DO_NOT_DISTURB
    assert switch.extension_id == env.ext(1)
    switch = await client.async_set_switch(f"dnd_{env.ext(1)}", False)
    assert env.sim.dnd[env.ext(1)] is False
    assert switch.is_on is False


async def test_refused_switch_raises_and_keeps_state(env: Env) -> None:
    client, _ = await loaded(env)
    env.sim.refuse_switch("1")
    with pytest.raises(InvalidRequest) as info:
        await client.async_set_switch("1", False)
    assert info.value.reason == "refused"
    assert "could not be updated" in str(info.value)
    assert env.sim.switch("1")["state"] is True
    env.clean(info.value)


async def test_unknown_switch_and_extension(env: Env) -> None:
    client, _ = await loaded(env)
    with pytest.raises(InvalidRequest) as info:
        await client.async_set_switch("99", True)
    assert info.value.reason == "unknown_switch"
    with pytest.raises(InvalidRequest) as info:
        await client.async_set_switch("dnd_R000", True)
    assert info.value.reason == "refused"


# --- actions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("06 1234 5678", "31612345678"), ("+32 470 12 34 56", "32470123456")],
)
async def test_click_to_call_recorded(env: Env, typed: str, sent: str) -> None:
    client, _ = await loaded(env)
    result = await client.async_click_to_call(env.ext(3), typed)
    assert env.sim.calls == [{"username": "1234*0203", "call_number": sent}]
    assert result.status == "Operation Successful."
    assert result.as_dict()["extension"] == "1234*0203"


async def test_click_to_call_reloads_unknown_extension(env: Env) -> None:
    client = await env.client()
    await client.async_click_to_call(env.ext(0), "0201234567")
    assert env.sim.calls == [{"username": "1234*0200", "call_number": "31201234567"}]
    with pytest.raises(InvalidRequest) as info:
        await client.async_click_to_call("R000", "0201234567")
    assert info.value.reason == "unknown_extension"
    assert len(env.sim.calls) == 1


async def test_click_to_call_bad_number_sends_nothing(env: Env) -> None:
    client, _ = await loaded(env)
    before = env.sim.quota.total
    with pytest.raises(InvalidRequest) as info:
        await client.async_click_to_call(env.ext(0), "12")
    assert info.value.reason == "invalid_number"
    assert env.sim.quota.total == before


async def test_sms_not_supported(env: Env) -> None:
    client = VoipzekerClient(env.session, login_token="x", base_url=env.url)
    # The Unite API has no text messages: the client does not claim the capability.
    assert not isinstance(client, SendsSms)
    assert isinstance(client, ClickToCall)
    assert isinstance(client, HasSwitches)
    assert VoipzekerClient.key == "voipzeker"
    assert VoipzekerClient.quota.limit == 30


async def test_calls_today(env: Env) -> None:
    env.sim.cdr.clear()
    now = datetime.now(voipzeker.PROVIDER_TZ).replace(tzinfo=None)
    ext = env.ext(0)
    for answered in (True, True, False):
        env.sim.add_cdr(ext, direction="in", answered=answered)
    env.sim.add_cdr(ext, direction="in", answered=False, internal=True)
    env.sim.add_cdr(ext, direction="out", answered=True)
    env.sim.add_cdr(ext, direction="in", answered=False, when=now - timedelta(days=1))
    client = await env.client()
    assert await client.async_calls_today() == (2, 2)
    assert env.sim.requests["listcdrlogs"] == 2


async def test_calls_today_without_item_count(env: Env) -> None:
    client = await env.client()
    answers = iter(
        [
            {"status": True, "pagination": {"pagecount": "4"}, "data": [{}]},
            {"status": True, "data": []},
        ]
    )
    env.sim._handlers["listcdrlogs"] = lambda form: web.json_response(next(answers))
    assert await client.async_calls_today() == (4, 0)


async def test_webhook_set_and_fired(env: Env) -> None:
    received: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(dict(request.query))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/api/webhook/abc", hook)
    receiver = SimulatorServer(app, "/api/webhook/abc")
    url = await receiver.start()
    try:
        client, _ = await loaded(env)
        await client.async_set_webhook(webhook_template(url))
        assert env.sim.webhook_url == webhook_template(url)
        status = await env.sim.fire_webhook(
            env.session, callfrom="+31612345678", status_desc="CONNECTED"
        )
        assert status == 200
    finally:
        await receiver.stop()
    event = parse_webhook_event(received[0], client.webhook_numbers)
    assert isinstance(event, CallEvent)
    assert event.to_number == "1234*0200"
    assert event.from_number == "+31612345678"
    assert (event.status_desc, event.status, event.direction) == (
        "CONNECTED",
        6,
        CallDirection.INBOUND,
    )
    assert event.status_desc == "CONNECTED"


async def test_webhook_cleared_and_checked(env: Env) -> None:
    client = await env.client()
    await client.async_set_webhook("")
    assert env.sim.webhook_url is None
    with pytest.raises(InvalidRequest) as info:
        await client.async_set_webhook("ftp://example.nl/{callfrom}")
    assert info.value.reason == "invalid_url"
    with pytest.raises(RuntimeError):
        await env.sim.fire_webhook(env.session)


# --- phonebook ----------------------------------------------------------------------------

PHONEBOOK = Read("phonebook", "phonebook", Freshness.SLOW)


async def test_phonebook_names_callers_by_number(env: Env) -> None:
    client, data = await loaded(env)
    planned = {read.key: read for read in client.plan_reads(data)}
    assert planned["phonebook:phonebook"].freshness is Freshness.SLOW
    data = await client.async_read(planned["phonebook:phonebook"], data)
    assert env.sim.requests["listphonebookitems"] == 1
    assert data.contacts == {
        "+31612345678": "Jan de Vries",
        "+31201234567": "Loodgietersbedrijf Smit",
        "+31651234987": "Fatima El Amrani",  # a person's name before the company's
        "+31880660550": "VOIPZeker",
    }
    planned = {read.key: read for read in client.plan_reads(data)}
    assert planned["phonebook:phonebook"].cost == 1


async def test_phonebook_pages_are_read_and_bounded(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(25):
        env.sim.add_contact(f"Klant {n}", number=f"3161000{n:04d}")
    client, data = await loaded(env)
    client.phonebook_page_limit = 10
    data = await client.async_read(PHONEBOOK, data)
    assert env.sim.requests["listphonebookitems"] == 3  # 29 items, 10 a page
    assert len(data.contacts) == 29
    assert data.contacts["+31610000024"] == "Klant 24"
    assert {r.key: r.cost for r in client.plan_reads(data)}["phonebook:phonebook"] == 3
    monkeypatch.setattr(voipzeker, "MAX_CONTACTS", 15)
    data = await client.async_read(PHONEBOOK, data)
    assert env.sim.requests["listphonebookitems"] == 5  # two pages hold the 15 kept
    assert len(data.contacts) == 15


async def test_phonebook_refused_is_a_permission(env: Env) -> None:
    client, data = await loaded(env)
    env.sim.phonebook_refused = True
    with pytest.raises(PermissionDenied):
        await client.async_read(PHONEBOOK, data)


# The document's example as written: "itemcount" twice, a company without a person's name.
DOCUMENT_EXAMPLE = """{"status": true, "errorCode": 0, "message": "Operation Successful.",
 "pagination": {"itemcount": "34", "itemcount": "1"},
 "data": [{"id": "P310000057392932520045", "extensionid": "0", "name": "", "lastname": "",
  "companyname": "VOIPZeker", "phonenumbertype": "0", "phonenumber": "31880660550",
  "phonenumber_formats": {"CountryID": "NL", "CountryCode": 31, "National": "088 066 0550",
   "International": "+31 88 066 0550", "E164": "+31880660550", "ITU": "31880660550"},
  "phonenumber_formatted": "088 066 0550"}]}"""


@pytest.mark.parametrize(
    ("answer", "contacts"),
    [
        (DOCUMENT_EXAMPLE, {"+31880660550": "VOIPZeker"}),
        ('{"status": true, "data": []}', {}),
        ('{"status": true}', {}),
        ('{"status": true, "data": {"items": []}}', {}),
        (
            json.dumps(
                {
                    "status": True,
                    "data": {
                        "items": [
                            # numbers as a JSON number, a list, national, and objects
                            {"name": "Jan", "lastname": "de Vries", "phonenumber": 31612345678},
                            {"companyname": "Smit", "phonenumber": ["020 123 4567", "0201"]},
                            {"name": "Piet", "phonenumber": [{"phonenumber": "+32 470 12 34 56"}]},
                            # nothing to show or to look up: left out
                            {"name": "", "lastname": "", "phonenumber": "0612345670"},
                            {"name": "Geen nummer", "phonenumber": "nee"},
                            {"name": ["not", "text"], "phonenumber": "0612345671"},
                            {"name": "Tab\tand\nnewline " + "x" * 200, "phonenumber": "112"},
                            "not a row",
                        ]
                    },
                }
            ),
            {
                "+31612345678": "Jan de Vries",
                "+31201234567": "Smit",
                "0201": "Smit",
                "+32470123456": "Piet",
                "112": ("Tab and newline " + "x" * 200)[: voipzeker.MAX_NAME],
            },
        ),
    ],
)
async def test_phonebook_tolerates_the_documents_looseness(
    env: Env, answer: str, contacts: dict[str, str]
) -> None:
    client, data = await loaded(env)
    env.sim._handlers["listphonebookitems"] = lambda form: web.Response(
        text=answer, content_type="application/json"
    )
    data = await client.async_read(PHONEBOOK, data)
    assert data.contacts == contacts


@pytest.mark.parametrize("rows", ['"a phonebook"', '{"items": "none"}', "42"])
async def test_phonebook_of_another_shape_is_invalid(env: Env, rows: str) -> None:
    client, data = await loaded(env)
    env.sim._handlers["listphonebookitems"] = lambda form: web.Response(
        text=f'{{"status": true, "data": {rows}}}', content_type="application/json"
    )
    with pytest.raises(InvalidResponse):
        await client.async_read(PHONEBOOK, data)


# --- errors -------------------------------------------------------------------------------


async def test_quota_retry_after_next_minute(env: Env, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to("2025-06-02 10:00:45+00:00")
    client, data = await loaded(env)
    while env.sim.quota.hit():
        pass
    with pytest.raises(QuotaExceeded) as info:
        await client.async_read(LIVE, data)
    assert info.value.retry_after == pytest.approx(15)
    env.clean(info.value)
    freezer.tick(timedelta(seconds=61))
    await client.async_read(LIVE, data)


async def test_quota_fault(env: Env, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to("2025-06-02 10:00:01+00:00")
    client, data = await loaded(env)
    env.sim.fault = Fault.QUOTA
    with pytest.raises(QuotaExceeded) as info:
        await client.async_read(LIVE, data)
    assert info.value.retry_after == pytest.approx(59)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.HTTP_500, ProviderUnavailable),
        (Fault.HTML, InvalidResponse),
        (Fault.TRUNCATED, InvalidResponse),
    ],
)
async def test_bad_answers(env: Env, fault: Fault, error: type[ProviderError]) -> None:
    client, data = await loaded(env)
    env.sim.fault = fault
    with pytest.raises(error) as info:
        await client.async_read(LIVE, data)
    env.clean(info.value)


async def test_timeout(env: Env, freezer: FrozenDateTimeFactory) -> None:
    client, data = await loaded(env)
    env.sim.fault = Fault.SLOW
    env.sim.slow_seconds = 30
    task = asyncio.create_task(client.async_read(LIVE, data))
    for _ in range(10_000):  # time is frozen: wait until the simulator holds the request
        if env.sim.requests["listextensionsstatus"]:
            break
        await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=31))  # past the client's 15 s and the simulator's 30 s
    with pytest.raises(ProviderUnavailable) as info:
        await task
    env.clean(info.value)


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (401, AuthError, "auth"),
        # The document: 403 is "for administrators only", which a new invitation cannot fix.
        (403, PermissionDenied, "permission"),
        (400, InvalidRequest, "invalid_request"),
        (413, InvalidRequest, "payload_too_large"),
        (404, InvalidResponse, "invalid_response"),
    ],
)
async def test_http_errors(
    env: Env, status: int, error: type[ProviderError], reason: str | None
) -> None:
    client, data = await loaded(env)
    env.sim.force_http_status = status
    with pytest.raises(error) as info:
        await client.async_read(LIVE, data)
    assert getattr(info.value, "reason", None) == reason
    env.clean(info.value)


async def test_oversized_request_refused(env: Env) -> None:
    client = await env.client()
    with pytest.raises(InvalidRequest) as info:
        await client.async_set_webhook("https://example.nl/" + "x" * 21_000)
    assert info.value.reason == "payload_too_large"


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        (None, InvalidRequest, "refused"),
        (0, InvalidRequest, "refused"),
        (1, PermissionDenied, "not_allowed"),
        (100, AuthError, "auth"),
        (107, AuthError, "auth"),
    ],
)
async def test_status_false_is_an_error(
    env: Env, code: int | None, error: type[ProviderError], reason: str | None
) -> None:
    client, data = await loaded(env)
    token = next(iter(env.sim.access_tokens))
    env.sim.force_error = (code, f"Something is wrong with {token} for you")
    with pytest.raises(error) as info:
        await client.async_read(LIVE, data)
    assert getattr(info.value, "reason", None) == reason
    assert "Something is wrong with *** for you" in str(info.value)
    env.clean(info.value)


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (HttpResponse(200, '["not", "an", "envelope"]'), InvalidResponse),
        (HttpResponse(200, '{"data": []}'), InvalidResponse),
        (HttpResponse(200, '{"status": "0", "message": "no"}'), InvalidRequest),
        (HttpResponse(302, ""), InvalidResponse),
        (HttpResponse(401, "Unauthorized"), AuthError),
        (HttpResponse(200, '{"status": false, "errorCode": "90"}'), AuthError),
    ],
)
def test_check_answers(response: HttpResponse, error: type[ProviderError]) -> None:
    with pytest.raises(error):
        voipzeker._check(response, ["secret"])


def test_check_redacts_without_known_secrets() -> None:
    token = "A" * 30
    with pytest.raises(InvalidRequest) as info:
        voipzeker._check(HttpResponse(200, f'{{"status": false, "message": "bad {token}"}}'), [""])
    assert token not in str(info.value)


def test_check_accepts_php_style_true() -> None:
    body = voipzeker._check(HttpResponse(200, '{"status": "1", "data": {"a": 1}}'), [])
    assert body["data"] == {"a": 1}


def test_status_items_tolerates_rows() -> None:
    body = {"data": {"items": [{"id": "A", "status": "3"}, {"extensionid": "B", "regstatus": 2}]}}
    assert voipzeker._status_items(body) == {"A": 3, "B": 2}
    with pytest.raises(InvalidResponse):
        voipzeker._status_items({"data": {"items": "x"}})
    with pytest.raises(InvalidResponse):
        voipzeker._status_items({"data": []})
    with pytest.raises(InvalidResponse):
        voipzeker._page({"data": {"items": "x"}})


async def test_bad_properties_shape(env: Env) -> None:
    client, _ = await loaded(env)
    env.sim._handlers["getextensionproperties"] = lambda form: web.json_response(
        {"status": True, "data": {"extensionproperties": ["x"]}}
    )
    with pytest.raises(InvalidResponse):
        await client.async_dnd(env.ext(0))


# --- webhook events -----------------------------------------------------------------------

NOW = 1_750_000_000.0
KNOWN = {"1234*0200", "0200", "31880660550"}


def event(**changes: str) -> dict[str, str]:
    fields = {
        "calluniqueid": "195.200.82.130_90f7e83d-1348-4644-b112-71d4b286fe7f",
        "callfrom": "31612345678",
        "callto": "1234*0200",
        "status": "3",
        "status_desc": "INCOMING_RINGING",
        "direction": "in",
        "timestamp": str(int(NOW) - 5),
    }
    return {key: value for key, value in {**fields, **changes}.items() if value != "-"}


def test_webhook_event_parsed() -> None:
    parsed = parse_webhook_event(event(), KNOWN, now=NOW)
    assert parsed == CallEvent(
        "195.200.82.130_90f7e83d-1348-4644-b112-71d4b286fe7f",
        "31612345678",
        "1234*0200",
        3,
        "INCOMING_RINGING",
        CallDirection.INBOUND,
        datetime.fromtimestamp(int(NOW) - 5, UTC),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"callfrom": "+31880660550", "callto": "0031612345678", "direction": "OUT"},
        {"callfrom": "anonymous"},
        {"callfrom": ""},
        {"status_desc": "connected", "status": "6"},
        {"timestamp": str(int(NOW * 1000))},
    ],
)
def test_webhook_event_variants_accepted(changes: dict[str, str]) -> None:
    assert parse_webhook_event(event(**changes), KNOWN, now=NOW) is not None


def test_webhook_event_extra_fields_ignored() -> None:
    assert parse_webhook_event({**event(), "extra": "1"}, KNOWN, now=NOW) is not None


def test_webhook_event_short_names_accepted() -> None:
    short = {
        "id": "abc",
        "from": "31612345678",
        "to": "0200",
        "status": "1",
        "desc": "DISCONNECTED",
        "dir": "in",
        "ts": str(int(NOW)),
    }
    assert parse_webhook_event(short, KNOWN, now=NOW) is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"callto": "1234*0999"},
        {"callfrom": "<script>"},
        {"callto": "-"},
        {"calluniqueid": "a b"},
        {"calluniqueid": ""},
        {"status_desc": "ON_HOLD"},
        {"status": "x"},
        {"status": "12345"},
        {"direction": "sideways"},
        {"timestamp": str(int(NOW) - 2 * 86400)},
        {"timestamp": str(int(NOW) + 2 * 86400)},
        {"timestamp": "yesterday"},
    ],
)
def test_webhook_event_rejected(changes: dict[str, str]) -> None:
    assert parse_webhook_event(event(**changes), KNOWN, now=NOW) is None


def test_webhook_event_default_clock() -> None:
    assert parse_webhook_event(event(timestamp=str(int(time.time()))), KNOWN) is not None


def test_webhook_template_keeps_existing_query() -> None:
    template = webhook_template("https://ha.example/api/webhook/x?a=1")
    assert template.startswith("https://ha.example/api/webhook/x?a=1&calluniqueid={calluniqueid}")


async def test_webhook_numbers(env: Env) -> None:
    client, _ = await loaded(env)
    assert {"1234*0200", "0200", "31880660550"} <= client.webhook_numbers


# --- the simulator's own behaviour used by the demo ---------------------------------------


async def test_activity_changes_statuses_and_pushes_events() -> None:
    sim = VoipzekerSimulator(extensions=4, switches=1, seed=3)
    before = dict(sim.statuses)
    events = [event for _ in range(200) for event in sim.tick()]
    assert sim.statuses != before or events
    descs = {event["status_desc"] for event in events}
    assert descs <= voipzeker.WEBHOOK_DESCRIPTIONS
    assert "DISCONNECTED" in descs


async def test_demo_activity_pushes_events(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> None:
    sim, info = build_demo()
    assert info == {"invitation_id": sim.invitation_id, "path": API_PATH}
    received: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(dict(request.query))
        return web.Response()

    app = web.Application()
    app.router.add_get("/hook", hook)
    receiver = SimulatorServer(app, "/hook")
    sim.webhook_url = webhook_template(await receiver.start())
    session = aiohttp.ClientSession()
    task = asyncio.create_task(sim.run_activity(interval=3.0, session=session))
    try:
        for _ in range(100):  # time is frozen: move it on and let the loop run
            freezer.tick(timedelta(seconds=3))
            for _ in range(50):
                await asyncio.sleep(0)
            if len(received) >= 3:
                break
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await session.close()
        await receiver.stop()
    known = {str(ext["username"]) for ext in sim.extensions}
    events = [parse_webhook_event(query, known) for query in received]
    assert len(events) >= 3
    assert all(isinstance(parsed, CallEvent) for parsed in events)


def _call(call_id: str, desc: str, direction: CallDirection = CallDirection.INBOUND) -> CallEvent:
    return CallEvent(call_id, "31612345678", "1234*0200", 0, desc, direction, datetime.now(UTC))


def test_call_outcomes_say_missed_only_for_an_inbound_ring_never_connected() -> None:
    outcomes = CallOutcomes()
    assert outcomes.outcome(_call("a", "INCOMING_RINGING")) is None
    assert outcomes.outcome(_call("a", "DISCONNECTED")) == "missed"
    outcomes.outcome(_call("b", "INCOMING_RINGING"))
    outcomes.outcome(_call("b", "CONNECTED"))
    outcomes.outcome(_call("b", "INCOMING_RINGING"))  # a late duplicate changes nothing
    assert outcomes.outcome(_call("b", "DISCONNECTED")) == "ended"
    outbound = CallDirection.OUTBOUND
    outcomes.outcome(_call("c", "OUTGOING_RINGING", outbound))
    assert outcomes.outcome(_call("c", "DISCONNECTED", outbound)) == "ended"
    # Bounded: the oldest ring is forgotten, and its end is then only "ended".
    for index in range(CallOutcomes.LIMIT + 1):
        outcomes.outcome(_call(f"x{index}", "INCOMING_RINGING"))
    assert outcomes.outcome(_call("x0", "DISCONNECTED")) == "ended"
    assert outcomes.outcome(_call(f"x{CallOutcomes.LIMIT}", "DISCONNECTED")) == "missed"
