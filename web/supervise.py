"""`POST /api/supervise`: a supervisor (or an admin) listens to, whispers to or barges into an agent's
current call. Their own softphone — the agent id their account is bound to — rings; answered, it is
in ChanSpy on the agent's channel (ami.originate). Nobody names the phone that rings: a supervisor
cannot make someone else's phone listen.
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiohttp import web

from store.agents import AGENT_ID

from . import apidoc
from .admin.body import Body, bad, error
from .auth import require_role
from .desk import PopsView
from .keys import ORIGINATOR, POPS

log = logging.getLogger(__name__)


MODES = ("listen", "whisper", "barge")


class SpyOriginator(Protocol):
    """What places the call (ami.originate.Originator): ValueError for a request it will not send, an
    OSError or RuntimeError (ami.originate.OriginateError) when Asterisk refuses or is not reached."""

    async def spy(self, phone: str, agent: str, channel: str, mode: str) -> None: ...


async def supervise(request: web.Request) -> web.Response:
    user = require_role(request, "admin", "supervisor")
    body = await Body.read(request, {"agent", "mode"})
    agent = body.text("agent", required=True, max_length=8) or ""
    mode = body.text("mode", required=True, max_length=16) or ""
    if not AGENT_ID.match(agent):
        raise bad(f"an agent id is 3 to 6 digits, got {agent!r}", "agent")
    if mode not in MODES:
        raise bad(f"must be one of {', '.join(MODES)}, got {mode!r}", "mode")
    if not user.agent_id:
        raise bad(f"user {user.login} has no softphone to listen on: bind the account to an agent id "
                  "(permanence users add … --agent ID)", "agent")
    if user.agent_id == agent:
        raise bad("one cannot listen to one's own calls", "agent")
    pops: PopsView | None = request.app.get(POPS)
    originator: SpyOriginator | None = request.app.get(ORIGINATOR)
    if pops is None or originator is None:
        raise error(web.HTTPServiceUnavailable, "supervision is off: [ami] originate_secret is not set")
    channel = pops.channel(agent)
    if channel is None:
        raise error(web.HTTPConflict, f"agent {agent} is not on a call", "agent")
    try:
        await originator.spy(user.agent_id, agent, channel, mode)
    except ValueError as exc:
        raise error(web.HTTPConflict, f"agent {agent}'s call cannot be listened to: {exc}", "agent") from None
    except (RuntimeError, OSError) as exc:
        log.warning("supervise: %s on %s by %s refused: %s", mode, channel, user.login, exc)
        raise error(web.HTTPBadGateway, f"Asterisk did not place the call: {exc}") from None
    log.info("supervise: %s (%s) %s agent %s's call on %s", user.login, user.agent_id, mode, agent, channel)
    return web.json_response({"agent": agent, "mode": mode, "phone": user.agent_id, "channel": channel},
                             status=202)


OPENAPI_PATHS: dict = {
    "/api/supervise": {"post": {
        "operationId": "supervise",
        "tags": ["desk"],
        "summary": "Listen to, whisper to or barge into an agent's current call (supervisors and admins)",
        "description": "The user's own softphone (the agent id their account is bound to) rings; answered, "
                       "it hears the call (listen), speaks to the agent alone (whisper) or to both (barge), "
                       "until the agent's call ends. 202 once Asterisk has queued the call; 409 if the agent "
                       "is on no call; 503 when no originate user is configured. Anyone else gets 404.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["agent", "mode"], "additionalProperties": False, "properties": {
                "agent": {"type": "string", "pattern": AGENT_ID.pattern},
                "mode": {"type": "string", "enum": list(MODES)}}}}}},
        "responses": {
            "202": apidoc.json_body("the call is placed", {"type": "object", "properties": {
                "agent": {"type": "string"}, "mode": {"type": "string"}, "phone": {"type": "string"},
                "channel": {"type": "string"}}}),
            "403": {"description": "CSRF token missing or wrong (cookie sessions)"},
            "409": {"description": "the agent is on no call"},
            "502": {"description": "Asterisk refused or could not be reached"},
            "503": {"description": "supervision is not configured"},
            **apidoc.errors("400", "401", "404"),
        },
    }},
}
