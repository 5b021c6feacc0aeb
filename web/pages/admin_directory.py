"""The admin page of one client's directory, InfoPages, on-call schedules and script (admins only): read with
the store's own functions; its forms go to the admin API (web/static/admin.js: JSON with the session's CSRF
token), which checks every field and names the one it refuses. The rotation and overrides shown are of one
schedule (`schedule`, `default` when none is named), picked on the page."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from aiohttp import web

from callscript import TYPES
from oncall import PERIODS
from store import clients, contacts, infopages, oncall_schedules
from store import oncall as store_oncall
from store import scripts as store_scripts
from store.clients import CLIENT_CODE
from store.clock import iso

from .render import ADMIN, Page, html_operation, page

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what an <input type="datetime-local"> shows and sends
PERIOD_KEYS = {period: f"admindir.period_{period}" for period in PERIODS}  # built keys (tests/web/test_pages.py)


@page(*ADMIN)
async def directory_page(view: Page) -> web.StreamResponse:
    code = view.request.match_info["code"]
    name = view.request.query.get("schedule") or oncall_schedules.DEFAULT
    if not CLIENT_CODE.match(code) or not oncall_schedules.NAME.match(name):
        return view.not_found()

    def read(db):
        client = clients.get_client(db, code)
        if client is None or oncall_schedules.get_schedule(db, code, name) is None:
            return None
        named = [(s, oncall_schedules.users(db, code, s.name)) for s in oncall_schedules.list_schedules(db, code)]
        return (client, contacts.list_contacts(db, code), infopages.list_infopages(db, code),
                store_oncall.schedule(db, code, name), store_scripts.get_script(db, code), named)

    found = await view.store.read(read)
    if found is None:
        return view.not_found()
    client, directory, sections, schedule, script, named = found
    # The API routes of the schedule shown; `default`'s keep the addresses they always had.
    in_schedule = "" if name == oncall_schedules.DEFAULT else f"?schedule={name}"
    zone = ZoneInfo(client.timezone)
    overrides = [(o, o.start.astimezone(zone).strftime(LOCAL_MINUTE), o.end.astimezone(zone).strftime(LOCAL_MINUTE))
                 for o in schedule.overrides]
    names = {c.id: c.name for c in directory}
    return view.render(
        "admin_directory.html", client=client, contacts=directory, names=names, periods=PERIODS,
        period_keys=PERIOD_KEYS,
        sections_json=json.dumps([infopages.section_json(s) for s in sections], ensure_ascii=False, indent=2),
        kinds=infopages.KINDS, rotation=schedule.rotation,
        members_json=json.dumps(list(schedule.rotation.contacts)) if schedule.rotation else "[]",
        overrides=overrides, reasons=store_oncall.REASONS, iso=iso, types=TYPES, schedules=named, schedule=name,
        in_schedule=in_schedule,
        questions_json=json.dumps(script.as_json()["questions"] if script else [], ensure_ascii=False, indent=2))


OPENAPI_PATHS: dict = {
    "/admin/clients/{code}/directory": {"get": html_operation(
        "adminDirectoryPage", "One client's contacts, InfoPages, on-call schedules (one's rotation and overrides) "
                              "and script, with their forms (admins)",
        parameters=({"name": "code", "in": "path", "required": True, "description": "client code",
                     "schema": {"type": "string"}},
                    {"name": "schedule", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "the on-call schedule shown (default: `default`); one the client lacks: 404"}))},
}
