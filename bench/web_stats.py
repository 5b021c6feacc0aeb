"""The web bench's statistics figure: GET /api/stats for the last 30 days of client 1000 (the days of its
time zone, as the portal asks) over HTTP, against the same store.stats.call_stats in-process on the
same store: p50 and p99 per request. Target: figure p99 ≤ 20 ms. Every answer is checked equal to the
in-process one. The period's end is fixed at the start of the run, so both sides count the same calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp

from store import Scope
from store.stats import StatsQuery, call_stats

from . import web_load

SIDES = ("figure", "baseline")
DAYS = 30
CLIENT = "1000"  # the busiest client of bench.web_data (half the calls)
ZONE = "America/Toronto"  # its time zone (bench.web_data)
P99_TARGET_MS = 20.0


@dataclass
class StatsLatency:
    calls: int = 0  # calls counted in the period
    p50: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    p99: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def best(self, what: str, side: str) -> float:
        return min(getattr(self, what)[side], default=math.nan)

    @property
    def met(self) -> bool:
        return self.best("p99", "figure") <= P99_TARGET_MS


async def measure(session: aiohttp.ClientSession, base: str, headers: dict, db, requests: int, rounds: int,
                  warmup: int, problems: list[str]) -> StatsLatency:
    zone = ZoneInfo(ZONE)
    end = datetime.now(UTC).replace(microsecond=0)
    first = end.astimezone(zone).date() - timedelta(days=DAYS - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    url = f"{base}/api/stats?{urlencode({'client': CLIENT, 'from': first.isoformat(), 'to': end.isoformat()})}"
    query = StatsQuery(start, end, ZONE, CLIENT)

    def local() -> dict:
        return call_stats(db, Scope.everything(), query, end)

    expected = {**local(), "service_level_s": 20}

    def check(body: dict) -> str | None:
        return None if body == expected else f"stats differ from in-process: totals {body.get('totals')}"

    result = StatsLatency(calls=expected["totals"]["offered"])
    await web_load.latencies(session, url, headers, warmup, check)
    web_load.in_process(local, warmup)
    for r in range(rounds):
        for side in (SIDES if r % 2 == 0 else SIDES[::-1]):
            if side == "figure":
                times, wrong = await web_load.latencies(session, url, headers, requests, check)
                problems += [f"stats: {p}" for p in wrong[:3]]
            else:
                times = web_load.in_process(local, requests)
            result.p50[side].append(web_load.percentile(times, 0.5))
            result.p99[side].append(web_load.percentile(times, 0.99))
    return result
