"""The messages pages: one client's messages (staff choose the client; a client user sees its own, of its
history window, as GET /api/messages) filtered by period, status, words and the number dialled, in keyset
pages; one message with its fields, its call and the timeline of its dispatch. Admins and supervisors also
see the protocol's steps and the running one's deadline; an admin takes a failed message in hand
(POST /api/messages/{id}/acknowledge, sent by web/static/admin.js with the page's CSRF token).

Another client's message, or one out of the window, is the 404 page, as everywhere.
"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from store import NumberError, contacts, to_e164
from store.clock import iso
from store.message_search import MessageFilter, message_detail, search_messages
from store.messages import STATUSES
from store.scripts import get_script
from store.visibility import visible_client

from ..calls import client_in_view, client_param, default_region
from ..query import Query, bad_request
from . import taken_view as shown
from .calls import day_start
from .render import ANYONE, Page, _localtime, html_operation, page, refused_field

PAGE_SIZE = 25
FIELDS = ("client", "from", "to", "status", "q", "did")
MAX_ID = 10**18


async def _selection(view: Page, q: Query):
    """The client in view (None: staff have not chosen one) and the filter the form asks for."""
    client = await client_in_view(view.store, view.scope, client_param(q))
    if client is None:
        return None, None
    zone = ZoneInfo(client.timezone)
    start, end = day_start(q.text("from"), "from", zone), day_start(q.text("to"), "to", zone, days_after=1)
    if start is not None and end is not None and end <= start:
        raise bad_request("must not be before from", "to")
    status = q.one_of("status", STATUSES)
    did = q.text("did")
    try:
        did = to_e164(did, default_region(view.request)) if did else None
    except NumberError:
        raise bad_request("not a phone number", "did") from None
    return client, MessageFilter(client.code, iso(start) if start else None, iso(end) if end else None, status,
                                 q.text("q", max_length=100), did)


@page(*ANYONE)
async def messages_page(view: Page) -> web.StreamResponse:
    form = {name: view.request.query.get(name, "") for name in FIELDS}
    common = {"form": form, "staff": view.staff, "statuses": STATUSES, "status_keys": shown.STATUS_KEYS}
    try:
        q = Query(view.request, (*FIELDS, "before"))
        client, chosen = await _selection(view, q)
        before = q.optional_integer("before", 1, MAX_ID)
    except web.HTTPBadRequest as exc:
        return view.render("messages.html", 400, error=refused_field(view, exc), client=None, rows=[],
                           next_url=None, first_url=None, **common)
    if client is None or chosen is None:
        return view.render("messages.html", error=None, client=None, rows=[], next_url=None, first_url=None,
                           **common)
    scope = view.scope

    def read(db):
        return (search_messages(db, scope, chosen, before=before, limit=PAGE_SIZE + 1),
                contacts.list_contacts(db, client.code), get_script(db, client.code))

    found, directory, script = await view.store.read(read)
    people = shown.People(directory)
    rows = [(item, shown.summary(view.t, script, item.message),
             shown.status_line(view.t, people, item.message, client.timezone, _localtime))
            for item in found[:PAGE_SIZE]]
    kept = {k: v for k, v in form.items() if v}
    next_url = "/messages?" + urlencode({**kept, "before": found[PAGE_SIZE - 1].message.id}) \
        if len(found) > PAGE_SIZE else None
    return view.render("messages.html", error=None, client=client, zone=client.timezone, rows=rows,
                       next_url=next_url, first_url=("/messages?" + urlencode(kept)) if before else None, **common)


@page(*ANYONE)
async def message_page(view: Page) -> web.StreamResponse:
    text = view.request.match_info["id"]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return view.not_found()
    scope, message_id = view.scope, int(text)

    def read(db):
        detail = message_detail(db, scope, message_id)
        return (detail, visible_client(db, scope, detail.message.client_code)) if detail else (None, None)

    detail, client = await view.store.read(read)
    if detail is None or client is None:
        return view.not_found()
    message, t = detail.message, view.t
    people = shown.People(detail.contacts.values())
    timeline = shown.entries(t, people, detail.history)
    admin = view.user is not None and view.user.role == "admin"
    acknowledged = next((e for e in detail.history if e.result == "acknowledged"), None)
    return view.render(
        "message.html", message=message, client=client, zone=client.timezone,
        fields=shown.fields(t, detail.script, message), timeline=timeline,
        status_text=shown.status_line(t, people, message, client.timezone, _localtime),
        caller_number=detail.caller_number, caller_name=detail.caller_name,
        steps=shown.steps(t, people, message) if view.staff else None,
        can_acknowledge=admin and message.status == "failed" and acknowledged is None, acknowledged=acknowledged,
        back="/messages" + (f"?client={client.code}" if view.staff else ""))


OPENAPI_PATHS: dict = {
    "/messages": {"get": html_operation(
        "messagesPage", "One client's messages: filters (period in the client's zone, status, words, number "
                        "dialled), keyset pages, where each one's dispatch stands",
        parameters=tuple({"name": name, "in": "query", "required": False, "description": description,
                          "schema": {"type": "string"}} for name, description in (
            ("client", "the client (admins and supervisors choose one)"), ("from", "first day (YYYY-MM-DD)"),
            ("to", "last day, included"), ("status", "pending, dispatching, delivered or failed"),
            ("q", "words of the text or of a field"), ("did", "the number the call dialled"),
            ("before", "the next page's position (the page's own link)"))),
        extra_responses={"400": {"description": "the page, saying which filter was refused",
                                 "content": {"text/html": {"schema": {"type": "string"}}}}})},
    "/messages/{id}": {"get": html_operation(
        "messagePage", "One message: its fields, its call and the timeline of its dispatch",
        parameters=({"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},))},
}
