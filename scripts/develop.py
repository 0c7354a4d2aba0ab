"""Developer demo: the provider simulators, a real Home Assistant, and one entry per provider.

Run through ``scripts/develop``, which installs everything first. Everything listens on
127.0.0.1 only; Ctrl-C (SIGINT) or SIGTERM stops Home Assistant and the simulators.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
import contextlib
import ctypes
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any, NoReturn
import urllib.error
import urllib.parse
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
PYTHON = ROOT / ".venv" / "bin" / "python"
HASS = ROOT / ".venv" / "bin" / "hass"
DOMAIN = "hosted_pbx"
HOST = "127.0.0.1"
PREFERRED_PORT = 8123

USERNAME = "dev"
PASSWORD = "dev-password"  # noqa: S105 - the demo's documented login, loopback only
NAME = "Developer"
LANGUAGE = "en"

# Onboarding's core_config step adds entries of these; they would reach the internet.
ONBOARDING_EXTRAS = frozenset({"google_translate", "met", "radio_browser"})
RESTART_EXIT_CODE = 100  # hass exits with it when a restart is asked for in the UI
SIMULATOR_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
STARTED = time.time()
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


def start_simulators() -> tuple[subprocess.Popen[bytes], dict[str, dict[str, str]]]:
    """Start ``python -m simulator`` and read the one JSON line it prints."""
    log = CONFIG / "simulator.log"
    with log.open("wb") as stderr:
        proc = _spawn(
            "simulators", [str(PYTHON), "-m", "simulator"], stdout=subprocess.PIPE, stderr=stderr
        )
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
        if not isinstance(providers, dict) or not all(
            isinstance(info, dict) and "url" in info for info in providers.values()
        ):
            raise TypeError("expected {provider: {url: ..., ...}}")
    except (ValueError, TypeError) as err:
        _stop(proc, "the simulators", signal.SIGINT)
        raise DevelopError(f"the simulators printed {line!r}: {err}") from err

    # Keep draining stdout, so a later print can never block the simulators on a full pipe.
    def drain() -> None:
        with (CONFIG / "simulator.out").open("ab") as out:
            for rest in stdout:
                out.write(rest)
                out.flush()

    threading.Thread(target=drain, daemon=True).start()
    return proc, {key: {k: str(v) for k, v in info.items()} for key, info in providers.items()}


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


def write_config(port: int) -> None:
    """configuration.yaml for this port, and the integration linked into the config folder."""
    (CONFIG / "packages").mkdir(parents=True, exist_ok=True)
    (CONFIG / "configuration.yaml").write_text(CONFIGURATION_YAML.format(host=HOST, port=port))
    link = CONFIG / "custom_components" / DOMAIN
    link.parent.mkdir(exist_ok=True)
    target = Path("..") / ".." / "custom_components" / DOMAIN
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        raise DevelopError(f"{link} is a real folder: remove it, it must link to {target}")
    link.symlink_to(target, target_is_directory=True)


def start_hass() -> subprocess.Popen[bytes]:
    """``hass -c config --skip-pip`` in the background; its console output goes to a file."""
    with (CONFIG / "hass-console.log").open("wb") as console:
        return _spawn(
            "hass",
            [str(HASS), "-c", str(CONFIG), "--skip-pip"],
            stdout=console,
            stderr=subprocess.STDOUT,
        )


def hass_failure(proc: subprocess.Popen[bytes], why: str) -> DevelopError:
    """An error that shows why Home Assistant is gone, with the tail of its log."""
    log = CONFIG / "home-assistant.log"
    if not log.exists() or log.stat().st_mtime < STARTED:
        log = CONFIG / "hass-console.log"
    return DevelopError(f"{why} (exit code {proc.poll()}); tail of {log}:\n{_tail(log)}")


def wait_for_port(proc: subprocess.Popen[bytes], port: int, timeout: float) -> float:
    """Poll the port until Home Assistant listens; return how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise hass_failure(proc, "Home Assistant exited before it opened its port")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex((HOST, port)) == 0:
                return time.monotonic() - start
        time.sleep(0.5)
    raise hass_failure(
        proc,
        f"Home Assistant did not open http://{HOST}:{port} within {timeout:.0f} s"
        " (raise it with --timeout)",
    )


# --------------------------------------------------------------------------- REST


class Api:
    """A tiny JSON client for one Home Assistant on loopback (no proxies, ever)."""

    def __init__(self, port: int) -> None:
        """Talk to http://127.0.0.1:port."""
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
            with self._opener.open(req, timeout=30) as resp:
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


def wait_for_api(api: Api, proc: subprocess.Popen[bytes], timeout: float) -> set[str] | None:
    """Wait until the HTTP API answers; return the onboarding steps still to do.

    None means onboarding is complete: Home Assistant then no longer serves /api/onboarding.
    """
    start = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise hass_failure(proc, "Home Assistant exited while starting")
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
    """Finish whatever onboarding is left and log in; return the steps done now."""
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
    for step in ("core_config", "analytics", "integration"):
        if todo is None or step not in todo:
            continue
        body: dict[str, Any] = {}
        if step == "integration":
            body = {"client_id": api.client_id, "redirect_uri": f"{api.base}/?auth_callback=1"}
        api.request("POST", f"/api/onboarding/{step}", body)
        done.append(step)
    return done


def remove_onboarding_extras(api: Api) -> list[str]:
    """Delete the entries onboarding adds that would go online (weather, radio, Google TTS).

    With --skip-pip their libraries are missing, so they only fail; installed, they would
    send traffic off loopback.
    """
    _, entries = api.request("GET", "/api/config/config_entries/entry")
    removed = []
    for entry in entries:
        if entry["domain"] in ONBOARDING_EXTRAS:
            api.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
            removed.append(entry["title"])
    return removed


def remove_old_entries(api: Api) -> list[str]:
    """Delete this integration's entries of an earlier run (their simulator URLs are gone)."""
    _, entries = api.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    removed = []
    for entry in entries:
        api.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
        removed.append(entry["title"])
    return removed


def add_entry(api: Api, provider: str, fields: dict[str, str]) -> str:
    """Add one entry through the real config flow (the URL is in the "advanced" section)."""
    _, step = api.request("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
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
        wanted = [field["name"] for field in step.get("data_schema", [])]
        if "advanced" not in wanted:
            raise DevelopError(f"the {provider!r} form has no advanced section ({wanted})")
        answer: dict[str, Any] = {k: v for k, v in fields.items() if k in wanted}
        answer["advanced"] = {"url": fields["url"]}
        missing = [name for name in wanted if name not in answer]
        if missing:
            print(f"    note: the simulator gives no {missing} for {provider!r}", flush=True)
        _, step = api.request("POST", flow, answer)
    except DevelopError:
        with contextlib.suppress(DevelopError, OSError):
            api.request("DELETE", flow)
        raise
    if step.get("type") == "create_entry":
        return str(step.get("title") or step["result"]["title"])
    if step.get("type") == "abort":
        raise DevelopError(f"the config flow aborted: {step.get('reason')}")
    raise DevelopError(f"the config flow refused the simulator's account: {step.get('errors')}")


def entry_states(api: Api) -> list[tuple[str, str]]:
    """Title and state of this integration's entries."""
    _, entries = api.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    return [(entry["title"], entry["state"]) for entry in entries]


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


def banner(port: int, added: list[str], states: list[tuple[str, str]], entities: int) -> None:
    """What the developer needs: where to go, how to log in, what is there."""
    url = f"http://{HOST}:{port}"
    width = 68
    lines = [
        "Home Assistant with the hosted_pbx integration is running",
        "",
        f"  Open       {url}",
        f"  User       {USERNAME}",
        f"  Password   {PASSWORD}",
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
    CONFIG.mkdir(exist_ok=True)
    print("==> starting the simulators", flush=True)
    sim, providers = start_simulators()
    for key, info in providers.items():
        print(f"    {key}: {info['url']}", flush=True)

    port = args.port or pick_port(PREFERRED_PORT)
    if args.port and not _port_free(port):
        raise DevelopError(f"port {port} is in use on {HOST}")
    write_config(port)
    print(f"==> starting Home Assistant on http://{HOST}:{port} (log: config/home-assistant.log)")
    hass = start_hass()
    waited = wait_for_port(hass, port, args.timeout)
    api = Api(port)
    todo = wait_for_api(api, hass, args.timeout)
    print(f"    listening after {waited:.1f} s", flush=True)

    steps = onboard(api, todo)
    print("==> onboarding: " + (f"done now: {', '.join(steps)}" if steps else "already done"))
    removed = remove_old_entries(api)
    if removed:
        print(f"==> removed the entries of an earlier run: {', '.join(removed)}", flush=True)
    added: list[str] = []
    for key, info in providers.items():
        print(f"==> adding {key} ({info['url']}) through the config flow", flush=True)
        try:
            added.append(add_entry(api, key, info))
        except DevelopError as err:
            print(f"    skipped {key}: {err}", flush=True)
    states = wait_for_entries(api)
    # Late, so that the flows onboarding started in the background have finished.
    if extras := remove_onboarding_extras(api):
        print(f"==> removed onboarding's online entries: {', '.join(extras)}", flush=True)
    banner(port, added, states, entity_count(api))

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
            raise hass_failure(hass, "Home Assistant exited")
        print("==> Home Assistant asked for a restart: starting it again", flush=True)
        hass = start_hass()
        wait_for_port(hass, port, args.timeout)
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
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code = 0
    try:
        code = run(args)
    except Stopped as stop:
        print(f"\n==> {stop}: shutting down", flush=True)
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
