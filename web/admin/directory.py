"""Admin API: a client's directory (its contacts) and its InfoPages. Admins change them; supervisors
read them. Numbers are read in the configured default region and kept in E.164 (store/contacts.py)."""

from __future__ import annotations

import sqlite_utils
from aiohttp import web

from store import clients
from store import contacts as store_contacts
from store import infopages as store_infopages
from store.contacts import Contact

from ..auth import require_role
from . import doc
from .body import Body, bad, not_found, read, write
from .settings import SETTINGS

CONTACT_FIELDS = frozenset(store_contacts.FIELDS)


def contact_json(contact: Contact) -> dict:
    return {"id": contact.id, "name": contact.name, "role": contact.role, "mobile": contact.mobile,
            "office": contact.office, "email": contact.email, "sms": contact.sms, "language": contact.language}


async def client_or_404(request: web.Request) -> str:
    code = request.match_info["code"]
    if await read(request, lambda db: clients.get_client(db, code)) is None:
        raise not_found("client")
    return code


def contact_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise not_found("contact")
    return int(text)


async def list_contacts(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    code = await client_or_404(request)
    found = await read(request, lambda db: store_contacts.list_contacts(db, code))
    return web.json_response({"client": code, "contacts": [contact_json(c) for c in found]})


async def get_contact(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    code, cid = await client_or_404(request), contact_id(request)
    found = await read(request, lambda db: store_contacts.get_contact(db, code, cid))
    if found is None:
        raise not_found("contact")
    return web.json_response(contact_json(found))


async def create_contact(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    body = await Body.read(request, CONTACT_FIELDS)
    if "name" not in body:
        raise bad("missing", "name")
    fields = {k: v for k, v in body.data.items() if k != "name"}
    region = request.app[SETTINGS].default_region
    created = await write(request, lambda db: store_contacts.add_contact(
        db, code, body.raw("name"), default_region=region, **fields))
    return web.json_response(contact_json(created), status=201)


async def update_contact(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code, cid = await client_or_404(request), contact_id(request)
    body = await Body.read(request, CONTACT_FIELDS)
    region = request.app[SETTINGS].default_region
    changed = await write(request, lambda db: store_contacts.update_contact(
        db, code, cid, default_region=region, **body.data))
    return web.json_response(contact_json(changed))


async def delete_contact(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code, cid = await client_or_404(request), contact_id(request)
    await write(request, lambda db: store_contacts.remove_contact(db, code, cid))
    return web.Response(status=204)


async def get_infopages(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    code = await client_or_404(request)
    found = await read(request, lambda db: store_infopages.list_infopages(db, code))
    return web.json_response({"client": code, "sections": [store_infopages.section_json(s) for s in found]})


async def put_infopages(request: web.Request) -> web.Response:
    require_role(request, "admin")
    code = await client_or_404(request)
    body = await Body.read(request, {"sections"})
    if "sections" not in body:
        raise bad("missing", "sections")

    def replace(db: sqlite_utils.Database) -> list[store_infopages.Section]:
        return store_infopages.set_infopages(db, code, store_infopages.parse_sections(body.raw("sections")))

    kept = await write(request, replace)
    return web.json_response({"client": code, "sections": [store_infopages.section_json(s) for s in kept]})


_PHONE = {"type": ["string", "null"], "description": "a valid number; national numbers are read in the configured "
                                                      "default region; answered in E.164; empty or null: none"}
_CONTACT_PROPS = {
    "name": {"type": "string", "maxLength": store_contacts.MAX_NAME},
    "role": {"type": "string", "maxLength": store_contacts.MAX_ROLE, "description": "e.g. owner, technician"},
    "mobile": _PHONE, "office": _PHONE,
    "email": {"type": ["string", "null"], "description": "checked for its syntax, kept normalised"},
    "sms": {"type": "boolean", "description": "the contact receives SMS (needs a mobile)"},
    "language": {"type": "string", "enum": ["fr", "en"], "description": "default: the client's"},
}
_TEXTS = {"type": "object", "additionalProperties": False, "properties": {
    "fr": {"type": "string"}, "en": {"type": "string"}}}
OPENAPI_SCHEMAS: dict = {
    "Contact": {"type": "object", "required": ["id", "name", "role", "mobile", "office", "email", "sms", "language"],
                "properties": {"id": {"type": "integer"}, **_CONTACT_PROPS}},
    "InfoSection": {"type": "object", "required": ["kind", "title", "body"], "properties": {
        "kind": {"type": "string", "enum": list(store_infopages.KINDS)},
        "title": {**_TEXTS, "description": f"at most {store_infopages.MAX_TITLE} characters per language"},
        "body": {**_TEXTS, "description": f"at most {store_infopages.MAX_BODY} characters per language"}}},
}
_CONTACT = doc.ref("Contact")
_CODE = doc.path("code", "client code")
_ID = doc.path("id", "the contact's id")
_CONTACTS = {"type": "object", "properties": {"client": {"type": "string"},
                                              "contacts": {"type": "array", "items": _CONTACT}}}
_SECTIONS = {"type": "object", "properties": {"client": {"type": "string"},
                                              "sections": {"type": "array", "items": doc.ref("InfoSection")}}}
OPENAPI_PATHS: dict = {
    "/api/admin/clients/{code}/contacts": {
        "parameters": [_CODE],
        "get": doc.operation("adminListContacts", "A client's directory", {
            **doc.ok("The contacts, by name", _CONTACTS), **doc.errors("404")}, who=doc.READERS),
        "post": doc.operation("adminCreateContact", "Add a contact to a client's directory", {
            **doc.ok("Created", _CONTACT, "201"), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": ["name"], "additionalProperties": False,
                                  "properties": _CONTACT_PROPS})),
    },
    "/api/admin/clients/{code}/contacts/{id}": {
        "parameters": [_CODE, _ID],
        "get": doc.operation("adminGetContact", "One contact", {**doc.ok("The contact", _CONTACT),
                                                                **doc.errors("404")}, who=doc.READERS),
        "patch": doc.operation("adminUpdateContact", "Change a contact's fields", {
            **doc.ok("The contact as it is now", _CONTACT), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "additionalProperties": False, "properties": _CONTACT_PROPS})),
        "delete": doc.operation("adminDeleteContact", "Remove a contact", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404", "409")},
            description="409 while the contact is on the on-call rotation or in an override."),
    },
    "/api/admin/clients/{code}/infopages": {
        "parameters": [_CODE],
        "get": doc.operation("adminGetInfopages", "A client's InfoPages", {
            **doc.ok("The sections in order", _SECTIONS), **doc.errors("404")}, who=doc.READERS),
        "put": doc.operation("adminPutInfopages", "Replace a client's InfoPages", {
            **doc.ok("The sections as kept", _SECTIONS), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": ["sections"], "additionalProperties": False,
                                  "properties": {"sections": {"type": "array", "items": doc.ref("InfoSection"),
                                                              "maxItems": store_infopages.MAX_SECTIONS}}}),
            description="Each section needs a title and a text in French or English; a refused field is named "
                        "as sections[i].title.fr."),
    },
}
