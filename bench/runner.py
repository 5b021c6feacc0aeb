"""Rounds of figure and baseline, interleaved so the machine's noise falls on both sides alike.

Each round measures, at each concurrency: fastagi-dnis on both sides, fastagi-ivr on both sides, and
then fastagi-ivr on the figure again with each kind of faulty peer connected to it. The faulty runs
are compared with the figure's own fastagi-ivr run of the same round and concurrency.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from . import scenario as sc
from .agi_client import FAULTS, Callers, FaultyPeer, load

ROOT = Path(__file__).resolve().parent.parent
SIDES = ("figure", "baseline")
BENCHMARKS = {"fastagi-dnis": "dnis", "fastagi-ivr": "ivr"}  # name → kind of call (bench.agi_client.CALLS)
TARGET_RATIO = 0.9  # the target: figure calls/s ≥ 0.9 × baseline calls/s
FAULT_TARGET = 1.5  # the others' p99 with a faulty peer connected < 1.5 × without
START_TIMEOUT = 30.0
SESSIONS_PER_CALL = {"dnis": 1, "ivr": 2}
EXPECTED_STDERR = b"FastAGI: bad request from"  # the figure's warning for each faulty connection


@dataclass(frozen=True)
class BenchConfig:
    dnis: dict[int, int]  # concurrency → calls per round (one `dnis` session each)
    ivr: dict[int, int]  # concurrency → calls per round (a `dnis` and an `ivr` session each)
    faults: tuple[int, ...]  # the concurrencies of `ivr` run again with each faulty peer (figure only)
    rounds: int = 3
    warmup: int = 300  # calls per side and benchmark, at concurrency 10, before the first round


FULL = BenchConfig(dnis={1: 300, 10: 600, 50: 800}, ivr={1: 250, 10: 400, 50: 500}, faults=(1, 10, 50),
                   rounds=3, warmup=300)
QUICK = BenchConfig(dnis={1: 100, 10: 200, 50: 200}, ivr={1: 100, 10: 200, 50: 200}, faults=(10,),
                    rounds=1, warmup=100)


def _best_rate(values: list[float]) -> float:
    """Noise only ever slows a round down: the fastest round is the least disturbed one."""
    return max(values, default=0.0)


def _best_p99(values: list[float]) -> float:
    """Likewise the lowest p99 of the rounds (ms); NaN when no call succeeded."""
    finite = [v for v in values if not math.isnan(v)]
    return min(finite, default=math.nan)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and not math.isnan(a) and not math.isnan(b) else math.nan


@dataclass
class Result:
    benchmark: str
    concurrency: int
    calls: int  # per round
    rates: dict[str, list[float]] = field(default_factory=lambda: {side: [] for side in SIDES})  # calls/s
    p99s: dict[str, list[float]] = field(default_factory=lambda: {side: [] for side in SIDES})  # ms
    failures: dict[str, Counter[str]] = field(default_factory=lambda: {side: Counter() for side in SIDES})

    def best(self, side: str) -> float:
        return _best_rate(self.rates[side])

    def p99(self, side: str) -> float:
        return _best_p99(self.p99s[side])

    @property
    def ratio(self) -> float:
        """figure calls/s ÷ baseline calls/s: the target is ≥ TARGET_RATIO."""
        return _ratio(self.best("figure"), self.best("baseline"))

    @property
    def p99_ratio(self) -> float:
        """figure p99 ÷ baseline p99: the same target reads ≤ 1 / TARGET_RATIO."""
        return _ratio(self.p99("figure"), self.p99("baseline"))

    @property
    def met(self) -> bool:
        return self.ratio >= TARGET_RATIO


@dataclass
class FaultResult:
    fault: str
    concurrency: int
    calls: int  # per round, with the faulty peer connected (as many as fastagi-ivr's at this concurrency)
    without: list[float] = field(default_factory=list)  # ms: the figure's fastagi-ivr p99 of each round
    with_fault: list[float] = field(default_factory=list)  # ms
    rates: list[float] = field(default_factory=list)  # calls/s with the faulty peer
    failures: Counter[str] = field(default_factory=Counter)
    connections: int = 0  # faulty connections made in all

    def p99(self, which: str) -> float:
        return _best_p99(self.without if which == "without" else self.with_fault)

    @property
    def ratio(self) -> float:
        """p99 with ÷ p99 without: the target is < FAULT_TARGET."""
        return _ratio(self.p99("with"), self.p99("without"))

    @property
    def met(self) -> bool:
        return self.ratio < FAULT_TARGET


@dataclass
class Report:
    config: BenchConfig
    results: list[Result]
    faults: list[FaultResult]
    problems: list[str]  # failed sessions, server-side errors, a server that did not stop cleanly
    callers: dict[str, dict[str, int]]  # side → {"new": …, "known": …}
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


class ServerProcess:
    """`python -m bench.server <side>` as a child process; stdin closing stops it. Its stderr goes to a
    temporary file, read when it stops: anything unexpected there is a problem of the run."""

    def __init__(self, side: str, env: dict[str, str] | None = None) -> None:
        self.side = side
        self.port = 0
        self._env = env
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr: IO[bytes] | None = None

    async def start(self) -> None:
        self._stderr = tempfile.TemporaryFile()  # closed in stop()
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.server", self.side, cwd=ROOT, env=self._env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._stderr)
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), START_TIMEOUT)
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"bench server {self.side} did not start (said {line!r}{self._errors_hint()})")
        self.port = int(line.split()[1])

    def _errors_hint(self) -> str:
        lines = self.stderr_lines()
        return f"; stderr: {lines[-1].decode(errors='replace')}" if lines else ""

    def stderr_lines(self) -> list[bytes]:
        if self._stderr is None:
            return []
        self._stderr.seek(0)
        return [line.rstrip() for line in self._stderr.read().splitlines() if line.strip()]

    async def stop(self) -> tuple[dict[str, int], list[bytes]]:
        """Its stats and its stderr lines; RuntimeError if it did not stop cleanly."""
        proc = self._proc
        if proc is None:
            return {}, []
        self._proc = None
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.close()
        try:
            out = await asyncio.wait_for(proc.stdout.read(), START_TIMEOUT)
            await asyncio.wait_for(proc.wait(), START_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError(f"bench server {self.side} did not stop; killed") from None
        finally:
            errors = self.stderr_lines()
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None
        if proc.returncode != 0:
            tail = errors[-1].decode(errors="replace") if errors else ""
            raise RuntimeError(f"bench server {self.side} exited with status {proc.returncode} {tail}".rstrip())
        return json.loads(out.decode().strip().splitlines()[-1]), errors


@dataclass
class _Tally:
    """What one side was sent, to check its server's own account against."""

    sessions: int = 0
    faulty: int = 0  # faulty connections
    ivr_ok: int = 0  # ivr calls that succeeded


def _check_figure(stats: dict[str, int], tally: _Tally, callers: Callers) -> list[str]:
    problems = [f"figure server: {key} = {stats.get(key)}"
                for key in ("handler_errors", "hangups", "refused") if stats.get(key)]
    if stats.get("header_errors") != tally.faulty:
        problems.append(f"figure server: {stats.get('header_errors')} header errors, "
                        f"{tally.faulty} faulty connections were made")
    if stats.get("sessions") != tally.sessions + tally.faulty:
        problems.append(f"figure server: served {stats.get('sessions')} sessions, "
                        f"{tally.sessions} + {tally.faulty} faulty were sent")
    recorded = callers.new + callers.known
    if stats.get("caller_calls") != recorded or stats.get("callers") != len(callers.seen):
        problems.append(f"figure store: {stats.get('callers')} callers with {stats.get('caller_calls')} calls, "
                        f"expected {len(callers.seen)} with {recorded}")
    if stats.get("ivr_steps") != sc.PATH_STEPS * tally.ivr_ok:
        problems.append(f"figure store: {stats.get('ivr_steps')} IVR path entries, "
                        f"expected {sc.PATH_STEPS} × {tally.ivr_ok} calls")
    return problems


def _check_stderr(side: str, lines: list[bytes], faulty: int) -> list[str]:
    unexpected = [line for line in lines if EXPECTED_STDERR not in line]
    expected = len(lines) - len(unexpected)
    problems = []
    if unexpected:
        problems.append(f"{side} server wrote {len(unexpected)} unexpected line(s) to stderr, first: "
                        f"{unexpected[0].decode(errors='replace')[:300]}")
    if expected > faulty:
        problems.append(f"{side} server: {expected} bad-request warnings for {faulty} faulty connections")
    return problems


async def run(config: BenchConfig = FULL) -> Report:
    started = time.perf_counter()
    servers = {side: ServerProcess(side) for side in SIDES}
    callers = {side: Callers() for side in SIDES}
    tally = {side: _Tally() for side in SIDES}
    results = [Result(name, c, n) for name, kind in BENCHMARKS.items()
               for c, n in getattr(config, kind).items()]
    faults = [FaultResult(fault, c, config.ivr[c]) for c in config.faults for fault in FAULTS]
    problems: list[str] = []
    numbering = 0

    async def measure(side: str, kind: str, calls: int, concurrency: int):
        nonlocal numbering
        done = await load(servers[side].port, kind, calls, concurrency, callers[side], first=numbering)
        numbering += calls
        tally[side].sessions += done.sessions
        if kind == "ivr":
            tally[side].ivr_ok += done.ok
        return done

    async def measure_fault(fault: FaultResult) -> None:
        peer = FaultyPeer(servers["figure"].port, fault.fault)
        await peer.start()
        try:
            done = await measure("figure", "ivr", fault.calls, fault.concurrency)
        finally:
            await peer.stop()
            fault.connections += peer.connections
            tally["figure"].faulty += peer.connections
        fault.with_fault.append(done.p99 * 1000)
        fault.rates.append(done.rate)
        fault.failures.update(done.failures)

    try:
        for server in servers.values():
            await server.start()
        for side in SIDES:
            for name, kind in BENCHMARKS.items():
                done = await measure(side, kind, config.warmup, 10)
                problems += [f"{side} {name} warm-up: {n} × {why}" for why, n in done.failures.items()]
        for r in range(config.rounds):
            for i, result in enumerate(results):
                order = SIDES if (r + i) % 2 == 0 else SIDES[::-1]
                for side in order:
                    done = await measure(side, BENCHMARKS[result.benchmark], result.calls, result.concurrency)
                    result.rates[side].append(done.rate)
                    result.p99s[side].append(done.p99 * 1000)
                    result.failures[side].update(done.failures)
                if result.benchmark != "fastagi-ivr":
                    continue
                for fault in faults:
                    if fault.concurrency == result.concurrency:
                        fault.without.append(result.p99s["figure"][-1])
                        await measure_fault(fault)
    finally:
        for side, server in servers.items():
            try:
                stats, errors = await server.stop()
            except (RuntimeError, ValueError, OSError) as exc:
                problems.append(str(exc))
                continue
            problems += _check_stderr(side, errors, tally[side].faulty)
            if side == "figure":
                problems += _check_figure(stats, tally[side], callers[side])
    for result in results:
        for side in SIDES:
            problems += [f"{side} {result.benchmark} at concurrency {result.concurrency}: {n} × {why}"
                         for why, n in result.failures[side].items()]
    for fault in faults:
        problems += [f"figure fastagi-ivr with a {fault.fault} peer at concurrency {fault.concurrency}: {n} × {why}"
                     for why, n in fault.failures.items()]
        if fault.without and fault.connections == 0:
            problems.append(f"the {fault.fault} peer never connected")
    for side in SIDES:
        problems += [f"{side}: {problem}" for problem in callers[side].problems()]
    mix = {side: {"new": callers[side].new, "known": callers[side].known} for side in SIDES}
    return Report(config, results, faults, problems, mix, time.perf_counter() - started)
