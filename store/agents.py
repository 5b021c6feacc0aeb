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
    """An agent or queue membership was refused."""


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


def add_agent(db: sqlite_utils.Database, agent_id: str, name: str, secret: str, realm: str) -> Agent:
    if not AGENT_ID.match(agent_id or ""):
        raise AgentError(f"agent id must be an extension of 3 to 6 digits not starting with 0, got {agent_id!r}")
    name = (name or "").strip()
    if not AGENT_NAME.match(name):
        raise AgentError(f"agent {agent_id}: name must be 1-64 characters without , ; \" ' [ ] < > \\ =")
    if len(secret) < MIN_SECRET:
        raise AgentError(f"agent {agent_id}: the SIP password needs at least {MIN_SECRET} characters")
    if get_agent(db, agent_id) is not None:
        raise AgentError(f"agent {agent_id} exists already")
    agent = Agent(agent_id, name, sip_ha1(agent_id, realm, secret))
    db.execute("INSERT INTO agents (id, name, sip_ha1, created_at) VALUES (?, ?, ?, ?)",
               [agent.id, agent.name, agent.sip_ha1, now_iso()])
    return agent


def get_agent(db: sqlite_utils.Database, agent_id: str) -> Agent | None:
    rows = list(db.query("SELECT id, name, sip_ha1 FROM agents WHERE id = ?", [agent_id]))
    return Agent(**rows[0]) if rows else None


def list_agents(db: sqlite_utils.Database) -> list[Agent]:
    return [Agent(**r) for r in db.query("SELECT id, name, sip_ha1 FROM agents ORDER BY id")]


def remove_agent(db: sqlite_utils.Database, agent_id: str) -> None:
    if get_agent(db, agent_id) is None:
        raise AgentError(f"no agent {agent_id}")
    db.execute("DELETE FROM agents WHERE id = ?", [agent_id])


def add_member(db: sqlite_utils.Database, queue: str, agent_id: str, penalty: int = 0) -> Membership:
    if not QUEUE.match(queue or ""):
        raise AgentError(f"queue name {queue!r}: a-z, 0-9 and - only, 64 at most")
    if get_agent(db, agent_id) is None:
        raise AgentError(f"no agent {agent_id}")
    if not 0 <= penalty <= 100:
        raise AgentError(f"penalty must be between 0 and 100, got {penalty}")
    db.execute("INSERT INTO queue_members (queue, agent_id, penalty) VALUES (?, ?, ?) "
               "ON CONFLICT (queue, agent_id) DO UPDATE SET penalty = excluded.penalty",
               [queue, agent_id, penalty])
    return Membership(queue, agent_id, penalty)


def remove_member(db: sqlite_utils.Database, queue: str, agent_id: str) -> None:
    if db.execute("DELETE FROM queue_members WHERE queue = ? AND agent_id = ?", [queue, agent_id]).rowcount == 0:
        raise AgentError(f"agent {agent_id} is not a member of queue {queue}")


def list_members(db: sqlite_utils.Database) -> list[Membership]:
    return [Membership(**r) for r in db.query(
        "SELECT queue, agent_id, penalty FROM queue_members ORDER BY queue, penalty, agent_id")]
