"""Loopback simulator of the VOIPZeker Unite API (api.voipzeker.nl/unite/v1).

Written from the provider's document and its helpdesk page on webhooks. Where the document is
silent (refusal texts, which error code a refusal carries, the numeric webhook status) it picks
a plausible answer and keeps to the documented envelope ``{status, errorCode, message, data}``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
import math
import random
import re
import string
import time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from .common import Fault, QuotaCounter, apply_fault

API_PATH = "/unite/v1/"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
QUOTA_LIMIT = 30
QUOTA_WINDOW = 60.0
TOKEN_LIFETIME = 30 * 60.0
MAX_REQUEST_BYTES = 20 * 1024
OK_MESSAGE = "Operation Successful."
STATUS_LIST = {
    "1": "Registered",
    "2": "Offline",
    "3": "Inbound ringing",
    "4": "Outbound ringing",
    "5": "Outbound answered call",
    "6": "Inbound answered call",
    "0": "Never registered",
}
NAMES = ("Receptie", "Verkoop", "Support", "Magazijn", "Directie", "Planning", "Boekhouding")
SWITCH_NAMES = ("Nachtstand", "Vakantie", "Storing", "Lunch")
# The shared phonebook: (name, lastname, companyname, number as international digits).
PHONEBOOK = (
    ("Jan", "de Vries", "", "31612345678"),
    ("", "", "Loodgietersbedrijf Smit", "31201234567"),
    ("Fatima", "El Amrani", "Bakkerij Zoet", "31651234987"),
    ("", "", "VOIPZeker", "31880660550"),
)
CDR_TIME = "%Y-%m-%d %H:%M:%S"
# Numeric webhook statuses are not documented; these follow the extension status codes.
WEBHOOK_STATUS = {"INCOMING_RINGING": 3, "OUTGOING_RINGING": 4, "CONNECTED": 6, "DISCONNECTED": 1}

# run_activity's odds per tick.
CALL_CHANCE = 0.35
INBOUND_SHARE = 0.6
ANSWER_CHANCE = 0.5
HANG_UP_CHANCE = 0.3
OFFLINE_CHANCE = 0.03

type Form = dict[str, list[str]]
type Handler = Callable[[Form], web.Response]


@dataclass
class CdrEntry:
    """A finished call as listcdrlogs shows it (``internal``/``answered`` drive the filters)."""

    uniqueid: str
    when: datetime
    direction: str  # "in" | "out"
    answered: bool
    internal: bool
    local: str  # the extension's short number
    remote: str

    def row(self) -> dict[str, Any]:
        """The document's row; the call chain runs from caller to callee."""
        billsecond = 54 if self.answered else 0
        local = {"number": self.local, "desc": self.local, "number_formats": {}}
        remote = {"number": self.remote, "desc": "", "number_formats": {"ITU": self.remote}}
        chain = [remote, local] if self.direction == "in" else [local, remote]
        return {
            "uniqueid": self.uniqueid,
            "calltime": self.when.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "billsecond": str(billsecond),
            "duration": str(billsecond + 8),
            "direction": self.direction,
            "call_chain": chain,
        }


@dataclass
class LiveCall:
    """The call run_activity has an extension in."""

    call_id: str
    remote: str
    direction: str  # "in" | "out"


def _ok(data: Any = None, **extra: Any) -> web.Response:
    body = {"status": True, "errorCode": 0, "message": OK_MESSAGE, **extra, "data": data or []}
    return web.json_response(body)


def _fail(message: str, code: int | None = None, status: int = 200) -> web.Response:
    body: dict[str, Any] = {"status": False, "message": message, "data": []}
    if code is not None:
        body["errorCode"] = code
    return web.json_response(body, status=status)


def _one(form: Form, name: str, default: str = "") -> str:
    values = form.get(name)
    return values[-1] if values else default


def _int(form: Form, name: str, default: int) -> int:
    try:
        return int(_one(form, name, str(default)))
    except ValueError:
        return default


def _array(form: Form, name: str) -> list[str]:
    """``name[]=a&name[]=b`` and ``name[0]=a&name[1]=b``, as PHP reads both."""
    pattern = re.compile(re.escape(name) + r"\[\d*\]")
    return [value for key, values in form.items() if pattern.fullmatch(key) for value in values]


def _paged(rows: list[Any], form: Form) -> tuple[list[Any], int]:
    """One page of rows (pagelimit 0 or absent: all) and the page count."""
    limit = min(max(_int(form, "pagelimit", 0), 0), 300)
    if limit == 0:
        return rows, 1
    page = max(_int(form, "showpage", 1), 1)
    pages = max(1, math.ceil(len(rows) / limit))
    return rows[(page - 1) * limit : page * limit], pages


def _flag(text: str) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get(text.strip().lower())


class VoipzekerSimulator:
    """One Unite tenant served over HTTP, with optional simulated office life."""

    def __init__(
        self, *, extensions: int = 5, switches: int = 2, seed: int = 0, tenant: str = "1234"
    ) -> None:
        """Build the tenant; the seed fixes ids, names, CDRs and run_activity's choices."""
        self._rng = random.Random(seed)
        self.tenant = tenant
        self.tenant_id = "N30" + self._digits(19)
        self.quota = QuotaCounter(limit=QUOTA_LIMIT, window=QUOTA_WINDOW)
        self.fault = Fault.NONE
        self.slow_seconds = 30.0
        self.force_http_status: int | None = None  # answer every request with this status
        self.force_error: tuple[int | None, str] | None = None  # (errorCode, message)
        self.requests: Counter[str] = Counter()
        self.invitations: set[str] = set()
        self.login_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> monotonic time issued
        self.token_rejections = 0  # answers with errorCode 90/21
        self.issued_secrets: list[str] = []  # every invitation and token, for leak checks
        self.extensions = [self._new_extension(i) for i in range(extensions)]
        self.statuses = {ext["id"]: 1 for ext in self.extensions}
        self.dnd: dict[str, bool] = {}  # only extensions whose DND was ever set
        self.properties: dict[str, dict[str, str]] = {ext["id"]: {} for ext in self.extensions}
        self.switches = [self._new_switch(i) for i in range(switches)]
        self.refused_switches: set[str] = set()
        self.calls: list[dict[str, str]] = []
        self.cdr: list[CdrEntry] = []
        self.webhook_url: str | None = None
        self.phonebook = [self._phonebook_row(i, *entry) for i, entry in enumerate(PHONEBOOK)]
        self.phonebook_refused = False  # answer listphonebookitems with 403 (admins only)
        self.url = ""  # the API address, once a server runs it
        self.live: dict[str, LiveCall] = {}
        self._seed_cdr()
        self.invitation_id = self.issue_invitation()
        self._handlers: dict[str, Handler] = {
            "extensionsstatusdescriptions": self._status_descriptions,
            "listextensions": self._list_extensions,
            "getextension": self._get_extension,
            "listextensionsstatus": self._list_statuses,
            "getextensionproperties": self._get_properties,
            "setextensionproperties": self._set_properties,
            "listswitches": self._list_switches,
            "getswitch": self._get_switch,
            "updateswitch": self._update_switch,
            "callnumber": self._call_number,
            "listcdrlogs": self._list_cdr,
            "listphonebookitems": self._list_phonebook,
            "setapptemplatesettings": self._set_template,
        }
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_post(API_PATH + "{endpoint}", self._handle)

    # --- building the tenant ----------------------------------------------------------------

    def _digits(self, count: int) -> str:
        return "".join(self._rng.choice(string.digits) for _ in range(count))

    def _secret(self, length: int = 40) -> str:
        return "".join(
            self._rng.choice(string.ascii_letters + string.digits) for _ in range(length)
        )

    def _new_extension(self, index: int) -> dict[str, Any]:
        extno = f"{200 + index:04d}"
        return {
            "id": "R32" + self._digits(19),
            "username": f"{self.tenant}*{extno}",
            "password": "sip-" + self._secret(12),  # must never reach a client's data or logs
            "calleridtype": "1",
            "callerid": f"3188066{550 + index:04d}",
            "country": "NL",
            "name": NAMES[index % len(NAMES)] + ("" if index < len(NAMES) else f" {index}"),
            "email": f"ext{extno}@example.nl",
            "exttype": "100",
            "createdate": "2019-11-27 15:34:22",
            "callrecordcount": "0",
            "voicemailcount": "0",
            "extno": str(index + 1),
            "extno_format": extno,
        }

    def _new_switch(self, index: int) -> dict[str, Any]:
        key = "-".join(self._secret(n).lower() for n in (8, 4, 4, 4, 12))
        name = SWITCH_NAMES[index % len(SWITCH_NAMES)]
        return {
            "switchkey": key,
            "tenantid": self.tenant_id,
            "switch_no": str(index + 1),
            "name": name if index < len(SWITCH_NAMES) else f"{name} {index + 1}",
            "lang": "nl",
            "state": index % 2 == 0,
        }

    @staticmethod
    def _phonebook_row(
        index: int, name: str, lastname: str, company: str, number: str
    ) -> dict[str, Any]:
        """A phonebook item as the document shows it, number formats and all."""
        national = "0" + number[2:]
        return {
            # Not from the seeded generator: the rest of the tenant stays as before.
            "id": f"P31{index:019d}",
            "extensionid": "0",
            "name": name,
            "lastname": lastname,
            "companyname": company,
            "phonenumbertype": "0",
            "phonenumber": number,
            "phonenumber_formats": {
                "CountryID": "NL",
                "CountryCode": 31,
                "National": national,
                "International": "+" + number,
                "E164": "+" + number,
                "RFC3966": "tel:+" + number,
                "ITU": number,
                "isValidNumber": 1,
            },
            "phonenumber_formatted": national,
        }

    def add_contact(self, name: str, lastname: str = "", company: str = "", *, number: str) -> None:
        """Add a phonebook item (``number`` as international digits, ``31612345678``)."""
        row = self._phonebook_row(len(self.phonebook), name, lastname, company, number)
        self.phonebook.append(row)

    def _seed_cdr(self) -> None:
        """A few finished calls earlier today (Amsterdam)."""
        now = datetime.now(AMSTERDAM).replace(tzinfo=None)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for ext in self.extensions:
            for _ in range(self._rng.randint(1, 3)):
                when = midnight + (now - midnight) * self._rng.random()
                direction = "in" if self._rng.random() < INBOUND_SHARE else "out"
                answered = self._rng.random() < ANSWER_CHANCE * 1.6
                self.add_cdr(ext["id"], direction=direction, answered=answered, when=when)

    # --- the test and demo API --------------------------------------------------------------

    def issue_invitation(self) -> str:
        """A fresh invitation id, as re-enabling the App provisioning template gives."""
        invitation = "".join(
            self._rng.choice(string.digits + string.ascii_uppercase) for _ in range(6)
        )
        self.invitations.add(invitation)
        self.issued_secrets.append(invitation)
        self.invitation_id = invitation
        return invitation

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers errorCode 90 from now on."""
        self.access_tokens = dict.fromkeys(self.access_tokens, -math.inf)

    def forget_access_tokens(self) -> None:
        """Every access token issued so far is unknown (errorCode 21)."""
        self.access_tokens.clear()

    def revoke_login_tokens(self) -> None:
        """Login tokens stop working, as when the App template is reset."""
        self.login_tokens.clear()

    def extension(self, key: str) -> dict[str, Any]:
        """An extension by id, username or short number."""
        for ext in self.extensions:
            if key in (ext["id"], ext["username"], ext["extno_format"]):
                return ext
        raise KeyError(key)

    def set_status(self, ext: str, code: int) -> None:
        """Set an extension's status code (0-6)."""
        if code not in range(7):
            raise ValueError(code)
        self.statuses[self.extension(ext)["id"]] = code

    def switch(self, switch_no: str) -> dict[str, Any]:
        """A switch by its number."""
        return next(row for row in self.switches if row["switch_no"] == switch_no)

    def refuse_switch(self, switch_no: str) -> None:
        """Updates of this switch are refused from now on."""
        self.switch(switch_no)
        self.refused_switches.add(switch_no)

    def add_cdr(
        self,
        ext: str,
        *,
        direction: str = "in",
        answered: bool = True,
        internal: bool = False,
        when: datetime | None = None,
        remote: str | None = None,
    ) -> CdrEntry:
        """Record a finished call (``when`` naive Amsterdam time; default now)."""
        entry = CdrEntry(
            uniqueid=f"195.200.82.130_{self._secret(32).lower()}",
            when=when or datetime.now(AMSTERDAM).replace(tzinfo=None),
            direction=direction,
            answered=answered,
            internal=internal,
            local=self.extension(ext)["extno_format"],
            remote=remote or self._remote(),
        )
        self.cdr.append(entry)
        return entry

    async def fire_webhook(
        self, session: aiohttp.ClientSession, method: str = "GET", **fields: str
    ) -> int:
        """Call the stored webhook template with the call data filled in; return the status.

        Unset fields get plausible values: an inbound call ringing the first extension.
        """
        if not self.webhook_url:
            raise RuntimeError("no webhook URL is set")
        values = {
            "calluniqueid": f"195.200.82.130_{self._secret(32).lower()}",
            "callfrom": self._remote(),
            "callto": self.extensions[0]["username"] if self.extensions else "",
            "status_desc": "INCOMING_RINGING",
            "direction": "in",
            "timestamp": str(int(time.time())),
            **fields,
        }
        values.setdefault("status", str(WEBHOOK_STATUS.get(values["status_desc"], 0)))
        url = self.webhook_url
        for name, value in values.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        async with session.request(method, url) as response:
            return response.status

    async def run_activity(
        self, interval: float = 3.0, session: aiohttp.ClientSession | None = None
    ) -> None:
        """Simulate office life forever (cancel the task to stop); pushes events with a session."""
        while True:
            for event in self.tick():
                if session is not None and self.webhook_url:
                    # A receiver that is down misses the event, as with the real service.
                    with suppress(aiohttp.ClientError, TimeoutError):
                        await self.fire_webhook(session, **event)
            await asyncio.sleep(interval)

    def tick(self) -> list[dict[str, str]]:
        """One step of office life; returns the webhook events it caused."""
        events: list[dict[str, str]] = []
        for ext in self.extensions:
            events.extend(self._advance(ext))
        return events

    # --- office life ------------------------------------------------------------------------

    def _remote(self) -> str:
        return f"316{self._rng.randint(10_000_000, 99_999_999)}"

    def _advance(self, ext: dict[str, Any]) -> list[dict[str, str]]:
        code = self.statuses[ext["id"]]
        if code in (0, 2):
            if self._rng.random() < OFFLINE_CHANCE * 5:
                self.statuses[ext["id"]] = 1
            return []
        if code == 1:
            return self._idle_step(ext)
        if code in (3, 4):
            return self._ringing_step(ext)
        if self._rng.random() < HANG_UP_CHANCE:
            return self._hang_up(ext, answered=True)
        return []

    def _idle_step(self, ext: dict[str, Any]) -> list[dict[str, str]]:
        roll = self._rng.random()
        if roll < OFFLINE_CHANCE:
            self.statuses[ext["id"]] = 2
            return []
        if roll > CALL_CHANCE / len(self.extensions) + OFFLINE_CHANCE:
            return []
        inbound = self._rng.random() < INBOUND_SHARE
        call = LiveCall(self._secret(16).lower(), self._remote(), "in" if inbound else "out")
        self.live[ext["id"]] = call
        self.statuses[ext["id"]] = 3 if inbound else 4
        return [self._event(ext, call, "INCOMING_RINGING" if inbound else "OUTGOING_RINGING")]

    def _ringing_step(self, ext: dict[str, Any]) -> list[dict[str, str]]:
        roll = self._rng.random()
        if roll < ANSWER_CHANCE:
            call = self.live[ext["id"]]
            self.statuses[ext["id"]] = 6 if call.direction == "in" else 5
            return [self._event(ext, call, "CONNECTED")]
        if roll < ANSWER_CHANCE + HANG_UP_CHANCE / 2:
            return self._hang_up(ext, answered=False)
        return []

    def _hang_up(self, ext: dict[str, Any], *, answered: bool) -> list[dict[str, str]]:
        call = self.live.pop(ext["id"])
        self.statuses[ext["id"]] = 1
        self.add_cdr(ext["id"], direction=call.direction, answered=answered, remote=call.remote)
        return [self._event(ext, call, "DISCONNECTED")]

    @staticmethod
    def _event(ext: dict[str, Any], call: LiveCall, desc: str) -> dict[str, str]:
        inbound = call.direction == "in"
        return {
            "calluniqueid": call.call_id,
            "callfrom": call.remote if inbound else ext["username"],
            "callto": ext["username"] if inbound else call.remote,
            "status_desc": desc,
            "direction": call.direction,
        }

    # --- HTTP -------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Quota, size cap and faults come before any endpoint; every request counts."""
        self.requests[request.match_info.get("endpoint", "")] += 1
        within_quota = self.quota.hit()
        if self.fault is Fault.QUOTA or not within_quota:
            return web.json_response({"message": "Too Many Requests"}, status=429)
        if _request_size(request) > MAX_REQUEST_BYTES:
            return web.Response(status=413, text="413 payload too large")
        if self.force_http_status is not None:
            return _fail("Forced answer", status=self.force_http_status)
        faulted = await apply_fault(self.fault, self.slow_seconds)
        if faulted is not None:
            return faulted
        response = await handler(request)
        if self.fault is Fault.TRUNCATED and isinstance(response, web.Response) and response.text:
            return web.Response(
                text=response.text[: len(response.text) // 2], content_type="application/json"
            )
        return response

    async def _handle(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        posted = await request.post()
        form: Form = {}
        for key, value in posted.items():
            if isinstance(value, str):
                form.setdefault(key, []).append(value)
        if endpoint == "appprovision":
            return self._provision(form)
        if endpoint == "applogin":
            return self._login(form)
        handler = self._handlers.get(endpoint)
        if handler is None:
            return _fail("The specified endpoint could not be found", status=404)
        refused = self._check_token(_one(form, "accesstoken"))
        if refused is not None:
            return refused
        if self.force_error is not None:
            return _fail(self.force_error[1], self.force_error[0])
        return handler(form)

    def _check_token(self, token: str) -> web.Response | None:
        issued = self.access_tokens.get(token)
        if issued is None:
            self.token_rejections += 1
            return _fail("Invalid Access Token", 21)
        if time.monotonic() - issued >= TOKEN_LIFETIME:
            self.token_rejections += 1
            return _fail("Access token value renew", 90)
        return None

    # --- authentication ---------------------------------------------------------------------

    def _provision(self, form: Form) -> web.Response:
        invitation = _one(form, "invitationid")
        if invitation not in self.invitations:
            return _fail("Invitation is not valid or already used", 100)
        self.invitations.discard(invitation)  # single use: the template disables itself
        token = self._secret(64)
        self.login_tokens.add(token)
        self.issued_secrets.append(token)
        return _ok({"logintoken": token})

    def _login(self, form: Form) -> web.Response:
        if _one(form, "logintoken") not in self.login_tokens:
            return _fail("User Verified Error", 100)
        token = self._secret(48)
        self.access_tokens[token] = time.monotonic()
        self.issued_secrets.append(token)
        return _ok({"accesstoken": token})

    # --- extensions -------------------------------------------------------------------------

    def _status_descriptions(self, form: Form) -> web.Response:
        return _ok({"status_list": STATUS_LIST})

    def _extension_row(self, ext: dict[str, Any]) -> dict[str, Any]:
        return {**ext, "regstatus": self.statuses[ext["id"]]}

    def _list_extensions(self, form: Form) -> web.Response:
        text = _one(form, "stext").lower()
        key = _one(form, "sortkey", "extno") or "extno"
        rows = [
            self._extension_row(ext)
            for ext in self.extensions
            if not text or any(text in str(value).lower() for value in ext.values())
        ]
        numeric = key in ("extno", "regstatus", "exttype", "calleridtype")
        rows.sort(key=lambda row: int(row[key]) if numeric else str(row.get(key, "")))
        if _one(form, "sorttype") == "1":
            rows.reverse()
        page, pages = _paged(rows, form)
        return _ok({"itemcount": str(len(rows)), "pagecount": pages, "items": page})

    def _get_extension(self, form: Form) -> web.Response:
        try:
            ext = self.extension(_one(form, "extensionid"))
        except KeyError:
            return _fail("Extension not found")
        return _ok(self._extension_row(ext))

    def _list_statuses(self, form: Form) -> web.Response:
        ids = _array(form, "extensionids")
        if not ids:
            return _fail("extensionids is required")
        items = {ext: self.statuses[ext] for ext in ids if ext in self.statuses}
        return _ok({"items": items, "status_list": STATUS_LIST})

    def _get_properties(self, form: Form) -> web.Response:
        ext = _one(form, "extensionid")
        if ext not in self.properties:
            return _fail("Extension not found")
        properties = {"clicktocall_enable": "1", **self.properties[ext]}
        if ext in self.dnd:  # as in the document's example, an unset property is absent
            properties["isuser_dnd"] = "1" if self.dnd[ext] else "0"
        return _ok({"extensionproperties": properties})

    def _set_properties(self, form: Form) -> web.Response:
        ext = _one(form, "extensionid")
        if ext not in self.properties:
            return _fail("Extension not found")
        dnd = _one(form, "isuser_dnd")
        if dnd and dnd not in ("0", "1"):
            return _fail("isuser_dnd must be 0 or 1")
        for key, values in form.items():
            if key not in ("accesstoken", "extensionid", "isuser_dnd"):
                self.properties[ext][key] = values[-1]
        if dnd:
            self.dnd[ext] = dnd == "1"
        return _ok()

    # --- switches ---------------------------------------------------------------------------

    def _list_switches(self, form: Form) -> web.Response:
        text = _one(form, "stext").lower()
        rows = [row for row in self.switches if not text or text in row["name"].lower()]
        if _one(form, "sortkey") == "name":
            rows = sorted(rows, key=lambda row: row["name"])
        else:
            rows = sorted(rows, key=lambda row: int(row["switch_no"]))
        if _one(form, "sorttype") == "1":
            rows.reverse()
        page, pages = _paged(rows, form)
        pagination = {"itemcount": str(len(rows)), "pagecount": str(pages)}
        return _ok(page, pagination=pagination)

    def _find_switch(self, form: Form) -> dict[str, Any] | None:
        key = _one(form, "switchkey")
        return next((row for row in self.switches if row["switchkey"] == key), None)

    def _get_switch(self, form: Form) -> web.Response:
        row = self._find_switch(form)
        return _ok(dict(row)) if row is not None else _fail("Switch not found")

    def _update_switch(self, form: Form) -> web.Response:
        row = self._find_switch(form)
        if row is None:
            return _fail("Switch not found")
        if row["switch_no"] in self.refused_switches:
            return _fail("The switch could not be updated")
        state = _flag(_one(form, "state", str(row["state"])))
        if state is None:
            return _fail("state must be 0 or 1")
        row["state"] = state
        for key in ("name", "lang"):
            if _one(form, key):
                row[key] = _one(form, key)
        return _ok()

    # --- calls ------------------------------------------------------------------------------

    def _call_number(self, form: Form) -> web.Response:
        username, number = _one(form, "username"), _one(form, "call_number")
        if not any(ext["username"] == username for ext in self.extensions):
            return _fail("Unknown username")
        if not re.fullmatch(r"[0-9]{2,20}", number):  # documented as an integer
            return _fail("call_number must be a number")
        self.calls.append({"username": username, "call_number": number})
        return _ok()

    def _list_cdr(self, form: Form) -> web.Response:
        try:
            start = datetime.strptime(_one(form, "filter_datestart"), CDR_TIME)
            end = datetime.strptime(_one(form, "filter_dateend"), CDR_TIME)
        except ValueError:
            return _fail("filter_datestart and filter_dateend are required")
        rows = [
            entry for entry in self.cdr if start <= entry.when <= end and self._wanted(entry, form)
        ]
        rows.sort(key=lambda entry: entry.when, reverse=_one(form, "sorttype") == "1")
        page, pages = _paged(rows, form)
        pagination = {"itemcount": str(len(rows)), "pagecount": str(pages)}
        return _ok([entry.row() for entry in page], pagination=pagination)

    @staticmethod
    def _wanted(entry: CdrEntry, form: Form) -> bool:
        """The documented filters with their documented defaults."""
        inbound, outbound = _int(form, "filter_inbound", 0), _int(form, "filter_outbound", 1)
        internal, external = _int(form, "filter_internal", 0), _int(form, "filter_external", 1)
        answered = _int(form, "filter_answered", 1)
        direction_ok = (entry.direction == "in" and inbound) or (
            entry.direction == "out" and outbound
        )
        scope_ok = (entry.internal and internal) or (not entry.internal and external)
        answer_ok = answered == 0 or (answered == 1) == entry.answered
        return bool(direction_ok and scope_ok and answer_ok)

    # --- phonebook ------------------------------------------------------------------------

    def _list_phonebook(self, form: Form) -> web.Response:
        if self.phonebook_refused:
            return _fail("This endpoint is for administrators only", status=403)
        text = _one(form, "stext").lower()
        rows = [
            row
            for row in self.phonebook
            if not text
            or any(text in str(row[key]).lower() for key in ("name", "lastname", "companyname"))
        ]
        page, pages = _paged(rows, form)
        pagination = {"itemcount": str(len(rows)), "pagecount": str(pages)}
        return _ok(page, pagination=pagination)

    def _set_template(self, form: Form) -> web.Response:
        self.webhook_url = _one(form, "webhook_url") or None
        return _ok()


def _request_size(request: web.Request) -> int:
    headers = sum(len(key) + len(value) + 4 for key, value in request.headers.items())
    return headers + (request.content_length or 0)


def build_demo() -> tuple[VoipzekerSimulator, dict[str, str]]:
    """A small tenant for the live demo, and what to type into the config flow."""
    sim = VoipzekerSimulator(extensions=6, switches=3, seed=7)
    sim.set_status(sim.extensions[-1]["id"], 2)  # one phone unplugged, for variety
    return sim, {"invitation_id": sim.invitation_id, "path": API_PATH}


__all__ = ["API_PATH", "CdrEntry", "VoipzekerSimulator", "build_demo"]
