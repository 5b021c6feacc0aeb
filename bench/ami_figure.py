"""The ami-ingest figure (bench.ami_ingest): the real AMIClient + CallListener + Store (a temporary
SQLite file), over loopback, and when the listener's write of each call was committed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ami.client import AMIClient
from ami.listener import CallListener
from store import Store

from .ami_run import STALL_S, START_TIMEOUT, AmiServer, IngestRun, finish_run, prepare_db, read_rows, wait_sent
from .ami_stream import Stream, StreamFiles

T = TypeVar("T")

SETTLE_S = 5.0  # CallListener's settle_timeout, as permanence serve sets it by default


class _Warnings(logging.Handler):
    """Warnings and errors the figure logs while it is measured: problems of the run."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:300])


@contextlib.contextmanager
def _watch_warnings():
    handler = _Warnings()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


class TimedStore(Store):
    """The real Store; write() also notes when the listener's write of a call was committed."""

    def __init__(self, path: Path, expected: int) -> None:
        super().__init__(path)
        self.expected = expected
        self.committed: dict[str, float] = {}  # linkedid → time.monotonic() after the commit
        self.other_writes = 0
        self.all_in = asyncio.Event()

    async def write(self, fn: Callable[..., T]) -> T:
        task = asyncio.current_task()
        name = task.get_name() if task is not None else ""
        result = await super().write(fn)
        now = time.monotonic()
        if name.startswith("call-"):
            self.committed[name[len("call-"):]] = now
            if len(self.committed) >= self.expected:
                self.all_in.set()
        else:
            self.other_writes += 1
        return result


async def _until_done(count: Callable[[], int], expected: int, all_in: asyncio.Event,
                      sent: asyncio.Task[tuple[float, float]]) -> None:
    """Until `expected` rows are in, or the stream is all sent and rows stopped coming (losses)."""
    loop = asyncio.get_running_loop()
    last, since = -1, loop.time()
    while count() < expected:
        n = count()
        if n != last:
            last, since = n, loop.time()
        elif loop.time() - since > (STALL_S if sent.done() else START_TIMEOUT):
            return
        if sent.done() and sent.exception() is not None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), 0.2)


async def run_figure(stream: Stream, files: StreamFiles, rate: float, work: Path, recordings: Path) -> IngestRun:
    run = IngestRun("figure", rate, stream.events, stream.calls)
    db_path = work / f"figure-{rate:g}-{time.monotonic_ns()}.sqlite3"
    await asyncio.to_thread(prepare_db, db_path, {r["client_code"] for r in stream.expected.values()
                                                 if r["client_code"]})
    store = TimedStore(db_path, stream.calls)
    await asyncio.to_thread(store.open)
    listener = CallListener(store, recordings, settle_timeout=SETTLE_S)
    server = AmiServer(files, rate, work / "figure.stamps")
    client = AMIClient("127.0.0.1", 0, "bench", "bench", on_event=listener.on_event, ping_interval=3600.0,
                       backoff_min=0.05, backoff_max=0.2)
    task: asyncio.Task[None] | None = None
    try:
        await server.start()
        client.port = server.port
        assert server.sent is not None
        with _watch_warnings() as warnings:
            task = asyncio.create_task(client.run(), name="bench-ami-client")
            await _until_done(lambda: len(store.committed), stream.calls, store.all_in, server.sent)
            await listener.drain()
            await wait_sent(server)
        run.problems += [f"figure logged: {w}" for w in warnings[:5]]
        if client.stats.connects != 1:
            run.problems.append(f"figure: {client.stats.connects} AMI logins, expected 1")
    finally:
        await client.close()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            sent = await server.stop()
        finally:
            await asyncio.to_thread(store.close)
    if store.other_writes:
        run.problems.append(f"figure: {store.other_writes} store write(s) not made by a call task")
    return finish_run(run, stream, sent, store.committed, await asyncio.to_thread(read_rows, db_path))
