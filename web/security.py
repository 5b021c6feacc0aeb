"""What every response and request goes through: security headers, the body size limit, and the
client's real address and scheme behind a trusted reverse proxy.

The headers are added when a response is prepared (aiohttp's on_response_prepare), not by a
middleware: that is the one place that also sees streamed responses (files, Server-Sent Events),
errors raised anywhere and the router's own 404 and 405.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from .keys import LIMITER, SESSIONS, TRUSTED_PROXIES, Networks
from .ratelimit import LoginLimiter
from .sessions import SessionPolicy

MAX_BODY = 64 * 1024  # the API takes small JSON bodies and forms; nothing is uploaded through it

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "media-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
))
HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


@dataclass(frozen=True)
class SecuritySettings:
    """Sessions, login limits and proxies ([web] in the configuration)."""

    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    failures_per_account: int = 5
    failures_per_address: int = 20
    failure_window: timedelta = timedelta(minutes=15)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (the TLS reverse proxy in front):
    # addresses or networks.
    trusted_proxies: tuple[str, ...] = ()


def install(app: web.Application, settings: SecuritySettings) -> None:
    """Keep the settings on the app and add the headers to every response it prepares."""
    app[SESSIONS] = settings.sessions
    app[TRUSTED_PROXIES] = networks(settings.trusted_proxies)
    app[LIMITER] = LoginLimiter(settings.failures_per_account, settings.failures_per_address,
                                settings.failure_window)
    app.on_response_prepare.append(add_headers)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS:
        response.headers.setdefault(name, value)  # a handler that set its own (a page's CSP) keeps it
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")  # tokens and client data stay out of caches
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def networks(proxies: tuple[str, ...]) -> Networks:
    """The trusted proxies as networks ("10.0.0.5", "172.16.0.0/12", "::1"); ValueError if one is not."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def trusts(trusted: Networks, address: str | None) -> bool:
    if not trusted:  # no proxy in front (the usual case): nothing to parse on every request
        return False
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def too_large() -> web.HTTPRequestEntityTooLarge:
    exc = web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=0)
    exc.text = json.dumps({"error": f"request body too large: at most {MAX_BODY} bytes"})
    exc.content_type = "application/json"
    return exc


def _forwarded(request: web.Request, trusted: Networks) -> web.Request:
    """The request as the client made it, if it came through a trusted proxy."""
    if not trusts(trusted, request.remote):
        return request
    changes: dict[str, str] = {}
    # The rightmost address the trusted proxies did not add themselves is the client's (anything to
    # its left was written by the client and proves nothing).
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        changes["remote"] = hop
        if not trusts(trusted, hop):
            break
    proto = request.headers.get("X-Forwarded-Proto", "").strip().lower()
    if proto in ("http", "https"):
        changes["scheme"] = proto
    return request.clone(**changes) if changes else request


@web.middleware
async def guard(request: web.Request, handler):
    """Outermost: refuse an oversized body before anyone reads it, answer in JSON if it is found
    out while reading, and see the client behind a trusted proxy."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise too_large()
    try:
        return await handler(_forwarded(request, request.app[TRUSTED_PROXIES]))
    except web.HTTPRequestEntityTooLarge:
        raise too_large() from None
