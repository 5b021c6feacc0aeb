"""`GET /api/stats`: a client's (or every client's) call statistics over a period, per queue too.

A client user gets its own client's figures, within its history window; admins and supervisors may
narrow to one client and one queue. The formulas are in web/STATS.md; the SQL in store/stats.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from store.stats import StatsQuery, call_stats

from . import apidoc
from .auth import require_role, scope_of
from .calls import client_in_view, client_param
from .keys import STORE, USER
from .query import Query, bad_request

MAX_PERIOD = timedelta(days=366)
DEFAULT_DAYS = 7  # the default period: this day and the six before it, in the client's time zone
MAX_TOP = 100


async def get_stats(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor", "client")  # an agent reads their calls, not a client's figures
    scope = scope_of(request[USER])
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/stats"]["get"]))
    code = client_param(q)
    queue = q.text("queue")
    top = q.integer("top", 10, 1, MAX_TOP)
    store = request.app[STORE]
    view = await client_in_view(store, scope, code)
    zone_name = view.timezone if view else "UTC"
    zone = ZoneInfo(zone_name)
    now = datetime.now(UTC)
    given_end = q.instant("to", zone)
    end = given_end or now
    start = q.instant("from", zone)
    if start is not None and given_end is None and start >= end:
        raise bad_request("must be in the past when to is not given (to defaults to now)", "from")
    if start is None:
        first_day = end.astimezone(zone).date() - timedelta(days=DEFAULT_DAYS - 1)
        start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone).astimezone(UTC)
    if end <= start:
        raise bad_request("must be after from", "to")
    if end - start > MAX_PERIOD:
        raise bad_request(f"the period is at most {MAX_PERIOD.days} days", "from")
    query = StatsQuery(start, end, zone_name, view.code if view else None, queue, top)
    stats = await store.read(lambda db: call_stats(db, scope, query, now))
    stats["service_level_s"] = view.service_level_s if view else None
    return web.json_response(stats)


_N = {"type": "integer"}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "a fraction; null when the "
                                                                               "denominator is 0"}
_SECONDS = {"type": ["number", "null"], "description": "seconds, 1 decimal; null without data"}
METRICS_SCHEMA: dict = {"type": "object", "properties": {
    **{k: _N for k in ("offered", "answered", "abandoned", "abandoned_ivr", "abandoned_queue", "voicemail",
                       "closed_hours", "failed", "queued", "answered_within_sl")},
    **{k: _RATE for k in ("abandon_rate", "queue_abandon_rate", "service_level")},
    **{k: _SECONDS for k in ("wait_avg_s", "wait_p90_s", "wait_max_s", "asa_s", "aht_s")},
    "talk_total_s": {"type": "number"},
}}
_COUNTS = {"offered": _N, "answered": _N, "abandoned": _N}
STATS_SCHEMA: dict = {"type": "object", "properties": {
    "period": {"type": "object", "properties": {
        "from": {"type": "string", "format": "date-time", "description": "after clipping to the client's window"},
        "to": {"type": "string", "format": "date-time"}, "timezone": {"type": "string"}}},
    "client": {"type": ["string", "null"]}, "queue": {"type": ["string", "null"]},
    "service_level_s": {"type": ["integer", "null"], "description": "T; null across clients (each its own)"},
    "totals": METRICS_SCHEMA,
    "queues": {"type": "array", "items": {"allOf": [
        {"type": "object", "properties": {"queue": {"type": "string"}}}, METRICS_SCHEMA]}},
    "per_hour": {"type": "array", "items": {"type": "object", "properties": {"hour": _N, **_COUNTS}}},
    "per_day": {"type": "array", "items": {"type": "object", "properties": {
        "date": {"type": "string", "format": "date"}, **_COUNTS}}},
    "top_callers": {"type": "array", "items": {"type": "object", "properties": {
        "caller_number": {"type": "string"}, "calls": _N, "answered": _N,
        "last_call_at": {"type": "string", "format": "date-time"}}}},
    "contact_reasons": {"type": "array", "items": {"type": "object", "properties": {
        "menu": {"type": "string"}, "node": {"type": "string"}, "digit": {"type": ["string", "null"]},
        "target": {"type": ["string", "null"]}, "calls": _N, "share": _RATE}}},
}}
OPENAPI_PATHS: dict = {
    "/api/stats": {"get": {
        "operationId": "getStats",
        "tags": ["statistics"],
        "summary": "Call statistics over a period: totals, per queue, per hour and per day (client's time zone), "
                   "top callers, contact reasons",
        "description": "Formulas: web/STATS.md. A client user sees its own client, within its history window; "
                       "admins and supervisors see every client, or one with `client`.",
        "parameters": [
            apidoc.query("from", "start (inclusive); default: midnight six days before the day of `to`. "
                         + apidoc.PERIOD_NOTE, apidoc.DATE_TIME),
            apidoc.query("to", "end (exclusive); default: now. " + apidoc.PERIOD_NOTE, apidoc.DATE_TIME),
            apidoc.query("client", "one client (4-5 digits); another client's code is 404 for a client user"),
            apidoc.query("queue", "only the calls that waited in this queue"),
            apidoc.query("top", "how many top callers", {"type": "integer", "minimum": 1, "maximum": MAX_TOP,
                                                        "default": 10}),
        ],
        "responses": {
            "200": apidoc.json_body("the statistics", STATS_SCHEMA),
            **apidoc.errors("400", "401", "404"),
        },
    }},
}
