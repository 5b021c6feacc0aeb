"""A client's directory and InfoPages, read by the client (and by admins and supervisors, one client at
a time). Another client's code is 404, as everywhere (store/visibility.py)."""

from __future__ import annotations

from aiohttp import web

from store import contacts, infopages
from store.visibility import ClientView

from . import apidoc
from .admin.directory import contact_json
from .auth import scope_of
from .calls import client_in_view, client_param
from .keys import STORE, USER
from .query import Query, bad_request, not_found


async def one_client(request: web.Request, q: Query) -> ClientView:
    """The client the request is about: the user's own, or `client` for admins and supervisors. An agent
    reads no client as a whole (its screen pop carries what it needs): 404, as for anyone's else."""
    scope = scope_of(request[USER])
    if scope.agent_id is not None:
        raise not_found("client")
    view = await client_in_view(request.app[STORE], scope, client_param(q))
    if view is None:
        raise bad_request("required for admins and supervisors (one client at a time)", "client")
    return view


async def list_contacts(request: web.Request) -> web.Response:
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/contacts"]["get"]))
    view = await one_client(request, q)
    found = await request.app[STORE].read(lambda db: contacts.list_contacts(db, view.code))
    return web.json_response({"client": view.code, "contacts": [contact_json(c) for c in found]})


async def list_infopages(request: web.Request) -> web.Response:
    q = Query(request, apidoc.query_names(OPENAPI_PATHS["/api/infopages"]["get"]))
    view = await one_client(request, q)
    found = await request.app[STORE].read(lambda db: infopages.list_infopages(db, view.code))
    return web.json_response({"client": view.code, "sections": [infopages.section_json(s) for s in found]})


CLIENT = apidoc.query("client", "the client (4-5 digits): required for admins and supervisors; a client user's own "
                                "by default, another client's code is 404")
OPENAPI_PATHS: dict = {
    "/api/contacts": {"get": {
        "operationId": "listContacts",
        "tags": ["directory"],
        "summary": "The client's directory: its contacts, by name",
        "parameters": [CLIENT],
        "responses": {
            "200": apidoc.json_body("the contacts", {"type": "object", "properties": {
                "client": {"type": "string"},
                "contacts": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}}}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
    "/api/infopages": {"get": {
        "operationId": "listInfopages",
        "tags": ["directory"],
        "summary": "The client's InfoPages: addresses, numbers, hours, products, handling instructions (fr/en)",
        "parameters": [CLIENT],
        "responses": {
            "200": apidoc.json_body("the sections in order", {"type": "object", "properties": {
                "client": {"type": "string"},
                "sections": {"type": "array", "items": {"$ref": "#/components/schemas/InfoSection"}}}}),
            **apidoc.errors("400", "401", "404"),
        },
    }},
}
