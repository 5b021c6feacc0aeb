"""A bench server in its own process: `python -m bench.server figure|baseline`.

Prints `PORT <n>` once listening, serves until its stdin closes, then prints one JSON line of stats
(the figure's AgiStats; nothing for the baseline, which keeps none). Logging stays at Python's
default (warnings and up, to stderr): the per-call INFO lines are not part of what is measured.
"""

from __future__ import annotations

import asyncio
import json
import sys

from . import baseline, figure

SIDES = ("figure", "baseline")


def _announce(port: int) -> None:
    print(f"PORT {port}", flush=True)


async def _stdin_closed() -> None:
    await asyncio.to_thread(sys.stdin.buffer.read)


async def serve_figure() -> dict[str, int]:
    async with figure.running() as server:
        _announce(server.port)
        await _stdin_closed()
        return figure.stats(server)


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
    stats = asyncio.run(serve_figure() if argv[0] == "figure" else serve_baseline())
    print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
