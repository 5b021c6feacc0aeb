"""The client's on-call calendar and its InfoPages with the directory, as pages: the same store
functions as /api/oncall and /api/infopages; a client sees its own, admins and supervisors choose one.
The calendar is of one of the client's schedules (`schedule`, `default` first), chosen on the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from oncall import PERIODS, Segment
from store import clients, contacts, infopages, oncall_schedules
from store import oncall as store_oncall
from store.clock import iso
from store.contacts import Contact
from store.oncall import OncallNotFound

from ..calls import client_in_view, client_param
from ..query import Query
from .render import ANYONE, Page, html_operation, page, refused_field

WEEKS = 4  # the calendar shows four weeks from the Monday of this one
NEXT_SHIFTS = 12
# Message keys the templates build from data (tests/web/test_pages.py checks the catalogue has them).
WEEKDAY_KEYS = tuple(f"oncall.weekday_{n}" for n in range(7))
ROTATION_KEYS = {period: f"oncall.rotation_{period}" for period in PERIODS}
KIND_KEYS = {kind: f"infopages.kind_{kind}" for kind in infopages.KINDS}


@dataclass(frozen=True)
class Entry:
    """One stretch as a day of the calendar shows it."""

    start: datetime  # UTC
    end: datetime
    starts_today: bool
    contact: Contact | None
    override: int | None


@dataclass(frozen=True)
class Day:
    day: date
    today: bool
    entries: tuple[Entry, ...]


def calendar_days(segments: list[Segment], people: dict[int, Contact], first: date, zone: ZoneInfo,
                  today: date) -> list[Day]:
    days = []
    for n in range(WEEKS * 7):
        day = first + timedelta(days=n)
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
        entries = tuple(Entry(s.start, s.end, s.start >= start, people.get(s.contact) if s.contact else None,
                              s.override) for s in segments if s.start < end and s.end > start)
        days.append(Day(day, day == today, entries))
    return days


async def _client(view: Page, q: Query):
    """The client in view; None when a staff member has not chosen one yet."""
    return await client_in_view(view.store, view.scope, client_param(q))


def _schedule_name(view: Page) -> str | None:
    """The schedule asked for (`default` when none is); None when the name cannot be one."""
    name = view.request.query.get("schedule") or oncall_schedules.DEFAULT
    return name if oncall_schedules.NAME.match(name) else None


@page(*ANYONE)
async def oncall_page(view: Page) -> web.StreamResponse:
    form = {"client": view.request.query.get("client", "")}
    try:
        client = await _client(view, Query(view.request, ("client", "schedule")))
    except web.HTTPBadRequest as exc:
        return view.render("oncall.html", 400, form=form, staff=view.staff, error=refused_field(view, exc),
                           client=None)
    if client is None:
        return view.render("oncall.html", form=form, staff=view.staff, error=None, client=None)
    name = _schedule_name(view)
    known = await view.store.read(lambda db: oncall_schedules.list_schedules(db, client.code))
    if name is None or name not in {s.name for s in known}:
        # Another client's schedule, or none of that name: the page says so, showing nothing of it.
        return view.render("oncall.html", 404, form=form, staff=view.staff, client=None,
                           error=view.t("oncall.no_schedule", name=view.request.query.get("schedule", "")[:40]))
    zone = ZoneInfo(client.timezone)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=today.weekday())
    grid_start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    grid_end = datetime.combine(first + timedelta(days=WEEKS * 7), datetime.min.time(), tzinfo=zone).astimezone(UTC)

    def read(db):
        schedule = store_oncall.schedule(db, client.code, name)
        return (schedule, schedule.at(now), schedule.whole(grid_start, grid_end),
                schedule.next_segments(now, NEXT_SHIFTS), contacts.contacts_by_id(db, client.code))

    try:
        schedule, (current, _, until_found), segments, upcoming, people = await view.store.read(read)
    except OncallNotFound:  # removed between the two reads
        return view.render("oncall.html", 404, form=form, staff=view.staff, client=None,
                           error=view.t("oncall.no_schedule", name=name))
    feed_query = [f"client={client.code}"] if not (view.user and view.user.role == "client") else []
    if name != oncall_schedules.DEFAULT:
        feed_query.append(f"schedule={name}")
    return view.render(
        "oncall.html", form=form, staff=view.staff, error=None, client=client, zone=client.timezone,
        schedules=known, schedule=name,
        rotation=schedule.rotation, people=people, now=iso(now),
        current=current, current_contact=people.get(current.contact) if current.contact else None,
        current_until=iso(current.end) if until_found else None,
        days=calendar_days(segments, people, first, zone, today),
        upcoming=[(s, people.get(s.contact) if s.contact else None) for s in upcoming],
        weekday_keys=WEEKDAY_KEYS, rotation_keys=ROTATION_KEYS,
        feed_path="/api/oncall.ics" + ("?" + "&".join(feed_query) if feed_query else ""), iso=iso)


def _texts(view: Page, texts: dict[str, str]) -> tuple[str, str]:
    """The text in the viewer's language, else the other one; and the language it is in."""
    lang = view.t.lang
    if texts.get(lang):
        return texts[lang], lang
    other = "en" if lang == "fr" else "fr"
    return texts.get(other, ""), other


@page(*ANYONE)
async def infopages_page(view: Page) -> web.StreamResponse:
    form = {"client": view.request.query.get("client", "")}
    try:
        client = await _client(view, Query(view.request, ("client",)))
    except web.HTTPBadRequest as exc:
        return view.render("infopages.html", 400, form=form, staff=view.staff, error=refused_field(view, exc),
                           client=None)
    if client is None:
        return view.render("infopages.html", form=form, staff=view.staff, error=None, client=None)

    def read(db):
        return (clients.get_client(db, client.code), infopages.list_infopages(db, client.code),
                contacts.list_contacts(db, client.code))

    record, sections, directory = await view.store.read(read)
    shown = [(s.kind, *_texts(view, s.title), *_texts(view, s.body)) for s in sections]
    return view.render("infopages.html", form=form, staff=view.staff, error=None, client=client,
                       client_name=record.name if record else client.code, sections=shown, contacts=directory,
                       kind_keys=KIND_KEYS)


_CLIENT = {"name": "client", "in": "query", "required": False,
           "description": "the client (admins and supervisors); a client user sees its own",
           "schema": {"type": "string"}}
_SCHEDULE = {"name": "schedule", "in": "query", "required": False,
             "description": "one of the client's on-call schedules (default: `default`); another is a 404 page",
             "schema": {"type": "string", "default": "default"}}
_REFUSED = {"400": {"description": "the page, saying which field was refused",
                    "content": {"text/html": {"schema": {"type": "string"}}}}}
OPENAPI_PATHS: dict = {
    "/oncall": {"get": html_operation(
        "oncallPage", "The on-call calendar of one schedule: who is on call now, four weeks by day, the next "
        "shifts, the feed", parameters=(_CLIENT, _SCHEDULE), extra_responses={
            **_REFUSED, "404": {"description": "the page, saying the client has no such schedule",
                                "content": {"text/html": {"schema": {"type": "string"}}}}})},
    "/infopages": {"get": html_operation(
        "infopagesPage", "The client's InfoPages (in the viewer's language when written in it) and its directory",
        parameters=(_CLIENT,), extra_responses=_REFUSED)},
}
