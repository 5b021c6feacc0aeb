"""store.access_cache: what time alone changes — a token past its expiry, a call past its client's
window — is not answered from memory; writes that change nothing an answer depends on (a new token, a
new call and recording) leave the kept answers in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import CallRecord, RecordingRecord, Scope, calls, clients, connect, migrate, users
from store.access_cache import AccessCache
from store.clock import iso


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def _db(tmp_path):
    migrate(tmp_path / "s.sqlite3")
    db = connect(tmp_path / "s.sqlite3")
    clients.add_client(db, "1000", "Alice Co")
    users.add_user(db, "alice", "x" * 60, "client", "1000")
    start = datetime.now(UTC) - timedelta(days=59, hours=23)  # an hour inside the 60-day window
    calls.save_call(db, CallRecord(linkedid="1.1", client_code="1000", started_at=iso(start), disposition="answered",
                                   recordings=(RecordingRecord("1000/a.wav", 10, 1.0, "wav"),)))
    return db


def test_a_token_is_not_kept_past_its_expiry(tmp_path):
    db, clock = _db(tmp_path), Clock()
    cache = AccessCache(db, clock)
    users.add_token(db, "h1", "alice", iso(datetime.now(UTC) + timedelta(minutes=10)))
    assert cache.token_for("h1")[0].login == "alice"
    users.add_token(db, "h2", "alice", iso(datetime.now(UTC) + timedelta(minutes=10)))  # moves nothing
    assert cache.token_for("h1") is not None and cache.reads == 1
    clock.now += 11 * 60
    assert cache.token_for("h1") is None and cache.reads == 2


def test_a_recording_is_not_kept_once_its_call_leaves_the_window(tmp_path):
    db, clock = _db(tmp_path), Clock()
    cache = AccessCache(db, clock)
    rid = db.execute("SELECT id FROM recordings").fetchone()[0]
    client, admin = Scope.client("1000"), Scope.everything()
    assert cache.recording(client, rid)["linkedid"] == "1.1"
    assert cache.recording(admin, rid)["linkedid"] == "1.1"
    calls.save_call(db, CallRecord(linkedid="1.2", client_code="1000", started_at=iso(datetime.now(UTC)),
                                   disposition="answered", recordings=(RecordingRecord("1000/b.wav", 10, 1.0, "wav"),)))
    assert cache.recording(client, rid) is not None and cache.reads == 2  # a new call and recording move nothing
    clock.now += 2 * 3600  # the call is now 60 days and an hour old
    assert cache.recording(client, rid) is None
    assert cache.recording(admin, rid) is not None and cache.reads == 3  # an admin's has no window

