"""Statistics of the call history over a period: the SQL, and the arithmetic on its few result rows.

The formulas are written out for people in web/STATS.md; keep the two in step. Every query reads
through the caller's scope and, for a client, its history window: a client's statistics never count
a call it could not list.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils

from .clock import iso
from .scope import Scope
from .visibility import DEFAULT_SERVICE_LEVEL_S, window_start

log = logging.getLogger(__name__)

# Calls still going on are not counted yet; calls to a number no client owns were never offered.
NOT_OFFERED = ("in_progress", "unknown_did")
BUCKET_MINUTES = 15  # every time zone's offset from UTC is a multiple of 15 minutes


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
    where, args = _base(scope, query, start)
    totals = _aggregate(db, where, args, None)
    queue_rows = _aggregate(db, f"{where} AND c.queue IS NOT NULL", args, "c.queue")
    hours, days = _per_hour_and_day(db, where, args, query, start)
    total = totals.get(None) or _metrics({}, None)
    reasons = [{**r, "share": _ratio(r["calls"], total["offered"])} for r in _contact_reasons(db, where, args)]
    return {
        "period": {"from": start, "to": iso(query.end), "timezone": query.timezone},
        "client": query.client_code,
        "queue": query.queue,
        "totals": total,
        "queues": [{"queue": name, **metrics} for name, metrics in sorted(queue_rows.items())],
        "per_hour": hours,
        "per_day": days,
        "top_callers": _top_callers(db, where, args, query.top),
        "contact_reasons": reasons,
    }


def _base(scope: Scope, query: StatsQuery, start: str) -> tuple[str, list]:
    """The calls counted: in scope, started in the period, finished and offered; the narrowing filters."""
    where, params = scope.where("c.client_code")
    parts = [where, "c.started_at >= ?", "c.started_at < ?",
             f"c.disposition NOT IN ({', '.join('?' for _ in NOT_OFFERED)})"]
    args: list = [*params, start, iso(query.end), *NOT_OFFERED]
    for condition, value in (("c.client_code = ?", query.client_code), ("c.queue = ?", query.queue)):
        if value is not None:
            parts.append(condition)
            args.append(value)
    return " AND ".join(parts), args


_AGGREGATES = """
    count(*) AS offered,
    coalesce(sum(c.disposition = 'answered'), 0) AS answered,
    coalesce(sum(c.disposition = 'abandoned_ivr'), 0) AS abandoned_ivr,
    coalesce(sum(c.disposition = 'abandoned_queue'), 0) AS abandoned_queue,
    coalesce(sum(c.disposition = 'voicemail'), 0) AS voicemail,
    coalesce(sum(c.disposition = 'closed_hours'), 0) AS closed_hours,
    coalesce(sum(c.disposition = 'failed'), 0) AS failed,
    coalesce(sum(c.queue IS NOT NULL), 0) AS queued,
    coalesce(sum(c.queue IS NOT NULL AND c.disposition = 'answered'
                 AND c.wait_s <= coalesce(cl.service_level_s, ?)), 0) AS answered_within_sl,
    avg(c.wait_s) AS wait_avg_s,
    max(c.wait_s) AS wait_max_s,
    avg(CASE WHEN c.disposition = 'answered' THEN c.wait_s END) AS asa_s,
    avg(CASE WHEN c.disposition = 'answered' THEN c.talk_s END) AS aht_s,
    coalesce(sum(c.talk_s), 0) AS talk_total_s
"""


def _aggregate(db: sqlite_utils.Database, where: str, args: list, group: str | None) -> dict[str | None, dict]:
    """Metrics per group (`group` is a fixed column expression, or None for one row of totals)."""
    key = group or "NULL"
    rows = list(db.query(
        f"SELECT {key} AS grp, count(c.wait_s) AS waits, {_AGGREGATES} "  # noqa: S608 - fixed fragments
        f"FROM calls c LEFT JOIN clients cl ON cl.code = c.client_code "
        f"WHERE {where} GROUP BY {key} HAVING count(*) > 0", [DEFAULT_SERVICE_LEVEL_S, *args]))
    return {row["grp"]: _metrics(row, _wait_p90(db, where, args, group, row["grp"], row["waits"])) for row in rows}


def _wait_p90(db: sqlite_utils.Database, where: str, args: list, group: str | None, value: str | None,
              waits: int) -> float | None:
    """90th percentile of the group's `waits` values of wait_s, nearest rank: the ceil(0.9 n)-th smallest.
    (One indexed sort per group; a window function over every row was slower.)"""
    if not waits:
        return None
    narrow, narrow_args = (f" AND {group} = ?", [value]) if group else ("", [])
    row = db.execute(
        f"SELECT c.wait_s FROM calls c WHERE {where}{narrow} AND c.wait_s IS NOT NULL "  # noqa: S608
        f"ORDER BY c.wait_s LIMIT 1 OFFSET ?", [*args, *narrow_args, (9 * waits + 9) // 10 - 1]).fetchone()
    return row[0] if row else None


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _metrics(row: dict, wait_p90: float | None) -> dict:
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
        "wait_avg_s": _seconds(row.get("wait_avg_s")),
        "wait_p90_s": _seconds(wait_p90),
        "wait_max_s": _seconds(row.get("wait_max_s")),
        "asa_s": _seconds(row.get("asa_s")),
        "aht_s": _seconds(row.get("aht_s")),
        "talk_total_s": _seconds(row.get("talk_total_s")) or 0.0,
    }


def _per_hour_and_day(db: sqlite_utils.Database, where: str, args: list, query: StatsQuery,
                      start: str) -> tuple[list[dict], list[dict]]:
    """Counts per hour of the day and per calendar day in the query's time zone.

    SQLite knows no time zones: the SQL counts per 15-minute UTC slot (a few thousand rows at most),
    and each slot is moved to local time here, exactly, daylight saving time included.
    """
    zone = ZoneInfo(query.timezone)
    slot = (f"substr(c.started_at, 1, 14) || printf('%02d', CAST(substr(c.started_at, 15, 2) AS INTEGER) "
            f"/ {BUCKET_MINUTES} * {BUCKET_MINUTES})")
    hours: dict[int, Counter] = {h: Counter() for h in range(24)}
    days: dict[str, Counter] = {}
    first = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(zone).date()
    last = (query.end - timedelta(microseconds=1)).astimezone(zone).date()
    day = first
    while day <= last:
        days[day.isoformat()] = Counter()
        day += timedelta(days=1)
    for row in db.query(
            f"SELECT {slot} AS slot, count(*) AS offered, coalesce(sum(c.disposition = 'answered'), 0) AS answered, "  # noqa: S608
            f"coalesce(sum(c.disposition IN ('abandoned_ivr', 'abandoned_queue')), 0) AS abandoned "
            f"FROM calls c WHERE {where} GROUP BY slot", args):
        try:
            local = datetime.strptime(row["slot"], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC).astimezone(zone)
        except (TypeError, ValueError):
            log.warning("stats: a call start that is not an ISO time (%r) is left out of the per-hour counts",
                        row["slot"])
            continue
        counts = Counter(offered=row["offered"], answered=row["answered"], abandoned=row["abandoned"])
        hours[local.hour].update(counts)
        days.setdefault(local.date().isoformat(), Counter()).update(counts)
    keys = ("offered", "answered", "abandoned")
    return ([{"hour": h, **{k: c[k] for k in keys}} for h, c in hours.items()],
            [{"date": d, **{k: c[k] for k in keys}} for d, c in sorted(days.items())])


def _top_callers(db: sqlite_utils.Database, where: str, args: list, top: int) -> list[dict]:
    return list(db.query(
        "SELECT c.caller_number, count(*) AS calls, coalesce(sum(c.disposition = 'answered'), 0) AS answered, "  # noqa: S608
        f"max(c.started_at) AS last_call_at FROM calls c WHERE {where} AND coalesce(c.caller_number, '') != '' "
        "GROUP BY c.caller_number ORDER BY calls DESC, last_call_at DESC, c.caller_number LIMIT ?", [*args, top]))


def _contact_reasons(db: sqlite_utils.Database, where: str, args: list) -> list[dict]:
    """Which option of which menu callers chose (ivr_steps: a menu node's 'choice K -> target')."""
    rows = db.query(
        "SELECT s.menu, s.node, s.digit, s.outcome, count(DISTINCT s.linkedid) AS calls "  # noqa: S608
        f"FROM calls c JOIN ivr_steps s ON s.linkedid = c.linkedid WHERE {where} "
        "AND s.kind = 'menu' AND s.outcome LIKE 'choice %' "
        "GROUP BY s.menu, s.node, s.digit, s.outcome ORDER BY calls DESC, s.menu, s.node, s.digit", args)
    return [{"menu": r["menu"], "node": r["node"], "digit": r["digit"],
             "target": r["outcome"].partition(" -> ")[2] or None, "calls": r["calls"]} for r in rows]


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
