"""The web benchmarks' load: what the client side does and times (bench.web runs it).

- latency: one request after another on one keep-alive connection, each timed from send to the
  last body byte; the in-process side times the store function the route calls, on a connection of
  its own.
- export: one CSV download, rows counted and timed to the last byte; the server's peak memory over
  it, from Linux's high-water mark (reset before each download through /proc/PID/clear_refs).
- recordings: CONNECTIONS workers, each fetching files (whole, or a random 64 KiB Range) one after
  another for a fixed time; every answer's status and length checked.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

CONNECTIONS = 16
RANGE_BYTES = 64 * 1024


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latencies(session: aiohttp.ClientSession, url: str, headers: dict[str, str], n: int,
                    check: Callable[[dict], str | None]) -> tuple[list[float], list[str]]:
    """n GETs of `url` one after another: their times (ms) and what was wrong with any answer."""
    times: list[float] = []
    problems: list[str] = []
    for _ in range(n):
        t0 = time.perf_counter()
        async with session.get(url, headers=headers) as resp:
            body = await resp.read()
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status != 200:
            problems.append(f"GET {url}: {resp.status} {body[:200]!r}")
            continue
        if (wrong := check(json.loads(body))) is not None:
            problems.append(f"GET {url}: {wrong}")
    return times, problems


def in_process(fn: Callable[[], object], n: int) -> list[float]:
    """n calls of fn, each timed (ms)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) * 1024
    return out


def reset_peak(pid: int) -> int:
    """Reset the process's peak RSS to its current RSS (Linux ≥ 4.0); returns that RSS."""
    with open(f"/proc/{pid}/clear_refs", "w") as clear:
        clear.write("5")
    return _memory(pid)["VmRSS"]


@dataclass
class Download:
    rows: int
    seconds: float
    peak_growth: int  # bytes the server's RSS peaked above where it was before the download
    status: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("nan")


async def download(session: aiohttp.ClientSession, url: str, headers: dict[str, str], pid: int) -> Download:
    """One CSV download: data rows (lines after the header), time to the last byte, server memory."""
    before = reset_peak(pid)
    newlines = 0
    t0 = time.perf_counter()
    async with session.get(url, headers=headers) as resp:
        async for chunk in resp.content.iter_chunked(1 << 16):
            newlines += chunk.count(b"\n")
    seconds = time.perf_counter() - t0
    peak = _memory(pid)["VmHWM"]
    return Download(newlines - 1, seconds, max(0, peak - before), resp.status)


@dataclass
class Fetches:
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else float("nan")


async def fetch_files(session: aiohttp.ClientSession, urls: list[str], size: int, headers: dict[str, str],
                      ranged: bool, duration: float, seed: int) -> Fetches:
    """CONNECTIONS workers fetching `urls` (files of `size` bytes) for `duration` seconds."""
    out = Fetches()
    rng = random.Random(seed)
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while time.perf_counter() < deadline:
            url = rng.choice(urls)
            want = size
            extra = dict(headers)
            if ranged:
                start = rng.randrange(size - RANGE_BYTES)
                extra["Range"] = f"bytes={start}-{start + RANGE_BYTES - 1}"
                want = RANGE_BYTES
            t0 = time.perf_counter()
            async with session.get(url, headers=extra) as resp:
                body = await resp.read()
            out.latencies_ms.append((time.perf_counter() - t0) * 1000)
            if resp.status != (206 if ranged else 200) or len(body) != want:
                if len(out.problems) < 5:
                    out.problems.append(f"GET {url} {extra.get('Range', '')}: {resp.status}, {len(body)} bytes")
                continue
            out.requests += 1
            out.bytes += len(body)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    out.seconds = time.perf_counter() - t0
    return out


async def login(session: aiohttp.ClientSession, base: str, login: str, password: str) -> dict[str, str]:
    async with session.post(f"{base}/api/login", json={"login": login, "password": password}) as resp:
        body = await resp.json()
        if resp.status != 200:
            raise RuntimeError(f"bench login {login}: {resp.status} {body}")
    return {"Authorization": f"Bearer {body['token']}"}

