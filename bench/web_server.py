"""The web benchmarks' servers, in a process of their own: `python -m bench.web_server DB RECORDINGS`.

Two aiohttp sites on loopback, one at a time under load: the figure is the real application
(web.make_app over the store file, bearer tokens, scopes, the recordings' audit); the baseline is a
bare application doing the same work with nothing else — the call history's SQL on one cursor
written straight to csv.writer, and FileResponse (sendfile) on a route that maps an id to its file.
Prints `PORTS <figure> <baseline>` once listening, serves until its stdin closes. The figure writes
its JSON access line per request as `permanence serve` does (web.access), to a handler that discards
it: making the line is measured, not the speed of a terminal or disk; the baseline logs nothing.
With BENCH_PROFILE=<file> in the environment it runs under cProfile, as bench.server does.
"""

from __future__ import annotations

import asyncio
import cProfile
import csv
import io
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

from aiohttp import web

from store import Store
from store.calls import CALL_FIELDS
from web import make_app
from web.access import JsonAccessLogger

CHUNK = 1000
_CSV_SQL = (f"SELECT {', '.join(CALL_FIELDS)} FROM calls WHERE client_code = ? AND started_at >= ? "
            "ORDER BY started_at DESC, linkedid DESC")
DB = web.AppKey("db", sqlite3.Connection)
FILES = web.AppKey("files", dict)


async def raw_csv(request: web.Request) -> web.StreamResponse:
    """GET /csv?client=…&from=…: the calls as CSV from one cursor, CHUNK rows per write."""
    cursor = request.app[DB].execute(_CSV_SQL, [request.query["client"], request.query["from"]])
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8"})
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CALL_FIELDS)
    while rows := cursor.fetchmany(CHUNK):
        writer.writerows(rows)
        await response.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
    await response.write_eof()
    return response


async def raw_file(request: web.Request) -> web.StreamResponse:
    """GET /rec/{id}: the recording's file, Range and all, by aiohttp's FileResponse alone."""
    path = request.app[FILES].get(request.match_info["id"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path)


def baseline_app(db_path: Path, recordings_dir: Path) -> web.Application:
    app = web.Application()
    conn = sqlite3.connect(db_path, check_same_thread=False)
    app[DB] = conn
    app[FILES] = {str(rid): recordings_dir / path for rid, path in conn.execute(
        "SELECT id, path FROM recordings WHERE client_code = '1000' ORDER BY id DESC LIMIT 64")
        if (recordings_dir / path).is_file()}
    app.router.add_get("/csv", raw_csv)
    app.router.add_get("/rec/{id}", raw_file)
    return app


def _discarded_access_log() -> logging.Logger:
    logger = logging.getLogger("bench.web.access")
    if not logger.handlers:
        handler = logging.StreamHandler(open(os.devnull, "w"))  # lives as long as the process
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


async def _site(app: web.Application, access_log: logging.Logger | None = None) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log_class=JsonAccessLogger, access_log=access_log) if access_log \
        else web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=256)
    await site.start()
    return runner, runner.addresses[0][1]


async def serve(db_path: Path, recordings_dir: Path) -> None:
    store = Store(db_path)
    store.open()
    runners = []
    try:
        figure, figure_port = await _site(make_app(store, recordings_dir), _discarded_access_log())
        runners.append(figure)
        baseline, baseline_port = await _site(baseline_app(db_path, recordings_dir))
        runners.append(baseline)
        print(f"PORTS {figure_port} {baseline_port}", flush=True)
        await asyncio.to_thread(sys.stdin.buffer.read)
    finally:
        for runner in runners:
            await runner.cleanup()
        store.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.web_server DB RECORDINGS_DIR", file=sys.stderr)
        return 2
    profile_to = os.environ.get("BENCH_PROFILE")
    if profile_to:  # as bench.server: the event loop thread's CPU time, dumped when it stops
        profiler = cProfile.Profile(time.thread_time)
        profiler.runcall(asyncio.run, serve(Path(argv[0]), Path(argv[1])))
        profiler.dump_stats(profile_to)
    else:
        asyncio.run(serve(Path(argv[0]), Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
