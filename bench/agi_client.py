"""The load generator: plays Asterisk on FastAGI, one TCP connection per call, and checks the outcome.

Answers `200 result=1 (<linkedid>)` to GET VARIABLE and `200 result=1` to SET VARIABLE until the
server closes; a session counts only if the server sent exactly what the dnis route sends on a known
DID, ending with `SET VARIABLE DNIS_STATUS found`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

HOST = "127.0.0.1"
DIALLED = "5145550100"
DID = "+15145550100"
CLIENT_CODE = "1000"
LANGUAGE = "fr"
SESSION_TIMEOUT = 10.0  # seconds: a server that never hangs up fails the session, not the bench

# What DnisRoute sends for a known DID, in order (RECORDING_FILE is checked apart: it holds the date).
EXPECTED = (
    b"GET VARIABLE CHANNEL(linkedid)\n",
    f"SET VARIABLE DID {DID}\n".encode(),
    f"SET VARIABLE CLIENT_CODE {CLIENT_CODE}\n".encode(),
    f"SET VARIABLE CHANNEL(language) {LANGUAGE}\n".encode(),
    None,
    b"SET VARIABLE DNIS_STATUS found\n",
)

_HEADER = (
    ("agi_network", "yes"),
    ("agi_network_script", "dnis"),
    ("agi_request", "agi://{host}:{port}/dnis"),
    ("agi_channel", "PJSIP/trunk-{n:08x}"),
    ("agi_language", "en"),
    ("agi_type", "PJSIP"),
    ("agi_uniqueid", "{uniqueid}"),
    ("agi_version", "20.5.0"),
    ("agi_callerid", "5145551234"),
    ("agi_calleridname", "Bench Caller"),
    ("agi_callingpres", "0"),
    ("agi_callingani2", "0"),
    ("agi_callington", "0"),
    ("agi_callingtns", "0"),
    ("agi_dnid", "{dialled}"),
    ("agi_rdnis", "unknown"),
    ("agi_context", "from-trunk"),
    ("agi_extension", "{dialled}"),
    ("agi_priority", "2"),
    ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""),  # Asterisk sends `agi_accountcode: ` (with the space) when empty
    ("agi_threadid", "140245081482816"),
    ("agi_arg_1", "{dialled}"),
)
_HEADER_TEMPLATE = "".join(f"{key}: {value}\n" for key, value in _HEADER) + "\n"


def header(port: int, n: int, uniqueid: str) -> bytes:
    return _HEADER_TEMPLATE.format(host=HOST, port=port, n=n, uniqueid=uniqueid, dialled=DIALLED).encode()


def check(lines: list[bytes], linkedid: str) -> str | None:
    """None when the session is what DnisRoute sends on a known DID, else why not."""
    if not lines or lines[-1] != EXPECTED[-1]:
        last = lines[-1].decode(errors="replace").strip() if lines else "nothing"
        return f"no DNIS_STATUS found (last command: {last})"
    if len(lines) != len(EXPECTED):
        return f"{len(lines)} commands, expected {len(EXPECTED)}"
    for got, want in zip(lines, EXPECTED, strict=True):
        if want is None:
            if not (got.startswith(f"SET VARIABLE RECORDING_FILE {CLIENT_CODE}/".encode())
                    and got.endswith(f"/{linkedid}\n".encode())):
                return f"unexpected {got.decode(errors='replace').strip()!r}"
        elif got != want:
            return f"unexpected {got.decode(errors='replace').strip()!r}"
    return None


class _Call(asyncio.Protocol):
    """One call on a bare asyncio.Protocol: far cheaper per line than streams, so that the load
    generator costs less than the servers it measures."""

    def __init__(self, header: bytes, get_reply: bytes, done: asyncio.Future[str | None]) -> None:
        self._header = header
        self._get_reply = get_reply
        self._done = done
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self.lines: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._header)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        buffer = self._buffer + data
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = buffer[start:end + 1]
            start = end + 1
            self.lines.append(line)
            if line.startswith(b"GET VARIABLE "):
                self._transport.write(self._get_reply)
            elif line.startswith(b"SET VARIABLE "):
                self._transport.write(b"200 result=1\n")
            else:
                self._transport.write(b"510 Invalid or unknown command\n")
        self._buffer = buffer[start:]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._done.done():
            return
        if exc is not None:
            self._done.set_result(f"{exc.__class__.__name__} after {len(self.lines)} commands")
        elif self._buffer:
            self._done.set_result("connection closed in the middle of a command")
        else:
            self._done.set_result(None)


async def session(port: int, n: int) -> str | None:
    """One call, until the server closes; None on success, else the reason it failed."""
    loop = asyncio.get_running_loop()
    uniqueid = f"1700000000.{n}"
    done: asyncio.Future[str | None] = loop.create_future()
    call = _Call(header(port, n, uniqueid), f"200 result=1 ({uniqueid})\n".encode(), done)
    try:
        async with asyncio.timeout(SESSION_TIMEOUT):
            transport, _ = await loop.create_connection(lambda: call, HOST, port)
            try:
                reason = await done
            finally:
                transport.close()
    except TimeoutError:  # before OSError, of which it is a subclass
        return f"no end of call within {SESSION_TIMEOUT:g} s ({len(call.lines)} commands)"
    except OSError as exc:
        return f"connect: {exc.__class__.__name__}"
    return reason if reason is not None else check(call.lines, uniqueid)


@dataclass
class Load:
    sessions: int
    concurrency: int
    elapsed: float
    ok: int
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0


async def load(port: int, sessions: int, concurrency: int, first: int = 0) -> Load:
    """`sessions` calls by `concurrency` workers, each starting a new call as soon as its last ends."""
    failures: Counter[str] = Counter()
    counter = iter(range(first, first + sessions))
    ok = 0

    async def worker() -> None:
        nonlocal ok
        for n in counter:
            reason = await session(port, n)
            if reason is None:
                ok += 1
            else:
                failures[reason] += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return Load(sessions, concurrency, elapsed, ok, failures)
