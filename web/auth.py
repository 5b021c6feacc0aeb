"""Who is calling: bearer tokens for API clients, session cookies for browsers; logins, rate-limited.

POST /api/login gives a bearer token (no cookie). POST /api/session logs a browser in: a fresh
session id in a cookie and its CSRF token (web.sessions). The middleware finds the user from either,
checks the CSRF token of cookie-authenticated state-changing requests, and requires a user on
every /api/ route but the logins. Role checks live here too: require_role and scope_of.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web

from store import Scope, Store, User, users
from store import sessions as store_sessions
from store.clock import iso
from store.passwords import DUMMY_HASH, verify_password

from . import sessions
from .keys import CREDENTIAL, LIMITER, SESSIONS, STORE, TOKEN_TTL, USER
from .ratelimit import Limited
from .sessions import COOKIE, Credential, digest

# The logins (the API's two and the portal's form without JavaScript, POST /login), and the SMS
# gateway's replies and delivery reports, with its shared token (web.confirm, web.sms_delivery).
PUBLIC = frozenset({("POST", "/api/login"), ("POST", "/api/session"), ("POST", "/login"),
                    ("GET", "/api/sms/inbound"), ("GET", "/api/sms/delivery")})
# A dispatch email's confirmation link: its token is the credential (web.confirm).
PUBLIC_PREFIXES = ("/api/messages/confirm/",)
# Read by calendar applications, which send no login: the handler takes the feed's own token instead.
OWN_TOKEN = frozenset({("GET", "/api/oncall.ics")})
READS_ALL_CLIENTS = frozenset({"admin", "supervisor"})  # a supervisor reads like an admin, changes nothing


def _error(exc_class: type[web.HTTPException], message: str, **kw) -> web.HTTPException:
    return exc_class(text=json.dumps({"error": message}), content_type="application/json", **kw)


def scope_of(user: User) -> Scope:
    """Whose client data the user may read."""
    if user.role in READS_ALL_CLIENTS:
        return Scope.everything()
    if user.role == "agent":
        return Scope.agent(user.agent_id or "")
    return Scope.client(user.client_code or "")


def current_user(request: web.Request) -> User | None:
    return request.get(USER)


def require_role(request: web.Request, *roles: str) -> User:
    """The request's user if its role is one of `roles`. Anyone else gets 404, as for anything they may
    not see (no hint that the route exists); nobody logged in gets 401."""
    user = request.get(USER)
    if user is None:
        raise _unauthorized()
    if user.role not in roles:
        raise _error(web.HTTPNotFound, "not found")
    return user


def _unauthorized() -> web.HTTPException:
    return _error(web.HTTPUnauthorized, "authentication required",
                  headers={"WWW-Authenticate": 'Bearer realm="permanence"'})


async def authenticate(store: Store, login: str, password: str) -> User | None:
    user = await store.read(lambda db: users.get_user(db, login))
    # An unknown login costs one verification too: the time taken says nothing about who exists.
    stored = user.password_hash if user is not None else DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password, stored)
    return user if ok and user is not None else None


async def login_user(request: web.Request, login: str, password: str) -> User:
    """Check a login and password under the rate limits: the user, or 429 / 401."""
    limiter = request.app[LIMITER]
    try:
        attempt = limiter.begin(login, request.remote or "unknown")
    except Limited as exc:
        raise _error(web.HTTPTooManyRequests,
                     f"too many failed logins for this {exc.what}: retry in {exc.retry_after} s",
                     headers={"Retry-After": str(exc.retry_after)}) from None
    user = await authenticate(request.app[STORE], login, password)
    if user is None:
        raise _error(web.HTTPUnauthorized, "invalid login or password")
    limiter.succeeded(attempt)
    return user


async def issue_token(store: Store, user: User, ttl: timedelta) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    expires = iso(datetime.now(UTC) + ttl)
    await store.write(lambda db: users.add_token(db, digest(token), user.login, expires))  # its hash only
    return token, expires


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    if header[:7].lower() != "bearer ":
        return ""  # some other scheme: presented, and wrong
    return header[7:].strip()


async def _identify(request: web.Request) -> tuple[User, Credential] | None:
    store = request.app[STORE]
    token = _bearer(request)
    if token is not None:  # a bearer header wins over a cookie, and never falls back to it
        if not token:
            return None
        hashed = digest(token)
        found = store.access.token_for(hashed)  # kept in memory until the token or its user changes
        return (found[0], Credential("bearer", hashed, found[1])) if found else None
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    row = await sessions.resume(store, session_id, request.app[SESSIONS])
    if row is None:
        return None
    return row.user, Credential("session", row.session_hash, row.expires_at, row.csrf_token)


@web.middleware
async def auth_middleware(request: web.Request, handler):
    api = request.path.startswith("/api/")
    if (request.method, request.path) in PUBLIC or request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)  # a login ignores whatever credential came with it
    found = await _identify(request)
    if found is None:
        if api and (request.method, request.path) not in OWN_TOKEN:
            raise _unauthorized()
        return await handler(request)  # a page decides itself (login form, redirect)
    user, credential = found
    if credential.csrf_token is not None:
        await sessions.check_csrf(request, credential.csrf_token)
    request[USER], request[CREDENTIAL] = user, credential
    return await handler(request)


async def _credentials(request: web.Request) -> tuple[str, str]:
    """login and password from a JSON body or a form."""
    if request.content_type in sessions.FORM_TYPES:
        body: object = dict(await request.post())
    else:
        try:
            body = await request.json()
        except ValueError:
            raise _error(web.HTTPBadRequest, 'body must be JSON: {"login": …, "password": …}') from None
    if not isinstance(body, dict) or not isinstance(body.get("login"), str) \
            or not isinstance(body.get("password"), str):
        raise _error(web.HTTPBadRequest, "login and password (strings) are required")
    return body["login"][:64], body["password"][:1024]


async def login(request: web.Request) -> web.Response:
    """POST /api/login: a bearer token for an API client."""
    user = await login_user(request, *await _credentials(request))
    token, expires = await issue_token(request.app[STORE], user, request.app[TOKEN_TTL])
    return web.json_response({"token": token, "token_type": "Bearer", "expires_at": expires,
                              "login": user.login, "role": user.role, "client_code": user.client_code})


def _identity(user: User, credential: Credential) -> dict:
    return {"login": user.login, "role": user.role, "client_code": user.client_code, "agent_id": user.agent_id,
            "auth": credential.kind, "csrf_token": credential.csrf_token, "expires_at": credential.expires_at}


def _local_path(target: str) -> str | None:
    """`target` if it is a path on this site (never another host: no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def refuse_cross_site(request: web.Request) -> None:
    """Login CSRF: another site must not log the browser into an account of its choosing (403)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise _error(web.HTTPForbidden, "cross-site login refused")


async def open_session(request: web.Request, login: str, password: str) -> tuple[User, str, Credential]:
    """Log a browser in: the user, a fresh session id (whatever cookie came) and its credential; 403
    for a cross-site request, 401 / 429 as login_user."""
    refuse_cross_site(request)
    user = await login_user(request, login, password)
    session_id, credential = await sessions.start(request.app[STORE], request, user.login, request.app[SESSIONS])
    return user, session_id, credential


async def create_session(request: web.Request) -> web.StreamResponse:
    """POST /api/session: log a browser in (JSON or a form). A form's `next` (a local path) gets a 303
    there; otherwise the identity and CSRF token as JSON."""
    refuse_cross_site(request)  # before the body is even read
    user, session_id, credential = await open_session(request, *await _credentials(request))
    target = None
    if request.content_type in sessions.FORM_TYPES:
        field = (await request.post()).get("next")
        target = _local_path(field) if isinstance(field, str) else None
    response = web.Response(status=303, headers={"Location": target}) if target else \
        web.json_response(_identity(user, credential))
    sessions.set_cookie(response, request, session_id)
    return response


async def show_session(request: web.Request) -> web.Response:
    """GET /api/session: who is logged in, and the CSRF token a page must send back."""
    return web.json_response(_identity(request[USER], request[CREDENTIAL]))


async def logout(request: web.Request) -> web.Response:
    """POST /api/logout: end the session (and forget the cookie), or revoke the bearer token."""
    credential = request[CREDENTIAL]
    store = request.app[STORE]
    response = web.Response(status=204)
    if credential.kind == "session":
        await store.write(lambda db: store_sessions.delete_session(db, credential.digest))
        sessions.clear_cookie(response, request)
    else:
        await store.write(lambda db: users.delete_token(db, credential.digest))
    return response


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_LIMITED = _ref("TooManyRequests")

OPENAPI_SCHEMAS: dict = {
    "Credentials": {"type": "object", "required": ["login", "password"], "properties": {
        "login": {"type": "string", "maxLength": 64}, "password": {"type": "string"}}},
    "BearerToken": {"type": "object", "required": ["token", "token_type", "expires_at", "login", "role"],
                    "properties": {
                        "token": {"type": "string"}, "token_type": {"const": "Bearer"},
                        "expires_at": {"type": "string", "format": "date-time"}, "login": {"type": "string"},
                        "role": {"type": "string", "enum": list(users.ROLES)},
                        "client_code": {"type": ["string", "null"]}}},
    "Identity": {"type": "object", "required": ["login", "role", "client_code", "auth", "csrf_token", "expires_at"],
                 "properties": {
                     "login": {"type": "string"}, "role": {"type": "string", "enum": list(users.ROLES)},
                     "client_code": {"type": ["string", "null"], "description": "set for a client user only"},
                     "agent_id": {"type": ["string", "null"],
                                  "description": "the softphone extension of an agent (and of a supervisor or "
                                                 "admin who listens to calls)"},
                     "auth": {"type": "string", "enum": ["bearer", "session"]},
                     "csrf_token": {"type": ["string", "null"],
                                    "description": "the session's CSRF token (X-CSRF-Token header or csrf_token "
                                                   "form field of every state-changing request); null for bearer"},
                     "expires_at": {"type": "string", "format": "date-time"}}},
}

_FORBIDDEN = _json("Error", "CSRF token missing or wrong (cookie-authenticated requests)")

OPENAPI_PATHS: dict = {
    "/api/login": {"post": {
        "operationId": "login",
        "tags": ["auth"],
        "summary": "Log an API client in: a bearer token (no cookie)",
        "description": "Rate-limited: failed logins per account and per address in a sliding window, "
                       "then 429 with Retry-After.",
        "security": [],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}}}},
        "responses": {
            "200": _json("BearerToken", "The token and whom it is for"),
            "400": _ref("BadRequest"),
            "401": _ref("Unauthorized"),
            "413": _json("Error", "Body too large"),
            "429": _LIMITED}}},
    "/api/session": {
        "post": {
            "operationId": "createSession",
            "tags": ["auth"],
            "summary": "Log a browser in: a new session cookie (HttpOnly, SameSite=Strict) and its CSRF token",
            "description": "Always a new session id, whatever cookie came with the request. A form with a "
                           "`next` field (a local path) is answered 303 there. Same rate limits as /api/login; "
                           "a cross-site request (Sec-Fetch-Site) is refused.",
            "security": [],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}},
                "application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["login", "password"], "properties": {
                        "login": {"type": "string"}, "password": {"type": "string"},
                        "next": {"type": "string", "description": "a local path to go to once logged in"}}}}}},
            "responses": {
                "200": _json("Identity", "Logged in; the session cookie is set"),
                "303": {"description": "Logged in from a form with `next`: go there"},
                "400": _ref("BadRequest"),
                "401": _ref("Unauthorized"),
                "403": _json("Error", "Cross-site login refused"),
                "429": _LIMITED}},
        "get": {
            "operationId": "getSession",
            "tags": ["auth"],
            "summary": "Who is logged in, and the session's CSRF token",
            "responses": {
                "200": _json("Identity", "The identity"),
                "401": _ref("Unauthorized")}}},
    "/api/logout": {"post": {
        "operationId": "logout",
        "tags": ["auth"],
        "summary": "End the browser session (CSRF token required) or revoke the bearer token",
        "responses": {
            "204": {"description": "Logged out; the cookie is cleared"},
            "401": _ref("Unauthorized"),
            "403": _FORBIDDEN}}},
}
