"""The admin pages (admins only; a supervisor reads every client's calls but gets the 404 page here):
clients with their settings, DIDs, IVR menus with their versions and active text. Read server-side
with the store's own functions, as the admin API (web/admin) reads them; their forms change things
through that API (web/static/admin.js: JSON with the session's CSRF token), which validates."""

from __future__ import annotations

from collections import Counter

from aiohttp import web

from ivr.schedule import to_json
from store import clients, menus

from .render import ADMIN, Page, html_operation, page

MAX_MENU_NAME = 64


@page(*ADMIN)
async def clients_page(view: Page) -> web.StreamResponse:
    found, dids, active = await view.store.read(
        lambda db: (clients.list_clients(db), clients.list_dids(db), menus.active_menus(db)))
    client_menus: dict[str, list[str]] = {}
    for name, item in sorted(active.items()):
        client_menus.setdefault(item.client_code, []).append(name)
    return view.render("admin_clients.html", clients=found, did_counts=Counter(d.client_code for d in dids),
                       client_menus=client_menus, schedules={c.code: to_json(c.schedule) for c in found})


@page(*ADMIN)
async def dids_page(view: Page) -> web.StreamResponse:
    found, known = await view.store.read(lambda db: (clients.list_dids(db), clients.list_clients(db)))
    return view.render("admin_dids.html", dids=found, names={c.code: c.name for c in known})


@page(*ADMIN)
async def menus_page(view: Page) -> web.StreamResponse:
    def read(db) -> list[tuple[menus.StoredMenu, list[tuple[int, str, bool]]]]:
        return [(item, menus.menu_versions(db, name)) for name, item in sorted(menus.active_menus(db).items())]

    found, known = await view.store.read(lambda db: (read(db), clients.list_clients(db)))
    entry = {c.entry_menu: c.code for c in known if c.entry_menu}
    return view.render("admin_menus.html", menus=found, entry=entry, names={c.code: c.name for c in known})


@page(*ADMIN)
async def menu_page(view: Page) -> web.StreamResponse:
    name = view.request.match_info["name"]
    if len(name) > MAX_MENU_NAME:
        return view.not_found()
    item, versions = await view.store.read(lambda db: (menus.active_menu(db, name), menus.menu_versions(db, name)))
    if item is None:
        return view.not_found()
    return view.render("admin_menu.html", menu=item, versions=versions)


OPENAPI_PATHS: dict = {
    "/admin/clients": {"get": html_operation("adminClientsPage", "Clients and their settings (admins)")},
    "/admin/dids": {"get": html_operation("adminDidsPage", "The DIDs and the client each reaches (admins)")},
    "/admin/menus": {"get": html_operation("adminMenusPage", "The active IVR menus and their versions (admins)")},
    "/admin/menus/{name}": {"get": html_operation(
        "adminMenuPage", "One IVR menu: its active text and its versions (admins)",
        parameters=({"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},))},
}
