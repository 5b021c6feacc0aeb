"""The agent's desk over HTTP: the agent's own stream of screen pops, and the wrap-up of a call.

`GET /api/agent/events` (agents only) streams, as Server-Sent Events, the pops of the calls that reach
the logged-in agent's softphone (callback conversations included: whether the caller answered) and the end
of each — never anyone else's: the stream has no parameter,
the agent is the user's own. `POST /api/calls/{linkedid}/wrapup` sets the disposition code and notes of
a call that reached that agent; any other call is 404, as for anything they may not see.
"""

from __future__ import annotations

import json
from typing import Protocol

from aiohttp import web

from store import desk

from . import apidoc
from .admin.body import Body, bad
from .auth import require_role
from .keys import POPS, STORE
from .query import not_found
from .sessions import FORM_TYPES

HEARTBEAT_S = 15.0


class PopsView(Protocol):
    """What the AMI listener's screen pops offer the web app (ami.screenpop.ScreenPops)."""

    seq: int

    def current(self, agent: str) -> dict | None: ...

    def channel(self, agent: str) -> str | None: ...

    def since(self, agent: str, seq: int) -> list[tuple[int, str, dict]]: ...

    async def changed(self, since: int, timeout: float) -> bool: ...


def _event(seq: int, kind: str, data: dict) -> bytes:
    return f"id: {seq}\nevent: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def agent_events(request: web.Request) -> web.StreamResponse:
    user = require_role(request, "agent")
    pops: PopsView | None = request.app.get(POPS)
    if pops is None or not user.agent_id:
        raise not_found("stream")
    agent = user.agent_id
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    seen = pops.seq
    current = pops.current(agent)
    try:
        # Who opens the page during a call sees that call at once.
        await response.write(_event(seen, "pop", current) if current else b": ready\n\n")
        while True:
            if not await pops.changed(seen, HEARTBEAT_S):
                await response.write(b": keep-alive\n\n")
                continue
            news = pops.since(agent, seen)
            seen = pops.seq
            for seq, kind, data in news:
                await response.write(_event(seq, kind, data))
    except ConnectionResetError:
        return response  # the page went away: nothing to report


async def _fields(request: web.Request) -> tuple[str, str]:
    if request.content_type in FORM_TYPES:
        form = await request.post()
        code, notes = form.get("code"), form.get("notes", "")
        if not isinstance(code, str) or not isinstance(notes, str):
            raise bad("code (text) is required", "code")
        return code, notes
    body = await Body.read(request, {"code", "notes"})
    return body.text("code", required=True, max_length=64) or "", \
        body.text("notes", max_length=desk.MAX_NOTES) or ""


async def set_wrapup(request: web.Request) -> web.Response:
    user = require_role(request, "agent")
    linkedid = request.match_info["linkedid"]
    agent = user.agent_id or ""
    store = request.app[STORE]
    # Not theirs: 404 before the body is even read, whatever it holds.
    if not await store.read(lambda db: desk.reached(db, agent, linkedid)):
        raise not_found("call")
    code, notes = await _fields(request)
    try:
        wrapup = await store.write(lambda db: desk.set_wrapup(db, linkedid, agent, user.login, code, notes))
    except desk.DeskError as exc:
        raise bad(str(exc), exc.field) from None
    return web.json_response({"linkedid": wrapup.linkedid, "agent_id": wrapup.agent_id, "code": wrapup.code,
                              "notes": wrapup.notes, "login": wrapup.login, "updated_at": wrapup.updated_at})


WRAPUP_SCHEMA = {"type": ["object", "null"], "description": "the agent's wrap-up (disposition code and notes)",
                 "properties": {"agent_id": {"type": "string"},
                                "code": {"type": "string", "enum": list(desk.WRAPUP_CODES)},
                                "notes": {"type": "string"}, "login": {"type": "string"},
                                "updated_at": {"type": "string", "format": "date-time"}}}
OPENAPI_PATHS: dict = {
    "/api/agent/events": {"get": {
        "operationId": "getAgentEvents",
        "tags": ["desk"],
        "summary": "The logged-in agent's screen pops as Server-Sent Events (agents only)",
        "description": "A `pop` event when a call reaches the agent: the caller's record and earlier calls "
                       "(with their wrap-ups), the client (code, name, language, InfoPages), the number dialled "
                       "and its label, the queue and "
                       "the IVR path so far; an `ended` event when the call leaves them. A callback "
                       "conversation pops when the agent answers, before the caller is dialled: its `callback` "
                       "(`of` the call the caller asked from, `of_started_at`, `request`, `attempt` — the how "
                       "many-th time the caller is dialled —, `number`, `queue`, `queued_at`, `requested_at`, "
                       "`waited_s` in the queue, `caller`: dialling, answered or not_reached) and that call's "
                       "IVR path; a `callback` event (`caller`, the dial `status`, `at`) when the caller answers "
                       "or is not reached; `ended` (with `caller`) when the agent's leg hangs up. On opening, the "
                       "pop of the call the agent is on, if any. Only the agent's own calls; anyone else gets 404.",
        "responses": {
            "200": {"description": "The event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **apidoc.errors("401", "404"),
        },
    }},
    "/api/calls/{linkedid}/wrapup": {"post": {
        "operationId": "setWrapup",
        "tags": ["desk"],
        "summary": "Set the disposition code and notes of a call that reached the agent (agents only)",
        "description": "While the call runs or afterwards; a second wrap-up replaces the first. JSON or a "
                       "form; a browser session sends its CSRF token. A call that did not reach the agent "
                       "is 404.",
        "parameters": [apidoc.path("linkedid", "the call's id")],
        "requestBody": {"required": True, "content": {
            ct: {"schema": {"type": "object", "required": ["code"], "properties": {
                "code": {"type": "string", "enum": list(desk.WRAPUP_CODES)},
                "notes": {"type": "string", "maxLength": desk.MAX_NOTES}}}}
            for ct in ("application/json", "application/x-www-form-urlencoded")}},
        "responses": {
            "200": apidoc.json_body("the wrap-up as kept", WRAPUP_SCHEMA),
            "403": {"description": "CSRF token missing or wrong (cookie sessions)"},
            **apidoc.errors("400", "401", "404"),
        },
    }},
}
