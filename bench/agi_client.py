"""The load generator: plays Asterisk on FastAGI, one TCP connection per AGI session, and checks
every session against bench.scenario.

Like a channel, a call keeps its variables: SET VARIABLE stores a value, GET VARIABLE reads it back
(`200 result=1 (value)`, or `200 result=0` if unset), so the `ivr` session reads what `dnis` set.
STREAM FILE and WAIT FOR DIGIT answer from the call's script (see bench.scenario). A session counts
only if the server sent exactly the commands bench.scenario expects, in order, and then hung up.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from . import scenario as sc
from .scenario import HOST, Press

SESSION_TIMEOUT = 10.0  # seconds: a server that never hangs up fails the session, not the bench

_HEADER = (
    ("agi_network", "yes"),
    ("agi_network_script", "{script}"),
    ("agi_request", "agi://{host}:{port}/{script}"),
    ("agi_channel", "PJSIP/trunk-{n:08x}"),
    ("agi_language", "{language}"),
    ("agi_type", "PJSIP"),
    ("agi_uniqueid", "{uniqueid}"),
    ("agi_version", "20.5.0"),
    ("agi_callerid", "{caller}"),
    ("agi_calleridname", sc.CALLER_NAME),
    ("agi_callingpres", "0"),
    ("agi_callingani2", "0"),
    ("agi_callington", "0"),
    ("agi_callingtns", "0"),
    ("agi_dnid", sc.DIALLED),
    ("agi_rdnis", "unknown"),
    ("agi_context", "{context}"),
    ("agi_extension", "{extension}"),
    ("agi_priority", "{priority}"),
    ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""),  # Asterisk sends `agi_accountcode: ` (with the space) when empty
    ("agi_threadid", "140245081482816"),
    ("agi_arg_1", "{arg}"),
)
_HEADER_TEMPLATE = "".join(f"{key}: {value}\n" for key, value in _HEADER) + "\n"


def header(port: int, n: int, caller: str, script: str = "dnis", arg: str = sc.DIALLED,
           language: str = sc.CHANNEL_LANGUAGE) -> bytes:
    """The request header of call n's `dnis` session (or, with script='ivr', of its `ivr` session)."""
    dnis = script == "dnis"
    return _HEADER_TEMPLATE.format(
        host=HOST, port=port, n=n, uniqueid=uniqueid(n), script=script, caller=caller, arg=arg, language=language,
        context="from-trunk" if dnis else "permanence-call", extension=sc.DIALLED if dnis else "client",
        priority="2" if dnis else "4").encode()


def uniqueid(n: int) -> str:
    return f"1700000000.{n}"


# ---- checking a dnis session (agi/routes/dnis.py on a known DID, with a caller id) ---------------

_DNIS_HEAD = (
    sc.get_variable("CHANNEL(linkedid)"),
    sc.set_variable("DID", sc.DID),
    sc.set_variable("CLIENT_CODE", sc.CLIENT_CODE),
    sc.set_variable("CHANNEL(language)", sc.LANGUAGE),
    sc.set_variable("IVR_MENU_ENTRY", sc.MENU),
)
_RECORDING = re.compile(rb"SET VARIABLE RECORDING_FILE " + sc.CLIENT_CODE.encode() + rb"/\d{4}/\d\d/\d\d/(\S+)\n")
_CALLER_TAIL = re.compile(
    rb"SET VARIABLE CALLER_KNOWN ([01])\n"
    rb"SET VARIABLE CALLER_CALLS ([1-9][0-9]*)\n"
    + re.escape(sc.set_variable("CALLER_NAME", sc.CALLER_NAME))
    + rb"(?:SET VARIABLE CALLER_LAST_CALL (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\n)?"
    + re.escape(sc.set_variable("DNIS_STATUS", "found")) + rb"\Z")


@dataclass(frozen=True)
class DnisOutcome:
    known: bool
    calls: int


def check_dnis(lines: list[bytes], linkedid: str, caller: str) -> str | DnisOutcome:
    """What the session says of the caller, or why it is not what DnisRoute sends (known DID)."""
    if not lines or not lines[-1].startswith(b"SET VARIABLE DNIS_STATUS"):
        last = lines[-1].decode(errors="replace").strip() if lines else "nothing"
        return f"dnis: no DNIS_STATUS at the end (last command: {last})"
    if len(lines) not in (12, 13):
        return f"dnis: {len(lines)} commands, expected 12 (new caller) or 13 (known caller)"
    for got, want in zip(lines, _DNIS_HEAD, strict=False):
        if got != want:
            return f"dnis: unexpected {got.decode(errors='replace').strip()!r}, expected {want.decode().strip()!r}"
    recording = _RECORDING.fullmatch(lines[5])
    if recording is None or recording.group(1) != linkedid.encode():
        return f"dnis: unexpected {lines[5].decode(errors='replace').strip()!r}"
    if lines[6] != sc.set_variable("CALLER_ANONYMOUS", "0"):
        return f"dnis: unexpected {lines[6].decode(errors='replace').strip()!r}"
    if lines[7] != sc.set_variable("CALLER_NUMBER", sc.e164(caller)):
        return f"dnis: unexpected {lines[7].decode(errors='replace').strip()!r}"
    tail = _CALLER_TAIL.match(b"".join(lines[8:]))
    if tail is None:
        return "dnis: caller variables not as expected: " + b" | ".join(lines[8:]).decode(errors="replace")
    known, calls, last_call = tail.group(1) == b"1", int(tail.group(2)), tail.group(3)
    if known != (calls > 1) or known != (last_call is not None):
        return f"dnis: CALLER_KNOWN {int(known)} with CALLER_CALLS {calls}, CALLER_LAST_CALL {last_call!r}"
    return DnisOutcome(known, calls)


def check_ivr(lines: list[bytes], script_index: int) -> str | None:
    """None when the `ivr` session is exactly what IvrRoute sends for the script, else why not."""
    expected = sc.IVR_EXCHANGES[script_index]
    if tuple(lines) == expected:
        return None
    for i, (got, want) in enumerate(zip(lines, expected, strict=False)):
        if got != want:
            return (f"ivr script {script_index}: command {i + 1} {got.decode(errors='replace').strip()!r}, "
                    f"expected {want.decode().strip()!r}")
    return f"ivr script {script_index}: {len(lines)} commands, expected {len(expected)}"


class Callers:
    """One server's callers: who calls next, and the CALLER_CALLS each number was given."""

    def __init__(self) -> None:
        self._next = 0
        self.seen: dict[str, list[int]] = {}
        self.new = 0
        self.known = 0

    def take(self) -> str:
        number = sc.caller_number(self._next)
        self._next += 1
        return number

    def record(self, number: str, outcome: DnisOutcome) -> None:
        self.seen.setdefault(number, []).append(outcome.calls)
        if outcome.known:
            self.known += 1
        else:
            self.new += 1

    def problems(self) -> list[str]:
        """Each number's CALLER_CALLS must be 1, 2, … n: every call counted once, none twice."""
        wrong = [number for number, counts in self.seen.items() if sorted(counts) != list(range(1, len(counts) + 1))]
        if not wrong:
            return []
        number = wrong[0]
        return [f"{len(wrong)} caller(s) counted wrong, e.g. {number}: CALLER_CALLS {sorted(self.seen[number])}"]


# ---- the wire -----------------------------------------------------------------------------------


class _Session(asyncio.Protocol):
    """One AGI session on a bare asyncio.Protocol: far cheaper per line than streams, so that the load
    generator costs less than the servers it measures."""

    def __init__(self, header: bytes, channel: dict[str, str], presses: list[Press],
                 done: asyncio.Future[str | None]) -> None:
        self._header = header
        self._channel = channel
        self._presses = presses
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
        replies = []
        while (end := buffer.find(b"\n", start)) >= 0:
            line = buffer[start:end + 1]
            start = end + 1
            self.lines.append(line)
            replies.append(self._reply(line))
        self._buffer = buffer[start:]
        if replies:
            self._transport.write(b"".join(replies))

    def _reply(self, line: bytes) -> bytes:
        if line.startswith(b"SET VARIABLE "):
            name, _, value = line[13:-1].decode().partition(" ")
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            self._channel[name] = value
            return b"200 result=1\n"
        if line.startswith(b"GET VARIABLE "):
            value = self._channel.get(line[13:-1].decode().strip())
            return b"200 result=0\n" if value is None else f"200 result=1 ({value})\n".encode()
        presses = self._presses
        if line.startswith(b"STREAM FILE "):
            played = line[12:].split(b" ", 1)[0].decode()
            if presses and presses[0].during is not None and played.endswith("/" + presses[0].during):
                return f"200 result={ord(presses.pop(0).digit)} endpos={sc.ENDPOS_INTERRUPTED}\n".encode()
            return f"200 result=0 endpos={sc.ENDPOS_PLAYED}\n".encode()
        if line.startswith(b"WAIT FOR DIGIT "):
            if presses and presses[0].during is None:
                return f"200 result={ord(presses.pop(0).digit)}\n".encode()
            return b"200 result=0\n"
        return b"510 Invalid or unknown command\n"

    def connection_lost(self, exc: Exception | None) -> None:
        if self._done.done():
            return
        if exc is not None:
            self._done.set_result(f"{exc.__class__.__name__} after {len(self.lines)} commands")
        elif self._buffer:
            self._done.set_result("connection closed in the middle of a command")
        else:
            self._done.set_result(None)


async def session(port: int, header: bytes, channel: dict[str, str],
                  presses: list[Press] | None = None) -> tuple[str | None, list[bytes]]:
    """One AGI session, until the server closes: (None, commands) on a clean end, else (why, commands)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str | None] = loop.create_future()
    conversation = _Session(header, channel, presses if presses is not None else [], done)
    try:
        async with asyncio.timeout(SESSION_TIMEOUT):
            transport, _ = await loop.create_connection(lambda: conversation, HOST, port)
            try:
                reason = await done
            finally:
                transport.close()
    except TimeoutError:  # before OSError, of which it is a subclass
        return f"no end of session within {SESSION_TIMEOUT:g} s ({len(conversation.lines)} commands)", []
    except OSError as exc:
        return f"connect: {exc.__class__.__name__}", []
    return reason, conversation.lines


def _channel(n: int) -> dict[str, str]:
    return {"CHANNEL(linkedid)": uniqueid(n), "CHANNEL(language)": sc.CHANNEL_LANGUAGE}


async def dnis_call(port: int, n: int, callers: Callers) -> tuple[str | None, float, int]:
    """Call n as the dnis benchmark makes it: the `dnis` session alone.

    Returns (None if it went as it should, else why not; seconds it took; AGI sessions opened)."""
    caller = callers.take()
    channel = _channel(n)
    start = time.perf_counter()
    reason, lines = await session(port, header(port, n, caller), channel)
    elapsed = time.perf_counter() - start
    if reason is not None:
        return f"dnis: {reason}", elapsed, 1
    outcome = check_dnis(lines, uniqueid(n), caller)
    if isinstance(outcome, str):
        return outcome, elapsed, 1
    callers.record(caller, outcome)
    return None, elapsed, 1


async def ivr_call(port: int, n: int, callers: Callers) -> tuple[str | None, float, int]:
    """Call n as the dialplan makes it: `dnis`, then `ivr,${IVR_MENU_ENTRY}` on the same channel."""
    caller = callers.take()
    channel = _channel(n)
    script = n % len(sc.SCRIPTS)
    start = time.perf_counter()
    reason, lines = await session(port, header(port, n, caller), channel)
    if reason is not None:
        return f"dnis: {reason}", time.perf_counter() - start, 1
    menu = channel.get("IVR_MENU_ENTRY", "")
    if not menu:  # the dialplan would play the greeting and hang up
        outcome = check_dnis(lines, uniqueid(n), caller)
        return outcome if isinstance(outcome, str) else "dnis: no IVR_MENU_ENTRY", time.perf_counter() - start, 1
    ivr_header = header(port, n, caller, "ivr", menu, channel["CHANNEL(language)"])
    reason, ivr_lines = await session(port, ivr_header, channel, list(sc.SCRIPTS[script]))
    elapsed = time.perf_counter() - start
    outcome = check_dnis(lines, uniqueid(n), caller)
    if isinstance(outcome, str):
        return outcome, elapsed, 2
    callers.record(caller, outcome)
    if reason is not None:
        return f"ivr: {reason}", elapsed, 2
    return check_ivr(ivr_lines, script), elapsed, 2


@dataclass
class Load:
    calls: int
    concurrency: int
    elapsed: float
    ok: int
    sessions: int  # AGI sessions opened
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, calls that succeeded

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def p99(self) -> float:
        """Seconds: the latency 99 % of the calls that succeeded stayed within (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


CALLS = {"dnis": dnis_call, "ivr": ivr_call}


async def load(port: int, kind: str, calls: int, concurrency: int, callers: Callers, first: int = 0) -> Load:
    """`calls` calls by `concurrency` workers, each starting a new call as soon as its last ends."""
    make_call = CALLS[kind]
    failures: Counter[str] = Counter()
    latencies: list[float] = []
    numbers = iter(range(first, first + calls))
    sessions = 0

    async def worker() -> None:
        nonlocal sessions
        for n in numbers:
            reason, elapsed, opened = await make_call(port, n, callers)
            sessions += opened
            if reason is None:
                latencies.append(elapsed)
            else:
                failures[reason] += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return Load(calls, concurrency, elapsed, len(latencies), sessions, failures, latencies)


# ---- a faulty peer ------------------------------------------------------------------------------

FAULTS = {
    "half-header": "sends half an AGI header, then stays silent",
    "silent": "connects and sends nothing",
}


class _Faulty(asyncio.Protocol):
    def __init__(self, payload: bytes, lost: asyncio.Future[None]) -> None:
        self._payload = payload
        self._lost = lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self._payload:
            transport.write(self._payload)

    def data_received(self, data: bytes) -> None:
        pass  # a faulty peer reads nothing it is sent

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._lost.done():
            self._lost.set_result(None)


class FaultyPeer:
    """One faulty connection kept open to the server while the others call: when the server drops it
    (its header timeout), the peer connects again. `connections` counts them: the server must see each
    as one header error."""

    def __init__(self, port: int, variant: str) -> None:
        if variant not in FAULTS:
            raise ValueError(f"no fault {variant!r}")
        whole = header(port, 0, sc.caller_number(0))
        self._payload = whole[:len(whole) // 2] if variant == "half-header" else b""
        self._port = port
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.connections = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._connected.wait(), SESSION_TIMEOUT)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            lost: asyncio.Future[None] = loop.create_future()
            transport, _ = await loop.create_connection(functools.partial(_Faulty, self._payload, lost),
                                                        HOST, self._port)
            self.connections += 1
            self._connected.set()
            try:
                await lost
            finally:
                transport.close()
