"""JSON in and out for the admin routes: a body is one JSON object whose fields are read one by one; a
bad field is a 400 naming it, an unknown id 404, a taken one 409 — the store's own errors mapped here,
once, so that every route answers alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from aiohttp import web

from store import agents, clients, menus, queues, users

from ..keys import STORE

T = TypeVar("T")
MAX_TEXT = 256

# The store's refusals by kind; anything else a store function raises as ValueError is a bad field.
NOT_FOUND = (clients.ClientNotFound, users.UserNotFound, agents.AgentNotFound, menus.MenuNotFound,
             queues.QueueNotFound)
CONFLICT = (clients.ClientConflict, users.UserConflict, agents.AgentConflict, menus.MenuConflict,
            queues.QueueConflict)
REFUSED = (clients.ClientError, users.UserError, agents.AgentError, menus.MenuStoreError, queues.QueueError)


def error(exc_class: type[web.HTTPException], message: str, field: str | None = None, *, prefix: bool = True,
          **extra: Any) -> web.HTTPException:
    """A JSON error; its message starts with the field's name unless `prefix` is false."""
    named = prefix and field and not message.startswith(field)
    body: dict[str, Any] = {"error": f"{field}: {message}" if named else message}
    if field:
        body["field"] = field
    return exc_class(text=json.dumps({**body, **extra}), content_type="application/json")


def bad(message: str, field: str | None = None, **extra: Any) -> web.HTTPException:
    return error(web.HTTPBadRequest, message, field, **extra)


def not_found(what: str) -> web.HTTPException:
    return error(web.HTTPNotFound, f"{what} not found")


def refused(exc: ValueError) -> web.HTTPException:
    """The HTTP answer to a store refusal."""
    field = getattr(exc, "field", None)
    if isinstance(exc, NOT_FOUND):
        return error(web.HTTPNotFound, str(exc))
    if isinstance(exc, CONFLICT):
        return error(web.HTTPConflict, str(exc), field)
    return bad(str(exc), field)


async def write(request: web.Request, fn: Callable[..., T]) -> T:
    """Run a change in the store's writer (all of it or none: its own savepoint); refusals become answers."""
    try:
        return await request.app[STORE].write(fn)
    except REFUSED as exc:
        raise refused(exc) from None


async def read(request: web.Request, fn: Callable[..., T]) -> T:
    return await request.app[STORE].read(fn)


class Body:
    """The request's JSON object; unknown fields are refused (a misspelt one would be silently ignored)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    async def read(cls, request: web.Request, known: Collection[str]) -> Body:
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise bad("the body must be a JSON object") from None
        if not isinstance(data, dict):
            raise bad("the body must be a JSON object")
        for name in data:
            if name not in known:
                raise bad(f"unknown field; this route takes {', '.join(sorted(known))}", str(name)[:64])
        return cls(data)

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise bad("missing", name)
            return None
        if not isinstance(value, str):
            raise bad(f"must be text, got {_kind(value)}", name)
        if len(value) > max_length:
            raise bad(f"at most {max_length} characters", name)
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise bad(f"must be a whole number from {low} to {high}, got {json.dumps(value)[:32]}", name)
        return value

    def raw(self, name: str) -> Any:
        return self.data.get(name)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)
