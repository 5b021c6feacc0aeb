"""Admin API: agents (SIP softphones) and the queues they answer. The SIP password is turned into its
digest HA1 (realm dialplan.SIP_REALM) at once and never kept or shown. Changes reach Asterisk at the
next reload (POST /api/admin/asterisk/reload). Supervisors, who watch the agents, may read them."""

from __future__ import annotations

import sqlite_utils
from aiohttp import web

from dialplan import SIP_REALM
from store import agents, presence
from store.agents import Agent, AgentError, Membership

from ..auth import require_role
from . import doc
from .body import Body, bad, not_found, read, write

MAX_SECRET = 128
MAX_QUEUES = 64


def agent_json(agent: Agent, members: list[Membership]) -> dict:
    return {"id": agent.id, "name": agent.name,
            "queues": [{"queue": m.queue, "penalty": m.penalty} for m in members if m.agent_id == agent.id]}


def _queues(body: Body) -> list[tuple[str, int]]:
    """`queues`: [{"queue": name, "penalty": 0-100}] (penalty optional)."""
    raw = body.raw("queues")
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_QUEUES:
        raise bad(f"must be a list of at most {MAX_QUEUES} {{queue, penalty}} objects", "queues")
    out = []
    for item in raw:
        if not isinstance(item, dict) or not set(item) <= {"queue", "penalty"} \
                or not isinstance(item.get("queue"), str):
            raise bad("each item is {\"queue\": name, \"penalty\": 0-100}", "queues")
        out.append((item["queue"], item.get("penalty", 0)))
    return out


def _secret(body: Body, required: bool) -> str | None:
    return body.text("password", required=required, max_length=MAX_SECRET)


async def list_agents(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    found, members = await read(request, lambda db: (agents.list_agents(db), agents.list_members(db)))
    return web.json_response({"agents": [agent_json(a, members) for a in found]})


async def _one(request: web.Request, agent_id: str) -> web.Response:
    agent, members = await read(request, lambda db: (agents.get_agent(db, agent_id),
                                                     agents.list_members(db, agent_id)))
    if agent is None:
        raise not_found("agent")
    return web.json_response(agent_json(agent, members))


async def get_agent(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    return await _one(request, request.match_info["id"])


async def create_agent(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await Body.read(request, {"id", "name", "password", "queues"})
    agent_id = body.text("id", required=True, max_length=8) or ""
    name = body.text("name", required=True, max_length=128) or ""
    secret = _secret(body, required=True) or ""
    queues = _queues(body)

    def create(db: sqlite_utils.Database) -> None:
        agents.add_agent(db, agent_id, name, secret, SIP_REALM)
        for queue, penalty in queues:
            try:
                agents.add_member(db, queue, agent_id, penalty)
            except AgentError as exc:
                raise AgentError(str(exc), "queues") from None

    await write(request, create)
    response = await _one(request, agent_id)
    response.set_status(201)
    return response


async def update_agent(request: web.Request) -> web.Response:
    require_role(request, "admin")
    agent_id = request.match_info["id"]
    body = await Body.read(request, {"name", "password"})
    name, secret = body.text("name", max_length=128), _secret(body, required=False)
    await write(request, lambda db: agents.update_agent(db, agent_id, SIP_REALM, name=name, secret=secret))
    return await _one(request, agent_id)


async def delete_agent(request: web.Request) -> web.Response:
    require_role(request, "admin")
    agent_id = request.match_info["id"]
    await write(request, lambda db: agents.remove_agent(db, agent_id))
    return web.Response(status=204)


async def join_queue(request: web.Request) -> web.Response:
    require_role(request, "admin")
    agent_id, queue = request.match_info["id"], request.match_info["queue"]
    body = await Body.read(request, {"penalty"}) if request.can_read_body else Body({})
    penalty = body.integer("penalty", 0, 100) or 0
    member = await write(request, lambda db: agents.add_member(db, queue, agent_id, penalty))
    return web.json_response({"queue": member.queue, "agent_id": member.agent_id, "penalty": member.penalty})


async def leave_queue(request: web.Request) -> web.Response:
    require_role(request, "admin")
    agent_id, queue = request.match_info["id"], request.match_info["queue"]
    await write(request, lambda db: agents.remove_member(db, queue, agent_id))
    return web.Response(status=204)


def _reason_json(reason: presence.PauseReason) -> dict:
    return {"code": reason.code, "digit": reason.digit, "label_fr": reason.label_fr, "label_en": reason.label_en}


async def put_reason(request: web.Request) -> web.Response:
    """Add or change a pause reason: its labels and the phone's digit (*43N); live at once, no reload."""
    require_role(request, "admin")
    code = request.match_info["code"]
    body = await Body.read(request, {"label_fr", "label_en", "digit"})
    label_fr = body.text("label_fr", required=True, max_length=64) or ""
    label_en = body.text("label_en", required=True, max_length=64) or ""
    digit = body.text("digit", max_length=1)
    reason = await write(request, lambda db: presence.set_reason(db, code, label_fr, label_en, digit=digit))
    return web.json_response(_reason_json(reason))


async def delete_reason(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = request.match_info["code"]
    await write(request, lambda db: presence.remove_reason(db, code))
    return web.Response(status=204)


_QUEUE_ITEM = {"type": "object", "required": ["queue"], "properties": {
    "queue": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
    "penalty": {"type": "integer", "minimum": 0, "maximum": 100}}}
_SECRET = {"type": "string", "minLength": agents.MIN_SECRET, "maxLength": MAX_SECRET,
           "description": "the softphone's SIP password; only its digest HA1 is kept"}
_NAME = {"type": "string", "description": "1-64 characters without , ; \" ' [ ] < > \\ ="}
OPENAPI_SCHEMAS: dict = {
    "AdminAgent": {"type": "object", "required": ["id", "name", "queues"], "properties": {
        "id": {"type": "string", "description": "the agent's extension and SIP user: 3 to 6 digits"},
        "name": {"type": "string"}, "queues": {"type": "array", "items": _QUEUE_ITEM}}},
    "PauseReason": {"type": "object", "required": ["code", "digit", "label_fr", "label_en"], "properties": {
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$",
                 "description": "what a pause gives and Asterisk reports as the member's reason"},
        "digit": {"type": ["string", "null"], "pattern": "^[0-9]$", "description": "the phone's *43N"},
        "label_fr": {"type": "string", "maxLength": 64}, "label_en": {"type": "string", "maxLength": 64}}},
}
_AGENT = doc.ref("AdminAgent")
_ID = doc.path("id", "the agent's extension")
_RELOAD = "Asterisk has the change after POST /api/admin/asterisk/reload."
OPENAPI_PATHS: dict = {
    "/api/admin/agents": {
        "get": doc.operation("adminListAgents", "Every agent and the queues it answers", {
            **doc.ok("The agents", {"type": "object", "properties": {"agents": {"type": "array", "items": _AGENT}}}),
            **doc.errors("404")}, who=doc.READERS),
        "post": doc.operation("adminCreateAgent", "Create an agent, optionally answering queues", {
            **doc.ok("Created", _AGENT, "201"), **doc.errors("400", "403", "404", "409")},
            requestBody=doc.body({"type": "object", "required": ["id", "name", "password"],
                                  "additionalProperties": False, "properties": {
                                      "id": {"type": "string", "pattern": "^[1-9][0-9]{2,5}$"}, "name": _NAME,
                                      "password": _SECRET, "queues": {"type": "array", "items": _QUEUE_ITEM}}}),
            description=f"409 if the id is taken. {_RELOAD}"),
    },
    "/api/admin/agents/{id}": {
        "parameters": [_ID],
        "get": doc.operation("adminGetAgent", "One agent", {**doc.ok("The agent", _AGENT), **doc.errors("404")},
                             who=doc.READERS),
        "patch": doc.operation("adminUpdateAgent", "Rename an agent or set its SIP password", {
            **doc.ok("The agent as it is now", _AGENT), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "additionalProperties": False, "properties": {
                "name": _NAME, "password": _SECRET}}), description=_RELOAD),
        "delete": doc.operation("adminDeleteAgent", "Remove an agent (and from its queues)", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404")}, description=_RELOAD),
    },
    "/api/admin/agents/{id}/queues/{queue}": {
        "parameters": [_ID, doc.path("queue", "queue name (a-z 0-9 -)")],
        "put": doc.operation("adminJoinQueue", "The agent answers this queue (or a new penalty)", {
            **doc.ok("The membership", {"type": "object", "properties": {
                "queue": {"type": "string"}, "agent_id": {"type": "string"}, "penalty": {"type": "integer"}}}),
            **doc.errors("400", "403", "404")},
            requestBody={"required": False, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False,
                "properties": {"penalty": {"type": "integer", "minimum": 0, "maximum": 100}}}}}},
            description=_RELOAD),
        "delete": doc.operation("adminLeaveQueue", "The agent stops answering this queue", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404")}, description=_RELOAD),
    },
    "/api/admin/pause-reasons/{code}": {
        "parameters": [doc.path("code", "the reason's code (a-z, 0-9, _; a letter first)")],
        "put": doc.operation("adminPutPauseReason", "Add or change a pause reason", {
            **doc.ok("The reason as it is now", doc.ref("PauseReason")), **doc.errors("400", "403", "409")},
            requestBody=doc.body({"type": "object", "required": ["label_fr", "label_en"],
                                  "additionalProperties": False, "properties": {
                                      "label_fr": {"type": "string", "maxLength": 64},
                                      "label_en": {"type": "string", "maxLength": 64},
                                      "digit": {"type": ["string", "null"], "pattern": "^[0-9]$"}}}),
            description="Live at once (the phone's *43N and the API read the store); 409 if the digit is another "
                        "reason's. Without `digit` the reason has none (only the API and the CLI pause with it)."),
        "delete": doc.operation("adminDeletePauseReason", "Remove a pause reason", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404", "409")},
            description="409 while an agent is paused with it; the state timelines keep its code."),
    },
}
