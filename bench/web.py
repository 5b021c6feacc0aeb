"""The web benchmarks (`python -m bench --only web`): the call history API, the CSV export and the
recordings, each figure against its baseline in the same run, rounds of both interleaved.

- api-calls: GET /api/calls filtered and paged (a first page and a deep keyset page) over HTTP on a
  store of `calls` synthetic calls, against the same store function (store.calls.list_calls) called
  in-process: p50 and p99 per request. Target: figure p99 ≤ 5 ms.
- stats: GET /api/stats for the last 30 days of client 1000 (its zone's days) over HTTP against
  store.stats.call_stats in-process (bench.web_stats): p50 and p99. Target: figure p99 ≤ 20 ms.
- csv-export: GET /api/calls?format=csv of a client's newest N calls: rows/s to the last byte and the
  server's peak memory over the download, at two sizes (memory must not grow with the rows); the
  baseline is one cursor written straight to csv.writer by a bare aiohttp route. Target ≥ 100 000
  rows/s.
- recordings: GET /api/recordings/{id} (the whole file, or a random 64 KiB Range) from 16
  connections, against aiohttp's FileResponse (sendfile) on a bare route serving the same files.
  Target: figure ≥ 0.9 × baseline requests/s.

The servers run in a child process (bench.web_server), the load in this one.
"""

from __future__ import annotations

import asyncio
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from store import Scope, calls
from store.call_filter import CallFilter
from store.db import connect
from web.calls import encode_cursor

from . import web_data, web_load, web_stats

SIDES = ("figure", "baseline")
P99_TARGET_MS = 5.0
EXPORT_TARGET = 100_000.0  # rows/s
FLAT_SLACK = 8 * 1024 * 1024  # the large export's peak may exceed the small one's by this much (allocator noise)
FILE_TARGET = 0.9
DEEP = 0.4  # a deep page starts this far into the filter's calls
START_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parent.parent
DISPOSITION_INDEXES = ("calls_disposition_started", "calls_client_disposition_started")  # migration 13


@dataclass(frozen=True)
class WebConfig:
    calls: int  # synthetic calls in the store
    requests: int  # per round, case and side (api-calls)
    export_rows: tuple[int, int]  # the two export sizes
    fetch_s: float  # seconds per round and side (recordings)
    rounds: int = 3
    warmup: int = 100


FULL = WebConfig(calls=1_000_000, requests=500, export_rows=(10_000, 100_000), fetch_s=4.0, rounds=3)
QUICK = WebConfig(calls=20_000, requests=40, export_rows=(1_000, 5_000), fetch_s=0.5, rounds=1, warmup=10)


@dataclass(frozen=True)
class Case:
    """One filtered history request: its query, who asks, and the store call it amounts to."""
    name: str
    params: dict[str, str]
    client_user: bool
    filters: CallFilter


CASES = (
    Case("client 1000, answered", {"client": "1000", "disposition": "answered"}, False,
         CallFilter(client_code="1000", dispositions=("answered",))),
    Case("failed, every client", {"disposition": "failed"}, False, CallFilter(dispositions=("failed",))),
    Case("client user, voicemail (60-day window)", {"disposition": "voicemail"}, True,
         CallFilter(dispositions=("voicemail",))),
)


@dataclass
class Latency:
    name: str
    page: str  # first or deep
    offset: int  # calls before the page
    p50: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    p99: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    # The in-process side again at the end of the run, once the disposition indexes (migration 13) are
    # dropped: what the history's pages cost without them.
    unindexed: dict[str, float] = field(default_factory=dict)  # p50, p99 (ms)
    local: Callable[[], object] | None = field(default=None, repr=False)

    def best(self, what: str, side: str) -> float:
        return min(getattr(self, what)[side], default=math.nan)

    @property
    def met(self) -> bool:
        return self.best("p99", "figure") <= P99_TARGET_MS


@dataclass
class Export:
    rows: int
    rates: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    peaks: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in SIDES})  # bytes above start

    def rate(self, side: str) -> float:
        return max(self.rates[side], default=math.nan)

    def peak(self, side: str) -> int:
        return max(self.peaks[side], default=0)


@dataclass
class FileRun:
    mode: str  # full or range
    bytes: int  # per request
    rates: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    p99: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def rate(self, side: str) -> float:
        return max(self.rates[side], default=math.nan)

    @property
    def ratio(self) -> float:
        base = self.rate("baseline")
        return self.rate("figure") / base if base > 0 else math.nan

    @property
    def met(self) -> bool:
        return self.ratio >= FILE_TARGET


@dataclass
class WebReport:
    config: WebConfig
    dataset: web_data.Dataset | None = None
    latencies: list[Latency] = field(default_factory=list)
    stats: web_stats.StatsLatency | None = None
    exports: list[Export] = field(default_factory=list)
    files: list[FileRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def export_flat(self) -> bool:
        small, large = self.exports[0].peak("figure"), self.exports[-1].peak("figure")
        return large <= small + FLAT_SLACK

    @property
    def export_met(self) -> bool:
        return self.exports[-1].rate("figure") >= EXPORT_TARGET


class ServerProcess:
    def __init__(self, dataset: web_data.Dataset) -> None:
        self.dataset = dataset
        self.proc: asyncio.subprocess.Process | None = None
        self.ports = (0, 0)

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.web_server", str(self.dataset.db_path), str(self.dataset.recordings_dir),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            cwd=ROOT)
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), START_TIMEOUT)
        if not line.startswith(b"PORTS "):
            raise RuntimeError(f"web bench server did not start: {line!r} {await self.proc.stderr.read()!r}")
        figure, baseline = line.split()[1:]
        self.ports = (int(figure), int(baseline))

    async def stop(self) -> list[str]:
        if self.proc is None:
            return []
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        _, err = await asyncio.wait_for(self.proc.communicate(), 30)
        problems = [f"web bench server wrote to stderr: {err.decode(errors='replace')[:500]}"] if err.strip() else []
        if self.proc.returncode != 0:
            problems.append(f"web bench server exited with {self.proc.returncode}")
        return problems


def _position(db, scope: Scope, filters: CallFilter, now: datetime, offset: int) -> tuple[str, str] | None:
    """The keyset cursor of the page that starts `offset` calls in (walked page by page as a client would)."""
    before = None
    while offset > 0 and (page := calls.list_call_tuples(db, scope, min(offset, 500), before, filters, now)):
        before = (page[-1][6], page[-1][0])
        offset -= len(page)
    return before


def _count(db, scope: Scope, filters: CallFilter, now: datetime) -> int:
    n, before = 0, None
    while page := calls.list_call_tuples(db, scope, 500, before, filters, now):
        n += len(page)
        before = (page[-1][6], page[-1][0])
    return n


async def _api_calls(report: WebReport, session: aiohttp.ClientSession, base: str, tokens: dict[str, dict],
                     db, now: datetime) -> None:
    config = report.config
    plans: list[tuple[Latency, str, dict, Callable[[], list[dict]], web_load.Check]] = []
    for case in CASES:
        scope = Scope.client("1000") if case.client_user else Scope.everything()
        total = _count(db, scope, case.filters, now)
        for page, offset in (("first", 0), ("deep", max(0, min(int(total * DEEP), total - 51)))):
            before = _position(db, scope, case.filters, now, offset)
            params = {**case.params, "limit": "50"}
            if before is not None:
                params["cursor"] = encode_cursor({"started_at": before[0], "linkedid": before[1]})

            def local(s=scope, b=before, f=case.filters) -> list[dict]:
                return calls.list_calls(db, s, 51, b, f, now)

            expected = [c["linkedid"] for c in local()[:50]]
            report.problems += [] if len(expected) == 50 else [f"api-calls {case.name} {page}: only {len(expected)}"]

            def check(body: dict, want=expected) -> str | None:
                got = [c["linkedid"] for c in body["calls"]]
                return None if got == want and body["next_cursor"] else f"calls {got[:2]}… not {want[:2]}…"

            headers = tokens["client" if case.client_user else "admin"]
            plans.append((Latency(case.name, page, offset), f"{base}/api/calls?{urlencode(params)}", headers,
                          local, check))
    for _latency, url, headers, local, check in plans:  # warm-up: caches, connections, the planner's first runs
        await web_load.latencies(session, url, headers, config.warmup, check)
        web_load.in_process(local, config.warmup)
    for r in range(config.rounds):
        for i, (latency, url, headers, local, check) in enumerate(plans):
            for side in (SIDES if (r + i) % 2 == 0 else SIDES[::-1]):
                if side == "figure":
                    times, problems = await web_load.latencies(session, url, headers, config.requests, check)
                    report.problems += problems[:3]
                else:
                    times = web_load.in_process(local, config.requests)
                latency.p50[side].append(web_load.percentile(times, 0.5))
                latency.p99[side].append(web_load.percentile(times, 0.99))
    report.latencies = [plan[0] for plan in plans]
    for latency, _, _, local, _ in plans:
        latency.local = local


def _without_indexes(report: WebReport, db) -> None:
    """The in-process pages again without migration 13's indexes (the run's last step: the store is the
    run's own scratch copy)."""
    for index in DISPOSITION_INDEXES:
        db.execute(f"DROP INDEX {index}")
    for latency in report.latencies:
        if latency.local is None:
            continue
        web_load.in_process(latency.local, report.config.warmup)
        times = web_load.in_process(latency.local, report.config.requests)
        latency.unindexed = {"p50": web_load.percentile(times, 0.5), "p99": web_load.percentile(times, 0.99)}


async def _csv_export(report: WebReport, session: aiohttp.ClientSession, ports: tuple[int, int],
                      headers: dict, db, pid: int) -> None:
    config = report.config
    urls = {}
    for rows in config.export_rows:  # a client's newest `rows` calls: from the start of the rows-th
        start = _position(db, Scope.everything(), CallFilter(client_code="1000"), datetime.now(UTC), rows)
        assert start is not None
        query = urlencode({"client": "1000", "from": start[0]})
        urls[rows] = {"figure": (f"http://127.0.0.1:{ports[0]}/api/calls?format=csv&{query}", headers),
                      "baseline": (f"http://127.0.0.1:{ports[1]}/csv?{query}", {})}
        report.exports.append(Export(rows))
    for side in SIDES:  # warm-up
        await web_load.download(session, *urls[config.export_rows[0]][side], pid)
    for r in range(config.rounds):
        for i, export in enumerate(report.exports):
            for side in (SIDES if (r + i) % 2 == 0 else SIDES[::-1]):
                done = await web_load.download(session, *urls[export.rows][side], pid)
                if done.status != 200 or done.rows != export.rows:
                    report.problems.append(f"csv-export {side} of {export.rows} calls: status {done.status}, "
                                           f"{done.rows} rows")
                export.rates[side].append(done.rate)
                export.peaks[side].append(done.peak_growth)


async def _recordings(report: WebReport, session: aiohttp.ClientSession, ports: tuple[int, int],
                      headers: dict) -> int:
    """The recordings runs; returns how many requests the figure answered (each leaves an audit row)."""
    config, data = report.config, report.dataset
    assert data is not None
    size = next(data.recordings_dir.rglob("*.wav")).stat().st_size
    urls = {"figure": ([f"http://127.0.0.1:{ports[0]}/api/recordings/{i}" for i in data.recording_ids], headers),
            "baseline": ([f"http://127.0.0.1:{ports[1]}/rec/{i}" for i in data.recording_ids], {})}
    report.files = [FileRun("full", size), FileRun("range", web_load.RANGE_BYTES)]
    answered = 0
    seed = 0
    for r in range(-1, config.rounds):  # round -1: the warm-up, not counted
        for i, run in enumerate(report.files):
            for side in (SIDES if (r + i) % 2 == 0 else SIDES[::-1]):
                seed += 1
                done = await web_load.fetch_files(session, urls[side][0], size, urls[side][1], run.mode == "range",
                                                  config.fetch_s if r >= 0 else config.fetch_s / 4, seed)
                report.problems += [f"recordings {run.mode} {side}: {p}" for p in done.problems]
                if side == "figure":
                    answered += len(done.latencies_ms)
                if r >= 0:
                    run.rates[side].append(done.rate)
                    run.p99[side].append(web_load.percentile(done.latencies_ms, 0.99))
    return answered


def _audited(db_path: Path) -> int:
    db = connect(db_path)
    try:
        return db.execute("SELECT count(*) FROM recording_access").fetchone()[0]
    finally:
        db.close()


async def run(config: WebConfig = FULL, directory: Path | None = None,
              progress: Callable[[str], None] = lambda text: None) -> WebReport:
    started = time.perf_counter()
    report = WebReport(config)
    with tempfile.TemporaryDirectory(prefix="permanence-web-bench-") as scratch:
        progress(f"building a store of {config.calls} calls …")
        report.dataset = data = web_data.build(directory or Path(scratch), config.calls)
        progress(f"… {data.calls} calls, {data.recordings} recordings in {data.seconds:.1f} s")
        server = ServerProcess(data)
        db = connect(data.db_path)
        fetched = 0
        try:
            await server.start()
            assert server.proc is not None
            base = f"http://127.0.0.1:{server.ports[0]}"
            connector = aiohttp.TCPConnector(limit=web_load.CONNECTIONS)
            async with aiohttp.ClientSession(connector=connector) as session:
                tokens = {"admin": await web_load.login(session, base, *web_data.ADMIN),
                          "client": await web_load.login(session, base, *web_data.CLIENT_USER)}
                progress("api-calls: first and deep pages, over HTTP and in-process …")
                await _api_calls(report, session, base, tokens, db, datetime.now(UTC))
                progress(f"stats: {web_stats.DAYS} days of client {web_stats.CLIENT}, over HTTP and in-process …")
                report.stats = await web_stats.measure(session, base, tokens["admin"], db,
                                                       max(10, config.requests // 2), config.rounds,
                                                       max(2, config.warmup // 5), report.problems)
                progress("csv-export …")
                await _csv_export(report, session, server.ports, tokens["admin"], db, server.proc.pid)
                progress("recordings: whole files and 64 KiB ranges from 16 connections …")
                fetched = await _recordings(report, session, server.ports, tokens["admin"])
                progress("api-calls in-process again, without the disposition indexes …")
                _without_indexes(report, db)
        except (OSError, RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
            report.problems.append(f"web bench: {type(exc).__name__}: {exc}")
        finally:
            db.close()
            report.problems += await server.stop()
        audited = _audited(data.db_path)
        if audited != fetched:
            report.problems.append(f"recordings: {fetched} requests answered, {audited} audit rows")
    report.elapsed = time.perf_counter() - started
    return report
