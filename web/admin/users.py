"""Admin API: web accounts — admin, supervisor, client (bound to one client), agent (bound to an agent
id; a supervisor or admin may be bound to one too, the softphone they listen on). Passwords are hashed with
scrypt off the event loop; no answer ever holds a hash. A new password or a removal revokes every
session and token of the user (the admin's own too, when it is the admin's account). The last admin
cannot be removed: someone must be left to administer."""

from __future__ import annotations

import asyncio

import sqlite_utils
from aiohttp import web

from store import users
from store.passwords import hash_password
from store.users import MIN_PASSWORD, User, UserConflict

from ..auth import require_role
from . import doc
from .body import Body, bad, not_found, read, write

MAX_PASSWORD = 1024


def user_json(user: User) -> dict:
    return {"login": user.login, "role": user.role, "client_code": user.client_code, "agent_id": user.agent_id}


async def _password_hash(body: Body) -> str:
    password = body.text("password", required=True, max_length=MAX_PASSWORD) or ""
    if len(password) < MIN_PASSWORD:
        raise bad(f"too short ({MIN_PASSWORD} characters at least)", "password")
    return await asyncio.to_thread(hash_password, password)


async def list_users(request: web.Request) -> web.Response:
    require_role(request, "admin")
    found = await read(request, users.list_users)
    return web.json_response({"users": [user_json(u) for u in found]})


async def get_user(request: web.Request) -> web.Response:
    require_role(request, "admin")
    login = request.match_info["login"]
    found = await read(request, lambda db: users.get_user(db, login))
    if found is None:
        raise not_found("user")
    return web.json_response(user_json(found))


async def create_user(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await Body.read(request, {"login", "password", "role", "client_code", "agent_id"})
    login = body.text("login", required=True, max_length=64) or ""
    role = body.text("role", required=True, max_length=16) or ""
    client_code = body.text("client_code", max_length=8)
    agent_id = body.text("agent_id", max_length=8)
    password_hash = await _password_hash(body)
    created = await write(request, lambda db: users.add_user(db, login, password_hash, role, client_code, agent_id))
    return web.json_response(user_json(created), status=201)


async def set_password(request: web.Request) -> web.Response:
    require_role(request, "admin")
    login = request.match_info["login"]
    body = await Body.read(request, {"password"})
    password_hash = await _password_hash(body)
    await write(request, lambda db: users.set_password(db, login, password_hash))
    return web.Response(status=204)


async def delete_user(request: web.Request) -> web.Response:
    require_role(request, "admin")
    login = request.match_info["login"]

    def remove(db: sqlite_utils.Database) -> None:
        user = users.get_user(db, login)
        if user is not None and user.role == "admin" and users.count_users(db, "admin") == 1:
            raise UserConflict(f"{login} is the last admin: create another before removing it", "login")
        users.remove_user(db, login)

    await write(request, remove)
    return web.Response(status=204)


_USER = {"type": "object", "required": ["login", "role", "client_code", "agent_id"], "properties": {
    "login": {"type": "string"}, "role": {"type": "string", "enum": list(users.ROLES)},
    "client_code": {"type": ["string", "null"], "description": "a client user's client; null for the others"},
    "agent_id": {"type": ["string", "null"], "description": "an agent's softphone; a supervisor's or admin's "
                                                            "to listen on; null for a client"}}}
_PASSWORD = {"type": "string", "minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD}
OPENAPI_SCHEMAS: dict = {"AdminUser": _USER}
_LOGIN = doc.path("login", "the user's login")
OPENAPI_PATHS: dict = {
    "/api/admin/users": {
        "get": doc.operation("adminListUsers", "Every user (never a password hash)", {
            **doc.ok("The users", {"type": "object", "properties": {
                "users": {"type": "array", "items": doc.ref("AdminUser")}}}), **doc.errors("404")}),
        "post": doc.operation("adminCreateUser", "Create a user", {
            **doc.ok("Created", doc.ref("AdminUser"), "201"), **doc.errors("400", "403", "404", "409")},
            requestBody=doc.body({"type": "object", "required": ["login", "password", "role"],
                                  "additionalProperties": False, "properties": {
                                      "login": {"type": "string", "pattern": "^[A-Za-z0-9._@-]{1,64}$"},
                                      "password": _PASSWORD, "role": {"type": "string", "enum": list(users.ROLES)},
                                      "client_code": {"type": "string", "description": "required for a client user, "
                                                                                       "refused for the others"},
                                      "agent_id": {"type": "string", "description": "required for an agent; "
                                                                                    "optional for a supervisor or "
                                                                                    "admin; refused for a client"}}}),
            description="409 if the login is taken."),
    },
    "/api/admin/users/{login}": {
        "parameters": [_LOGIN],
        "get": doc.operation("adminGetUser", "One user", {**doc.ok("The user", doc.ref("AdminUser")),
                                                          **doc.errors("404")}),
        "delete": doc.operation("adminDeleteUser", "Remove a user and end its sessions and tokens", {
            **doc.ok("Removed", status="204"), **doc.errors("403", "404", "409")},
            description="409 for the last admin."),
    },
    "/api/admin/users/{login}/password": {
        "parameters": [_LOGIN],
        "put": doc.operation("adminSetPassword", "Set a user's password; its sessions and tokens end", {
            **doc.ok("Changed", status="204"), **doc.errors("400", "403", "404")},
            requestBody=doc.body({"type": "object", "required": ["password"], "additionalProperties": False,
                                  "properties": {"password": _PASSWORD}})),
    },
}
