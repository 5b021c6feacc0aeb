from __future__ import annotations

import faulthandler
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from agi import FastAGIServer, Router
from store import Store, clients

pytest.register_assert_rewrite("tests.agi.support")  # its asserts explain failures as a test's would

WATCHDOG_S = 20.0


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """asyncio timeouts cannot stop a loop that never yields (panoramisk's EOF spin would do exactly
    that): dump the stacks and exit rather than hang CI."""
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def agi_logs(caplog) -> None:
    """The agi loggers' INFO records captured too (the server tests check them)."""
    caplog.set_level(logging.INFO, logger="agi")


StartServer = Callable[..., Awaitable[FastAGIServer]]


@pytest.fixture
async def serve() -> AsyncIterator[StartServer]:
    """start(router, **options) → a FastAGIServer on 127.0.0.1, an ephemeral port, closed afterwards."""
    servers: list[FastAGIServer] = []

    async def start(router: Router, **options: float) -> FastAGIServer:
        options.setdefault("header_timeout", 2.0)
        options.setdefault("command_timeout", 2.0)
        server = FastAGIServer(router, host="127.0.0.1", port=0, **options)
        await server.start()
        servers.append(server)
        assert server.port != 0
        return server

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:
    """A real Store on a SQLite file, with client 1000 (fr) owning +15145550100."""
    st = Store(tmp_path / "permanence.sqlite3", readers=2)
    st.open()
    await st.write(lambda db: clients.add_client(db, "1000", "Clinique Test", "fr"))
    await st.write(lambda db: clients.add_did(db, "+15145550100", "1000"))
    yield st
    st.close()
