"""Synthetic call history for the web benchmarks: a real store file (the project's migrations) filled
with N calls in one transaction, and a few real WAV recordings.

The calls are spread over the last DAYS days, newest last, among a few clients, DIDs, dispositions,
queues and agents, with a recording row for the answered calls and the messages (the recording's
file exists only for the few the recording bench fetches). Deterministic: the same N gives the same
rows, so the figure and the baseline read the same data.
"""

from __future__ import annotations

import random
import sqlite3
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from store import migrate, users
from store.db import connect
from store.passwords import hash_password

CLIENTS = ("1000", "1001", "1002", "1003")
CLIENT_WEIGHTS = (50, 25, 15, 10)  # percent of the calls; client 1000 is the one the bench reads
DIDS = {code: tuple(f"+1514555{code[1:]}{k}" for k in range(3)) for code in CLIENTS}
QUEUES = {code: (f"{code}-accueil", f"{code}-urgence") for code in CLIENTS}
AGENTS = tuple(str(201 + k) for k in range(12))
# (disposition, percent): what the history of a busy answering service looks like, roughly.
DISPOSITIONS = (("answered", 62), ("abandoned_queue", 12), ("abandoned_ivr", 9), ("voicemail", 7),
                ("closed_hours", 6), ("failed", 2), ("unknown_did", 1), ("in_progress", 1))
CALLERS = 50_000  # distinct caller numbers
DAYS = 180
ADMIN = ("bench-admin", "bench-admin-password")
CLIENT_USER = ("bench-1000", "bench-client-password")  # client 1000's user (a 60-day window)
RECORDING_FILES = 16
RECORDING_SECONDS = 60  # 8 kHz 16-bit mono: 960 000 bytes of audio per file
_COLUMNS = ("linkedid", "client_code", "did", "dialled", "caller_number", "caller_name", "started_at",
            "answered_at", "ended_at", "duration_s", "disposition", "hangup_cause", "queue", "agent",
            "queued_at", "wait_s", "talk_s", "hangup_side", "transfers", "recovered")
_INSERT_CALL = f"INSERT INTO calls ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_INSERT_RECORDING = ("INSERT INTO recordings (linkedid, client_code, path, size_bytes, duration_s, format, "
                     "created_at) VALUES (?, ?, ?, ?, ?, 'wav', ?)")


@dataclass(frozen=True)
class Dataset:
    db_path: Path
    recordings_dir: Path
    calls: int
    recordings: int
    recording_ids: tuple[int, ...]  # the recordings whose file exists
    seconds: float  # to build it


def _iso(epoch_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms // 1000)) + f".{epoch_ms % 1000:03d}Z"


def _pick(table: tuple[tuple[str, int], ...]) -> list[str]:
    """A list of 100 entries in which each name appears its percent times (for rng.choice)."""
    return [name for name, percent in table for _ in range(percent)]


def _rows(n: int, now_ms: int, rng: random.Random):
    """Yields (call row, recording row or None) in started_at order."""
    dispositions = _pick(DISPOSITIONS)
    clients = _pick(tuple(zip(CLIENTS, CLIENT_WEIGHTS, strict=True)))
    step = DAYS * 86_400_000 // max(n, 1)
    start = now_ms - DAYS * 86_400_000
    for k in range(n):
        at = start + k * step + rng.randrange(step or 1)
        disposition = rng.choice(dispositions)
        code = None if disposition == "unknown_did" else rng.choice(clients)
        did = rng.choice(DIDS[code]) if code else "+15145559999"
        caller = f"+1438{rng.randrange(CALLERS):07d}"
        queue = agent = queued = answered = hangup_side = None
        wait = talk = None
        ring = 2000 + rng.randrange(20_000)
        if disposition in ("answered", "abandoned_queue"):
            queue = QUEUES[code][rng.randrange(2)]  # type: ignore[index]
            queued = _iso(at + ring)
            wait = round(rng.expovariate(1 / 25), 1)
        if disposition == "answered":
            agent = rng.choice(AGENTS)
            answered = _iso(at + ring + int(wait * 1000))  # type: ignore[operator]
            talk = round(30 + rng.expovariate(1 / 150), 1)
            hangup_side = "caller" if rng.random() < 0.6 else "agent"
        elif disposition != "in_progress":
            hangup_side = "caller" if disposition.startswith("abandoned") else "system"
        duration = None if disposition == "in_progress" else \
            round(ring / 1000 + (wait or 0) + (talk or 0) + (30 if disposition == "voicemail" else 0), 1)
        ended = None if duration is None else _iso(at + int(duration * 1000))
        linkedid = f"{at // 1000}.{k}"
        started = _iso(at)
        row = (linkedid, code, did, did, caller, None if k % 3 else f"Caller {k % 997}", started, answered, ended,
               duration, disposition, None if disposition == "in_progress" else 16, queue, agent, queued, wait,
               talk, hangup_side, 1 if k % 50 == 0 else 0, 0)
        recording = None
        if code and disposition in ("answered", "voicemail"):
            recording = (linkedid, code, f"{code}/{started[:4]}/{started[5:7]}/{started[8:10]}/{linkedid}.wav",
                         int((duration or 0) * 16_000) + 44, duration, ended)
        yield row, recording


def _recording_files(conn: sqlite3.Connection, directory: Path) -> tuple[int, ...]:
    """Real WAV files for the RECORDING_FILES newest recordings of client 1000 (their rows say so)."""
    rows = conn.execute("SELECT id, path FROM recordings WHERE client_code = '1000' ORDER BY id DESC LIMIT ?",
                        [RECORDING_FILES]).fetchall()
    frames = b"\x00\x01\xff\x7f" * (8000 * RECORDING_SECONDS // 2)
    for _, path in rows:
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(frames)
        conn.execute("UPDATE recordings SET size_bytes = ?, duration_s = ? WHERE path = ?",
                     [target.stat().st_size, float(RECORDING_SECONDS), path])
    return tuple(r[0] for r in rows)


def build(directory: Path, n: int, seed: int = 5) -> Dataset:
    """A store of `n` calls under `directory` (made afresh), its users and RECORDING_FILES real files."""
    t0 = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    db_path = directory / "bench.sqlite3"
    for leftover in directory.glob("bench.sqlite3*"):
        leftover.unlink()
    migrate(db_path)
    db = connect(db_path)
    conn = db.conn
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: the indexes grow in memory, written once
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    recordings: list[tuple] = []

    def calls():
        for row, recording in _rows(n, int(time.time() * 1000) - 60_000, random.Random(seed)):
            if recording is not None:
                recordings.append(recording)
            yield row

    conn.execute("BEGIN")
    conn.executemany("INSERT INTO clients (code, name, language, timezone, created_at) VALUES (?, ?, 'fr', "
                     "'America/Toronto', ?)", [(code, f"Client {code}", now) for code in CLIENTS])
    conn.executemany("INSERT INTO dids (did, client_code) VALUES (?, ?)",
                     [(did, code) for code in CLIENTS for did in DIDS[code]])
    conn.executemany(_INSERT_CALL, calls())
    conn.executemany(_INSERT_RECORDING, recordings)
    ids = _recording_files(conn, directory / "recordings")
    conn.execute("COMMIT")
    users.add_user(db, ADMIN[0], hash_password(ADMIN[1], log2_n=10), "admin")
    users.add_user(db, CLIENT_USER[0], hash_password(CLIENT_USER[1], log2_n=10), "client", "1000")
    db.close()
    return Dataset(db_path, directory / "recordings", n, len(recordings), ids, time.perf_counter() - t0)
