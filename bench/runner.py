"""Rounds of figure and baseline, interleaved so the machine's noise falls on both sides alike."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .agi_client import load

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK = "fastagi-dnis"
SIDES = ("figure", "baseline")
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class BenchConfig:
    sessions: dict[int, int]  # concurrency → sessions per round
    rounds: int = 3
    warmup: int = 300  # sessions per side, at concurrency 10, before the first round


FULL = BenchConfig({1: 1000, 10: 2000, 50: 2000}, rounds=5)
QUICK = BenchConfig({1: 200, 10: 400, 50: 500}, rounds=3, warmup=100)


@dataclass
class Result:
    benchmark: str
    concurrency: int
    sessions: int  # per round
    rates: dict[str, list[float]] = field(default_factory=lambda: {side: [] for side in SIDES})
    failures: dict[str, Counter[str]] = field(default_factory=lambda: {side: Counter() for side in SIDES})

    def best(self, side: str) -> float:
        """Noise only ever slows a round down: the fastest round is the least disturbed one."""
        return max(self.rates[side], default=0.0)

    @property
    def ratio(self) -> float:
        baseline = self.best("baseline")
        return self.best("figure") / baseline if baseline > 0 else 0.0


@dataclass
class Report:
    config: BenchConfig
    results: list[Result]
    problems: list[str]  # failed sessions, server-side errors, a server that did not stop cleanly

    @property
    def ok(self) -> bool:
        return not self.problems


class ServerProcess:
    """`python -m bench.server <side>` as a child process; stdin closing stops it."""

    def __init__(self, side: str) -> None:
        self.side = side
        self.port = 0
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.server", self.side, cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), START_TIMEOUT)
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"bench server {self.side} did not start (said {line!r})")
        self.port = int(line.split()[1])

    async def stop(self) -> dict[str, int]:
        """Its stats; RuntimeError if it did not stop cleanly."""
        proc = self._proc
        if proc is None:
            return {}
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
        if proc.returncode != 0:
            raise RuntimeError(f"bench server {self.side} exited with status {proc.returncode}")
        return json.loads(out.decode().strip().splitlines()[-1])


def _check_figure_stats(stats: dict[str, int], sent: int) -> list[str]:
    problems = [f"figure server: {key} = {stats.get(key)}"
                for key in ("header_errors", "handler_errors", "hangups", "refused") if stats.get(key)]
    if stats.get("sessions") != sent:
        problems.append(f"figure server: served {stats.get('sessions')} sessions, {sent} were sent")
    return problems


async def run(config: BenchConfig = FULL) -> Report:
    servers = {side: ServerProcess(side) for side in SIDES}
    results = [Result(BENCHMARK, c, n) for c, n in config.sessions.items()]
    problems: list[str] = []
    sent = Counter[str]()
    numbering = 0

    async def measure(side: str, sessions: int, concurrency: int) -> tuple[float, Counter[str]]:
        nonlocal numbering
        done = await load(servers[side].port, sessions, concurrency, first=numbering)
        numbering += sessions
        sent[side] += sessions
        return done.rate, done.failures

    try:
        for server in servers.values():
            await server.start()
        for side in SIDES:
            _, failures = await measure(side, config.warmup, 10)
            problems += [f"{side} warm-up: {n} × {why}" for why, n in failures.items()]
        for r in range(config.rounds):
            for i, result in enumerate(results):
                order = SIDES if (r + i) % 2 == 0 else SIDES[::-1]
                for side in order:
                    rate, failures = await measure(side, result.sessions, result.concurrency)
                    result.rates[side].append(rate)
                    result.failures[side].update(failures)
    finally:
        for side, server in servers.items():
            try:
                stats = await server.stop()
            except (RuntimeError, ValueError, OSError) as exc:
                problems.append(str(exc))
                continue
            if side == "figure":
                problems += _check_figure_stats(stats, sent[side])
    for result in results:
        for side in SIDES:
            problems += [f"{side} at concurrency {result.concurrency}: {n} × {why}"
                         for why, n in result.failures[side].items()]
    return Report(config, results, problems)
