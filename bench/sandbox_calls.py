"""The sandbox-ivr bench's steps (bench.sandbox): N calls at R calls per second, placed by sipp
(tests/e2e/sipp.py) on the figure's or the baseline's route, and judged: a call succeeds only if sipp
saw it through and the call history (the store `permanence serve` writes from AMI) has it as expected."""

from __future__ import annotations

import math
import re
import socket
import sqlite3
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.sipp import keypress_scenario
from tests.support import free_port

MAX_FAILED = 0.01  # a rate holds if fewer than 1 % of its calls failed

FIGURE_DID = "5145550100"  # the client's DID, as the carrier dials it
BASELINE_DID = "5145550900"  # the exact extension of bench/asterisk/extensions_bench.conf
DIALLED = {"figure": FIGURE_DID, "baseline": BASELINE_DID}
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
CALL_TIMEOUT = 10.0  # s sipp waits for the answer, and then for the system's hang-up, before failing a call
HISTORY_WAIT = 10.0  # s after sipp ends for the history to have every call sipp saw through


class SetupError(RuntimeError):
    pass


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


def run_step(directory: Path, index: int, sip_port: int, store: Path, route: str, rate: float, calls: int) -> Step:
    """Step `index`: `calls` calls on `route` at `rate` calls per second, sipp's files in a directory of its
    own under `directory`; each call judged against the call history in `store`."""
    work = directory / f"step-{index:03d}-{route}"
    work.mkdir()
    scenario = keypress_scenario(ACTIONS, work, number=f"514556{index:04d}",
                                 name=CALLER_NAME.format(step=index), callee_hangs_up=True)
    (work / "scenario.xml").write_text(_bounded(scenario), encoding="utf-8")
    sending = calls / rate
    cmd = ["sipp", f"127.0.0.1:{sip_port}", "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
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
    judge(step, index, _logged_ok(work / "calls.log"), store)
    step.seconds = time.monotonic() - started
    return step


def judge(step: Step, index: int, seen: set[int], store: Path) -> None:
    """Every call sipp saw through must be in the history as expected; the others failed in sipp."""
    history = wait_history(store, index, seen)
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


def wait_history(store: Path, index: int, seen: set[int]) -> dict[int, dict]:
    """The calls of step `index` in the store, by sipp call number. Waits (bounded) for every call
    sipp saw through: the AMI listener writes a call once it has hung up, after its IVR path (the
    store has one writer, in order)."""
    deadline = time.monotonic() + HISTORY_WAIT
    while True:
        found = read_history(store, index)
        if seen <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def read_history(store: Path, index: int) -> dict[int, dict]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
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


def _bounded(scenario: str) -> str:
    """tests/e2e/sipp.py's scenario with the system's hang-up awaited CALL_TIMEOUT at most, and a log
    line once the call is through."""
    wait = 'recv request="BYE" timeout="60000"'
    if scenario.count(wait) != 1 or not scenario.rstrip().endswith("</scenario>"):
        raise SetupError("tests/e2e/sipp.py: the scenario no longer ends as bench/sandbox_calls.py expects")
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
