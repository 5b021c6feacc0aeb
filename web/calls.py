"""Call history and recordings, always read through the caller's scope (else 404)."""

from __future__ import annotations

import base64
import binascii
import json

from aiohttp import web

from recordings import resolve
from recordings.files import RecordingError
from store import calls

from .auth import scope_of
from .keys import RECORDINGS_DIR, STORE, USER

MAX_LIMIT = 500


def _not_found(what: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": f"{what} not found"}), content_type="application/json")


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def encode_cursor(call: dict) -> str:
    raw = json.dumps([call["started_at"], call["linkedid"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started_at, linkedid = json.loads(raw)
        if not isinstance(started_at, str) or not isinstance(linkedid, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise _bad_request("cursor is not one this API gave out") from None
    return started_at, linkedid


async def list_calls(request: web.Request) -> web.Response:
    scope = scope_of(request[USER])
    try:
        limit = int(request.query.get("limit", "50"))
    except ValueError:
        raise _bad_request("limit must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_request(f"limit must be between 1 and {MAX_LIMIT}")
    cursor = request.query.get("cursor")
    before = decode_cursor(cursor) if cursor else None
    rows = await request.app[STORE].read(lambda db: calls.list_calls(db, scope, limit + 1, before))
    page, more = rows[:limit], len(rows) > limit
    return web.json_response({"calls": page, "next_cursor": encode_cursor(page[-1]) if more else None})


async def get_call(request: web.Request) -> web.Response:
    scope = scope_of(request[USER])
    linkedid = request.match_info["linkedid"]
    call = await request.app[STORE].read(lambda db: calls.get_call(db, scope, linkedid))
    if call is None:
        raise _not_found("call")
    return web.json_response(call)


async def get_recording(request: web.Request) -> web.StreamResponse:
    scope = scope_of(request[USER])
    try:
        recording_id = int(request.match_info["id"])
    except ValueError:
        raise _not_found("recording") from None
    rec = await request.app[STORE].read(lambda db: calls.get_recording(db, scope, recording_id))
    if rec is None:
        raise _not_found("recording")
    try:
        path = resolve(request.app[RECORDINGS_DIR], rec["path"])
    except RecordingError:
        raise _not_found("recording") from None
    if rec["purged_at"] is not None or not path.is_file():
        raise web.HTTPGone(text=json.dumps({"error": "recording file is no longer available"}),
                           content_type="application/json")
    # FileResponse answers Range, If-Range, If-None-Match and If-Modified-Since itself.
    return web.FileResponse(path, headers={
        "Content-Type": "audio/wav",
        "Content-Disposition": f'attachment; filename="{rec["client_code"]}-{rec["linkedid"]}.wav"',
        "Cache-Control": "private, no-store",
    })
