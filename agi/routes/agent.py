"""`agent`: the feature codes an agent dials from its softphone (etc/asterisk/extensions.conf).

  *41   log in to the queues the agent answers        agent-loginok
  *42   log out of every queue                        agent-loggedoff
  *43   pause (not ready), no reason                  de-activated
  *43N  pause with the reason of phone digit N        de-activated
  *44   ready again                                   activated

The agent is the PJSIP endpoint the call comes from (the channel's name, which Asterisk sets after
the endpoint authenticated), never a number the phone sends. What it asked is done through the
AgentPresence (ami.members: the store, then Asterisk as the action user); a refusal (not an agent, no
queue, not logged in, an unknown reason digit, Asterisk unreachable) plays beeperr after
agent-incorrect and is logged with its reason.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol

from store import Store, presence
from store.agents import AgentError

from ..session import AGISession

log = logging.getLogger(__name__)

_CHANNEL = re.compile(r"^PJSIP/([1-9][0-9]{2,5})-[0-9a-f]+$")
DONE_PROMPTS = {"login": "agent-loginok", "logout": "agent-loggedoff", "pause": "de-activated",
                "unpause": "activated"}


class AgentPresence(Protocol):
    """What the route needs of ami.members.AgentPresence (wired by permanence.serve)."""

    async def login(self, agent_id: str) -> object: ...

    async def logout(self, agent_id: str) -> object: ...

    async def pause(self, agent_id: str, reason: str | None = None) -> object: ...

    async def unpause(self, agent_id: str) -> object: ...


def agent_from_channel(channel: str) -> str | None:
    """PJSIP/101-0000002a → 101; None for a channel that is not an agent's softphone."""
    found = _CHANNEL.match(channel)
    return found.group(1) if found else None


class AgentRoute:
    def __init__(self, store: Store, presence: AgentPresence) -> None:
        self.store, self.presence = store, presence

    async def __call__(self, session: AGISession) -> None:
        args = session.args
        action = args[0] if args else ""
        agent_id = agent_from_channel(session.headers.get("agi_channel", ""))
        try:
            await self._act(action, agent_id, args[1] if len(args) > 1 else "")
        except Exception as exc:
            why = str(exc) if isinstance(exc, AgentError) else f"{type(exc).__name__}: {exc}"
            log.warning("agent feature %s from %s refused: %s", action or "?",
                        agent_id or session.headers.get("agi_channel", "?"), why)
            await session.stream_file("agent-incorrect")
            await session.stream_file("beeperr")
            return
        await session.stream_file(DONE_PROMPTS[action])

    async def _act(self, action: str, agent_id: str | None, digit: str) -> None:
        if agent_id is None:
            raise AgentError("the call does not come from an agent's softphone", "channel")
        if action == "login":
            await self.presence.login(agent_id)
        elif action == "logout":
            await self.presence.logout(agent_id)
        elif action == "pause":
            reason = None
            if digit:
                found = await self.store.read(lambda db: presence.reason_for_digit(db, digit))
                if found is None:
                    raise AgentError(f"no pause reason has phone digit {digit!r}", "reason")
                reason = found.code
            await self.presence.pause(agent_id, reason)
        elif action == "unpause":
            await self.presence.unpause(agent_id)
        else:
            raise AgentError(f"unknown agent feature {action!r}", "action")
