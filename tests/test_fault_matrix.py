"""Every provider with polling reads x every class of fault, through Home Assistant.

Each cell loads an entry against a simulator, lets polling settle, starts one fault, and
checks: the entities are unavailable during it (and while a "too many" pause lasts), the
coordinator logs one line when it starts and one when it ends, polling recovers without a
reload, no request goes into a refused window, and every device is kept.

The harness here (also used by test_crash.py and test_repeated_use.py) starts each
simulator with one extra aiohttp middleware (``Injector``) that can replace an answer by an
empty body, an empty JSON list, JSON of the wrong types or a 403 for one endpoint: faults
the simulators have no knob for. The simulator still handles (and counts) the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
import json
import logging
import os
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped, unused-ignore]
    MockConfigEntry,
)

from custom_components.hosted_pbx.const import CONF_PROVIDER, DOMAIN
from simulator.common import Fault, SimulatorServer
from simulator.vdb import VdbSimulator
from simulator.voipcenter import (
    API_PATH as CENTER_PATH,
    VoipcenterSimulator,
    password_hash,
)
from simulator.voipms import API_PATH as VOIPMS_PATH, VoipmsSimulator
from simulator.voipzeker import API_PATH as ZEKER_PATH, VoipzekerSimulator

from .helpers import advance, run_for

# Longer than the clients wait for an answer (15 s).
SLOW_SECONDS = 16.0
LONG = os.environ.get("HOSTED_PBX_LONG") == "1"
ZEKER_TENANT = "1234"
ZEKER_LOGIN_TOKEN = "test-login-token-0123456789abcdefghijklmnopqrstuvwxyz"
# Keys of the providers' envelopes that "wrong types" leaves alone: the status must still
# say "success" for the data's types to matter.
ENVELOPE_KEYS = frozenset({"status", "errorCode", "message", "head"})

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def wrong_types(value: Any, depth: int = 0) -> Any:
    """Containers become strings and scalars become lists, below the top level."""
    if depth == 0 and isinstance(value, dict):
        return {
            key: item if key in ENVELOPE_KEYS else wrong_types(item, 1)
            for key, item in value.items()
        }
    if isinstance(value, list | dict):
        return "oops"
    return ["oops"]


@dataclass
class Injector:
    """What the extra middleware does to answers (``mode`` None: nothing)."""

    path: str
    mode: str | None = None
    endpoint: str | None = None  # "forbidden": only requests whose path ends with this
    injected: int = 0
    freezer: FrozenDateTimeFactory | None = None

    @web.middleware
    async def middleware(  # noqa: PLR0911 - one answer per injected fault
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Let the simulator answer (and count), then replace the answer if told to."""
        response = await handler(request)
        if self.mode is None or not request.path.startswith(self.path):
            return response
        if self.mode == "slow":
            # The answer takes longer than the client waits. Time is frozen, the event
            # loop's clock with it, so the simulator moves it on while it "thinks" and lets
            # the client's timer fire before it answers.
            assert self.freezer is not None, "slow answers need the test's freezer"
            self.freezer.tick(timedelta(seconds=SLOW_SECONDS))
            for _ in range(5):
                await asyncio.sleep(0)
            self.injected += 1
            return response
        if self.mode == "forbidden":
            if self.endpoint is None or not request.path.endswith(self.endpoint):
                return response
            self.injected += 1
            return web.json_response({"message": "Forbidden"}, status=403)
        if not isinstance(response, web.Response) or response.status != 200:
            return response
        self.injected += 1
        if self.mode == "empty_body":
            return web.Response(text="", content_type="application/json")
        if self.mode == "empty_list":
            return web.Response(text="[]", content_type="application/json")
        if self.mode == "wrong_types":
            try:
                body = json.loads(response.text or "")
            except ValueError:
                return response
            return web.Response(text=json.dumps(wrong_types(body)), content_type="application/json")
        raise AssertionError(f"unknown injection {self.mode}")


@dataclass
class Harness:
    """One provider's simulator, injector and config entry, plus its knobs."""

    provider: str
    sim: Any
    injector: Injector
    entry: MockConfigEntry
    account: str
    warm_up: float  # seconds of polling until every entity has a state
    slot: float  # roughly the polling interval
    break_auth: Callable[[], None]
    restore_auth: Callable[[], None]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        """Every request the simulator saw."""
        return int(self.sim.quota.total)


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """All entities of an entry."""
    return [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]


def available(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Entities of an entry that have a state other than unavailable."""
    found = set()
    for entity in entity_ids(hass, entry):
        state = hass.states.get(entity)
        if state is not None and state.state != "unavailable":
            found.add(entity)
    return found


def device_count(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """Devices of an entry."""
    return len(dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id))


def coordinator_lines(records: list[logging.LogRecord]) -> tuple[list[str], list[str]]:
    """The coordinator's "it fails" and "it recovered" lines among log records."""
    starts, ends = [], []
    for record in records:
        if not record.name.startswith("custom_components.hosted_pbx"):
            continue
        text = record.getMessage()
        if record.levelno >= logging.WARNING and "fetching" in text.casefold():
            starts.append(text)
        elif "data recovered" in text:
            ends.append(text)
    return starts, ends


async def _serve(sim: Any, path: str) -> tuple[SimulatorServer, Injector, str]:
    injector = Injector(path)
    sim.app.middlewares.append(injector.middleware)
    server = SimulatorServer(sim.app, path)
    url = await server.start()
    return server, injector, url


@asynccontextmanager
async def harness(hass: HomeAssistant, provider: str, **options: Any) -> AsyncIterator[Harness]:
    """A running simulator of ``provider`` and its config entry (added, not set up)."""
    sim: Any
    if provider == "vdb":
        sim = VdbSimulator(**({"extensions": 3, "queues": 1, "numbers": 2} | options))
        server, injector, url = await _serve(sim, "/API/")
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"VdB Diensten ({sim.username})",
            unique_id=sim.username,
            data={
                CONF_PROVIDER: "vdb",
                CONF_USERNAME: sim.username,
                CONF_PASSWORD: sim.password,
                CONF_URL: url,
            },
        )
        password = sim.password

        def break_vdb() -> None:
            sim.password = "changed-in-the-portal"

        def restore_vdb() -> None:
            sim.password = password

        h = Harness("vdb", sim, injector, entry, sim.username, 60, 18, break_vdb, restore_vdb)
    elif provider == "voipzeker":
        sim = VoipzekerSimulator(**({"extensions": 5, "switches": 2} | options))
        server, injector, url = await _serve(sim, ZEKER_PATH)
        sim.login_tokens.add(ZEKER_LOGIN_TOKEN)
        sim.issued_secrets.append(ZEKER_LOGIN_TOKEN)
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"VOIPZeker ({ZEKER_TENANT})",
            unique_id=ZEKER_TENANT,
            data={CONF_PROVIDER: "voipzeker", "login_token": ZEKER_LOGIN_TOKEN, CONF_URL: url},
        )

        def break_zeker() -> None:
            sim.revoke_login_tokens()
            sim.forget_access_tokens()

        def restore_zeker() -> None:
            sim.login_tokens.add(ZEKER_LOGIN_TOKEN)

        h = Harness(
            "voipzeker", sim, injector, entry, ZEKER_TENANT, 10, 3, break_zeker, restore_zeker
        )
    elif provider == "voipcenter":
        sim = VoipcenterSimulator(**options)
        server, injector, url = await _serve(sim, CENTER_PATH)
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"VoipCenter ({sim.customer_number})",
            unique_id=sim.customer_number,
            data={
                CONF_PROVIDER: "voipcenter",
                "api_id": sim.api_id,
                "api_key": sim.api_key,
                "customer_number": sim.customer_number,
                "password_hash": password_hash(sim.password),
                CONF_URL: url,
            },
        )
        plain = sim.password

        def break_center() -> None:
            sim.password = "changed-in-the-portal"

        def restore_center() -> None:
            sim.password = plain

        h = Harness(
            "voipcenter",
            sim,
            injector,
            entry,
            sim.customer_number,
            120,
            5,
            break_center,
            restore_center,
        )
    elif provider == "voipms":
        sim = VoipmsSimulator(
            **({"sub_accounts": 3, "dids": 2, "forwardings": 2, "mailboxes": 2} | options)
        )
        for index, account in enumerate(sim.sub_accounts):
            sim.set_registered(account, index == 0)
        server, injector, url = await _serve(sim, VOIPMS_PATH)
        sim.url = url
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"VoIP.ms ({sim.username})",
            unique_id=sim.username.casefold(),
            data={
                CONF_PROVIDER: "voipms",
                "username": sim.username,
                "api_password": sim.api_password,
                CONF_URL: url,
            },
        )
        secret = sim.api_password

        def break_voipms() -> None:
            sim.api_password = "changed-in-the-portal"

        def restore_voipms() -> None:
            sim.api_password = secret

        h = Harness(
            "voipms",
            sim,
            injector,
            entry,
            sim.username.casefold(),
            30,
            3,
            break_voipms,
            restore_voipms,
        )
    else:
        raise AssertionError(provider)
    entry.add_to_hass(hass)
    try:
        yield h
    finally:
        await server.stop()


# --- simulated time --------------------------------------------------------------------------


async def until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    done: Callable[[], bool],
    limit: float,
    step: float = 1.0,
) -> bool:
    """Move time in steps until ``done`` holds (True) or ``limit`` seconds passed (False)."""
    elapsed = 0.0
    while not done():
        if elapsed >= limit:
            return False
        await advance(hass, freezer, step)
        elapsed += step
    return True


async def load(hass: HomeAssistant, freezer: FrozenDateTimeFactory, h: Harness) -> None:
    """Set the entry up and poll until every entity has been read once."""
    assert await hass.config_entries.async_setup(h.entry.entry_id)
    await hass.async_block_till_done()
    await run_for(hass, freezer, h.warm_up, step=2)
    assert h.entry.state is ConfigEntryState.LOADED


# --- the matrix ------------------------------------------------------------------------------

PROVIDERS = ("vdb", "voipzeker", "voipcenter", "voipms")
SIM_FAULTS = {
    "http_500": Fault.HTTP_500,
    "html": Fault.HTML,
    "truncated": Fault.TRUNCATED,
    "quota": Fault.QUOTA,
}
INJECTED = ("slow", "empty_body", "empty_list", "wrong_types")
FAULT_SECONDS = 20.0

CELLS = [
    (provider, fault)
    for provider in PROVIDERS
    for fault in (*SIM_FAULTS, *INJECTED)
    # VdB documents ``[]`` as live_call's "no call" answer and an empty queue's answer:
    # an empty list is data there (everything idle), not a fault.
    if (provider, fault) != ("vdb", "empty_list")
] + [
    # Permission refusals: VoIP.ms answers ``ip_not_enabled`` to every read of an address
    # that is not allow-listed (account-wide, so it behaves like any other fault). VOIPZeker's
    # per-endpoint 403 is test_permission_refusal_switches_one_read_off below. VdB has no
    # permissions; VoipCenter's "API user not allowed" (error 16) is an authentication
    # refusal, covered by test_auth_failure.
    ("voipms", "permission"),
]


def start_fault(h: Harness, fault: str) -> None:
    """Make the simulator misbehave."""
    if fault in SIM_FAULTS:
        h.sim.fault = SIM_FAULTS[fault]
    elif fault in INJECTED:
        h.injector.mode = fault
    elif fault == "permission":
        h.sim.allowed_ips = {"203.0.113.7"}
    else:
        raise AssertionError(fault)


def stop_fault(h: Harness) -> None:
    """Back to normal."""
    h.sim.fault = Fault.NONE
    h.injector.mode = None
    if h.provider == "voipms":
        h.sim.allowed_ips = None


def _unavailable(hass: HomeAssistant, h: Harness, watched: set[str]) -> bool:
    return not watched & available(hass, h.entry)


@pytest.mark.parametrize(("provider", "fault"), CELLS)
async def test_fault(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    socket_enabled: None,
    provider: str,
    fault: str,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.hosted_pbx")
    async with harness(hass, provider) as h:
        h.injector.freezer = freezer
        await load(hass, freezer, h)
        coordinator = h.entry.runtime_data.coordinator
        watched = available(hass, h.entry)
        devices = device_count(hass, h.entry)
        assert watched, "nothing to watch"
        caplog.clear()

        start_fault(h, fault)
        assert await until(
            hass, freezer, lambda: not coordinator.last_update_success, 4 * h.slot + 10
        ), "the fault went unnoticed"
        assert _unavailable(hass, h, watched)
        if fault == "quota":
            # The provider said "too many": nothing more until its window has passed.
            stop_fault(h)
            refused_at = h.requests
            assert coordinator.budget.blocked_for() >= h.sim.quota.window
            while coordinator.budget.blocked_for() > 0:
                await advance(hass, freezer, 2)
                assert _unavailable(hass, h, watched), "available while paused"
                if coordinator.budget.blocked_for() > 0:
                    assert h.requests == refused_at, "a request into the refused window"
        else:
            for _ in range(int(FAULT_SECONDS / 2)):
                await advance(hass, freezer, 2)
                assert _unavailable(hass, h, watched)
            stop_fault(h)

        assert await until(
            hass, freezer, lambda: watched <= available(hass, h.entry), 6 * h.slot + 20
        ), f"not recovered: {sorted(watched - available(hass, h.entry))}"
        await run_for(hass, freezer, 3 * h.slot, step=1)  # and it stays so

        assert watched <= available(hass, h.entry)
        starts, ends = coordinator_lines(caplog.records)
        assert len(starts) == 1, starts
        assert starts[0].startswith("Error fetching"), starts  # a typed error, not a crash
        assert len(ends) == 1, ends
        assert h.entry.state is ConfigEntryState.LOADED
        assert h.entry.runtime_data.coordinator is coordinator  # no reload
        assert h.sim.quota.violations == 0
        assert device_count(hass, h.entry) == devices
        print(f"\nRELIABILITY fault={provider}-{fault} violations=0 devices_kept=True")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_auth_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    socket_enabled: None,
    provider: str,
) -> None:
    """Refused credentials: one line, a reauth flow, and polling waits for the user.

    Polling cannot recover by itself here: the reauth flow's reload does, once the user
    entered working credentials (done here by restoring them and reloading).
    """
    caplog.set_level(logging.INFO, logger="custom_components.hosted_pbx")
    async with harness(hass, provider) as h:
        await load(hass, freezer, h)
        coordinator = h.entry.runtime_data.coordinator
        watched = available(hass, h.entry)
        devices = device_count(hass, h.entry)
        caplog.clear()

        h.break_auth()
        assert await until(
            hass, freezer, lambda: not coordinator.last_update_success, 4 * h.slot + 10
        )
        await hass.async_block_till_done()
        sent = h.requests
        await run_for(hass, freezer, 120, step=5)
        assert h.requests == sent, "polling kept trying refused credentials"
        assert _unavailable(hass, h, watched)
        flows = [
            flow
            for flow in hass.config_entries.flow.async_progress()
            if flow["context"].get("source") == "reauth"
        ]
        assert len(flows) == 1
        starts, _ = coordinator_lines(caplog.records)
        assert len(starts) == 1, starts
        assert starts[0].startswith("Authentication failed while fetching"), starts

        h.restore_auth()
        assert await hass.config_entries.async_reload(h.entry.entry_id)
        await hass.async_block_till_done()
        assert await until(
            hass, freezer, lambda: watched <= available(hass, h.entry), h.warm_up + 20
        )
        assert h.sim.quota.violations == 0
        assert device_count(hass, h.entry) == devices
        print(f"\nRELIABILITY fault={provider}-auth violations=0 devices_kept=True")


async def test_permission_refusal_switches_one_read_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    socket_enabled: None,
) -> None:
    """VOIPZeker's 403 ("for administrators only") on one endpoint: that read goes off.

    The rest of the account keeps working (no entity becomes unavailable), one warning and
    a repair issue say which read, the refused endpoint is not asked again, and a reload
    (after the permission is given) reads it again.
    """
    caplog.set_level(logging.INFO, logger="custom_components.hosted_pbx")
    async with harness(hass, "voipzeker") as h:
        await load(hass, freezer, h)
        watched = available(hass, h.entry)
        devices = device_count(hass, h.entry)
        caplog.clear()
        h.injector.mode, h.injector.endpoint = "forbidden", "listswitches"
        assert await until(hass, freezer, lambda: h.injector.injected > 0, 120)
        refused = h.sim.requests["listswitches"]
        await run_for(hass, freezer, 300, step=5)
        assert h.sim.requests["listswitches"] == refused, "the refused read was sent again"
        assert watched <= available(hass, h.entry)
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith("custom_components.hosted_pbx")
        ]
        assert len(warnings) == 1, warnings
        assert "switches" in warnings[0]
        issue = ir.async_get(hass).async_get_issue(
            DOMAIN, f"permission_{h.entry.entry_id}_switches"
        )
        assert issue is not None

        h.injector.mode = None
        assert await hass.config_entries.async_reload(h.entry.entry_id)
        await hass.async_block_till_done()
        await run_for(hass, freezer, 120, step=5)
        assert h.sim.requests["listswitches"] > refused
        assert watched <= available(hass, h.entry)
        assert h.sim.quota.violations == 0
        assert device_count(hass, h.entry) == devices
        print("\nRELIABILITY fault=voipzeker-permission_403 violations=0 devices_kept=True")
