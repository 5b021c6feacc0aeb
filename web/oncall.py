"""Who is on call, for the client: at a moment, the next shifts for a calendar, and an iCalendar feed —
of one of its schedules (`schedule`, default `default`; GET /api/oncall/schedules lists them).

The feed is read by calendar applications, which send no login: it takes a per-schedule secret in its
URL (`token`, made by POST /api/oncall/feed; only its hash is kept, and a new one replaces it), or a
logged-in user's session or bearer token like the other routes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlite_utils
from aiohttp import web

from oncall import Segment
from oncall.ical import Person, calendar
from oncall.rotation import EARLIEST, LATEST, in_range
from store import clients, contacts, oncall_schedules
from store import oncall as store_oncall
from store.clock import iso
from store.contacts import Contact
from store.oncall import OncallNotFound

from . import apidoc
from .admin.directory import contact_json
from .auth import require_role
from .directory import CLIENT, one_client
from .keys import STORE, USER
from .query import Query, bad_request, not_found
from .sessions import digest

MAX_SHIFTS = 200
FEED_PAST = timedelta(days=7)  # the feed starts a week back: yesterday's shifts stay visible
MAX_FEED_DAYS = 366
TOKEN_BYTES = 32
T = TypeVar("T")


def _segment_json(segment: Segment, people: dict[int, Contact], *, start_found: bool = True,
                  end_found: bool = True) -> dict:
    person = people.get(segment.contact) if segment.contact is not None else None
    return {"from": iso(segment.start) if start_found else None, "to": iso(segment.end) if end_found else None,
            "contact": contact_json(person) if person else None,
            "source": "override" if segment.override is not None else "rotation" if segment.shift is not None
            else None, "shift": segment.shift, "override": segment.override}


def moment(q: Query, name: str, zone: ZoneInfo) -> datetime:
    """The moment a parameter gives (now if absent), within the years a schedule speaks of."""
    value = q.instant(name, zone) or datetime.now(UTC)
    if not in_range(value):
        raise bad_request(f"from {EARLIEST.year} to {LATEST.year - 1}", name)
    return value


def schedule_name(q: Query) -> str:
    """The `schedule` parameter: a well-formed name (whether the client has it is the store's to say)."""
    name = q.text("schedule", max_length=64)
    if name is None:
        return oncall_schedules.DEFAULT
    if not oncall_schedules.NAME.match(name):
        raise bad_request(f"a schedule name is a-z, 0-9 and -, 32 at most, got {name[:40]!r}", "schedule")
    return name


async def _read(request: web.Request, fn: Callable[[sqlite_utils.Database], T]) -> T:
    """A read of one schedule; a schedule the client does not have is a 404 naming it."""
    try:
        return await request.app[STORE].read(fn)
    except OncallNotFound:
        raise not_found("schedule") from None


async def on_call(request: web.Request) -> web.Response:
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/oncall"]["get"]))
    view = await one_client(request, q)
    at = moment(q, "at", ZoneInfo(view.timezone))
    name = schedule_name(q)

    def answer(db):
        schedule = store_oncall.schedule(db, view.code, name)
        return schedule.at(at), contacts.contacts_by_id(db, view.code)

    (segment, start_found, end_found), people = await _read(request, answer)
    return web.json_response({"client": view.code, "schedule": name, "timezone": view.timezone, "at": iso(at),
                              **_segment_json(segment, people, start_found=start_found, end_found=end_found)})


async def shifts(request: web.Request) -> web.Response:
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/oncall/shifts"]["get"]))
    view = await one_client(request, q)
    start = moment(q, "from", ZoneInfo(view.timezone))
    count = q.integer("count", 10, 1, MAX_SHIFTS)
    name = schedule_name(q)

    def answer(db):
        return (store_oncall.schedule(db, view.code, name).next_segments(start, count),
                contacts.contacts_by_id(db, view.code))

    found, people = await _read(request, answer)
    return web.json_response({"client": view.code, "schedule": name, "timezone": view.timezone,
                              "shifts": [_segment_json(s, people) for s in found]})


async def list_schedules(request: web.Request) -> web.Response:
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/oncall/schedules"]["get"]))
    view = await one_client(request, q)
    found = await request.app[STORE].read(lambda db: oncall_schedules.list_schedules(db, view.code))
    return web.json_response({"client": view.code, "schedules": [{"name": s.name, "label": s.label}
                                                                  for s in found]})


async def _feed_schedule(request: web.Request, q: Query) -> tuple[str, str]:
    token = q.text("token", max_length=128)
    if token is None:
        if request.get(USER) is None:
            raise web.HTTPUnauthorized(text='{"error": "authentication required: a session, a bearer token or '
                                            'the feed\'s token"}', content_type="application/json")
        return (await one_client(request, q)).code, schedule_name(q)
    for name in ("client", "schedule"):
        if q.text(name) is not None:
            raise bad_request("not with token (the token names its client and schedule)", name)
    found = await request.app[STORE].read(lambda db: store_oncall.feed_for_token(db, digest(token)))
    if found is None:
        raise not_found("feed")
    return found


async def feed(request: web.Request) -> web.Response:
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/oncall.ics"]["get"]))
    code, name = await _feed_schedule(request, q)
    days = q.integer("days", 60, 1, MAX_FEED_DAYS)
    now = datetime.now(UTC)

    def build(db) -> bytes:
        client = clients.get_client(db, code)
        assert client is not None  # the scope or the feed token found it
        segments = store_oncall.schedule(db, code, name).whole(now - FEED_PAST, now + timedelta(days=days))
        named = oncall_schedules.get_schedule(db, code, name)
        people = {c.id: Person(c.name, c.role, c.mobile) for c in contacts.list_contacts(db, code)}
        return calendar(code, client.name, client.language, segments, people, now, name,
                        named.label if named else "")

    body = await _read(request, build)
    filename = f"oncall-{code}.ics" if name == oncall_schedules.DEFAULT else f"oncall-{code}-{name}.ics"
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Cache-Control": "private, no-cache",
                                 "Content-Disposition": f'inline; filename="{filename}"'})


async def new_feed_token(request: web.Request) -> web.Response:
    require_role(request, "admin", "client")  # a supervisor changes nothing
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/oncall/feed"]["post"]))
    view = await one_client(request, q)
    name = schedule_name(q)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        await request.app[STORE].write(lambda db: store_oncall.set_feed_token(db, view.code, digest(token), name))
    except OncallNotFound:
        raise not_found("schedule") from None
    return web.json_response({"client": view.code, "schedule": name, "token": token,
                              "url": f"/api/oncall.ics?token={token}"}, status=201)


_SEGMENT = {"type": "object", "properties": {
    "from": {"type": ["string", "null"], "format": "date-time",
             "description": "null: it began more than 800 days before (e.g. nobody before the rotation)"},
    "to": {"type": ["string", "null"], "format": "date-time", "description": "exclusive; null: open"},
    "contact": {"oneOf": [{"$ref": "#/components/schemas/Contact"}, {"type": "null"}],
                "description": "null: nobody is on call"},
    "source": {"type": ["string", "null"], "enum": ["rotation", "override", None]},
    "shift": {"type": ["integer", "null"], "description": "the rotation's shift number"},
    "override": {"type": ["integer", "null"], "description": "the override's id"}}}
_WHEN = apidoc.PERIOD_NOTE.replace("the one client in view", "the client's")
_SCHEDULE = apidoc.query("schedule", "one of the client's on-call schedules (GET /api/oncall/schedules)",
                         {"type": "string", "pattern": oncall_schedules.NAME.pattern, "default": "default"})
OPENAPI_PATHS: dict = {
    "/api/oncall": {"get": {
        "operationId": "getOncall",
        "tags": ["oncall"],
        "summary": "Who is on call at a moment (default now), since when and until when",
        "description": "The rotation's shift, or the override (the latest created wins) that covers the moment; "
                       "the stretch is whole, not cut at `at`.",
        "parameters": [CLIENT, apidoc.query("at", f"the moment. {_WHEN}", apidoc.DATE_TIME), _SCHEDULE],
        "responses": {
            "200": apidoc.json_body("who is on call", {"allOf": [_SEGMENT, {"type": "object", "properties": {
                "client": {"type": "string"}, "schedule": {"type": "string"}, "timezone": {"type": "string"},
                "at": {"type": "string", "format": "date-time"}}}]}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
    "/api/oncall/shifts": {"get": {
        "operationId": "listOncallShifts",
        "tags": ["oncall"],
        "summary": "The next shifts from a moment (the one under way first), overrides applied: for a calendar",
        "parameters": [CLIENT, apidoc.query("from", f"default now. {_WHEN}", apidoc.DATE_TIME),
                       apidoc.query("count", "how many", {"type": "integer", "minimum": 1, "maximum": MAX_SHIFTS,
                                                          "default": 10}), _SCHEDULE],
        "responses": {
            "200": apidoc.json_body("the shifts in order", {"type": "object", "properties": {
                "client": {"type": "string"}, "schedule": {"type": "string"}, "timezone": {"type": "string"},
                "shifts": {"type": "array", "items": _SEGMENT}}}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
    "/api/oncall.ics": {"get": {
        "operationId": "getOncallFeed",
        "tags": ["oncall"],
        "summary": "The on-call schedule as an iCalendar feed (RFC 5545): one event per shift or override",
        "description": "From a week back to `days` ahead; times in UTC. Calendar applications use `token` (it "
                       "names the client and the schedule); a logged-in user needs none.",
        "security": [{"bearerAuth": []}, {"cookieAuth": []}, {}],
        "parameters": [CLIENT, _SCHEDULE, apidoc.query("token", "the feed's secret (POST /api/oncall/feed)"),
                       apidoc.query("days", "how many days ahead", {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_FEED_DAYS, "default": 60})],
        "responses": {
            "200": {"description": "the calendar", "content": {"text/calendar": {"schema": {"type": "string"}}}},
            **apidoc.errors("400", "401", "404"),
        },
    }},
    "/api/oncall/feed": {"post": {
        "operationId": "newOncallFeedToken",
        "tags": ["oncall"],
        "summary": "A new secret for a schedule's calendar feed; the previous one stops working",
        "description": "The client's users and admins (supervisors change nothing). Shown once: only its hash "
                       "is kept. A cookie session sends its CSRF token. Each schedule has its own feed.",
        "parameters": [CLIENT, _SCHEDULE],
        "responses": {
            "201": apidoc.json_body("the token and the feed's path", {"type": "object", "properties": {
                "client": {"type": "string"}, "schedule": {"type": "string"}, "token": {"type": "string"},
                "url": {"type": "string"}}}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
    "/api/oncall/schedules": {"get": {
        "operationId": "listOncallSchedules",
        "tags": ["oncall"],
        "summary": "The client's on-call schedules (`default` first), for the `schedule` of the routes above",
        "parameters": [CLIENT],
        "responses": {
            "200": apidoc.json_body("the schedules", {"type": "object", "properties": {
                "client": {"type": "string"}, "schedules": {"type": "array", "items": {
                    "type": "object", "properties": {"name": {"type": "string"}, "label": {"type": "string"}}}}}}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
}
