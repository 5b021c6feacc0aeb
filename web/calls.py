"""Call history: the filtered list in keyset pages or as a streamed CSV export, and one call in full.

Everything is read through the caller's scope, a client's history window included (store.calls); a
call, or a client, the caller may not see is 404.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from store import NumberError, Scope, Store, calls, to_e164
from store.call_filter import CallFilter
from store.callbacks import OUTCOMES
from store.clients import CLIENT_CODE
from store.visibility import ClientView, visible_client

from . import apidoc
from .admin.settings import SETTINGS
from .auth import scope_of
from .desk import WRAPUP_SCHEMA
from .export import csv_response
from .keys import STORE, USER
from .query import Query, bad_request, not_found

MAX_LIMIT = 500
FORMATS = ("json", "csv")


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
        raise bad_request("not one this API gave out", "cursor") from None
    return started_at, linkedid


def client_param(q: Query) -> str | None:
    code = q.text("client")
    if code is not None and not CLIENT_CODE.match(code):
        raise bad_request(f"a client code is 4 or 5 digits, got {code!r}", "client")
    return code


async def client_in_view(store: Store, scope: Scope, code: str | None) -> ClientView | None:
    """The one client the request is about (asked for, or the user's own), or None for all of them;
    404 when it is not one the caller may see."""
    code = code or scope.client_code
    if code is None:
        return None
    view = store.read_now(lambda db: visible_client(db, scope, code))  # a point read by key: no thread hop
    if view is None:
        raise not_found("client")
    return view


def _wants_csv(request: web.Request) -> bool:
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")}
    return "text/csv" in accepted


def default_region(request: web.Request) -> str:
    """The region a number typed without its country code is read in ([phone] default_region)."""
    return request.app[SETTINGS].default_region


def _did(q: Query, region: str) -> str | None:
    text = q.text("did")
    if text is None:
        return None
    try:
        return to_e164(text, region)
    except NumberError as exc:
        raise bad_request(f"not a phone number ({exc})", "did") from None


async def list_calls(request: web.Request) -> web.StreamResponse:
    scope = scope_of(request[USER])
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/calls"]["get"]), repeatable=("disposition",))
    fmt = q.one_of("format", FORMATS) or ("csv" if _wants_csv(request) else "json")
    limit = q.integer("limit", 50, 1, MAX_LIMIT)
    cursor = q.text("cursor", max_length=512)
    before = decode_cursor(cursor) if cursor else None
    code = client_param(q)
    narrow = {"did": _did(q, default_region(request)), "caller": q.text("caller"),
              "dispositions": q.many_of("disposition", calls.DISPOSITIONS),
              "queue": q.text("queue"), "agent": q.text("agent"), "has_recording": q.boolean("has_recording")}
    store = request.app[STORE]
    view = await client_in_view(store, scope, code)
    start, end = q.period(ZoneInfo(view.timezone) if view else UTC)
    filters = CallFilter(started_from=start, started_to=end, client_code=code, **narrow)
    now = datetime.now(UTC)  # one window for every page of an export
    if fmt == "csv":
        return await csv_response(request, scope, filters, before, now,
                                  f"calls-{view.code if view else 'all'}-{now:%Y%m%d-%H%M%S}.csv")
    rows = await store.read(lambda db: calls.list_calls(db, scope, limit + 1, before, filters, now))
    page, more = rows[:limit], len(rows) > limit
    return web.json_response({"calls": page, "next_cursor": encode_cursor(page[-1]) if more else None})


async def get_call(request: web.Request) -> web.Response:
    scope = scope_of(request[USER])
    linkedid = request.match_info["linkedid"]
    call = await request.app[STORE].read(lambda db: calls.get_call(db, scope, linkedid))
    if call is None:
        raise not_found("call")
    return web.json_response(call)


_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
CALL_SCHEMA: dict = {"type": "object", "properties": {
    "linkedid": {"type": "string", "description": "Asterisk's linkedid: the call's id"},
    "client_code": _NULLABLE_STRING, "did": {**_NULLABLE_STRING, "description": "the number dialled (E.164)"},
    "dialled": _NULLABLE_STRING, "caller_number": _NULLABLE_STRING, "caller_name": _NULLABLE_STRING,
    "started_at": {"type": "string", "format": "date-time"},
    "answered_at": _NULLABLE_STRING, "ended_at": _NULLABLE_STRING, "duration_s": _NULLABLE_NUMBER,
    "disposition": {"type": "string", "enum": list(calls.DISPOSITIONS)},
    "hangup_cause": {"type": ["integer", "null"]}, "queue": _NULLABLE_STRING, "agent": _NULLABLE_STRING,
    "queued_at": _NULLABLE_STRING, "wait_s": _NULLABLE_NUMBER, "talk_s": _NULLABLE_NUMBER,
    "hangup_side": {"type": ["string", "null"], "enum": ["caller", "agent", "system", None]},
    "transfers": {"type": "integer"}, "recovered": {"type": "boolean"},
    "recordings": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer", "description": "GET /api/recordings/{id}"}, "size_bytes": {"type": "integer"},
        "duration_s": {"type": "number"}, "format": {"type": "string"}, "purged_at": _NULLABLE_STRING}}},
}}
_PERIOD = apidoc.PERIOD_NOTE
OPENAPI_PATHS: dict = {
    "/api/calls": {"get": {
        "operationId": "listCalls",
        "tags": ["calls"],
        "summary": "The call history, newest first, in keyset pages (JSON) or whole as CSV",
        "description": "A client user sees its own calls of its window (`clients.history_days`, 60 days by "
                       "default); admins and supervisors see every call. Filters combine with AND. CSV "
                       "(`format=csv` or `Accept: text/csv`) streams every matching call from `cursor` on, "
                       "`limit` aside, with the JSON fields as columns and `recording_ids` (space-separated).",
        "parameters": [
            apidoc.query("from", f"calls started at or after this instant. {_PERIOD}", apidoc.DATE_TIME),
            apidoc.query("to", f"calls started before this instant (exclusive). {_PERIOD}", apidoc.DATE_TIME),
            apidoc.query("client", "one client's calls (4-5 digits); another client's code is 404 for a client user"),
            apidoc.query("did", "the number dialled; normalised to E.164 (a national number in the configuration's "
                                "[phone] default_region)"),
            apidoc.query("caller", "part of the caller's number (matched literally)"),
            apidoc.query("disposition", "one or more (repeated or comma-separated)",
                         {"type": "array", "items": {"type": "string", "enum": list(calls.DISPOSITIONS)}},
                         style="form", explode=True),
            apidoc.query("queue", "the queue the call waited in (exact name)"),
            apidoc.query("agent", "the agent who answered (exact id)"),
            apidoc.query("has_recording", "true: with a recording still kept; false: without",
                         {"type": "boolean"}),
            apidoc.query("limit", "calls per page (JSON)", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                           "default": 50}),
            apidoc.CURSOR,
            apidoc.query("format", "json (default) or csv", {"type": "string", "enum": list(FORMATS)}),
        ],
        "responses": {
            "200": {"description": "a page of calls, or the CSV export", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "calls": {"type": "array", "items": CALL_SCHEMA},
                    "next_cursor": {"type": ["string", "null"], "description": "null on the last page"}}}},
                "text/csv": {"schema": {"type": "string"}}}},
            **apidoc.errors("400", "401", "404"),
        },
    }},
    "/api/calls/{linkedid}": {"get": {
        "operationId": "getCall",
        "tags": ["calls"],
        "summary": "One call with its recordings, IVR path and event timeline",
        "parameters": [apidoc.path("linkedid", "the call's id")],
        "responses": {
            "200": apidoc.json_body("the call", {"allOf": [CALL_SCHEMA, {"type": "object", "properties": {
                "ivr_path": {"type": "array", "items": {"type": "object", "properties": {
                    "seq": {"type": "integer"}, "at": {"type": "string"}, "menu": {"type": "string"},
                    "node": {"type": "string"}, "kind": {"type": "string"}, "digit": _NULLABLE_STRING,
                    "outcome": {"type": "string"}}}},
                "timeline": {"type": "array", "items": {"type": "object", "properties": {
                    "at": {"type": "string"}, "kind": {"type": "string"}, "channel": _NULLABLE_STRING,
                    "detail": {"type": "object"}}}},
                "callbacks": {"type": "array", "description": "the call's callback conversations, oldest first, "
                              "each with the wrap-up its agent wrote on the desk", "items": {
                                  "type": "object", "properties": {
                                      "call": {"type": "string", "description": "the conversation's linkedid"},
                                      "request": {"type": "integer"}, "agent": {"type": "string"},
                                      "started_at": {"type": "string", "format": "date-time"},
                                      "outcome": {**_NULLABLE_STRING, "enum": [*OUTCOMES, None]},
                                      "wrapup": WRAPUP_SCHEMA}}}}}]}),
            **apidoc.errors("401", "404"),
        },
    }},
}
