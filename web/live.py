"""`GET /api/live`: the live view (calls, callers waiting per queue, agents, and a row per queue with
its day so far) as Server-Sent Events.

A `data:` line carries a whole snapshot each time the live state or the day's figures change (those
are read again at most every few seconds, once for all streams: web.wallboard); a comment every 15 s
keeps proxies from closing a quiet stream. Supervisors and admins only; anyone else gets 404, as for
anything they may not see.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Protocol

from aiohttp import web

from .auth import require_role
from .keys import LIVE
from .wallboard import BOARD_SCHEMA, DAYS, board

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
    days = request.app[DAYS]
    clock = asyncio.get_running_loop().time
    seen: tuple[int, int] | None = None  # the live state's and the day figures' versions last sent
    written = clock()
    while True:
        day_version, figures = await days.current()
        if seen != (live.version, day_version):
            snapshot = live.snapshot()
            snapshot["board"] = board(snapshot, figures, datetime.now(UTC))
            seen = (snapshot["version"], day_version)
            await response.write(f"id: {seen[0]}.{seen[1]}\nevent: snapshot\ndata: {json.dumps(snapshot)}\n\n"
                                 .encode())
            written = clock()
        # Woken by a live change, or in time to look at the day's figures again.
        elif not await live.changed(seen[0], min(HEARTBEAT_S, days.refresh_s)) and clock() - written >= HEARTBEAT_S:
            await response.write(b": keep-alive\n\n")
            written = clock()


SNAPSHOT_SCHEMA: dict = {"type": "object", "description": "the data of one `snapshot` event", "properties": {
    "version": {"type": "integer", "description": "the live state's version"},
    "calls": {"type": "array", "items": {"type": "object"}, "description": "calls in progress"},
    "queues": {"type": "object", "description": "callers waiting, oldest first, by queue name",
               "additionalProperties": {"type": "array", "items": {"type": "object"}}},
    "agents": {"type": "array", "items": {"type": "object"}, "description": "logged-in agents and their state"},
    "alerts": {"type": "array", "items": {"type": "object"}, "description": "messages whose dispatch reached nobody"},
    "board": BOARD_SCHEMA,
}}
OPENAPI_SCHEMAS: dict = {"LiveSnapshot": SNAPSHOT_SCHEMA}
OPENAPI_PATHS: dict = {
    "/api/live": {
        "get": {
            "operationId": "getLive",
            "tags": ["live"],
            "summary": "The live view as Server-Sent Events (supervisors and admins)",
            "description": "Each `snapshot` event's data is the whole live state (calls, callers waiting per "
                           "queue, agents, alerts) as JSON, with `board`: a row per queue joining its live "
                           "counts with its day so far (read again at most every few seconds, once for every "
                           "viewer). Sent at each change; a comment line every 15 s keeps the stream open. "
                           "Anyone else gets 404.",
            "responses": {
                "200": {"description": "The event stream: each `snapshot` event's data is a LiveSnapshot",
                        "content": {"text/event-stream": {"schema": {
                            "type": "string", "contentMediaType": "application/json",
                            "contentSchema": {"$ref": "#/components/schemas/LiveSnapshot"}}}}},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        },
    },
}
