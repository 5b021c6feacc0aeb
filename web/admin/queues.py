"""Admin API: queues as data (store/queues.py) — how app_queue distributes a queue's calls, its skills
widening over time (penalty rules), and what happens when nobody can take them (overflow, callback).

PUT sets a queue's whole definition (a field left out takes its default); the store checks every field
and names the one refused. A queue reaches Asterisk at the next POST /api/admin/asterisk/reload, which
checks the rendered files first and keeps the running configuration if Asterisk refuses them.
Supervisors read queues; admins change them; anyone else gets 404.
"""

from __future__ import annotations

import dataclasses
import re

from aiohttp import web

from store import queues
from store.queues import PenaltyRule, Queue

from ..auth import require_role
from . import doc
from .body import Body, bad, not_found, read, write

CLIENT_CODE = re.compile(r"[0-9]{4,5}")
FIELDS = tuple(f.name for f in dataclasses.fields(Queue) if f.name != "name")


def queue_json(queue: Queue) -> dict:
    out = {f: getattr(queue, f) for f in ("name", *FIELDS)}
    out["penalty_rules"] = [{"after_s": r.after_s, "max_penalty": r.max_penalty} for r in queue.penalty_rules]
    return out


def _rules(raw: object) -> tuple[PenaltyRule, ...]:
    """`penalty_rules`: [{"after_s": N, "max_penalty": N}]; their values are the store's to judge."""
    if not isinstance(raw, list) or len(raw) > queues.MAX_RULES:
        raise bad(f"must be a list of at most {queues.MAX_RULES} {{after_s, max_penalty}} objects", "penalty_rules")
    rules = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"after_s", "max_penalty"}:
            raise bad('each rule is {"after_s": seconds, "max_penalty": 0-100}', "penalty_rules")
        rules.append(PenaltyRule(item["after_s"], item["max_penalty"]))
    return tuple(rules)


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not queues.QUEUE_NAME.match(name):
        raise not_found("queue")  # no queue can have that name
    return name


async def list_queues(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    unknown = set(request.query) - {"client", "shared"}
    if unknown:
        raise bad("unknown parameter; this route takes client or shared", sorted(unknown)[0][:64])
    client, shared = request.query.get("client") or None, request.query.get("shared")
    if client is not None and not CLIENT_CODE.fullmatch(client):
        raise bad(f"a client code is 4 or 5 digits, got {client[:16]!r}", "client")
    if shared not in (None, "true"):
        raise bad("shared=true lists only the queues shared by several clients", "shared")
    if client is not None and shared:
        raise bad("give client or shared, not both", "shared")
    found = await read(request, lambda db: queues.list_queues(db, None) if shared else
                       queues.list_queues(db, client) if client else queues.list_queues(db))
    return web.json_response({"queues": [queue_json(q) for q in found]})


async def get_queue(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    name = _name(request)
    queue = await read(request, lambda db: queues.get_queue(db, name))
    if queue is None:
        raise not_found("queue")
    return web.json_response(queue_json(queue))


async def put_queue(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = _name(request)
    body = await Body.read(request, FIELDS)
    given = {f: body.raw(f) for f in FIELDS if f in body}
    if "penalty_rules" in given:
        given["penalty_rules"] = _rules(given["penalty_rules"])
    queue = Queue(name, **{"client_code": None, **given})

    def save(db) -> bool:
        created = queues.get_queue(db, name) is None
        queues.save_queue(db, queue)
        return created

    created = await write(request, save)
    stored = await read(request, lambda db: queues.get_queue(db, name))
    return web.json_response(queue_json(stored), status=201 if created else 200)


async def delete_queue(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = _name(request)
    await write(request, lambda db: queues.remove_queue(db, name))
    return web.Response(status=204)


def _bounded(field: str) -> dict:
    low, high = queues.BOUNDS[field]
    return {"type": "integer", "minimum": low, "maximum": high}


_RULE = {"type": "object", "required": ["after_s", "max_penalty"], "additionalProperties": False, "properties": {
    "after_s": {"type": "integer", "minimum": queues.RULE_AFTER_S[0], "maximum": queues.RULE_AFTER_S[1],
                "description": "seconds in the queue"},
    "max_penalty": {"type": "integer", "minimum": 0, "maximum": queues.MAX_PENALTY,
                    "description": "members up to this penalty may now be rung"}}}
_PROPERTIES: dict = {
    "client_code": {"type": ["string", "null"], "pattern": "^[0-9]{4,5}$",
                    "description": "the client it belongs to; null: shared by several clients"},
    "label": {"type": "string", "maxLength": queues.MAX_LABEL},
    "strategy": {"type": "string", "enum": list(queues.STRATEGIES)},
    **{f: _bounded(f) for f in queues.BOUNDS},
    "announce_position": {"type": "boolean"}, "announce_holdtime": {"type": "boolean"},
    "music_class": {"type": "string", "pattern": queues.MUSIC_CLASS.pattern,
                    "description": "a class of musiconhold.conf"},
    "penalty_rules": {"type": "array", "maxItems": queues.MAX_RULES, "items": _RULE,
                      "description": "in time order, each wider than the last"},
    "overflow_action": {"type": "string", "enum": list(queues.OVERFLOW_ACTIONS)},
    "overflow_target": {"type": "string", "description": "the queue to overflow to (overflow_action queue)"},
    "overflow_schedule": {"type": "string", "default": "default",
                          "description": "the client's on-call schedule an `oncall` overflow reaches; another "
                                         "than default needs the queue's client to have it"},
    "callback_offer": {"type": "boolean"},
    "callback_key": {"type": "string", "enum": list(queues.CALLBACK_KEYS)},
}
OPENAPI_SCHEMAS: dict = {
    "AdminQueue": {"type": "object", "required": ["name", *FIELDS], "properties": {
        "name": {"type": "string", "pattern": queues.QUEUE_NAME.pattern}, **_PROPERTIES}},
}
_QUEUE = doc.ref("AdminQueue")
_RELOAD = "Asterisk has the change after POST /api/admin/asterisk/reload."
OPENAPI_PATHS: dict = {
    "/api/admin/queues": {"get": doc.operation("adminListQueues", "Every queue's definition, by name", {
        **doc.ok("The queues", {"type": "object", "properties": {"queues": {"type": "array", "items": _QUEUE}}}),
        **doc.errors("400", "404")}, who=doc.READERS,
        parameters=[{"name": "client", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "only this client's own queues"},
                    {"name": "shared", "in": "query", "required": False, "schema": {"type": "string", "enum": ["true"]},
                     "description": "only the queues shared by several clients"}])},
    "/api/admin/queues/{name}": {
        "parameters": [doc.path("name", "the queue's name (a-z 0-9 -)")],
        "get": doc.operation("adminGetQueue", "One queue's definition", {
            **doc.ok("The queue", _QUEUE), **doc.errors("404")}, who=doc.READERS,
            description="404 for a name with no definition (where menus or agents name it, it takes the "
                        "defaults)."),
        "put": doc.operation("adminPutQueue", "Create a queue or replace its whole definition", {
            **doc.ok("Replaced", _QUEUE), **doc.ok("Created", _QUEUE, "201"), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "additionalProperties": False, "properties": _PROPERTIES}),
            description=f"A field left out takes its default. {_RELOAD}"),
        "delete": doc.operation("adminDeleteQueue", "Remove a queue's definition", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404", "409")},
            description=f"409 while another queue overflows to it. {_RELOAD}"),
    },
}
