"""Developer demo and smoke check: the provider simulators, a real Home Assistant, entries.

Run through ``scripts/develop``, which installs everything first. Everything listens on
127.0.0.1 only; Ctrl-C (SIGINT) or SIGTERM stops Home Assistant and the simulators.

``--check`` runs once without a user, in a throw-away configuration folder: one entry per
simulated provider through the config flow, every entity must have a state, the actions,
a switch, a reload, a reconfigure and a removal must work, and Home Assistant's log must
have no warning about hosted_pbx. ``--venv`` picks the Home Assistant (a venv with
``hass``), e.g. one built by ``../shared/tools/current-ha-venv``.
"""

from __future__ import annotations

import argparse
import base64
from collections import deque
from collections.abc import Iterator
import contextlib
import ctypes
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from types import FrameType
from typing import Any, NoReturn
import urllib.error
import urllib.parse
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
VENV = ROOT / ".venv"
DOMAIN = "hosted_pbx"
HOST = "127.0.0.1"
PREFERRED_PORT = 8123
CHECK_PORT = 18123  # --check starts looking here, away from a developer's demo

USERNAME = "dev"
PASSWORD = "dev-password"  # noqa: S105 - the demo's documented login, loopback only
NAME = "Developer"
LANGUAGE = "en"

# Onboarding's core_config step adds entries of these; they would reach the internet.
# Fresh configuration folders never get them (see ``prepare_storage``); the removal only
# cleans folders made by earlier versions of this script.
ONBOARDING_EXTRAS = frozenset({"google_translate", "met", "radio_browser"})
# Onboarding steps marked done before the first start: the user step is all that is left.
ONBOARDING_PRESET = ("core_config", "analytics", "integration")
ONBOARDING_STORAGE_VERSION = 4  # the same from 2025.4 to 2026.11 (checked)
RESTART_EXIT_CODE = 100  # hass exits with it when a restart is asked for in the UI
SIMULATOR_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
CONSOLE_LINES = 40  # the last lines of hass's console kept in memory, for errors
PROCS: dict[str, subprocess.Popen[bytes]] = {}  # what main's finally-block stops

CONFIGURATION_YAML = """\
# Written by scripts/develop on every start (the port may change): edit the generator, or
# put your own YAML in config/packages/*.yaml, which is kept.
# No default_config: it would start zeroconf, ssdp, dhcp and bluetooth (traffic off loopback).
homeassistant:
  name: Hosted PBX demo
  time_zone: Europe/Amsterdam
  currency: EUR
  country: NL
  internal_url: http://{host}:{port}
  # The simulated providers run on this machine: for them, loopback is "external", so
  # their pushes (VOIPZeker call events, VoIP.ms texts) reach Home Assistant.
  external_url: http://{host}:{port}
  packages: !include_dir_named packages

http:
  server_host: {host}
  server_port: {port}

logger:
  default: info
  logs:
    custom_components.hosted_pbx: debug

frontend:
api:
config:
conversation:
energy:
history:
logbook:
media_source:
mobile_app:
my:
sun:
webhook:
"""


class DevelopError(Exception):
    """Something the developer must be told about; the demo stops."""


class Stopped(Exception):
    """SIGINT or SIGTERM arrived."""


@dataclass
class Hass:
    """Where one Home Assistant runs from and keeps its files."""

    venv: Path
    config: Path
    started: float = field(default_factory=time.time)
    console: deque[str] = field(default_factory=lambda: deque(maxlen=CONSOLE_LINES))

    @property
    def hass(self) -> Path:
        """The ``hass`` executable."""
        return self.venv / "bin" / "hass"

    @property
    def log(self) -> Path:
        """Home Assistant's own log file."""
        return self.config / "home-assistant.log"

    def version(self) -> str:
        """The Home Assistant version installed in the venv."""
        out = subprocess.run(  # noqa: S603 - fixed argument list
            [
                str(self.venv / "bin" / "python"),
                "-c",
                "import homeassistant.const as c; print(c.__version__)",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise DevelopError(f"no Home Assistant in {self.venv}: {out.stderr.strip()[-300:]}")
        return out.stdout.strip()


# --------------------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """In the child: get SIGTERM when this driver dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _spawn(name: str, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a child in its own session, so a terminal's Ctrl-C reaches only this driver.

    The driver then stops the children itself (see ``main``), in order: Home Assistant
    first, then the simulators it talks to.
    """
    parent = os.getpid()

    def preexec() -> None:
        _die_with_parent()
        if os.getppid() != parent:  # the driver died before prctl took effect
            os._exit(1)

    proc = subprocess.Popen(  # noqa: S603 - fixed argument lists
        args,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=preexec,  # noqa: PLW1509 - the driver's threads only read pipes
        **kwargs,
    )
    PROCS[name] = proc
    return proc


def _stop(proc: subprocess.Popen[bytes] | None, what: str, sig: int) -> None:
    """Signal the child's process group, wait, and kill it if it hangs."""
    if proc is None or proc.poll() is not None:
        return
    print(f"==> stopping {what} (pid {proc.pid})", flush=True)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"    {what} did not stop within {STOP_TIMEOUT:.0f} s: killing it", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # Anything it left behind in its process group goes too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file, indented, for an error message."""
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"    ({path} is missing)"
    return "\n".join(f"    {line}" for line in text) or f"    ({path} is empty)"


# --------------------------------------------------------------------------- simulators


Providers = dict[str, dict[str, str]]  # provider key -> {"url": ..., credentials}


def start_simulators(
    config: Path, *, records: bool = False
) -> tuple[subprocess.Popen[bytes], Providers, Providers]:
    """Start ``python -m simulator`` and read the one JSON line it prints.

    Returns the process, the accounts to add, and the spare accounts (one per provider,
    left for adding by hand). With ``records``, the simulators also serve what they
    recorded; its URL is the ``"_records"`` item of the accounts to add.
    """
    log = config / "simulator.log"
    args = [sys.executable, "-m", "simulator", *(["--records"] if records else [])]
    with log.open("wb") as stderr:
        proc = _spawn("simulators", args, stdout=subprocess.PIPE, stderr=stderr)
    assert proc.stdout is not None
    stdout = proc.stdout
    found: list[bytes] = []
    reader = threading.Thread(target=lambda: found.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(SIMULATOR_TIMEOUT)
    line = found[0] if found else b""
    if not line:
        _stop(proc, "the simulators", signal.SIGINT)
        raise DevelopError(
            f"the simulators printed nothing within {SIMULATOR_TIMEOUT:.0f} s"
            f" (exit code {proc.poll()}); {log}:\n{_tail(log)}"
        )
    try:
        providers = json.loads(line)
        spares = providers.pop("_spare", {}) if isinstance(providers, dict) else None
        if not isinstance(spares, dict) or not all(
            isinstance(info, dict) and "url" in info
            for info in [*providers.values(), *spares.values()]
        ):
            raise TypeError('expected {provider: {url: ..., ...}, "_spare": {...}}')
    except (ValueError, TypeError) as err:
        _stop(proc, "the simulators", signal.SIGINT)
        raise DevelopError(f"the simulators printed {line!r}: {err}") from err

    # Keep draining stdout, so a later print can never block the simulators on a full pipe.
    def drain() -> None:
        with (config / "simulator.out").open("ab") as out:
            for rest in stdout:
                out.write(rest)
                out.flush()

    threading.Thread(target=drain, daemon=True).start()

    def strings(found: dict[str, dict[str, Any]]) -> Providers:
        return {key: {k: str(v) for k, v in info.items()} for key, info in found.items()}

    return proc, strings(providers), strings(spares)


# --------------------------------------------------------------------------- Home Assistant


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As aiohttp binds: a port whose old connections linger in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    # Also refuse a port where something already answers (bound on another address).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) != 0


def pick_port(preferred: int) -> int:
    """The preferred port when free, else the first free one above it."""
    for port in range(preferred, preferred + 100):
        if _port_free(port):
            return port
    raise DevelopError(f"no free port in {preferred}-{preferred + 99} on {HOST}")


def write_config(config: Path, port: int) -> None:
    """configuration.yaml for this port, and the integration linked into the config folder."""
    (config / "packages").mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION_YAML.format(host=HOST, port=port))
    link = config / "custom_components" / DOMAIN
    link.parent.mkdir(exist_ok=True)
    # Relative inside the repository (config/ can move with it), absolute elsewhere.
    source = ROOT / "custom_components" / DOMAIN
    target = Path(os.path.relpath(source, link.parent)) if config == CONFIG else source
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        raise DevelopError(f"{link} is a real folder: remove it, it must link to {target}")
    link.symlink_to(target, target_is_directory=True)


def prepare_storage(config: Path) -> None:
    """Set up ``.storage`` so that Home Assistant starts as the scripts need it.

    - A fresh folder gets onboarding's core_config, analytics and integration steps marked
      done: only the user step is left, and the core_config step, which adds weather,
      radio, Google TTS and shopping-list entries (online, and failing with --skip-pip),
      never runs.
    - The HTTP config that Home Assistant 2026.11 migrated from YAML on an earlier start is
      dropped: configuration.yaml (and its port) is rewritten on every start, and only a
      fresh migration picks it up. It is promoted after the start (``promote_http``).
    """
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists() and not (storage / "auth").exists():
        onboarding.write_text(
            json.dumps(
                {
                    "version": ONBOARDING_STORAGE_VERSION,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": list(ONBOARDING_PRESET)},
                },
                indent=2,
            )
        )
    (storage / "http").unlink(missing_ok=True)


def start_hass(ha: Hass) -> subprocess.Popen[bytes]:
    """``hass -c config --skip-pip`` in the background.

    Its console output is what it also writes to home-assistant.log, so only the last
    lines are kept, in memory, for when it dies before it could log.
    """
    ha.console.clear()
    proc = _spawn(
        "hass",
        [str(ha.hass), "-c", str(ha.config), "--skip-pip"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    stdout = proc.stdout

    def drain() -> None:
        for line in stdout:
            ha.console.append(line.decode(errors="replace").rstrip())

    threading.Thread(target=drain, daemon=True).start()
    return proc


def hass_failure(ha: Hass, proc: subprocess.Popen[bytes], why: str) -> DevelopError:
    """An error that shows why Home Assistant is gone, with the tail of its log."""
    if ha.log.exists() and ha.log.stat().st_mtime >= ha.started:
        return DevelopError(f"{why} (exit code {proc.poll()}); tail of {ha.log}:\n{_tail(ha.log)}")
    time.sleep(0.5)  # let the console reader catch up
    console = "\n".join(f"    {line}" for line in ha.console) or "    (nothing)"
    return DevelopError(f"{why} (exit code {proc.poll()}); its console output:\n{console}")


def wait_for_port(ha: Hass, proc: subprocess.Popen[bytes], port: int, timeout: float) -> float:
    """Poll the port until Home Assistant listens; return how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise hass_failure(ha, proc, "Home Assistant exited before it opened its port")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex((HOST, port)) == 0:
                return time.monotonic() - start
        time.sleep(0.5)
    raise hass_failure(
        ha,
        proc,
        f"Home Assistant did not open http://{HOST}:{port} within {timeout:.0f} s"
        " (raise it with --timeout)",
    )


# --------------------------------------------------------------------------- REST


class Api:
    """A tiny JSON client for one Home Assistant on loopback (no proxies, ever)."""

    def __init__(self, port: int) -> None:
        """Talk to http://127.0.0.1:port."""
        self.port = port
        self.base = f"http://{HOST}:{port}"
        self.client_id = f"{self.base}/"
        self.token = ""
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        form: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> tuple[int, Any]:
        """Send one request; return the status and the decoded JSON (None when empty)."""
        headers = {}
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data, headers, method=method)  # noqa: S310
        try:
            with self._opener.open(req, timeout=60) as resp:
                status, raw, kind = resp.status, resp.read(), resp.headers.get_content_type()
        except urllib.error.HTTPError as err:
            status, raw, kind = err.code, err.read(), err.headers.get_content_type()
        text = raw.decode(errors="replace")
        if status not in ok:
            raise DevelopError(f"{method} {path} answered {status}: {text[:500]}")
        if kind != "application/json":
            return status, text  # /api/template answers text/plain
        return status, json.loads(text) if text.strip() else None

    def exchange(self, code: str) -> None:
        """Trade an authorization code for an access token."""
        _, tokens = self.request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.token = tokens["access_token"]

    def login(self) -> None:
        """Log in as the demo user through the login flow, as the frontend does."""
        _, flow = self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base}/?auth_callback=1",
            },
        )
        _, result = self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
        )
        if result.get("type") != "create_entry":
            raise DevelopError(
                f"cannot log in as {USERNAME!r} ({result.get('errors') or result}); the user"
                " was changed in the UI? Remove config/ to start over with a fresh instance"
            )
        self.exchange(result["result"])


class WebSocket:
    """A minimal blocking client of Home Assistant's websocket API (RFC 6455, no TLS).

    Only what the scripts need: text messages, one command at a time. The registries
    (devices, entities) and a few admin commands are only available here.
    """

    def __init__(self, port: int, token: str, timeout: float = 60) -> None:
        """Connect to ws://127.0.0.1:port/api/websocket and authenticate."""
        self._sock = socket.create_connection((HOST, port), timeout=timeout)
        self._buffer = b""
        self._next_id = 1
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall(
            (
                f"GET /api/websocket HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = self._read_until(b"\r\n\r\n").split(b"\r\n", 1)[0]
        if b" 101 " not in head + b" ":
            raise DevelopError(f"the websocket API answered {head.decode(errors='replace')}")
        hello = self.receive()
        if hello.get("type") != "auth_required":
            raise DevelopError(f"the websocket API said {hello}")
        self._send_text(json.dumps({"type": "auth", "access_token": token}))
        answer = self.receive()
        if answer.get("type") != "auth_ok":
            raise DevelopError(f"the websocket API refused the token: {answer}")

    def close(self) -> None:
        """Close without ceremony (the server copes)."""
        with contextlib.suppress(OSError):
            self._send(0x8, b"")
        self._sock.close()

    def command(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one command and return its result message ({"success": ..., ...})."""
        ident = self._next_id
        self._next_id += 1
        self._send_text(json.dumps({"id": ident, **message}))
        while True:
            answer = self.receive()
            if answer.get("id") == ident and answer.get("type") == "result":
                return answer

    def result(self, message: dict[str, Any]) -> Any:
        """The result of a command that must succeed."""
        answer = self.command(message)
        if not answer.get("success"):
            raise DevelopError(f"websocket {message['type']} failed: {answer.get('error')}")
        return answer.get("result")

    def receive(self) -> dict[str, Any]:
        """The next JSON message (answering pings on the way)."""
        parts: list[bytes] = []
        while True:
            first, second = self._read_exact(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read_exact(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read_exact(8))
            payload = self._read_exact(length)  # servers never mask
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                raise DevelopError("Home Assistant closed the websocket")
            elif opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if first & 0x80:
                    message: dict[str, Any] = json.loads(b"".join(parts))
                    return message

    def _send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self._sock.sendall(head + mask + masked)

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise DevelopError("Home Assistant closed the websocket connection")
        self._buffer += chunk

    def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill()
        data, _, self._buffer = self._buffer.partition(marker)
        return data


def wait_for_api(
    ha: Hass, api: Api, proc: subprocess.Popen[bytes], timeout: float
) -> set[str] | None:
    """Wait until the HTTP API answers; return the onboarding steps still to do.

    None means onboarding is complete: Home Assistant then no longer serves /api/onboarding.
    """
    start = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise hass_failure(ha, proc, "Home Assistant exited while starting")
        try:
            status, steps = api.request("GET", "/api/onboarding", ok=(200, 404))
        except (DevelopError, OSError):
            if time.monotonic() - start > timeout:
                raise
            time.sleep(1)
            continue
        if status == 404:
            return None
        return {step["step"] for step in steps if not step["done"]}


def onboard(api: Api, todo: set[str] | None) -> list[str]:
    """Finish whatever onboarding is left and log in; return the steps done now.

    In a folder prepared by ``prepare_storage`` only the user step is left. The
    core_config step is never posted: it would add online integrations.
    """
    done: list[str] = []
    if todo is not None and "user" in todo:
        _, result = api.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": api.client_id,
                "name": NAME,
                "username": USERNAME,
                "password": PASSWORD,
                "language": LANGUAGE,
            },
        )
        api.exchange(result["auth_code"])
        done.append("user")
    else:
        api.login()
    for step in ("analytics", "integration"):
        if todo is None or step not in todo:
            continue
        body: dict[str, Any] = {}
        if step == "integration":
            body = {"client_id": api.client_id, "redirect_uri": f"{api.base}/?auth_callback=1"}
        api.request("POST", f"/api/onboarding/{step}", body)
        done.append(step)
    return done


def promote_http(ws: WebSocket) -> str:
    """Confirm the HTTP config migrated from YAML, so 2026.11 never reverts it.

    Unpromoted, Home Assistant 2026.11 reverts to its default HTTP config (all
    interfaces, port 8123) after five minutes and restarts its server. Older releases
    do not know the command; a config that is already stable has nothing to promote.
    """
    answer = ws.command({"type": "http/config/promote"})
    if answer.get("success"):
        return "promoted"
    error = answer.get("error") or {}
    if error.get("code") == "unknown_command":
        return "not needed on this release"
    if "No pending" in str(error.get("message")):
        return "already stable"
    raise DevelopError(f"could not promote the HTTP config: {error}")


def remove_onboarding_extras(api: Api) -> list[str]:
    """Delete online entries that an earlier version of this script let onboarding add."""
    _, entries = api.request("GET", "/api/config/config_entries/entry")
    removed = []
    for entry in entries:
        if entry["domain"] in ONBOARDING_EXTRAS:
            api.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
            removed.append(entry["title"])
    return removed


def entries_of(api: Api) -> list[dict[str, Any]]:
    """The config entries of hosted_pbx."""
    _, entries = api.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    return list(entries)


def remove_old_entries(api: Api) -> list[str]:
    """Delete this integration's entries of an earlier run (their simulator URLs are gone)."""
    removed = []
    for entry in entries_of(api):
        api.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
        removed.append(entry["title"])
    return removed


def _answer_form(step: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """A form's answer from the simulator's fields; the URL goes in "advanced"."""
    wanted = [item["name"] for item in step.get("data_schema", [])]
    answer: dict[str, Any] = {k: v for k, v in fields.items() if k in wanted}
    if "advanced" in wanted:
        answer["advanced"] = {"url": fields["url"]}
    return answer


def _drive_flow(
    api: Api, start: dict[str, Any], provider: str, fields: dict[str, str]
) -> dict[str, Any]:
    """Start a config flow, pick the provider in its menu, answer its form; the last step."""
    _, step = api.request("POST", "/api/config/config_entries/flow", start)
    flow = f"/api/config/config_entries/flow/{step['flow_id']}"
    try:
        if step.get("type") == "menu":
            if provider not in step.get("menu_options", []):
                raise DevelopError(
                    f"the config flow offers {step.get('menu_options')}, not {provider!r}"
                )
            _, step = api.request("POST", flow, {"next_step_id": provider})
        if step.get("type") != "form":
            raise DevelopError(f"expected a form, the config flow answered {step}")
        wanted = [item["name"] for item in step.get("data_schema", [])]
        if "advanced" not in wanted:
            raise DevelopError(f"the {provider!r} form has no advanced section ({wanted})")
        answer = _answer_form(step, fields)
        missing = [name for name in wanted if name not in answer]
        if missing:
            print(f"    note: the simulator gives no {missing} for {provider!r}", flush=True)
        _, step = api.request("POST", flow, answer)
    except DevelopError:
        with contextlib.suppress(DevelopError, OSError):
            api.request("DELETE", flow)
        raise
    if step.get("type") == "form":  # refused: the flow stays open on the form
        with contextlib.suppress(DevelopError, OSError):
            api.request("DELETE", flow)
    return dict(step)


def add_entry(api: Api, provider: str, fields: dict[str, str]) -> tuple[str, str]:
    """Add one entry through the real config flow; return its id and title."""
    step = _drive_flow(api, {"handler": DOMAIN}, provider, fields)
    if step.get("type") == "create_entry":
        result = step.get("result") or {}
        return str(result.get("entry_id", "")), str(step.get("title") or result.get("title"))
    if step.get("type") == "abort":
        raise DevelopError(f"the config flow aborted: {step.get('reason')}")
    raise DevelopError(f"the config flow refused the simulator's account: {step.get('errors')}")


def reconfigure_entry(api: Api, entry_id: str, provider: str, fields: dict[str, str]) -> str:
    """Run the reconfigure flow of an entry with the simulator's values; the abort reason."""
    step = _drive_flow(api, {"handler": DOMAIN, "entry_id": entry_id}, provider, fields)
    if step.get("type") == "abort":
        return str(step.get("reason"))
    raise DevelopError(f"reconfigure answered {step.get('type')}: {step.get('errors') or step}")


def entry_states(api: Api) -> list[tuple[str, str]]:
    """Title and state of this integration's entries."""
    return [(entry["title"], entry["state"]) for entry in entries_of(api)]


def entity_count(api: Api) -> int:
    """How many entities the integration has, through a template (REST has no registry)."""
    _, count = api.request(
        "POST", "/api/template", {"template": f"{{{{ integration_entities('{DOMAIN}') | count }}}}"}
    )
    return int(count)


def wait_for_entries(api: Api, timeout: float = 60) -> list[tuple[str, str]]:
    """Wait until every entry has finished setting up (loaded or failed)."""
    deadline = time.monotonic() + timeout
    states = entry_states(api)
    while any(state in {"not_loaded", "setup_in_progress"} for _, state in states):
        if time.monotonic() > deadline:
            break
        time.sleep(1)
        states = entry_states(api)
    return states


# --------------------------------------------------------------------------- --check

# Sensors that always have a value once the entry is loaded (the others, like the number
# of a call in progress, are legitimately unknown most of the time).
ALWAYS_KNOWN = frozenset({"extension_status", "queue_calls_waiting", "api_requests"})
CALL_NUMBER = "+31 6 12345678"
CALL_DIGITS = "612345678"  # how any provider's records show it, whatever the format
SMS_TEXT = "Smoke test from Home Assistant"
# "2025-04-30 12:00:00.123 WARNING (MainThread) [logger] …"; 2026.11 adds "+00:00".
LOG_ENTRY = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)? "
    r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)
STATES_TIMEOUT = 180.0  # VdB reads one extension per request, spread over its window
# The integration named in a log entry: its logger, its files, its domain; not a folder that
# merely has the name in it (~/.cache/hosted_pbx/…, /tmp/hosted_pbx-check-…).
LOG_NAMES_US = re.compile(rf"custom_components[./]{DOMAIN}|(?<![/\w-]){DOMAIN}(?![\w-])")
# Home Assistant warns about every custom integration at every start: not a finding.
LOG_EXPECTED = re.compile(rf"We found a custom integration {DOMAIN} which has not been tested")


@dataclass
class Entry:
    """One entry of the smoke run, as found in the registries."""

    provider: str
    entry_id: str
    title: str
    devices: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def enabled(self) -> list[dict[str, Any]]:
        """Its entities that are not disabled (disabled ones have no state)."""
        return [item for item in self.entities if not item.get("disabled_by")]

    def device(self, target: str) -> dict[str, Any] | None:
        """A device standing for an extension, a number, … (from its identifier)."""
        for device in self.devices:
            for domain, identifier in device.get("identifiers", []):
                parts = str(identifier).rsplit("|", 2)
                if domain == DOMAIN and len(parts) == 3 and parts[1] == target:
                    return device
        return None


@dataclass
class Check:
    """What the smoke run found: problems fail it, notes go in the summary."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        """Record a problem (and show it at once)."""
        print(f"    FAIL: {text}", flush=True)
        self.problems.append(text)

    def note(self, text: str) -> None:
        """Record a result for the summary (and show it at once)."""
        print(f"    {text}", flush=True)
        self.notes.append(text)


def _records(url: str) -> dict[str, dict[str, Any]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        data: dict[str, dict[str, Any]] = json.loads(resp.read())
    return data


def _mentions(records: dict[str, Any], text: str) -> int:
    """How often a text occurs in a simulator's records (besides its action list)."""
    return sum(json.dumps(value).count(text) for key, value in records.items() if key != "actions")


def load_registries(ws: WebSocket, entries: list[Entry]) -> None:
    """Fill in every entry's devices and entities from the registries."""
    devices = ws.result({"type": "config/device_registry/list"})
    entities = ws.result({"type": "config/entity_registry/list"})
    for entry in entries:
        entry.devices = [d for d in devices if entry.entry_id in d.get("config_entries", [])]
        entry.entities = [
            e
            for e in entities
            if e.get("config_entry_id") == entry.entry_id and e.get("platform") == DOMAIN
        ]


def _state_problems(api: Api, entries: list[Entry]) -> list[str]:
    """Entities without a state, unavailable ones, and always-known sensors that are unknown."""
    _, states = api.request("GET", "/api/states")
    by_id = {state["entity_id"]: state for state in states}
    found = []
    for entry in entries:
        if not entry.enabled():
            found.append(f"{entry.title}: no enabled entities")
        for item in entry.enabled():
            state = by_id.get(item["entity_id"])
            value = state["state"] if state else None
            if value is None or value == "unavailable":
                found.append(f"{item['entity_id']} is {value or 'missing'}")
            elif value == "unknown" and item.get("translation_key") in ALWAYS_KNOWN:
                found.append(f"{item['entity_id']} is unknown")
    return found


def wait_for_states(
    api: Api, ws: WebSocket, entries: list[Entry], check: Check, timeout: float = 90
) -> None:
    """Wait until every entity of every entry has a proper state; fail with what is left."""
    deadline = time.monotonic() + timeout
    while True:
        load_registries(ws, entries)
        left = _state_problems(api, entries)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(2)
    for text in left:
        check.fail(text)


def wait_loaded(api: Api, check: Check, what: str, timeout: float = 60) -> None:
    """Every entry loaded, else a problem."""
    time.sleep(1)  # a reload scheduled by a flow starts a moment later
    for title, state in wait_for_entries(api, timeout):
        if state != "loaded":
            check.fail(f"after {what}: {title} is {state}")


def call_action(api: Api, action: str, data: dict[str, Any], check: Check) -> dict[str, Any] | None:
    """``POST /api/services/hosted_pbx/<action>?return_response``; its response."""
    try:
        _, answer = api.request("POST", f"/api/services/{DOMAIN}/{action}?return_response", data)
    except DevelopError as err:
        check.fail(f"{action}: {err}")
        return None
    response = answer.get("service_response") if isinstance(answer, dict) else None
    if not isinstance(response, dict) or not response:
        check.fail(f"{action} gave no response: {answer}")
        return None
    return response


def check_actions(
    api: Api, entries: list[Entry], records_url: str, check: Check, actions: dict[str, list[str]]
) -> None:
    """Call the actions each simulator supports and find them in its records."""
    for entry in entries:
        wanted = actions.get(entry.provider, [])
        if "click_to_call" in wanted:
            device = entry.device("extension") or entry.device("number")
            if device is None:
                check.fail(f"{entry.title}: no extension or number device for click_to_call")
            else:
                before = _mentions(_records(records_url)[entry.provider], CALL_DIGITS)
                data = {"device_id": device["id"], "number": CALL_NUMBER}
                if (response := call_action(api, "click_to_call", data, check)) is not None:
                    after = _mentions(_records(records_url)[entry.provider], CALL_DIGITS)
                    arrived = "arrived at the simulator" if after > before else "NOT recorded"
                    check.note(f"{entry.provider}: click_to_call -> {response} ({arrived})")
                    if after <= before:
                        check.fail(f"{entry.provider}: the simulator has no record of the call")
        if "send_sms" in wanted:
            device = entry.device("number")
            if device is None:
                check.fail(f"{entry.title}: no phone-number device for send_sms")
            else:
                records = _records(records_url)[entry.provider]
                before = _mentions(records, SMS_TEXT)
                to = str(records.get("sample_to") or CALL_NUMBER)
                data = {"device_id": device["id"], "to": to, "message": SMS_TEXT}
                if (response := call_action(api, "send_sms", data, check)) is not None:
                    after = _mentions(_records(records_url)[entry.provider], SMS_TEXT)
                    arrived = "arrived at the simulator" if after > before else "NOT recorded"
                    check.note(f"{entry.provider}: send_sms -> {response} ({arrived})")
                    if after <= before:
                        check.fail(f"{entry.provider}: the simulator has no record of the SMS")
        if not wanted:
            check.note(f"{entry.provider}: the simulator declares no actions")


def _wait_state(api: Api, entity_id: str, wanted: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        _, state = api.request("GET", f"/api/states/{entity_id}")
        if state["state"] == wanted or time.monotonic() > deadline:
            return str(state["state"])
        time.sleep(0.5)


def check_switch(api: Api, entries: list[Entry], check: Check) -> None:
    """Turn one of the integration's switches over and back; its state must follow."""
    switches = [
        item["entity_id"]
        for entry in entries
        for item in entry.enabled()
        if item["entity_id"].startswith("switch.")
    ]
    if not switches:
        check.note("no switch to toggle")
        return
    entity_id = switches[0]
    _, state = api.request("GET", f"/api/states/{entity_id}")
    first = "off" if state["state"] == "on" else "on"
    for wanted in (first, "on" if first == "off" else "off"):
        try:
            api.request("POST", f"/api/services/switch/turn_{wanted}", {"entity_id": entity_id})
        except DevelopError as err:
            check.fail(f"switch.turn_{wanted} {entity_id}: {err}")
            return
        got = _wait_state(api, entity_id, wanted)
        if got != wanted:
            check.fail(f"{entity_id} stayed {got} after switch.turn_{wanted}")
            return
    check.note(f"switch {entity_id}: turned {first} and back, state followed")


def log_findings(log: Path) -> tuple[int, list[str]]:
    """Log entries at WARNING or above that name hosted_pbx, and deprecation reports.

    An entry is its first line and the lines that follow it (a traceback). Returns the
    number of entries read, and the findings.
    """
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError as err:
        return 0, [f"cannot read {log}: {err}"]
    entries: list[tuple[str, list[str]]] = []
    for line in lines:
        if match := LOG_ENTRY.match(line):
            entries.append((match.group(1), [line]))
        elif entries:
            entries[-1][1].append(line)
    if not entries:
        return 0, [f"{log}: no line in a known format ({len(lines)} lines)"]
    found = []
    for level, text in entries:
        whole = "\n".join(text)
        if "Detected that custom integration" in whole or (
            level in {"WARNING", "ERROR", "CRITICAL"}
            and LOG_NAMES_US.search(whole)
            and not LOG_EXPECTED.search(text[0])
        ):
            found.append(whole)
    return len(entries), found


def run_check(args: argparse.Namespace) -> int:
    """The smoke run: everything on a throw-away configuration, then the log."""
    config = Path(tempfile.mkdtemp(prefix="hosted_pbx-check-"))
    ha = Hass(venv=args.venv, config=config)
    version = ha.version()
    print(f"==> smoke check of Home Assistant {version} ({ha.venv}) in {config}", flush=True)
    check = Check()
    summary: list[str] = []
    try:
        _smoke(args, ha, check, summary)
    except DevelopError as err:
        check.fail(str(err))
    finally:
        with _signals_blocked():
            _stop(PROCS.get("hass"), "Home Assistant", signal.SIGTERM)
            _stop(PROCS.get("simulators"), "the simulators", signal.SIGINT)
    read, findings = log_findings(ha.log)
    for finding in findings:
        check.fail(f"home-assistant.log:\n{finding}")
    check.note(f"home-assistant.log: {read} entries read, {len(findings)} findings")
    print("=" * 68)
    print(f"Smoke check, Home Assistant {version}")
    print("\n".join(f"  {line}" for line in summary + check.notes))
    if check.problems:
        print(f"  FAILED ({len(check.problems)} problems; files kept in {config}):")
        print("\n".join(f"  - {text}" for text in check.problems))
        print("=" * 68, flush=True)
        return 1
    print("  passed")
    print("=" * 68, flush=True)
    shutil.rmtree(config, ignore_errors=True)
    return 0


def _smoke(args: argparse.Namespace, ha: Hass, check: Check, summary: list[str]) -> None:
    start = time.monotonic()
    print("==> starting the simulators", flush=True)
    _, providers, _ = start_simulators(ha.config, records=True)
    records_url = providers.pop("_records")["url"]
    actions = {key: list(value.get("actions", [])) for key, value in _records(records_url).items()}
    port = args.port or pick_port(CHECK_PORT)
    write_config(ha.config, port)
    prepare_storage(ha.config)
    print(f"==> starting Home Assistant on http://{HOST}:{port}", flush=True)
    proc = start_hass(ha)
    wait_for_port(ha, proc, port, args.timeout)
    api = Api(port)
    todo = wait_for_api(ha, api, proc, args.timeout)
    summary.append(f"started in {time.monotonic() - start:.0f} s")
    steps = onboard(api, todo)
    ws = WebSocket(port, api.token)
    try:
        summary.append(f"onboarding: {', '.join(steps) or 'none'}; HTTP config: {promote_http(ws)}")
        _, all_entries = api.request("GET", "/api/config/config_entries/entry")
        onboarding_domains = ONBOARDING_EXTRAS | {"shopping_list"}
        if extras := sorted({e["domain"] for e in all_entries} & onboarding_domains):
            check.fail(f"onboarding added {extras}")
        entries = _add_entries(api, ws, providers, check, summary)
        print("==> actions", flush=True)
        check_actions(api, entries, records_url, check, actions)
        check_switch(api, entries, check)
        _lifecycle(api, ws, entries, providers, check)
        time.sleep(2)  # let the last log lines land
    finally:
        ws.close()


def _add_entries(
    api: Api,
    ws: WebSocket,
    providers: dict[str, dict[str, str]],
    check: Check,
    summary: list[str],
) -> list[Entry]:
    """One entry per simulated provider; wait until all their entities have states."""
    entries = []
    for key, info in providers.items():
        print(f"==> adding {key} through the config flow", flush=True)
        entry_id, title = add_entry(api, key, info)
        entries.append(Entry(provider=key, entry_id=entry_id, title=title))
        summary.append(f"entry added: {title} ({key})")
    if not entries:
        raise DevelopError("the simulators offer no provider")
    start = time.monotonic()
    wait_loaded(api, check, "adding the entries")
    print("==> waiting for every entity's state", flush=True)
    wait_for_states(api, ws, entries, check, STATES_TIMEOUT)
    summary.append(f"every entity had its state {time.monotonic() - start:.0f} s after setup")
    for entry in entries:
        states = _entity_summary(api, entry)
        summary.append(f"{entry.title}: {len(entry.devices)} devices, {states}")
    return entries


def _lifecycle(
    api: Api,
    ws: WebSocket,
    entries: list[Entry],
    providers: dict[str, dict[str, str]],
    check: Check,
) -> None:
    """Reload the first entry, reconfigure every entry, remove the last one."""
    first, last = entries[0], entries[-1]
    print(f"==> reloading {first.title}", flush=True)
    _, answer = api.request("POST", f"/api/config/config_entries/entry/{first.entry_id}/reload")
    wait_loaded(api, check, "the reload")
    check.note(f"reloaded {first.title}: {answer}")

    for entry in entries:
        print(f"==> reconfiguring {entry.title}", flush=True)
        reason = reconfigure_entry(api, entry.entry_id, entry.provider, providers[entry.provider])
        if reason != "reconfigure_successful":
            check.fail(f"reconfigure {entry.title} aborted: {reason}")
        check.note(f"reconfigured {entry.title}: {reason}")
    wait_loaded(api, check, "reconfiguring")
    # Right after a reload an entry waits for its request window before it reads the
    # account again (by design), so its entities may be unavailable for a while: only
    # their registration is checked here.
    load_registries(ws, entries)
    for entry in entries:
        if not entry.enabled():
            check.fail(f"{entry.title} has no entities after reconfiguring")
    unavailable = [text for text in _state_problems(api, entries) if "unavailable" in text]
    check.note(f"after reload and reconfigure: {len(unavailable)} entities wait for their window")

    print(f"==> removing {last.title}", flush=True)
    api.request("DELETE", f"/api/config/config_entries/entry/{last.entry_id}")
    left = [e for e in entries_of(api) if e["entry_id"] == last.entry_id]
    load_registries(ws, [last])
    if left or last.entities or last.devices:
        check.fail(
            f"{last.title} still has {len(left)} entries, {len(last.entities)} entities"
            f" and {len(last.devices)} devices after its removal"
        )
    else:
        check.note(f"removed {last.title}: entry, devices and entities gone")


def _entity_summary(api: Api, entry: Entry) -> str:
    _, states = api.request("GET", "/api/states")
    by_id = {state["entity_id"]: state["state"] for state in states}
    values = [by_id.get(item["entity_id"]) for item in entry.enabled()]
    unknown = sum(value == "unknown" for value in values)
    disabled = len(entry.entities) - len(entry.enabled())
    return f"{len(entry.enabled())} entities ({unknown} unknown, {disabled} disabled by default)"


# --------------------------------------------------------------------------- main


def _on_signal(signum: int, _frame: FrameType | None) -> NoReturn:
    raise Stopped(signal.Signals(signum).name)


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Let a cleanup finish without a second Ctrl-C cutting it short."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _account_lines(heading: str, info: dict[str, str], *, used: bool) -> list[str]:
    """One simulated account for the banner: its URL, then its credentials."""
    lines = [f"      {heading:<15} {info.get('url', '(none)')}"]
    for name, value in info.items():
        if name == "url":
            continue
        note = ""
        if name == "invitation_id":  # an invitation works once: does this one still?
            note = "  (used up)" if used else "  (unused; works once)"
        shown = value.replace("\n", ", ")  # Business-ISP's numbers (the form takes commas)
        lines.append(f"        {name}: {shown}{note}")
    return lines


def banner(
    port: int,
    providers: Providers,
    spares: Providers,
    added: list[str],
    states: list[tuple[str, str]],
    entities: int,
) -> None:
    """What the developer needs: where to go, how to log in, what is there."""
    url = f"http://{HOST}:{port}"
    width = 68
    simulated = []
    for key, info in providers.items():
        simulated.append(f"    {key}")
        simulated += _account_lines("added for you:", info, used=True)
        simulated += _account_lines("to add by hand:", spares.get(key, {}), used=False)
    lines = [
        "Home Assistant with the hosted_pbx integration is running",
        "",
        f"  Open       {url}",
        f"  User       {USERNAME}",
        f"  Password   {PASSWORD}",
        "",
        "  Simulated providers, two accounts each. The first was added for you;",
        "  add the spare one by hand (Settings > Devices & services > Add",
        "  integration > Hosted PBX; the URL goes in Advanced settings):",
        *simulated,
        "",
        "  Entries added (one per simulated provider):",
        *[f"    - {title}" for title in added],
        *([] if added else ["    (none)"]),
        "",
        "  Entry states: " + (", ".join(f"{t}: {s}" for t, s in states) or "none"),
        f"  Entities of {DOMAIN}: {entities}",
        "",
        "  Logs: config/home-assistant.log, config/simulator.log",
        "  Press Ctrl-C to stop Home Assistant and the simulators.",
    ]
    print("=" * width)
    print("\n".join(lines))
    print("=" * width, flush=True)


def run(args: argparse.Namespace) -> int:
    """Start everything, set it up, wait; the caller's finally-block stops the children."""
    ha = Hass(venv=args.venv, config=CONFIG)
    CONFIG.mkdir(exist_ok=True)
    print("==> starting the simulators", flush=True)
    sim, providers, spares = start_simulators(CONFIG)
    for key, info in providers.items():
        print(f"    {key}: {info['url']}", flush=True)

    port = args.port or pick_port(PREFERRED_PORT)
    if args.port and not _port_free(port):
        raise DevelopError(f"port {port} is in use on {HOST}")
    write_config(CONFIG, port)
    prepare_storage(CONFIG)
    print(f"==> starting Home Assistant on http://{HOST}:{port} (log: config/home-assistant.log)")
    hass = start_hass(ha)
    waited = wait_for_port(ha, hass, port, args.timeout)
    api = Api(port)
    todo = wait_for_api(ha, api, hass, args.timeout)
    print(f"    listening after {waited:.1f} s", flush=True)

    steps = onboard(api, todo)
    print("==> onboarding: " + (f"done now: {', '.join(steps)}" if steps else "already done"))
    ws = WebSocket(port, api.token)
    try:
        print(f"==> HTTP config: {promote_http(ws)}", flush=True)
    finally:
        ws.close()
    if extras := remove_onboarding_extras(api):
        print(f"==> removed online entries of an earlier run: {', '.join(extras)}", flush=True)
    removed = remove_old_entries(api)
    if removed:
        print(f"==> removed the entries of an earlier run: {', '.join(removed)}", flush=True)
    added: list[str] = []
    for key, info in providers.items():
        print(f"==> adding {key} ({info['url']}) through the config flow", flush=True)
        try:
            added.append(add_entry(api, key, info)[1])
        except DevelopError as err:
            print(f"    skipped {key}: {err}", flush=True)
    states = wait_for_entries(api)
    banner(port, providers, spares, added, states, entity_count(api))

    # Wait; a restart asked for in the UI makes hass exit with 100: start it again.
    while True:
        time.sleep(1)
        if sim.poll() is not None:
            raise DevelopError(
                f"the simulators exited (code {sim.returncode}); config/simulator.log:\n"
                + _tail(CONFIG / "simulator.log")
            )
        if hass.poll() is None:
            continue
        if hass.returncode != RESTART_EXIT_CODE:
            raise hass_failure(ha, hass, "Home Assistant exited")
        print("==> Home Assistant asked for a restart: starting it again", flush=True)
        hass = start_hass(ha)
        wait_for_port(ha, hass, port, args.timeout)
        print(f"    back on http://{HOST}:{port}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, and always stop what was started."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=0, help="Home Assistant's port (default: 8123 or the next free)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180,
        help="seconds to wait for Home Assistant to start (default 180)",
    )
    parser.add_argument(
        "--venv",
        type=lambda text: Path(text).resolve(),
        default=VENV,
        help="the venv whose hass to run (default: the repository's .venv)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="smoke-check once in a throw-away folder, without a user; exit 1 on any problem",
    )
    args = parser.parse_args(argv)
    if not (args.venv / "bin" / "hass").exists():
        print(f"error: {args.venv}/bin/hass does not exist", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code = 0
    try:
        code = run_check(args) if args.check else run(args)
    except Stopped as stop:
        print(f"\n==> {stop}: shutting down", flush=True)
        code = 130 if args.check else 0
    except DevelopError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        code = 1
    finally:
        with _signals_blocked():
            _stop(PROCS.get("hass"), "Home Assistant", signal.SIGTERM)
            _stop(PROCS.get("simulators"), "the simulators", signal.SIGINT)
    print("==> stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
