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

The parts: bench.sandbox_system (starting and stopping the system), bench.sandbox_calls (a step: sipp's
calls and how each is judged); this module runs the search and holds its results.
"""

from __future__ import annotations

import math
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from .sandbox_calls import (
    ACTIONS,
    BASELINE_CAUSE,
    BASELINE_DID,
    CALL_TIMEOUT,
    CALLER_NAME,
    CALLER_RE,
    DIALLED,
    EXPECTED_PATH,
    FIGURE_DID,
    HISTORY_WAIT,
    LOG_OK,
    MAX_FAILED,
    SetupError,
    Step,
)
from .sandbox_calls import _bounded as _bounded  # tests/bench read these three through bench.sandbox
from .sandbox_calls import _logged_ok as _logged_ok
from .sandbox_calls import _sipp_failures as _sipp_failures
from .sandbox_system import (
    BIN,
    CLIENT_CODE,
    EXTRA_ETC,
    LOOKUP_WARNING,
    MENU,
    MENU_YAML,
    ROOT,
    RTP_PORTS,
    SANDBOX,
    START_TIMEOUT,
    Sandbox,
    running,
)

__all__ = [
    "ACTIONS", "BASELINE_CAUSE", "BASELINE_DID", "BIN", "CALLER_NAME", "CALLER_RE", "CALL_TIMEOUT", "CLIENT_CODE",
    "DIALLED", "EXPECTED_PATH", "EXTRA_ETC", "FIGURE_DID", "FULL", "HISTORY_WAIT", "LOG_OK", "LOOKUP_WARNING",
    "MAX_FAILED", "MENU", "MENU_YAML", "QUICK", "ROOT", "ROUTES", "RTP_PORTS", "SANDBOX", "START_TIMEOUT",
    "STEP_OVERHEAD", "TARGET_RATIO", "RouteSearch", "Sandbox", "SandboxConfig", "SandboxReport", "SetupError",
    "Step", "reasons", "run", "running", "step_line",
]

ROUTES = ("figure", "baseline")


class RatedStep(Protocol):
    """What the search reads of a step (bench.sandbox_calls.Step, bench.acd_calls.AcdStep)."""
    rate: float

    @property
    def ok(self) -> bool: ...


StepT = TypeVar("StepT", bound=RatedStep)
TARGET_RATIO = 0.8  # the target: figure calls/s ≥ 0.8 × baseline calls/s
STEP_OVERHEAD = 8.0  # s a step takes beyond sending its calls when they hold: the last call, the history


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

    def record(self, step: RatedStep) -> None:
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
        if not report.problems:
            report.cut_short = climb(searches, config.calls, system.step, report.steps, deadline, STEP_OVERHEAD,
                                     lambda step: say(step_line(step)))
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


def climb(searches: dict[str, RouteSearch], calls_at: Callable[[float], int],
          run_step: Callable[[str, float, int], StepT], steps: list[StepT], deadline: float, overhead: float,
          done: Callable[[StepT], None]) -> bool:
    """Both routes climb their ladders and bisect, one step each in turn (which goes first alternating),
    until neither has a rate left to try; True if the deadline cut the search short. A step is run only
    if its calls (calls_at(rate) at rate) and `overhead` seconds fit before the deadline."""
    turn = 0
    while True:
        todo = [(route, rate) for route, search in searches.items() if (rate := search.next_rate()) is not None]
        if not todo:
            return False
        if turn % 2:
            todo.reverse()  # the routes take turns at going first
        turn += 1
        for route, rate in todo:
            calls = calls_at(rate)
            if time.monotonic() + calls / rate + overhead > deadline:
                return True
            step = run_step(route, rate, calls)
            steps.append(step)
            searches[route].record(step)
            done(step)


def reasons(step: Step) -> str:
    return ", ".join(f"{n} × {why}" for why, n in step.reasons.most_common()) or "-"


def step_line(step: Step) -> str:
    return (f"{step.route:8} {step.rate:5g} calls/s  {step.calls:4d} calls  {step.failed:3d} failed  "
            f"median call {step.median_s:4.1f} s  step {step.seconds:4.1f} s  ({reasons(step)})")
