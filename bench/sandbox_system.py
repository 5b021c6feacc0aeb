"""The system the sandbox-ivr bench calls (bench.sandbox), as tests/e2e starts it: a sandbox Asterisk
(scripts/asterisk-sandbox, with bench/asterisk/extensions_bench.conf through PERMANENCE_SANDBOX_EXTRA_ETC)
and `permanence serve`, on free ports, with a configuration and a store of their own in a directory;
client CLIENT_CODE's DID leads to the entry menu MENU_YAML."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import rtp_range, write_test_config

from .sandbox_calls import BASELINE_DID, FIGURE_DID, SetupError, Step, run_step
from .scenario import three_step_menu

ROOT = Path(__file__).resolve().parent.parent
EXTRA_ETC = ROOT / "bench" / "asterisk"
SANDBOX = ROOT / "scripts" / "asterisk-sandbox"
BIN = Path(sys.executable).parent

CLIENT_CODE = "1000"  # the client whose prompts svi_prompts/clients/1000 holds
MENU = "bench-e2e"
MENU_YAML = three_step_menu(MENU, "end-to-end bench, 3 steps to a goodbye", '{"1": done}', """\
    retries: 1
    on_invalid: lost
  done: {type: hangup, prompt: common:goodbye}
  lost: {type: hangup}
  closed: {type: hangup}
""")
RTP_PORTS = 4000  # 2,000 calls at once
START_TIMEOUT = 60.0
LOOKUP_WARNING = "resolve_match_or_first: Unable to lookup"  # Asterisk: a name it failed to resolve


class Sandbox:
    """The running system: Asterisk in the sandbox and `permanence serve`, on free ports."""

    def __init__(self, directory: Path, menu: str = MENU, menu_yaml: str = MENU_YAML) -> None:
        self.dir = directory
        self.menu, self.menu_yaml = menu, menu_yaml
        # The end-to-end tests' configuration (tests/support.py), with room for many more calls' RTP:
        # its 100 ports (50 calls) would cap the rate.
        self.config, values = write_test_config(directory)
        text = self.config.read_text(encoding="utf-8")
        for key, port in zip(("rtp_start", "rtp_end"), rtp_range(RTP_PORTS), strict=True):
            text, found = re.subn(rf"(?m)^{key} = \d+$", f"{key} = {port}", text)
            if found != 1:
                raise SetupError(f"tests/support.py write_test_config: no single `{key} = …` line to widen")
        self.config.write_text(text, encoding="utf-8")
        self.store = Path(values["store"])
        self.sip_port = values["sip_port"]
        self.web_port = values["web_port"]
        self.env = {**os.environ, "PERMANENCE_CONFIG": str(self.config),
                    "PERMANENCE_SANDBOX_DIR": str(directory / "asterisk"),
                    "PERMANENCE_SANDBOX_EXTRA_ETC": str(EXTRA_ETC), "PERMANENCE_BIN": str(BIN / "permanence")}
        self.env.pop("PERMANENCE_MODE", None)
        self.serve_log = directory / "serve.log"
        self.console_log = directory / "asterisk" / "log" / "console.log"
        self._serve: subprocess.Popen[bytes] | None = None
        self._sandbox_started = False
        self._steps = 0

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "permanence"), *args], env=self.env, input=stdin, text=True,
                                capture_output=True, timeout=60, check=False)
        if result.returncode != 0:
            raise SetupError(f"permanence {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def sandbox(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SANDBOX), *args], env=self.env, text=True, capture_output=True,
                              timeout=timeout, check=False)

    def start(self) -> None:
        if os.geteuid() != 0:
            raise SetupError("the Asterisk sandbox needs root (chroot, mount namespaces)")
        if shutil.which("sipp") is None:
            raise SetupError("sipp is not installed (scripts/install-deps installs sip-tester)")
        # The data first: Asterisk's configuration is rendered from the store when it starts.
        self.cli("clients", "add", CLIENT_CODE, "Bench client", "--language", "fr")
        self.cli("dids", "add", FIGURE_DID, CLIENT_CODE)
        menu = self.dir / f"{self.menu}.yaml"
        menu.write_text(self.menu_yaml, encoding="utf-8")
        self.cli("ivr", "apply", str(menu))  # also the client's entry menu
        self.prepare()
        self._sandbox_started = True
        started = self.sandbox("start")  # the first run on a machine builds the root (about a minute)
        if started.returncode != 0:
            raise SetupError(f"the Asterisk sandbox did not start:\n{started.stdout}{started.stderr}".rstrip())
        shown = self.sandbox("rx", f"dialplan show {BASELINE_DID}@permanence-inbound", timeout=30).stdout
        if "permanence-bench" not in shown:
            raise SetupError(f"the baseline route is not in the dialplan (extensions_bench.conf):\n{shown}")
        with self.serve_log.open("wb") as log:
            self._serve = subprocess.Popen([str(BIN / "permanence"), "serve"], env=self.env, stdout=log,
                                           stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._healthy():
            if self._serve.poll() is not None:
                raise SetupError(f"permanence serve exited: {self._serve_tail()}")
            if time.monotonic() > deadline:
                raise SetupError(f"permanence serve not healthy in {START_TIMEOUT:g} s: {self._serve_tail()}")
            time.sleep(0.2)

    def prepare(self) -> None:
        """More data before Asterisk starts (its configuration is rendered from the store then)."""

    def serve_pid(self) -> int | None:
        return self._serve.pid if self._serve is not None and self._serve.poll() is None else None

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/healthz", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _serve_tail(self) -> str:
        try:
            return "\n".join(self.serve_log.read_text(errors="replace").splitlines()[-10:])
        except OSError:
            return ""

    def stop(self) -> list[str]:
        """Stops what start() started; what went wrong doing so."""
        problems = []
        if self._serve is not None:
            self._serve.terminate()
            try:
                self._serve.wait(15)
            except subprocess.TimeoutExpired:
                self._serve.kill()
                self._serve.wait()
                problems.append("permanence serve did not stop in 15 s; killed")
            self._serve = None
        if self._sandbox_started:
            stopped = self.sandbox("stop", timeout=60)
            if stopped.returncode != 0:
                problems.append(f"asterisk-sandbox stop: {stopped.stderr.strip()}")
            self._sandbox_started = False
        return problems

    def step(self, route: str, rate: float, calls: int) -> Step:
        """A step: `calls` calls on `route` at `rate` calls per second (bench.sandbox_calls.run_step)."""
        self._steps += 1
        return run_step(self.dir, self._steps, self.sip_port, self.store, route, rate, calls)

    def failed_lookups(self) -> int:
        """Names Asterisk failed to resolve so far (its console log)."""
        try:
            return self.console_log.read_text(errors="replace").count(LOOKUP_WARNING)
        except OSError:
            return 0


@contextmanager
def running(directory: Path) -> Iterator[Sandbox]:
    """A started system with its state in `directory`; stopped afterwards (SetupError if it did not
    stop cleanly and nothing else went wrong)."""
    system = Sandbox(directory)
    try:
        system.start()
        yield system
    except BaseException:
        system.stop()
        raise
    problems = system.stop()
    if problems:
        raise SetupError("; ".join(problems))

