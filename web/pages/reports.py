"""The reports page: the client's past daily reports with their CSV (GET /api/reports/daily/{id}.csv), and
a custom report form (GET /api/reports over whole days) shown as a table with a link to the same rows
as CSV; for an admin with one client in view, that client's daily report settings (web/static/admin.js
sends them to the admin API). Formulas: reports/README.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from reports.grouping import CALL_KEYS, MAX_KEYS
from store import reports as daily
from store.custom_reports import field_names

from ..calls import client_in_view, client_param
from ..query import Query
from ..reports import MEASURES, build_report
from .render import ANYONE, Page, html_operation, page, refused_field
from .stats import period

FIELDS = ("from", "to", "client", "group")


@page(*ANYONE)
async def reports_page(view: Page) -> web.StreamResponse:
    request = view.request
    groups = [g for g in request.query.getall("group", []) if g][:MAX_KEYS]
    form = {name: request.query.get(name, "") for name in ("from", "to", "client")}
    now = datetime.now(UTC)
    scope = view.scope
    q = Query(request, FIELDS, repeatable=("group",))
    client = await client_in_view(view.store, scope, client_param(q))  # 404 page for another client's code
    code = client.code if client else None
    zone = client.timezone if client else "UTC"
    admin = view.user is not None and view.user.role == "admin" and code is not None
    past, fields, settings = await view.store.read(lambda db: (
        daily.list_reports(db, scope, code, limit=60), field_names(db, scope, code),
        daily.get_settings(db, code) if admin and code else None))
    # An admin with one client in view sets its daily report here (PUT /api/admin/clients/{code}/daily-report).
    values = dict(form=form, groups=groups, staff=view.staff, zone=zone, past=past,
                  admin_client=code if admin else None, settings=settings,
                  keys=[*CALL_KEYS, *(f"fields.{f}" for f in fields)], slots=range(MAX_KEYS), measures=MEASURES)
    if not request.query:
        return view.render("reports.html", report=None, error=None, csv_url=None, **values)
    try:
        report = await build_report(request, q, lambda z: period(q, z, now))
    except web.HTTPBadRequest as exc:
        return view.render("reports.html", 400, report=None, error=refused_field(view, exc), csv_url=None, **values)
    first = datetime.fromisoformat(report["period"]["from"].replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    end = datetime.fromisoformat(report["period"]["to"].replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    last = (end - timedelta(microseconds=1)).date()
    form.update({"from": form["from"] or first.date().isoformat(), "to": form["to"] or last.isoformat()})
    # The same rows from the API: its `to` is exclusive, the form's last day included.
    csv_url = "/api/reports?" + urlencode(
        [("from", first.date().isoformat()), ("to", (last + timedelta(days=1)).isoformat()),
         *([("client", code)] if code else []), *([("group", ",".join(report["group"]))] if report["group"] else []),
         ("format", "csv")])
    return view.render("reports.html", report=report, error=None, csv_url=csv_url, first_day=first.date().isoformat(),
                       last_day=last.isoformat(), **values)


def _query(name: str, description: str, fmt: str | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", **({"format": fmt} if fmt else {})}}


OPENAPI_PATHS: dict = {
    "/reports": {"get": html_operation(
        "reportsPage", "The reports page: past daily reports with their CSV, and a custom report over whole days "
                       "with a link to it as CSV",
        parameters=(_query("from", "first day (default: six days before the last)", "date"),
                    _query("to", "last day, included (default: today)", "date"),
                    _query("client", "one client (admins and supervisors)"),
                    _query("group", f"a group key (repeated, at most {MAX_KEYS}): fields.NAME or one of "
                                    f"{', '.join(CALL_KEYS)}")),
        extra_responses={"400": {"description": "the page, saying which field was refused",
                                 "content": {"text/html": {"schema": {"type": "string"}}}}})},
}
