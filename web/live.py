"""`GET /api/live`: the live view (calls, callers waiting per queue, agents) as Server-Sent Events.

A `data:` line carries a whole snapshot each time the state changes; a comment every 15 s keeps
proxies from closing a quiet stream. Supervisors and admins only; anyone else gets 404, as for
anything they may not see.
"""

from __future__ import annotations

import json
from typing import Protocol

from aiohttp import web

from .auth import require_role
from .keys import LIVE

HEARTBEAT_S = 15.0


class LiveView(Protocol):
    """What the AMI listener's live state offers the web app (ami.live.LiveState)."""

    version: int

    def snapshot(self) -> dict: ...

    async def changed(self, since: int, timeout: float) -> bool: ...


async def live_stream(request: web.Request) -> web.StreamResponse:
    require_role(request, "admin", "supervisor")
    if request.app.get(LIVE) is None:
        raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
    live: LiveView = request.app[LIVE]
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    seen = -1
    while True:
        if seen != live.version:
            snapshot = live.snapshot()
            seen = snapshot["version"]
            await response.write(f"id: {seen}\nevent: snapshot\ndata: {json.dumps(snapshot)}\n\n".encode())
        elif not await live.changed(seen, HEARTBEAT_S):
            await response.write(b": keep-alive\n\n")


OPENAPI_PATHS: dict = {
    "/api/live": {
        "get": {
            "operationId": "getLive",
            "tags": ["live"],
            "summary": "The live view as Server-Sent Events (supervisors and admins)",
            "description": "Each `snapshot` event's data is the whole live state (calls, callers waiting per "
                           "queue, agents) as JSON, sent at each change; a comment line every 15 s keeps the "
                           "stream open. Anyone else gets 404.",
            "responses": {
                "200": {"description": "The event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        },
    },
}
