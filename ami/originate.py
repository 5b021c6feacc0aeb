"""Originate on the originate user's connection (manager_users.conf: `write = originate`, no events) —
what a supervisor's listen, whisper and barge need: their softphone rings, and once answered it runs
ChanSpy on the agent's channel.

What may be originated is narrowed here, not left to the caller: only the ChanSpy application, only
from an agent's softphone (PJSIP/<extension>), only onto an agent's channel of a call
(PJSIP/<extension>-<sequence>), with one of three fixed option sets. Nothing a user types reaches
Asterisk but those checked words. One short connection per request, closed after it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from .client import AMIClient, AMIError
from .protocol import AmiEvent

# ChanSpy's options: q no beep nor announcement (the parties hear nothing of it), E leave when the spied
# channel hangs up; w whisper (the agent hears the supervisor, the caller does not); B barge (both hear).
SPY_OPTIONS = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
EXTENSION = re.compile(r"^[1-9][0-9]{2,5}$")  # an agent's softphone (store.agents.AGENT_ID)
AGENT_CHANNEL = re.compile(r"^PJSIP/([1-9][0-9]{2,5})-[0-9a-f]{8}$")  # that softphone's leg of a call
RING_S = 30  # how long the supervisor's phone rings before the attempt is dropped
ACTION_TIMEOUT = 10.0


class OriginateError(RuntimeError):
    """Asterisk refused the Originate, or could not be reached."""


@dataclass(frozen=True)
class Spy:
    """Who listens (their softphone's extension), to which agent's channel, how; ValueError if any of it
    is not what it should be."""
    phone: str
    agent: str
    channel: str
    mode: str

    def __post_init__(self) -> None:
        if not EXTENSION.match(self.phone):
            raise ValueError(f"phone {self.phone!r} is not an agent's extension")
        match = AGENT_CHANNEL.match(self.channel)
        if match is None or match.group(1) != self.agent:
            raise ValueError(f"channel {self.channel!r} is not agent {self.agent}'s")
        if self.phone == self.agent:
            raise ValueError("a phone cannot listen to its own call")
        if self.mode not in SPY_OPTIONS:
            raise ValueError(f"mode must be one of {', '.join(SPY_OPTIONS)}, got {self.mode!r}")

    def action(self) -> dict[str, object]:
        return {"Action": "Originate", "Channel": f"PJSIP/{self.phone}", "Application": "ChanSpy",
                "Data": f"{self.channel},{SPY_OPTIONS[self.mode]}", "Timeout": RING_S * 1000,
                "CallerID": f'"{self.mode}" <{self.agent}>', "Async": "true"}


async def _ignore(event: AmiEvent) -> None:
    """The originate user reads no events; anything that comes is dropped."""


class Originator:
    """Logs in as the originate user for each request."""

    def __init__(self, host: str, port: int, user: str, secret: str, timeout: float = 5.0) -> None:
        self.host, self.port, self.user, self.secret, self.timeout = host, port, user, secret, timeout

    async def spy(self, phone: str, agent: str, channel: str, mode: str) -> None:
        """Ring `phone` into ChanSpy on the agent's `channel`; returns once Asterisk has queued the call.
        ValueError when the request is not one this may send; OriginateError when Asterisk refuses."""
        await self._send(Spy(phone, agent, channel, mode).action())

    async def _send(self, fields: dict[str, object]) -> None:
        client = AMIClient(self.host, self.port, self.user, self.secret, on_event=_ignore, events="off",
                           ping_interval=3600.0, connect_timeout=self.timeout, backoff_min=0.2, backoff_max=1.0)
        task = asyncio.create_task(client.run(), name="ami-originate")
        try:
            try:
                await client.wait_connected(self.timeout)
            except TimeoutError:
                why = client.stats.last_error or "no answer"
                raise OriginateError(f"AMI {self.host}:{self.port}: cannot log in as {self.user} ({why})") from None
            try:
                await client.action(fields, timeout=ACTION_TIMEOUT)
            except (AMIError, TimeoutError) as exc:
                raise OriginateError(str(exc) or "no answer to Originate") from None
        finally:
            await client.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
