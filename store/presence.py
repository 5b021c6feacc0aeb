"""Who is logged in and who is paused, and the reasons a pause may give.

An agent logged in answers every queue of queue_members (with that penalty) until it logs out; the
row here is what the back end puts back into Asterisk after a restart (ami/members.py). Pause
reasons are data: a code (what Asterisk's QueuePause carries), a digit for the phone (*43N) and a
label per language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from .agents import AgentConflict, AgentError, AgentNotFound, get_agent
from .clock import now_iso

REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class PauseReason:
    code: str
    digit: str | None
    label_fr: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_fr if language == "fr" else self.label_en


@dataclass(frozen=True)
class Login:
    agent_id: str
    logged_in_at: str
    paused: bool
    pause_reason: str | None
    paused_at: str | None


def list_reasons(db: sqlite_utils.Database) -> list[PauseReason]:
    return [PauseReason(**r) for r in db.query(
        "SELECT code, digit, label_fr, label_en FROM pause_reasons ORDER BY digit IS NULL, digit, code")]


def reason(db: sqlite_utils.Database, code: str) -> PauseReason:
    """The reason of that code; AgentError naming `reason` if there is none."""
    rows = list(db.query("SELECT code, digit, label_fr, label_en FROM pause_reasons WHERE code = ?", [code]))
    if not rows:
        known = ", ".join(r.code for r in list_reasons(db))
        raise AgentError(f"no pause reason {code!r} (known: {known})", "reason")
    return PauseReason(**rows[0])


def reason_for_digit(db: sqlite_utils.Database, digit: str) -> PauseReason | None:
    rows = list(db.query("SELECT code, digit, label_fr, label_en FROM pause_reasons WHERE digit = ?", [digit]))
    return PauseReason(**rows[0]) if rows else None


def set_reason(db: sqlite_utils.Database, code: str, label_fr: str, label_en: str,
               digit: str | None = None) -> PauseReason:
    """Add or change a reason (a digit another reason has is taken: AgentConflict)."""
    if not isinstance(code, str) or not REASON_CODE.match(code):
        raise AgentError(f"reason code {code!r}: a-z, 0-9 and _, starting with a letter, 32 at most", "code")
    if digit is not None and (not isinstance(digit, str) or not re.fullmatch(r"[0-9]", digit)):
        raise AgentError(f"reason {code}: the phone digit is one of 0-9, got {digit!r}", "digit")
    for name, label in (("label_fr", label_fr), ("label_en", label_en)):
        if not isinstance(label, str) or not label.strip() or len(label) > 64:
            raise AgentError(f"reason {code}: {name} must be 1-64 characters", name)
    taken = list(db.query("SELECT code FROM pause_reasons WHERE digit = ? AND code != ?", [digit, code]))
    if digit is not None and taken:
        raise AgentConflict(f"digit {digit} is reason {taken[0]['code']}'s already", "digit")
    db.execute("INSERT INTO pause_reasons (code, digit, label_fr, label_en) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (code) DO UPDATE SET digit = excluded.digit, label_fr = excluded.label_fr, "
               "label_en = excluded.label_en", [code, digit, label_fr.strip(), label_en.strip()])
    return reason(db, code)


def remove_reason(db: sqlite_utils.Database, code: str) -> None:
    """Remove a reason (AgentNotFound if there is none). Refused while an agent is paused with it
    (AgentConflict): the agent's state would name a reason nobody can read. The timelines keep the code."""
    if not list(db.query("SELECT 1 FROM pause_reasons WHERE code = ?", [code])):
        raise AgentNotFound(f"no pause reason {code!r}", "code")
    paused = [r["agent_id"] for r in db.query(
        "SELECT agent_id FROM agent_logins WHERE paused = 1 AND pause_reason = ? ORDER BY agent_id", [code])]
    if paused:
        raise AgentConflict(f"reason {code} is the pause of agent {', '.join(paused)}: unpause first", "code")
    db.execute("DELETE FROM pause_reasons WHERE code = ?", [code])


def get_login(db: sqlite_utils.Database, agent_id: str) -> Login | None:
    rows = list(db.query("SELECT agent_id, logged_in_at, paused, pause_reason, paused_at FROM agent_logins "
                         "WHERE agent_id = ?", [agent_id]))
    return _login(rows[0]) if rows else None


def list_logins(db: sqlite_utils.Database) -> list[Login]:
    return [_login(r) for r in db.query(
        "SELECT agent_id, logged_in_at, paused, pause_reason, paused_at FROM agent_logins ORDER BY agent_id")]


def _login(row: dict) -> Login:
    return Login(row["agent_id"], row["logged_in_at"], bool(row["paused"]), row["pause_reason"], row["paused_at"])


def log_in(db: sqlite_utils.Database, agent_id: str) -> Login:
    """Logged in from now (already logged in: unchanged, pause included)."""
    if get_agent(db, agent_id) is None:
        raise AgentNotFound(f"no agent {agent_id}", "id")
    db.execute("INSERT INTO agent_logins (agent_id, logged_in_at) VALUES (?, ?) ON CONFLICT (agent_id) DO NOTHING",
               [agent_id, now_iso()])
    login = get_login(db, agent_id)
    assert login is not None
    return login


def log_out(db: sqlite_utils.Database, agent_id: str) -> None:
    db.execute("DELETE FROM agent_logins WHERE agent_id = ?", [agent_id])


def set_paused(db: sqlite_utils.Database, agent_id: str, paused: bool, reason_code: str | None = None) -> Login:
    """Pause (with a known reason, or none) or unpause a logged-in agent."""
    if get_agent(db, agent_id) is None:
        raise AgentNotFound(f"no agent {agent_id}", "id")
    if get_login(db, agent_id) is None:
        raise AgentConflict(f"agent {agent_id} is not logged in", "id")
    if reason_code is not None:
        reason(db, reason_code)
    if paused:
        db.execute("UPDATE agent_logins SET paused = 1, pause_reason = ?, paused_at = ? WHERE agent_id = ?",
                   [reason_code, now_iso(), agent_id])
    else:
        db.execute("UPDATE agent_logins SET paused = 0, pause_reason = NULL, paused_at = NULL WHERE agent_id = ?",
                   [agent_id])
    login = get_login(db, agent_id)
    assert login is not None
    return login
