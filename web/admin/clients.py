"""Admin API: clients — code, name, language, time zone, history window, service-level threshold, and
the business hours, holidays and closures that menus' `hours: client` time nodes run on (ivr/FORMAT.md).

The client record is the one place a client's opening times live; a change reaches the next call.
Clients are created and changed, never deleted here: their calls and recordings refer to them.
"""

from __future__ import annotations

import sqlite_utils
from aiohttp import web

from ivr.loader import parse
from ivr.model import MenuError, TimeNode
from ivr.schedule import ScheduleError, parse_schedule, to_json
from store import clients, menus
from store.clients import HISTORY_DAYS, SERVICE_LEVEL_S, Client, ClientConflict, ClientError, Schedule

from ..auth import require_role
from . import doc
from .body import Body, bad, not_found, read, write

SCHEDULE_FIELDS = ("hours", "holidays", "closures")
SETTINGS = ("name", "language", "timezone", "history_days", "service_level_s", *SCHEDULE_FIELDS)
CREATE_FIELDS = frozenset({"code", *SETTINGS})
UPDATE_FIELDS = frozenset({*SETTINGS, "entry_menu"})


def client_json(client: Client) -> dict:
    return {"code": client.code, "name": client.name, "language": client.language, "timezone": client.timezone,
            "entry_menu": client.entry_menu, "history_days": client.history_days,
            "service_level_s": client.service_level_s, **to_json(client.schedule)}


def _schedule(body: Body, current: Schedule) -> Schedule | None:
    """The schedule with the fields the body gives replaced; None if it gives none."""
    if not any(name in body for name in SCHEDULE_FIELDS):
        return None
    shown = to_json(current)
    given = {name: body.raw(name) if name in body else shown[name] for name in SCHEDULE_FIELDS}
    try:
        return parse_schedule(given["hours"], given["holidays"], given["closures"])
    except ScheduleError as exc:
        raise bad(str(exc), exc.field, problems=[{"field": f, "message": m} for f, m in exc.problems]) from None


def _settings(body: Body) -> dict:
    return {"name": body.text("name"), "language": body.text("language", max_length=8),
            "timezone": body.text("timezone", max_length=64),
            "history_days": body.integer("history_days", *HISTORY_DAYS),
            "service_level_s": body.integer("service_level_s", *SERVICE_LEVEL_S)}


def menus_using_client_hours(db: sqlite_utils.Database, code: str) -> list[str]:
    """The client's active menus that have a time node with `hours: client`."""
    using = []
    for name, item in menus.active_menus(db).items():
        if item.client_code != code:
            continue
        try:
            menu = parse(item.body, item.name)
        except MenuError:
            continue  # stored menus were validated; one that no longer parses uses nothing
        if any(isinstance(node, TimeNode) and node.client_hours for node in menu.nodes.values()):
            using.append(name)
    return sorted(using)


async def list_clients(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    found = await read(request, clients.list_clients)
    return web.json_response({"clients": [client_json(c) for c in found]})


async def get_client(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    code = request.match_info["code"]
    client = await read(request, lambda db: clients.get_client(db, code))
    if client is None:
        raise not_found("client")
    dids = await read(request, lambda db: clients.list_dids(db, code))
    return web.json_response({**client_json(client), "dids": [d.did for d in dids]})


async def create_client(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await Body.read(request, CREATE_FIELDS)
    code = body.text("code", required=True, max_length=8) or ""
    if body.text("name", required=True) is None:
        raise bad("missing", "name")
    settings = _settings(body)
    schedule = _schedule(body, Schedule())

    def create(db: sqlite_utils.Database) -> Client:
        clients.add_client(db, code, settings["name"], settings["language"] or "fr",
                           settings["timezone"] or "America/Toronto")
        return clients.update_client(db, code, history_days=settings["history_days"],
                                     service_level_s=settings["service_level_s"], schedule=schedule)

    client = await write(request, create)
    return web.json_response(client_json(client), status=201)


async def update_client(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = request.match_info["code"]
    body = await Body.read(request, UPDATE_FIELDS)
    current = await read(request, lambda db: clients.get_client(db, code))
    if current is None:
        raise not_found("client")
    settings = _settings(body)
    schedule = _schedule(body, current.schedule)
    entry_menu = body.text("entry_menu", max_length=64)

    def update(db: sqlite_utils.Database) -> Client:
        if schedule is not None and schedule.hours is None and (using := menus_using_client_hours(db, code)):
            raise ClientConflict(f"menus {', '.join(using)} use hours: client; apply them without it first", "hours")
        if entry_menu is not None:
            try:
                menus.set_entry_menu(db, code, entry_menu)
            except menus.MenuStoreError as exc:
                raise ClientError(str(exc), "entry_menu") from None
        return clients.update_client(db, code, **settings, schedule=schedule)

    return web.json_response(client_json(await write(request, update)))


_HOURS = {"type": ["object", "null"], "additionalProperties": {"oneOf": [
    {"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "description": "days (mon-fri, sat, fri-mon, mon,wed) → ranges (\"08:30-12:00,13:00-17:00\", 24h, closed), "
                   "the time node's syntax (ivr/FORMAT.md); null: none set",
    "examples": [{"mon-fri": "08:30-17:00", "sat": "09:00-12:00"}]}
_HOLIDAYS = {"type": "array", "items": {"type": "string", "format": "date"},
             "description": "whole local days closed"}
_CLOSURES = {"type": "array", "items": {"type": "object", "required": ["from", "to"], "properties": {
    "from": {"type": "string", "description": "YYYY-MM-DDTHH:MM local time, included"},
    "to": {"type": "string", "description": "YYYY-MM-DDTHH:MM local time, excluded"}}}}
_SETTINGS = {
    "name": {"type": "string", "maxLength": 128}, "language": {"type": "string", "enum": list(clients.LANGUAGES)},
    "timezone": {"type": "string", "description": "IANA time zone, e.g. America/Toronto"},
    "history_days": {"type": "integer", "minimum": HISTORY_DAYS[0], "maximum": HISTORY_DAYS[1],
                     "description": "how many days of its calls a client user sees (60 by default)"},
    "service_level_s": {"type": "integer", "minimum": SERVICE_LEVEL_S[0], "maximum": SERVICE_LEVEL_S[1],
                        "description": "the service level's T: answered within this many seconds (20 by default)"},
    "hours": _HOURS, "holidays": _HOLIDAYS, "closures": _CLOSURES,
}
OPENAPI_SCHEMAS: dict = {
    "AdminClient": {"type": "object", "required": ["code", "name", "language", "timezone", "history_days",
                                                    "service_level_s", "hours", "holidays", "closures"],
                    "properties": {"code": {"type": "string", "pattern": "^[0-9]{4,5}$"},
                                   "entry_menu": {"type": ["string", "null"]}, **_SETTINGS,
                                   "dids": {"type": "array", "items": {"type": "string"},
                                            "description": "GET of one client only: its DIDs (E.164)"}}},
    "AdminClientCreate": {"type": "object", "required": ["code", "name"], "additionalProperties": False,
                          "properties": {"code": {"type": "string", "pattern": "^[0-9]{4,5}$"}, **_SETTINGS}},
    "AdminClientUpdate": {"type": "object", "additionalProperties": False, "properties": {
        **_SETTINGS, "entry_menu": {"type": "string", "description": "one of the client's applied menus"}},
        "description": "only the fields given change; hours, holidays and closures each replace their list"},
}
_CLIENT = doc.ref("AdminClient")
_CODE = doc.path("code", "client code (4 or 5 digits)")
OPENAPI_PATHS: dict = {
    "/api/admin/clients": {
        "get": doc.operation("adminListClients", "Every client with its settings",
                             {**doc.ok("The clients", {"type": "object", "properties": {
                                 "clients": {"type": "array", "items": _CLIENT}}}), **doc.errors("404")},
                             who=doc.READERS),
        "post": doc.operation("adminCreateClient", "Create a client",
                              {**doc.ok("Created", _CLIENT, "201"), **doc.errors("400", "403", "404", "409")},
                              requestBody=doc.body(doc.ref("AdminClientCreate")),
                              description="409 if the code is taken."),
    },
    "/api/admin/clients/{code}": {
        "parameters": [_CODE],
        "get": doc.operation("adminGetClient", "One client, with its DIDs",
                             {**doc.ok("The client", _CLIENT), **doc.errors("404")}, who=doc.READERS),
        "patch": doc.operation("adminUpdateClient", "Change a client's settings or business hours",
                               {**doc.ok("The client as it is now", _CLIENT),
                                **doc.errors("400", "403", "404", "409")},
                               requestBody=doc.body(doc.ref("AdminClientUpdate")),
                               description="Business hours are judged by the time node's rules (a bad one is 400 "
                                           "with `problems`); the next call uses them. Clearing the hours while a "
                                           "menu says `hours: client` is 409."),
    },
}
