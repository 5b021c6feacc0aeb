"""store: the SQLite file and the only module that writes SQL.

`Store` is the asynchronous face for the event loop: writes go to one writer thread that batches
them, reads run on a small pool of threads with a connection each. The query modules (clients,
calls, users) take a sqlite_utils.Database and are used the same way by the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from . import callers, calls, checkin, clients, desk, ivr_path, menus, queues, retention, users
from .access_cache import AccessCache
from .calls import CallEvent, CallRecord, RecordingRecord
from .clients import Client, ClientError
from .db import StoreError, connect, migrate
from .numbers import NumberError, to_e164
from .routing import RoutingData
from .scope import Scope
from .users import User, UserError
from .writer import Writer

T = TypeVar("T")
log = logging.getLogger(__name__)

__all__ = [
    "CallEvent", "CallRecord", "Client", "ClientError", "NumberError", "RecordingRecord", "Scope", "Store",
    "StoreError", "User", "UserError", "callers", "calls", "checkin", "clients", "connect", "desk", "ivr_path",
    "menus",
    "migrate", "queues", "retention", "to_e164", "users",
]


class Store:
    def __init__(self, path: str | Path, readers: int = 4) -> None:
        self.path = Path(path)
        self._writer = Writer(self.path)
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="store-read")
        self._local = threading.local()
        self._connections: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()
        self._loop_db: sqlite_utils.Database | None = None
        self._routing: RoutingData | None = None
        self._access: AccessCache | None = None

    def open(self) -> None:
        """Create or migrate the schema and start the writer (blocking: call before serving)."""
        migrate(self.path)
        self._writer.start()
        self._loop_db = connect(self.path)
        self._routing = RoutingData(self._loop_db)
        self._access = AccessCache(self._loop_db)

    @property
    def routing(self) -> RoutingData:
        """DIDs, clients and active menus in memory (store.routing)."""
        if self._routing is None:
            raise RuntimeError("store is not open")
        return self._routing

    @property
    def access(self) -> AccessCache:
        """Bearer tokens' users and recordings' rows in memory, on the loop's connection (store.access_cache)."""
        if self._access is None:
            raise RuntimeError("store is not open")
        return self._access

    def read_now(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """A point read by key, on the caller's thread (the event loop): microseconds, and in WAL mode
        it never waits for the writer. Anything that scans goes through read() instead."""
        if self._loop_db is None:
            raise RuntimeError("store is not open")
        return fn(self._loop_db)

    def write_later(self, fn: Callable[[sqlite_utils.Database], object], what: str) -> None:
        """Queue a write nobody waits for (it still commits in the writer's next batch); a failure is
        logged with `what`."""
        future = self._writer.submit(fn)

        def report(done: asyncio.Future[object]) -> None:
            if not done.cancelled() and done.exception() is not None:
                log.error("store: %s failed: %s", what, done.exception())

        future.add_done_callback(report)

    def close(self) -> None:
        self._writer.stop()
        self._readers.shutdown(wait=True)
        if self._loop_db is not None:
            self._loop_db.close()
            self._loop_db = None
            self._access = None
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()

    async def write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        return await self._writer.submit(fn)

    async def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read, fn)

    def _read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return fn(db)

    async def flush(self) -> None:
        """Wait until every write queued so far (write_later included) is committed."""
        await self.write(lambda db: None)

    async def writable(self) -> bool:
        """Health: can the writer commit now?"""
        try:
            await asyncio.wait_for(self.write(lambda db: db.execute("SELECT 1").fetchone()), 2.0)
        except (TimeoutError, OSError, RuntimeError):
            return False
        return True

    @property
    def write_stats(self) -> tuple[int, int]:
        """(batches, jobs) committed so far."""
        return self._writer.batches, self._writer.jobs
