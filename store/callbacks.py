"""Callback requests: a caller left a queue asking to be called back, keeping their place.

A request keeps the time its caller joined the queue (their place: requests and waiting callers are
served oldest first) and the number to call. Each attempt is a conversation of its own (the linkedid
the back end gave the originated call), with the agent rung first and what came of it; a caller not
reached is tried again, spaced, a bounded number of times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from .clock import iso, parse_iso

STATUSES = ("pending", "dialling", "connected", "failed", "cancelled")
# What came of an attempt: the caller talked to the agent, did not answer, was busy, could not be
# reached; the agent rung first did not answer (the caller was not dialled); nothing was heard of it.
OUTCOMES = ("connected", "no_answer", "busy", "failed", "agent_no_answer", "lost")


class CallbackError(ValueError):
    """A callback request or attempt was refused; the message says which and why."""


@dataclass(frozen=True)
class CallbackRequest:
    id: int
    linkedid: str  # the call the caller asked from
    client_code: str | None
    queue: str
    number: str  # E.164
    language: str
    queued_at: str  # their place: when they joined the queue
    requested_at: str
    status: str
    attempts: int  # attempts that dialled the caller
    next_attempt_at: str
    updated_at: str


@dataclass(frozen=True)
class Attempt:
    id: int
    request_id: int
    linkedid: str  # the callback conversation's own call
    agent: str
    started_at: str
    ended_at: str | None
    outcome: str | None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # attempts that dial the caller, the first included
    retry_after_s: int = 120  # before the 2nd attempt; the 3rd waits twice as long, and so on
    agent_retry_s: int = 10  # after an agent did not answer (the caller was not dialled)
    max_agent_misses: int = 10  # then the request fails: nobody takes callbacks in that queue


_REQUEST = ("id, linkedid, client_code, queue, number, language, queued_at, requested_at, status, attempts, "
            "next_attempt_at, updated_at")
_ATTEMPT = "id, request_id, linkedid, agent, started_at, ended_at, outcome"


def add_request(db: sqlite_utils.Database, *, linkedid: str, client_code: str | None, queue: str, number: str,
                language: str, queued_at: datetime, now: datetime) -> CallbackRequest:
    """A new request, due now. One per call: asking again from the same call returns the first."""
    if not number.startswith("+") or not number[1:].isdigit():
        raise CallbackError(f"call {linkedid}: callback number {number!r} is not an E.164 number")
    existing = [r for r in requests_of_call(db, linkedid) if r.status in ("pending", "dialling")]
    if existing:
        return existing[0]
    at = iso(now)
    cursor = db.execute(
        "INSERT INTO callback_requests (linkedid, client_code, queue, number, language, queued_at, requested_at, "
        "next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [linkedid, client_code, queue, number, language, iso(queued_at), at, at, at])
    request = get_request(db, int(cursor.lastrowid or 0))
    assert request is not None
    return request


def get_request(db: sqlite_utils.Database, request_id: int) -> CallbackRequest | None:
    rows = list(db.query(f"SELECT {_REQUEST} FROM callback_requests WHERE id = ?", [request_id]))  # noqa: S608
    return CallbackRequest(**rows[0]) if rows else None


def requests_of_call(db: sqlite_utils.Database, linkedid: str) -> list[CallbackRequest]:
    return [CallbackRequest(**r) for r in db.query(
        f"SELECT {_REQUEST} FROM callback_requests WHERE linkedid = ? ORDER BY id", [linkedid])]  # noqa: S608


def due_requests(db: sqlite_utils.Database, now: datetime) -> list[CallbackRequest]:
    """Pending requests whose next attempt is due, oldest place in the queue first."""
    return [CallbackRequest(**r) for r in db.query(
        f"SELECT {_REQUEST} FROM callback_requests WHERE status = 'pending' AND next_attempt_at <= ? "  # noqa: S608
        "ORDER BY queued_at, id", [iso(now)])]


def waiting_requests(db: sqlite_utils.Database) -> list[CallbackRequest]:
    """Every request still to be served (pending or being dialled)."""
    return [CallbackRequest(**r) for r in db.query(
        f"SELECT {_REQUEST} FROM callback_requests WHERE status IN ('pending', 'dialling') "  # noqa: S608
        "ORDER BY queued_at, id")]


def start_attempt(db: sqlite_utils.Database, request_id: int, *, linkedid: str, agent: str,
                  now: datetime) -> Attempt:
    """The request is being dialled: its agent first, under the conversation's own linkedid."""
    request = get_request(db, request_id)
    if request is None or request.status != "pending":
        raise CallbackError(f"callback {request_id}: not pending ({request.status if request else 'no such'})")
    at = iso(now)
    cursor = db.execute("INSERT INTO callback_attempts (request_id, linkedid, agent, started_at) VALUES (?, ?, ?, ?)",
                        [request_id, linkedid, agent, at])
    db.execute("UPDATE callback_requests SET status = 'dialling', updated_at = ? WHERE id = ?", [at, request_id])
    attempt = get_attempt(db, int(cursor.lastrowid or 0))
    assert attempt is not None
    return attempt


def get_attempt(db: sqlite_utils.Database, attempt_id: int) -> Attempt | None:
    rows = list(db.query(f"SELECT {_ATTEMPT} FROM callback_attempts WHERE id = ?", [attempt_id]))  # noqa: S608
    return Attempt(**rows[0]) if rows else None


def attempt_by_linkedid(db: sqlite_utils.Database, linkedid: str) -> Attempt | None:
    rows = list(db.query(f"SELECT {_ATTEMPT} FROM callback_attempts WHERE linkedid = ?", [linkedid]))  # noqa: S608
    return Attempt(**rows[0]) if rows else None


def open_attempts(db: sqlite_utils.Database) -> list[Attempt]:
    """Attempts without an outcome yet."""
    return [Attempt(**r) for r in db.query(
        f"SELECT {_ATTEMPT} FROM callback_attempts WHERE outcome IS NULL ORDER BY id")]  # noqa: S608


def attempts_of(db: sqlite_utils.Database, request_id: int) -> list[Attempt]:
    return [Attempt(**r) for r in db.query(
        f"SELECT {_ATTEMPT} FROM callback_attempts WHERE request_id = ? ORDER BY id", [request_id])]  # noqa: S608


def finish_attempt(db: sqlite_utils.Database, attempt_id: int, outcome: str, *, now: datetime,
                   policy: RetryPolicy) -> CallbackRequest:
    """Record what came of an attempt and what the request does next: done, retried later, or failed."""
    if outcome not in OUTCOMES:
        raise CallbackError(f"callback attempt {attempt_id}: unknown outcome {outcome!r}")
    attempt = get_attempt(db, attempt_id)
    if attempt is None:
        raise CallbackError(f"no callback attempt {attempt_id}")
    request = get_request(db, attempt.request_id)
    assert request is not None
    at = iso(now)
    if attempt.outcome is None:
        db.execute("UPDATE callback_attempts SET outcome = ?, ended_at = ? WHERE id = ?", [outcome, at, attempt_id])
    else:
        outcome = attempt.outcome  # told twice (AMI and CEL): the first word stands
    if request.status != "dialling":
        return request
    attempts, status, next_at = request.attempts, "pending", request.next_attempt_at
    if outcome == "connected":
        attempts, status = attempts + 1, "connected"
    elif outcome == "agent_no_answer":
        misses = sum(a.outcome == "agent_no_answer" for a in attempts_of(db, request.id))
        if misses >= policy.max_agent_misses:
            status = "failed"
        next_at = iso(now + timedelta(seconds=policy.agent_retry_s))
    else:
        attempts += 1
        if attempts >= policy.max_attempts:
            status = "failed"
        next_at = iso(now + timedelta(seconds=policy.retry_after_s * attempts))
    db.execute("UPDATE callback_requests SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ? "
               "WHERE id = ?", [status, attempts, next_at, at, request.id])
    updated = get_request(db, request.id)
    assert updated is not None
    return updated


def timeline(db: sqlite_utils.Database, linkedid: str) -> list[dict]:
    """A call's callback steps as timeline entries: each request, each attempt and what came of it;
    the callback conversation's own call (an attempt's linkedid) points back to the request."""
    out: list[dict] = []
    for request in requests_of_call(db, linkedid):
        base = {"request": str(request.id), "queue": request.queue}
        out.append({"at": request.requested_at, "kind": "callback_requested", "channel": None,
                    "detail": {**base, "number": request.number, "queued_at": request.queued_at}})
        for attempt in attempts_of(db, request.id):
            detail = {**base, "agent": attempt.agent, "call": attempt.linkedid}
            out.append({"at": attempt.started_at, "kind": "callback_attempt", "channel": None, "detail": detail})
            if attempt.outcome is not None:
                out.append({"at": attempt.ended_at, "kind": "callback_outcome", "channel": None,
                            "detail": {**detail, "outcome": attempt.outcome}})
        if request.status == "failed":
            out.append({"at": request.updated_at, "kind": "callback_failed", "channel": None,
                        "detail": {**base, "attempts": str(request.attempts)}})
    attempt = attempt_by_linkedid(db, linkedid)
    if attempt is not None:
        request = get_request(db, attempt.request_id)
        assert request is not None
        out.append({"at": attempt.started_at, "kind": "callback_of", "channel": None,
                    "detail": {"request": str(request.id), "call": request.linkedid, "queue": request.queue,
                               "agent": attempt.agent}})
    return out


# The caller leg's DIALSTATUS (the dialplan's PermanenceCallback event) → what came of the attempt.
DIAL_OUTCOMES = {"ANSWER": "connected", "NOANSWER": "no_answer", "BUSY": "busy"}


def conversation_outcome(db: sqlite_utils.Database, linkedid: str) -> str | None:
    """What came of an attempt whose agent answered, from its conversation as the history keeps it;
    None while the conversation is not in the store yet (in progress, or not written yet)."""
    if db.execute("SELECT 1 FROM calls WHERE linkedid = ?", [linkedid]).fetchone() is None:
        return None
    statuses = [json.loads(r[0]).get("status", "") for r in db.execute(
        "SELECT detail FROM call_events WHERE linkedid = ? AND kind = 'callback' ORDER BY at, id", [linkedid])]
    said = [s for s in statuses if s and s != "AGENT"]
    return DIAL_OUTCOMES.get(said[-1], "failed") if said else "failed"


def call_did(db: sqlite_utils.Database, linkedid: str) -> str | None:
    """The DID the caller dialled, once their call is in the history (the callback's screen shows it)."""
    row = db.execute("SELECT did FROM calls WHERE linkedid = ?", [linkedid]).fetchone()
    return row[0] if row else None


def conversation_context(db: sqlite_utils.Database, linkedid: str) -> dict | None:
    """What the agent's screen says of a callback conversation (an attempt's linkedid): the call the caller
    asked from and when it began, the request, which try at reaching the caller this is, when they asked
    and how long they had waited in the queue first; None if the linkedid is no attempt's."""
    attempt = attempt_by_linkedid(db, linkedid)
    if attempt is None:
        return None
    request = get_request(db, attempt.request_id)
    assert request is not None
    # Tries that dialled the caller before this one (an agent who did not pick up dialled nobody).
    dialled = sum(a.id < attempt.id and a.outcome != "agent_no_answer" for a in attempts_of(db, request.id))
    row = db.execute("SELECT started_at, caller_number, wait_s FROM calls WHERE linkedid = ?",
                     [request.linkedid]).fetchone()
    waited = row[2] if row is not None and row[2] is not None else \
        round((parse_iso(request.requested_at) - parse_iso(request.queued_at)).total_seconds(), 3)
    return {"of": request.linkedid, "of_started_at": row[0] if row is not None else None,
            "of_caller_number": row[1] if row is not None else None,
            "request": request.id, "attempt": dialled + 1, "number": request.number, "queue": request.queue,
            "queued_at": request.queued_at, "requested_at": request.requested_at, "waited_s": waited}


def conversations(db: sqlite_utils.Database, linkedid: str) -> list[dict]:
    """The callback conversations of a call (each attempt whose agent was rung), oldest first."""
    return [{"call": a.linkedid, "request": a.request_id, "agent": a.agent, "started_at": a.started_at,
             "outcome": a.outcome}
            for r in requests_of_call(db, linkedid) for a in attempts_of(db, r.id)]
