from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from store import CallRecord, ClientError, RecordingRecord, Scope, Store, StoreError, calls, clients, connect, migrate
from store.db import schema_version
from store.numbers import NumberError, to_e164
from store.schema import MIGRATIONS


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    yield conn
    conn.close()


@pytest.mark.parametrize("text", ["5145550100", "15145550100", "+1 514-555-0100", "(514) 555-0100", "+15145550100"])
def test_dialled_forms_normalise_to_one_did(text):
    assert to_e164(text, "CA") == "+15145550100"


@pytest.mark.parametrize("text", ["", "abc", "12", "+" + "9" * 40])
def test_not_a_number_is_refused(text):
    with pytest.raises(NumberError):
        to_e164(text, "CA")


def test_migrate_creates_schema_in_wal_and_is_idempotent(tmp_path):
    path = tmp_path / "s.sqlite3"
    assert migrate(path) == len(MIGRATIONS)
    assert migrate(path) == len(MIGRATIONS)
    conn = connect(path)
    assert schema_version(conn) == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert {"clients", "dids", "calls", "recordings", "users", "tokens"} <= set(conn.table_names())


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?)", [len(MIGRATIONS) + 1])
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        migrate(path)


def test_clients_and_dids(db):
    clients.add_client(db, "1000", "Démo", "fr")
    assert clients.add_did(db, "514 555 0100", "1000") == "+15145550100"
    assert clients.client_for_did(db, "+15145550100").code == "1000"
    assert clients.client_for_did(db, "+15145550101") is None
    with pytest.raises(ClientError, match="4 or 5 digits"):
        clients.add_client(db, "12", "x")
    with pytest.raises(ClientError, match="language"):
        clients.add_client(db, "1001", "x", "de")
    with pytest.raises(ClientError, match="time zone"):
        clients.add_client(db, "1001", "x", "fr", "Mars/Olympus")
    with pytest.raises(ClientError, match="belongs to client 1000"):
        clients.add_did(db, "+15145550100", "1000")
    with pytest.raises(ClientError, match="no client 9999"):
        clients.add_did(db, "+15145550102", "9999")


JAN_2 = datetime(2026, 1, 2, tzinfo=UTC)  # the calls below are of 1 January: inside a client's window


def _call(linkedid: str, client: str | None, started: str, recs=()) -> CallRecord:
    return CallRecord(linkedid=linkedid, client_code=client, started_at=started, disposition="answered",
                      recordings=tuple(recs))


def test_calls_are_scoped_to_their_client(db):
    clients.add_client(db, "1000", "A")
    clients.add_client(db, "2000", "B")
    calls.save_call(db, _call("1.1", "1000", "2026-01-01T10:00:00.000Z",
                              [RecordingRecord("1000/2026/01/01/1.1.wav", 100, 1.5, "wav")]))
    calls.save_call(db, _call("2.1", "2000", "2026-01-01T11:00:00.000Z"))
    calls.save_call(db, _call("3.1", None, "2026-01-01T12:00:00.000Z"))
    a = Scope.client("1000")
    assert [c["linkedid"] for c in calls.list_calls(db, a, now=JAN_2)] == ["1.1"]
    assert calls.get_call(db, a, "2.1", now=JAN_2) is None
    assert calls.get_call(db, a, "1.1", now=JAN_2)["recordings"][0]["duration_s"] == 1.5
    rec_id = calls.get_call(db, a, "1.1", now=JAN_2)["recordings"][0]["id"]
    assert calls.get_recording(db, a, rec_id, now=JAN_2)["path"] == "1000/2026/01/01/1.1.wav"
    assert calls.get_recording(db, Scope.client("2000"), rec_id, now=JAN_2) is None
    assert [c["linkedid"] for c in calls.list_calls(db, Scope.everything())] == ["3.1", "2.1", "1.1"]


def test_save_call_is_idempotent_and_keyset_pages(db):
    clients.add_client(db, "1000", "A")
    for i in range(5):
        calls.save_call(db, _call(f"{i}.0", "1000", f"2026-01-01T10:00:0{i}.000Z"))
    calls.save_call(db, _call("4.0", "1000", "2026-01-01T10:00:04.000Z"))
    first = calls.list_calls(db, Scope.client("1000"), limit=2, now=JAN_2)
    assert [c["linkedid"] for c in first] == ["4.0", "3.0"]
    nxt = calls.list_calls(db, Scope.client("1000"), limit=2, now=JAN_2,
                           before=(first[-1]["started_at"], first[-1]["linkedid"]))
    assert [c["linkedid"] for c in nxt] == ["2.0", "1.0"]


def test_unknown_disposition_is_refused(db):
    with pytest.raises(ValueError, match="disposition"):
        calls.save_call(db, CallRecord(linkedid="1", started_at="2026-01-01T00:00:00.000Z", disposition="meh"))


async def test_writer_batches_concurrent_writes_and_isolates_failures(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        await store.write(lambda db: clients.add_client(db, "1000", "A"))

        def bad(db):
            clients.add_client(db, "1000", "dup")

        jobs = [store.write(lambda db, i=i: calls.save_call(
            db, _call(f"{i}.9", "1000", "2026-01-01T00:00:00.000Z"))) for i in range(200)]
        results = await asyncio.gather(store.write(bad), *jobs, return_exceptions=True)
        assert isinstance(results[0], ClientError)
        assert all(r is None for r in results[1:])
        batches, jobs_done = store.write_stats
        assert jobs_done == 202
        assert batches < 202  # queued writes shared transactions
        rows = await store.read(lambda db: calls.list_calls(db, Scope.everything(), limit=500))
        assert len(rows) == 200
        assert await store.writable()
    finally:
        store.close()


def test_upgrade_to_6_rebuilds_users_and_keeps_their_tokens(tmp_path, monkeypatch):
    """Migration 6 rebuilds `users` (a new role): the tokens that reference it survive, references hold."""
    path = tmp_path / "old.db"
    monkeypatch.setattr("store.db.MIGRATIONS", MIGRATIONS[:5])
    assert migrate(path) == 5
    old = connect(path)
    old.execute("INSERT INTO clients (code, name, created_at) VALUES ('1000', 'A', 't')")
    old.execute("INSERT INTO users VALUES ('demo', 'hash', 'client', '1000', 't')")
    old.execute("INSERT INTO tokens VALUES ('th', 'demo', 't', 't')")
    old.close()
    monkeypatch.setattr("store.db.MIGRATIONS", MIGRATIONS[:6])
    assert migrate(path) == 6
    db = connect(path)
    assert [r["login"] for r in db.query("SELECT login FROM tokens")] == ["demo"]
    db.execute("INSERT INTO users VALUES ('sup', 'hash', 'supervisor', NULL, 't')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO tokens VALUES ('x', 'nobody', 't', 't')")  # references are enforced again
    db.close()


def test_upgrade_to_10_adds_agent_users_and_keeps_sessions(tmp_path, monkeypatch):
    """Migration 10 rebuilds `users` (the agent role, bound to an agent id): sessions and tokens survive."""
    path = tmp_path / "old.db"
    monkeypatch.setattr("store.db.MIGRATIONS", MIGRATIONS[:9])
    assert migrate(path) == 9
    old = connect(path)
    old.execute("INSERT INTO clients (code, name, created_at) VALUES ('1000', 'A', 't')")
    old.execute("INSERT INTO users VALUES ('demo', 'hash', 'client', '1000', 't')")
    old.execute("INSERT INTO users VALUES ('sup', 'hash', 'supervisor', NULL, 't')")
    old.execute("INSERT INTO tokens VALUES ('th', 'demo', 't', 't')")
    old.execute("INSERT INTO sessions VALUES ('sh', 'sup', 'csrf', 't', 't', NULL)")
    old.close()
    monkeypatch.setattr("store.db.MIGRATIONS", MIGRATIONS[:10])
    assert migrate(path) == 10
    db = connect(path)
    assert [(r["login"], r["agent_id"]) for r in db.query("SELECT login, agent_id FROM users ORDER BY login")] == \
        [("demo", None), ("sup", None)]
    assert [r["login"] for r in db.query("SELECT login FROM tokens")] == ["demo"]
    assert [r["login"] for r in db.query("SELECT login FROM sessions")] == ["sup"]
    db.execute("INSERT INTO users (login, password_hash, role, created_at, agent_id) "
               "VALUES ('a', 'h', 'agent', 't', '101')")
    for bad in ("('b', 'h', 'agent', 't', NULL)",  # an agent without an agent id
                "('c', 'h', 'agent', 't', '101')",  # a second account for agent 101
                "('d', 'h', 'agent', 't', '0101')"):  # not an extension
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(f"INSERT INTO users (login, password_hash, role, created_at, agent_id) VALUES {bad}")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO sessions VALUES ('x', 'nobody', 'c', 't', 't', NULL)")  # references hold
    db.close()
