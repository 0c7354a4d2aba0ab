"""Run the simulators for a live demo: ``python -m simulator [--port-base N] [--records]``.

Prints one line of JSON, ``{"<provider>": {"url": ..., <credentials>}}``, for the developer
script to read, then serves until SIGINT or SIGTERM. Each provider also runs a second,
spare account on its own port, for adding an account by hand: the line lists them under
``"_spare": {"<provider>": {"url": ..., <credentials>}}`` (the developer script adds only
the first ones, so the spare ones are still free). With ``--records`` the line also has
``"_records": {"url": ...}``: a loopback-only endpoint that answers ``GET`` with what every
simulator recorded (``{"<provider>": {"actions": [...], "calls": [...], ...}}``), so a
smoke run can check that an action really reached the provider.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
import inspect
import json
import signal
from typing import Any, NamedTuple, Protocol

import aiohttp
from aiohttp import web

from .business_isp import API_PATH as BUSINESS_ISP_PATH, BusinessIspSimulator
from .common import SimulatorServer
from .vdb import VdbSimulator
from .voipcenter import API_PATH as VOIPCENTER_PATH, VoipcenterSimulator
from .voipms import API_PATH as VOIPMS_PATH, VoipmsSimulator, build_demo as build_voipms_demo
from .voipzeker import API_PATH as VOIPZEKER_PATH, VoipzekerSimulator, build_demo


class Simulated(NamedTuple):
    """What a builder hands back: the server is started by ``serve``."""

    key: str
    server: SimulatorServer
    info: dict[str, str]  # printed beside the URL: credentials and the like
    activity: Coroutine[Any, Any, None]
    # The actions of the integration this provider supports (the smoke run calls them).
    actions: tuple[str, ...] = ()
    # The simulator object whose records (``RECORDS``) the records endpoint serves; None:
    # the object behind the app's handlers.
    source: object | None = None
    # A number this provider can call or text (VoIP.ms only reaches North America).
    sample_to: str = "+31 6 12345678"


class Builder(Protocol):
    """Builds one provider's simulator: its demo account, or with ``spare`` a second one."""

    def __call__(self, *, spare: bool = False) -> Simulated:
        """A simulator not yet listening."""
        ...


# Attributes in which simulators keep what they were asked to do (never credentials).
RECORDS = ("calls", "sms_sent", "received", "commands")

# A spare account differs from the demo account in what identifies it (the config entry's
# unique id), is smaller, and has its own seed; the rest is the simulators' defaults.


def _vdb(*, spare: bool = False) -> Simulated:
    if spare:
        sim = VdbSimulator(
            username="spare@example.nl", password="ook-geheim", extensions=2, queues=1, seed=1
        )
    else:
        sim = VdbSimulator(extensions=4, queues=2, numbers=2)
    info = {"username": sim.username, "password": sim.password}
    return Simulated(
        "vdb",
        SimulatorServer(sim.app, "/API/"),
        info,
        sim.run_activity(),
        actions=("click_to_call", "send_sms"),
        source=sim,
    )


async def _push_activity(sim: VoipzekerSimulator) -> None:
    """Office life that also calls the webhook Home Assistant sets, as VOIPZeker does."""
    async with aiohttp.ClientSession() as session:
        await sim.run_activity(session=session)


def _voipzeker(*, spare: bool = False) -> Simulated:
    if spare:  # another tenant, whose invitation id nothing has used yet
        sim = VoipzekerSimulator(extensions=3, switches=1, seed=8, tenant="5678")
    else:
        sim, _ = build_demo()
    # Exactly the config flow's fields (the URL is added by ``serve``).
    info = {"invitation_id": sim.invitation_id}
    return Simulated(
        "voipzeker",
        SimulatorServer(sim.app, VOIPZEKER_PATH),
        info,
        _push_activity(sim),
        actions=("click_to_call",),
        source=sim,
    )


def _voipcenter(*, spare: bool = False) -> Simulated:
    if spare:
        sim = VoipcenterSimulator(
            api_id="pi990001tst",
            api_key="k3y-0f-the-spare-api-user-9d2e",
            customer_number="654321",
            password="ook-een-wachtwoord",
            seed=1,
        )
    else:
        sim = VoipcenterSimulator()
    info = {
        "api_id": sim.api_id,
        "api_key": sim.api_key,
        "customer_number": sim.customer_number,
        "password": sim.password,
        "websocket_user": sim.ws_username,  # the websocket add-on: live call events
    }
    return Simulated(
        "voipcenter",
        SimulatorServer(sim.app, VOIPCENTER_PATH),
        info,
        sim.run_activity(),
        actions=("click_to_call",),
        source=sim,
    )


def _voipms(*, spare: bool = False) -> Simulated:
    if spare:
        sim = VoipmsSimulator(
            username="spare@example.ca",
            api_password="Api-Pass-2q9w",
            account="100002",
            sub_accounts=2,
            dids=1,
            rate_limit=60,
            seed=1,
        )
    else:
        sim = build_voipms_demo()
    info = {"username": sim.username, "api_password": sim.api_password}
    return Simulated(
        "voipms",
        SimulatorServer(sim.app, VOIPMS_PATH),
        info,
        sim.run_activity(),
        actions=("send_sms",),
        source=sim,
        sample_to="+1 514 555 0199",
    )


async def _quiet() -> None:
    """Business-ISP has nothing going on until Home Assistant places a call."""
    await asyncio.Event().wait()


def _business_isp(*, spare: bool = False) -> Simulated:
    # Other numbers than the VdB demo account has, so the two are not confused.
    if spare:
        sim = BusinessIspSimulator(
            username="spare@example.nl", password="ook-geheim", numbers=("0401234567",), seed=1
        )
    else:
        sim = BusinessIspSimulator(numbers=("0301234567", "0301234568"))
    info = {"username": sim.username, "password": sim.password, "numbers": "\n".join(sim.numbers)}
    return Simulated(
        "business_isp",
        SimulatorServer(sim.app, BUSINESS_ISP_PATH),
        info,
        _quiet(),
        actions=("send_sms",),
        source=sim,
    )


# Add a provider by appending its builder. With a port base, its demo account listens on
# base + its index, its spare account on base + len(BUILDERS) + its index.
BUILDERS: list[Builder] = [_vdb, _voipcenter, _voipzeker, _voipms, _business_isp]


def _source(sim: Simulated) -> object | None:
    """The simulator object: given, or the owner of the app's bound handlers."""
    if sim.source is not None:
        return sim.source
    for route in sim.server.app.router.routes():
        if inspect.ismethod(route.handler):
            return route.handler.__self__
    return None


def records(simulated: list[Simulated]) -> dict[str, dict[str, Any]]:
    """What every simulator was asked to do, as JSON-ready data."""
    result: dict[str, dict[str, Any]] = {}
    for sim in simulated:
        source = _source(sim)
        kept: dict[str, Any] = {"actions": list(sim.actions), "sample_to": sim.sample_to}
        for name in RECORDS:
            value = getattr(source, name, None)
            if isinstance(value, list):
                kept[name] = json.loads(json.dumps(value, default=str))
        result[sim.key] = kept
    return result


def records_app(simulated: list[Simulated]) -> web.Application:
    """``GET /records``: the simulators' records (loopback only, read only)."""

    async def handle(_request: web.Request) -> web.Response:
        return web.json_response(records(simulated))

    app = web.Application()
    app.router.add_get("/records", handle)
    return app


async def serve(port_base: int = 0, *, with_records: bool = False) -> None:
    """Start every simulator, print where they are, and serve until told to stop."""
    simulated = [build() for build in BUILDERS]
    spares = [build(spare=True) for build in BUILDERS]
    # Tasks first, so every activity coroutine is awaited even if a server fails to start.
    tasks = [asyncio.create_task(sim.activity) for sim in simulated + spares]
    servers = [sim.server for sim in simulated + spares]
    try:
        shown: dict[str, Any] = {}
        for index, sim in enumerate(simulated):
            url = await sim.server.start(port_base + index if port_base else 0)
            shown[sim.key] = {"url": url, **sim.info}
        spare_shown: dict[str, dict[str, str]] = {}
        for index, sim in enumerate(spares, start=len(simulated)):
            url = await sim.server.start(port_base + index if port_base else 0)
            spare_shown[sim.key] = {"url": url, **sim.info}
        shown["_spare"] = spare_shown
        if with_records:
            servers.append(SimulatorServer(records_app(simulated), "/records"))
            shown["_records"] = {"url": await servers[-1].start(0)}
        print(json.dumps(shown), flush=True)
        await _until_stopped(tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            await server.stop()


async def _until_stopped(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for SIGINT/SIGTERM; an activity that dies stops the demo with its error."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        task.result()


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument(
        "--port-base",
        "--host-port-base",
        dest="port_base",
        type=int,
        default=0,
        help="first port to listen on, one per simulator (default 0: ephemeral ports)",
    )
    parser.add_argument(
        "--records",
        action="store_true",
        help='also serve what the simulators recorded; its URL is printed under "_records"',
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port_base, with_records=args.records))


if __name__ == "__main__":
    main()
