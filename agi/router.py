"""Routes, registered explicitly by name: no registration by import side effect."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from .session import AGISession

Handler = Callable[[AGISession], Awaitable[None]]


def _is_async_handler(handler: object) -> bool:
    """An `async def` function (or a partial/bound method of one), or an object whose __call__ is one."""
    if inspect.iscoroutinefunction(handler):
        return True
    if inspect.isroutine(handler) or inspect.isclass(handler) or not callable(handler):
        return False
    return inspect.iscoroutinefunction(type(handler).__call__)


class Router:
    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        if not name or "/" in name or name in self._routes:
            raise ValueError(f"bad or duplicate AGI route name {name!r}")
        # A sync handler would block the event loop for every call (and its None is not awaitable):
        # refuse it here, at start-up, rather than on the first call.
        if not _is_async_handler(handler):
            raise TypeError(
                f"AGI route {name!r}: the handler must be a coroutine function (async def) or an object "
                f"with an async __call__, got {handler!r}"
            )
        self._routes[name] = handler

    def resolve(self, script: str) -> Handler | None:
        return self._routes.get(script)

    @property
    def names(self) -> list[str]:
        return sorted(self._routes)
