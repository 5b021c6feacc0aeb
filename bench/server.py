"""A bench server in its own process: `python -m bench.server figure|baseline`.

Prints `PORT <n>` once listening, serves until its stdin closes, then prints one JSON line of stats
(the figure's AgiStats and what the calls left in its store; nothing for the baseline, which keeps
none). Logging stays at Python's default (warnings and up, to stderr): the per-call INFO lines are
not part of what is measured.

With BENCH_PROFILE=<file> in the environment the server runs under cProfile, timed by the CPU time of
the event loop's thread (time.thread_time: the time that thread spends waiting for the GIL or for the
store's threads does not count), and dumps the stats to <file> when it stops: see bench.profile.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import sys
import time

from . import baseline, figure

SIDES = ("figure", "baseline")


def _announce(port: int) -> None:
    print(f"PORT {port}", flush=True)


async def _stdin_closed() -> None:
    await asyncio.to_thread(sys.stdin.buffer.read)


async def serve_figure() -> dict[str, int]:
    async with figure.running() as (server, store):
        _announce(server.port)
        await _stdin_closed()
        return await figure.stats(server, store)


async def serve_baseline() -> dict[str, int]:
    server = await baseline.start()
    _announce(server.sockets[0].getsockname()[1])
    try:
        await _stdin_closed()
    finally:
        server.close()
        await server.wait_closed()
    return {}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SIDES:
        print(f"usage: python -m bench.server {'|'.join(SIDES)}", file=sys.stderr)
        return 2
    serve = serve_figure if argv[0] == "figure" else serve_baseline
    profile_to = os.environ.get("BENCH_PROFILE")
    if profile_to:
        profiler = cProfile.Profile(time.thread_time)
        stats = profiler.runcall(asyncio.run, serve())
        profiler.dump_stats(profile_to)
    else:
        stats = asyncio.run(serve())
    print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
