"""Recordings: the audio file (Range and conditional requests, a download name), every access audited;
the audit, for admins.

The audit row is written once the answer is known: after the file has been sent (its status and how
many body bytes), or with the refusal (404 for a recording that exists but is not the caller's,
410 for a purged one). It goes through the store's writer without being waited for (AuditLog: the
rows of FLUSH_DELAY together, each stamped when it was answered), so it is kept even when the client hangs up
mid-transfer. An id that names no recording leaves no row (there is nothing to reference).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.web_fileresponse import _FileResponseResult
from aiohttp.web_request import BaseRequest

from recordings import resolve
from recordings.files import RecordingError
from store import Store
from store.audit import Access, AccessFilter, list_access, record_answered

from . import apidoc
from .auth import require_role, scope_of
from .calls import client_param
from .keys import RECORDINGS_DIR, STORE, USER
from .query import Query, bad_request, not_found

RECORDING_ID = re.compile(r"[1-9][0-9]{0,17}")  # fits SQLite's integer; no sign, spaces or underscores
CLOSED_EARLY = 499  # the status an interrupted transfer is audited with (the client closed the connection)
MAX_LIMIT = 500


class AuditedFileResponse(web.FileResponse):
    """aiohttp's FileResponse (its Range, If-Range and conditional answers), with the file opened on the
    event loop, that reports (status, body bytes sent) once it has been sent or has failed.

    aiohttp stats and opens the file in a thread and closes it in another: two thread hops a request,
    which cost more than the four system calls they carry (about 0.3 M instructions a request, a third
    of what serving a 64 KiB range costs in all). The handler has just stat'ed this very file on the
    loop (a missing one is a 410), so its inode is warm: the open cannot wait on the disk any longer
    than that stat could."""

    def __init__(self, path: Path, on_sent: Callable[[int, int], None], **kw) -> None:
        super().__init__(path, **kw)
        self._on_sent: Callable[[int, int], None] | None = on_sent

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        status, sent = CLOSED_EARLY, 0
        try:
            writer = await self._prepare_here(request)
            status = self.status
            if status in (200, 206) and request.method != "HEAD":
                sent = self.content_length or 0
            return writer
        finally:
            report, self._on_sent = self._on_sent, None
            if report is not None:
                report(status, sent)

    async def _prepare_here(self, request: BaseRequest) -> AbstractStreamWriter | None:
        """FileResponse.prepare without its executor: the same outcomes, in the same order."""
        try:
            outcome, fobj, st, encoding = self._make_response(
                request, request.headers.get(hdrs.ACCEPT_ENCODING, "").lower())
        except PermissionError:
            self.set_status(web.HTTPForbidden.status_code)
            return await web.StreamResponse.prepare(self, request)
        except OSError:
            self.set_status(web.HTTPNotFound.status_code)
            return await web.StreamResponse.prepare(self, request)
        if outcome is _FileResponseResult.NOT_ACCEPTABLE:
            self.set_status(web.HTTPForbidden.status_code)
            return await web.StreamResponse.prepare(self, request)
        if outcome is _FileResponseResult.PRE_CONDITION_FAILED:
            return await self._precondition_failed(request)
        if outcome is _FileResponseResult.NOT_MODIFIED:
            return await self._not_modified(request, f"{st.st_mtime_ns:x}-{st.st_size:x}", st.st_mtime)
        assert fobj is not None
        try:
            return await self._prepare_open_file(request, fobj, st, encoding)
        finally:
            fobj.close()


class AuditLog:
    """The recordings' audit rows on their way to the store: those answered within FLUSH_DELAY of the
    first go to the writer together (one statement, one commit), not one job each — a player seeking
    through a recording asks for many ranges, and each commit costs the event loop a wake-up and its
    read connection's page cache. Nothing waits for them; a failure is logged. What a crash of the
    process can lose is bounded: the rows of the last FLUSH_DELAY (or MAX_PENDING rows), plus what
    the writer had not committed yet. Reading the audit, and stopping the app, flush first."""

    FLUSH_DELAY = 0.05  # seconds
    MAX_PENDING = 500

    def __init__(self, store: Store, delay: float = FLUSH_DELAY) -> None:
        self._store = store
        self._delay = delay
        self._pending: list[tuple[Access, float]] = []  # with when it was answered
        self._timer: asyncio.TimerHandle | None = None

    def add(self, access: Access) -> None:
        if not self._pending:
            self._timer = asyncio.get_running_loop().call_later(self._delay, self.flush)
        self._pending.append((access, time.time()))  # formatted by the writer's thread, not here
        if len(self._pending) >= self.MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            self._store.write_later(lambda db: record_answered(db, batch),
                                    f"audit of {len(batch)} recording access(es)")

    async def written(self) -> None:
        """Every access answered so far, committed."""
        self.flush()
        await self._store.flush()


AUDIT = web.AppKey("recording_audit", AuditLog)
FILES = web.AppKey("recording_files", dict)  # a stored relative path → its file under the recordings directory
MAX_FILES = 10_000


def install(app: web.Application) -> None:
    """The app's audit log; what is still pending when the app stops goes to the writer then."""
    app[AUDIT] = AuditLog(app[STORE])
    app[FILES] = {}

    async def flush(app: web.Application) -> None:
        app[AUDIT].flush()

    app.on_cleanup.append(flush)


def _auditor(request: web.Request, recording_id: int) -> Callable[[int, int], None]:
    audit_log, login, address = request.app[AUDIT], request[USER].login, request.remote

    def audit(status: int, sent: int) -> None:
        audit_log.add(Access(recording_id, login, address, sent, status))  # stamped as it is added

    return audit


async def get_recording(request: web.Request) -> web.StreamResponse:
    scope = scope_of(request[USER])
    text = request.match_info["id"]
    if not RECORDING_ID.fullmatch(text):
        raise not_found("recording")
    recording_id = int(text)
    audit = _auditor(request, recording_id)
    # The recording, its call, the client's window: kept in memory until one of them changes.
    rec = request.app[STORE].access.recording(scope, recording_id)
    if rec is None:
        audit(404, 0)
        raise not_found("recording")
    files = request.app[FILES]
    path = files.get(rec["path"])
    if path is None:  # a path the store gave: resolved (and checked) once
        try:
            path = resolve(request.app[RECORDINGS_DIR], rec["path"])
        except RecordingError:
            audit(404, 0)
            raise not_found("recording") from None
        if len(files) >= MAX_FILES:
            files.clear()
        files[rec["path"]] = path
    if rec["purged_at"] is not None or not path.is_file():
        audit(410, 0)
        raise web.HTTPGone(text=json.dumps({"error": "recording file is no longer available"}),
                           content_type="application/json")
    # FileResponse answers Range, If-Range, If-None-Match and If-Modified-Since itself.
    return AuditedFileResponse(path, audit, headers={
        "Content-Type": "audio/wav",
        "Content-Disposition": f'attachment; filename="{rec["client_code"]}-{rec["linkedid"]}.wav"',
        "Cache-Control": "private, no-store",
    })


def _encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": last_id}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["before"]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise bad_request("not one this API gave out", "cursor") from None
    return value


async def list_recording_access(request: web.Request) -> web.Response:
    """Admins only: anyone else gets 404, as for anything they may not see."""
    user = require_role(request, "admin")
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/recordings/access"]["get"]))
    limit = q.integer("limit", 50, 1, MAX_LIMIT)
    cursor = q.text("cursor", max_length=128)
    recording = q.optional_integer("recording", 1, 2**63 - 1)
    start, end = q.period(UTC)
    filters = AccessFilter(recording_id=recording, login=q.text("login"), client_code=client_param(q),
                           at_from=start, at_to=end)
    before = _decode(cursor) if cursor else None
    scope = scope_of(user)
    await request.app[AUDIT].written()  # the accesses answered before this request are in it
    rows = await request.app[STORE].read(lambda db: list_access(db, scope, limit + 1, before, filters))
    page, more = rows[:limit], len(rows) > limit
    return web.json_response({"access": page, "next_cursor": _encode(page[-1]["id"]) if more else None})


_ACCESS_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "recording_id": {"type": "integer"}, "linkedid": {"type": "string"},
    "client_code": {"type": "string"}, "login": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
    "address": {"type": ["string", "null"]},
    "bytes": {"type": "integer", "description": "body bytes sent in full; 0 for refusals, 304, HEAD and "
                                                 "interrupted transfers"},
    "status": {"type": "integer", "description": f"the HTTP status answered; {CLOSED_EARLY}: the client "
                                                  "closed the connection before the end"}}}
OPENAPI_PATHS: dict = {
    "/api/recordings/{id}": {"get": {
        "operationId": "getRecording",
        "tags": ["recordings"],
        "summary": "A call's recording (audio/wav) with Range, If-Range, ETag and Last-Modified; every access "
                   "is audited",
        "parameters": [
            apidoc.path("id", "the recording's id, from the call's `recordings`", {"type": "integer", "minimum": 1}),
            {"name": "Range", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "one byte range, e.g. bytes=0-65535"},
        ],
        "responses": {
            "200": {"description": "the whole file, as an attachment named CLIENT-LINKEDID.wav",
                    "content": {"audio/wav": {"schema": {"type": "string", "contentMediaType": "audio/wav"}}}},
            "206": {"description": "the range asked for",
                    "content": {"audio/wav": {"schema": {"type": "string", "contentMediaType": "audio/wav"}}}},
            "304": {"description": "not modified since (If-None-Match, If-Modified-Since)"},
            "416": {"description": "the range is outside the file"},
            **apidoc.errors("401", "404", "410"),
        },
    }},
    "/api/recordings/access": {"get": {
        "operationId": "listRecordingAccess",
        "tags": ["recordings"],
        "summary": "The recordings' access audit, newest first (admins only; 404 for anyone else)",
        "parameters": [
            apidoc.query("recording", "one recording's id", {"type": "integer", "minimum": 1}),
            apidoc.query("login", "one user's accesses"),
            apidoc.query("client", "the recordings of one client (4-5 digits)"),
            apidoc.query("from", "accesses at or after this instant (UTC without an offset)", apidoc.DATE_TIME),
            apidoc.query("to", "accesses before this instant (exclusive; UTC without an offset)", apidoc.DATE_TIME),
            apidoc.query("limit", "rows per page", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                   "default": 50}),
            apidoc.CURSOR,
        ],
        "responses": {
            "200": apidoc.json_body("a page of the audit", {"type": "object", "properties": {
                "access": {"type": "array", "items": _ACCESS_SCHEMA},
                "next_cursor": {"type": ["string", "null"]}}}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
}
