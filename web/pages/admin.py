"""The admin pages (admins only; a supervisor reads every client's calls but gets the 404 page here):
clients with their settings, DIDs, IVR menus with their versions and active text, users, agents and
their queues, and Asterisk's configuration check and reload. Read server-side
with the store's own functions, as the admin API (web/admin) reads them; their forms change things
through that API (web/static/admin.js: JSON with the session's CSRF token), which validates."""

from __future__ import annotations

from collections import Counter

from aiohttp import web

from ivr.schedule import to_json
from store import agents, clients, menus, users

from ..admin import SETTINGS
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


@page(*ADMIN)
async def users_page(view: Page) -> web.StreamResponse:
    found, known, phones = await view.store.read(
        lambda db: (users.list_users(db), clients.list_clients(db), agents.list_agents(db)))
    return view.render("admin_users.html", users=found, roles=users.ROLES, names={c.code: c.name for c in known},
                       agents=phones)


@page(*ADMIN)
async def agents_page(view: Page) -> web.StreamResponse:
    found, members = await view.store.read(lambda db: (agents.list_agents(db), agents.list_members(db)))
    queues: dict[str, list[agents.Membership]] = {}
    for member in members:
        queues.setdefault(member.agent_id, []).append(member)
    return view.render("admin_agents.html", agents=found, queues=queues)


@page(*ADMIN)
async def asterisk_page(view: Page) -> web.StreamResponse:
    return view.render("admin_asterisk.html", configured=view.request.app[SETTINGS].asterisk is not None)


OPENAPI_PATHS: dict = {
    "/admin/clients": {"get": html_operation("adminClientsPage", "Clients and their settings (admins)")},
    "/admin/dids": {"get": html_operation("adminDidsPage", "The DIDs and the client each reaches (admins)")},
    "/admin/menus": {"get": html_operation("adminMenusPage", "The active IVR menus and their versions (admins)")},
    "/admin/menus/{name}": {"get": html_operation(
        "adminMenuPage", "One IVR menu: its active text and its versions (admins)",
        parameters=({"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},))},
    "/admin/users": {"get": html_operation("adminUsersPage", "Users: add, change a password, remove (admins)")},
    "/admin/agents": {"get": html_operation("adminAgentsPage", "Agents and their queues (admins)")},
    "/admin/asterisk": {"get": html_operation("adminAsteriskPage", "Check and reload Asterisk's configuration "
                                                                    "(admins)")},
}
