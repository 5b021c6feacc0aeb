"""Statistics of the call history over a period: the arithmetic on the sums of its calls.

The formulas are written out for people in web/STATS.md; keep the two in step. The sums come from the
rollups and the rest of the period (store/stats_sums.py), the top callers from store/stats_callers.py.
Every query reads through the caller's scope and, for a client, its history window: a client's
statistics never count a call it could not list.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils

from . import stats_callers, stats_sums
from .clock import iso
from .scope import Scope
from .visibility import DEFAULT_SERVICE_LEVEL_S, window_start

log = logging.getLogger(__name__)

# Calls still going on are not counted yet; calls to a number no client owns were never offered.
NOT_OFFERED = ("in_progress", "unknown_did")


@dataclass(frozen=True)
class StatsQuery:
    start: datetime  # aware; inclusive
    end: datetime  # aware; exclusive
    timezone: str  # the zone calls per hour and per day are counted in
    client_code: str | None = None
    queue: str | None = None
    top: int = 10  # how many top callers


def call_stats(db: sqlite_utils.Database, scope: Scope, query: StatsQuery, now: datetime | None = None) -> dict:
    start = iso(query.start)
    since = window_start(db, scope, now)
    if since is not None and since > start:
        start = min(since, iso(query.end))  # a client's statistics stop where its history does
    end = iso(query.end)
    where = _where(scope, query)
    groups = stats_sums.sums(db, where, start, end)
    totals, queues = _totals_and_queues(db, where, start, end, groups)
    hours, days = _per_hour_and_day(
        stats_sums.slots(db, where, start, end, ZoneInfo(query.timezone)),
        query, start)
    reasons = _contact_reasons(stats_sums.reasons(db, where, stats_sums.split(start, end, stats_sums.HOUR)))
    client = query.client_code or (None if scope.admin else scope.client_code)
    top_callers = stats_callers.top_callers(db, where, None if query.queue else client, start, end, query.top)
    return {
        "period": {"from": start, "to": end, "timezone": query.timezone},
        "client": query.client_code,
        "queue": query.queue,
        "totals": totals,
        "queues": queues,
        "per_hour": hours,
        "per_day": days,
        "top_callers": top_callers,
        "contact_reasons": [{**r, "share": _ratio(r["calls"], totals["offered"])} for r in reasons],
    }


def _filters(scope: Scope, query: StatsQuery, column: str) -> tuple[list[str], list]:
    where, params = scope.where(column)
    parts, args = [where], list(params)
    if query.client_code is not None:
        parts.append(f"{column} = ?")
        args.append(query.client_code)
    return parts, args


def _where(scope: Scope, query: StatsQuery) -> stats_sums.Where:
    """The calls counted (in scope, finished and offered, the narrowing filters), on `calls` and on the rollups."""
    calls, calls_args = _filters(scope, query, "c.client_code")
    calls.append(f"c.disposition NOT IN ({', '.join('?' for _ in NOT_OFFERED)})")
    calls_args += NOT_OFFERED
    rollup, rollup_args = _filters(scope, query, "r.client")
    if not scope.admin:
        rollup.append("r.client != ''")  # the rollups' key for calls without a client, which only admins see
    elif query.client_code is None:
        # Every client: their keys (calls.client_code references clients), each read as a range of the key.
        rollup.append("r.client IN (SELECT code FROM clients UNION ALL SELECT '')")
    if query.queue is not None:
        calls.append("c.queue = ?")
        calls_args.append(query.queue)
        rollup.append("r.queued = 1 AND r.queue = ?")
        rollup_args.append(query.queue)
    one_client = not scope.admin or query.client_code is not None
    return stats_sums.Where(" AND ".join(calls), calls_args, " AND ".join(rollup), rollup_args, one_client,
                            query.queue is not None)


def _base(scope: Scope, query: StatsQuery, start: str) -> tuple[str, list]:
    """The calls counted over the whole period, as one condition on `calls c`."""
    where = _where(scope, query)
    return f"{where.calls} AND c.started_at >= ? AND c.started_at < ?", [*where.calls_args, start, iso(query.end)]


def _totals_and_queues(db: sqlite_utils.Database, where: stats_sums.Where, start: str, end: str,
                       groups: dict[tuple[int, str], dict]) -> tuple[dict, list[dict]]:
    """Totals over every group, and one row per queue; the waits' counts per whole second give the
    service level and the rank of the 90th percentile, the exact wait is read in that second."""
    levels = {code: level for code, level in db.execute("SELECT code, service_level_s FROM clients")}
    hist = stats_sums.waits(db, where, start, end)

    def metrics(keys: list[tuple[int, str]], queue: str | None) -> dict:
        total = {name: sum(groups[k][name] for k in keys) for name in stats_sums.SUM_NAMES}
        total["wait_max"] = max((groups[k]["wait_max"] for k in keys if groups[k]["wait_max"] is not None),
                                default=None)
        total["queued"] = sum(groups[k]["offered"] for k in keys if k[0])
        buckets: Counter = Counter()
        within = 0
        for (client, queued, name), counts in hist.items():
            if (queued, name) not in keys:
                continue
            level = levels.get(client, DEFAULT_SERVICE_LEVEL_S) if client else DEFAULT_SERVICE_LEVEL_S
            for bucket, n, answered in counts:
                buckets[bucket] += n
                if queued and bucket <= level:
                    within += answered
        total["answered_within_sl"] = within
        return _metrics(total, _wait_p90(db, where, start, end, queue, buckets))

    keys = sorted(groups)
    queues = [{"queue": name, **metrics([(queued, name)], name)} for queued, name in keys if queued]
    return metrics(keys, None), queues


def _wait_p90(db: sqlite_utils.Database, where: stats_sums.Where, start: str, end: str, queue: str | None,
              buckets: Counter) -> float | None:
    """90th percentile of the waits counted in `buckets` (per whole second), nearest rank: the
    ceil(0.9 n)-th smallest. The counts find its second; the wait itself is read among that second's."""
    n = sum(buckets.values())
    if not n:
        return None
    rank = (9 * n + 9) // 10
    below = 0
    for bucket in sorted(buckets):
        if below + buckets[bucket] >= rank:
            return stats_sums.wait_at_rank(db, where, start, end, queue, bucket, rank - below - 1)
        below += buckets[bucket]
    return None


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _mean(total_ms: int, n: int) -> float | None:
    return total_ms / n / 1000 if n else None


def _metrics(row: dict, wait_p90: float | None) -> dict:
    """The figures of a group from its sums (stats_sums.SUM_NAMES, wait_max, queued, answered_within_sl).
    Means are of whole milliseconds, exact sums, whichever way the calls were added up."""
    counts = {k: int(row.get(k) or 0) for k in (
        "offered", "answered", "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours", "failed",
        "queued", "answered_within_sl")}
    abandoned = counts["abandoned_ivr"] + counts["abandoned_queue"]
    return {
        **counts,
        "abandoned": abandoned,
        "abandon_rate": _ratio(abandoned, counts["offered"]),
        "queue_abandon_rate": _ratio(counts["abandoned_queue"], counts["queued"]),
        "service_level": _ratio(counts["answered_within_sl"], counts["queued"]),
        "wait_avg_s": _seconds(_mean(row.get("wait_ms", 0), row.get("waits", 0))),
        "wait_p90_s": _seconds(wait_p90),
        "wait_max_s": _seconds(row.get("wait_max")),
        "asa_s": _seconds(_mean(row.get("answered_wait_ms", 0), row.get("answered_waits", 0))),
        "aht_s": _seconds(_mean(row.get("answered_talk_ms", 0), row.get("answered_talks", 0))),
        "talk_total_s": _seconds(row.get("talk_ms", 0) / 1000) or 0.0,
    }


def _per_hour_and_day(slots: tuple[dict[str, list[int]], dict[str, list[int]]], query: StatsQuery,
                      start: str) -> tuple[list[dict], list[dict]]:
    """Counts per hour of the day and per calendar day in the query's time zone.

    SQLite knows no time zones: the counts are per 15-minute UTC slot, each moved to local time by its
    offset (stats_sums.slots), exactly, daylight saving time and half-hour zones included.
    """
    zone = ZoneInfo(query.timezone)
    hours = [[0, 0, 0] for _ in range(24)]
    days: dict[str, list[int]] = {}
    first = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(zone).date()
    last = (query.end - timedelta(microseconds=1)).astimezone(zone).date()
    day = first
    while day <= last:
        days[day.isoformat()] = [0, 0, 0]
        day += timedelta(days=1)
    local, raw = slots
    for slot, counts in raw.items():
        try:
            moved = datetime.strptime(slot, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC).astimezone(zone)
        except (TypeError, ValueError):
            targets = [f"bad:{slot}"]
        else:
            targets = [f"D{moved.date().isoformat()}", f"H{moved.hour:02d}"]
        for key in targets:
            local[key] = [a + b for a, b in zip(local.get(key, (0, 0, 0)), counts, strict=True)]
    for key, counts in local.items():
        if key.startswith("bad:"):
            log.warning("stats: a call start that is not an ISO time (%r) is left out of the per-hour counts",
                        key[4:])
            continue
        total = hours[int(key[1:])] if key[0] == "H" else days.setdefault(key[1:], [0, 0, 0])
        for i, n in enumerate(counts):
            total[i] += n
    keys = ("offered", "answered", "abandoned")
    return ([{"hour": h, **dict(zip(keys, c, strict=True))} for h, c in enumerate(hours)],
            [{"date": d, **dict(zip(keys, c, strict=True))} for d, c in sorted(days.items())])


def _contact_reasons(counts: Counter) -> list[dict]:
    """Which option of which menu callers chose (ivr_steps: a menu node's 'choice K -> target')."""
    rows = sorted(((key, n) for key, n in counts.items() if n > 0),
                  key=lambda r: (-r[1], r[0][0], r[0][1], r[0][2] is not None, r[0][2] or "", r[0][3]))
    return [{"menu": menu, "node": node, "digit": digit, "target": outcome.partition(" -> ")[2] or None,
             "calls": n} for (menu, node, digit, outcome), n in rows]


WAIT_BUCKETS_S = (10, 20, 30, 60, 120, 300)  # upper bounds (exclusive) of the wait histogram; the last is open


def wait_distribution(db: sqlite_utils.Database, scope: Scope, query: StatsQuery,
                      now: datetime | None = None) -> list[dict]:
    """The calls of call_stats that waited in a queue, counted by wait: one row per bucket of
    WAIT_BUCKETS_S, empty ones included ({"from_s", "to_s" (None for the last), "calls"})."""
    start = iso(query.start)
    since = window_start(db, scope, now)
    if since is not None and since > start:
        start = min(since, iso(query.end))
    where, args = _base(scope, query, start)
    cases = " ".join(f"WHEN c.wait_s < {bound} THEN {i}" for i, bound in enumerate(WAIT_BUCKETS_S))
    counts = dict(db.execute(
        f"SELECT CASE {cases} ELSE {len(WAIT_BUCKETS_S)} END AS bucket, count(*) FROM calls c "  # noqa: S608
        f"WHERE {where} AND c.wait_s IS NOT NULL GROUP BY bucket", args).fetchall())
    lows = (0, *WAIT_BUCKETS_S)
    return [{"from_s": low, "to_s": WAIT_BUCKETS_S[i] if i < len(WAIT_BUCKETS_S) else None, "calls": counts.get(i, 0)}
            for i, low in enumerate(lows)]
