"""The real system for end-to-end tests: the Asterisk sandbox and `permanence serve`, on free ports.

Nothing here skips: if the sandbox cannot start, the tests fail and say why (CI must see it).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dispatch.kannel import Kannel
from tests.support import REPO, free_port, wait_for, write_test_config

BIN = Path(sys.executable).parent


@dataclass
class System:
    config: Path
    values: dict
    env: dict[str, str]
    serve_log: Path
    sandbox_dir: Path
    serve: subprocess.Popen[bytes] | None = None
    kannel: Kannel | None = None  # the SMS gateway dispatch sends through, with its fake SMS centre

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.values['web_port']}"

    def start_serve(self) -> None:
        """Start `permanence serve` (its output appended to serve_log) and wait until it is healthy."""
        assert self.serve is None or self.serve.poll() is not None, "permanence serve is already running"
        with self.serve_log.open("a") as log:
            self.serve = serve = subprocess.Popen([str(BIN / "permanence"), "serve"], env=self.env, stdout=log,
                                                  stderr=subprocess.STDOUT)

        def healthy() -> bool:
            assert serve.poll() is None, f"permanence serve exited: {self.serve_log.read_text()}"
            status, _, _ = self.request("GET", "/healthz")
            return status == 200

        wait_for(healthy, 30, "permanence serve healthy (store writable, AMI logged in)")

    def kill_serve(self) -> None:
        """kill -9: no clean shutdown, whatever it had in memory is lost."""
        if self.serve is not None and self.serve.poll() is None:
            self.serve.kill()
            self.serve.wait(15)

    def restart_serve(self) -> None:
        self.kill_serve()
        self.start_serve()

    def stop_serve(self) -> None:
        if self.serve is None or self.serve.poll() is not None:
            return
        self.serve.terminate()
        try:
            self.serve.wait(15)
        except subprocess.TimeoutExpired:
            self.serve.kill()
            self.serve.wait(15)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "permanence"), *args], env=self.env, input=stdin, text=True,
                                capture_output=True, timeout=60, check=False)
        assert result.returncode == 0, f"permanence {' '.join(args)} failed: {result.stderr}"
        return result.stdout

    def sandbox(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(REPO / "scripts" / "asterisk-sandbox"), *args], env=self.env, text=True,
                              capture_output=True, timeout=180, check=False)

    def apply_menu(self, *, hours: str, holidays: str = "[]") -> str:
        """The demo menu with other business hours, applied through the CLI; returns its output."""
        text = DEMO_MENU.read_text(encoding="utf-8")
        start, end = text.index("    hours:\n"), text.index("    open: main")
        patched = text[:start] + f"    hours: {{{hours}}}\n    holidays: {holidays}\n" + text[end:]
        path = self.sandbox_dir.parent / "demo.yaml"
        path.write_text(patched, encoding="utf-8")
        return self.cli("ivr", "apply", str(path))

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.values["store"])
        conn.row_factory = sqlite3.Row
        return conn

    def request(self, method: str, path: str, *, token: str | None = None, body: dict | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None else None
        # A body is JSON (urllib would otherwise call it a form, which the login routes read as one).
        headers = {"Content-Type": "application/json", **(headers or {})} if data is not None else headers or {}
        req = urllib.request.Request(self.web + path, data=data, method=method, headers=headers)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def login(self, login: str, password: str) -> str:
        status, _, body = self.request("POST", "/api/login", body={"login": login, "password": password})
        assert status == 200, body
        return json.loads(body)["token"]

    def sipp(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        sip_port = free_port(socket.SOCK_DGRAM)
        media_port = free_port(socket.SOCK_DGRAM)
        cmd = ["sipp", f"127.0.0.1:{self.values['sip_port']}", "-i", "127.0.0.1", "-p", str(sip_port),
               "-mp", str(media_port), "-m", "1", "-l", "1", "-nostdin", "-timeout", f"{int(timeout) - 5}s",
               "-timeout_error", *args]
        return subprocess.run(cmd, text=True, capture_output=True, timeout=timeout, check=False,
                              cwd=self.sandbox_dir)


DEMO_PASSWORD = "demo-password-1"
OTHER_PASSWORD = "other-password-2"
ADMIN_PASSWORD = "admin-password-3"
DEMO_PIN = "4321"
# Agents 101 and 102 answer the demo client's reception queue, logged in from the start; 101 first
# (penalty 0), 102 when 101 cannot (penalty 1: paused, on a call, its phone not registered). 102 is
# also the colleague 101 transfers to; 109 is a supervisor's softphone (listen, whisper, barge).
AGENT_SECRETS = {"101": "agent-101-secret", "102": "agent-102-secret", "109": "agent-109-secret"}
QUEUE_AGENTS = ("101", "102")
DEMO_MENU = REPO / "ivr" / "examples" / "demo.yaml"


def seed(system: System) -> None:
    """Client 1000 answers with the demo menu (open around the clock, for the tests), client 2000 is
    another tenant, client 3000 only plays the greeting (the spine's path)."""
    system.cli("clients", "add", "1000", "Plomberie Démo", "--language", "fr")
    system.cli("dids", "add", "+1 514-555-0100", "1000")
    system.cli("clients", "add", "2000", "Other Client", "--language", "en")
    system.cli("dids", "add", "5145550199", "2000")
    system.cli("clients", "add", "3000", "Greeting Only", "--language", "fr")
    system.cli("dids", "add", "5145550300", "3000")
    system.cli("users", "add", "demo", "--role", "client", "--client", "1000", "--password-stdin",
               stdin=DEMO_PASSWORD + "\n")
    system.cli("users", "add", "other", "--role", "client", "--client", "2000", "--password-stdin",
               stdin=OTHER_PASSWORD + "\n")
    system.cli("users", "add", "greeting", "--role", "client", "--client", "3000", "--password-stdin",
               stdin=DEMO_PASSWORD + "\n")
    system.cli("users", "add", "admin", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    system.apply_menu(hours="mon-sun: 24h")
    system.cli("clients", "set-pin", "1000", "--pin-stdin", stdin=DEMO_PIN + "\n")
    system.cli("agents", "add", "101", "Alice Agent", "--queue", "1000-accueil", "--password-stdin",
               stdin=AGENT_SECRETS["101"] + "\n")
    system.cli("agents", "add", "102", "Bruno Agent", "--queue", "1000-accueil:1", "--password-stdin",
               stdin=AGENT_SECRETS["102"] + "\n")
    system.cli("agents", "add", "109", "Sophie Superviseure", "--password-stdin", stdin=AGENT_SECRETS["109"] + "\n")


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    directory = tmp_path_factory.mktemp("system")
    config, values = write_test_config(directory)
    env = {**os.environ, "PERMANENCE_CONFIG": str(config), "PERMANENCE_SANDBOX_DIR": str(directory / "asterisk"),
           "PERMANENCE_BIN": str(BIN / "permanence")}
    env.pop("PERMANENCE_MODE", None)
    system = System(config, values, env, directory / "serve.log", directory / "asterisk")
    # The data first: Asterisk's queues are rendered from the menus in the store when it starts.
    seed(system)
    started = system.sandbox("start")
    if started.returncode != 0:
        pytest.fail(f"the Asterisk sandbox did not start:\n{started.stdout}\n{started.stderr}")
    settings = values["kannel"]
    system.kannel = Kannel(settings.directory, settings.inbound_url, settings)
    try:
        system.kannel.start()
        system.serve_log.write_text("")
        system.start_serve()
        for agent in QUEUE_AGENTS:
            system.cli("agents", "login", agent)
        yield system
    finally:
        system.stop_serve()  # whichever serve runs now (tests may have restarted it)
        system.kannel.stop()
        system.sandbox("stop")
