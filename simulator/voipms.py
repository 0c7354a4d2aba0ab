"""Loopback simulator of the VoIP.ms REST/JSON API (https://voip.ms/api/v1/rest.php).

Written from the team's notes on the API (NOTES.md section 4): every value is a string, empty
lists are error statuses, reads take GET query parameters, writes must be multipart POST (an
urlencoded body gets a SOAP fault), only allow-listed IP addresses are answered (``getIP``
works from anywhere), and a per-minute request limit answers ``api_limit_exceeded``.
Inbound texts are delivered to the DID's URL callback by GET, re-sent until the answer is
``ok`` when the DID asks for retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
import json
import random
import re
import secrets
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from .common import Fault, QuotaCounter, apply_fault

API_PATH = "/api/v1/rest.php"
EASTERN = ZoneInfo("America/New_York")  # the portal's clock
QUOTA_WINDOW = 60.0
SMS_MAX_BYTES = 160
SMS_COST = Decimal("0.0075")
CALL_RATE = Decimal("0.0100")  # per minute
RETRY_INTERVAL = 1800.0  # VoIP.ms re-sends an unacknowledged callback every 30 minutes
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
ROUTE_HEADERS = frozenset(
    {"account", "fwd", "vm", "sip", "grp", "ivr", "sys", "recording", "queue", "cb", "tc"}
    | {"disa", "none"}
)
WRITE_METHODS = frozenset(
    {"sendSMS", "sendMMS", "setDIDRouting", "setSMS", "setSubAccount", "setForwarding"}
    | {"deleteSMS", "setDIDInfo"}
)
SOAP_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
    "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode>"
    "<faultstring>Bad Request</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body>"
    "</SOAP-ENV:Envelope>"
)
# setSMS parameter -> getDIDsInfo field, and the value a missing parameter resets it to.
SMS_SETTINGS: dict[str, tuple[str, str]] = {
    "enable": ("sms_enabled", "0"),
    "email_enabled": ("sms_email_enabled", "0"),
    "email_address": ("sms_email", ""),
    "sms_forward_enable": ("sms_forward_enabled", "0"),
    "sms_forward": ("sms_forward", ""),
    "url_callback_enable": ("sms_url_callback_enabled", "0"),
    "url_callback": ("sms_url_callback", ""),
    "url_callback_retry": ("sms_url_callback_retry", "0"),
    "webhook": ("webhook", ""),
    "webhook_enabled": ("webhook_enabled", "0"),
    "sms_sipaccount": ("sms_sipaccount", ""),
    "sms_sipaccount_enabled": ("sms_sipaccount_enabled", "0"),
    "dialmode": ("dialmode", "1"),
}
_TEN_DIGITS = re.compile(r"[0-9]{10}")
_ROUTE = re.compile(r"([a-z]+):(.*)")

# tick's odds.
FLIP_CHANCE = 0.1
CALL_CHANCE = 0.3
MISSED_SHARE = 0.25
VOICEMAIL_CHANCE = 0.1
INBOUND_SMS_CHANCE = 0.05

type Fields = dict[str, str]
type Reply = dict[str, Any] | None  # None: an empty body


def _status(text: str) -> dict[str, Any]:
    return {"status": text}


def _money(value: Decimal, places: int = 4) -> str:
    return f"{value:.{places}f}"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _bit(value: bool) -> str:
    return "1" if value else "0"


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _zone(text: str) -> timezone | None:
    """The ``timezone`` parameter: an hour offset from -12 to 13."""
    try:
        hours = float(text)
    except ValueError:
        return None
    if not -12 <= hours <= 13:
        return None
    return timezone(timedelta(hours=hours))


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


@dataclass
class SubAccount:
    """A SIP sub-account and its registration."""

    id: str
    account: str  # the SIP login, e.g. 100001_ext101
    username: str
    description: str
    password: str  # the SIP password: getSubAccounts shows it, a client must not keep it
    extension: str
    registered: bool = False
    server: str = "montreal2.voip.ms"
    register_ip: str = "198.51.100.23"


@dataclass
class Did:
    """A phone number on the account with its routing and SMS settings."""

    did: str
    description: str
    routing: str
    sms_available: bool = True
    sms: dict[str, str] = field(default_factory=dict)  # getDIDsInfo field -> value

    def __post_init__(self) -> None:
        """Every SMS setting starts at its default."""
        for name, default in SMS_SETTINGS.values():
            self.sms.setdefault(name, default)


@dataclass
class Forwarding:
    """A call forwarding entry (fwd:<id>)."""

    id: str
    phone_number: str
    description: str


@dataclass
class MailboxState:
    """A voicemail box and its counts."""

    mailbox: str
    name: str
    password: str
    new: int = 0
    urgent: int = 0


@dataclass
class CdrRecord:
    """One call in the call detail records."""

    when: datetime  # UTC
    callerid: str
    destination: str
    description: str
    account: str
    disposition: str  # ANSWERED, NO ANSWER, BUSY, FAILED
    seconds: int
    total: Decimal
    uniqueid: str


@dataclass
class SmsRecord:
    """A text message, sent (type 0) or received (type 1)."""

    id: str
    when: datetime  # UTC
    type: str
    did: str
    contact: str
    message: str


@dataclass
class Pending:
    """A received text whose callback has not been acknowledged with ``ok`` yet."""

    sms: SmsRecord
    attempts: int = 0


class VoipmsSimulator:
    """One VoIP.ms account served over HTTP, with optional simulated activity."""

    def __init__(
        self,
        *,
        username: str = "pbx@example.ca",
        api_password: str = "Api-Pass-7f3k",  # noqa: S107 - a made-up test account
        account: str = "100001",
        sub_accounts: int = 20,
        dids: int = 5,
        forwardings: int = 2,
        mailboxes: int = 2,
        rate_limit: int = 30,
        allowed_ips: set[str] | None = None,
        currency: str = "CAD",
        empty_write_answers: bool = False,
        sms_daily_limit: int | None = None,
        seed: int = 0,
    ) -> None:
        """Build the account; the seed fixes registrations, calls and tick's choices."""
        self.username = username
        self.api_password = api_password
        self.account = account
        self.url = ""  # set by whoever starts the server
        self.quota = QuotaCounter(limit=rate_limit, window=QUOTA_WINDOW)
        self.allowed_ips = allowed_ips
        self.api_enabled = True
        self.currency = currency
        self.empty_write_answers = empty_write_answers
        self.sms_daily_limit = sms_daily_limit
        self.maintenance: set[str] = set()  # methods answering method_maintenance
        self.fault = Fault.NONE
        self.slow_seconds: float = 30
        self.methods: list[str] = []  # every request's method, in order
        # Every request without credentials: method, HTTP verb and body type.
        self.requests: list[dict[str, str]] = []
        self.sms_sent: list[dict[str, str]] = []
        self.deliveries: list[dict[str, str]] = []  # every callback attempt
        self.undelivered: list[Pending] = []
        self._rng = random.Random(seed)
        self._next_id = 1000
        self.balance = Decimal("25.000000")
        self.spent_total = Decimal("112.3150")
        self.sub_accounts = {
            sub.account: sub for sub in (self._new_sub_account(i) for i in range(sub_accounts))
        }
        self.forwardings = {
            fwd.id: fwd
            for fwd in (
                Forwarding(str(1026 + i), f"438555{199 - i:04d}", ("Mobile", "Cottage")[i % 2])
                for i in range(forwardings)
            )
        }
        self.mailboxes = {
            box.mailbox: box
            for box in (
                MailboxState(str(101 + i), ("Main", "Sales")[i % 2], f"{4321 + i}")
                for i in range(mailboxes)
            )
        }
        self.dids = {did.did: did for did in (self._new_did(i) for i in range(dids))}
        self.cdrs: list[CdrRecord] = []
        self.sms: list[SmsRecord] = []
        self._seed_cdrs()
        self._handlers: dict[str, Callable[[Fields, str], Reply]] = {
            "getIP": self._get_ip,
            "getSubAccounts": self._get_sub_accounts,
            "getRegistrationStatus": self._get_registration_status,
            "getDIDsInfo": self._get_dids_info,
            "getForwardings": self._get_forwardings,
            "getVoicemails": self._get_voicemails,
            "getBalance": self._get_balance,
            "getCDR": self._get_cdr,
            "getSMS": self._get_sms,
            "sendSMS": self._send_sms,
            "setDIDRouting": self._set_did_routing,
            "setSMS": self._set_sms,
        }
        self.app = web.Application()
        self.app.router.add_get(API_PATH, self._handle)
        self.app.router.add_post(API_PATH, self._handle)

    # --- building the account -------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _new_sub_account(self, index: int) -> SubAccount:
        username = f"ext{101 + index}"
        return SubAccount(
            id=str(20000 + index),
            account=f"{self.account}_{username}",
            username=username,
            description=f"Phone {index + 1}",
            password=secrets.token_urlsafe(12),
            extension=str(101 + index),
            registered=self._rng.random() < 0.7,
            server=("montreal2.voip.ms", "toronto1.voip.ms")[index % 2],
        )

    def _new_did(self, index: int) -> Did:
        accounts = list(self.sub_accounts)
        if accounts:
            routing = f"account:{accounts[index % len(accounts)]}"
        elif self.mailboxes:
            routing = f"vm:{next(iter(self.mailboxes))}"
        else:
            routing = "sys:hangup"
        did = Did(
            did=f"514555{100 + index:04d}",
            description="MONTREAL, QC",
            routing=routing,
            sms_available=index < 4,
        )
        did.sms["sms_enabled"] = _bit(index < 3)
        if index == 0:
            did.sms.update(sms_email="owner@example.ca", sms_email_enabled="1")
        return did

    def _seed_cdrs(self) -> None:
        """A few calls earlier today (Eastern time)."""
        now = datetime.now(EASTERN)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(self._rng.randint(3, 6)):
            start = midnight + (now - midnight) * self._rng.random()
            self.add_call(
                answered=self._rng.random() > MISSED_SHARE,
                seconds=self._rng.randint(20, 300),
                when=start.astimezone(UTC),
                charge=False,
            )

    # --- the test and demo API ------------------------------------------------------------

    def set_registered(self, account: str, registered: bool) -> None:
        """Register or unregister a sub-account's phone."""
        self.sub_accounts[account].registered = registered

    def add_call(
        self,
        *,
        inbound: bool = True,
        answered: bool = True,
        seconds: int = 60,
        did: str | None = None,
        remote: str = "4165550142",
        when: datetime | None = None,
        charge: bool = True,
    ) -> CdrRecord:
        """Record a finished call; a charged one takes its cost off the balance."""
        line = did or (next(iter(self.dids)) if self.dids else "5145550100")
        account = next(iter(self.sub_accounts), self.account)
        talked = seconds if answered else 0
        total = (CALL_RATE * Decimal(-(-talked // 60))).quantize(Decimal("0.0001"))
        record = CdrRecord(
            when=when or datetime.now(UTC) - timedelta(seconds=seconds),
            callerid=f'"Caller" <{remote}>' if inbound else f"<{line}>",
            destination=line if inbound else remote,
            description="Inbound DID" if inbound else "Canada - Toronto",
            account=account,
            disposition="ANSWERED" if answered else "NO ANSWER",
            seconds=talked,
            total=total,
            uniqueid=self._new_id(),
        )
        self.cdrs.append(record)
        if charge:
            self.balance -= total
            self.spent_total += total
        return record

    def add_voicemail(self, mailbox: str, *, urgent: bool = False) -> None:
        """A new message arrives in a mailbox."""
        box = self.mailboxes[mailbox]
        box.new += 1
        if urgent:
            box.urgent += 1

    async def run_activity(self, interval: float = 5.0) -> None:
        """Simulate activity forever (cancel the task to stop)."""
        while True:
            self.tick()
            await asyncio.sleep(interval)

    def tick(self) -> None:
        """One step: phones (un)register, calls end, voicemail arrives."""
        for sub in self.sub_accounts.values():
            if self._rng.random() < FLIP_CHANCE:
                sub.registered = not sub.registered
        if self.dids and self._rng.random() < CALL_CHANCE:
            self.add_call(
                inbound=self._rng.random() < 0.7,
                answered=self._rng.random() > MISSED_SHARE,
                seconds=self._rng.randint(15, 240),
                did=self._rng.choice(list(self.dids)),
                remote=f"416555{self._rng.randint(0, 9999):04d}",
            )
        if self.mailboxes and self._rng.random() < VOICEMAIL_CHANCE:
            self.add_voicemail(
                self._rng.choice(list(self.mailboxes)), urgent=self._rng.random() < 0.2
            )

    async def deliver_sms(self, from_number: str, did: str, text: str) -> SmsRecord:
        """A text arrives on ``did``: stored for getSMS and sent to the DID's URL callback.

        When the callback does not answer ``ok`` and the DID asks for retries, the text waits
        in ``undelivered`` for ``retry_undelivered`` (or ``run_retries``).
        """
        record = SmsRecord(self._new_id(), datetime.now(UTC), "1", did, from_number, text)
        self.sms.append(record)
        pending = Pending(record)
        if not await self._attempt(pending) and self._retries(did):
            self.undelivered.append(pending)
        return record

    async def retry_undelivered(self) -> int:
        """Re-send every unacknowledged callback once; return how many were acknowledged."""
        waiting, self.undelivered = self.undelivered, []
        delivered = 0
        for pending in waiting:
            if await self._attempt(pending):
                delivered += 1
            elif self._retries(pending.sms.did):
                self.undelivered.append(pending)
        return delivered

    async def run_retries(self, interval: float = RETRY_INTERVAL) -> None:
        """Re-send unacknowledged callbacks every ``interval`` seconds, forever."""
        while True:
            await asyncio.sleep(interval)
            await self.retry_undelivered()

    def _retries(self, did: str) -> bool:
        number = self.dids.get(did)
        return number is not None and number.sms["sms_url_callback_retry"] == "1"

    def callback_url(self, sms: SmsRecord) -> str | None:
        """The DID's URL callback with the placeholders filled in, if it has one enabled."""
        number = self.dids.get(sms.did)
        if number is None or number.sms["sms_url_callback_enabled"] != "1":
            return None
        template = number.sms["sms_url_callback"]
        if not template:
            return None
        values = {
            "{FROM}": sms.contact,
            "{TO}": sms.did,
            "{MESSAGE}": sms.message,
            "{ID}": sms.id,
            "{TIMESTAMP}": sms.when.astimezone(EASTERN).strftime(DATE_FORMAT),
        }
        for placeholder, value in values.items():
            template = template.replace(placeholder, quote(value, safe=""))
        return template

    async def _attempt(self, pending: Pending) -> bool:
        url = self.callback_url(pending.sms)
        if url is None:
            return False
        pending.attempts += 1
        status, body = "error", ""
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response,
            ):
                status = str(response.status)
                body = (await response.content.read(1024)).decode("utf-8", "replace")
        except (aiohttp.ClientError, TimeoutError) as err:
            body = type(err).__name__
        self.deliveries.append(
            {"id": pending.sms.id, "status": status, "body": body, "attempt": str(pending.attempts)}
        )
        return status == "200" and body.strip().lower() == "ok"

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        """Every request counts against the limit, even refused or faulted ones."""
        fields, acceptable = await self._read_fields(request)
        method = fields.get("method", "")
        self.methods.append(method)
        self.requests.append(
            {"method": method, "verb": request.method, "content_type": request.content_type}
        )
        within_limit = self.quota.hit()
        faulted = await apply_fault(self.fault, self.slow_seconds)
        if faulted is not None:
            return faulted
        if not acceptable:
            return web.Response(text=SOAP_FAULT, content_type="text/xml")
        if self.fault is Fault.QUOTA or not within_limit:
            return self._reply(_status("api_limit_exceeded"))
        return self._reply(self._answer(fields, request.remote or ""))

    async def _read_fields(self, request: web.Request) -> tuple[Fields, bool]:
        """Query (and multipart form) fields; False for a body VoIP.ms refuses.

        [C] A POST must be multipart/form-data: an urlencoded one gets a SOAP fault. We
        refuse writes sent as GET too, so that a client is held to multipart POSTs.
        """
        fields = dict(request.query.items())
        if request.method == "POST":
            if request.content_type != "multipart/form-data":
                return fields, False
            form = await request.post()
            fields.update((key, value) for key, value in form.items() if isinstance(value, str))
            return fields, True
        return fields, fields.get("method", "") not in WRITE_METHODS

    def _reply(self, body: Reply) -> web.Response:
        """Compact JSON with escaped slashes, as PHP's json_encode writes it."""
        if body is None:
            return web.Response(text="", content_type="text/html")
        text = json.dumps(body, separators=(",", ":")).replace("/", "\\/")
        if self.fault is Fault.TRUNCATED:
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="application/json")

    def _answer(self, fields: Fields, remote: str) -> Reply:  # noqa: PLR0911 - one per check
        user, password = fields.get("api_username", ""), fields.get("api_password", "")
        if not user or not password:
            return _status("missing_credentials")
        if user.lower() != self.username.lower() or password != self.api_password:
            return _status("invalid_credentials")
        if not self.api_enabled:
            return _status("api_not_enabled")
        method = fields.get("method", "")
        if not method:
            return _status("missing_method")
        handler = self._handlers.get(method)
        if handler is None:
            return _status("invalid_method")
        if method != "getIP" and self.allowed_ips is not None and remote not in self.allowed_ips:
            return _status("ip_not_enabled")
        if method in self.maintenance:
            return _status("method_maintenance")
        answer = handler(fields, remote)
        if (
            self.empty_write_answers
            and method in WRITE_METHODS
            and method != "sendSMS"
            and answer == _status("success")
        ):
            return None
        return answer

    # --- reads ----------------------------------------------------------------------------

    def _get_ip(self, fields: Fields, remote: str) -> Reply:
        return {"status": "success", "ip": remote}

    def _get_sub_accounts(self, fields: Fields, remote: str) -> Reply:
        wanted = fields.get("account", "")
        rows = [
            {
                "id": sub.id,
                "account": sub.account,
                "username": sub.username,
                "description": sub.description,
                "protocol": "1",
                "auth_type": "1",
                "password": sub.password,
                "ip": "",
                "device_type": "2",
                "callerid_number": "",
                "canada_routing": "1",
                "lock_international": "1",
                "international_route": "1",
                "music_on_hold": "default",
                "language": "en",
                "allowed_codecs": "ulaw;g729;gsm",
                "dtmf_mode": "AUTO",
                "nat": "yes",
                "internal_extension": sub.extension,
                "internal_voicemail": next(iter(self.mailboxes), ""),
                "internal_dialtime": "60",
                "record_calls": "0",
                "reseller_client": "0",
                "reseller_package": "0",
                "reseller_nextbilling": "0000-00-00",
            }
            for sub in self.sub_accounts.values()
            if wanted in ("", sub.id, sub.account)
        ]
        if not rows:
            return _status("invalid_account" if wanted else "no_account")
        return {"status": "success", "accounts": rows}

    def _get_registration_status(self, fields: Fields, remote: str) -> Reply:
        account = fields.get("account", "")
        if not account:
            return _status("missing_account")
        sub = self.sub_accounts.get(account)
        if sub is None:
            return _status("invalid_account")
        if not sub.registered:
            return {"status": "success", "registered": "no", "registrations": []}
        now = datetime.now(EASTERN)
        city = sub.server.split(".")[0].rstrip("0123456789").capitalize()
        return {
            "status": "success",
            "registered": "yes",
            "rerouted": "no",
            "from_server_pop": "",
            "registrations": [
                {
                    "server_name": f"{city}, Canada",
                    "server_shortname": city,
                    "server_hostname": sub.server,
                    "server_ip": "208.100.60.17",
                    "server_country": "Canada",
                    "server_pop": "9",
                    "register_ip": sub.register_ip,
                    "register_port": "5060",
                    "register_next": (now + timedelta(minutes=5)).strftime(DATE_FORMAT),
                    "register_protocol": "SIP",
                    "register_transport": "UDP",
                }
            ],
        }

    def _did_row(self, did: Did) -> dict[str, str]:
        return {
            "did": did.did,
            "description": did.description,
            "routing": did.routing,
            "failover_busy": "none:",
            "failover_unreachable": "none:",
            "failover_noanswer": "none:",
            "voicemail": next(iter(self.mailboxes), "0"),
            "pop": "9",
            "dialtime": "60",
            "cnam": "1",
            "e911": "0",
            "callerid_prefix": "",
            "note": "",
            "billing_type": "1",
            "next_billing": "0000-00-00",
            "order_date": "2024-03-01 10:00:00",
            "reseller_account": "0",
            "reseller_next_billing": "0000-00-00",
            "reseller_monthly": "0.00000000",
            "reseller_minute": "0.00000000",
            "reseller_setup": "0.00000000",
            "sms_available": _bit(did.sms_available),
            "mms_available": _bit(did.sms_available),
            **did.sms,
        }

    def _get_dids_info(self, fields: Fields, remote: str) -> Reply:
        wanted = fields.get("did", "")
        if wanted and wanted not in self.dids:
            return _status("invalid_did")
        rows = [self._did_row(did) for did in self.dids.values() if wanted in ("", did.did)]
        if not rows:
            return _status("no_did")
        return {"status": "success", "dids": rows}

    def _get_forwardings(self, fields: Fields, remote: str) -> Reply:
        wanted = fields.get("forwarding", "")
        rows = [
            {
                "forwarding": fwd.id,
                "phone_number": fwd.phone_number,
                "callerid_override": "",
                "description": fwd.description,
                "dtmf_digits": "",
                "pause": "0",
                "diversion_header": "0",
            }
            for fwd in self.forwardings.values()
            if wanted in ("", fwd.id)
        ]
        if not rows:
            return _status("no_forwarding")
        return {"status": "success", "forwardings": rows}

    def _get_voicemails(self, fields: Fields, remote: str) -> Reply:
        wanted = fields.get("mailbox", "")
        rows = [
            {
                "mailbox": box.mailbox,
                "name": box.name,
                "password": box.password,
                "skip_password": "0",
                "email": "owner@example.ca",
                "attach_message": "yes",
                "delete_message": "no",
                "say_time": "yes",
                "timezone": "America/Montreal",
                "say_callerid": "yes",
                "play_instructions": "u",
                "language": "en",
                "email_attachment_format": "wav49",
                "unavailable_message_recording": "0",
                "new": str(box.new),
                "urgent": str(box.urgent),
            }
            for box in self.mailboxes.values()
            if wanted in ("", box.mailbox)
        ]
        if not rows:
            return _status("no_mailbox")
        return {"status": "success", "voicemails": rows}

    def _today_calls(self) -> list[CdrRecord]:
        today = datetime.now(EASTERN).date()
        return [cdr for cdr in self.cdrs if cdr.when.astimezone(EASTERN).date() == today]

    def _get_balance(self, fields: Fields, remote: str) -> Reply:
        balance: dict[str, str] = {"current_balance": _money(self.balance, 6)}
        if fields.get("advanced", "") in ("1", "true", "yes"):
            today = self._today_calls()
            balance.update(
                spent_total=_money(self.spent_total, 5),
                calls_total=str(len(self.cdrs) + 2000),
                time_total=_hms(sum(cdr.seconds for cdr in self.cdrs) + 36000),
                spent_today=_money(sum((cdr.total for cdr in today), Decimal(0))),
                calls_today=str(len(today)),
                time_today=_hms(sum(cdr.seconds for cdr in today)),
            )
        return {"status": "success", "balance": balance}

    def _get_cdr(self, fields: Fields, remote: str) -> Reply:
        if "date_from" not in fields or "date_to" not in fields:
            return _status("missing_date")
        start, end = _day(fields["date_from"]), _day(fields["date_to"])
        if start is None or end is None or end < start:
            return _status("invalid_date")
        if "timezone" not in fields:
            return _status("missing_timezone")
        zone = _zone(fields["timezone"])
        if zone is None:
            return _status("invalid_timezone")
        wanted = {
            disposition
            for flag, disposition in (
                ("answered", "ANSWERED"),
                ("noanswer", "NO ANSWER"),
                ("busy", "BUSY"),
                ("failed", "FAILED"),
            )
            if fields.get(flag) == "1"
        }
        rows = [
            {
                "date": cdr.when.astimezone(zone).strftime(DATE_FORMAT),
                "callerid": cdr.callerid,
                "destination": cdr.destination,
                "description": cdr.description,
                "account": cdr.account,
                "disposition": cdr.disposition,
                "duration": _hms(cdr.seconds),
                "seconds": str(cdr.seconds),
                "rate": _money(CALL_RATE, 8),
                "total": _money(cdr.total, 8),
                "uniqueid": cdr.uniqueid,
                "destination_type": "in" if cdr.description == "Inbound DID" else "out",
            }
            for cdr in sorted(self.cdrs, key=lambda cdr: cdr.when, reverse=True)
            if start <= cdr.when.astimezone(zone).date() <= end and cdr.disposition in wanted
        ]
        if not rows:
            return _status("no_cdr")
        return {"status": "success", "cdr": rows}

    def _get_sms(self, fields: Fields, remote: str) -> Reply:
        zone = _zone(fields.get("timezone", "0"))
        if zone is None:
            return _status("invalid_timezone")
        today = datetime.now(zone).date()
        start = _day(fields["from"]) if "from" in fields else today
        end = _day(fields["to"]) if "to" in fields else today
        if start is None or end is None or end < start or (end - start).days > 92:
            return _status("invalid_date")
        try:
            limit = int(fields.get("limit", "50"))
        except ValueError:
            return _status("invalid_limit")
        kind, did = fields.get("type", ""), fields.get("did", "")
        rows = [
            {
                "id": sms.id,
                "date": sms.when.astimezone(zone).strftime(DATE_FORMAT),
                "type": sms.type,
                "did": sms.did,
                "contact": sms.contact,
                # [C] PHP-escaped quotes, as the live API sends them.
                "message": sms.message.replace("'", "\\'"),
            }
            for sms in sorted(self.sms, key=lambda sms: sms.when, reverse=True)
            if start <= sms.when.astimezone(zone).date() <= end
            and kind in ("", sms.type)
            and did in ("", sms.did)
            and fields.get("sms", sms.id) == sms.id
        ][:limit]
        if not rows:
            return _status("no_sms")
        return {"status": "success", "sms": rows}

    # --- writes ---------------------------------------------------------------------------

    def _send_sms(self, fields: Fields, remote: str) -> Reply:  # noqa: PLR0911 - one per refusal
        did, dst = fields.get("did", ""), fields.get("dst", "")
        message = fields.get("message")
        if not did:
            return _status("missing_did")
        number = self.dids.get(did)
        if number is None or number.sms["sms_enabled"] != "1":
            return _status("invalid_did")
        if not dst:
            return _status("missing_dst")
        if not _TEN_DIGITS.fullmatch(dst):
            return _status("invalid_dst")
        if message is None:
            return _status("missing_sms")
        if not message.strip():
            return _status("message_empty")
        if len(message.encode("utf-8")) > SMS_MAX_BYTES:
            return _status("sms_toolong")
        today = datetime.now(UTC).date()
        sent_today = sum(1 for sms in self.sms if sms.type == "0" and sms.when.date() == today)
        if self.sms_daily_limit is not None and sent_today >= self.sms_daily_limit:
            return _status("limit_reached")
        record = SmsRecord(self._new_id(), datetime.now(UTC), "0", did, dst, message)
        self.sms.append(record)
        self.sms_sent.append({"id": record.id, "did": did, "dst": dst, "message": message})
        self.balance -= SMS_COST
        return {"status": "success", "sms": record.id}

    def _routing_ok(self, routing: str) -> bool:
        match = _ROUTE.fullmatch(routing)
        if match is None or match.group(1) not in ROUTE_HEADERS:
            return False
        header, value = match.groups()
        known = {
            "account": set(self.sub_accounts) | {self.account},
            "fwd": set(self.forwardings),
            "vm": set(self.mailboxes),
        }
        return header not in known or value in known[header]

    def _set_did_routing(self, fields: Fields, remote: str) -> Reply:
        did, routing = fields.get("did", ""), fields.get("routing", "")
        if not did:
            return _status("missing_did")
        number = self.dids.get(did)
        if number is None:
            return _status("invalid_did")
        if not routing:
            return _status("missing_routing")
        if not self._routing_ok(routing):
            return _status("invalid_routing")
        number.routing = routing
        return _status("success")

    def _set_sms(self, fields: Fields, remote: str) -> Reply:
        """Every setting not given is reset to its default, as a form left blank would be."""
        did = fields.get("did", "")
        if not did:
            return _status("missing_did")
        number = self.dids.get(did)
        if number is None:
            return _status("invalid_did")
        if "enable" not in fields:
            return _status("missing_enable")
        if not number.sms_available and fields["enable"] == "1":
            return _status("sms_not_available")
        if fields.get("url_callback_enable") == "1" and not fields.get("url_callback"):
            return _status("missing_url_callback")
        for param, (name, default) in SMS_SETTINGS.items():
            number.sms[name] = fields.get(param, default)
        return _status("success")


def build_demo() -> VoipmsSimulator:
    """A smaller account for the live demo, open to any address."""
    return VoipmsSimulator(sub_accounts=4, dids=3, rate_limit=60)
