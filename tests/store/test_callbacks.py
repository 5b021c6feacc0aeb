"""Callback requests at the store: one per call, served oldest place first, attempts and their
outcomes, retries spaced and bounded, and the steps shown in the call's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import calls, clients, connect, migrate
from store.callbacks import (
    CallbackError,
    RetryPolicy,
    add_request,
    due_requests,
    finish_attempt,
    get_request,
    open_attempts,
    start_attempt,
    timeline,
)
from store.calls import CallRecord
from store.scope import Scope

T0 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=2, retry_after_s=60, agent_retry_s=5, max_agent_misses=2)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "A")
    yield conn
    conn.close()


def _request(db, linkedid="1.1", queued=T0, number="+15145551234"):
    return add_request(db, linkedid=linkedid, client_code="1000", queue="1000-accueil", number=number,
                       language="fr", queued_at=queued, now=queued + timedelta(seconds=40))


def test_requests_are_due_oldest_place_first_and_one_per_call(db):
    late = _request(db, "2.2", queued=T0 + timedelta(seconds=5))
    early = _request(db, "1.1", queued=T0)
    assert _request(db, "1.1").id == early.id  # asked twice from one call: one request
    due = due_requests(db, T0 + timedelta(minutes=1))
    assert [r.id for r in due] == [early.id, late.id]
    assert due_requests(db, T0) == []  # not due before it was asked


def test_a_bad_number_is_refused_naming_the_call(db):
    with pytest.raises(CallbackError, match=r"call 1\.1: callback number '5145551234'"):
        _request(db, number="5145551234")
    assert due_requests(db, T0 + timedelta(hours=1)) == []


def test_a_caller_not_reached_is_retried_spaced_then_the_request_fails(db):
    request = _request(db)
    now = T0 + timedelta(minutes=1)
    first = start_attempt(db, request.id, linkedid="1.1-cb1", agent="101", now=now)
    assert get_request(db, request.id).status == "dialling"
    assert due_requests(db, now + timedelta(hours=1)) == []  # not dialled twice at once
    with pytest.raises(CallbackError, match="not pending"):
        start_attempt(db, request.id, linkedid="1.1-cb9", agent="102", now=now)
    after = finish_attempt(db, first.id, "no_answer", now=now, policy=POLICY)
    assert (after.status, after.attempts) == ("pending", 1)
    assert after.next_attempt_at == "2026-12-05T15:02:00.000Z"  # retry_after_s later
    assert due_requests(db, now + timedelta(seconds=59)) == []
    second = start_attempt(db, request.id, linkedid="1.1-cb2", agent="101", now=now + timedelta(minutes=1))
    final = finish_attempt(db, second.id, "busy", now=now + timedelta(minutes=1), policy=POLICY)
    assert (final.status, final.attempts) == ("failed", 2)  # max_attempts reached
    assert due_requests(db, now + timedelta(days=1)) == []


def test_an_agent_who_does_not_answer_costs_no_caller_attempt_but_is_bounded(db):
    request = _request(db)
    now = T0 + timedelta(minutes=1)
    a = start_attempt(db, request.id, linkedid="1.1-cb1", agent="101", now=now)
    after = finish_attempt(db, a.id, "agent_no_answer", now=now, policy=POLICY)
    assert (after.status, after.attempts) == ("pending", 0)
    b = start_attempt(db, request.id, linkedid="1.1-cb2", agent="102", now=now + timedelta(seconds=5))
    assert finish_attempt(db, b.id, "agent_no_answer", now=now, policy=POLICY).status == "failed"


def test_a_connected_attempt_ends_the_request_and_an_outcome_told_twice_keeps_the_first(db):
    request = _request(db)
    now = T0 + timedelta(minutes=1)
    a = start_attempt(db, request.id, linkedid="1.1-cb1", agent="101", now=now)
    assert open_attempts(db) == [a]
    done = finish_attempt(db, a.id, "connected", now=now + timedelta(seconds=30), policy=POLICY)
    assert (done.status, done.attempts) == ("connected", 1)
    assert finish_attempt(db, a.id, "lost", now=now + timedelta(minutes=5), policy=POLICY).status == "connected"
    assert open_attempts(db) == []
    with pytest.raises(CallbackError, match="unknown outcome"):
        finish_attempt(db, a.id, "maybe", now=now, policy=POLICY)


def test_the_steps_are_in_both_calls_timelines(db):
    calls.save_call(db, CallRecord("1.1", T0.isoformat(), "voicemail", client_code="1000"))
    request = _request(db)
    now = T0 + timedelta(minutes=1)
    a = start_attempt(db, request.id, linkedid="1.1-cb1", agent="101", now=now)
    finish_attempt(db, a.id, "connected", now=now + timedelta(seconds=30), policy=POLICY)
    kinds = [(e["kind"], e["detail"].get("outcome")) for e in timeline(db, "1.1")]
    assert kinds == [("callback_requested", None), ("callback_attempt", None), ("callback_outcome", "connected")]
    assert timeline(db, "1.1-cb1")[0]["detail"] == {"request": str(request.id), "call": "1.1",
                                                    "queue": "1000-accueil", "agent": "101"}
    # GET /api/calls/{id} reads them with the call's own events.
    got = calls.get_call(db, Scope.everything(), "1.1")
    assert [e["kind"] for e in got["timeline"]] == ["callback_requested", "callback_attempt", "callback_outcome"]
