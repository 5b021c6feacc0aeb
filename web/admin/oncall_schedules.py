"""Admin API: a client's named on-call schedules (store/oncall_schedules.py) — list, create, relabel,
remove. `default` is every client's and cannot go; nor can a schedule a live menu, a queue's overflow or
the dispatch protocol still names (409 saying which). Supervisors read them."""

from __future__ import annotations

from aiohttp import web

from store import oncall_schedules
from store.oncall_schedules import Schedule

from ..auth import require_role
from . import doc
from .body import Body, bad, read, write
from .directory import client_or_404


def schedule_json(schedule: Schedule, used_by: list[str]) -> dict:
    return {"name": schedule.name, "label": schedule.label, "created_at": schedule.created_at, "used_by": used_by}


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not oncall_schedules.NAME.match(name):
        raise bad(f"a schedule name is a-z, 0-9 and -, 32 at most, got {name[:40]!r}", "name")
    return name


async def list_schedules(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    code = await client_or_404(request)

    def answer(db) -> list[dict]:
        return [schedule_json(s, oncall_schedules.users(db, code, s.name))
                for s in oncall_schedules.list_schedules(db, code)]

    return web.json_response({"client": code, "schedules": await read(request, answer)})


async def create_schedule(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    body = await Body.read(request, {"name", "label"})
    name = body.raw("name")
    if name is None:
        raise bad("missing", "name")
    label = body.text("label", max_length=oncall_schedules.MAX_LABEL) or ""
    created = await write(request, lambda db: oncall_schedules.add_schedule(db, code, name, label))
    return web.json_response(schedule_json(created, []), status=201)


async def relabel_schedule(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    name = _name(request)
    body = await Body.read(request, {"label"})
    if "label" not in body:
        raise bad("missing", "label")
    label = body.text("label", max_length=oncall_schedules.MAX_LABEL) or ""

    def change(db) -> dict:
        changed = oncall_schedules.relabel_schedule(db, code, name, label)
        return schedule_json(changed, oncall_schedules.users(db, code, name))

    return web.json_response(await write(request, change))


async def delete_schedule(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    name = _name(request)
    await write(request, lambda db: oncall_schedules.remove_schedule(db, code, name))
    return web.Response(status=204)


_NAME = {"type": "string", "pattern": oncall_schedules.NAME.pattern}
_LABEL = {"type": "string", "maxLength": oncall_schedules.MAX_LABEL, "description": "a name for people"}
OPENAPI_SCHEMAS: dict = {
    "OncallScheduleInfo": {"type": "object", "required": ["name", "label", "created_at", "used_by"], "properties": {
        "name": _NAME, "label": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
        "used_by": {"type": "array", "items": {"type": "string"},
                    "description": "the live menus, queues (overflow) and protocol steps that name it"}}},
}
_CODE = doc.path("code", "client code")
_SCHEDULE_NAME = doc.path("name", "the schedule's name")
OPENAPI_PATHS: dict = {
    "/api/admin/clients/{code}/oncall/schedules": {
        "parameters": [_CODE],
        "get": doc.operation("adminListOncallSchedules", "A client's on-call schedules, `default` first", {
            **doc.ok("The schedules", {"type": "object", "properties": {
                "client": {"type": "string"},
                "schedules": {"type": "array", "items": doc.ref("OncallScheduleInfo")}}}),
            **doc.errors("404")}, who=doc.READERS),
        "post": doc.operation("adminCreateOncallSchedule", "Add an on-call schedule (its rotation is set apart)", {
            **doc.ok("Created", doc.ref("OncallScheduleInfo"), "201"), **doc.errors("400", "403", "404", "409")},
            requestBody=doc.body({"type": "object", "required": ["name"], "additionalProperties": False,
                                  "properties": {"name": _NAME, "label": _LABEL}})),
    },
    "/api/admin/clients/{code}/oncall/schedules/{name}": {
        "parameters": [_CODE, _SCHEDULE_NAME],
        "patch": doc.operation("adminRelabelOncallSchedule", "Change a schedule's label", {
            **doc.ok("The schedule", doc.ref("OncallScheduleInfo")), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": ["label"], "additionalProperties": False,
                                  "properties": {"label": _LABEL}})),
        "delete": doc.operation("adminDeleteOncallSchedule", "Remove a schedule, its rotation, overrides, feed", {
            **doc.ok("Removed", status="204"), **doc.errors("400", "403", "404", "409")},
            description="Refused (409) for `default` and for a schedule a live menu, a queue's overflow or the "
                        "dispatch protocol names; the error says which."),
    },
}
