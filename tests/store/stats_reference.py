"""A brute force of web/STATS.md for the statistics' tests: every call read into Python, counted there.

Slow and plain on purpose: it shares nothing with store/stats.py (no rollup, no SQL aggregate), so
equality with it says the rollups, the partial slots and the top callers' shortcut count the same calls.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from store.clock import iso
from store.scope import Scope
from store.stats import StatsQuery
from store.visibility import DEFAULT_SERVICE_LEVEL_S, window_start


def _mean_ms(values: list[float]) -> float | None:
    return round(sum(round(v * 1000) for v in values) / len(values) / 1000, 1) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(calls: list[dict], levels: dict[str, int]) -> dict:
    waits = sorted(c["wait_s"] for c in calls if c["wait_s"] is not None)
    answered = [c for c in calls if c["disposition"] == "answered"]
    queued = [c for c in calls if c["queue"] is not None]
    within = sum(1 for c in queued if c["disposition"] == "answered" and c["wait_s"] is not None
                 and c["wait_s"] <= levels.get(c["client_code"], DEFAULT_SERVICE_LEVEL_S))
    by = Counter(c["disposition"] for c in calls)
    abandoned = by["abandoned_ivr"] + by["abandoned_queue"]
    return {
        "offered": len(calls), "answered": by["answered"], "abandoned_ivr": by["abandoned_ivr"],
        "abandoned_queue": by["abandoned_queue"], "voicemail": by["voicemail"], "closed_hours": by["closed_hours"],
        "failed": by["failed"], "queued": len(queued), "answered_within_sl": within, "abandoned": abandoned,
        "abandon_rate": _ratio(abandoned, len(calls)), "queue_abandon_rate": _ratio(by["abandoned_queue"], len(queued)),
        "service_level": _ratio(within, len(queued)),
        "wait_avg_s": _mean_ms(waits),
        "wait_p90_s": round(waits[(9 * len(waits) + 9) // 10 - 1], 1) if waits else None,
        "wait_max_s": round(waits[-1], 1) if waits else None,
        "asa_s": _mean_ms([c["wait_s"] for c in answered if c["wait_s"] is not None]),
        "aht_s": _mean_ms([c["talk_s"] for c in answered if c["talk_s"] is not None]),
        "talk_total_s": round(sum(round(c["talk_s"] * 1000) for c in calls if c["talk_s"] is not None) / 1000, 1),
    }


def reference_stats(db, scope: Scope, query: StatsQuery, now: datetime) -> dict:
    """What call_stats should answer, minus the period and the echo of the query."""
    start, end = iso(query.start), iso(query.end)
    since = window_start(db, scope, now)
    if since is not None and since > start:
        start = min(since, end)
    levels = dict(db.execute("SELECT code, service_level_s FROM clients").fetchall())
    calls = [dict(r) for r in db.query("SELECT * FROM calls")]
    calls = [c for c in calls if start <= c["started_at"] < end
             and c["disposition"] not in ("in_progress", "unknown_did")
             and (scope.admin or c["client_code"] == scope.client_code)
             and (query.client_code is None or c["client_code"] == query.client_code)
             and (query.queue is None or c["queue"] == query.queue)]
    zone = ZoneInfo(query.timezone)
    hours = {h: Counter() for h in range(24)}
    days: dict[str, Counter] = {}
    for c in calls:
        local = datetime.fromisoformat(c["started_at"].replace("Z", "+00:00")).astimezone(zone)
        counts = Counter(offered=1, answered=c["disposition"] == "answered",
                         abandoned=c["disposition"] in ("abandoned_ivr", "abandoned_queue"))
        hours[local.hour].update(counts)
        days.setdefault(local.date().isoformat(), Counter()).update(counts)
    callers: dict[str, list] = {}
    for c in calls:
        if c["caller_number"]:
            row = callers.setdefault(c["caller_number"], [0, 0, ""])
            row[0] += 1
            row[1] += c["disposition"] == "answered"
            row[2] = max(row[2], c["started_at"])
    top = sorted(callers.items())  # by number, then the most recent first, then the most calls first (stable)
    top.sort(key=lambda kv: kv[1][2], reverse=True)
    top.sort(key=lambda kv: kv[1][0], reverse=True)
    counted = {c["linkedid"] for c in calls}
    reasons: dict[tuple, set] = {}
    for s in db.query("SELECT * FROM ivr_steps"):
        if s["linkedid"] in counted and s["kind"] == "menu" and s["outcome"].lower().startswith("choice "):
            reasons.setdefault((s["menu"], s["node"], s["digit"], s["outcome"]), set()).add(s["linkedid"])
    total = _figures(calls, levels)
    keys = ("offered", "answered", "abandoned")
    return {
        "totals": total,
        "queues": [{"queue": q, **_figures([c for c in calls if c["queue"] == q], levels)}
                   for q in sorted({c["queue"] for c in calls if c["queue"] is not None})],
        "per_hour": [{"hour": h, **{k: hours[h][k] for k in keys}} for h in range(24)],
        "per_day_counted": {d: {k: c[k] for k in keys} for d, c in days.items()},
        "top_callers": [{"caller_number": n, "calls": v[0], "answered": v[1], "last_call_at": v[2]}
                        for n, v in top[:query.top]],
        "contact_reasons": [
            {"menu": m, "node": n, "digit": d, "target": o.partition(" -> ")[2] or None, "calls": len(ids),
             "share": _ratio(len(ids), len(calls))}
            for (m, n, d, o), ids in sorted(reasons.items(), key=lambda kv: (
                -len(kv[1]), kv[0][0], kv[0][1], kv[0][2] is not None, kv[0][2] or "", kv[0][3]))],
    }


def comparable(stats: dict) -> dict:
    """call_stats' answer in reference_stats' shape: days with calls only (the empty ones are listed too)."""
    out = {k: stats[k] for k in ("totals", "queues", "per_hour", "top_callers", "contact_reasons")}
    out["per_day_counted"] = {d["date"]: {k: d[k] for k in ("offered", "answered", "abandoned")}
                              for d in stats["per_day"] if d["offered"]}
    return out
