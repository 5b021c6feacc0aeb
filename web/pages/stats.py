"""The statistics page: the figures of GET /api/stats (store.stats, formulas in web/STATS.md) over
whole days, with three charts drawn server-side as inline SVG — calls per hour, the abandon rate per
day, the distribution of waits — and the per-queue, top-caller and contact-reason tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from store.stats import StatsQuery, call_stats, wait_distribution

from ..calls import client_in_view, client_param
from ..query import Query, bad_request
from ..stats import DEFAULT_DAYS, MAX_PERIOD
from .calls import day_start
from .charts import Bar, BarChart, bar_chart
from .i18n import Translator
from .render import ANYONE, Page, html_operation, page, refused_field

FIELDS = ("from", "to", "client", "queue")


def hour_chart(t: Translator, per_hour: list[dict]) -> BarChart:
    bars = [Bar(f"{row['hour']}", t("stats.hour_bar", **row),
                {k: str(row[k]) for k in ("hour", "offered", "answered", "abandoned")},
                (("answered", row["answered"]), ("abandoned", row["abandoned"]),
                 ("other", row["offered"] - row["answered"] - row["abandoned"])))
            for row in per_hour]
    legend = (("answered", t("stats.answered")), ("abandoned", t("stats.abandoned")), ("other", t("stats.other")))
    return bar_chart("chart-hours", t("stats.per_hour"), bars, legend, tick_label=t.number)


def abandon_chart(t: Translator, per_day: list[dict]) -> BarChart:
    bars = []
    for row in per_day:
        rate = row["abandoned"] / row["offered"] if row["offered"] else None
        title = t("stats.day_bar", date=row["date"], rate=t.percent(rate), abandoned=row["abandoned"],
                  offered=row["offered"])
        data = {"date": row["date"], "offered": str(row["offered"]), "abandoned": str(row["abandoned"]),
                "rate": "" if rate is None else f"{rate:.4f}"}
        bars.append(Bar(row["date"][5:], title, data, (("abandoned", rate or 0.0),)))
    return bar_chart("chart-abandon", t("stats.abandon_per_day"), bars, (("abandoned", t("stats.abandon_rate")),),
                     y_max=1.0, ticks=4, tick_label=lambda v: t.percent(v, 0))


def wait_chart(t: Translator, buckets: list[dict]) -> BarChart:
    bars = []
    for row in buckets:
        low, high = row["from_s"], row["to_s"]
        name = t("stats.bucket", low=low, high=high) if high is not None else t("stats.bucket_open", low=low)
        bars.append(Bar(f"{low}–{high}" if high is not None else f"{low}+", t("stats.wait_bar", bucket=name,
                                                                               calls=row["calls"]),
                        {"from": str(low), "to": "" if high is None else str(high), "calls": str(row["calls"])},
                        (("waited", row["calls"]),)))
    return bar_chart("chart-waits", t("stats.wait_distribution"), bars, (("waited", t("stats.calls")),),
                     tick_label=t.number)


def period(q: Query, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """Whole days: `from` at midnight, `to` included; by default this day and the six before it."""
    end = day_start(q.text("to"), "to", zone, days_after=1) or now
    start = day_start(q.text("from"), "from", zone)
    if start is None:
        last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
        first = last_day - timedelta(days=DEFAULT_DAYS - 1)
        start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    if end <= start:
        raise bad_request("must not be before from", "to")
    if end - start > MAX_PERIOD:
        raise bad_request(f"at most {MAX_PERIOD.days} days", "from")
    return start, end


@page(*ANYONE)
async def stats_page(view: Page) -> web.StreamResponse:
    form = {name: view.request.query.get(name, "") for name in FIELDS}
    now = datetime.now(UTC)
    try:
        q = Query(view.request, FIELDS)
        code = client_param(q)
        queue = q.text("queue")
        client = await client_in_view(view.store, view.scope, code)
        zone_name = client.timezone if client else "UTC"
        zone = ZoneInfo(zone_name)
        start, end = period(q, zone, now)
    except web.HTTPBadRequest as exc:
        return view.render("stats.html", 400, form=form, staff=view.staff, error=refused_field(view, exc), stats=None)
    query = StatsQuery(start, end, zone_name, client.code if client else None, queue)
    scope = view.scope
    stats, waits = await view.store.read(
        lambda db: (call_stats(db, scope, query, now), wait_distribution(db, scope, query, now)))
    first_day = datetime.fromisoformat(stats["period"]["from"].replace("Z", "+00:00")).astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    form.update({"from": form["from"] or first_day.isoformat(), "to": form["to"] or last_day.isoformat()})
    t = view.t
    return view.render(
        "stats.html", form=form, staff=view.staff, error=None, stats=stats, zone=zone_name,
        first_day=first_day.isoformat(), last_day=last_day.isoformat(),
        service_level_s=client.service_level_s if client else None,
        charts=(hour_chart(t, stats["per_hour"]), abandon_chart(t, stats["per_day"]), wait_chart(t, waits)))


def _query(name: str, description: str, fmt: str | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", **({"format": fmt} if fmt else {})}}


OPENAPI_PATHS: dict = {
    "/stats": {"get": html_operation(
        "statsPage", "The statistics page: key figures, charts (calls per hour, abandon rate per day, wait "
                     "distribution) and tables, over whole days",
        parameters=(_query("from", "first day (default: six days before the last)", "date"),
                    _query("to", "last day, included (default: today)", "date"),
                    _query("client", "one client (admins and supervisors)"),
                    _query("queue", "only the calls that waited in this queue")),
        extra_responses={"400": {"description": "the page, saying which field was refused",
                                 "content": {"text/html": {"schema": {"type": "string"}}}}})},
}
