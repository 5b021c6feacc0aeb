"""The one writer: a thread that owns the write connection and commits jobs in batches.

The event loop hands it small functions (db -> value) and awaits their result; whatever has queued up
while the previous batch ran is committed in one transaction, each job in its own savepoint so one
failing job does not take its neighbours down.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from .db import connect

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class _Job:
    fn: Callable[[sqlite_utils.Database], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


_STOP = object()


def _settle_all(settled: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in settled:
        _settle(future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Writer:
    def __init__(self, path: str | Path, max_batch: int = 500) -> None:
        self._path = path
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self.batches = 0
        self.jobs = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, fn: Callable[[sqlite_utils.Database], T]) -> asyncio.Future[T]:
        if not self._thread.is_alive():
            raise RuntimeError("store writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, loop, future))
        return future

    def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        db = connect(self._path)
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch = [first]
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)
                self._commit(db, batch)
        finally:
            db.close()

    def _commit(self, db: sqlite_utils.Database, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            # IMMEDIATE: the write lock is taken (waiting busy_timeout for it) before any job reads. A
            # deferred transaction that reads, then writes after another process (the CLI, serve) committed
            # fails at once with "database is locked": SQLite cannot wait to upgrade a stale read.
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                for job in batch:
                    try:
                        with db.atomic():  # in the transaction: a savepoint per job
                            outcomes.append((job, job.fn(db), None))
                    except Exception as exc:  # the job's own fault: reported to its caller
                        outcomes.append((job, None, exc))
                db.conn.execute("COMMIT")
            except BaseException:
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                raise
        except Exception as exc:  # the commit itself failed: every job of the batch failed
            log.exception("store: a batch of %d writes failed to commit", len(batch))
            outcomes = [(job, None, exc) for job in batch]
        self.batches += 1
        self.jobs += len(batch)
        # One wake-up per event loop and batch, not one per job: under load a batch holds hundreds.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
        for job, result, error in outcomes:
            by_loop.setdefault(job.loop, []).append((job.future, result, error))
        for loop, settled in by_loop.items():
            if not loop.is_closed():
                loop.call_soon_threadsafe(_settle_all, settled)
