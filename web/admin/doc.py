"""OpenAPI pieces the admin route modules share: their error schema and responses, and who may call."""

from __future__ import annotations

ADMIN_ONLY = "Admins only; anyone else gets 404. A cookie session must send its CSRF token."
READERS = "Admins and supervisors (who read, never change); anyone else gets 404."
TAG = "admin"

_DESCRIPTIONS = {
    "400": "a field is missing, of the wrong type or refused; `field` names it",
    "401": "not logged in",
    "403": "a cookie session sent no CSRF token, or a wrong one",
    "404": "no such thing (or a route this user may not use)",
    "409": "taken already, or in use: `field` names what conflicts",
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def errors(*codes: str) -> dict:
    return {code: {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": ref("AdminError")}}}
            for code in ("401", *codes)}


def ok(description: str, schema: dict | None = None, status: str = "200") -> dict:
    if schema is None:
        return {status: {"description": description}}
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


def body(schema: dict, description: str = "JSON object; unknown fields are refused") -> dict:
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


def path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def operation(operation_id: str, summary: str, responses: dict, *, who: str = ADMIN_ONLY,
              description: str = "", **extra: object) -> dict:
    return {"operationId": operation_id, "tags": [TAG], "summary": summary,
            "description": f"{description} {who}".strip(), "responses": responses, **extra}


OPENAPI_PATHS: dict = {}
OPENAPI_SCHEMAS: dict = {
    "AdminError": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string", "description": "what was wrong, starting with the field's name when one was"},
        "field": {"type": "string", "description": "the body field (or path id) that was refused"},
        "problems": {"type": "array", "items": ref("MenuProblem"),
                     "description": "menus refused: every problem of every file"},
        "errors": {"type": "array", "items": {"type": "string"},
                   "description": "Asterisk configuration: every error found"}}},
    "MenuProblem": {"type": "object", "required": ["source", "message", "text"], "properties": {
        "source": {"type": "string", "description": "the file (the `source` given with the menu)"},
        "node": {"type": ["string", "null"]}, "field": {"type": ["string", "null"]},
        "line": {"type": ["integer", "null"]}, "message": {"type": "string"},
        "text": {"type": "string", "description": "the line `permanence ivr check` prints"}}},
}
