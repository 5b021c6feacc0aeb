"""Routes, registered explicitly by name: no registration by import side effect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .session import AGISession

Handler = Callable[[AGISession], Awaitable[None]]


class Router:
    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        if not name or "/" in name or name in self._routes:
            raise ValueError(f"bad or duplicate AGI route name {name!r}")
        self._routes[name] = handler

    def resolve(self, script: str) -> Handler | None:
        return self._routes.get(script)

    @property
    def names(self) -> list[str]:
        return sorted(self._routes)
