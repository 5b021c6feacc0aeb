"""The statistics' sums over a period: the whole UTC slots from the rollups (store/schema_stats.py says
why rollups), the rest — the partial slots at both ends, starts not in the store's ISO form — from
`calls`. Each piece comes back in a form that adds up; store/stats.py turns the sums into figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlite_utils

from .clock import iso, parse_iso
from .schema_stats import ISO_GLOB

# (length, width of the key's prefix of an ISO start) of each rollup's unit.
SLOT, HOUR, DAY = (timedelta(minutes=15), 16), (timedelta(hours=1), 13), (timedelta(days=1), 10)
SUM_NAMES = ("offered", "answered", "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours", "failed",
             "waits", "wait_ms", "answered_waits", "answered_wait_ms", "answered_talks", "answered_talk_ms",
             "talk_ms")


def _ms(x: str) -> str:
    return f"coalesce(CAST(round({x} * 1000) AS INTEGER), 0)"


_RAW_SUMS = ", ".join((
    "count(*)", "sum(c.disposition = 'answered')",
    *(f"sum(c.disposition = '{d}')" for d in ("abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours",
                                               "failed")),
    "count(c.wait_s)", f"sum({_ms('c.wait_s')})",
    "sum(c.disposition = 'answered' AND c.wait_s IS NOT NULL)",
    f"sum(CASE WHEN c.disposition = 'answered' THEN {_ms('c.wait_s')} ELSE 0 END)",
    "sum(c.disposition = 'answered' AND c.talk_s IS NOT NULL)",
    f"sum(CASE WHEN c.disposition = 'answered' THEN {_ms('c.talk_s')} ELSE 0 END)",
    f"sum({_ms('c.talk_s')})",
))
_ROLLUP_SUMS = ", ".join(f"sum(r.{name})" for name in SUM_NAMES)
_BUCKET = "(CAST(c.wait_s AS INTEGER) + (c.wait_s > CAST(c.wait_s AS INTEGER)))"  # ceil, as the rollup counts
_SLOT = ("substr(c.started_at, 1, 14) || printf('%02d', CAST(substr(c.started_at, 15, 2) AS INTEGER) / 15 * 15)")


CALLS = "calls c"
BETWEEN = "c.started_at >= ? AND c.started_at < ?"


@dataclass(frozen=True)
class Where:
    """The calls counted, less their period: conditions on `calls c` and on a rollup `r`."""
    calls: str
    calls_args: list
    rollup: str
    rollup_args: list
    one_client: bool  # calls.client_code is fixed: the indexes that lead with it serve
    one_queue: bool  # narrowed to a queue: the rollups without queues do not serve


@dataclass(frozen=True)
class Span:
    """A period cut for a rollup of one unit: its whole units [core) as key prefixes (None without any),
    and the `calls` time conditions for the rest."""
    core: tuple[str, str] | None
    raw: list[tuple[str, str, list]]  # (the FROM of calls c, a condition, its arguments)


def _floor(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return epoch + (moment - epoch) // step * step


def split(start: str, end: str, unit: tuple[timedelta, int]) -> Span:
    step, width = unit
    lo, hi = parse_iso(start), parse_iso(end)
    first = _floor(lo, step)
    first = first if first == lo else first + step
    last = _floor(hi, step)
    between = BETWEEN
    if first >= last:
        return Span(None, [(CALLS, between, [start, end])])
    a, b = iso(first), iso(last)
    raw = [(CALLS, between, [start, a])] if start < a else []
    raw += [(CALLS, between, [b, end])] if b < end else []
    # The starts the rollups leave out, normally none: the planner would rather read the period whole.
    raw.append(("calls c INDEXED BY calls_odd_start", f"{between} AND c.started_at NOT GLOB '{ISO_GLOB}'", [a, b]))
    return Span((a[:width], b[:width]), raw)


def _merge(into: dict, key, row: tuple) -> None:
    """Adds a row of SUM_NAMES then wait_max to the sums under `key`."""
    old = into.get(key)
    if old is None:
        into[key] = [int(v or 0) for v in row[:-1]] + [row[-1]]
        return
    for i, value in enumerate(row[:-1]):
        old[i] += int(value or 0)
    if row[-1] is not None and (old[-1] is None or row[-1] > old[-1]):
        old[-1] = row[-1]


def _two_levels(start: str, end: str, unit: tuple[timedelta, int], rollup: tuple[str, str],
                finer: tuple[timedelta, int], finer_rollup: tuple[str, str]) -> tuple[list, list]:
    """The period's whole units from `rollup` (table, key column), the whole finer units of its partial
    units from `finer_rollup`, and the `calls` conditions of the rest: ([((table, column), core)], raw)."""
    outer = split(start, end, unit)
    cores = [(rollup, outer.core)] if outer.core else []
    raw = []
    for table, cond, args in outer.raw:
        if table == CALLS and cond == BETWEEN:
            part = split(*args, finer)
            cores += [(finer_rollup, part.core)] if part.core else []
            raw += part.raw
        else:
            raw.append((table, cond, args))
    return cores, raw


def sums(db: sqlite_utils.Database, where: Where, start: str, end: str) -> dict[tuple[int, str], dict]:
    """SUM_NAMES and wait_max per (queued, queue name or ''): whole days from stats_days, the whole slots
    of the partial days from stats_slots, the rest from `calls`."""
    out: dict = {}
    cores, raw = _two_levels(start, end, DAY, ("stats_days", "day"), SLOT, ("stats_slots", "slot"))
    for (rollup, unit), core in cores:
        for queued, queue, *row in db.execute(
                f"SELECT r.queued, r.queue, {_ROLLUP_SUMS}, max(r.wait_max) FROM {rollup} r "  # noqa: S608
                f"WHERE {where.rollup} AND r.{unit} >= ? AND r.{unit} < ? GROUP BY r.queued, r.queue",
                [*where.rollup_args, *core]):
            _merge(out, (queued, queue), row)
    for table, cond, args in raw:
        for queued, queue, *row in db.execute(
                f"SELECT c.queue IS NOT NULL, coalesce(c.queue, ''), {_RAW_SUMS}, max(c.wait_s) "  # noqa: S608
                f"FROM {table} WHERE {where.calls} AND {cond} GROUP BY 1, 2", [*where.calls_args, *args]):
            _merge(out, (queued, queue), row)
    return {key: dict(zip((*SUM_NAMES, "wait_max"), row, strict=True)) for key, row in out.items() if row[0]}


def shifts(zone: ZoneInfo, first: str, last: str) -> list[tuple[str, str, int]]:
    """The UTC slots [first, last) ('YYYY-MM-DDTHH:MM') cut where the zone's offset changes: (from, to,
    offset in minutes). Offsets change on whole slots (every zone's is a multiple of 15 minutes)."""
    step = SLOT[0]

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]

    lo = datetime.strptime(first, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    hi = datetime.strptime(last, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    out = []
    while lo < hi:
        minutes, probe = offset(lo), lo
        while probe < hi and offset(probe) == minutes:  # a day at a time, then the slot it changes in
            probe += timedelta(days=1)
        if probe < hi or offset(min(probe, hi) - step) != minutes:
            low, high = probe - timedelta(days=1), min(probe, hi)
            while high - low > step:
                mid = low + (high - low) // step // 2 * step
                low, high = (mid, high) if offset(mid) == minutes else (low, mid)
            probe = high
        end = min(probe, hi)
        out.append((lo.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M"), minutes))
        lo = end
    return out


def slots(db: sqlite_utils.Database, where: Where, start: str, end: str,
          zone: ZoneInfo) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """[offered, answered, abandoned]: from a rollup per local day ('D' and the date in `zone`) and hour of
    the day ('H' and HH), moved by SQLite with the offset of each stretch (a month is 55 rows for Python,
    not thousands of slots); from `calls` per UTC 15-minute slot ('YYYY-MM-DDTHH:MM'). The rollup is stats_hours
    when every offset is whole hours and no queue narrows; else stats_slots. A slot SQLite does not
    read back as itself is not a time: it comes back as 'bad:' and the slot."""
    local: dict[str, list[int]] = {}
    raw: dict[str, list[int]] = {}

    def add(out: dict[str, list[int]], rows) -> None:
        for key, *counts in rows:
            if key in out:
                out[key] = [a + b for a, b in zip(out[key], counts, strict=True)]
            else:
                out[key] = counts

    span, rollup, unit, tail = split(start, end, HOUR), "stats_hours", "hour", ":00"
    cuts = shifts(zone, span.core[0] + tail, span.core[1] + tail) if span.core else []
    if where.one_queue or any(m % 60 or a[14:] != "00" or b[14:] != "00" for a, b, m in cuts):
        span, rollup, unit, tail = split(start, end, SLOT), "stats_slots", "slot", ""
        cuts = shifts(zone, *span.core) if span.core else []
    abandoned = "r.abandoned" if rollup == "stats_hours" else "r.abandoned_ivr + r.abandoned_queue"
    key = f"r.{unit} || '{tail}'"  # 'YYYY-MM-DDTHH:MM'
    width = len(span.core[0]) if span.core else 0
    for first, last, minutes in cuts:  # per local day ('D' and the date) and hour of the day ('H' and HH)
        add(local, db.execute(
            "WITH x AS MATERIALIZED (SELECT CASE "  # noqa: S608
            f"WHEN strftime('%Y-%m-%dT%H:%M', {key} || ':00') = {key} "
            f"THEN strftime('%Y-%m-%dT%H', {key} || ':00', ?) ELSE 'bad:' || {key} END AS local, "
            f"r.offered AS o, r.answered AS a, {abandoned} AS b FROM {rollup} r "
            f"WHERE {where.rollup} AND r.{unit} >= ? AND r.{unit} < ?) "
            "SELECT 'D' || substr(local, 1, 10), sum(o), sum(a), sum(b) FROM x WHERE local NOT LIKE 'bad:%' GROUP BY 1 "
            "UNION ALL SELECT 'H' || substr(local, 12, 2), sum(o), sum(a), sum(b) FROM x "
            "WHERE local NOT LIKE 'bad:%' GROUP BY 1 "
            "UNION ALL SELECT local, sum(o), sum(a), sum(b) FROM x WHERE local LIKE 'bad:%' GROUP BY 1",
            [f"{minutes:+d} minutes", *where.rollup_args, first[:width], last[:width]]))
    for table, cond, args in span.raw:
        add(raw, db.execute(
            f"SELECT {_SLOT}, count(*), coalesce(sum(c.disposition = 'answered'), 0), "  # noqa: S608
            "coalesce(sum(c.disposition IN ('abandoned_ivr', 'abandoned_queue')), 0) "
            f"FROM {table} WHERE {where.calls} AND {cond} GROUP BY 1", [*where.calls_args, *args]))
    return local, raw


def waits(db: sqlite_utils.Database, where: Where, start: str,
          end: str) -> dict[tuple[str, int, str], list[tuple[int, int, int]]]:
    """Per (client or '', queued, queue or ''): (whole second ceil(wait_s), waits, answered): whole days
    from stats_waits, the whole hours of the partial days from stats_hour_waits, the rest from `calls`,
    added up by SQLite (one sort of a few hundred rows, not a dict per row here)."""
    parts, args = [], []
    cores, raw = _two_levels(start, end, DAY, ("stats_waits", "day"), HOUR, ("stats_hour_waits", "hour"))
    for (rollup, unit), core in cores:
        parts.append("SELECT r.client, r.queued, r.queue, r.bucket, sum(r.waits) AS n, sum(r.answered) AS a "  # noqa: S608
                     f"FROM {rollup} r WHERE {where.rollup} AND r.{unit} >= ? AND r.{unit} < ? "
                     "GROUP BY r.client, r.queued, r.queue, r.bucket")
        args += [*where.rollup_args, *core]
    for table, cond, cond_args in raw:
        parts.append(f"SELECT coalesce(c.client_code, '') AS client, c.queue IS NOT NULL AS queued, "  # noqa: S608
                     f"coalesce(c.queue, '') AS queue, {_BUCKET} AS bucket, count(*) AS n, "
                     f"sum(c.disposition = 'answered') AS a FROM {table} "
                     f"WHERE {where.calls} AND {cond} AND c.wait_s IS NOT NULL GROUP BY 1, 2, 3, 4")
        args += [*where.calls_args, *cond_args]
    out: dict[tuple[str, int, str], list[tuple[int, int, int]]] = {}
    for client, queued, queue, bucket, n, answered in db.execute(
            f"SELECT client, queued, queue, bucket, sum(n), sum(a) FROM ({' UNION ALL '.join(parts)}) "  # noqa: S608
            "GROUP BY 1, 2, 3, 4", args):
        out.setdefault((client, queued, queue), []).append((bucket, n, answered or 0))
    return out


def reasons(db: sqlite_utils.Database, where: Where, span: Span) -> Counter:
    """Calls per (menu, node, digit, outcome) of the menu choices made."""
    out: Counter = Counter()
    if span.core:
        for menu, node, digit, outcome, n in db.execute(
                "SELECT r.menu, r.node, r.digit, r.outcome, sum(r.calls) FROM stats_reasons r "  # noqa: S608
                f"WHERE {where.rollup} AND r.hour >= ? AND r.hour < ? GROUP BY r.menu, r.node, r.digit, r.outcome",
                [*where.rollup_args, *span.core]):
            out[(menu, node, digit[1:] if digit else None, outcome)] += n
    for table, cond, args in span.raw:
        for menu, node, digit, outcome, n in db.execute(
                "SELECT s.menu, s.node, s.digit, s.outcome, count(DISTINCT s.linkedid) "  # noqa: S608
                f"FROM {table} JOIN ivr_steps s ON s.linkedid = c.linkedid WHERE {where.calls} AND {cond} "
                "AND s.kind = 'menu' AND s.outcome LIKE 'choice %' GROUP BY s.menu, s.node, s.digit, s.outcome",
                [*where.calls_args, *args]):
            out[(menu, node, digit, outcome)] += n
    return out


def wait_at_rank(db: sqlite_utils.Database, where: Where, start: str, end: str, queue: str | None,
                 bucket: int, offset: int) -> float | None:
    """The (offset+1)-th smallest wait in (bucket - 1, bucket] of the period's calls (of `queue`, if given).
    For one client, a few rows of index calls_client_wait: the `+` keeps the planner off the start-time
    indexes, which would read the whole period."""
    narrow, narrow_args = (" AND c.queue = ?", [queue]) if queue is not None else ("", [])
    plus = "+" if where.one_client else ""
    row = db.execute(
        f"SELECT c.wait_s FROM calls c WHERE {where.calls} AND {plus}c.started_at >= ? "  # noqa: S608
        f"AND {plus}c.started_at < ? AND c.wait_s IS NOT NULL AND c.wait_s > ? AND c.wait_s <= ?{narrow} "
        "ORDER BY c.wait_s LIMIT 1 OFFSET ?",
        [*where.calls_args, start, end, bucket - 1, bucket, *narrow_args, offset]).fetchone()
    return row[0] if row else None
