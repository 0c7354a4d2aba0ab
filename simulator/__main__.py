"""Run the simulators for a live demo: ``python -m simulator [--port-base N]``.

Prints one line of JSON, ``{"<provider>": {"url": ..., <credentials>}}``, for the developer
script to read, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
import json
import signal
from typing import Any, NamedTuple

import aiohttp

from .common import SimulatorServer
from .vdb import VdbSimulator
from .voipzeker import API_PATH as VOIPZEKER_PATH, VoipzekerSimulator, build_demo


class Simulated(NamedTuple):
    """What a builder hands back: the server is started by ``serve``."""

    key: str
    server: SimulatorServer
    info: dict[str, str]  # printed beside the URL: credentials and the like
    activity: Coroutine[Any, Any, None]


def _vdb() -> Simulated:
    sim = VdbSimulator(extensions=4, queues=2, numbers=2)
    info = {"username": sim.username, "password": sim.password}
    return Simulated("vdb", SimulatorServer(sim.app, "/API/"), info, sim.run_activity())


async def _push_activity(sim: VoipzekerSimulator) -> None:
    """Office life that also calls the webhook Home Assistant sets, as VOIPZeker does."""
    async with aiohttp.ClientSession() as session:
        await sim.run_activity(session=session)


def _voipzeker() -> Simulated:
    sim, demo = build_demo()
    # Exactly the config flow's fields (the URL is added by ``serve``).
    info = {"invitation_id": demo["invitation_id"]}
    return Simulated(
        "voipzeker", SimulatorServer(sim.app, VOIPZEKER_PATH), info, _push_activity(sim)
    )


# Add a provider by appending its builder; with a port base, it listens on base + its index.
BUILDERS: list[Callable[[], Simulated]] = [_vdb, _voipzeker]


async def serve(port_base: int = 0) -> None:
    """Start every simulator, print where they are, and serve until told to stop."""
    simulated = [build() for build in BUILDERS]
    # Tasks first, so every activity coroutine is awaited even if a server fails to start.
    tasks = [asyncio.create_task(sim.activity) for sim in simulated]
    try:
        shown: dict[str, dict[str, str]] = {}
        for index, sim in enumerate(simulated):
            url = await sim.server.start(port_base + index if port_base else 0)
            shown[sim.key] = {"url": url, **sim.info}
        print(json.dumps(shown), flush=True)
        await _until_stopped(tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sim in simulated:
            await sim.server.stop()


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
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port_base))


if __name__ == "__main__":
    main()
