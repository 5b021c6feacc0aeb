"""`ami-ingest`: how fast the AMI listener turns an event stream into committed call rows.

The stream: the five real call streams of tests/ami/fixtures/streams (answered, unknown_did,
abandoned_queue, abandoned_ivr, voicemail), played round robin as N distinct calls: each call gets its
own linkedid/uniqueid, channel name and recording name, and its events' Timestamps are shifted by a
whole number of milliseconds so that `concurrency` calls are in progress at once (call k starts
k × mean-call-length / concurrency after the first). Every field is sent as Asterisk sent it (only
panoramisk's `content` artefact of the capture is left out). The shifted times all lie at least
PAST_S in the past, so CallListener measures each recording once, without its settle wait (it waits
only for calls that ended less than settle_timeout ago), as it does for calls replayed after a restart.

Recordings: every call with a recording (4 in 5) has a real WAV at its path in a temporary
recordings directory (hard links to one 0.5 s WAV), so the figure takes the listener's real path —
`measure` in a worker thread, then the call row and its recording row in one store write — without
a recording wait dominating. The rows expected of each call are the fixture's expected row with the
new linkedid, recording name and shifted times: both sides are checked against them, row by row.

- figure: the real AMIClient + CallListener + Store (a temporary SQLite file), over loopback, fed by
  bench.ami_server (a child process: banner, Login, Ping, then the stream).
- baseline: on the same stream from the same server, a plain asyncio reader that splits blocks on
  \\r\\n\\r\\n and lines on ': ', groups events by linkedid, builds the row when the last channel of a
  linkedid hangs up (measuring its WAV inline) and, after each read, executemany()s the rows it has
  into a SQLite file of the same schema and pragmas, in one transaction.

Measured: events/s from the first event sent to the last row committed (as fast as the server can
write and the side can take, best of `rounds`); the lag of each call, from its finishing Hangup
being written by the server to its row being committed, p99, at fixed rates (1 000 and 5 000 ev/s);
events lost = calls expected − rows in the store afterwards.

Commit clock: the server stamps each finishing Hangup with time.monotonic() when it hands it to the
socket; the figure's Store is a bench subclass whose write() stamps time.monotonic() when the
listener's `await store.write(save_call)` returns — the writer thread commits the batch before it
settles the future, so the stamp is an upper bound on the commit time (late by the event loop's
scheduling delay, which the listener itself also sees). The linkedid comes from the name the listener
gives the task writing the call (`call-<linkedid>`); the stamps are checked against the rows. The
baseline stamps its calls right after its COMMIT returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import sqlite3
import sys
import tempfile
import time
import wave
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

from ami.client import AMIClient
from ami.listener import CallListener
from ivr import variables as v
from recordings import measure
from store import Store, clients, connect, migrate
from store.clock import iso, now_iso, parse_iso

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
STREAMS = ROOT / "tests" / "ami" / "fixtures" / "streams"
SCENARIOS = ("answered", "unknown_did", "abandoned_queue", "abandoned_ivr", "voicemail")
SIDES = ("figure", "baseline")
ROW_FIELDS = ("linkedid", "client_code", "did", "dialled", "caller_number", "caller_name", "started_at",
              "answered_at", "ended_at", "disposition", "hangup_cause", "recording")
ID_FIELDS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")
CHANNEL_FIELDS = ("Channel", "DestChannel")

TARGET_RATIO = 0.5  # figure events/s ≥ 0.5 × baseline events/s
TARGET_RATE = 40_000.0  # figure events/s, absolute
TARGET_LAG_MS = 100.0  # p99 lag at LAG_RATE events/s
LAG_RATE = 5000
PAST_S = 600.0  # the stream's calls all ended at least this long ago
SETTLE_S = 5.0  # CallListener's settle_timeout, as permanence serve sets it by default
WAV_S = 0.5
START_TIMEOUT = 30.0  # for the server to start, for the first row
STALL_S = 3.0  # after the last event was sent: no new row for this long and the run is over


@dataclass(frozen=True)
class IngestConfig:
    calls: int  # calls in the as-fast-as-possible stream
    concurrency: int  # calls in progress at once in every stream
    rates: dict[int, float]  # events/s → seconds of stream sent at that rate (its own, smaller stream)
    rounds: int = 1  # as-fast-as-possible runs per side, interleaved; the best counts


FULL = IngestConfig(calls=20_000, concurrency=50, rates={1000: 5.0, 5000: 5.0}, rounds=1)
QUICK = IngestConfig(calls=2_000, concurrency=50, rates={1000: 1.0, 5000: 1.0}, rounds=1)


# ---- the stream ----------------------------------------------------------------------------------


def _us(stamp: str) -> int:
    """An AMI Timestamp ('1795456594.915249') in integer microseconds, exactly."""
    sec, _, frac = stamp.partition(".")
    return int(sec) * 1_000_000 + int((frac + "000000")[:6])


def _stamp(us: int) -> str:
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def _shift_iso(text: str | None, shift_us: int) -> str | None:
    return None if text is None else iso(parse_iso(text) + timedelta(microseconds=shift_us))


@dataclass(frozen=True)
class Template:
    """One fixture call: its events as format strings with the per-call fields left open."""

    name: str
    formats: tuple[str, ...]  # str.format() with ts, lid, u<i>, c<i>, rec
    stamps: tuple[int, ...]  # each event's Timestamp, µs
    linkedid_events: tuple[bool, ...]  # which events carry the call's linkedid
    finisher: int  # the Hangup that ends the call (its last channel gone)
    uniqueids: tuple[str, ...]  # the call's own ids, the linkedid first
    channels: tuple[str, ...]
    recording: str | None  # the PermanenceCall Recording (client/Y/M/D/linkedid), if any
    expected: dict

    @property
    def start(self) -> int:
        return self.stamps[0]

    @property
    def length(self) -> int:
        return self.stamps[-1] - self.stamps[0]


def _finisher(events: list[dict[str, str]], linkedid: str) -> int:
    """The index of the event that ends the call for ami.calls.CallTracker: the Hangup of its last channel."""
    channels: set[str] = set()
    for i, event in enumerate(events):
        if event.get("Linkedid") != linkedid:
            continue
        if event.get("Event") == "Newchannel":
            channels.add(event.get("Uniqueid", ""))
        elif event.get("Event") == "Hangup":
            channels.discard(event.get("Uniqueid", ""))
            if not channels:
                return i
    raise ValueError(f"call {linkedid}: no Hangup ends it")


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def load_template(name: str) -> Template:
    lines = (STREAMS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    expected = json.loads((STREAMS / f"{name}.expected.json").read_text(encoding="utf-8"))
    linkedid = expected["linkedid"]
    uniqueids = [linkedid, *sorted({e[k] for e in events for k in ID_FIELDS if e.get(k)} - {linkedid})]
    channels = sorted({e[k] for e in events for k in CHANNEL_FIELDS if e.get(k)})
    recording = None
    formats = []
    for event in events:
        parts = []
        for key, value in event.items():
            if key == "content" and value == "":
                continue  # panoramisk's Message body, not a field Asterisk sent
            if key == "Timestamp":
                slot = "{ts}"
            elif key in ID_FIELDS and value in uniqueids:
                slot = f"{{u{uniqueids.index(value)}}}"
            elif key in CHANNEL_FIELDS and value in channels:
                slot = f"{{c{channels.index(value)}}}"
            elif key == "Recording" and value:
                recording, slot = value, "{rec}"
            else:
                slot = _escape(value)
            parts.append(f"{_escape(key)}: {slot}\r\n")
        formats.append("".join(parts) + "\r\n")
    return Template(name, tuple(formats), tuple(_us(e["Timestamp"]) for e in events),
                    tuple(e.get("Linkedid") == linkedid for e in events), _finisher(events, linkedid),
                    tuple(uniqueids), tuple(channels), recording, expected)


def load_templates() -> list[Template]:
    return [load_template(name) for name in SCENARIOS]


@dataclass
class Stream:
    """A synthetic stream, encoded, and what it must leave in the store."""

    data: bytes
    ends: array  # 'Q': byte offset after each event
    finishers: array  # 'Q': index of each call's finishing Hangup, ascending
    finisher_ids: list[str]  # the linkedid each finisher ends, same order
    expected: dict[str, dict]  # linkedid → expected row (ROW_FIELDS)
    max_concurrent: int  # calls in progress at once, at most (in stream order)
    mean_concurrent: float  # calls in progress when an event is sent, on average

    @property
    def events(self) -> int:
        return len(self.ends)

    @property
    def calls(self) -> int:
        return len(self.expected)

    def recordings(self) -> list[str]:
        return [row["recording"] for row in self.expected.values() if row["recording"]]

    def write(self, directory: Path, name: str) -> StreamFiles:
        files = StreamFiles(directory / f"{name}.ami", directory / f"{name}.ends", directory / f"{name}.fin")
        files.stream.write_bytes(self.data)
        files.ends.write_bytes(self.ends.tobytes())
        files.finishers.write_bytes(self.finishers.tobytes())
        return files


@dataclass(frozen=True)
class StreamFiles:
    stream: Path
    ends: Path
    finishers: Path


def build(templates: list[Template], calls: int, concurrency: int, *, first: int = 0,
          now: float | None = None) -> Stream:
    """`calls` distinct calls (numbered from `first`, so that streams built apart never share a
    linkedid), about `concurrency` of them in progress at once, all ended PAST_S or more ago."""
    mean_length = sum(t.length for t in templates) / len(templates)
    spacing = max(1000, round(mean_length / max(1, concurrency) / 1000) * 1000)  # µs, whole ms
    longest = max(t.length for t in templates)
    now_us = int((time.time() if now is None else now) * 1_000_000)
    base = (now_us - int(PAST_S * 1_000_000) - (calls - 1) * spacing - longest) // 1000 * 1000
    timed: list[tuple[int, int, int, str, str | None]] = []  # (µs, call, event, text, linkedid if finisher)
    expected: dict[str, dict] = {}
    for n in range(calls):
        k = first + n
        t = templates[n % len(templates)]
        shift = (base + n * spacing - t.start) // 1000 * 1000  # whole ms: the expected times shift exactly
        start_us = t.start + shift
        linkedid = f"{start_us // 1_000_000}.{k}"
        slots = {f"u{i}": linkedid if i == 0 else f"{start_us // 1_000_000}.{k}-{i}"
                 for i in range(len(t.uniqueids))}
        for i, name in enumerate(t.channels):
            slots[f"c{i}"] = f"{name.rpartition('-')[0]}-{k:08x}{i:02x}" if "-" in name else f"{name}-{k}"
        recording = None
        if t.recording:
            client = t.recording.partition("/")[0]
            started = datetime.fromtimestamp(start_us / 1_000_000, UTC)
            recording = slots["rec"] = f"{client}/{started:%Y/%m/%d}/{linkedid}"
        for i, (fmt, stamp) in enumerate(zip(t.formats, t.stamps, strict=True)):
            text = fmt.format(ts=_stamp(stamp + shift), **slots)
            timed.append((stamp + shift, n, i, text, linkedid if i == t.finisher else None))
        row = {key: t.expected[key] for key in ROW_FIELDS if key != "recording"}
        row["linkedid"] = linkedid
        for key in ("started_at", "answered_at", "ended_at"):
            row[key] = _shift_iso(row[key], shift)
        row["recording"] = f"{recording}.wav" if recording and row["client_code"] else None
        expected[linkedid] = row
    timed.sort(key=lambda item: item[:3])
    ends, finishers, finisher_ids = array("Q"), array("Q"), []
    chunks: list[bytes] = []
    offset, live, most, total_live = 0, 0, 0, 0
    started: set[int] = set()
    for index, (_, n, _, text, finishes) in enumerate(timed):
        data = text.encode("utf-8")
        chunks.append(data)
        offset += len(data)
        ends.append(offset)
        if n not in started:
            started.add(n)
            live += 1
            most = max(most, live)
        total_live += live
        if finishes is not None:
            finishers.append(index)
            finisher_ids.append(finishes)
            live -= 1
    return Stream(b"".join(chunks), ends, finishers, finisher_ids, expected, most,
                  total_live / max(1, len(timed)))


def calls_for(templates: list[Template], rate: float, seconds: float) -> int:
    """How many calls make about `seconds` of stream at `rate` events/s."""
    per_call = sum(len(t.formats) for t in templates) / len(templates)
    return max(len(templates), round(rate * seconds / per_call))


def write_wavs(directory: Path, paths: list[str]) -> int:
    """A real WAV (WAV_S of silence) at every recording path: hard links to one file. Its size."""
    source = directory / "source.wav"
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * int(8000 * WAV_S))
    made: set[Path] = set()
    for relative in paths:
        path = directory.joinpath(*relative.split("/"))
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        try:
            os.link(source, path)
        except OSError:
            path.write_bytes(source.read_bytes())
    return source.stat().st_size


# ---- the server (bench.ami_server, a child process) ----------------------------------------------


@dataclass
class Sent:
    first: float  # time.monotonic() when the first event was written
    last: float
    stamps: array  # 'd': when each finisher was written


class AmiServer:
    """`python -m bench.ami_server …` as a child process; closing its stdin stops it."""

    def __init__(self, files: StreamFiles, rate: float, stamps: Path) -> None:
        self.files, self.rate, self.stamps_path = files, rate, stamps
        self.port = 0
        self.sent: asyncio.Task[tuple[float, float]] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr: IO[bytes] | None = None

    async def start(self) -> None:
        self._stderr = tempfile.TemporaryFile()  # closed in stop()
        f = self.files
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.ami_server", str(f.stream), str(f.ends), str(f.finishers),
            str(self.stamps_path), repr(float(self.rate)), cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._stderr)
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), START_TIMEOUT)
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"bench AMI server did not start (said {line!r}{self._hint()})")
        self.port = int(line.split()[1])
        self.sent = asyncio.create_task(self._wait_sent())

    async def _wait_sent(self) -> tuple[float, float]:
        assert self._proc is not None and self._proc.stdout is not None
        line = await self._proc.stdout.readline()
        if not line.startswith(b"SENT "):
            raise RuntimeError(f"bench AMI server stopped before sending it all (said {line!r})")
        first, last = line.split()[1:3]
        return float(first), float(last)

    def _hint(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = [line for line in self._stderr.read().decode(errors="replace").splitlines() if line.strip()]
        return f"; stderr: {lines[-1]}" if lines else ""

    async def stop(self) -> Sent:
        proc, sent = self._proc, self.sent
        assert proc is not None and proc.stdin is not None and sent is not None
        self._proc = None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), START_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError("bench AMI server did not stop; killed") from None
        finally:
            hint = self._hint()
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None
        try:  # its stdout is closed now: the task has its answer
            first, last = await asyncio.wait_for(sent, START_TIMEOUT)
        except (RuntimeError, ValueError, TimeoutError) as exc:
            raise RuntimeError(f"bench AMI server: status {proc.returncode}: {exc}{hint}") from None
        if proc.returncode != 0:
            raise RuntimeError(f"bench AMI server: status {proc.returncode}{hint}")
        stamps = array("d")
        stamps.frombytes(self.stamps_path.read_bytes())
        return Sent(first, last, stamps)


# ---- one run of one side -------------------------------------------------------------------------


@dataclass
class IngestRun:
    side: str
    rate: float  # events/s the server sent at; 0 = as fast as the side took them
    events: int
    calls: int  # rows expected
    rows: int = 0  # rows found in the store afterwards
    wrong: int = 0  # rows not as expected
    seconds: float = math.nan  # first event sent → last row committed
    lags_ms: list[float] = field(default_factory=list)  # per call: finishing Hangup sent → row committed
    problems: list[str] = field(default_factory=list)

    @property
    def rate_achieved(self) -> float:
        """Events per second, first event sent to last row committed."""
        return self.events / self.seconds if self.seconds > 0 else math.nan

    @property
    def lost(self) -> int:
        return self.calls - self.rows

    @property
    def p99(self) -> float:
        return percentile(self.lags_ms, 0.99)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _prepare_db(path: Path, codes: set[str]) -> None:
    """The project's schema and pragmas, and the clients the calls belong to (calls reference them)."""
    migrate(path)
    db = connect(path)
    try:
        db.execute("BEGIN")
        for code in sorted(codes):
            clients.add_client(db, code, f"Bench client {code}")
        db.execute("COMMIT")
    finally:
        db.close()


def read_rows(path: Path) -> dict[str, dict]:
    """linkedid → the row as ROW_FIELDS, with its recording's path (and its measured duration)."""
    conn = sqlite3.connect(str(path))
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT c.linkedid, c.client_code, c.did, c.dialled, c.caller_number, c.caller_name, c.started_at, "
            "c.answered_at, c.ended_at, c.disposition, c.hangup_cause, r.path AS recording, "
            "r.duration_s AS recording_s FROM calls c LEFT JOIN recordings r ON r.linkedid = c.linkedid")
        return {row["linkedid"]: dict(row) for row in rows}
    finally:
        conn.close()


def check_rows(side: str, stream: Stream, rows: dict[str, dict]) -> tuple[int, int, list[str]]:
    """(rows present, rows wrong, problems): each expected call against its row."""
    present, wrong, problems = 0, 0, []
    for linkedid, want in stream.expected.items():
        row = rows.get(linkedid)
        if row is None:
            continue
        present += 1
        got = {key: row[key] for key in ROW_FIELDS}
        bad_wav = want["recording"] is not None and row["recording_s"] != WAV_S
        if got != want or bad_wav:
            wrong += 1
            if wrong == 1:
                diff = {k: (got[k], want[k]) for k in ROW_FIELDS if got[k] != want[k]}
                if bad_wav:
                    diff["recording_s"] = (row["recording_s"], WAV_S)
                problems.append(f"{side}: call {linkedid} not as expected (got, want): {diff}")
    extra = len(rows) - present
    if extra:
        problems.append(f"{side}: {extra} row(s) of calls the stream does not have")
    if stream.calls - present:
        problems.append(f"{side}: {stream.calls - present} of {stream.calls} calls lost (no row)")
    if wrong:
        problems.append(f"{side}: {wrong} row(s) not as expected")
    return present, wrong, problems


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


async def _sent(server: AmiServer) -> None:
    """The last call may end a few events before the stream does: let the server finish it."""
    assert server.sent is not None
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(server.sent), STALL_S)


def _finish(run: IngestRun, stream: Stream, sent: Sent, committed: Mapping[str, float],
            rows: dict[str, dict]) -> IngestRun:
    run.rows, run.wrong, problems = check_rows(run.side, stream, rows)
    run.problems += problems
    if committed:
        run.seconds = max(committed.values()) - sent.first
    run.lags_ms = [1000 * (committed[lid] - stamp)
                   for lid, stamp in zip(stream.finisher_ids, sent.stamps, strict=True) if lid in committed]
    stray = set(committed) - set(stream.expected)
    if stray:
        run.problems.append(f"{run.side}: {len(stray)} commit stamp(s) of unknown calls, e.g. {min(stray)}")
    unstamped = sum(1 for lid in rows if lid not in committed)
    if unstamped:
        run.problems.append(f"{run.side}: {unstamped} row(s) without a commit stamp")
    return run


async def run_figure(stream: Stream, files: StreamFiles, rate: float, work: Path, recordings: Path) -> IngestRun:
    run = IngestRun("figure", rate, stream.events, stream.calls)
    db_path = work / f"figure-{rate:g}-{time.monotonic_ns()}.sqlite3"
    await asyncio.to_thread(_prepare_db, db_path, {r["client_code"] for r in stream.expected.values()
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
            await _sent(server)
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
    return _finish(run, stream, sent, store.committed, await asyncio.to_thread(read_rows, db_path))


# ---- the baseline ---------------------------------------------------------------------------------

_CALL_SQL = ("INSERT INTO calls (linkedid, client_code, did, dialled, caller_number, caller_name, started_at, "
             "answered_at, ended_at, duration_s, disposition, hangup_cause, recovered) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")
_RECORDING_SQL = ("INSERT INTO recordings (linkedid, client_code, path, size_bytes, duration_s, format, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")


def _when(event: dict[str, str]) -> str:
    return iso(datetime.fromtimestamp(float(event["Timestamp"]), UTC))


def _value(event: dict[str, str], key: str) -> str | None:
    value = event.get(key)
    return None if value in (None, "", "<unknown>") else value


def baseline_rows(linkedid: str, events: list[dict[str, str]], ended: dict[str, str],
                  recordings: Path) -> tuple[tuple, tuple | None]:
    """The call row (and its recording row) from a linkedid's events, once its last channel hung up."""
    first = events[0]
    answered = status = client = did = recording = menu = action = agent = cause = None
    closed = False
    for e in events:
        name = e.get("Event")
        if name == "Newstate" and e.get("ChannelState") == "6" and answered is None:
            answered = _when(e)
        elif name == "UserEvent" and e.get("UserEvent") == v.CALL_EVENT:
            status, client, did = _value(e, "Status"), _value(e, "Client"), _value(e, "DID")
            recording, menu = _value(e, "Recording"), _value(e, "Menu")
        elif name == "UserEvent" and e.get("UserEvent") == v.IVR_EVENT:
            action = _value(e, "Action")
            closed = closed or e.get("Closed") == "1"
        elif name == "AgentConnect" and agent is None:
            agent = e
        elif name == "Hangup" and (e.get("Uniqueid") == linkedid or cause is None):
            cause = int(e["Cause"]) if e.get("Cause", "").isdigit() else None
    if status in (v.DNIS_UNKNOWN, v.DNIS_INVALID):
        disposition = "unknown_did"
    elif action == "fallback" or answered is None:
        disposition = "failed"
    elif agent is not None:
        disposition = "answered"
    elif action in ("voicemail", "oncall"):
        disposition = "voicemail"
    elif closed:
        disposition = "closed_hours"
    elif action == "queue":
        disposition = "abandoned_queue"
    elif menu and action is None:
        disposition = "abandoned_ivr"
    else:
        disposition = "answered"
    started, ended_at = _when(first), _when(ended)
    duration = round((parse_iso(ended_at) - parse_iso(started)).total_seconds(), 3)
    call = (linkedid, client, did, _value(first, "Exten"), _value(first, "CallerIDNum"),
            _value(first, "CallerIDName"), started, answered, ended_at, duration, disposition, cause)
    rec = None
    if recording and client:
        path = f"{recording}.wav"
        info = measure(recordings.joinpath(*path.split("/")))
        rec = (linkedid, client, path, info.size_bytes, info.duration_s, info.format, now_iso())
    return call, rec


async def run_baseline(stream: Stream, files: StreamFiles, rate: float, work: Path, recordings: Path) -> IngestRun:
    run = IngestRun("baseline", rate, stream.events, stream.calls)
    db_path = work / f"baseline-{rate:g}-{time.monotonic_ns()}.sqlite3"
    await asyncio.to_thread(_prepare_db, db_path, {r["client_code"] for r in stream.expected.values()
                                                  if r["client_code"]})
    db = connect(db_path)
    conn = db.conn
    server = AmiServer(files, rate, work / "baseline.stamps")
    committed: dict[str, float] = {}
    writer: asyncio.StreamWriter | None = None
    try:
        await server.start()
        assert server.sent is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        await reader.readline()  # the banner
        writer.write(b"Action: Login\r\nUsername: bench\r\nSecret: bench\r\nActionID: 1\r\n\r\n")
        groups: dict[str, list[dict[str, str]]] = {}
        channels: dict[str, set[str]] = {}
        buffer = b""
        while len(committed) < stream.calls:
            try:
                data = await asyncio.wait_for(reader.read(1 << 16),
                                              STALL_S if server.sent.done() else START_TIMEOUT)
            except TimeoutError:
                break
            if not data:
                break
            *blocks, buffer = (buffer + data).split(b"\r\n\r\n")
            calls, recs = [], []
            for block in blocks:
                event = dict(line.split(": ", 1) for line in block.decode("utf-8").split("\r\n") if ": " in line)
                linkedid = event.get("Linkedid")
                if not linkedid:
                    continue
                name = event.get("Event")
                if name == "Newchannel":
                    groups.setdefault(linkedid, []).append(event)
                    channels.setdefault(linkedid, set()).add(event.get("Uniqueid", ""))
                    continue
                group = groups.get(linkedid)
                if group is None:
                    continue
                group.append(event)
                if name == "Hangup":
                    live = channels[linkedid]
                    live.discard(event.get("Uniqueid", ""))
                    if not live:
                        del groups[linkedid], channels[linkedid]
                        call, rec = baseline_rows(linkedid, group, event, recordings)
                        calls.append(call)
                        if rec is not None:
                            recs.append(rec)
            if calls:
                conn.execute("BEGIN")
                conn.executemany(_CALL_SQL, calls)
                conn.executemany(_RECORDING_SQL, recs)
                conn.execute("COMMIT")
                now = time.monotonic()
                for call in calls:
                    committed[call[0]] = now
        await _sent(server)
    finally:
        if writer is not None:
            writer.close()
        db.close()
        sent = await server.stop()
    return _finish(run, stream, sent, committed, await asyncio.to_thread(read_rows, db_path))


RUNNERS = {"figure": run_figure, "baseline": run_baseline}


# ---- the section ----------------------------------------------------------------------------------


@dataclass
class StreamInfo:
    calls: int
    events: int
    bytes: int
    max_concurrent: int
    mean_concurrent: float


@dataclass
class IngestReport:
    config: IngestConfig
    stream: StreamInfo  # the as-fast-as-possible stream
    runs: list[IngestRun]
    problems: list[str]
    setup_s: float = 0.0
    elapsed: float = 0.0

    def _runs(self, side: str, rate: float) -> list[IngestRun]:
        return [r for r in self.runs if r.side == side and r.rate == rate]

    def best(self, side: str) -> float:
        """Events/s as fast as possible: the fastest round (noise only slows a round down)."""
        rates = [r.rate_achieved for r in self._runs(side, 0) if not math.isnan(r.rate_achieved)]
        return max(rates, default=math.nan)

    def p99(self, side: str, rate: float) -> float:
        values = [r.p99 for r in self._runs(side, rate) if not math.isnan(r.p99)]
        return min(values, default=math.nan)

    def lost(self, side: str) -> int:
        return sum(r.lost for r in self.runs if r.side == side)

    def wrong(self, side: str) -> int:
        return sum(r.wrong for r in self.runs if r.side == side)

    @property
    def ratio(self) -> float:
        figure, baseline = self.best("figure"), self.best("baseline")
        return figure / baseline if baseline > 0 else math.nan

    @property
    def met_ratio(self) -> bool:
        return self.ratio >= TARGET_RATIO

    @property
    def met_rate(self) -> bool:
        return self.best("figure") >= TARGET_RATE

    @property
    def met_lag(self) -> bool:
        return self.p99("figure", LAG_RATE) < TARGET_LAG_MS

    @property
    def ok(self) -> bool:
        return not self.problems


async def run(config: IngestConfig = FULL, progress: Callable[[str], None] | None = None) -> IngestReport:
    say = progress or (lambda text: None)
    started = time.perf_counter()
    templates = load_templates()
    runs: list[IngestRun] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="permanence-bench-ami-") as tmp:
        work = Path(tmp)
        recordings = work / "recordings"
        recordings.mkdir()
        full = await asyncio.to_thread(build, templates, config.calls, config.concurrency)
        streams: list[tuple[float, Stream]] = [(0.0, full)]
        first = config.calls
        for rate, seconds in config.rates.items():
            n = calls_for(templates, rate, seconds)
            streams.append((float(rate), await asyncio.to_thread(build, templates, n, config.concurrency,
                                                                 first=first)))
            first += n
        files = {rate: stream.write(work, f"stream-{rate:g}") for rate, stream in streams}
        await asyncio.to_thread(write_wavs, recordings, [p for _, s in streams for p in s.recordings()])
        info = StreamInfo(full.calls, full.events, len(full.data), full.max_concurrent, full.mean_concurrent)
        for _, stream in streams:
            stream.data = b""  # the server reads its file; no need to keep 100 MB here
        setup = time.perf_counter() - started
        plan: list[tuple[str, float, Stream]] = []
        for r in range(config.rounds):
            for side in (SIDES if r % 2 == 0 else SIDES[::-1]):
                plan.append((side, 0.0, full))
        for rate, stream in streams[1:]:
            plan += [(side, rate, stream) for side in SIDES]
        for side, rate, stream in plan:
            what = "as fast as possible" if rate == 0 else f"at {rate:g} events/s"
            say(f"ami-ingest: {side}, {stream.events} events ({stream.calls} calls) {what}")
            try:
                done = await RUNNERS[side](stream, files[rate], rate, work, recordings)
            except (RuntimeError, OSError, ValueError) as exc:
                problems.append(f"{side} {what}: {type(exc).__name__}: {exc}")
                continue
            runs.append(done)
            problems += [f"{p} ({what})" for p in done.problems]
    return IngestReport(config, info, runs, problems, setup, time.perf_counter() - started)


# ---- profiling the figure: python -m bench.ami_ingest --profile OUT ------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse
    import cProfile
    import io
    import pstats

    parser = argparse.ArgumentParser(prog="python -m bench.ami_ingest", description=(
        "The ami-ingest section alone; with --profile, the figure's run as fast as possible under cProfile "
        "(the event loop's thread; the store's writer and the measuring threads do not show: sample those "
        "with py-spy record --threads)."))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--calls", type=int, help="calls in the as-fast-as-possible stream")
    parser.add_argument("--profile", type=Path, help="profile the figure, keep the stats in this file")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    if args.calls:
        config = IngestConfig(args.calls, config.concurrency, config.rates, config.rounds)
    if args.profile is None:
        from .report import ami_table

        report = asyncio.run(run(config, progress=lambda text: print(f"  {text}", file=sys.stderr)))
        print(ami_table(report))
        return 0 if report.ok else 1

    async def profiled() -> IngestRun:
        with tempfile.TemporaryDirectory(prefix="permanence-bench-ami-") as tmp:
            work = Path(tmp)
            stream = build(load_templates(), config.calls, config.concurrency)
            files = stream.write(work, "profile")
            (work / "rec").mkdir()
            write_wavs(work / "rec", stream.recordings())
            profiler = cProfile.Profile()
            profiler.enable()
            try:
                return await run_figure(stream, files, 0.0, work, work / "rec")
            finally:
                profiler.disable()
                profiler.dump_stats(str(args.profile))

    done = asyncio.run(profiled())
    print(f"figure under cProfile: {done.rate_achieved:.0f} events/s, {done.lost} lost, problems {done.problems}")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(str(args.profile), stream=text).strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"==== by {order} ====\n{text.getvalue().strip()}")
    return 0 if not done.problems else 1


if __name__ == "__main__":
    sys.exit(main())
