"""Agents (people on SIP softphones) and the queues they answer.

The SIP password is never stored: only its digest HA1, md5(id:realm:password), which is what
Asterisk's `md5_cred` needs to check a softphone's REGISTER and INVITE.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import sqlite_utils

from .clock import now_iso

AGENT_ID = re.compile(r"^[1-9][0-9]{2,5}$")  # the agent's extension: 3 to 6 digits
# Goes into Asterisk's configuration (caller name, queue member name): no separators of its syntax.
AGENT_NAME = re.compile(r"^[^,;\"'\[\]<>\\\r\n=]{1,64}$")
QUEUE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MIN_SECRET = 12


class AgentError(ValueError):
    """An agent or queue membership was refused; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AgentNotFound(AgentError):
    """No such agent, or not a member of that queue."""


class AgentConflict(AgentError):
    """The agent id is taken already."""


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    sip_ha1: str


@dataclass(frozen=True)
class Membership:
    queue: str
    agent_id: str
    penalty: int


def sip_ha1(agent_id: str, realm: str, secret: str) -> str:
    return hashlib.md5(f"{agent_id}:{realm}:{secret}".encode(), usedforsecurity=False).hexdigest()


def _name(agent_id: str, name: str) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not AGENT_NAME.match(name):
        raise AgentError(f"agent {agent_id}: name must be 1-64 characters without , ; \" ' [ ] < > \\ =", "name")
    return name


def _secret(agent_id: str, secret: str) -> str:
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        raise AgentError(f"agent {agent_id}: the SIP password needs at least {MIN_SECRET} characters", "password")
    return secret


def add_agent(db: sqlite_utils.Database, agent_id: str, name: str, secret: str, realm: str) -> Agent:
    if not isinstance(agent_id, str) or not AGENT_ID.match(agent_id):
        raise AgentError(f"agent id must be an extension of 3 to 6 digits not starting with 0, got {agent_id!r}",
                         "id")
    name, secret = _name(agent_id, name), _secret(agent_id, secret)
    if get_agent(db, agent_id) is not None:
        raise AgentConflict(f"agent {agent_id} exists already", "id")
    agent = Agent(agent_id, name, sip_ha1(agent_id, realm, secret))
    db.execute("INSERT INTO agents (id, name, sip_ha1, created_at) VALUES (?, ?, ?, ?)",
               [agent.id, agent.name, agent.sip_ha1, now_iso()])
    return agent


def get_agent(db: sqlite_utils.Database, agent_id: str) -> Agent | None:
    rows = list(db.query("SELECT id, name, sip_ha1 FROM agents WHERE id = ?", [agent_id]))
    return Agent(**rows[0]) if rows else None


def list_agents(db: sqlite_utils.Database) -> list[Agent]:
    return [Agent(**r) for r in db.query("SELECT id, name, sip_ha1 FROM agents ORDER BY id")]


def update_agent(db: sqlite_utils.Database, agent_id: str, realm: str, *, name: str | None = None,
                 secret: str | None = None) -> Agent:
    """A new name, or a new SIP password (its HA1 replaces the old one: the old password stops working
    once Asterisk's configuration is reloaded)."""
    if get_agent(db, agent_id) is None:
        raise AgentNotFound(f"no agent {agent_id}", "id")
    if name is not None:
        db.execute("UPDATE agents SET name = ? WHERE id = ?", [_name(agent_id, name), agent_id])
    if secret is not None:
        db.execute("UPDATE agents SET sip_ha1 = ? WHERE id = ?",
                   [sip_ha1(agent_id, realm, _secret(agent_id, secret)), agent_id])
    agent = get_agent(db, agent_id)
    assert agent is not None
    return agent


def remove_agent(db: sqlite_utils.Database, agent_id: str) -> None:
    if get_agent(db, agent_id) is None:
        raise AgentNotFound(f"no agent {agent_id}", "id")
    db.execute("DELETE FROM agents WHERE id = ?", [agent_id])


def add_member(db: sqlite_utils.Database, queue: str, agent_id: str, penalty: int = 0) -> Membership:
    if not isinstance(queue, str) or not QUEUE.match(queue):
        raise AgentError(f"queue name {queue!r}: a-z, 0-9 and - only, 64 at most", "queue")
    if get_agent(db, agent_id) is None:
        raise AgentNotFound(f"no agent {agent_id}", "id")
    if not isinstance(penalty, int) or isinstance(penalty, bool) or not 0 <= penalty <= 100:
        raise AgentError(f"penalty must be between 0 and 100, got {penalty!r}", "penalty")
    db.execute("INSERT INTO queue_members (queue, agent_id, penalty) VALUES (?, ?, ?) "
               "ON CONFLICT (queue, agent_id) DO UPDATE SET penalty = excluded.penalty",
               [queue, agent_id, penalty])
    return Membership(queue, agent_id, penalty)


def remove_member(db: sqlite_utils.Database, queue: str, agent_id: str) -> None:
    if db.execute("DELETE FROM queue_members WHERE queue = ? AND agent_id = ?", [queue, agent_id]).rowcount == 0:
        raise AgentNotFound(f"agent {agent_id} is not a member of queue {queue}", "queue")


def list_members(db: sqlite_utils.Database, agent_id: str | None = None) -> list[Membership]:
    """Every membership, or one agent's."""
    if agent_id is None:
        rows = db.query("SELECT queue, agent_id, penalty FROM queue_members ORDER BY queue, penalty, agent_id")
    else:
        rows = db.query("SELECT queue, agent_id, penalty FROM queue_members WHERE agent_id = ? ORDER BY queue",
                        [agent_id])
    return [Membership(**r) for r in rows]
