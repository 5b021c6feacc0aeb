"""The figure: the real FastAGIServer, wired by permanence.serve.build_router, over a real Store."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

import sqlite_utils

from agi import FastAGIServer
from permanence.config import Config
from permanence.serve import build_router
from store import Store, clients

from .agi_client import CLIENT_CODE, DID, LANGUAGE


def _seed(db: sqlite_utils.Database) -> None:
    clients.add_client(db, CLIENT_CODE, "Bench client", language=LANGUAGE)
    clients.add_did(db, DID, CLIENT_CODE)


@contextlib.asynccontextmanager
async def running(host: str = "127.0.0.1") -> AsyncIterator[FastAGIServer]:
    """The server listening on a free port, its store a seeded SQLite file in a temporary directory."""
    config = Config()
    with tempfile.TemporaryDirectory(prefix="permanence-bench-") as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        await asyncio.to_thread(store.open)
        try:
            await store.write(_seed)
            server = FastAGIServer(build_router(store, config), host, 0,
                                   header_timeout=config.agi.header_timeout,
                                   command_timeout=config.agi.command_timeout,
                                   max_sessions=config.agi.max_sessions)
            await server.start()
            try:
                yield server
            finally:
                await server.close()
        finally:
            await asyncio.to_thread(store.close)


def stats(server: FastAGIServer) -> dict[str, int]:
    return asdict(server.stats)
