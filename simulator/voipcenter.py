"""Loopback simulator of the VoipCenter / PBXonline.be v1 API (get.php, update.php, call.php).

Written from the provider's document and the team's notes (NOTES.md §2). Where the document is
silent (the answers' fields, the routes list, the notify payload) it follows the client's
tolerant reading, so that both agree on one wire contract:

- the signature is checked the way the document states the rule: every field in the order
  received, ``pass`` and ``filter`` left out, HMAC-SHA256 keyed with the API key;
- get.php answers a bare object; update.php and call.php wrap theirs in head/body; every
  error is ``{"head": {"status": "0", "error_number", "error_message"}, "body": ...}`` (head
  errors) or in ``body`` (body errors 1, 2, 20, 21);
- every answer carries ``Content-Type: text/json charset=utf-8`` (sic) and a Date header on
  the simulator's clock (``clock_skew`` moves it).

The Socket.IO server shares the aiohttp application: a client that connects gets
``serveroutput``, answers ``register {username, wskey}`` and then receives ``notify``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.utils import formatdate
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import time
from typing import Any

from aiohttp import web
import socketio  # type: ignore[import-untyped]  # no py.typed, no stubs

from .common import Fault, QuotaCounter, apply_fault

API_PATH = "/api/"
CONTENT_TYPE = "text/json charset=utf-8"  # sic: no semicolon, as the provider sends it
TS_WINDOW = 5.0
QUOTA_WINDOW = 60.0
UNSIGNED = frozenset({"pass", "filter"})
REQUIRED = ("apiID", "knummer", "pwd", "f", "ts", "pass")
INDICATOR_PREFIX = "fi"
ACTION_FIELDS = ("m", "id", "p", "sipacc", "telnr")  # what `received` keeps: no credentials

ERRORS = {
    1: "Could not connect to server",
    2: "Incorrect ID",
    10: "Missing parameters",
    11: "Timestamp mismatch",
    12: "Wrong format",
    13: "Too many attempts",
    14: "Incorrect hash",
    15: "User password incorrect",
    16: "API user not allowed",
    17: "Param not correct",
    20: "Call Auth failed",
    21: "Call Leg failed",
}
BODY_ERRORS = frozenset({1, 2, 20, 21, 25})

REGISTER_CHANCE = 0.2  # per tick: one account's registration flips
USER_AGENTS = ("Yealink SIP-T46U 108.86.0.45", "snom D785/10.1.141.13", "Zoiper rv2.10.20.5")

type Fields = list[tuple[str, str]]


def password_hash(plain: str) -> str:
    """sha256 of the md5 hex of the password, as hex (the document's ``pwd``)."""
    return hashlib.sha256(hashlib.md5(plain.encode()).hexdigest().encode()).hexdigest()


def signature(api_key: str, fields: Fields) -> str:
    """The documented rule: names and values in the order received, minus pass and filter."""
    message = "".join(name + value for name, value in fields if name not in UNSIGNED)
    return hmac.new(api_key.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass
class SipAccountState:
    """One SIP account and what its registration looks like now."""

    logname: str
    voornaam: str
    naam: str
    username: str
    did_out: str
    user_agent: str = ""
    ping: int = 0

    @property
    def registered(self) -> bool:
        """A registered device has a user agent and answers qualify."""
        return bool(self.user_agent) and self.ping > 0


@dataclass
class DidState:
    """One phone number and its routing (time filters, route, backup route)."""

    number: str
    route: str
    backup: str = "150"
    holidays: str = "10"
    vacations: str = "20"
    office_hours: str = "30"


class VoipcenterSimulator:
    """One VoipCenter customer served over HTTP and Socket.IO on loopback."""

    def __init__(
        self,
        *,
        api_id: str = "pi990000tst",
        api_key: str = "k3y-0f-the-api-user-5f1b2c",
        customer_number: str = "123456",
        password: str = "geheim-wachtwoord",  # noqa: S107 - a made-up test account
        rate_limit: int = 20,
        seed: int = 0,
    ) -> None:
        """Build the account: 5 SIP accounts, 3 numbers, 4 indicators, 3 routes."""
        self.api_id = api_id
        self.api_key = api_key
        self.customer_number = customer_number
        self.password = password
        self.username = customer_number  # what identifies the account
        self.ws_username = f"ws{customer_number}"
        self.wskey = secrets.token_hex(16)
        self.rate_limit = rate_limit
        self.quota = QuotaCounter(limit=rate_limit, window=QUOTA_WINDOW)
        self.fault = Fault.NONE
        self.slow_seconds: float = 30
        self.force_xml = False  # answer XML whatever ``f`` asks
        # Seconds the server's clock runs ahead of ours (negative: behind), and how much it
        # moves further after each timestamp refusal (a clock the client cannot catch).
        self.clock_skew: float = 0
        self.clock_drift: float = 0
        self.calls: list[dict[str, str]] = []
        self.received: list[dict[str, str]] = []  # accepted actions, without credentials
        self.requests: list[tuple[str, str]] = []  # (endpoint, m) of every request
        self.raw_fields: list[Fields] = []  # every request's fields as received, in order
        self._rng = random.Random(seed)
        self.sip_accounts: dict[str, SipAccountState] = {
            "101": SipAccountState("Receptie", "Anna", "Peeters", "123456_101", "3250123456"),
            "102": SipAccountState("Boekhouding", "Bart", "Janssens", "123456_102", "3250123456"),
            "103": SipAccountState("Magazijn", "Chris", "Maes", "123456_103", "3292345678"),
            "104": SipAccountState("Directie", "Dirk", "Jacobs", "123456_104", "3232345678"),
            "105": SipAccountState("Vergaderzaal", "", "", "123456_105", "3250123456"),
        }
        for index, ident in enumerate(("101", "102", "103")):
            self.set_registration(ident, USER_AGENTS[index], 20 + index * 5)
        self.dids: dict[str, DidState] = {
            "540": DidState("3250123456", "140"),
            "541": DidState("3292345678", "141"),
            "542": DidState("3232345678", "140"),
        }
        self.indicators: dict[str, tuple[str, bool]] = {
            "12": ("Dag", True),
            "13": ("Nacht", False),
            "14": ("Vakantie", False),
            "15": ("Storing", False),
        }
        self.routes: dict[str, str] = {"140": "Receptie", "141": "Nachtdienst", "142": "Voicemail"}
        self.app = web.Application()
        for endpoint in ("get.php", "update.php", "call.php"):
            self.app.router.add_route("*", API_PATH + endpoint, self._handler(endpoint))
        self.sio = socketio.AsyncServer(async_mode="aiohttp", always_connect=True)
        self.sio.attach(self.app)
        self.app.cleanup_ctx.append(self._socketio_lifetime)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("register", self._on_register)
        self.sockets: set[str] = set()
        self.registered: set[str] = set()
        self.registrations = 0  # accepted registers, reconnects included
        self.refused_registrations = 0

    # --- the test and demo API ------------------------------------------------------------

    @property
    def password_hash(self) -> str:
        """``pwd`` as the client must send it."""
        return password_hash(self.password)

    def server_time(self) -> float:
        """The server's wall clock: ours plus ``clock_skew``."""
        return time.time() + self.clock_skew

    def set_registration(self, sipacc_id: str, user_agent: str, ping: int = 25) -> None:
        """Register a device (a user agent and a qualify time) or unregister (``""``, 0)."""
        account = self.sip_accounts[sipacc_id]
        account.user_agent, account.ping = user_agent, ping if user_agent else 0

    def indicator_on(self, indicator_id: str) -> bool:
        """Whether an indicator is active."""
        return self.indicators[indicator_id][1]

    async def run_activity(self, interval: float = 10.0) -> None:
        """Devices come and go forever (cancel the task to stop)."""
        while True:
            self.tick()
            await asyncio.sleep(interval)

    def tick(self) -> None:
        """One step: sometimes one account's device registers or drops off."""
        if self._rng.random() >= REGISTER_CHANCE:
            return
        ident = self._rng.choice(sorted(self.sip_accounts))
        if self.sip_accounts[ident].registered:
            self.set_registration(ident, "")
        else:
            self.set_registration(ident, self._rng.choice(USER_AGENTS), self._rng.randint(5, 80))

    async def emit_notify(self, payload: Any) -> int:
        """Push a notify event to every registered socket; return how many got it."""
        targets = sorted(self.registered)
        for sid in targets:
            await self.sio.emit("notify", payload, to=sid)
        return len(targets)

    async def drop_sockets(self) -> None:
        """Cut every socket's transport without a goodbye, as a network failure would."""
        for socket in list(self.sio.eio.sockets.values()):
            await socket.queue.put(None)  # the writer closes the WebSocket and stops

    async def _socketio_lifetime(self, app: web.Application) -> AsyncIterator[None]:
        """Stop Socket.IO's background tasks when the web server goes.

        ``AsyncServer.shutdown`` stops the service task but not the sockets' ping timers
        (a 25 s sleep each): those of this server are cancelled here, so that no task
        outlives the simulator.
        """
        yield
        await self.sio.shutdown()
        pings = [task for task in asyncio.all_tasks() if self._is_our_ping(task)]
        for task in pings:
            task.cancel()
        await asyncio.gather(*pings, return_exceptions=True)

    def _is_our_ping(self, task: asyncio.Task[Any]) -> bool:
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if frame is None or getattr(coro, "__qualname__", "") != "AsyncSocket._send_ping":
            return False
        owner = frame.f_locals.get("self")
        return getattr(owner, "server", None) is self.sio.eio

    # --- Socket.IO ------------------------------------------------------------------------

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        remote = getattr(request, "remote", None) or ""
        try:
            loopback = ipaddress.ip_address(remote).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return False
        self.sockets.add(sid)
        await self.sio.emit("serveroutput", {"message": "Welcome, please register"}, to=sid)
        return True

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.sockets.discard(sid)
        self.registered.discard(sid)

    async def _on_register(self, sid: str, data: Any = None) -> None:
        if (
            isinstance(data, dict)
            and data.get("username") == self.ws_username
            and hmac.compare_digest(str(data.get("wskey", "")), self.wskey)
        ):
            self.registered.add(sid)
            self.registrations += 1
        else:
            self.refused_registrations += 1

    # --- HTTP -----------------------------------------------------------------------------

    def _handler(self, endpoint: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            return await self._handle(endpoint, request)

        return handle

    async def _handle(self, endpoint: str, request: web.Request) -> web.Response:
        """Every request counts against the quota, even refused or faulted ones."""
        fields: Fields = list(request.query.items())
        if request.method == "POST":
            form = await request.post()
            fields.extend((k, v) for k, v in form.items() if isinstance(v, str))
        self.raw_fields.append(fields)
        values = dict(fields)
        self.requests.append((endpoint, values.get("m", "")))
        within_quota = self.quota.hit()
        faulted = await apply_fault(self.fault, self.slow_seconds)
        if faulted is not None:
            return faulted
        if self.fault is Fault.QUOTA or not within_quota:
            return self._error(13)
        if self.force_xml or values.get("f") == "xml":
            return self._xml()
        code = self._refusal(endpoint, fields, values)
        if code is not None:
            response = self._error(code)  # its Date header shows the clock that refused
            if code == 11:
                self.clock_skew += self.clock_drift
            return response
        return self._answer(endpoint, values)

    def _refusal(  # noqa: PLR0911 - one return per documented check, in order
        self, endpoint: str, fields: Fields, values: dict[str, str]
    ) -> int | None:
        """The first documented head error this request earns, if any."""
        if any(not values.get(name) for name in REQUIRED):
            return 10
        if values["f"] not in ("json", "php", "xml"):
            return 12
        if values["apiID"] != self.api_id or values["knummer"] != self.customer_number:
            return 16
        if not hmac.compare_digest(values["pass"], signature(self.api_key, fields)):
            return 14
        if not hmac.compare_digest(values["pwd"].lower(), self.password_hash):
            return 15
        try:
            ts = int(values["ts"])
        except ValueError:
            return 17
        if abs(self.server_time() - ts) > TS_WINDOW:
            return 11
        return None

    def _reply(self, body: Any, status: int = 200) -> web.Response:
        """PHP-style JSON (escaped slashes) with the provider's odd Content-Type."""
        text = json.dumps(body, separators=(",", ":")).replace("/", "\\/")
        if self.fault is Fault.TRUNCATED:
            text = text[: len(text) // 2]
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Date": formatdate(self.server_time(), usegmt=True),
        }
        return web.Response(status=status, body=text.encode(), headers=headers)

    def _error(self, code: int) -> web.Response:
        error = {"error_number": str(code), "error_message": ERRORS.get(code, "Error")}
        if code in BODY_ERRORS:
            return self._reply({"head": {"status": "1"}, "body": {"status": "0", **error}})
        return self._reply({"head": {"status": "0", **error}, "body": []})

    def _xml(self) -> web.Response:
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            "<response><head><status>1</status></head><body></body></response>"
        )
        headers = {"Content-Type": "text/xml", "Date": formatdate(self.server_time(), usegmt=True)}
        return web.Response(body=text.encode(), headers=headers)

    def _answer(self, endpoint: str, values: dict[str, str]) -> web.Response:
        if endpoint == "call.php":
            return self._call(values)
        menu, ident = values.get("m", ""), values.get("id", "")
        if endpoint == "update.php":
            return self._update(menu, ident, values.get("p", ""), values)
        answer = self._get(menu, ident)
        return answer if isinstance(answer, web.Response) else self._reply(answer)

    # --- get.php --------------------------------------------------------------------------

    def _get(self, menu: str, ident: str) -> Any:
        if not ident:
            return self._error(10)
        if menu == "wskey":
            if ident != self.ws_username:
                return self._error(2)
            return {"username": self.ws_username, "wskey": self.wskey}
        lists: dict[str, Callable[[], dict[str, Any]]] = {
            "sipacc": self._sip_list,
            "did": lambda: {f"id_{k}": d.number for k, d in self.dids.items()},
            "indicator": lambda: {
                f"{INDICATOR_PREFIX}_{k}": name for k, (name, _) in self.indicators.items()
            },
            "routes": lambda: {f"id_{k}": name for k, name in self.routes.items()},
        }
        if menu not in lists:
            return self._error(17)
        if ident == "0":
            return lists[menu]()
        return self._details(menu, ident)

    def _sip_list(self) -> dict[str, Any]:
        # The PHP client's minimal object: the list names the accounts, details tell the rest.
        return {
            f"id_{k}": {"id": k, "logname": a.logname, "SIPusername": a.username}
            for k, a in self.sip_accounts.items()
        }

    def _details(self, menu: str, ident: str) -> Any:
        if menu == "sipacc" and ident in self.sip_accounts:
            a = self.sip_accounts[ident]
            return {
                "logname": a.logname,
                "naam": a.naam,
                "voornaam": a.voornaam,
                "DIDout": a.did_out,
                "SIPusername": a.username,
                "userAgent": a.user_agent,
                "SIPping": a.ping,
            }
        if menu == "did" and ident in self.dids:
            d = self.dids[ident]
            return {
                "nummer": d.number,
                "feestdagen": d.holidays,
                "vakanties": d.vacations,
                "kantooruren": d.office_hours,
                "route": d.route,
                "backuproute": d.backup,
            }
        if menu == "indicator" and ident in self.indicators:
            name, on = self.indicators[ident]
            return {"naam": name, "actief": "1" if on else "0"}
        if menu == "routes" and ident in self.routes:
            return {"naam": self.routes[ident]}
        return self._error(2)

    # --- update.php and call.php ----------------------------------------------------------

    def _ok(self, **body: str) -> web.Response:
        return self._reply({"head": {"status": "1"}, "body": {"status": "1", **body}})

    def _keep(self, values: dict[str, str]) -> None:
        self.received.append({key: values[key] for key in ACTION_FIELDS if key in values})

    def _update(  # noqa: PLR0911 - one return per refusal
        self, menu: str, ident: str, param: str, values: dict[str, str]
    ) -> web.Response:
        if not ident or not param:
            return self._error(10)
        if menu == "indicator":
            if ident not in self.indicators:
                return self._error(2)
            if param not in ("0", "1"):
                return self._error(17)
            self.indicators[ident] = (self.indicators[ident][0], param == "1")
            self._keep(values)
            return self._ok()
        if menu == "did":
            if ident not in self.dids:
                return self._error(2)
            return self._update_did(self.dids[ident], param, values)
        return self._error(17)

    def _update_did(self, did: DidState, param: str, values: dict[str, str]) -> web.Response:
        """``f10|v20|k30|r140|b150`` or ``f=10|...``; every part optional, empty ones skipped."""
        changes: dict[str, str] = {}
        for part in filter(None, param.split("|")):
            letter, value = part[0], part[1:].removeprefix("=")
            if letter not in "fvkrb" or not value.isdigit():
                return self._error(17)
            if letter == "r" and value not in self.routes:
                return self._error(17)
            changes[letter] = value
        if not changes:
            return self._error(17)
        did.holidays = changes.get("f", did.holidays)
        did.vacations = changes.get("v", did.vacations)
        did.office_hours = changes.get("k", did.office_hours)
        did.route = changes.get("r", did.route)
        did.backup = changes.get("b", did.backup)
        self._keep(values)
        return self._ok()

    def _call(self, values: dict[str, str]) -> web.Response:
        sipacc, telnr = values.get("sipacc", ""), values.get("telnr", "")
        if not sipacc or not telnr:
            return self._error(10)
        account = next((a for a in self.sip_accounts.values() if a.username == sipacc), None)
        if account is None:
            return self._error(20)
        if not telnr.isdigit() or not 8 <= len(telnr) <= 15:
            return self._error(17)
        if not account.registered:
            return self._error(21)  # the first leg (the device) cannot be rung
        self._keep(values)
        self.calls.append({"sipacc": sipacc, "telnr": telnr})
        return self._ok()
