"""Originate on the originate user's connection (manager_users.conf: `write = originate`, no events) —
what a supervisor's listen, whisper and barge need: their softphone rings, and once answered it runs
ChanSpy on the agent's channel; and a dispatch step's call to a contact, which runs the
permanence-dispatch context once answered.

What may be originated is narrowed here, not left to the caller: only the ChanSpy application, only
from an agent's softphone (PJSIP/<extension>), only onto an agent's channel of a call
(PJSIP/<extension>-<sequence>), with one of three fixed option sets; a dispatch call only to an E.164
number through the carrier endpoint, into the permanence-dispatch context. Nothing a user types reaches
Asterisk but those checked words. One short connection per request, closed after it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from ivr import variables as v

from .client import AMIClient, AMIError
from .protocol import AmiEvent

# ChanSpy's options: q no beep nor announcement (the parties hear nothing of it), E leave when the spied
# channel hangs up; w whisper (the agent hears the supervisor, the caller does not); B barge (both hear).
SPY_OPTIONS = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
EXTENSION = re.compile(r"^[1-9][0-9]{2,5}$")  # an agent's softphone (store.agents.AGENT_ID)
AGENT_CHANNEL = re.compile(r"^PJSIP/([1-9][0-9]{2,5})-[0-9a-f]{8}$")  # that softphone's leg of a call
RING_S = 30  # how long the supervisor's phone rings before the attempt is dropped
ACTION_TIMEOUT = 10.0
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
DISPATCH_CONTEXT = "permanence-dispatch"  # etc/asterisk/extensions.conf


class OriginateError(RuntimeError):
    """Asterisk refused the Originate, or could not be reached."""


class NotAnswered(OriginateError):
    """A dispatch call's Originate failed: nobody answered (no answer, busy, unreachable number)."""


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


@dataclass(frozen=True)
class DispatchCall:
    """A contact's number (E.164) called through the carrier at `host`, for attempt `attempt` of a
    message's history; ValueError if any of it is not what it should be."""
    number: str
    host: str
    attempt: int
    ring_s: int
    caller_id: str = ""

    def __post_init__(self) -> None:
        if not E164.match(self.number):
            raise ValueError(f"number {self.number!r} is not an E.164 number")
        if not HOST.match(self.host):
            raise ValueError(f"host {self.host!r} is not a host or host:port")
        if not isinstance(self.attempt, int) or self.attempt < 1:
            raise ValueError(f"attempt {self.attempt!r} is not an attempt id")
        if self.caller_id and not E164.match(self.caller_id):
            raise ValueError(f"caller id {self.caller_id!r} is not an E.164 number")

    def action(self) -> dict[str, object]:
        # Not Async: the answer comes once the contact picks up (Success) or not (Error), so no event
        # is needed to tell an unanswered call.
        fields: dict[str, object] = {
            "Action": "Originate", "Channel": f"PJSIP/carrier/sip:{self.number}@{self.host}",
            "Context": DISPATCH_CONTEXT, "Exten": "s", "Priority": 1, "Timeout": self.ring_s * 1000,
            "Variable": f"{v.DISPATCH_ATTEMPT}={self.attempt}"}
        if self.caller_id:
            fields["CallerID"] = f"<{self.caller_id}>"
        return fields


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

    async def call(self, call: DispatchCall) -> None:
        """Call a contact and run the dispatch context once answered; returns when the contact has
        answered. NotAnswered when nobody did (no answer, busy, unreachable); OriginateError when the
        originate user cannot log in."""
        await self._send(call.action(), timeout=call.ring_s + ACTION_TIMEOUT, refused=NotAnswered)

    async def _send(self, fields: dict[str, object], timeout: float = ACTION_TIMEOUT,
                    refused: type[OriginateError] = OriginateError) -> None:
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
                await client.action(fields, timeout=timeout)
            except (AMIError, TimeoutError) as exc:
                raise refused(str(exc) or "no answer to Originate") from None
        finally:
            await client.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
