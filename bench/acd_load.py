"""ACD load on the Asterisk sandbox: callers through the IVR into a queue, agents on SIP softphones
answering, calls of a fixed length.

- Figure: the highest calls per second with < 1 % failed calls through FastAGI's IVR (language choice,
  business hours, main menu) into queue QUEUE, answered by an agent who talks TALK_MS and hangs up.
- Baseline: the same calls in dialplan alone (bench/asterisk/extensions_bench.conf, 5145550901): the
  same prompts, keys, queue and agents, no back end on the call's path (the AMI listener still writes
  them). Both climb the same ladder in turns and bisect, as bench.sandbox does.
- At each step: the most calls held at once (sipp's own count), and the CPU share (of one core) of
  `permanence serve` and of Asterisk.
- Soak: AcdConfig.soak_s seconds at SOAK_SHARE of the figure's rate; every call sipp placed must have
  a complete row (bench.acd_calls.incomplete) — 0 lost or incomplete — and `permanence serve`'s
  resident memory is read at the start and at the end.

The agents: bench.acd_calls.AgentPhones (AGENTS agents on one sipp UAS).
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

from dialplan.render import SIP_REALM
from store import agents as store_agents
from store import presence
from store import queues as store_queues
from store.db import connect, migrate

from .acd_calls import AGENT_SECRET, AGENTS, QUEUE, TALK_MS, AcdStep, AgentPhones, rss_kib, run_step
from .sandbox import ROUTES, RouteSearch, climb
from .sandbox_calls import SetupError
from .sandbox_system import Sandbox
from .scenario import three_step_menu

MENU = "bench-acd"
MENU_YAML = three_step_menu(MENU, "ACD load bench, 3 steps to a queue", '{"1": acd}', f"""\
    retries: 1
    on_invalid: lost
  acd: {{type: queue, queue: {QUEUE}}}
  lost: {{type: hangup}}
  closed: {{type: hangup}}
""")
STEP_OVERHEAD = 30.0  # s a step takes beyond sending its calls: the last calls' length, the history
SOAK_SHARE = 0.7  # the soak's rate: this share of the figure's


@dataclass(frozen=True)
class AcdConfig:
    ladder: tuple[float, ...] = (10, 20, 40, 80)
    hold_s: float = 20.0  # long enough for the queue to reach its steady state
    min_calls: int = 30
    bisect: int = 2
    resolution: float = 1.0
    budget_s: float = 540.0
    soak_s: float = 600.0
    smoke: bool = False

    def calls(self, rate: float) -> int:
        return max(self.min_calls, math.ceil(rate * self.hold_s))


FULL = AcdConfig()
QUICK = AcdConfig(ladder=(2, 4), hold_s=4.0, min_calls=8, bisect=0, budget_s=90.0, soak_s=20.0, smoke=True)


@dataclass
class Soak:
    rate: float
    seconds: float
    step: AcdStep | None = None
    rss_start_kib: int = 0
    rss_end_kib: int = 0
    rows: int = 0  # calls of the soak in the history
    lost: int = 0  # calls sipp saw through that the history lacks
    incomplete: int = 0  # rows present but wrong or missing a field


@dataclass
class AcdReport:
    config: AcdConfig
    steps: list[AcdStep] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    soak: Soak | None = None
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    cut_short: bool = False

    @property
    def ratio(self) -> float:
        figure, baseline = self.best.get("figure", 0.0), self.best.get("baseline", 0.0)
        return figure / baseline if baseline > 0 else math.nan

    def at_best(self, route: str) -> AcdStep | None:
        held = [s for s in self.steps if s.route == route and s.ok and s.rate == self.best.get(route)]
        return held[-1] if held else None

    @property
    def ok(self) -> bool:
        return not self.problems


class AcdSandbox(Sandbox):
    """The bench's system with AGENTS agents who answer QUEUE, registered on one sipp UAS."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, MENU, MENU_YAML)
        self.phones = AgentPhones(directory, self.sip_port)

    def prepare(self) -> None:
        migrate(self.store)
        db = connect(self.store)
        try:
            with db.conn:
                # No wrap-up: an agent is free again as soon as a call ends, so AGENTS agents take
                # AGENTS / (ring + talk) calls a second and the rates measured are the system's, not the
                # agents' (with app_queue's default 5 s wrap-up 200 agents take only ~24 calls/s).
                store_queues.save_queue(db, store_queues.Queue(QUEUE, None, "ACD load bench", strategy="leastrecent",
                                                               wrapup_s=0, retry_s=1))
                for agent in AGENTS:
                    store_agents.add_agent(db, agent, f"Bench agent {agent}", AGENT_SECRET, SIP_REALM)
                    store_agents.add_member(db, QUEUE, agent)
                    # logged in: serve's first AMI connection makes each a member of QUEUE (ami.members)
                    presence.log_in(db, agent)
        finally:
            db.conn.close()

    def start(self) -> None:
        super().start()
        self.phones.start()

    def stop(self) -> list[str]:
        self.phones.stop()
        return super().stop()

    def asterisk_pid(self) -> int:
        return int((self.dir / "asterisk" / "asterisk.pid").read_text().strip())

    def watch(self) -> dict[str, int]:
        serve = self.serve_pid()
        if serve is None:
            raise SetupError(f"permanence serve is not running: {self._serve_tail()}")
        return {"permanence serve": serve, "Asterisk": self.asterisk_pid()}

    def acd_step(self, route: str, rate: float, calls: int) -> AcdStep:
        self._steps += 1
        return run_step(self.dir, self._steps, self.sip_port, self.store, route, rate, calls, self.watch())


def run(config: AcdConfig = FULL, progress: Callable[[str], None] | None = None) -> AcdReport:
    """Start the system, search both routes' highest rate, soak the figure's route, stop."""
    say = progress or (lambda text: None)
    started = time.monotonic()
    report = AcdReport(config)
    searches = {route: RouteSearch(route, config.ladder, config.bisect, config.resolution) for route in ROUTES}
    work = Path(tempfile.mkdtemp(prefix="permanence-bench-acd-"))
    system = AcdSandbox(work)
    try:
        system.start()
        say(f"sandbox up with {len(AGENTS)} agents in {time.monotonic() - started:.1f} s")
        for route in ROUTES:
            warm = system.acd_step(route, 1.0, 2)
            if warm.failed:
                report.problems.append(f"{route} warm-up: {warm.failed} of 2 calls failed ({reasons(warm)})")
        deadline = time.monotonic() + config.budget_s
        if not report.problems:
            report.cut_short = climb(searches, config.calls, system.acd_step, report.steps, deadline, STEP_OVERHEAD,
                                     lambda step: say(step_line(step)))
        report.best = {route: s.passed for route, s in searches.items()}
        if not report.problems and report.best.get("figure", 0.0) > 0:
            report.soak = soak(system, max(1.0, round(report.best["figure"] * SOAK_SHARE, 1)), config.soak_s, say)
    except (SetupError, OSError, subprocess.SubprocessError, sqlite3.Error) as exc:
        report.problems.append(f"ACD sandbox: {exc}")
    finally:
        report.problems += system.stop()
    report.best = report.best or {route: s.passed for route, s in searches.items()}
    if report.steps and report.best.get("figure", 0.0) == 0:
        report.problems.append("figure: no rate held")
    report.elapsed = time.monotonic() - started
    soaked = report.soak
    if report.problems or (soaked is not None and (soaked.lost or soaked.incomplete)):
        # The store, the logs and sipp's traces, to read the calls that went wrong.
        say(f"state kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return report


def soak(system: AcdSandbox, rate: float, seconds: float, say: Callable[[str], None]) -> Soak:
    """`seconds` of calls at `rate` on the figure's route; rows and memory checked."""
    result = Soak(rate, seconds)
    serve = system.watch()["permanence serve"]
    result.rss_start_kib = rss_kib(serve)
    say(f"soak: {seconds:g} s at {rate:g} calls/s …")
    step = system.acd_step("figure", rate, max(1, math.ceil(rate * seconds)))
    result.step = step
    result.rss_end_kib = rss_kib(serve)
    result.lost = step.reasons.get("not in the call history", 0)
    result.incomplete = sum(n for why, n in step.reasons.items()
                            if not why.startswith("sipp") and why != "not in the call history")
    result.rows = step.calls - step.failed + result.incomplete
    say(f"soak: {step.calls} calls, {step.failed} failed ({reasons(step)}), serve RSS "
        f"{result.rss_start_kib / 1024:.0f} → {result.rss_end_kib / 1024:.0f} MiB")
    return result


def reasons(step: AcdStep) -> str:
    return ", ".join(f"{n} × {why}" for why, n in step.reasons.most_common()) or "-"


def step_line(step: AcdStep) -> str:
    cpu = "  ".join(f"{name} {share * 100:3.0f} %" for name, share in step.cpu.items())
    return (f"{step.route:8} {step.rate:5g} calls/s  {step.calls:4d} calls  {step.failed:3d} failed  "
            f"{step.concurrent:4d} at once  median wait {step.median_wait_s:4.1f} s  CPU {cpu}  ({reasons(step)})")


def table(report: AcdReport) -> str:
    figure, baseline = report.best.get("figure", 0.0), report.best.get("baseline", 0.0)
    lines = ["benchmark                                   figure /s  baseline /s  ratio",
             f"sandbox-acd (calls/s with < 1 % failed)     {figure:9g}  {baseline:11g}  {report.ratio:5.2f}",
             f"IVR → queue {QUEUE}, {len(AGENTS)} agents, {TALK_MS / 1000:g} s talk; baseline: the same in dialplan "
             "alone"]
    for route in ROUTES:
        step = report.at_best(route)
        if step is not None:
            cpu = ", ".join(f"{name} {share * 100:.0f} % of a core" for name, share in step.cpu.items())
            lines.append(f"  {route} at {step.rate:g}/s: {step.concurrent} calls at once, median wait "
                         f"{step.median_wait_s:.1f} s; {cpu}")
    if report.soak is not None and report.soak.step is not None:
        s = report.soak
        lines.append(f"soak {s.seconds:g} s at {s.rate:g} calls/s: {s.step.calls} calls, {s.lost} lost rows, "
                     f"{s.incomplete} incomplete, {s.step.failed} failed in all ({reasons(s.step)}); "
                     f"permanence serve RSS {s.rss_start_kib / 1024:.1f} → {s.rss_end_kib / 1024:.1f} MiB")
    if report.cut_short:
        lines.append(f"the time bound ({report.config.budget_s:g} s) stopped the search")
    for problem in report.problems:
        lines.append(f"PROBLEM: {problem}")
    if report.config.smoke:
        lines.append("(quick run: too short to measure anything)")
    return "\n".join(lines)


def as_json(report: AcdReport) -> dict:
    soak = report.soak
    return {
        "figure": report.best.get("figure", 0.0),
        "baseline": report.best.get("baseline", 0.0),
        "ratio": None if math.isnan(report.ratio) else round(report.ratio, 3),
        "steps": [{"route": s.route, "rate": s.rate, "calls": s.calls, "failed": s.failed, "at_once": s.concurrent,
                   "median_wait_s": None if math.isnan(s.median_wait_s) else round(s.median_wait_s, 2),
                   "cpu": {k: round(v, 3) for k, v in s.cpu.items()}, "reasons": dict(s.reasons)}
                  for s in report.steps],
        "soak": None if soak is None or soak.step is None else {
            "rate": soak.rate, "seconds": soak.seconds, "calls": soak.step.calls, "lost": soak.lost,
            "incomplete": soak.incomplete, "failed": soak.step.failed,
            "rss_start_kib": soak.rss_start_kib, "rss_end_kib": soak.rss_end_kib},
        "problems": report.problems,
        "ok": report.ok,
    }
