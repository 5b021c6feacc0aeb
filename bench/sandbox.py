"""End to end on the Asterisk sandbox: the highest calls per second with < 1 % failed calls through the
FastAGI IVR route (the figure), against the same calls through a pure-dialplan route (the baseline),
measured in one session. Target: figure ≥ 0.8 × baseline.

The system is the real one, as tests/e2e starts it: a sandbox Asterisk (scripts/asterisk-sandbox) and
`permanence serve` on free ports, with a configuration and a store of their own in a temporary
directory. The sandbox instance also gets bench/asterisk/extensions_bench.conf (through
PERMANENCE_SANDBOX_EXTRA_ETC), which etc/asterisk/extensions.conf #tryincludes: the baseline's route.

- Figure: a call to the DID of client 1000, whose entry menu is MENU_YAML: the carrier's call goes
  through the `dnis` and `ivr` FastAGI routes (etc/asterisk/extensions.conf) — language choice, business
  hours (open around the clock), main menu — and ends at a `hangup` node that says goodbye: the
  system hangs up.
- Baseline: a call to BASELINE_DID, an exact extension appended to permanence-inbound by
  extensions_bench.conf: the same answer, recording, prompts, keys and hang-up, in dialplan alone.

sipp plays the caller (tests/e2e/sipp.py, RFC 2833 keys from tests/e2e/dtmf.py): answered, it waits
1 s, presses 1 (during the language prompt), waits 1 s, presses 1 (during the welcome prompt), then
waits for the system's goodbye and hang-up: about 5 s a call, the same key timings on both routes. A
step is SandboxConfig.hold_s seconds of calls at R calls per second (sipp -r R -m N, with a concurrency
limit far above what R needs). A call succeeds only if sipp saw it through (answered, keys sent, the
system's BYE, each wait bounded by CALL_TIMEOUT) and the call history (the store that `permanence
serve` writes from AMI) has it as expected: for the figure, the IVR path language 1 → open → main 1 →
exit hangup (ivr_steps); for the baseline, hangup cause 16, which its dialplan gives only to calls that
took that path. Calls are matched to the history by their caller name, which carries the step and
sipp's call number.

The search: both routes climb the same ladder of rates, one step each in turn (which goes first
alternating), until a step has ≥ 1 % failed calls; then each bisects between its highest rate that
held and its lowest that failed. A route's number is its highest rate that held. The whole search is
bounded in time (SandboxConfig.budget_s); every step is reported.

Setting up each incoming call's media, Asterisk looks up this host's name (then A.ROOT-SERVERS.NET),
and the sandbox root has no /etc/hosts: where the resolver is slow or drops queries, both routes are
capped alike by it. The report says so when Asterisk logged failed lookups.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.sipp import keypress_scenario
from tests.support import free_port, rtp_range, write_test_config

ROOT = Path(__file__).resolve().parent.parent
EXTRA_ETC = ROOT / "bench" / "asterisk"
SANDBOX = ROOT / "scripts" / "asterisk-sandbox"
BIN = Path(sys.executable).parent

ROUTES = ("figure", "baseline")
TARGET_RATIO = 0.8  # the target: figure calls/s ≥ 0.8 × baseline calls/s
MAX_FAILED = 0.01  # a rate holds if fewer than 1 % of its calls failed

CLIENT_CODE = "1000"  # the client whose prompts svi_prompts/clients/1000 holds
FIGURE_DID = "5145550100"  # the client's DID, as the carrier dials it
BASELINE_DID = "5145550900"  # the exact extension of bench/asterisk/extensions_bench.conf
DIALLED = {"figure": FIGURE_DID, "baseline": BASELINE_DID}
MENU = "bench-e2e"
MENU_YAML = f"""\
menu: {MENU}
client: "{CLIENT_CODE}"
description: end-to-end bench, 3 steps to a goodbye
languages: [fr, en]
timezone: America/Toronto
entry: language
nodes:
  language: {{type: language, prompt: common:choose-language, choices: {{"1": fr, "2": en}}, timeout: 4,
             default: fr, next: hours}}
  hours: {{type: time, hours: {{mon-sun: 24h}}, open: main, closed: closed}}
  main:
    type: menu
    prompt: [welcome, menu-main]
    choices: {{"1": done}}
    timeout: 4
    retries: 1
    on_invalid: lost
  done: {{type: hangup, prompt: common:goodbye}}
  lost: {{type: hangup}}
  closed: {{type: hangup}}
"""
ACTIONS = (1.0, "1", 1.0, "1")  # what each caller does once answered (tests/e2e/sipp.py)
EXPECTED_PATH = (  # (node, digit, outcome) of every figure call, in order
    ("language", "1", "choice 1 -> fr"),
    ("hours", None, "open"),
    ("main", "1", "choice 1 -> done"),
    ("done", None, "exit hangup"),
)
BASELINE_CAUSE = 16  # extensions_bench.conf: 16 on the expected path, 31 otherwise
CALLER_NAME = "Bench {step} [call_number]"  # sipp fills in the call number
CALLER_RE = re.compile(r"^Bench (\d+) (\d+)$")
LOG_OK = '  <nop><action><log message="ok [call_number]"/></action></nop>\n'  # sipp saw the call through
RTP_PORTS = 4000  # 2,000 calls at once
START_TIMEOUT = 60.0
CALL_TIMEOUT = 10.0  # s sipp waits for the answer, and then for the system's hang-up, before failing a call
HISTORY_WAIT = 10.0  # s after sipp ends for the history to have every call sipp saw through
STEP_OVERHEAD = 8.0  # s a step takes beyond sending its calls when they hold: the last call, the history
LOOKUP_WARNING = "resolve_match_or_first: Unable to lookup"  # Asterisk: a name it failed to resolve


@dataclass(frozen=True)
class SandboxConfig:
    ladder: tuple[float, ...] = (20, 40, 80, 160, 320)  # calls/s, climbed in order
    hold_s: float = 6.0  # each step sends calls for this long (a call lasts about 5 s) …
    min_calls: int = 40  # … and at least this many
    bisect: int = 2  # steps of bisection per route once it has failed
    resolution: float = 1.0  # calls/s: no bisection below this gap
    warmup: int = 2  # calls per route at 2 calls/s before the search, not counted
    budget_s: float = 190.0  # s for the warm-up and the search (a failing step may overrun it by 30 s)
    smoke: bool = False  # a run to see the bench work, too short to measure anything

    def calls(self, rate: float) -> int:
        return max(self.min_calls, math.ceil(rate * self.hold_s))


FULL = SandboxConfig()
QUICK = SandboxConfig(ladder=(10, 20), hold_s=3.0, min_calls=20, bisect=0, warmup=2, budget_s=60.0, smoke=True)


@dataclass
class Step:
    route: str
    rate: float
    calls: int
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0  # the step, from starting sipp to having read the history
    durations: list[float] = field(default_factory=list)  # s, the calls that succeeded (history)
    paths: list[tuple[tuple[str, str | None, str], ...]] = field(default_factory=list)  # figure: each call's

    @property
    def ok(self) -> bool:
        return self.failed < MAX_FAILED * self.calls

    @property
    def median_s(self) -> float:
        return statistics.median(self.durations) if self.durations else math.nan


@dataclass
class RouteSearch:
    """One route's bracket: the highest rate that held, the lowest that did not."""

    route: str
    ladder: tuple[float, ...]
    bisect: int
    resolution: float
    passed: float = 0.0
    failed: float = math.inf
    bisected: int = 0

    def next_rate(self) -> float | None:
        if math.isinf(self.failed):
            higher = [r for r in self.ladder if r > self.passed]
            return higher[0] if higher else None
        if self.bisected >= self.bisect or self.failed - self.passed <= self.resolution:
            return None
        return float(round((self.passed + self.failed) / 2))

    def record(self, step: Step) -> None:
        if not math.isinf(self.failed):
            self.bisected += 1
        if step.ok:
            self.passed = max(self.passed, step.rate)
        else:
            self.failed = min(self.failed, step.rate)


@dataclass
class SandboxReport:
    config: SandboxConfig
    steps: list[Step] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)  # route → highest rate with < 1 % failed calls
    lowest_failed: dict[str, float] = field(default_factory=dict)  # route → lowest rate that failed (inf: none)
    problems: list[str] = field(default_factory=list)  # the run itself went wrong
    caveats: list[str] = field(default_factory=list)  # it ran, but read the numbers with these in mind
    setup_s: float = 0.0
    elapsed: float = 0.0
    cut_short: bool = False  # the time bound stopped the search

    @property
    def ratio(self) -> float:
        figure, baseline = self.best.get("figure", 0.0), self.best.get("baseline", 0.0)
        return figure / baseline if baseline > 0 else math.nan

    @property
    def met(self) -> bool:
        return not math.isnan(self.ratio) and self.ratio >= TARGET_RATIO

    @property
    def ok(self) -> bool:
        return not self.problems


class SetupError(RuntimeError):
    pass


class Sandbox:
    """The running system: Asterisk in the sandbox and `permanence serve`, on free ports."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
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
        menu = self.dir / f"{MENU}.yaml"
        menu.write_text(MENU_YAML, encoding="utf-8")
        self.cli("ivr", "apply", str(menu))  # also the client's entry menu
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

    # ---- a step: N calls at R calls per second ------------------------------------------------

    def step(self, route: str, rate: float, calls: int) -> Step:
        self._steps += 1
        index = self._steps
        work = self.dir / f"step-{index:03d}-{route}"
        work.mkdir()
        scenario = keypress_scenario(ACTIONS, work, number=f"514556{index:04d}",
                                     name=CALLER_NAME.format(step=index), callee_hangs_up=True)
        (work / "scenario.xml").write_text(_bounded(scenario), encoding="utf-8")
        sending = calls / rate
        cmd = ["sipp", f"127.0.0.1:{self.sip_port}", "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
               "-mp", str(free_port(socket.SOCK_DGRAM)), "-sf", "scenario.xml", "-s", DIALLED[route],
               "-r", f"{rate:g}", "-rp", "1000", "-m", str(calls), "-l", str(math.ceil(rate * CALL_TIMEOUT) + 10),
               "-nostdin", "-recv_timeout", f"{CALL_TIMEOUT:g}s", "-timeout", f"{math.ceil(sending + CALL_TIMEOUT)}s",
               "-trace_logs", "-log_file", "calls.log", "-trace_stat", "-stf", "stats.csv", "-fd", "1"]
        started = time.monotonic()
        step = Step(route, rate, calls)
        with (work / "sipp.out").open("wb") as out:
            sipp = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                status = sipp.wait(sending + 2 * CALL_TIMEOUT + 10)
            except subprocess.TimeoutExpired:  # its calls are bounded: sipp itself is stuck
                sipp.kill()
                sipp.wait()
                status = 1
                step.reasons["sipp stuck, killed"] += 1
        if status not in (0, 1):  # 0: every call succeeded, 1: some failed
            tail = (work / "sipp.out").read_text(errors="replace").strip()[-500:]
            raise SetupError(f"sipp exited with status {status}: {tail}")
        step.reasons.update(_sipp_failures(work / "stats.csv"))
        self._judge(step, index, _logged_ok(work / "calls.log"))
        step.seconds = time.monotonic() - started
        return step

    def _judge(self, step: Step, index: int, seen: set[int]) -> None:
        """Every call sipp saw through must be in the history as expected; the others failed in sipp."""
        history = self._history(index, seen)
        good = 0
        for number in sorted(seen):
            call = history.get(number)
            if call is None:
                step.reasons["not in the call history"] += 1
                continue
            if step.route == "figure":
                step.paths.append(call["path"])
                if call["path"] != EXPECTED_PATH:
                    step.reasons[f"IVR path: {_short(call['path'])}"] += 1
                    continue
            elif call["cause"] != BASELINE_CAUSE:
                step.reasons[f"hangup cause {call['cause']}: another path"] += 1
                continue
            good += 1
            if call["duration"] is not None:
                step.durations.append(call["duration"])
        step.failed = step.calls - good
        unexplained = step.failed - sum(step.reasons.values())
        if unexplained > 0:
            step.reasons["sipp: not seen through"] += unexplained

    def _history(self, index: int, seen: set[int]) -> dict[int, dict]:
        """The calls of step `index` in the store, by sipp call number. Waits (bounded) for every call
        sipp saw through: the AMI listener writes a call once it has hung up, after its IVR path (the
        store has one writer, in order)."""
        deadline = time.monotonic() + HISTORY_WAIT
        while True:
            found = self._read_history(index)
            if seen <= found.keys() or time.monotonic() > deadline:
                return found
            time.sleep(0.25)

    def _read_history(self, index: int) -> dict[int, dict]:
        conn = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=10)
        try:
            rows = conn.execute("SELECT linkedid, caller_name, hangup_cause, duration_s FROM calls "
                                "WHERE caller_name LIKE ?", [f"Bench {index} %"]).fetchall()
            calls: dict[int, dict] = {}
            by_linkedid: dict[str, dict] = {}
            for linkedid, name, cause, duration in rows:
                match = CALLER_RE.match(name or "")
                if match and int(match.group(1)) == index:
                    calls[int(match.group(2))] = by_linkedid[linkedid] = {
                        "cause": cause, "duration": duration, "path": ()}
            if by_linkedid:
                marks = ",".join("?" * len(by_linkedid))
                steps = conn.execute(f"SELECT linkedid, node, digit, outcome FROM ivr_steps "
                                     f"WHERE linkedid IN ({marks}) ORDER BY linkedid, seq", list(by_linkedid))
                for linkedid, node, digit, outcome in steps:
                    by_linkedid[linkedid]["path"] += ((node, digit, outcome),)
            return calls
        finally:
            conn.close()

    def failed_lookups(self) -> int:
        """Names Asterisk failed to resolve so far (its console log)."""
        try:
            return self.console_log.read_text(errors="replace").count(LOOKUP_WARNING)
        except OSError:
            return 0


def _bounded(scenario: str) -> str:
    """tests/e2e/sipp.py's scenario with the system's hang-up awaited CALL_TIMEOUT at most, and a log
    line once the call is through."""
    wait = 'recv request="BYE" timeout="60000"'
    if scenario.count(wait) != 1 or not scenario.rstrip().endswith("</scenario>"):
        raise SetupError("tests/e2e/sipp.py: the scenario no longer ends as bench/sandbox.py expects")
    scenario = scenario.replace(wait, f'recv request="BYE" timeout="{int(CALL_TIMEOUT * 1000)}"')
    end = scenario.rindex("</scenario>")
    return scenario[:end] + LOG_OK + scenario[end:]


def _logged_ok(path: Path) -> set[int]:
    """sipp's call numbers that reached the scenario's end (LOG_OK)."""
    if not path.exists():
        return set()
    return {int(m.group(1)) for m in re.finditer(r"^ok (\d+)$", path.read_text(errors="replace"), re.M)}


def _sipp_failures(path: Path) -> Counter[str]:
    """sipp's own count of failed calls, by kind (its statistics file, last line)."""
    if not path.exists():
        return Counter()
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if len(lines) < 2:
        return Counter()
    header, last = lines[0].split(";"), lines[-1].split(";")
    out: Counter[str] = Counter()
    for name, value in zip(header, last, strict=False):
        if name.startswith("Failed") and name.endswith("(C)") and name != "FailedCall(C)":
            try:
                count = int(value)
            except ValueError:
                continue
            if count:
                out[f"sipp: {name[6:-3]}"] += count
    return out


def _short(path: tuple[tuple[str, str | None, str], ...]) -> str:
    return " / ".join(f"{node} {outcome}" for node, _, outcome in path) or "none"


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


def run(config: SandboxConfig = FULL, progress: Callable[[str], None] | None = None) -> SandboxReport:
    """The whole measurement, from starting the system to stopping it; progress() hears of each step.
    The state (configuration, store, logs, sipp's files) is kept in a temporary directory when
    something went wrong, and removed otherwise."""
    say = progress or (lambda text: None)
    started = time.monotonic()
    report = SandboxReport(config)
    searches = {route: RouteSearch(route, config.ladder, config.bisect, config.resolution) for route in ROUTES}
    work = Path(tempfile.mkdtemp(prefix="permanence-bench-sandbox-"))
    system = Sandbox(work)
    try:
        system.start()
        report.setup_s = time.monotonic() - started
        say(f"sandbox up in {report.setup_s:.1f} s")
        deadline = time.monotonic() + config.budget_s
        for route in ROUTES:
            if config.warmup:
                warm = system.step(route, 2.0, config.warmup)
                if warm.failed:
                    report.problems.append(f"{route} warm-up, {warm.calls} calls at 2/s: {warm.failed} failed "
                                           f"({reasons(warm)})")
        turn = 0
        while not report.problems:
            todo = [(route, rate) for route in ROUTES if (rate := searches[route].next_rate()) is not None]
            if not todo:
                break
            if turn % 2:
                todo.reverse()  # the routes take turns at going first
            turn += 1
            for route, rate in todo:
                calls = config.calls(rate)
                if time.monotonic() + calls / rate + STEP_OVERHEAD > deadline:
                    report.cut_short = True
                    break
                step = system.step(route, rate, calls)
                report.steps.append(step)
                searches[route].record(step)
                say(step_line(step))
            if report.cut_short:
                break
    except (SetupError, OSError, subprocess.SubprocessError, sqlite3.Error) as exc:
        report.problems.append(f"sandbox: {exc}")
    finally:
        lookups = system.failed_lookups()
        report.problems += system.stop()
    report.best = {route: s.passed for route, s in searches.items()}
    report.lowest_failed = {route: s.failed for route, s in searches.items()}
    if lookups:
        report.caveats.append(
            f"Asterisk failed {lookups} name lookups: setting up each call's media it looks up this host's "
            "name, then A.ROOT-SERVERS.NET, and the sandbox root has no /etc/hosts; where the resolver is "
            "slow both routes are capped by it, not by what they do")
    for route, search in searches.items():
        if report.steps and search.passed == 0 and not math.isinf(search.failed):
            report.problems.append(f"{route}: no rate held, not even {search.failed:g} calls/s")
    if report.cut_short:
        report.caveats.append(f"the time bound ({config.budget_s:g} s) stopped the search: a route still "
                              "climbing or bisecting has its highest rate so far")
    report.elapsed = time.monotonic() - started
    if report.problems:
        say(f"state kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return report


def reasons(step: Step) -> str:
    return ", ".join(f"{n} × {why}" for why, n in step.reasons.most_common()) or "-"


def step_line(step: Step) -> str:
    return (f"{step.route:8} {step.rate:5g} calls/s  {step.calls:4d} calls  {step.failed:3d} failed  "
            f"median call {step.median_s:4.1f} s  step {step.seconds:4.1f} s  ({reasons(step)})")
