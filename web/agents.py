"""`/api/agents/…`: agents logged in and out of their queues, paused with a reason, their live states, state
timelines and occupancy. Admins and supervisors (who run the floor: they may log agents in, out and pause
them, though they change no configuration); anyone else gets 404.

Logging in, out and pausing act on the running Asterisk through the AgentPresence (ami.members, as the
AMI action user); without that user configured they answer 503. The formulas of the statistics are in
web/STATS.md ("Agents"); the SQL in store/agent_states.py.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiohttp import web

from dialplan.deploy import ControlError
from store import agent_states, agents, presence
from store.agents import AgentConflict, AgentError, AgentNotFound

from . import apidoc
from .admin.body import Body, bad, error, not_found
from .auth import require_role
from .keys import LIVE, STORE
from .query import Query, bad_request

STAFF = ("admin", "supervisor")
MAX_PERIOD = timedelta(days=366)


class AgentPresence(Protocol):
    """What these routes need of ami.members.AgentPresence (given to make_app by permanence.serve)."""

    async def login(self, agent_id: str) -> object: ...

    async def logout(self, agent_id: str) -> object: ...

    async def pause(self, agent_id: str, reason: str | None = None) -> object: ...

    async def unpause(self, agent_id: str) -> object: ...


PRESENCE = web.AppKey("agent_presence", AgentPresence)


def _live_agents(request: web.Request) -> dict[str, dict]:
    live = request.app.get(LIVE)
    if live is None:
        return {}
    return {a["agent_id"]: a for a in live.snapshot()["agents"]}  # type: ignore[attr-defined]


def _agent_json(agent: agents.Agent, members: list[agents.Membership], login: presence.Login | None,
                live: dict | None) -> dict:
    return {
        "id": agent.id, "name": agent.name,
        "queues": [{"queue": m.queue, "penalty": m.penalty} for m in members if m.agent_id == agent.id],
        "logged_in": login is not None,
        "logged_in_at": login.logged_in_at if login else None,
        "paused": bool(login and login.paused), "pause_reason": login.pause_reason if login else None,
        "paused_at": login.paused_at if login else None,
        "state": live["state"] if live else ("logged_out" if login is None else None),
        "state_since": live["since"] if live else None,
        "state_reason": (live["reason"] or None) if live else None,
        "call": live["call"] if live else None,
    }


async def list_agents(request: web.Request) -> web.Response:
    require_role(request, *STAFF)
    found, members, logins = await request.app[STORE].read(
        lambda db: (agents.list_agents(db), agents.list_members(db), presence.list_logins(db)))
    by_id, live = {login.agent_id: login for login in logins}, _live_agents(request)
    return web.json_response({"agents": [_agent_json(a, members, by_id.get(a.id), live.get(a.id)) for a in found]})


async def _one(request: web.Request, agent_id: str) -> web.Response:
    agent, members, login = await request.app[STORE].read(lambda db: (
        agents.get_agent(db, agent_id), agents.list_members(db, agent_id), presence.get_login(db, agent_id)))
    if agent is None:
        raise not_found("agent")
    return web.json_response(_agent_json(agent, members, login, _live_agents(request).get(agent_id)))


async def list_reasons(request: web.Request) -> web.Response:
    require_role(request, *STAFF)
    reasons = await request.app[STORE].read(presence.list_reasons)
    return web.json_response({"reasons": [asdict(r) for r in reasons]})


async def _act(request: web.Request, action: str) -> web.Response:
    require_role(request, *STAFF)
    agent_id = request.match_info["id"]
    control = request.app.get(PRESENCE)
    reason = None
    if action == "pause" and request.can_read_body:
        reason = (await Body.read(request, {"reason"})).text("reason", max_length=32)
    if control is None:
        raise error(web.HTTPServiceUnavailable, "agents' logins need the AMI action user ([ami] action_secret)")
    try:
        if action == "login":
            await control.login(agent_id)
        elif action == "logout":
            await control.logout(agent_id)
        elif action == "pause":
            await control.pause(agent_id, reason)
        else:
            await control.unpause(agent_id)
    except AgentNotFound:
        raise not_found("agent") from None
    except AgentConflict as exc:
        raise error(web.HTTPConflict, str(exc), exc.field, prefix=False) from None
    except AgentError as exc:
        raise bad(str(exc), exc.field) from None
    except ControlError as exc:
        raise error(web.HTTPServiceUnavailable, f"Asterisk: {exc}") from None
    return await _one(request, agent_id)


async def login(request: web.Request) -> web.Response:
    return await _act(request, "login")


async def logout(request: web.Request) -> web.Response:
    return await _act(request, "logout")


async def pause(request: web.Request) -> web.Response:
    return await _act(request, "pause")


async def unpause(request: web.Request) -> web.Response:
    return await _act(request, "unpause")


def _period(q: Query) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    end = q.instant("to", UTC) or now
    start = q.instant("from", UTC) or end - timedelta(days=1)
    if end <= start:
        raise bad_request("must be after from", "to")
    if end - start > MAX_PERIOD:
        raise bad_request(f"the period is at most {MAX_PERIOD.days} days", "from")
    return start, end


async def agent_stats(request: web.Request) -> web.Response:
    require_role(request, *STAFF)
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/agents/stats"]["get"]))
    start, end = _period(q)
    agent_id = q.text("agent", max_length=8)
    now = datetime.now(UTC)
    rows = await request.app[STORE].read(lambda db: agent_states.occupancy(db, start, end, now, agent_id))
    return web.json_response({"period": {"from": start.isoformat(), "to": end.isoformat()}, "agents": rows})


async def agent_timeline(request: web.Request) -> web.Response:
    require_role(request, *STAFF)
    agent_id = request.match_info["id"]
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/agents/{id}/states"]["get"]))
    start, end = _period(q)
    found, rows = await request.app[STORE].read(
        lambda db: (agents.get_agent(db, agent_id), agent_states.timeline(db, agent_id, start, end)))
    if found is None and not rows:
        raise not_found("agent")
    return web.json_response({"agent_id": agent_id, "states": rows})


ROUTES = (
    ("GET", "/api/agents", list_agents),
    ("GET", "/api/agents/reasons", list_reasons),
    ("GET", "/api/agents/stats", agent_stats),
    ("GET", "/api/agents/{id}/states", agent_timeline),
    ("POST", "/api/agents/{id}/login", login),
    ("POST", "/api/agents/{id}/logout", logout),
    ("POST", "/api/agents/{id}/pause", pause),
    ("POST", "/api/agents/{id}/unpause", unpause),
)

_STATE = {"type": ["string", "null"], "enum": [*agent_states.STATES, None]}
_T = {"type": ["string", "null"], "format": "date-time"}
OPENAPI_SCHEMAS: dict = {
    "AgentPresence": {"type": "object", "required": ["id", "name", "queues", "logged_in", "state"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "queues": {"type": "array", "items": {"type": "object", "properties": {
            "queue": {"type": "string"}, "penalty": {"type": "integer", "description": "lower rings first"}}},
            "description": "the queues it may answer (a member of each while logged in)"},
        "logged_in": {"type": "boolean"}, "logged_in_at": _T, "paused": {"type": "boolean"},
        "pause_reason": {"type": ["string", "null"], "description": "a code of GET /api/agents/reasons"},
        "paused_at": _T,
        "state": {**_STATE, "description": "as AMI last told it (null: not heard from Asterisk yet)"},
        "state_since": _T, "state_reason": {"type": ["string", "null"],
                                            "description": "not_ready's: the pause reason, or unavailable"},
        "call": {"type": ["string", "null"], "description": "the call (linkedid) it rings for or is on"}}},
}
_AGENT = {"$ref": "#/components/schemas/AgentPresence"}
_ID = apidoc.path("id", "the agent's extension")
_PERIOD = [apidoc.query("from", "start (inclusive); default: a day before `to`; without an offset, UTC",
                        apidoc.DATE_TIME),
           apidoc.query("to", "end (exclusive); default: now; without an offset, UTC", apidoc.DATE_TIME)]
_WHO = "Admins and supervisors; anyone else gets 404."
_ACT_ERRORS = {**apidoc.errors("401", "404"),
               "409": apidoc.json_body("not logged in (pause), no queue to answer, or none of its queues in "
                                       "Asterisk yet (login)", apidoc.ERROR_SCHEMA),
               "503": apidoc.json_body("the AMI action user is not configured, or Asterisk is unreachable or "
                                       "refused", apidoc.ERROR_SCHEMA)}


def _act_doc(operation_id: str, summary: str, description: str, **extra: object) -> dict:
    return {"post": {"operationId": operation_id, "tags": ["agents"], "summary": summary,
                     "description": f"{description} {_WHO}", "parameters": [_ID],
                     "responses": {"200": apidoc.json_body("the agent as it is now", _AGENT), **_ACT_ERRORS},
                     **extra}}


OPENAPI_PATHS: dict = {
    "/api/agents": {"get": {
        "operationId": "listAgentPresence", "tags": ["agents"],
        "summary": "Every agent: its queues, whether it is logged in or paused, its live state", "description": _WHO,
        "responses": {"200": apidoc.json_body("the agents", {"type": "object", "properties": {
            "agents": {"type": "array", "items": _AGENT}}}), **apidoc.errors("401", "404")}}},
    "/api/agents/reasons": {"get": {
        "operationId": "listPauseReasons", "tags": ["agents"], "summary": "The pause reasons", "description":
            f"code (what a pause gives and Asterisk reports), digit (the phone's *43N), French and English labels. "
            f"{_WHO}",
        "responses": {"200": apidoc.json_body("the reasons", {"type": "object", "properties": {"reasons": {
            "type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "digit": {"type": ["string", "null"]},
                "label_fr": {"type": "string"}, "label_en": {"type": "string"}}}}}}),
            **apidoc.errors("401", "404")}}},
    "/api/agents/stats": {"get": {
        "operationId": "agentOccupancy", "tags": ["agents", "statistics"],
        "summary": "Time per state per agent over a period, occupancy, utilisation, handling time",
        "description": f"Formulas: web/STATS.md (Agents). The current state counts up to now. {_WHO}",
        "parameters": [*_PERIOD, apidoc.query("agent", "one agent (its extension)")],
        "responses": {"200": apidoc.json_body("per agent", {"type": "object", "properties": {
            "period": {"type": "object"}, "agents": {"type": "array", "items": {"type": "object", "properties": {
                "agent_id": {"type": "string"},
                "seconds": {"type": "object", "description": "state → seconds within the period",
                            "properties": {s: {"type": "number"} for s in agent_states.STATES}},
                "not_ready_reasons": {"type": "object", "additionalProperties": {"type": "number"}},
                "logged_in_s": {"type": "number"}, "calls": {"type": "integer"},
                "occupancy": {"type": ["number", "null"]}, "utilisation": {"type": ["number", "null"]},
                "aht_s": {"type": ["number", "null"]}}}}}}),
            **apidoc.errors("400", "401", "404")}}},
    "/api/agents/{id}/states": {"get": {
        "operationId": "agentStateTimeline", "tags": ["agents"],
        "summary": "An agent's state timeline: each state with its start, end (null: still in it), reason, call",
        "description": _WHO, "parameters": [_ID, *_PERIOD],
        "responses": {"200": apidoc.json_body("the states, oldest first", {"type": "object", "properties": {
            "agent_id": {"type": "string"}, "states": {"type": "array", "items": {"type": "object", "properties": {
                "state": _STATE, "reason": {"type": ["string", "null"]}, "linkedid": {"type": ["string", "null"]},
                "queue": {"type": ["string", "null"]}, "started_at": {"type": "string", "format": "date-time"},
                "ended_at": _T}}}}}),
            **apidoc.errors("400", "401", "404")}}},
    "/api/agents/{id}/login": _act_doc(
        "agentLogin", "Log an agent in to the queues it answers",
        "It becomes a member of each (with its penalty) at once; queues Asterisk does not have yet are skipped "
        "(a reload adds them: the back end re-adds who is logged in)."),
    "/api/agents/{id}/logout": _act_doc("agentLogout", "Log an agent out of every queue",
                                        "Logged out already: no change."),
    "/api/agents/{id}/pause": _act_doc(
        "agentPause", "Pause a logged-in agent (not ready), with an optional reason",
        "The queues stop offering it calls; a call in progress goes on.",
        requestBody={"required": False, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"reason": {"type": "string", "description": "a code of GET /api/agents/reasons"}}}}}}),
    "/api/agents/{id}/unpause": _act_doc("agentUnpause", "A paused agent is ready again", ""),
}
