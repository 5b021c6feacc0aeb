"""Who is calling the API: bearer tokens and the session cookie carrying the same token."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from aiohttp import web

from store import Scope, Store, User, users
from store.clock import iso, now_iso
from store.passwords import DUMMY_HASH, verify_password

from .keys import STORE, TOKEN_TTL, USER

COOKIE = "permanence_session"
PUBLIC = frozenset({("POST", "/api/login"), ("GET", "/healthz")})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


def scope_of(user: User) -> Scope:
    return Scope.everything() if user.role == "admin" else Scope.client(user.client_code or "")


async def authenticate(store: Store, login: str, password: str) -> User | None:
    user = await store.read(lambda db: users.get_user(db, login))
    stored = user.password_hash if user is not None else DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password, stored)
    return user if ok and user is not None else None


async def issue_token(store: Store, user: User, ttl: timedelta) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    expires = iso(datetime.now(UTC) + ttl)
    await store.write(lambda db: users.add_token(db, token_hash(token), user.login, expires))
    return token, expires


def _presented_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(COOKIE)


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if (request.method, request.path) in PUBLIC or not request.path.startswith("/api/"):
        return await handler(request)
    token = _presented_token(request)
    user = None
    if token:
        digest = token_hash(token)
        user = await request.app[STORE].read(lambda db: users.user_for_token(db, digest, now_iso()))
    if user is None:
        raise web.HTTPUnauthorized(
            text='{"error": "authentication required"}', content_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="permanence"'})
    request[USER] = user
    return await handler(request)


async def login(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text='{"error": "body must be JSON: {\\"login\\": …, \\"password\\": …}"}',
                                 content_type="application/json") from None
    if not isinstance(body, dict) or not isinstance(body.get("login"), str) \
            or not isinstance(body.get("password"), str):
        raise web.HTTPBadRequest(text='{"error": "login and password (strings) are required"}',
                                 content_type="application/json")
    store = request.app[STORE]
    user = await authenticate(store, body["login"][:64], body["password"][:1024])
    if user is None:
        raise web.HTTPUnauthorized(text='{"error": "invalid login or password"}',
                                   content_type="application/json")
    token, expires = await issue_token(store, user, request.app[TOKEN_TTL])
    response = web.json_response({"token": token, "token_type": "Bearer", "expires_at": expires,
                                  "login": user.login, "role": user.role, "client_code": user.client_code})
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.secure,
                        max_age=int(request.app[TOKEN_TTL].total_seconds()), path="/")
    return response
