"""Custom reports: messages and calls over a period, grouped by message fields and call dimensions.

The SQL groups by each key and by 15-minute UTC slot when a day or hour is asked for; the slots are moved
to the client's local day and hour after (as store.stats does), and the groups that meet there merged.
A message's field is read with json_each and the field's name as a bound parameter: names are data and
never part of the SQL text. The formulas are written out in reports/README.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlite_utils

from reports.grouping import GroupKey, local_slot

from .clock import iso
from .scope import Scope
from .stats import NOT_OFFERED
from .visibility import window_start

ABANDONED = ("abandoned_ivr", "abandoned_queue")
_SLOT = "substr({t}, 1, 14) || printf('%02d', CAST(substr({t}, 15, 2) AS INTEGER) / 15 * 15)"
_CALL_COLUMN = {"client": "c.client_code", "queue": "c.queue", "agent": "c.agent", "disposition": "c.disposition",
                "did": "c.did"}
# Durations are summed in whole milliseconds: integer sums do not depend on the order rows are added in
# (float sums do, and a mean on a .x5 boundary then rounds either way from one run to the next).
_WAIT_MS = "CAST(round(c.wait_s * 1000) AS INTEGER)"
_TALK_MS = "CAST(round(CASE WHEN c.disposition = 'answered' THEN c.talk_s END * 1000) AS INTEGER)"
_FIELD = "(SELECT j.value FROM json_each({m}.fields) j WHERE j.key = ?)"


@dataclass(frozen=True)
class ReportQuery:
    start: datetime  # aware; inclusive
    end: datetime  # aware; exclusive
    timezone: str  # the zone of `day` and `hour`
    keys: tuple[GroupKey, ...]
    client_code: str | None = None


def _expression(key: GroupKey, side: str) -> tuple[str, list]:
    """The SQL of a key for the calls side (`c`, its first message `fm`) or the messages side (`m`, its
    call `c`), and its parameters."""
    if key.field is not None:
        return _FIELD.format(m="fm" if side == "calls" else "m"), [key.field]
    if key.name in ("day", "hour"):
        return _SLOT.format(t="c.started_at" if side == "calls" else "m.created_at"), []
    if key.name == "client" and side == "messages":
        return "m.client_code", []
    return _CALL_COLUMN[key.name], []


def _selected(keys: tuple[GroupKey, ...], side: str) -> tuple[str, list]:
    parts, params = [], []
    for i, key in enumerate(keys):
        sql, args = _expression(key, side)
        parts.append(f"{sql} AS k{i}")
        params += args
    return "".join(p + ", " for p in parts), params


def _start(db: sqlite_utils.Database, scope: Scope, query: ReportQuery, now: datetime | None) -> str:
    """The period's start, clipped to a client user's history window."""
    start = iso(query.start)
    since = window_start(db, scope, now)
    return min(since, iso(query.end)) if since is not None and since > start else start


def _group_by(keys: tuple[GroupKey, ...]) -> str:
    return f" GROUP BY {', '.join(f'k{i}' for i in range(len(keys)))}" if keys else ""


def _call_rows(db: sqlite_utils.Database, scope: Scope, query: ReportQuery, start: str) -> list[dict]:
    selected, params = _selected(query.keys, "calls")
    first_message = (" LEFT JOIN messages fm ON fm.id = (SELECT min(m2.id) FROM messages m2 "
                     "WHERE m2.linkedid = c.linkedid)") if any(k.field for k in query.keys) else ""
    where, scope_args = scope.where("c.client_code")
    clauses = [where, "c.started_at >= ?", "c.started_at < ?",
               f"c.disposition NOT IN ({', '.join('?' for _ in NOT_OFFERED)})"]
    args = [*scope_args, start, iso(query.end), *NOT_OFFERED]
    if query.client_code is not None:
        clauses.append("c.client_code = ?")
        args.append(query.client_code)
    return list(db.query(
        f"SELECT {selected}count(*) AS calls, "  # noqa: S608 - fixed fragments; values are parameters
        f"coalesce(sum(c.disposition = 'answered'), 0) AS answered, "
        f"coalesce(sum(c.disposition IN ('{ABANDONED[0]}', '{ABANDONED[1]}')), 0) AS abandoned, "
        f"coalesce(sum({_WAIT_MS}), 0) AS wait_sum, count(c.wait_s) AS waits, "
        f"coalesce(sum({_TALK_MS}), 0) AS talk_sum, "
        f"count(CASE WHEN c.disposition = 'answered' THEN c.talk_s END) AS talks "
        f"FROM calls c{first_message} WHERE {' AND '.join(clauses)}{_group_by(query.keys)}", [*params, *args]))


def _message_rows(db: sqlite_utils.Database, scope: Scope, query: ReportQuery, start: str) -> list[dict]:
    selected, params = _selected(query.keys, "messages")
    where, scope_args = scope.where("m.client_code")
    clauses = [where, "m.created_at >= ?", "m.created_at < ?"]
    args = [*scope_args, start, iso(query.end)]
    if query.client_code is not None:
        clauses.append("m.client_code = ?")
        args.append(query.client_code)
    return list(db.query(
        f"SELECT {selected}count(*) AS messages FROM messages m "  # noqa: S608 - fixed fragments
        f"LEFT JOIN calls c ON c.linkedid = m.linkedid WHERE {' AND '.join(clauses)}{_group_by(query.keys)}",
        [*params, *args]))


MEASURES = ("messages", "calls", "answered", "abandoned", "wait_sum", "waits", "talk_sum", "talks")


def _mean_s(total_ms: int, count: int) -> float | None:
    """The mean of durations summed in milliseconds, in seconds to 1 decimal, halves rounded up."""
    if not count:
        return None
    tenths = (Decimal(total_ms) / count / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(tenths / 10)


def _finish(sums: dict) -> dict:
    return {"messages": sums["messages"], "calls": sums["calls"], "answered": sums["answered"],
            "abandoned": sums["abandoned"], "wait_avg_s": _mean_s(sums["wait_sum"], sums["waits"]),
            "talk_avg_s": _mean_s(sums["talk_sum"], sums["talks"])}


def _sort_key(values: tuple) -> tuple:
    return tuple((v is None, not isinstance(v, int | float), v if isinstance(v, int | float) else 0, str(v))
                 for v in values)


def custom_report(db: sqlite_utils.Database, scope: Scope, query: ReportQuery, now: datetime | None = None) -> dict:
    """{"period", "client", "group", "rows": [{key: value…, messages, calls, answered, abandoned,
    wait_avg_s, talk_avg_s}], "totals"}; a row per combination of the keys' values met in the period."""
    start = _start(db, scope, query, now)
    zone = ZoneInfo(query.timezone)
    groups: dict[tuple, dict] = {}
    for row in _call_rows(db, scope, query, start) + _message_rows(db, scope, query, start):
        values = []
        for i, key in enumerate(query.keys):
            value = row[f"k{i}"]
            if key.name == "day":
                value = local_slot(value, zone).date().isoformat()
            elif key.name == "hour":
                value = local_slot(value, zone).hour
            values.append(value)
        sums = groups.setdefault(tuple(values), dict.fromkeys(MEASURES, 0))
        for measure in MEASURES:
            sums[measure] += row.get(measure, 0)
    names = [k.name for k in query.keys]
    rows = [{**dict(zip(names, values, strict=True)), **_finish(sums)}
            for values, sums in sorted(groups.items(), key=lambda item: _sort_key(item[0]))]
    totals = dict.fromkeys(MEASURES, 0)
    for sums in groups.values():
        for measure in MEASURES:
            totals[measure] += sums[measure]
    return {"period": {"from": start, "to": iso(query.end), "timezone": query.timezone},
            "client": query.client_code, "group": names, "rows": rows, "totals": _finish(totals)}


def unknown_fields(db: sqlite_utils.Database, scope: Scope, client_code: str | None, names: list[str]) -> list[str]:
    """The field names that no message in view has ever had (a misspelt key would otherwise give one
    group of nothing)."""
    where, args = scope.where("client_code")
    if client_code is not None:
        where, args = f"{where} AND client_code = ?", [*args, client_code]
    return [name for name in names if db.execute(
        f"SELECT 1 FROM messages WHERE {where} AND EXISTS "  # noqa: S608 - fixed fragments
        f"(SELECT 1 FROM json_each(messages.fields) j WHERE j.key = ?) LIMIT 1", [*args, name]).fetchone() is None]


def field_names(db: sqlite_utils.Database, scope: Scope, client_code: str | None, limit: int = 100) -> list[str]:
    """The field names the messages in view have, sorted (the choices of the portal's report form)."""
    where, args = scope.where("m.client_code")
    if client_code is not None:
        where, args = f"{where} AND m.client_code = ?", [*args, client_code]
    return [row[0] for row in db.execute(
        f"SELECT DISTINCT j.key FROM messages m, json_each(m.fields) j WHERE {where} "  # noqa: S608 - fixed
        f"ORDER BY j.key LIMIT ?", [*args, limit]).fetchall()]
