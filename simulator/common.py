"""Pieces every simulator shares: a loopback server runner, quota counting, faults."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
import time

from aiohttp import web


class Fault(StrEnum):
    """Ways a simulator can be told to misbehave."""

    NONE = "none"
    SLOW = "slow"  # answer after ``slow_seconds``: longer than the client's timeout
    HTTP_500 = "http_500"
    HTML = "html"  # an HTML error page with HTTP 200, as a PHP front end would
    TRUNCATED = "truncated"  # a JSON body cut off half-way
    QUOTA = "quota"  # answer every request with the provider's "too many" reply


@dataclass
class QuotaCounter:
    """Counts requests per sliding window, as the provider does, and our violations.

    A violation is a request that arrives while ``limit`` requests were already seen in
    the last ``window`` seconds: the provider would have refused it.
    """

    limit: int
    window: float
    seen: deque[float] = field(default_factory=deque)
    total: int = 0
    violations: int = 0

    def now(self) -> float:
        """The simulator's clock (monotonic, patched by tests' frozen time)."""
        return time.monotonic()

    def hit(self) -> bool:
        """Record one request; return False when it is over the quota."""
        now = self.now()
        while self.seen and now - self.seen[0] >= self.window:
            self.seen.popleft()
        self.total += 1
        self.seen.append(now)
        if len(self.seen) > self.limit:
            self.violations += 1
            return False
        return True

    def reset(self) -> None:
        """Forget the window (a test's fresh start)."""
        self.seen.clear()


class SimulatorServer:
    """Runs an aiohttp application on 127.0.0.1 and knows its base URL."""

    def __init__(self, app: web.Application, path: str = "/") -> None:
        """Keep the app; ``path`` is appended to the base URL."""
        self.app = app
        self._path = path
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int = 0) -> str:
        """Listen on loopback only and return the API base URL."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
        assert isinstance(server, asyncio.base_events.Server)
        bound = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{bound}{self._path}"
        return self.url

    async def stop(self) -> None:
        """Close the listener and all connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def apply_fault(fault: Fault, slow_seconds: float) -> web.Response | None:
    """Answer for the faults every provider shares; None means answer normally."""
    if fault is Fault.SLOW:
        await asyncio.sleep(slow_seconds)
        return None
    if fault is Fault.HTTP_500:
        return web.Response(status=500, text="Internal Server Error")
    if fault is Fault.HTML:
        return web.Response(
            status=200,
            content_type="text/html",
            text="<html><head><title>Error</title></head><body><h1>Error</h1></body></html>",
        )
    return None
