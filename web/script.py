"""The client's script on a call, for the agent it reached: `GET /api/calls/{linkedid}/script` gives the
questions in the caller's language, pre-filled from the caller's record and last message;
`POST /api/calls/{linkedid}/script` checks the answers again and takes them as the call's message (its
dispatch starts by the client's protocol). Agents only, and only a call that reached them: anything else
is 404, as for anything they may not see.

Whose call it is comes from the store (the call's row once written, else the caller's record the dnis
route touched) or, for a call the store cannot place yet, from the agent's own screen pop of it.
"""

from __future__ import annotations

from aiohttp import web

from callscript import KINDS
from store import desk
from store import scripts as store_scripts
from store.messages import MessageError
from store.scripts import AnswersRefused, CallContext

from . import apidoc
from .admin.body import Body, bad, error
from .auth import require_role
from .keys import POPS, STORE
from .messages import MESSAGING
from .query import not_found


def _from_pop(request: web.Request, agent: str, linkedid: str) -> CallContext | None:
    pops = request.app.get(POPS)
    if pops is None:
        return None
    for _seq, kind, data in reversed(pops.since(agent, 0)):
        client = data.get("client") if kind == "pop" and data.get("linkedid") == linkedid else None
        if client:
            return CallContext(client["code"], (data.get("caller") or {}).get("number"))
    return None


async def _call(request: web.Request) -> tuple[str, str, CallContext]:
    """(the agent's login, the call, whose call it is) for a call that reached this agent; 404 otherwise."""
    user = require_role(request, "agent")
    agent, linkedid = user.agent_id or "", request.match_info["linkedid"]

    def look(db) -> CallContext | bool | None:
        if not desk.reached(db, agent, linkedid):
            return False
        return store_scripts.call_context(db, linkedid)

    found = await request.app[STORE].read(look)
    if found is False:
        raise not_found("call")
    context = found or _from_pop(request, agent, linkedid)
    if context is None:
        raise not_found("call")  # reached them, but whose call it is is not known yet
    return user.login, linkedid, context


async def get_call_script(request: web.Request) -> web.Response:
    _, linkedid, context = await _call(request)
    region = request.app[MESSAGING].default_region
    form = await request.app[STORE].read(lambda db: store_scripts.call_form(db, linkedid, context, region))
    return web.json_response(form)


async def take_message(request: web.Request) -> web.Response:
    login, linkedid, context = await _call(request)
    body = await Body.read(request, {"answers"})
    answers = body.raw("answers")
    if not isinstance(answers, dict):
        raise bad("must be an object of question key → answer", "answers")
    region = request.app[MESSAGING].default_region
    try:
        message = await request.app[STORE].write(
            lambda db: store_scripts.take_message(db, linkedid, context, login, answers, region))
    except AnswersRefused as exc:
        raise error(web.HTTPBadRequest, str(exc), exc.field, prefix=False, errors=exc.errors,
                    kinds=exc.kinds) from None
    except MessageError as exc:
        raise bad(str(exc), exc.field) from None
    request.app[MESSAGING].wake()
    return web.json_response(message.as_json(), status=201, headers={"Location": f"/api/messages/{message.id}"})


_QUESTION = {"$ref": "#/components/schemas/ScriptQuestion"}
_FORM = {"type": "object", "properties": {
    "linkedid": {"type": "string"}, "client_code": {"type": "string"},
    "language": {"type": "string", "enum": ["fr", "en"],
                 "description": "the caller's: their choice in the IVR, else the client's"},
    "questions": {"type": "array", "items": _QUESTION, "description": "none: the client has no script"},
    "prefill": {"type": "object", "description": "question key → answer: the caller's number, and the answers of "
                                                 "their last message for this client where the keys match"},
    "messages": {"type": "array", "items": {"type": "integer"},
                 "description": "the ids of the messages already taken on this call"}}}
_REFUSED = {"type": "object", "properties": {
    "error": {"type": "string"}, "field": {"type": "string", "description": "the first bad answer's question key"},
    "errors": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "every bad answer: question key → why (required, not a phone number…)"},
    "kinds": {"type": "object", "additionalProperties": {"type": "string", "enum": [*KINDS, "answers"]},
              "description": "each bad answer's kind, for a page to say it in its own language"}}}
_LINKEDID = apidoc.path("linkedid", "the call's id")
OPENAPI_PATHS: dict = {
    "/api/calls/{linkedid}/script": {
        "get": {"operationId": "getCallScript", "tags": ["desk"], "parameters": [_LINKEDID],
                "summary": "The client's script for a call that reached the agent, pre-filled (agents only)",
                "responses": {"200": apidoc.json_body("The form", _FORM), **apidoc.errors("401", "404")}},
        "post": {"operationId": "takeCallMessage", "tags": ["desk"], "parameters": [_LINKEDID],
                 "summary": "The script's answers taken as the call's message (agents only)",
                 "description": "Checked against the client's script as it is now: questions hidden by their "
                                "conditions are dropped, required ones must be answered, each answer is read by "
                                "its type. The message's dispatch starts at once. A browser session sends its "
                                "CSRF token. A call that did not reach the agent is 404.",
                 "requestBody": {"required": True, **apidoc.json_body("The answers", {
                     "type": "object", "required": ["answers"], "properties": {"answers": {
                         "type": "object", "description": "question key → answer"}}})},
                 "responses": {"201": apidoc.json_body("The message taken", {"$ref": "#/components/schemas/Message"}),
                               "400": apidoc.json_body("Answers refused", _REFUSED),
                               "403": {"description": "CSRF token missing or wrong (cookie sessions)"},
                               **apidoc.errors("401", "404")}},
    },
}
