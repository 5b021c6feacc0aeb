"""Admin API: IVR menus — check, apply, roll back, versions: what `permanence ivr …` does, with the same
functions (ivr.batch.check_menus, store.menus) and the same messages (file, node, field, line).

Menus travel as YAML text inside JSON: {"menus": [{"source": "demo.yaml", "yaml": "…"}]}. Apply checks
them all first and changes nothing if one is wrong; otherwise each becomes a new active version for
the next call. Supervisors may read menus and their versions.
"""

from __future__ import annotations

import asyncio
import logging

import sqlite_utils
from aiohttp import web

from ivr.batch import check_menus
from ivr.model import Menu, MenuError, Problem
from ivr.validate import oncall_schedules
from recordings.prompts import CatalogError, PromptCatalog
from store import clients, menus
from store import oncall_schedules as schedules
from store.menus import StoredMenu

from ..auth import require_role
from . import doc
from .body import Body, bad, error, not_found, read, write
from .settings import SETTINGS

log = logging.getLogger(__name__)
MAX_MENUS = 20
MAX_SOURCE = 128


def problem_json(p: Problem) -> dict:
    return {"source": p.source, "node": p.node, "field": p.field, "line": p.line, "message": p.message,
            "text": str(p)}


def stored_json(item: StoredMenu) -> dict:
    return {"name": item.name, "client_code": item.client_code, "version": item.version, "source": item.source,
            "sha256": item.sha256}


async def _texts(request: web.Request) -> list[tuple[str, str]]:
    body = await Body.read(request, {"menus"})
    raw = body.raw("menus")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_MENUS:
        raise bad(f"must be a list of 1 to {MAX_MENUS} {{source, yaml}} objects", "menus")
    texts = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not set(item) <= {"source", "yaml"} or not isinstance(item.get("yaml"), str):
            raise bad(f"item {n}: expected {{\"source\": file name, \"yaml\": the menu's text}}", "menus")
        source = item.get("source", f"menu-{n}")
        if not isinstance(source, str) or not source or len(source) > MAX_SOURCE \
                or any(ord(c) < 32 for c in source):
            raise bad(f"item {n}: source must be a file name of 1 to {MAX_SOURCE} characters", "menus")
        texts.append((source, item["yaml"]))
    return texts


async def _checked(request: web.Request, texts: list[tuple[str, str]]) -> list[Menu]:
    """check_menus with the store's menus and clients and the prompt catalog, as `ivr check` runs it."""
    prompts_dir = request.app[SETTINGS].prompts_dir
    def known(db) -> tuple[set[str], dict[str, bool], dict[str, set[str]]]:
        found = clients.list_clients(db)
        return (set(menus.active_menus(db)), {c.code: c.schedule.hours is not None for c in found},
                {c.code: {s.name for s in schedules.list_schedules(db, c.code)} for c in found})

    stored, hours, oncall = await read(request, known)

    def check() -> list[Menu]:
        catalog = PromptCatalog.scan(prompts_dir)
        return check_menus(texts, stored=stored, prompts_for=lambda code: catalog.for_client(code).exists,
                           has_hours=hours.get, schedules_of=oncall.get)

    try:
        return await asyncio.to_thread(check)
    except MenuError as exc:
        # The very text `permanence ivr check` prints.
        raise error(web.HTTPBadRequest, "menu refused, nothing changed:\n" + str(exc), "menus", prefix=False,
                    problems=[problem_json(p) for p in exc.problems]) from None
    except CatalogError as exc:
        log.error("admin: the prompt catalog cannot be read: %s", exc)
        raise error(web.HTTPServiceUnavailable, "the prompt catalog cannot be read; see the server's log") from None


async def check(request: web.Request) -> web.Response:
    require_role(request, "admin")
    checked = await _checked(request, await _texts(request))
    return web.json_response({"menus": [{"name": m.name, "client_code": m.client, "nodes": len(m.nodes)}
                                        for m in checked]})


async def apply(request: web.Request) -> web.Response:
    require_role(request, "admin")
    texts = await _texts(request)
    checked = await _checked(request, texts)
    items = [(menu.name, menu.client, source, text) for (source, text), menu in zip(texts, checked, strict=True)]
    named = {menu.name: oncall_schedules(menu) for menu in checked}
    applied = await write(request, lambda db: menus.apply_menus(db, items, named))
    return web.json_response({"applied": [stored_json(item) for item in applied]})


async def rollback(request: web.Request) -> web.Response:
    require_role(request, "admin")
    name = request.match_info["name"]
    item = await write(request, lambda db: menus.rollback_menu(db, name))
    return web.json_response(stored_json(item))


async def list_menus(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    unknown = set(request.query) - {"client"}
    if unknown:
        raise bad("unknown parameter; this route takes client", sorted(unknown)[0][:64])
    client = request.query.get("client") or None
    active = await read(request, menus.active_menus)
    return web.json_response({"menus": [stored_json(item) for _, item in sorted(active.items())
                                        if client is None or item.client_code == client]})


def _versions(db: sqlite_utils.Database, name: str) -> list[dict]:
    return [{"version": version, "created_at": created, "active": active}
            for version, created, active in menus.menu_versions(db, name)]


async def get_menu(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    name = request.match_info["name"]
    item, versions = await read(request, lambda db: (menus.active_menu(db, name), _versions(db, name)))
    if item is None:
        raise not_found("menu")
    return web.json_response({**stored_json(item), "yaml": item.body, "versions": versions})


async def menu_versions(request: web.Request) -> web.Response:
    require_role(request, "admin", "supervisor")
    name = request.match_info["name"]
    versions = await read(request, lambda db: _versions(db, name))
    if not versions:
        raise not_found("menu")
    return web.json_response({"name": name, "versions": versions})


_MENUS_BODY = doc.body({"type": "object", "required": ["menus"], "additionalProperties": False, "properties": {
    "menus": {"type": "array", "minItems": 1, "maxItems": MAX_MENUS, "items": {
        "type": "object", "required": ["yaml"], "additionalProperties": False, "properties": {
            "source": {"type": "string", "maxLength": MAX_SOURCE,
                       "description": "the file name the messages give (menu-N if absent)"},
            "yaml": {"type": "string", "description": "the menu file's text (ivr/FORMAT.md)"}}}}}},
    "JSON object; menus checked (and applied) together")
_STORED = doc.ref("AdminMenu")
_VERSION = {"type": "object", "properties": {"version": {"type": "integer"},
                                             "created_at": {"type": "string", "format": "date-time"},
                                             "active": {"type": "boolean"}}}
_REFUSED = "400 with `problems` (every problem of every file: source, node, field, line) if one is wrong."
_NAME = doc.path("name", "the menu's name")
OPENAPI_SCHEMAS: dict = {
    "AdminMenu": {"type": "object", "required": ["name", "client_code", "version", "source", "sha256"],
                  "properties": {"name": {"type": "string"}, "client_code": {"type": "string"},
                                 "version": {"type": "integer"}, "source": {"type": "string"},
                                 "sha256": {"type": "string"},
                                 "yaml": {"type": "string", "description": "GET of one menu: its active text"},
                                 "versions": {"type": "array", "items": _VERSION}}},
}
OPENAPI_PATHS: dict = {
    "/api/admin/ivr/check": {"post": doc.operation("adminCheckMenus", "Check menus (`permanence ivr check`)", {
        **doc.ok("Every menu is valid", {"type": "object", "properties": {"menus": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}, "client_code": {"type": "string"},
                                             "nodes": {"type": "integer"}}}}}}),
        **doc.errors("400", "403", "404")}, requestBody=_MENUS_BODY, description=f"Nothing changes. {_REFUSED}")},
    "/api/admin/ivr/apply": {"post": doc.operation("adminApplyMenus", "Check, then apply menus (`permanence ivr "
                                                                      "apply`): all or none", {
        **doc.ok("Applied: each menu's new active version", {"type": "object", "properties": {
            "applied": {"type": "array", "items": _STORED}}}), **doc.errors("400", "403", "404", "409")},
        requestBody=_MENUS_BODY, description=f"{_REFUSED} 409 if a menu's name belongs to another client. Queues a "
                                             "menu names new reach Asterisk at POST /api/admin/asterisk/reload.")},
    "/api/admin/menus": {"get": doc.operation("adminListMenus", "Active menus, every client's or one's", {
        **doc.ok("The menus", {"type": "object", "properties": {"menus": {"type": "array", "items": _STORED}}}),
        **doc.errors("400", "404")}, who=doc.READERS, parameters=[
            {"name": "client", "in": "query", "required": False, "description": "only this client's",
             "schema": {"type": "string"}}])},
    "/api/admin/menus/{name}": {"parameters": [_NAME], "get": doc.operation(
        "adminGetMenu", "A menu's active text and its versions", {
            **doc.ok("The menu", _STORED), **doc.errors("404")}, who=doc.READERS)},
    "/api/admin/menus/{name}/versions": {"parameters": [_NAME], "get": doc.operation(
        "adminMenuVersions", "A menu's versions, newest first (`permanence ivr versions`)", {
            **doc.ok("The versions", {"type": "object", "properties": {
                "name": {"type": "string"}, "versions": {"type": "array", "items": _VERSION}}}),
            **doc.errors("404")}, who=doc.READERS)},
    "/api/admin/menus/{name}/rollback": {"parameters": [_NAME], "post": doc.operation(
        "adminRollbackMenu", "Re-activate the version before the active one (`permanence ivr rollback`)", {
            **doc.ok("The version now active", _STORED), **doc.errors("403", "404", "409")},
        description="409 at the first version: nothing to roll back to.")},
}
