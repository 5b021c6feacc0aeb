"""Pieces of OpenAPI 3.1 the route modules build their OPENAPI_PATHS from, so that every route
describes its parameters and errors the same way (web.openapi gathers the modules' OPENAPI_PATHS)."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what was wrong, naming the parameter when one was"},
        "parameter": {"type": "string", "description": "the query parameter that was refused"},
    },
}
_ERRORS = {
    "400": "a parameter is malformed, out of range or unknown; `parameter` names it",
    "401": "not logged in",
    "404": "no such thing, or not yours to see (the same answer either way)",
    "410": "the recording existed but its file was purged",
}


def errors(*codes: str) -> dict:
    return {code: {"description": _ERRORS[code], "content": {"application/json": {"schema": ERROR_SCHEMA}}}
            for code in codes}


def query(name: str, description: str, schema: dict | None = None, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}, **extra}


def path(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def json_body(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def query_names(operation: dict) -> frozenset[str]:
    """The query parameters an operation documents: the only ones its handler accepts."""
    return frozenset(p["name"] for p in operation.get("parameters", ()) if p["in"] == "query")


DATE_TIME = {"type": "string", "description": "ISO 8601 date or date-time", "examples": ["2026-01-31",
                                                                                        "2026-01-31T08:00:00-05:00"]}
PERIOD_NOTE = ("Without an offset it is read in the client's time zone (the one client in view), else UTC.")
CURSOR = query("cursor", "opaque position from the previous page's `next_cursor`")
