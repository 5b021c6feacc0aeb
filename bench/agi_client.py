"""The load generator: plays Asterisk on FastAGI, one TCP connection per AGI session, and checks
every session against bench.scenario. A session counts only if the server sent exactly the commands
bench.scenario expects, in order, and then hung up.

The parts: bench.agi_session (the request header, and a session on the wire: how each command is
answered), bench.agi_faulty (the faulty peer); this module checks the sessions and makes the calls.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from . import scenario as sc
from .agi_faulty import FAULTS, FaultyPeer
from .agi_session import SESSION_TIMEOUT, header, session, uniqueid

__all__ = [
    "CALLS", "FAULTS", "SESSION_TIMEOUT", "Callers", "DnisOutcome", "FaultyPeer", "Load", "check_dnis", "check_ivr",
    "dnis_call", "header", "ivr_call", "load", "session", "uniqueid",
]


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


_QUEUE_JOINED = re.compile(rb"SET VARIABLE QUEUE_JOINED [1-9][0-9]*\.[0-9]{3}\n")


def _same(got: bytes, want: bytes) -> bool:
    return _QUEUE_JOINED.fullmatch(got) is not None if want == sc.QUEUE_JOINED_ANY else got == want


def check_ivr(lines: list[bytes], script_index: int) -> str | None:
    """None when the `ivr` session is exactly what IvrRoute sends for the script, else why not."""
    expected = sc.IVR_EXCHANGES[script_index]
    if len(lines) == len(expected) and all(map(_same, lines, expected)):
        return None
    for i, (got, want) in enumerate(zip(lines, expected, strict=False)):
        if not _same(got, want):
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
