"""Where a server's time goes: `python -m bench.profile [--side figure|baseline] [--kind ivr|dnis]
[--calls N] [-c C] [--top K]`.

Runs the server (bench.server) under cProfile in its own process, sends it the bench's calls (checked
as in the bench), then prints the functions of the server's event-loop thread with the most CPU time
of their own and including callees, and that thread's CPU time per call. cProfile sees the event
loop's thread only, timed by its CPU clock: the store's writer and reader threads (SQLite) do not
show, nor the time the loop waits for the GIL they hold. For those, sample the whole process with
py-spy (`py-spy record --threads --pid <server pid>`) while this runs.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

from .agi_client import Callers, load
from .runner import ServerProcess


async def _profile(side: str, kind: str, calls: int, concurrency: int, warmup: int, out: Path) -> int:
    server = ServerProcess(side, env={**os.environ, "BENCH_PROFILE": str(out)})
    await server.start()
    callers = Callers()
    try:
        first = await load(server.port, kind, warmup, concurrency, callers)
        done = await load(server.port, kind, calls, concurrency, callers, first=warmup)
    finally:
        stats, errors = await server.stop()
    failures = first.failures + done.failures
    print(f"{side} {kind}: {done.ok}/{calls} calls ok at concurrency {concurrency} (+{warmup} warm-up), "
          f"{done.rate:.0f} calls/s under cProfile; server stats {stats}")
    for why, n in failures.items():
        print(f"  FAILED {n} × {why}")
    for line in errors:
        print(f"  server stderr: {line.decode(errors='replace')}")
    return 0 if not failures and not errors else 1


def _print(out: Path, top: int, calls: int) -> None:
    total = pstats.Stats(str(out)).total_tt  # type: ignore[attr-defined]
    print(f"event-loop thread CPU: {total:.2f} s in all, {1e6 * total / calls:.0f} us per call (profiled)")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        stats = pstats.Stats(str(out), stream=text)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        print(f"==== by {order} ====")
        print(text.getvalue().strip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--side", choices=("figure", "baseline"), default="figure")
    parser.add_argument("--kind", choices=("ivr", "dnis"), default="ivr")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="keep the cProfile stats in this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="permanence-profile-") as tmp:
        out = args.keep or Path(tmp) / "figure.prof"
        status = asyncio.run(_profile(args.side, args.kind, args.calls, args.concurrency, args.warmup, out))
        _print(out, args.top, args.calls + args.warmup)
    return status


if __name__ == "__main__":
    sys.exit(main())
