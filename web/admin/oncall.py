"""Admin API: a client's on-call schedule — its rotation (replaced whole) and its overrides (swaps,
holidays). The rules are the oncall package's (oncall/rotation.py); supervisors read them. Each route
takes `?schedule=NAME`, one of the client's schedules (web/admin/oncall_schedules.py); `default` when
it is left out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from oncall import Rotation
from store import clients, oncall_schedules
from store import oncall as store_oncall
from store.clock import iso
from store.oncall import OverrideRecord

from ..auth import require_role
from ..query import parse_instant
from . import doc
from .body import Body, bad, not_found, read, refused, write
from .directory import client_or_404


def rotation_json(rotation: Rotation | None) -> dict | None:
    if rotation is None:
        return None
    return {"period": rotation.period, "handover": rotation.handover.strftime("%H:%M"),
            "starts_on": rotation.starts_on.isoformat(), "contacts": list(rotation.contacts),
            "timezone": rotation.timezone}


def override_json(o: OverrideRecord) -> dict:
    return {"id": o.id, "contact": o.contact_id, "from": iso(o.start), "to": iso(o.end), "reason": o.reason,
            "note": o.note}


def schedule_param(request: web.Request, *, required: bool = False) -> str | None:
    """The `schedule` query parameter (the only one these routes take): a well-formed name, else a 400.
    Whether the client has it is the store's to say (404)."""
    unknown = set(request.query) - {"schedule"}
    if unknown:
        raise bad("unknown parameter; this route takes schedule", sorted(unknown)[0][:64])
    name = request.query.get("schedule")
    if name is None:
        return oncall_schedules.DEFAULT if required else None
    if not oncall_schedules.NAME.match(name):
        raise bad(f"a schedule name is a-z, 0-9 and -, 32 at most, got {name[:40]!r}", "schedule")
    return name


async def get_schedule(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    name = schedule_param(request, required=True) or oncall_schedules.DEFAULT
    code = await client_or_404(request)

    def answer(db):
        return store_oncall.schedule(db, code, name), oncall_schedules.get_schedule(db, code, name)

    try:
        schedule, named = await read(request, answer)
    except store_oncall.OncallNotFound as exc:
        raise refused(exc) from None
    return web.json_response({"client": code, "schedule": name, "label": named.label if named else "",
                              "timezone": schedule.timezone, "rotation": rotation_json(schedule.rotation),
                              "overrides": [override_json(o) for o in schedule.overrides]})


async def put_rotation(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = schedule_param(request, required=True) or oncall_schedules.DEFAULT
    code = await client_or_404(request)
    body = await Body.read(request, {"period", "handover", "starts_on", "contacts"})
    period = body.text("period", required=True, max_length=16) or ""
    handover = body.text("handover", required=True, max_length=8) or ""
    starts_on = body.text("starts_on", required=True, max_length=16) or ""
    members = body.raw("contacts")
    if members is None:
        raise bad("missing", "contacts")
    rotation = await write(request, lambda db: store_oncall.set_rotation(db, code, period, handover, starts_on,
                                                                         members, name))
    return web.json_response(rotation_json(rotation))


async def delete_rotation(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = schedule_param(request, required=True) or oncall_schedules.DEFAULT
    code = await client_or_404(request)
    await write(request, lambda db: store_oncall.clear_rotation(db, code, name))
    return web.Response(status=204)


def _instant(body: Body, name: str, zone: ZoneInfo) -> datetime:
    text = body.text(name, required=True, max_length=40) or ""
    try:
        return parse_instant(text, zone)
    except ValueError:
        raise bad(f"not a date or time: use ISO 8601 such as 2026-01-31T08:00 (the client's time zone) or "
                  f"2026-01-31T08:00:00-05:00, got {text!r}", name) from None


async def create_override(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = schedule_param(request, required=True) or oncall_schedules.DEFAULT
    code = request.match_info["code"]
    body = await Body.read(request, {"contact", "from", "to", "reason", "note"})
    client = await read(request, lambda db: clients.get_client(db, code))
    if client is None:
        raise not_found("client")
    zone = ZoneInfo(client.timezone)
    start, end = _instant(body, "from", zone), _instant(body, "to", zone)
    contact = body.raw("contact")
    if contact is None:
        raise bad("missing", "contact")
    reason = body.text("reason", max_length=16) or "swap"
    note = body.text("note", max_length=store_oncall.MAX_NOTE) or ""
    created = await write(request, lambda db: store_oncall.add_override(db, code, contact, start, end, reason, note,
                                                                        name))
    return web.json_response(override_json(created), status=201)


async def delete_override(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = schedule_param(request)  # ids are the client's: the schedule only narrows
    code = await client_or_404(request)
    text = request.match_info["id"]
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise not_found("override")
    await write(request, lambda db: store_oncall.remove_override(db, code, int(text), name))
    return web.Response(status=204)


_ROTATION_PROPS = {
    "period": {"type": "string", "enum": ["daily", "weekly", "monthly"]},
    "handover": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                 "description": "local wall-clock time of each handover, in the client's time zone"},
    "starts_on": {"type": "string", "format": "date", "description": "the local date of the first shift; weekly "
                  "shifts hand over on its weekday, monthly ones on its day (the last day of shorter months)"},
    "contacts": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": store_oncall.MAX_MEMBERS,
                 "description": "the client's contact ids in rotation order"},
}
OPENAPI_SCHEMAS: dict = {
    "OncallRotation": {"type": "object", "required": [*_ROTATION_PROPS, "timezone"], "properties": {
        **_ROTATION_PROPS, "timezone": {"type": "string", "description": "the client's"}}},
    "OncallOverride": {"type": "object", "required": ["id", "contact", "from", "to", "reason", "note"], "properties": {
        "id": {"type": "integer", "description": "where overrides overlap the highest id wins"},
        "contact": {"type": "integer"}, "from": {"type": "string", "format": "date-time"},
        "to": {"type": "string", "format": "date-time", "description": "exclusive"},
        "reason": {"type": "string", "enum": list(store_oncall.REASONS)}, "note": {"type": "string"}}},
}
_CODE = doc.path("code", "client code")
SCHEDULE_QUERY = {"name": "schedule", "in": "query", "required": False,
                  "description": "one of the client's on-call schedules (default: `default`)",
                  "schema": {"type": "string", "pattern": oncall_schedules.NAME.pattern, "default": "default"}}
_SCHEDULE = {"type": "object", "properties": {
    "client": {"type": "string"}, "schedule": {"type": "string"}, "label": {"type": "string"},
    "timezone": {"type": "string"},
    "rotation": {"oneOf": [doc.ref("OncallRotation"), {"type": "null"}]},
    "overrides": {"type": "array", "items": doc.ref("OncallOverride")}}}
_WHEN = {"type": "string", "description": "ISO 8601; without an offset, in the client's time zone"}
OPENAPI_PATHS: dict = {
    "/api/admin/clients/{code}/oncall": {
        "parameters": [_CODE, SCHEDULE_QUERY],
        "get": doc.operation("adminGetOncall", "A client's on-call rotation and overrides", {
            **doc.ok("The schedule as kept", _SCHEDULE), **doc.errors("404")}, who=doc.READERS),
    },
    "/api/admin/clients/{code}/oncall/rotation": {
        "parameters": [_CODE, SCHEDULE_QUERY],
        "put": doc.operation("adminPutRotation", "Set (replace) a client's on-call rotation", {
            **doc.ok("The rotation as kept", doc.ref("OncallRotation")), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": list(_ROTATION_PROPS), "additionalProperties": False,
                                  "properties": _ROTATION_PROPS}),
            description="A handover in the spring-forward gap happens late by the gap's length (02:30 -> 03:30); "
                        "in the repeated hour of the fall, at the first of the two."),
        "delete": doc.operation("adminDeleteRotation", "Remove a client's rotation (overrides stay)", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404")}),
    },
    "/api/admin/clients/{code}/oncall/overrides": {
        "parameters": [_CODE, SCHEDULE_QUERY],
        "post": doc.operation("adminCreateOverride", "Put a contact on call over [from, to) (swap, holiday)", {
            **doc.ok("Created", doc.ref("OncallOverride"), "201"), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": ["contact", "from", "to"],
                                  "additionalProperties": False, "properties": {
                                      "contact": {"type": "integer"}, "from": _WHEN, "to": _WHEN,
                                      "reason": {"type": "string", "enum": list(store_oncall.REASONS),
                                                 "default": "swap"},
                                      "note": {"type": "string", "maxLength": store_oncall.MAX_NOTE}}}),
            description="At most 366 days long."),
    },
    "/api/admin/clients/{code}/oncall/overrides/{id}": {
        "parameters": [_CODE, doc.path("id", "the override's id"), {
            **SCHEDULE_QUERY, "description": "when given, the override must be of this schedule"}],
        "delete": doc.operation("adminDeleteOverride", "Remove an override", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404")}),
    },
}
