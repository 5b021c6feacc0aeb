"""Agents logging in and out of their queues and pausing, applied to Asterisk on an AMI action connection.

The store says which queues an agent may answer and with which penalty (queue_members) and who is
logged in and paused (agent_logins); app_queue's dynamic members are that, applied: QueueAdd (with
the penalty, the agent's name and its phone as state interface), QueueRemove, QueuePause (with the
reason code). Asterisk keeps dynamic members in memory only (queues.conf persistentmembers = no: the
store is the one truth), so after a restart `reconcile` puts back who is logged in; it also takes out
members the store does not have logged in.

Each operation logs in as the action user for its few actions and leaves (ami/control.py): nothing
stays logged in with the right to change members.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from dialplan.deploy import ControlError
from store import Store, agents, presence
from store.agents import AgentConflict, AgentNotFound, Membership
from store.presence import Login

from .agent_states import INTERFACE_PREFIX
from .client import AMIClient, AMIError

log = logging.getLogger(__name__)

ACTION_TIMEOUT = 10.0


@dataclass(frozen=True)
class Member:
    """A member as Asterisk reports it (QueueStatus)."""
    queue: str
    agent_id: str
    penalty: int
    dynamic: bool
    paused: bool
    reason: str


@dataclass(frozen=True)
class Presence:
    """An agent's login as the store has it, and what Asterisk made of it."""
    agent_id: str
    login: Login | None
    queues: tuple[str, ...] = ()  # the queues it is a member of now
    missing: tuple[str, ...] = ()  # queues it may answer that Asterisk does not have (not reloaded yet)


def interface(agent_id: str) -> str:
    return f"{INTERFACE_PREFIX}{agent_id}"


class QueueMembers:
    """app_queue's members through one AMI action connection (AMIClient logged in as the action user)."""

    def __init__(self, client: AMIClient) -> None:
        self.client = client

    async def _action(self, fields: dict[str, object]) -> None:
        try:
            await self.client.action(fields, timeout=ACTION_TIMEOUT)
        except TimeoutError:
            raise ControlError(f"no answer to {fields['Action']} within {ACTION_TIMEOUT:g} s") from None

    async def add(self, m: Membership, name: str, paused: bool, reason: str | None) -> bool:
        """QueueAdd; False if the queue does not exist in Asterisk. A member already there is fine."""
        fields: dict[str, object] = {
            "Action": "QueueAdd", "Queue": m.queue, "Interface": interface(m.agent_id), "Penalty": m.penalty,
            "MemberName": name, "StateInterface": interface(m.agent_id), "Paused": "true" if paused else "false"}
        if paused and reason:
            fields["Reason"] = reason
        try:
            await self._action(fields)
        except AMIError as exc:
            text = str(exc).lower()
            if "no such queue" in text:
                return False
            if "already there" not in text:
                raise ControlError(str(exc)) from None
        return True

    async def remove(self, queue: str, agent_id: str) -> None:
        """QueueRemove; a member or queue that is not there is fine (the end is the same)."""
        try:
            await self._action({"Action": "QueueRemove", "Queue": queue, "Interface": interface(agent_id)})
        except AMIError as exc:
            if "not there" not in str(exc).lower() and "no such queue" not in str(exc).lower():
                raise ControlError(str(exc)) from None

    async def pause(self, agent_id: str, paused: bool, reason: str | None) -> None:
        """QueuePause in every queue the agent is a member of."""
        fields: dict[str, object] = {"Action": "QueuePause", "Interface": interface(agent_id),
                                     "Paused": "true" if paused else "false"}
        if reason:
            fields["Reason"] = reason
        try:
            await self._action(fields)
        except AMIError as exc:
            raise ControlError(str(exc)) from None

    async def status(self) -> tuple[set[str], list[Member]]:
        """Every queue Asterisk has, and every agent member (PJSIP/<extension>) in them."""
        try:
            events = await self.client.list_action({"Action": "QueueStatus"}, timeout=ACTION_TIMEOUT)
        except (AMIError, TimeoutError) as exc:
            raise ControlError(f"QueueStatus: {exc or 'no answer'}") from None
        queues, members = set(), []
        for e in events:
            if e.get("Event") == "QueueParams":
                queues.add(e.get("Queue", ""))
            elif e.get("Event") == "QueueMember":
                location = e.get("Location") or e.get("Interface") or ""
                agent_id = location[len(INTERFACE_PREFIX):] if location.startswith(INTERFACE_PREFIX) else ""
                if agent_id.isdigit():
                    members.append(Member(e.get("Queue", ""), agent_id, int(e.get("Penalty") or 0),
                                          e.get("Membership") == "dynamic", e.get("Paused") == "1",
                                          e.get("PausedReason", "")))
        return queues, members


Connect = Callable[[], AbstractAsyncContextManager[QueueMembers]]


class AgentPresence:
    """Log in, log out, pause, unpause (the API, the CLI, the phone's feature codes), and reconcile.

    Errors: AgentNotFound (no such agent), AgentConflict (not logged in, no queue to answer, none of its
    queues in Asterisk), AgentError (a bad reason), ControlError (Asterisk unreachable or refusing)."""

    def __init__(self, store: Store, connect: Connect) -> None:
        self.store, self.connect = store, connect

    async def _agent(self, agent_id: str) -> tuple[agents.Agent, list[Membership], Login | None]:
        def read(db: object) -> tuple[agents.Agent | None, list[Membership], Login | None]:
            return (agents.get_agent(db, agent_id), agents.list_members(db, agent_id),  # type: ignore[arg-type]
                    presence.get_login(db, agent_id))  # type: ignore[arg-type]
        agent, members, login = await self.store.read(read)
        if agent is None:
            raise AgentNotFound(f"no agent {agent_id}", "id")
        return agent, members, login

    async def login(self, agent_id: str) -> Presence:
        agent, members, login = await self._agent(agent_id)
        if not members:
            raise AgentConflict(f"agent {agent_id} answers no queue: give it one first", "queues")
        paused, reason = (login.paused, login.pause_reason) if login else (False, None)
        async with self.connect() as control:
            added = [m.queue for m in members if await control.add(m, agent.name, paused, reason)]
        missing = tuple(m.queue for m in members if m.queue not in added)
        if not added:
            raise AgentConflict(f"agent {agent_id}: Asterisk has none of its queues ({', '.join(missing)}); "
                                "reload its configuration first", "queues")
        login = await self.store.write(lambda db: presence.log_in(db, agent_id))
        log.info("agent %s logged in to %s%s", agent_id, ", ".join(added),
                 f" (not in Asterisk: {', '.join(missing)})" if missing else "")
        return Presence(agent_id, login, tuple(added), missing)

    async def logout(self, agent_id: str) -> Presence:
        await self._agent(agent_id)
        async with self.connect() as control:
            _, members = await control.status()
            for queue in sorted({m.queue for m in members if m.agent_id == agent_id and m.dynamic}):
                await control.remove(queue, agent_id)
        await self.store.write(lambda db: presence.log_out(db, agent_id))
        log.info("agent %s logged out", agent_id)
        return Presence(agent_id, None)

    async def pause(self, agent_id: str, reason: str | None = None) -> Presence:
        return await self._pause(agent_id, True, reason)

    async def unpause(self, agent_id: str) -> Presence:
        return await self._pause(agent_id, False, None)

    async def _pause(self, agent_id: str, paused: bool, reason: str | None) -> Presence:
        _, members, login = await self._agent(agent_id)
        if login is None:
            raise AgentConflict(f"agent {agent_id} is not logged in", "id")
        if reason is not None:
            await self.store.read(lambda db: presence.reason(db, reason))
        async with self.connect() as control:
            await control.pause(agent_id, paused, reason)
        login = await self.store.write(lambda db: presence.set_paused(db, agent_id, paused, reason))
        log.info("agent %s %s", agent_id, f"paused ({reason or 'no reason'})" if paused else "ready again")
        return Presence(agent_id, login, tuple(m.queue for m in members))

    async def reconcile(self) -> list[str]:
        """Make Asterisk's dynamic members what the store says: who is logged in is a member of each of its
        queues (penalty, pause and reason included), nobody else. What it changed, for the log."""
        def read(db: object) -> tuple[dict, list[Membership], list[Login]]:
            names = {a.id: a.name for a in agents.list_agents(db)}  # type: ignore[arg-type]
            return names, agents.list_members(db), presence.list_logins(db)  # type: ignore[arg-type]
        names, memberships, logins = await self.store.read(read)
        logged = {login.agent_id: login for login in logins}
        done: list[str] = []
        async with self.connect() as control:
            queues, members = await control.status()
            present = {(m.queue, m.agent_id): m for m in members}
            wanted = {(m.queue, m.agent_id): m for m in memberships if m.agent_id in logged and m.queue in queues}
            for key, m in sorted(wanted.items()):
                login = logged[m.agent_id]
                there = present.get(key)
                if there is None or there.penalty != m.penalty:
                    if there is not None:
                        await control.remove(m.queue, m.agent_id)
                    await control.add(m, names.get(m.agent_id, m.agent_id), login.paused, login.pause_reason)
                    done.append(f"{m.agent_id} added to {m.queue}")
                elif there.paused != login.paused or (login.paused and there.reason != (login.pause_reason or "")):
                    await control.pause(m.agent_id, login.paused, login.pause_reason)
                    done.append(f"{m.agent_id} {'paused' if login.paused else 'unpaused'}")
            for key, there in sorted(present.items()):
                if there.dynamic and key not in wanted:
                    await control.remove(there.queue, there.agent_id)
                    done.append(f"{there.agent_id} removed from {there.queue}")
        if done:
            log.info("agents reconciled with Asterisk: %s", "; ".join(done))
        return done
