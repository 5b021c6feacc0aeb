"""Each queue's day so far, for the wallboard: calls offered, answered, abandoned, the abandon rate,
the service level, the average wait and handling time since local midnight.

The figures are store.stats' (web/STATS.md: call_stats' per-queue rows, read through its public
function), with one difference the wallboard needs: the service level holds each call to its
queue's threshold (`queues.service_level_s`), not its client's. That count is the only SQL here.
"Today" starts at midnight in the queue's client's time zone; a shared queue (or a name with no
definition) counts in UTC, as statistics across clients do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlite_utils

from . import clients, queues
from .clock import iso
from .scope import Scope
from .stats import StatsQuery, call_stats

SHARED_ZONE = "UTC"  # statistics across clients count in UTC (web/STATS.md)
COUNTS = ("offered", "answered", "abandoned", "queued")
FIGURES = ("abandon_rate", "wait_avg_s", "wait_max_s", "asa_s", "aht_s")  # null without calls


def day_start(zone: ZoneInfo, now: datetime) -> datetime:
    """Midnight of `now`'s day in `zone` (aware). On a day whose midnight does not exist (a daylight
    saving change at 00:00) this is the moment of the change, which is when that day starts."""
    today = now.astimezone(zone).date()
    return datetime(today.year, today.month, today.day, tzinfo=zone)


def queue_days(db: sqlite_utils.Database, now: datetime) -> dict[str, dict]:
    """Every stored queue's day so far, and any other queue that took calls since midnight UTC, by name.

    One call_stats per time zone in use (its per-queue rows cover every queue of that zone) and one
    count of the calls answered within their queue's threshold.
    """
    zones = {c.code: c.timezone for c in clients.list_clients(db)}
    stored = {q.name: q for q in queues.list_queues(db)}
    by_zone: dict[str, list[str]] = {SHARED_ZONE: []}
    for queue in stored.values():
        by_zone.setdefault(zones.get(queue.client_code or "", SHARED_ZONE), []).append(queue.name)
    days: dict[str, dict] = {}
    for zone_name, names in by_zone.items():
        start = day_start(ZoneInfo(zone_name), now)
        stats = call_stats(db, Scope.everything(), StatsQuery(start, now, zone_name, top=1), now)
        rows = {row["queue"]: row for row in stats["queues"]}
        if zone_name == SHARED_ZONE:  # names no definition holds are shared queues
            names = [*names, *(name for name in rows if name not in stored)]
        within = answered_within_threshold(db, start, now, names)
        for name in names:
            days[name] = _day(stored.get(name) or queues.Queue(name, None), zone_name, start, rows.get(name, {}),
                              within.get(name, 0))
    return dict(sorted(days.items()))


def quiet_day(name: str, now: datetime) -> dict:
    """The day of a queue queue_days did not list: one with no definition (shared, the defaults) and
    no call since midnight UTC."""
    return _day(queues.Queue(name, None), SHARED_ZONE, day_start(ZoneInfo(SHARED_ZONE), now), {}, 0)


def _day(queue: queues.Queue, zone_name: str, start: datetime, row: dict, within: int) -> dict:
    """A queue's figures from its row of call_stats and its count of calls answered within its threshold."""
    counts = {key: int(row.get(key) or 0) for key in COUNTS}
    return {
        "queue": queue.name, "label": queue.label, "client_code": queue.client_code,
        "timezone": zone_name, "since": iso(start),
        "service_level_s": queue.service_level_s, "service_level_target": queue.service_level_pct / 100,
        **counts, **{key: row.get(key) for key in FIGURES},
        "answered_within_sl": within, "service_level": _ratio(within, counts["queued"]),
    }


def answered_within_threshold(db: sqlite_utils.Database, start: datetime, end: datetime,
                              names: Iterable[str]) -> dict[str, int]:
    """Per queue, the calls started in [start, end) that waited in it and were answered within its
    threshold (`queues.service_level_s`; a name with no definition: the default Queue's)."""
    names = list(names)
    if not names:
        return {}
    marks = ", ".join("?" for _ in names)
    rows = db.execute(
        "SELECT c.queue, count(*) FROM calls c LEFT JOIN queues q ON q.name = c.queue "  # noqa: S608 - marks only
        f"WHERE c.queue IN ({marks}) AND c.started_at >= ? AND c.started_at < ? AND c.disposition = 'answered' "
        "AND c.wait_s <= coalesce(q.service_level_s, ?) GROUP BY c.queue",
        [*names, iso(start), iso(end), queues.Queue("", None).service_level_s]).fetchall()
    return dict(rows)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None  # as store.stats: 4 decimals, null over nothing
