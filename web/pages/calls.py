"""The calls pages: the history with the filters of GET /api/calls, keyset pages and a player per
recording; one call with its wrap-up, the messages taken on it (their fields and how their dispatch
stands), its recordings, IVR path and timeline.

Read server-side through the viewer's scope with the store's own functions (store.calls), as the
API does: a client user sees its own calls of its window; another client's call is the 404 page.
The players and download links point at /api/recordings/{id}, which the session cookie opens
(Range requests: the browser seeks), and which audits every access — hence preload="none".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from store import NumberError, calls, messages, to_e164
from store.call_filter import CallFilter
from store.clock import iso
from store.visibility import visible_client

from ..calls import client_in_view, client_param, decode_cursor, default_region, encode_cursor
from ..query import Query, bad_request
from .render import AGENT, ANYONE, Page, html_operation, page, refused_field

PAGE_SIZE = 25
FIELDS = ("from", "to", "client", "did", "caller", "disposition", "queue", "agent", "has_recording")
MAX_LINKEDID = 64


@dataclass(frozen=True)
class Selection:
    """The filters as the form sent them, and as the store and the API take them."""

    filters: CallFilter
    zone: str
    api_query: dict[str, str]  # the same filter for GET /api/calls (the CSV export link)


def day_start(text: str | None, name: str, zone: ZoneInfo, days_after: int = 0) -> datetime | None:
    """Midnight of a form's date (YYYY-MM-DD) in `zone`, `days_after` later (an inclusive end)."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text) + timedelta(days=days_after)
    except (ValueError, OverflowError):
        raise bad_request("a date such as 2026-01-31", name) from None
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


async def select(view: Page, q: Query) -> Selection:
    code = client_param(q)  # another client's code is the 404 page for a client user, as in the API
    client = await client_in_view(view.store, view.scope, code)
    zone_name = client.timezone if client else "UTC"
    zone = ZoneInfo(zone_name)
    start, end = day_start(q.text("from"), "from", zone), day_start(q.text("to"), "to", zone, days_after=1)
    if start is not None and end is not None and end <= start:
        raise bad_request("must not be before from", "to")
    did = q.text("did")
    try:
        did = to_e164(did, default_region(view.request)) if did else None
    except NumberError:
        raise bad_request("not a phone number", "did") from None
    disposition = q.one_of("disposition", calls.DISPOSITIONS)
    has_recording = q.boolean("has_recording")
    filters = CallFilter(started_from=iso(start) if start else None, started_to=iso(end) if end else None,
                         client_code=code, did=did, caller=q.text("caller"),
                         dispositions=(disposition,) if disposition else (), queue=q.text("queue"),
                         agent=q.text("agent"), has_recording=has_recording)
    api = {"from": filters.started_from, "to": filters.started_to, "client": code, "did": did,
           "caller": filters.caller, "disposition": disposition, "queue": filters.queue, "agent": filters.agent,
           "has_recording": None if has_recording is None else str(has_recording).lower()}
    return Selection(filters, zone_name, {k: v for k, v in api.items() if v})


@page(*ANYONE, *AGENT)
async def calls_page(view: Page) -> web.StreamResponse:
    form = {name: view.request.query.get(name, "") for name in FIELDS}
    common = {"form": form, "dispositions": calls.DISPOSITIONS, "staff": view.staff}
    try:
        q = Query(view.request, (*FIELDS, "cursor"))
        selection = await select(view, q)
        cursor = q.text("cursor", max_length=512)
        before = decode_cursor(cursor) if cursor else None
    except web.HTTPBadRequest as exc:
        return view.render("calls.html", 400, error=refused_field(view, exc), rows=[], zone="UTC", next_url=None,
                           first_url=None, csv_url=None, **common)
    scope, now = view.scope, datetime.now(UTC)
    rows = await view.store.read(
        lambda db: calls.list_calls(db, scope, PAGE_SIZE + 1, before, selection.filters, now))
    shown = {k: v for k, v in form.items() if v}
    next_url = "/calls?" + urlencode({**shown, "cursor": encode_cursor(rows[PAGE_SIZE - 1])}) \
        if len(rows) > PAGE_SIZE else None
    return view.render(
        "calls.html", error=None, rows=rows[:PAGE_SIZE], zone=selection.zone, next_url=next_url,
        first_url=("/calls?" + urlencode(shown)) if cursor else None,
        csv_url="/api/calls?" + urlencode({**selection.api_query, "format": "csv"}), **common)


@page(*ANYONE, *AGENT)
async def call_page(view: Page) -> web.StreamResponse:
    linkedid = view.request.match_info["linkedid"]
    if len(linkedid) > MAX_LINKEDID:
        return view.not_found()
    scope = view.scope
    call = await view.store.read(lambda db: calls.get_call(db, scope, linkedid))
    if call is None:
        return view.not_found()
    code = call["client_code"]
    client = await view.store.read(lambda db: visible_client(db, scope, code)) if code else None
    # The messages taken on the call, as the viewer may read them (a client: its own, of its window).
    taken = await view.store.read(lambda db: messages.list_messages(db, scope, linkedid=linkedid))
    return view.render("call.html", call=call, zone=client.timezone if client else "UTC",
                       client_name=client.name if client else None, messages=sorted(taken, key=lambda m: m.id),
                       status_keys=MESSAGE_STATUS_KEYS)


MESSAGE_STATUS_KEYS = {status: f"message.status_{status}" for status in messages.STATUSES}  # tests/web/test_pages.py


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


_FILTERS = (
    _query("from", "first day (YYYY-MM-DD, the client's time zone)", {"type": "string", "format": "date"}),
    _query("to", "last day, included", {"type": "string", "format": "date"}),
    _query("client", "one client (admins and supervisors)"),
    _query("did", "the number dialled"),
    _query("caller", "part of the caller's number"),
    _query("disposition", "one outcome", {"type": "string", "enum": list(calls.DISPOSITIONS)}),
    _query("queue", "the queue the call waited in"),
    _query("agent", "the agent who answered"),
    _query("has_recording", "true or false", {"type": "boolean"}),
    _query("cursor", "the next page's position (the page's own link)"),
)
OPENAPI_PATHS: dict = {
    "/calls": {"get": html_operation(
        "callsPage", "The call history page: the filters of GET /api/calls, keyset pages, a player per recording",
        parameters=_FILTERS, extra_responses={
            "400": {"description": "the page, saying which filter was refused",
                    "content": {"text/html": {"schema": {"type": "string"}}}}})},
    "/calls/{linkedid}": {"get": html_operation(
        "callPage", "One call: its wrap-up, messages taken, recordings, IVR path and timeline",
        parameters=({"name": "linkedid", "in": "path", "required": True, "schema": {"type": "string"}},))},
}
