"""Browser sessions and credential revocation in the store."""

from __future__ import annotations

import pytest

from store import UserError, clients, connect, migrate, sessions, users
from store.passwords import hash_password

FUTURE, PAST, LONG_AGO = "2999-01-01T00:00:00.000Z", "2000-01-01T00:00:00.000Z", "1999-01-01T00:00:00.000Z"
NOW = "2026-06-01T00:00:00.000Z"


@pytest.fixture
def db(tmp_path):
    migrate(tmp_path / "s.sqlite3")
    db = connect(tmp_path / "s.sqlite3")
    clients.add_client(db, "1000", "A")
    users.add_user(db, "alice", hash_password("alice-secret", log2_n=10), "client", "1000")
    users.add_user(db, "sup", hash_password("sup-secret", log2_n=10), "supervisor")
    yield db
    db.close()


def test_a_session_is_found_by_its_hash_while_alive(db):
    sessions.add_session(db, "h1", "alice", "csrf1", FUTURE, "10.0.0.1")
    row = sessions.get_session(db, "h1", NOW, LONG_AGO)
    assert row.user.login == "alice" and row.user.client_code == "1000" and row.csrf_token == "csrf1"
    assert row.expires_at == FUTURE
    assert sessions.get_session(db, "h2", NOW, LONG_AGO) is None
    assert sessions.get_session(db, "h1", "3000-01-01T00:00:00.000Z", LONG_AGO) is None  # idle too long
    assert sessions.get_session(db, "h1", NOW, "2999-01-01T00:00:00.000Z") is None  # started too long ago


def test_touch_only_moves_the_deadline_forward(db):
    sessions.add_session(db, "h1", "alice", "c", "2026-06-01T01:00:00.000Z", None)
    sessions.touch_session(db, "h1", "2026-06-01T00:30:00.000Z")
    assert sessions.get_session(db, "h1", NOW, LONG_AGO).expires_at == "2026-06-01T01:00:00.000Z"
    sessions.touch_session(db, "h1", "2026-06-01T02:00:00.000Z")
    assert sessions.get_session(db, "h1", NOW, LONG_AGO).expires_at == "2026-06-01T02:00:00.000Z"


def test_dead_sessions_are_swept_at_the_next_login(db):
    sessions.add_session(db, "old", "alice", "c", PAST, None)
    sessions.add_session(db, "new", "alice", "c", FUTURE, None)
    assert [r["session_hash"] for r in db.query("SELECT session_hash FROM sessions")] == ["new"]
    sessions.delete_session(db, "new")
    assert sessions.sessions_of(db, "alice") == 0


def test_revoking_a_user_ends_its_sessions_and_tokens_only(db):
    for login in ("alice", "sup"):
        sessions.add_session(db, f"s-{login}", login, "c", FUTURE, None)
        users.add_token(db, f"t-{login}", login, FUTURE)
    assert users.revoke_all(db, "alice") == 2
    assert sessions.sessions_of(db, "alice") == 0 and users.token_for(db, "t-alice", NOW) is None
    assert sessions.sessions_of(db, "sup") == 1 and users.token_for(db, "t-sup", NOW)[0].role == "supervisor"
    sessions.add_session(db, "s2", "alice", "c", FUTURE, None)
    users.set_password(db, "alice", hash_password("another-secret", log2_n=10))
    assert sessions.sessions_of(db, "alice") == 0


def test_removing_a_user(db):
    sessions.add_session(db, "s", "sup", "c", FUTURE, None)
    users.add_token(db, "t", "sup", FUTURE)
    users.remove_user(db, "sup")
    assert users.get_user(db, "sup") is None and sessions.sessions_of(db, "sup") == 0
    assert db.execute("SELECT count(*) FROM tokens").fetchone()[0] == 0
    with pytest.raises(UserError, match="no user sup"):
        users.remove_user(db, "sup")


def test_a_token_gives_its_user_and_expiry(db):
    users.add_token(db, "t", "alice", FUTURE)
    user, expires = users.token_for(db, "t", NOW)
    assert user.login == "alice" and expires == FUTURE
    users.delete_token(db, "t")
    assert users.token_for(db, "t", NOW) is None


def test_supervisors_are_bound_to_no_client(db):
    with pytest.raises(UserError, match="only a client user is bound to a client"):
        users.add_user(db, "sup2", "h", "supervisor", "1000")
