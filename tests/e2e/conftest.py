"""The real system for end-to-end tests: the Asterisk sandbox and `permanence serve`, on free ports.

Nothing here skips: if the sandbox cannot start, the tests fail and say why (CI must see it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import REPO, free_port, wait_for, write_test_config

BIN = Path(sys.executable).parent


@dataclass
class System:
    config: Path
    values: dict
    env: dict[str, str]
    serve_log: Path
    sandbox_dir: Path

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.values['web_port']}"

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "permanence"), *args], env=self.env, input=stdin, text=True,
                                capture_output=True, timeout=60, check=False)
        assert result.returncode == 0, f"permanence {' '.join(args)} failed: {result.stderr}"
        return result.stdout

    def sandbox(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(REPO / "scripts" / "asterisk-sandbox"), *args], env=self.env, text=True,
                              capture_output=True, timeout=180, check=False)

    def request(self, method: str, path: str, *, token: str | None = None, body: dict | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.web + path, data=data, method=method, headers=headers or {})
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


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    directory = tmp_path_factory.mktemp("system")
    config, values = write_test_config(directory)
    env = {**os.environ, "PERMANENCE_CONFIG": str(config), "PERMANENCE_SANDBOX_DIR": str(directory / "asterisk"),
           "PERMANENCE_BIN": str(BIN / "permanence")}
    env.pop("PERMANENCE_MODE", None)
    system = System(config, values, env, directory / "serve.log", directory / "asterisk")

    started = system.sandbox("start")
    if started.returncode != 0:
        pytest.fail(f"the Asterisk sandbox did not start:\n{started.stdout}\n{started.stderr}")
    serve = None
    try:
        with system.serve_log.open("w") as log:
            serve = subprocess.Popen([str(BIN / "permanence"), "serve"], env=env, stdout=log,
                                     stderr=subprocess.STDOUT)

        def healthy() -> bool:
            assert serve.poll() is None, f"permanence serve exited: {system.serve_log.read_text()}"
            status, _, _ = system.request("GET", "/healthz")
            return status == 200

        wait_for(healthy, 30, "permanence serve healthy (store writable, AMI logged in)")
        yield system
    finally:
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(15)
            except subprocess.TimeoutExpired:
                serve.kill()
        system.sandbox("stop")
