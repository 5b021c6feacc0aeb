"""The admin API under /api/admin/: clients (their directory, InfoPages, on-call schedule and script), DIDs, users,
agents and their queues, queues, IVR menus, Asterisk.

Who: admins change everything; supervisors read clients, DIDs, menus, agents and queues (never users) and
change nothing; anyone else gets 404 (web.auth.require_role). Bodies are JSON objects; a bad field is
400 naming it, an unknown id 404, a taken one 409 (web.admin.body). A cookie session's state change
carries its CSRF token (the auth middleware checks it before any handler runs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from . import agents, asterisk, clients, dids, directory, doc, menus, oncall, oncall_schedules, queues, script, users
from .settings import SETTINGS, AdminSettings, AsteriskAdmin

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/admin/clients", clients.list_clients),
    ("POST", "/api/admin/clients", clients.create_client),
    ("GET", "/api/admin/clients/{code}", clients.get_client),
    ("PATCH", "/api/admin/clients/{code}", clients.update_client),
    ("GET", "/api/admin/clients/{code}/contacts", directory.list_contacts),
    ("POST", "/api/admin/clients/{code}/contacts", directory.create_contact),
    ("GET", "/api/admin/clients/{code}/contacts/{id}", directory.get_contact),
    ("PATCH", "/api/admin/clients/{code}/contacts/{id}", directory.update_contact),
    ("DELETE", "/api/admin/clients/{code}/contacts/{id}", directory.delete_contact),
    ("GET", "/api/admin/clients/{code}/infopages", directory.get_infopages),
    ("PUT", "/api/admin/clients/{code}/infopages", directory.put_infopages),
    ("GET", "/api/admin/clients/{code}/oncall", oncall.get_schedule),
    ("GET", "/api/admin/clients/{code}/oncall/schedules", oncall_schedules.list_schedules),
    ("POST", "/api/admin/clients/{code}/oncall/schedules", oncall_schedules.create_schedule),
    ("PATCH", "/api/admin/clients/{code}/oncall/schedules/{name}", oncall_schedules.relabel_schedule),
    ("DELETE", "/api/admin/clients/{code}/oncall/schedules/{name}", oncall_schedules.delete_schedule),
    ("PUT", "/api/admin/clients/{code}/oncall/rotation", oncall.put_rotation),
    ("DELETE", "/api/admin/clients/{code}/oncall/rotation", oncall.delete_rotation),
    ("POST", "/api/admin/clients/{code}/oncall/overrides", oncall.create_override),
    ("DELETE", "/api/admin/clients/{code}/oncall/overrides/{id}", oncall.delete_override),
    ("GET", "/api/admin/clients/{code}/script", script.get_script),
    ("PUT", "/api/admin/clients/{code}/script", script.put_script),
    ("DELETE", "/api/admin/clients/{code}/script", script.delete_script),
    ("GET", "/api/admin/dids", dids.list_dids),
    ("POST", "/api/admin/dids", dids.create_did),
    ("GET", "/api/admin/dids/{did}", dids.get_did),
    ("PATCH", "/api/admin/dids/{did}", dids.update_did),
    ("DELETE", "/api/admin/dids/{did}", dids.delete_did),
    ("GET", "/api/admin/users", users.list_users),
    ("POST", "/api/admin/users", users.create_user),
    ("GET", "/api/admin/users/{login}", users.get_user),
    ("DELETE", "/api/admin/users/{login}", users.delete_user),
    ("PUT", "/api/admin/users/{login}/password", users.set_password),
    ("GET", "/api/admin/agents", agents.list_agents),
    ("POST", "/api/admin/agents", agents.create_agent),
    ("GET", "/api/admin/agents/{id}", agents.get_agent),
    ("PATCH", "/api/admin/agents/{id}", agents.update_agent),
    ("DELETE", "/api/admin/agents/{id}", agents.delete_agent),
    ("PUT", "/api/admin/agents/{id}/queues/{queue}", agents.join_queue),
    ("DELETE", "/api/admin/agents/{id}/queues/{queue}", agents.leave_queue),
    ("PUT", "/api/admin/pause-reasons/{code}", agents.put_reason),
    ("DELETE", "/api/admin/pause-reasons/{code}", agents.delete_reason),
    ("GET", "/api/admin/queues", queues.list_queues),
    ("GET", "/api/admin/queues/{name}", queues.get_queue),
    ("PUT", "/api/admin/queues/{name}", queues.put_queue),
    ("DELETE", "/api/admin/queues/{name}", queues.delete_queue),
    ("POST", "/api/admin/ivr/check", menus.check),
    ("POST", "/api/admin/ivr/apply", menus.apply),
    ("GET", "/api/admin/menus", menus.list_menus),
    ("GET", "/api/admin/menus/{name}", menus.get_menu),
    ("GET", "/api/admin/menus/{name}/versions", menus.menu_versions),
    ("POST", "/api/admin/menus/{name}/rollback", menus.rollback),
    ("POST", "/api/admin/asterisk/check", asterisk.check),
    ("POST", "/api/admin/asterisk/reload", asterisk.reload),
)

DOCUMENTED = (doc, clients, dids, users, agents, queues, menus, asterisk, directory, oncall, oncall_schedules, script)

__all__ = ["DOCUMENTED", "ROUTES", "SETTINGS", "AdminSettings", "AsteriskAdmin"]
