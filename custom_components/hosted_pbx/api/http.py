"""HTTP plumbing shared by the clients: timeouts, bounded answers, tolerant parsers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
import math
from typing import Any
from xml.etree.ElementTree import Element

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from . import RequestGate
from .errors import InvalidResponse, ProviderUnavailable

DEFAULT_TIMEOUT = 15.0
# No answer we read is anywhere near this; a larger one is a fault, not data.
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# JSON nested deeper than this is refused before Python's recursion limit is reached.
MAX_JSON_DEPTH = 32
# Any single text field we keep (a name, a number, a status) is cut to this length.
MAX_FIELD_LENGTH = 255


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """Status, body and headers of an answer."""

    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)


class HttpTransport:
    """Sends requests through an injected session, one gate call per request."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        gate: RequestGate | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        """Store the session; the caller owns it."""
        self._session = session
        self._gate = gate
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_bytes = max_bytes

    async def request(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        multipart: Mapping[str, str] | None = None,
        json_body: Any = None,
        raw: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request; 5xx, timeouts and connection errors raise ProviderUnavailable.

        ``data`` is sent as a urlencoded form, ``multipart`` as multipart/form-data,
        ``json_body`` as JSON and ``raw`` as it is. Messages name neither the URL nor the
        fields: both may carry credentials.
        """
        body: Any = raw
        if data is not None:
            body = dict(data)
        elif multipart is not None:
            # default_to_multipart: text-only fields would otherwise go out urlencoded.
            form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
            for name, value in multipart.items():
                form.add_field(name, value)
            body = form
        if self._gate is not None:
            self._gate()
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                json=json_body,
                params=dict(params) if params is not None else None,
                headers=dict(headers) if headers is not None else None,
                timeout=self._timeout,
            ) as response:
                content = await _read_bounded(response, self._max_bytes)
                charset = response.charset or "utf-8"
                answer_headers = dict(response.headers)
        except TimeoutError as err:
            raise ProviderUnavailable("The provider did not answer in time") from err
        except aiohttp.ClientError as err:
            raise ProviderUnavailable(f"Cannot reach the provider ({type(err).__name__})") from err
        if len(content) > self._max_bytes:
            raise InvalidResponse("The provider's answer is too large")
        if response.status >= 500:
            raise ProviderUnavailable(f"The provider answered HTTP {response.status}")
        try:
            text = content.decode(charset, errors="replace")
        except LookupError:  # an unknown charset in the header
            text = content.decode("utf-8", errors="replace")
        return HttpResponse(response.status, text, answer_headers)


async def _read_bounded(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, or the first ``max_bytes + 1`` bytes of it: enough to know it is too large.

    One ``read(n)`` returns what is buffered, not n bytes: read until the end or the cap.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = await response.content.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number out of range")
    return value


def _depth_ok(text: str) -> bool:
    """Whether brackets nest at most MAX_JSON_DEPTH deep (strings included: a cheap bound)."""
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return False
        elif char in "]}":
            depth -= 1
    return True


def parse_json(text: str) -> Any:
    """Decode a JSON body whatever its Content-Type, tolerating leading noise.

    Some providers prefix JSON with HTML or a BOM; anything before the first ``[`` or
    ``{`` is skipped. An HTML page, truncated JSON, ``NaN``/``Infinity``, a number out of
    range or absurd nesting raise InvalidResponse.
    """
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        raise InvalidResponse("The provider answered something that is not JSON")
    body = text[min(starts) :]
    if not _depth_ok(body):
        raise InvalidResponse("The provider answered JSON nested too deeply")
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as err:
        raise InvalidResponse("The provider answered malformed or truncated JSON") from err


def parse_xml(text: str) -> Element:
    """Parse an XML answer, refusing entities and DTDs (answers are untrusted)."""
    try:
        root: Element = fromstring(text.strip().encode())
    except (ParseError, DefusedXmlException, ValueError) as err:
        raise InvalidResponse("The provider answered malformed XML") from err
    return root


def bounded(value: Any, limit: int = MAX_FIELD_LENGTH) -> str:
    """A field as stripped text of at most ``limit`` characters ("" for None)."""
    if value is None:
        return ""
    return str(value).strip()[:limit]
