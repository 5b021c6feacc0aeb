"""Admin API: DIDs — the numbers callers dial, each owned by one client; stored in E.164, valid numbers
only (phonenumbers, the configuration's default region for national forms). A change reaches the next
call; a removed DID is an unknown number again (its calls keep it in their history)."""

from __future__ import annotations

import re

import sqlite_utils
from aiohttp import web

from store import clients
from store.clients import Did
from store.numbers import NumberError, to_e164

from ..auth import require_role
from . import doc
from .body import Body, bad, not_found, read, write
from .settings import SETTINGS

CLIENT_CODE = re.compile(r"[0-9]{4,5}")


def did_json(did: Did) -> dict:
    return {"did": did.did, "client_code": did.client_code, "label": did.label}


def _did_of(request: web.Request) -> str:
    """The path's DID in E.164 (any form a person would type); 404 if it is not a number at all."""
    try:
        return to_e164(request.match_info["did"], request.app[SETTINGS].default_region)
    except NumberError:
        raise not_found("DID") from None


async def list_dids(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    unknown = set(request.query) - {"client"}
    if unknown:
        raise bad("unknown parameter; this route takes client", sorted(unknown)[0][:64])
    client = request.query.get("client") or None
    if client is not None and not CLIENT_CODE.fullmatch(client):
        raise bad(f"a client code is 4 or 5 digits, got {client[:16]!r}", "client")
    found = await read(request, lambda db: clients.list_dids(db, client))
    return web.json_response({"dids": [did_json(d) for d in found]})


async def get_did(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    did = _did_of(request)
    found = await read(request, lambda db: clients.get_did(db, did))
    if found is None:
        raise not_found("DID")
    return web.json_response(did_json(found))


async def create_did(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await Body.read(request, {"number", "client", "label"})
    number = body.text("number", required=True, max_length=32) or ""
    client = body.text("client", required=True, max_length=8) or ""
    label = body.text("label", max_length=clients.MAX_LABEL) or ""
    region = request.app[SETTINGS].default_region

    def create(db: sqlite_utils.Database) -> Did:
        did = clients.add_did(db, number, client, label, region)
        found = clients.get_did(db, did)
        assert found is not None
        return found

    return web.json_response(did_json(await write(request, create)), status=201)


async def update_did(request: web.Request) -> web.Response:
    require_role(request, "admin")
    did = _did_of(request)
    body = await Body.read(request, {"client", "label"})
    client = body.text("client", max_length=8)
    label = body.text("label", max_length=clients.MAX_LABEL)
    found = await write(request, lambda db: clients.update_did(db, did, client_code=client, label=label))
    return web.json_response(did_json(found))


async def delete_did(request: web.Request) -> web.Response:
    require_role(request, "admin")
    did = _did_of(request)
    await write(request, lambda db: clients.remove_did(db, did))
    return web.Response(status=204)


_DID = {"type": "object", "required": ["did", "client_code", "label"], "properties": {
    "did": {"type": "string", "description": "E.164", "examples": ["+15145550100"]},
    "client_code": {"type": "string"}, "label": {"type": "string"}}}
OPENAPI_SCHEMAS: dict = {"AdminDid": _DID}
_PATH = doc.path("did", "the number, in E.164 or as dialled nationally (URL-encode the +: %2B)")
OPENAPI_PATHS: dict = {
    "/api/admin/dids": {
        "get": doc.operation("adminListDids", "Every DID, or one client's", {
            **doc.ok("The DIDs", {"type": "object", "properties": {
                "dids": {"type": "array", "items": doc.ref("AdminDid")}}}), **doc.errors("400", "404")},
            who=doc.READERS, parameters=[{"name": "client", "in": "query", "required": False,
                                          "description": "only this client's", "schema": {"type": "string"}}]),
        "post": doc.operation("adminCreateDid", "Give a number to a client", {
            **doc.ok("Created", doc.ref("AdminDid"), "201"), **doc.errors("400", "403", "404", "409")},
            requestBody=doc.body({"type": "object", "required": ["number", "client"], "additionalProperties": False,
                                  "properties": {"number": {"type": "string"}, "client": {"type": "string"},
                                                 "label": {"type": "string", "maxLength": clients.MAX_LABEL}}}),
            description="The number must be valid (not merely possible); 409 if another client owns it, 400 on "
                        "`client` if there is no such client."),
    },
    "/api/admin/dids/{did}": {
        "parameters": [_PATH],
        "get": doc.operation("adminGetDid", "One DID", {**doc.ok("The DID", doc.ref("AdminDid")),
                                                         **doc.errors("404")}, who=doc.READERS),
        "patch": doc.operation("adminUpdateDid", "Move a DID to another client, or relabel it", {
            **doc.ok("The DID as it is now", doc.ref("AdminDid")), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "additionalProperties": False, "properties": {
                "client": {"type": "string"}, "label": {"type": "string"}}})),
        "delete": doc.operation("adminDeleteDid", "Take a number away: its next call is an unknown DID", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404")}),
    },
}
