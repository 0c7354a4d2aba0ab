"""HTTP plumbing shared by the clients: timeouts, error mapping, tolerant JSON."""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Any

import aiohttp

from . import RequestGate
from .errors import InvalidResponse, ProviderUnavailable

DEFAULT_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """Status and body of an answer."""

    status: int
    text: str


class HttpTransport:
    """Sends requests through an injected session, one gate call per request."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        gate: RequestGate | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Store the session; the caller owns it."""
        self._session = session
        self._gate = gate
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request; 5xx, timeouts and connection errors raise ProviderUnavailable.

        Messages name neither the URL nor the fields: both may carry credentials.
        """
        if self._gate is not None:
            self._gate()
        try:
            async with self._session.request(
                method, url, data=data, params=params, headers=headers, timeout=self._timeout
            ) as response:
                text = await response.text(errors="replace")
        except TimeoutError as err:
            raise ProviderUnavailable("The provider did not answer in time") from err
        except aiohttp.ClientError as err:
            raise ProviderUnavailable(f"Cannot reach the provider ({type(err).__name__})") from err
        if response.status >= 500:
            raise ProviderUnavailable(f"The provider answered HTTP {response.status}")
        return HttpResponse(response.status, text)


def parse_json(text: str) -> Any:
    """Decode a JSON body whatever its Content-Type, tolerating leading noise.

    Some providers prefix JSON with HTML or a BOM; anything before the first ``[`` or
    ``{`` is skipped. An HTML page or truncated JSON raises InvalidResponse.
    """
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        raise InvalidResponse("The provider answered something that is not JSON")
    try:
        return json.loads(text[min(starts) :])
    except json.JSONDecodeError as err:
        raise InvalidResponse("The provider answered malformed or truncated JSON") from err
