"""Browser sessions and their CSRF token.

A session id is 32 random bytes given to the browser in an HttpOnly, SameSite=Strict cookie (Secure
over https); the store keeps only its SHA-256. Every login makes a new id, whatever cookie the
browser brought, so an id planted before the login is worth nothing after it (no fixation).

Each session has a synchronizer token (CSRF), given to the page by GET /api/session. Every
state-changing request authenticated by the cookie must carry it back, in the X-CSRF-Token header
or a form's `csrf_token` field; bearer tokens need none (a browser never sends them on its own).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiohttp import web

from store import Store
from store import sessions as store_sessions
from store.clock import iso, parse_iso

COOKIE = "permanence_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)       # unused this long: over
    lifetime: timedelta = timedelta(hours=12)     # used or not: over after this long

    def deadline(self, created: datetime, now: datetime) -> datetime:
        """The idle deadline after a use at `now`, never past the session's whole life."""
        return min(now + self.idle, created + self.lifetime)


@dataclass(frozen=True)
class Credential:
    """How the request authenticated: a bearer token or a session cookie (with its CSRF token)."""

    kind: Literal["bearer", "session"]
    digest: str                     # SHA-256 of the token or session id, as stored
    expires_at: str
    csrf_token: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii", errors="replace")).hexdigest()


async def start(store: Store, request: web.Request, login: str, policy: SessionPolicy) -> tuple[str, Credential]:
    """A new session for `login` (the one the browser brought, if any, is ended): its id and credential."""
    old = request.cookies.get(COOKIE)
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = iso(policy.deadline(now, now))
    hashed = digest(session_id)

    def write(db) -> None:
        if old:
            store_sessions.delete_session(db, digest(old))
        store_sessions.add_session(db, hashed, login, csrf, expires, request.remote)

    await store.write(write)
    return session_id, Credential("session", hashed, expires, csrf)


async def resume(store: Store, session_id: str, policy: SessionPolicy) -> store_sessions.SessionRow | None:
    """The session this cookie names if it is still alive; its idle deadline moves forward."""
    now = datetime.now(UTC)
    hashed = digest(session_id)
    row = await store.read(lambda db: store_sessions.get_session(
        db, hashed, iso(now), iso(now - policy.lifetime)))
    if row is None:
        return None
    deadline = policy.deadline(parse_iso(row.created_at), now)
    # One write a minute at most per session (not one per request), queued behind the response.
    if deadline - parse_iso(row.expires_at) > min(timedelta(minutes=1), policy.idle / 10):
        store.write_later(lambda db: store_sessions.touch_session(db, hashed, iso(deadline)), "session touch")
    return row


def set_cookie(response: web.StreamResponse, request: web.Request, session_id: str) -> None:
    # No Max-Age: the cookie ends with the browser; the server ends the session on its own terms.
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="Strict", secure=request.secure, path="/")


def clear_cookie(response: web.StreamResponse, request: web.Request) -> None:
    response.del_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=request.secure)


async def presented_csrf(request: web.Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.content_type in FORM_TYPES:
        form = await request.post()  # aiohttp keeps it: the handler reads the same form again
        field = form.get(CSRF_FIELD)
        token = field if isinstance(field, str) else None
    return token


def csrf_matches(presented: str | None, expected: str) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(presented.encode("utf-8", errors="replace"), expected.encode("utf-8"))


async def check_csrf(request: web.Request, expected: str) -> None:
    """Refuse a state-changing request that does not carry its session's CSRF token (403)."""
    if request.method in SAFE_METHODS:
        return
    presented = await presented_csrf(request)
    if not presented:
        reason = f"CSRF token missing: send the session's token in the {CSRF_HEADER} header or the " \
                 f"{CSRF_FIELD} form field (GET /api/session gives it)"
    elif not csrf_matches(presented, expected):
        reason = "CSRF token does not match this session"
    else:
        return
    raise web.HTTPForbidden(text=json.dumps({"error": reason}), content_type="application/json")
