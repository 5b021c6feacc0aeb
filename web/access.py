"""Request ids and the JSON access log: one line per request on the `permanence.access` logger.

The line is written by aiohttp's access-logger hook rather than a middleware because only then are the
bytes sent and the whole duration known (a file or an event stream is written after the handler
returns). Fields: time, request_id, method, path (no query string: filters stay out of the logs; nor
a confirmation link's token), route (the template, or null when no route matched), status, bytes
(body_bytes), duration_ms, remote (the client, behind a trusted proxy too), user (the login, when the
request was authenticated), user_agent.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from dataclasses import dataclass

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from store.clock import now_iso

from .keys import USER

ACCESS_LOGGER = "permanence.access"
REQUEST_ID_HEADER = "X-Request-Id"
# What a proxy or a client may hand us as a request id: short, and safe in a header and a log line.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")


@dataclass
class RequestInfo:
    """What the access log needs from inside the middleware chain. One mutable object in the request's
    state, because the security guard hands the handlers a clone of the request (the client's address
    behind a trusted proxy) whose state is a copy: the clone's keys never reach the request aiohttp logs,
    but this object is the same in both."""

    request_id: str
    remote: str | None = None
    user: str | None = None


INFO = web.RequestKey("request_info", RequestInfo)


def request_id_of(request: web.Request) -> str:
    presented = request.headers.get(REQUEST_ID_HEADER, "")
    # 128 random bits as 32 hex digits, as a UUID4's hex but without building the UUID (a third the cost)
    return presented if presented and REQUEST_ID.fullmatch(presented) else os.urandom(16).hex()


@web.middleware
async def request_ids(request: web.Request, handler):
    """Outermost: each request gets an id, the caller's if it is a sane one, else a new one."""
    request[INFO] = RequestInfo(request_id_of(request), remote=request.remote)
    return await handler(request)


@web.middleware
async def identify(request: web.Request, handler):
    """Just inside the security guard: the client's real address, and the user once auth has run."""
    info = request.get(INFO)
    if info is None:
        return await handler(request)
    info.remote = request.remote
    try:
        return await handler(request)
    finally:
        info.user = getattr(request.get(USER), "login", None)


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response sends the id back, errors and streams included."""
    info = request.get(INFO)
    if info is not None:
        response.headers[REQUEST_ID_HEADER] = info.request_id


def body_bytes(request: BaseRequest, response: web.StreamResponse) -> int:
    """The body's declared length (files are sent with sendfile, which aiohttp's own count misses); a
    stream that declares none (events) counts what it wrote, headers included."""
    if request.method == "HEAD" or response.status in (204, 304):
        return 0
    declared = response.content_length
    return declared if declared is not None else response.body_length


# Paths whose last segment is a credential (a dispatch email's confirmation link): logged without it.
SECRET_PATHS = ("/api/messages/confirm/",)


def _logged_path(path: str) -> str:
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "{token}"
    return path


def access_record(request: BaseRequest, response: web.StreamResponse, seconds: float) -> dict[str, object]:
    try:
        resource = request.match_info.route.resource  # type: ignore[attr-defined]
    except (AttributeError, AssertionError):
        resource = None  # the request never reached the router (it could not be parsed)
    info = request.get(INFO)
    return {
        "time": now_iso(),
        "request_id": info.request_id if info else None,
        "method": request.method,
        "path": _logged_path(request.path),
        "route": resource.canonical if resource is not None else None,
        "status": response.status,
        "bytes": body_bytes(request, response),
        "duration_ms": round(seconds * 1000, 3),
        "remote": info.remote if info else request.remote,
        "user": info.user if info else None,
        "user_agent": request.headers.get("User-Agent", "")[:256],
    }


class JsonAccessLogger(AbstractAccessLogger):
    """aiohttp's access_log_class: the record above as one JSON line."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        # The record made here and handled as Logger.info would, without Logger.info's walk up the stack
        # for the caller's file and line, which an access line never shows (a third of its cost).
        logger = self.logger
        line = json.dumps(access_record(request, response, time), ensure_ascii=False)
        logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, None, None))

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def access_logger() -> logging.Logger:
    """The access logger, writing bare JSON lines to standard output (the application's own log goes
    to standard error): idempotent, so serving twice in one process does not double the lines."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # not again through the root logger's text format
    return logger
