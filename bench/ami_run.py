"""One run of one ami-ingest side (bench.ami_ingest): the AMI server it reads (bench.ami_server, a child
process), the store it writes to, and the run's record, checked row by row against the stream."""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import sys
import tempfile
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from store import clients, connect, migrate

from .ami_stream import ROOT, ROW_FIELDS, WAV_S, Stream, StreamFiles

START_TIMEOUT = 30.0  # for the server to start, for the first row
STALL_S = 3.0  # after the last event was sent: no new row for this long and the run is over


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


def prepare_db(path: Path, codes: set[str]) -> None:
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


async def wait_sent(server: AmiServer) -> None:
    """The last call may end a few events before the stream does: let the server finish it."""
    assert server.sent is not None
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(server.sent), STALL_S)


def finish_run(run: IngestRun, stream: Stream, sent: Sent, committed: Mapping[str, float],
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
