"""`GET /healthz`: each check the wiring registered (store writable, AMI logged in, FastAGI listening)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .keys import HEALTH_CHECKS


async def healthz(request: web.Request) -> web.Response:
    named = request.app[HEALTH_CHECKS]
    results = await asyncio.gather(*(check() for check in named.values()))
    checks = dict(zip(named, results, strict=True))
    status = 200 if all(results) else 503
    return web.json_response({"ok": status == 200, "checks": checks}, status=status,
                             headers={"Cache-Control": "no-store"})


OPENAPI_PATHS: dict = {
    "/healthz": {
        "get": {
            "operationId": "getHealth",
            "tags": ["operations"],
            "summary": "Health: the store takes writes, the AMI connection is up, FastAGI listens",
            "security": [],
            "responses": {
                "200": {"description": "Every check passed",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                "503": {"description": "At least one check failed (each check's result is in the body)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
            },
        },
    },
}

OPENAPI_SCHEMAS: dict = {
    "Health": {
        "type": "object",
        "required": ["ok", "checks"],
        "properties": {
            "ok": {"type": "boolean"},
            "checks": {"type": "object", "additionalProperties": {"type": "boolean"},
                       "description": "check name (store, ami, agi) → passed"},
        },
    },
}
