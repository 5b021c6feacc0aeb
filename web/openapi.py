"""`GET /openapi.json`: the API described in OpenAPI 3.1, merged from the route modules' own constants.

Every route module of web/ defines `OPENAPI_PATHS` (an OpenAPI path, `{param}` style → path item) and
may define `OPENAPI_SCHEMAS` (name → schema, published under components/schemas). DOCUMENTED lists
those modules explicitly; tests/web/test_openapi.py walks the router of a fully built app and fails
for a route missing from the document or a documented operation that is not routed — so a module left
out of DOCUMENTED fails there, not silently in production.

Shared pieces a module may `$ref`: #/components/schemas/Error and #/components/responses/{BadRequest,
Unauthorized, NotFound, Gone, TooManyRequests}. Operations are authenticated by the bearer token or
the session cookie unless they say otherwise (`"security": []` for a public one).
"""

from __future__ import annotations

from importlib import metadata
from types import ModuleType

from aiohttp import web

from . import (
    admin,
    agents,
    auth,
    calls,
    confirm,
    desk,
    directory,
    health,
    live,
    messages,
    metrics,
    oncall,
    pages,
    recordings,
    reports,
    script,
    sms_delivery,
    stats,
    supervise,
)

DOCUMENTED: tuple[ModuleType, ...] = (auth, calls, recordings, stats, agents, live, desk, script, supervise, directory,
                                      oncall, messages, confirm, sms_delivery, reports, health, metrics,
                                      *pages.DOCUMENTED, *admin.DOCUMENTED)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


COMPONENTS: dict = {
    "securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer",
                       "description": "The token POST /api/login returns: `Authorization: Bearer <token>`"},
        "cookieAuth": {"type": "apiKey", "in": "cookie", "name": auth.COOKIE,
                       "description": "The browser's session cookie, set at login"},
        "metricsToken": {"type": "http", "scheme": "bearer",
                         "description": "The scrape token of the configuration's `[web] metrics_token`"},
    },
    "responses": {
        "BadRequest": _error_response("The request is malformed; the message says what is wrong"),
        "Unauthorized": _error_response("No valid credentials"),
        "NotFound": _error_response("No such thing, or not one the caller may see"),
        "Gone": _error_response("It existed and has been removed"),
        "TooManyRequests": _error_response("Too many attempts; Retry-After says when to try again"),
    },
    "schemas": {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    },
}


def version() -> str:
    try:
        return metadata.version("permanence")
    except metadata.PackageNotFoundError:
        return "0+unknown"  # run from a checkout that was never installed


def _merge(into: dict, additions: dict, what: str, source: str) -> None:
    for key, value in additions.items():
        if key in into:
            raise ValueError(f"{source}: {what} {key!r} is already defined by another module")
        into[key] = value


def document(modules: tuple[ModuleType, ...] = DOCUMENTED) -> dict:
    """The whole document; a path or schema defined twice is a programming error (ValueError)."""
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = dict(COMPONENTS["schemas"])
    sources: list[tuple[str, dict, dict]] = [(__name__, OPENAPI_PATHS, {})]
    sources += [(m.__name__, getattr(m, "OPENAPI_PATHS", {}), getattr(m, "OPENAPI_SCHEMAS", {})) for m in modules]
    for source, module_paths, module_schemas in sources:
        for path, item in module_paths.items():
            _merge(paths.setdefault(path, {}), item, f"{path} field", source)
        _merge(schemas, module_schemas, "schema", source)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "permanence",
            "version": version(),
            "description": "The answering service's API: calls and their recordings for each client, "
                           "walled off from every other client; the live view; operations.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {**COMPONENTS, "schemas": schemas},
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


def operations(doc: dict) -> set[tuple[str, str]]:
    """(METHOD, path) of every documented operation."""
    return {(method.upper(), path) for path, item in doc["paths"].items()
            for method in item if method in HTTP_METHODS}


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document(), headers={"Cache-Control": "no-cache"})


OPENAPI_PATHS: dict = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenapi",
            "tags": ["operations"],
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {"description": "The OpenAPI 3.1 description of every route",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
            },
        },
    },
}
