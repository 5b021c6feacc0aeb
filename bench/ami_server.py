"""The AMI side of the ingest bench (bench.ami_ingest), in its own process:

    python -m bench.ami_server STREAM ENDS FINISHERS STAMPS RATE

STREAM is the encoded event stream (AMI blocks back to back), ENDS the byte offset after each event
(array 'Q'), FINISHERS the indexes of the events whose send time is wanted (array 'Q', ascending: the
Hangup that finishes each call). Prints `PORT <n>`, accepts one connection, sends the banner, answers
Login (then starts the stream) and Ping, and writes the stream: as fast as the reader takes it when
RATE is 0, else at RATE events per second. Once all is written it stores each finisher's send time
in STAMPS (array 'd', time.monotonic(): on Linux CLOCK_MONOTONIC, one clock for every process of the
machine) and prints `SENT <first event sent> <last event sent>`. It stops when its stdin closes.

Own process so that writing the stream never shares a GIL or an event loop with the side it feeds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from array import array
from bisect import bisect_right
from pathlib import Path

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
CHUNK = 1 << 16  # bytes per write when sending as fast as possible (cut at an event's end)
ENCODING = "utf-8"


def _fields(block: bytes) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in block.decode(ENCODING).split("\r\n") if ": " in line)


def _reply(**fields: str) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode(ENCODING)


def _load(path: str, typecode: str) -> array:
    values = array(typecode)
    values.frombytes(Path(path).read_bytes())
    return values


class Streamer:
    def __init__(self, stream: bytes, ends: array, finishers: array, rate: float) -> None:
        self.view = memoryview(stream)
        self.ends, self.finishers, self.rate = ends, finishers, rate
        self.stamps = array("d", [0.0] * len(finishers))
        self.first = self.last = 0.0
        self._next = 0  # the next finisher to stamp

    def _send(self, writer: asyncio.StreamWriter, start: int, stop: int) -> None:
        """Events [start, stop) in one write; their finishers stamped with its time."""
        now = time.monotonic()
        if start == 0:
            self.first = now
        while self._next < len(self.finishers) and self.finishers[self._next] < stop:
            self.stamps[self._next] = now
            self._next += 1
        writer.write(self.view[self.ends[start - 1] if start else 0:self.ends[stop - 1]])
        self.last = now

    async def run(self, writer: asyncio.StreamWriter) -> None:
        total, sent = len(self.ends), 0
        if self.rate <= 0:
            while sent < total:
                base = self.ends[sent - 1] if sent else 0
                stop = max(sent + 1, min(total, bisect_right(self.ends, base + CHUNK)))
                self._send(writer, sent, stop)
                sent = stop
                await writer.drain()
            return
        t0 = time.monotonic()
        while sent < total:
            due = min(total, int((time.monotonic() - t0) * self.rate) + 1)
            if due > sent:
                self._send(writer, sent, due)
                sent = due
                await writer.drain()
            await asyncio.sleep(max(0.0, t0 + sent / self.rate - time.monotonic()))


async def _serve(streamer: Streamer, stamps_path: str) -> None:
    done = asyncio.get_running_loop().create_future()
    tasks: set[asyncio.Task[None]] = set()

    async def stream(writer: asyncio.StreamWriter) -> None:
        await streamer.run(writer)
        await asyncio.to_thread(Path(stamps_path).write_bytes, streamer.stamps.tobytes())
        print(f"SENT {streamer.first!r} {streamer.last!r}", flush=True)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if done.done():  # one connection per run: a reconnect would replay nothing
            writer.close()
            return
        done.set_result(None)
        writer.write(BANNER)
        try:
            while True:
                action = _fields(await reader.readuntil(b"\r\n\r\n"))
                action_id = action.get("ActionID", "")
                if action.get("Action") == "Login":
                    writer.write(_reply(Response="Success", ActionID=action_id, Message="Authentication accepted"))
                    task = asyncio.create_task(stream(writer))
                    tasks.add(task)
                elif action.get("Action") == "Ping":
                    writer.write(_reply(Response="Success", ActionID=action_id, Ping="Pong"))
                else:
                    writer.write(_reply(Response="Error", ActionID=action_id, Message="Invalid/unknown command"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print("usage: python -m bench.ami_server STREAM ENDS FINISHERS STAMPS RATE", file=sys.stderr)
        return 2
    stream, ends, finishers, stamps, rate = argv
    streamer = Streamer(Path(stream).read_bytes(), _load(ends, "Q"), _load(finishers, "Q"), float(rate))
    asyncio.run(_serve(streamer, stamps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
