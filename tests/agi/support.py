"""Helpers for the FastAGI server tests: routes, a check that the server still serves, waiting for
sessions to end, and the agi loggers' records. The fixtures (serve, store, agi_logs) are in conftest.py.
"""

from __future__ import annotations

import asyncio
import logging

from agi import AGISession, FastAGIServer, Router
from ivr import variables as v

from .fake_asterisk import Channel, agi_headers, call

ROUTE_STATUS_ERROR = f"SET VARIABLE {v.ROUTE_STATUS} error"


def router_with(**routes) -> Router:
    router = Router()
    for name, handler in routes.items():
        router.add(name, handler)
    return router


async def echo(session: AGISession) -> None:
    """A route that proves a session was served: it reports what it saw in the header."""
    await session.set_variable("ECHO_ARGS", ",".join(session.args))
    await session.set_variable("ECHO_NAME", session.headers.get("agi_calleridname", ""))


async def assert_served(server: FastAGIServer, *args: str) -> None:
    """A normal call right now gets a full answer: the server is still serving."""
    channel = Channel()
    commands = await call(server.port, agi_headers("echo", *args), otherwise=channel)
    assert [c.split()[2] for c in commands] == ["ECHO_ARGS", "ECHO_NAME"]
    assert channel.variables["ECHO_ARGS"] == ",".join(args)


async def settled(server: FastAGIServer, timeout: float = 1.0) -> None:
    async with asyncio.timeout(timeout):
        while server.stats.active:
            await asyncio.sleep(0.01)


def agi_records(caplog, level: int | None = None) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("agi") and (level is None or r.levelno == level)]
