"""Reports: custom reports (`GET /api/reports`: messages and calls over a period grouped by message
fields and call dimensions, as JSON or CSV), each client's past daily reports with their CSV, and the
admin's daily report settings. Formulas: reports/README.md.

A client user reads its own client, within its history window; admins and supervisors every client, or
one with `client`. A report or client the caller may not see is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from reports.csvtext import table
from reports.grouping import CALL_KEYS, MAX_KEYS, GroupKeyError, parse_keys
from store import reports as daily
from store.clock import now_iso
from store.custom_reports import ReportQuery, custom_report, unknown_fields

from . import apidoc
from .admin.body import Body, write
from .admin.directory import client_or_404
from .auth import require_role, scope_of
from .calls import client_in_view, client_param
from .keys import STORE, USER
from .query import Query, bad_request, not_found
from .stats import DEFAULT_DAYS, MAX_PERIOD

READERS = ("admin", "supervisor", "client")
MEASURES = ("messages", "calls", "answered", "abandoned", "wait_avg_s", "talk_avg_s")


def report_period(q: Query, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """`from` (inclusive) and `to` (exclusive); by default this day and the six before it."""
    end = q.instant("to", zone) or now
    start = q.instant("from", zone)
    if start is None:
        first = end.astimezone(zone).date() - timedelta(days=DEFAULT_DAYS - 1)
        start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    if end <= start:
        raise bad_request("must be after from", "to")
    if end - start > MAX_PERIOD:
        raise bad_request(f"the period is at most {MAX_PERIOD.days} days", "from")
    return start, end


Period = Callable[[ZoneInfo], tuple[datetime, datetime]]


async def build_report(request: web.Request, q: Query, period: Period | None = None) -> dict:
    """The report the query asks for (every parameter checked: a 400 names the one refused); `period`
    reads from and to in the client's zone (by default as instants, report_period)."""
    scope = scope_of(request[USER])
    code = client_param(q)
    store = request.app[STORE]
    view = await client_in_view(store, scope, code)
    zone_name = view.timezone if view else "UTC"
    zone = ZoneInfo(zone_name)
    try:
        keys = parse_keys(request.query.getall("group", []))
    except GroupKeyError as exc:
        raise bad_request(str(exc), "group") from None
    start, end = (period or (lambda z: report_period(q, z, datetime.now(UTC))))(zone)
    fields = [k.field for k in keys if k.field is not None]
    client = view.code if view else None
    if fields:
        unknown = await store.read(lambda db: unknown_fields(db, scope, client, fields))
        if unknown:
            raise bad_request(f"no message {'of this client ' if client else ''}has the field {unknown[0]!r} "
                              f"(group key fields.{unknown[0]})", "group")
    query = ReportQuery(start, end, zone_name, keys, client)
    now = datetime.now(UTC)
    return await store.read(lambda db: custom_report(db, scope, query, now))


def report_csv(report: dict) -> str:
    return table([*report["group"], *MEASURES],
                 ([*(row[k] for k in report["group"]), *(row[m] for m in MEASURES)] for row in report["rows"]))


async def get_report(request: web.Request) -> web.Response:
    """GET /api/reports"""
    require_role(request, *READERS)
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/reports"]["get"]), repeatable=("group",))
    wants_csv = q.one_of("format", ("json", "csv")) == "csv"
    report = await build_report(request, q)
    if not wants_csv:
        return web.json_response(report)
    name = f"report-{report['client'] or 'all'}-{report['period']['from'][:10]}-{report['period']['to'][:10]}.csv"
    return web.Response(text=report_csv(report), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


async def list_daily(request: web.Request) -> web.Response:
    """GET /api/reports/daily"""
    require_role(request, *READERS)
    scope = scope_of(request[USER])
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/reports/daily"]["get"]))
    code = client_param(q)
    view = await client_in_view(request.app[STORE], scope, code)
    client = view.code if view else None
    found = await request.app[STORE].read(lambda db: daily.list_reports(db, scope, client))
    return web.json_response({"reports": [r.as_json() for r in found]})


def _report_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise not_found("report")
    return int(text)


async def daily_csv(request: web.Request) -> web.Response:
    """GET /api/reports/daily/{id}.csv"""
    require_role(request, *READERS)
    scope = scope_of(request[USER])
    report_id = _report_id(request)
    found = await request.app[STORE].read(lambda db: daily.report_csv(db, scope, report_id))
    if found is None:
        raise not_found("report")
    report, text = found
    name = f"report-{report.client_code}-{report.due_at[:10]}.csv"
    return web.Response(text=text, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


async def get_daily_settings(request: web.Request) -> web.Response:
    """GET /api/admin/clients/{code}/daily-report"""
    require_role(request, "admin")
    code = await client_or_404(request)
    settings = await request.app[STORE].read(lambda db: daily.get_settings(db, code))
    if settings is None:
        raise not_found("daily report")
    return web.json_response(settings.as_json())


async def put_daily_settings(request: web.Request) -> web.Response:
    """PUT /api/admin/clients/{code}/daily-report"""
    require_role(request, "admin")
    code = await client_or_404(request)
    body = await Body.read(request, {"at", "roles", "emails"})
    at = body.text("at", required=True, max_length=8) or ""
    roles, emails = body.raw("roles") or [], body.raw("emails") or []
    settings = await write(request, lambda db: daily.set_settings(db, code, at, roles, emails, now=now_iso()))
    return web.json_response(settings.as_json())


async def delete_daily_settings(request: web.Request) -> web.Response:
    """DELETE /api/admin/clients/{code}/daily-report"""
    require_role(request, "admin")
    code = await client_or_404(request)
    await write(request, lambda db: daily.remove_settings(db, code))
    return web.Response(status=204)


ROUTES = (
    ("GET", "/api/reports", get_report),
    ("GET", "/api/reports/daily", list_daily),
    ("GET", "/api/reports/daily/{id}.csv", daily_csv),
    ("GET", "/api/admin/clients/{code}/daily-report", get_daily_settings),
    ("PUT", "/api/admin/clients/{code}/daily-report", put_daily_settings),
    ("DELETE", "/api/admin/clients/{code}/daily-report", delete_daily_settings),
)

_N = {"type": "integer"}
_AVG = {"type": ["number", "null"], "description": "seconds, 1 decimal; null without data"}
REPORT_SCHEMA: dict = {"type": "object", "properties": {
    "period": {"type": "object", "properties": {
        "from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"},
        "timezone": {"type": "string"}}},
    "client": {"type": ["string", "null"]},
    "group": {"type": "array", "items": {"type": "string"}},
    "rows": {"type": "array", "items": {"type": "object", "description": "one property per group key, then "
                                        "the measures", "properties": {
        "messages": _N, "calls": _N, "answered": _N, "abandoned": _N, "wait_avg_s": _AVG, "talk_avg_s": _AVG}}},
    "totals": {"type": "object"},
}}
DAILY_SCHEMA: dict = {"type": "object", "properties": {
    "id": _N, "client_code": {"type": "string"}, "due_at": {"type": "string", "format": "date-time"},
    "made_at": {"type": "string", "format": "date-time"},
    "since": {"type": "string", "format": "date-time", "description": "the previous report's due time"},
    "messages": _N, "recipients": {"type": "array", "items": {"type": "string"}},
    "status": {"enum": list(daily.STATUSES)}, "sent_at": {"type": ["string", "null"]}}}
SETTINGS_SCHEMA: dict = {"type": "object", "properties": {
    "at": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "the client's local time"},
    "roles": {"type": "array", "items": {"type": "string"}, "description": "contacts with one of these roles"},
    "emails": {"type": "array", "items": {"type": "string", "format": "email"}}}}
_CLIENT = apidoc.query("client", "one client (4-5 digits); another client's code is 404 for a client user")
_CODE = apidoc.path("code", "the client's code")
_CSV = {"description": "the CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}}
_ADMIN = {"tags": ["admin"], "parameters": [_CODE]}
OPENAPI_PATHS: dict = {
    "/api/reports": {"get": {
        "operationId": "getReport", "tags": ["reports"],
        "summary": "A custom report: messages and calls over a period grouped by message fields and call "
                   "dimensions, with counts and average wait and talk",
        "description": "Formulas: reports/README.md.",
        "parameters": [
            apidoc.query("from", "start (inclusive); default: midnight six days before the day of `to`. "
                         + apidoc.PERIOD_NOTE, apidoc.DATE_TIME),
            apidoc.query("to", "end (exclusive); default: now. " + apidoc.PERIOD_NOTE, apidoc.DATE_TIME),
            _CLIENT,
            apidoc.query("group", f"group keys, comma-separated or repeated, at most {MAX_KEYS}: `fields.NAME` "
                         f"(a message field) or one of {', '.join(CALL_KEYS)}; none: one row of totals"),
            apidoc.query("format", "json (default) or csv: the same rows", {"enum": ["json", "csv"]}),
        ],
        "responses": {"200": {"description": "the report", "content": {
            "application/json": {"schema": REPORT_SCHEMA}, "text/csv": {"schema": {"type": "string"}}}},
            **apidoc.errors("400", "401", "404")},
    }},
    "/api/reports/daily": {"get": {
        "operationId": "listDailyReports", "tags": ["reports"], "summary": "The daily reports made, newest first",
        "parameters": [_CLIENT],
        "responses": {"200": apidoc.json_body("the reports", {"type": "object", "properties": {
            "reports": {"type": "array", "items": DAILY_SCHEMA}}}), **apidoc.errors("400", "401", "404")},
    }},
    "/api/reports/daily/{id}.csv": {"get": {
        "operationId": "getDailyReportCsv", "tags": ["reports"], "summary": "A daily report's CSV, as emailed",
        "parameters": [apidoc.path("id", "the report's id")],
        "responses": {"200": _CSV, **apidoc.errors("401", "404")},
    }},
    "/api/admin/clients/{code}/daily-report": {
        "get": {**_ADMIN, "operationId": "getDailyReportSettings", "summary": "A client's daily report settings",
                "responses": {"200": apidoc.json_body("the settings", SETTINGS_SCHEMA),
                              **apidoc.errors("401", "404")}},
        "put": {**_ADMIN, "operationId": "putDailyReportSettings",
                "summary": "Set a client's daily report: its local time and recipients",
                "requestBody": {"required": True, "content": {"application/json": {"schema": SETTINGS_SCHEMA}}},
                "responses": {"200": apidoc.json_body("the settings", SETTINGS_SCHEMA),
                              **apidoc.errors("400", "401", "404")}},
        "delete": {**_ADMIN, "operationId": "deleteDailyReportSettings",
                   "summary": "Stop a client's daily report (the reports made are kept)",
                   "responses": {"204": {"description": "stopped"}, **apidoc.errors("401", "404")}},
    },
}
