"""Admin API: a client's script — the questions its agents ask — replaced whole (callscript's rules:
a refusal names the question and its field, and keeps the script as it was); supervisors read it."""

from __future__ import annotations

from aiohttp import web

from callscript import TYPES, ScriptError
from callscript import model as script_model
from store import scripts as store_scripts

from ..auth import require_role
from . import doc
from .body import Body, bad, error, read, write
from .directory import client_or_404


async def get_script(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    code = await client_or_404(request)
    script = await read(request, lambda db: store_scripts.get_script(db, code))
    return web.json_response({"client": code, "questions": script.as_json()["questions"] if script else []})


async def put_script(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    body = await Body.read(request, {"questions"})
    if "questions" not in body:
        raise bad("missing", "questions")
    try:
        script = await write(request, lambda db: store_scripts.set_script(db, code, body.raw("questions")))
    except ScriptError as exc:
        # The message names the question by index and key already: not prefixed again.
        raise error(web.HTTPBadRequest, str(exc), exc.field, prefix=False) from None
    return web.json_response({"client": code, "questions": script.as_json()["questions"]})


async def delete_script(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    await write(request, lambda db: store_scripts.clear_script(db, code))
    return web.Response(status=204)


_TEXTS = {"type": "object", "additionalProperties": False, "description": "French and English; one at least",
          "properties": {"fr": {"type": "string", "maxLength": script_model.MAX_TEXT},
                         "en": {"type": "string", "maxLength": script_model.MAX_TEXT}}}
_VALUE = {"type": ["string", "number", "boolean"]}
OPENAPI_SCHEMAS: dict = {
    "ScriptQuestion": {
        "type": "object", "required": ["key", "text", "type"], "additionalProperties": False, "properties": {
            "key": {"type": "string", "pattern": script_model.KEY.pattern,
                    "description": "the message field the answer fills (reports group messages by it)"},
            "text": _TEXTS,
            "type": {"type": "string", "enum": list(TYPES),
                     "description": "phone: kept in E.164; email: normalised; number; date: YYYY-MM-DD; "
                                    "choice: one of `choices`' values; yes_no: true or false"},
            "required": {"type": "boolean", "default": False},
            "choices": {"type": "array", "maxItems": script_model.MAX_CHOICES, "items": {
                "type": "object", "required": ["value"], "properties": {
                    "value": {"type": "string", "pattern": script_model.KEY.pattern},
                    "fr": {"type": "string"}, "en": {"type": "string"}}},
                "description": "choice questions only"},
            "conditions": {"type": "array", "maxItems": script_model.MAX_CONDITIONS,
                           "description": "shown only when every condition holds on an earlier question's answer",
                           "items": {"oneOf": [
                               {"type": "object", "required": ["key", "equals"], "additionalProperties": False,
                                "properties": {"key": {"type": "string"}, "equals": _VALUE}},
                               {"type": "object", "required": ["key", "in"], "additionalProperties": False,
                                "properties": {"key": {"type": "string"},
                                               "in": {"type": "array", "items": _VALUE, "minItems": 1}}}]}}}},
}
_SCRIPT = {"type": "object", "properties": {
    "client": {"type": "string"},
    "questions": {"type": "array", "items": doc.ref("ScriptQuestion"), "description": "in the order asked"}}}
_CODE = doc.path("code", "client code")
OPENAPI_PATHS: dict = {
    "/api/admin/clients/{code}/script": {
        "parameters": [_CODE],
        "get": doc.operation("adminGetScript", "A client's script (no questions: it has none)", {
            **doc.ok("The script as kept", _SCRIPT), **doc.errors("404")}, who=doc.READERS),
        "put": doc.operation("adminPutScript", "Set (replace) a client's script", {
            **doc.ok("The script as kept", _SCRIPT), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": ["questions"], "additionalProperties": False,
                                  "properties": {"questions": {"type": "array", "maxItems": script_model.MAX_QUESTIONS,
                                                               "items": doc.ref("ScriptQuestion")}}}),
            description="A refusal's `field` names the question and its part, e.g. questions[2].choices[0].value; "
                        "a condition may only name an earlier question. An empty list removes the script."),
        "delete": doc.operation("adminDeleteScript", "Remove a client's script", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404")}),
    },
}
