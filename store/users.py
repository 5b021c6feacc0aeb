"""Users, their API tokens and the revocation of everything they are logged in with (SQL only;
hashing lives in store.passwords, browser sessions in store.sessions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from .agents import get_agent
from .clients import get_client
from .clock import now_iso

ROLES = ("admin", "supervisor", "client", "agent")
# Who may be bound to an agent id: an agent works on that softphone; a supervisor or an admin listens,
# whispers and barges from it (web/supervise.py).
PHONE_ROLES = ("agent", "supervisor", "admin")
LOGIN = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 8  # characters; checked before hashing (the store only sees hashes)


class UserError(ValueError):
    """A user definition was refused; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UserNotFound(UserError):
    """No such user."""


class UserConflict(UserError):
    """The login is taken already."""


@dataclass(frozen=True)
class User:
    login: str
    role: str
    client_code: str | None
    password_hash: str
    agent_id: str | None = None  # the agent's softphone extension (store.agents)


def add_user(db: sqlite_utils.Database, login: str, password_hash: str, role: str,
             client_code: str | None = None, agent_id: str | None = None) -> User:
    if not LOGIN.match(login or ""):
        raise UserError(f"login must be 1-64 of letters, digits and . _ @ -, got {login!r}", "login")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got {role!r}", "role")
    if role == "client":
        if not client_code or get_client(db, client_code) is None:
            raise UserError(f"user {login}: no client {client_code!r}", "client_code")
    elif client_code is not None:
        raise UserError(f"user {login}: only a client user is bound to a client ({role} given one)", "client_code")
    _check_agent(db, login, role, agent_id)
    if get_user(db, login) is not None:
        raise UserConflict(f"user {login} exists already", "login")
    db.execute(
        "INSERT INTO users (login, password_hash, role, client_code, created_at, agent_id) VALUES (?, ?, ?, ?, ?, ?)",
        [login, password_hash, role, client_code, now_iso(), agent_id],
    )
    return User(login, role, client_code, password_hash, agent_id)


def _check_agent(db: sqlite_utils.Database, login: str, role: str, agent_id: str | None) -> None:
    if agent_id is None:
        if role == "agent":
            raise UserError(f"user {login}: an agent user is bound to an agent id", "agent_id")
        return
    if role not in PHONE_ROLES:
        raise UserError(f"user {login}: a {role} user is not bound to an agent id", "agent_id")
    if get_agent(db, agent_id) is None:
        raise UserError(f"user {login}: no agent {agent_id!r}", "agent_id")
    if role == "agent":
        taken = db.execute("SELECT login FROM users WHERE role = 'agent' AND agent_id = ?", [agent_id]).fetchone()
        if taken is not None:
            raise UserConflict(f"agent {agent_id} has a web account already ({taken[0]})", "agent_id")


def set_password(db: sqlite_utils.Database, login: str, password_hash: str) -> None:
    """A new password ends every session and token of the user (whoever held the old one is out)."""
    if db.execute("UPDATE users SET password_hash = ? WHERE login = ?", [password_hash, login]).rowcount != 1:
        raise UserNotFound(f"no user {login}", "login")
    revoke_all(db, login)


def revoke_all(db: sqlite_utils.Database, login: str) -> int:
    """Delete the user's browser sessions and API tokens; how many there were."""
    gone = db.execute("DELETE FROM sessions WHERE login = ?", [login]).rowcount
    return gone + db.execute("DELETE FROM tokens WHERE login = ?", [login]).rowcount


def remove_user(db: sqlite_utils.Database, login: str) -> None:
    """Remove a user and what it is logged in with; the recordings' access audit keeps its login."""
    if get_user(db, login) is None:
        raise UserNotFound(f"no user {login}", "login")
    revoke_all(db, login)
    db.execute("DELETE FROM users WHERE login = ?", [login])


def get_user(db: sqlite_utils.Database, login: str) -> User | None:
    rows = list(db.query("SELECT login, role, client_code, password_hash, agent_id FROM users WHERE login = ?",
                         [login]))
    return User(**rows[0]) if rows else None


def list_users(db: sqlite_utils.Database) -> list[User]:
    return [User(**r) for r in db.query(
        "SELECT login, role, client_code, password_hash, agent_id FROM users ORDER BY login")]


def count_users(db: sqlite_utils.Database, role: str | None = None) -> int:
    if role is None:
        return db.execute("SELECT count(*) FROM users").fetchone()[0]
    return db.execute("SELECT count(*) FROM users WHERE role = ?", [role]).fetchone()[0]


def add_token(db: sqlite_utils.Database, token_hash: str, login: str, expires_at: str) -> None:
    now = now_iso()
    db.execute("DELETE FROM tokens WHERE expires_at < ?", [now])
    db.execute("INSERT INTO tokens (token_hash, login, created_at, expires_at) VALUES (?, ?, ?, ?)",
               [token_hash, login, now, expires_at])


def token_for(db: sqlite_utils.Database, token_hash: str, now: str) -> tuple[User, str] | None:
    """The user of a live token, and when the token expires."""
    row = db.conn.execute(  # the plain cursor: this runs for every request with a bearer token
        "SELECT u.login, u.role, u.client_code, u.password_hash, u.agent_id, t.expires_at FROM tokens t "
        "JOIN users u ON u.login = t.login WHERE t.token_hash = ? AND t.expires_at > ?",
        [token_hash, now]).fetchone()
    if row is None:
        return None
    return User(*row[:5]), row[5]


def delete_token(db: sqlite_utils.Database, token_hash: str) -> None:
    db.execute("DELETE FROM tokens WHERE token_hash = ?", [token_hash])
