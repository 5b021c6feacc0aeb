"""Messages: taken through the API (admins and agents), read by their client with the whole history of
their dispatch; the dispatcher acknowledges a failed one; each client's dispatch protocol.

A message, or a client, the caller may not see is 404, as everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from store import desk, dispatch, messages, protocols, sms_delivery
from store.clock import now_iso
from store.messages import MessageError
from store.protocols import ProtocolError

from . import apidoc
from .auth import require_role, scope_of
from .calls import client_in_view, client_param
from .keys import STORE, USER
from .query import Query, bad_request, not_found

MESSAGE_WRITERS = ("admin", "agent")  # an agent takes a message on a call; an admin may too


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class MessagingSettings:
    """What the messaging routes need from the process: the SMS replies' shared token (empty: no SMS
    come in) and the dispatcher's wake-up (a new message or a confirmation is looked at at once)."""

    inbound_token: str = ""
    default_region: str = "CA"
    wake: Callable[[], None] = field(default=_nothing)


MESSAGING = web.AppKey("messaging", MessagingSettings)


def _error(exc_class: type[web.HTTPException], message: str, field_name: str | None) -> web.HTTPException:
    body = {"error": f"{field_name}: {message}" if field_name and not message.startswith(field_name) else message}
    if field_name:
        body["field"] = field_name
    return exc_class(text=json.dumps(body), content_type="application/json")


async def _body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise _error(web.HTTPBadRequest, "the body must be a JSON object", None) from None
    if not isinstance(body, dict):
        raise _error(web.HTTPBadRequest, "the body must be a JSON object", None)
    return body


def _message_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 18:
        raise not_found("message")
    return int(text)


async def create_message(request: web.Request) -> web.Response:
    """POST /api/messages: take a message for a client; its dispatch starts at once."""
    user = require_role(request, *MESSAGE_WRITERS)
    body = await _body(request)
    unknown = set(body) - {"client_code", "linkedid", "text", "fields"}
    if unknown:
        name = sorted(unknown)[0]
        raise _error(web.HTTPBadRequest, "unknown field; a message takes client_code, linkedid, text, fields", name)
    linkedid = body.get("linkedid")

    def create(db):
        # An agent takes a message on a call that reached them (their screen popped it, or they answered).
        if user.role == "agent" and not (isinstance(linkedid, str) and desk.reached(db, user.agent_id or "", linkedid)):
            return None
        return messages.create_message(db, body.get("client_code"), user.login, text=body.get("text"),
                                       fields=body.get("fields"), linkedid=linkedid)

    if user.role == "agent" and linkedid is None:
        raise _error(web.HTTPBadRequest, "an agent takes a message on a call: the call's linkedid is required",
                     "linkedid")
    try:
        message = await request.app[STORE].write(create)
    except MessageError as exc:
        raise _error(web.HTTPBadRequest, str(exc), exc.field) from None
    if message is None:
        raise not_found("call")
    request.app[MESSAGING].wake()
    return web.json_response(message.as_json(), status=201,
                             headers={"Location": f"/api/messages/{message.id}"})


async def list_messages(request: web.Request) -> web.Response:
    """GET /api/messages: newest first, in pages (`before` the last id of the previous page)."""
    q = Query(request, ("client", "status", "linkedid", "before", "limit"))
    scope = scope_of(request[USER])
    store = request.app[STORE]
    view = await client_in_view(store, scope, client_param(q))
    status = q.text("status")
    if status is not None and status not in messages.STATUSES:
        raise bad_request(f"one of {', '.join(messages.STATUSES)}", "status")
    linkedid = q.text("linkedid")
    before = q.text("before")
    if before is not None and not before.isdigit():
        raise bad_request("a message id", "before")
    limit = q.text("limit") or "100"
    if not limit.isdigit() or not 1 <= int(limit) <= messages.MAX_PAGE:
        raise bad_request(f"a number from 1 to {messages.MAX_PAGE}", "limit")
    found = await store.read(lambda db: messages.list_messages(
        db, scope, client_code=view.code if view else None, status=status, linkedid=linkedid,
        before=int(before) if before else None, limit=int(limit)))
    page = [m.as_json() for m in found]
    more = len(found) == int(limit)
    return web.json_response({"messages": page, "next_before": page[-1]["id"] if page and more else None})


async def get_message(request: web.Request) -> web.Response:
    """GET /api/messages/{id}: the message and every attempt of its dispatch."""
    message_id = _message_id(request)
    scope = scope_of(request[USER])

    def read(db):
        message = messages.get_message(db, scope, message_id)
        return (message, messages.history(db, message_id)) if message else None

    found = await request.app[STORE].read(read)
    if found is None:
        raise not_found("message")
    message, entries = found
    return web.json_response({**message.as_json(), "history": [e.as_json() for e in entries]})


async def acknowledge(request: web.Request) -> web.Response:
    """POST /api/messages/{id}/acknowledge: the dispatcher takes a failed message in hand."""
    user = require_role(request, "admin")
    message_id = _message_id(request)

    def write(db):
        if messages.get_message(db, scope_of(user), message_id) is None:
            return None
        return dispatch.acknowledge(db, message_id, user.login, now_iso())

    done = await request.app[STORE].write(write)
    if done is None:
        raise not_found("message")
    if not done:
        raise _error(web.HTTPConflict, "only a failed message not yet acknowledged can be", None)
    request.app[MESSAGING].wake()
    return web.Response(status=204)


async def get_protocol(request: web.Request) -> web.Response:
    """GET /api/dispatch/protocols/{client}: the client's steps (the default ones if it has none)."""
    scope = scope_of(request[USER])
    store = request.app[STORE]
    view = await client_in_view(store, scope, request.match_info["client"])
    assert view is not None
    steps, own = await store.read(lambda db: (protocols.get_protocol(db, view.code),
                                              protocols.has_protocol(db, view.code)))
    return web.json_response({"client_code": view.code, "default": not own, "steps": [s.as_json() for s in steps]})


async def put_protocol(request: web.Request) -> web.Response:
    """PUT /api/dispatch/protocols/{client}: replace the client's steps (admins)."""
    require_role(request, "admin")
    code = request.match_info["client"]
    body = await _body(request)
    try:
        steps = await request.app[STORE].write(lambda db: protocols.set_protocol(db, code, body.get("steps")))
    except ProtocolError as exc:
        if exc.field == "client_code":
            raise not_found("client") from None
        raise _error(web.HTTPBadRequest, str(exc), exc.field) from None
    return web.json_response({"client_code": code, "default": False, "steps": [s.as_json() for s in steps]})


_ID = apidoc.path("id", "the message's id", {"type": "integer"})
_CLIENT = apidoc.path("client", "the client code", {"type": "string", "pattern": "^[0-9]{4,5}$"})

OPENAPI_SCHEMAS: dict = {
    "DispatchStep": {"type": "object", "required": ["channel"], "properties": {
        "channel": {"type": "string", "enum": ["sms", "phone", "email", "alert"]},
        "to": {"oneOf": [{"const": "on_call"}, {"type": "integer", "minimum": 1}],
               "description": "the on-call contact at that moment, or a contact's id"},
        "wait_s": {"type": "integer", "minimum": 1, "description": "seconds a confirmation is waited for"},
        "code_length": {"type": "integer", "minimum": 1, "maximum": 4, "description": "SMS: the code's length"},
        "schedule": {"type": "string", "default": "default",
                     "description": "on_call steps: which of the client's on-call schedules (left out: default)"}}},
    "Message": {"type": "object", "required": ["id", "client_code", "text", "status", "created_at"], "properties": {
        "id": {"type": "integer"}, "client_code": {"type": "string"}, "linkedid": {"type": ["string", "null"]},
        "fields": {"type": "object"}, "text": {"type": "string"}, "created_at": {"type": "string"},
        "created_by": {"type": "string"},
        "status": {"type": "string", "enum": list(messages.STATUSES)},
        "step": {"type": ["integer", "null"], "description": "the step running (index in steps)"},
        "deadline": {"type": ["string", "null"], "description": "when the running step is given up"},
        "confirmed_at": {"type": ["string", "null"]}, "confirmed_by": {"type": ["string", "null"]},
        "steps": {"type": "array", "items": {"$ref": "#/components/schemas/DispatchStep"}}}},
    "MessageHistoryEntry": {"type": "object", "properties": {
        "id": {"type": "integer"}, "step": {"type": ["integer", "null"]},
        "channel": {"type": "string", "enum": ["sms", "phone", "email", "alert"]},
        "recipient": {"type": ["string", "null"]}, "contact_id": {"type": ["integer", "null"]},
        "at": {"type": "string"},
        "result": {"type": "string", "description": "sending, sent, failed, no_reply, no_answer, not_confirmed, "
                                                    "confirmed, wrong_code, late, alerted, acknowledged; an SMS's "
                                                    "delivery reports: sms_accepted (by the SMS centre), "
                                                    "sms_delivered (to the phone), sms_undelivered, sms_rejected "
                                                    "(by the SMS centre; detail: what it answered)"},
        "confirmed_by": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]},
        "deadline": {"type": ["string", "null"]}, "detail": {"type": "string"},
        "delivery": {"type": ["string", "null"], "enum": [*sms_delivery.STATES, None],
                     "description": "an SMS attempt's delivery state, from its latest report (a final one is "
                                    "never replaced by accepted); null before any report and on other entries"},
        "delivery_at": {"type": ["string", "null"], "description": "when that report came"}}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_MESSAGE = {"$ref": "#/components/schemas/Message"}
_PROTOCOL = {"type": "object", "properties": {
    "client_code": {"type": "string"}, "default": {"type": "boolean"},
    "steps": {"type": "array", "items": {"$ref": "#/components/schemas/DispatchStep"}}}}

OPENAPI_PATHS: dict = {
    "/api/messages": {
        "get": {"operationId": "listMessages", "tags": ["messages"], "summary": "Messages, newest first",
                "parameters": [apidoc.query("client", "one client's (admins and supervisors)"),
                               apidoc.query("status", "pending, dispatching, delivered or failed"),
                               apidoc.query("linkedid", "the call's"),
                               apidoc.query("before", "ids below this one (the previous page's next_before)"),
                               apidoc.query("limit", "page size, 1-500 (100)", {"type": "integer"})],
                "responses": {"200": _json({"type": "object", "properties": {
                    "messages": {"type": "array", "items": _MESSAGE},
                    "next_before": {"type": ["integer", "null"]}}}, "A page"), **apidoc.errors("400", "401", "404")}},
        "post": {"operationId": "createMessage", "tags": ["messages"],
                 "summary": "Take a message for a client (admins, agents); its dispatch starts at once",
                 "requestBody": {"required": True, **apidoc.json_body("The message", {
                     "type": "object", "required": ["client_code"], "properties": {
                         "client_code": {"type": "string"}, "linkedid": {"type": "string"},
                         "text": {"type": "string", "description": "plain text; made of the fields if absent"},
                         "fields": {"type": "object", "description": "the fields collected, name → value"}}})},
                 "responses": {"201": _json(_MESSAGE, "Taken"), **apidoc.errors("400", "401", "404")}}},
    "/api/messages/{id}": {"get": {
        "operationId": "getMessage", "tags": ["messages"], "summary": "A message with its dispatch history",
        "parameters": [_ID],
        "responses": {"200": _json({"allOf": [_MESSAGE, {"type": "object", "properties": {"history": {
            "type": "array", "items": {"$ref": "#/components/schemas/MessageHistoryEntry"}}}}]},
            "The message"), **apidoc.errors("401", "404")}}},
    "/api/messages/{id}/acknowledge": {"post": {
        "operationId": "acknowledgeMessage", "tags": ["messages"],
        "summary": "The dispatcher takes a failed message in hand (admins): its alert leaves the live view",
        "parameters": [_ID],
        "responses": {"204": {"description": "Acknowledged"}, **apidoc.errors("401", "404"),
                      "409": _json({"$ref": "#/components/schemas/Error"}, "Not failed, or acknowledged already")}}},
    "/api/dispatch/protocols/{client}": {
        "get": {"operationId": "getProtocol", "tags": ["messages"],
                "summary": "The client's dispatch steps (the default ones if it has none)", "parameters": [_CLIENT],
                "responses": {"200": _json(_PROTOCOL, "The protocol"), **apidoc.errors("401", "404")}},
        "put": {"operationId": "putProtocol", "tags": ["messages"],
                "summary": "Replace the client's dispatch steps (admins); an alert step is added at the end",
                "parameters": [_CLIENT],
                "requestBody": {"required": True, **apidoc.json_body("The steps", {
                    "type": "object", "required": ["steps"], "properties": {"steps": {
                        "type": "array", "items": {"$ref": "#/components/schemas/DispatchStep"}}}})},
                "responses": {"200": _json(_PROTOCOL, "Kept"), **apidoc.errors("400", "401", "404")}}},
}
