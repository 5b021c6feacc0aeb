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
from ivr.loader import parse
from ivr.validate import validate
from permanence.config import Config
from permanence.serve import build_router
from store import Store, clients, menus

from . import scenario as sc


def _seed(db: sqlite_utils.Database) -> None:
    clients.add_client(db, sc.CLIENT_CODE, "Bench client", language=sc.LANGUAGE)
    clients.add_did(db, sc.DID, sc.CLIENT_CODE)
    menus.apply_menu(db, sc.MENU, sc.CLIENT_CODE, "bench", sc.MENU_YAML)  # also the client's entry menu


def _counts(db: sqlite_utils.Database) -> dict[str, int]:
    """What the calls left in the store: calls counted on callers, IVR path entries."""
    return {
        "caller_calls": db.execute("SELECT coalesce(sum(calls_count), 0) FROM callers").fetchone()[0],
        "callers": db.execute("SELECT count(*) FROM callers").fetchone()[0],
        "ivr_steps": db.execute("SELECT count(*) FROM ivr_steps").fetchone()[0],
    }


@contextlib.asynccontextmanager
async def running(host: str = "127.0.0.1") -> AsyncIterator[tuple[FastAGIServer, Store]]:
    """The server listening on a free port, its store a seeded SQLite file in a temporary directory."""
    validate(parse(sc.MENU_YAML, sc.MENU), prompt_exists=lambda ref, language: True)
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
                yield server, store
            finally:
                await server.close()
        finally:
            await asyncio.to_thread(store.close)


async def stats(server: FastAGIServer, store: Store) -> dict[str, int]:
    await store.flush()  # the IVR path is written behind the calls
    return {**asdict(server.stats), **await store.read(_counts)}
