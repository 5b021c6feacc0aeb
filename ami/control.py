"""The AMI action connection: a short-lived login as the action user (manager_users.conf: no events,
`write = system,reporting,agent`) to reload modules and read back what Asterisk loaded — dialplan.deploy's
Control — or to change queue members (ami.members). Never the listener's connection, which is
read-only by design.

One connection per reload or member change, closed after it: nothing stays logged in with those rights.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dialplan.deploy import ControlError

from .client import AMIClient, AMIError
from .members import QueueMembers
from .protocol import AmiEvent

RELOAD_TIMEOUT = 30.0  # seconds: a reload of pjsip with many endpoints is not instant
QUERY_TIMEOUT = 10.0


async def _ignore(event: AmiEvent) -> None:
    """The action user reads no events (read = nothing, Events: off); anything that comes is dropped."""


class AmiControl:
    def __init__(self, client: AMIClient) -> None:
        self.client = client

    async def reload(self, module: str) -> None:
        try:
            await self.client.action({"Action": "Reload", "Module": module}, timeout=RELOAD_TIMEOUT)
        except (AMIError, TimeoutError) as exc:
            raise ControlError(str(exc) or f"no answer to Reload of {module}") from None

    async def queues(self) -> dict[str, frozenset[str]]:
        events = await self._list({"Action": "QueueStatus"})
        members: dict[str, set[str]] = {}
        for event in events:
            if event.get("Event") == "QueueParams":
                members.setdefault(event.get("Queue", ""), set())
            elif event.get("Event") == "QueueMember":
                interface = event.get("Interface") or event.get("Location") or ""
                members.setdefault(event.get("Queue", ""), set()).add(interface)
        return {queue: frozenset(found) for queue, found in members.items()}

    async def queue_params(self) -> dict[str, dict[str, str]]:
        events = await self._list({"Action": "QueueStatus"})
        return {e.get("Queue", ""): {k: str(v) for k, v in e.items()} for e in events
                if e.get("Event") == "QueueParams"}

    async def endpoints(self) -> frozenset[str]:
        events = await self._list({"Action": "PJSIPShowEndpoints"})
        return frozenset(e.get("ObjectName", "") for e in events if e.get("Event") == "EndpointList")

    async def _list(self, fields: dict[str, object]) -> list:
        try:
            return await self.client.list_action(fields, timeout=QUERY_TIMEOUT)
        except AMIError as exc:
            if "no endpoints found" in str(exc).lower():
                return []  # PJSIPShowEndpoints answers an empty list with an error
            raise ControlError(str(exc)) from None
        except TimeoutError:
            raise ControlError(f"no answer to {fields['Action']} within {QUERY_TIMEOUT:g} s") from None


@asynccontextmanager
async def action_connection(host: str, port: int, user: str, secret: str,
                            timeout: float = 5.0) -> AsyncIterator[AmiControl]:
    """Log in as the action user; ControlError if that fails within `timeout`."""
    async with _logged_in(host, port, user, secret, timeout) as client:
        yield AmiControl(client)


@asynccontextmanager
async def member_connection(host: str, port: int, user: str, secret: str,
                            timeout: float = 5.0) -> AsyncIterator[QueueMembers]:
    """Log in as the action user to change queue members; ControlError if that fails within `timeout`."""
    async with _logged_in(host, port, user, secret, timeout) as client:
        yield QueueMembers(client)


@asynccontextmanager
async def _logged_in(host: str, port: int, user: str, secret: str, timeout: float) -> AsyncIterator[AMIClient]:
    client = AMIClient(host, port, user, secret, on_event=_ignore, events="off", ping_interval=3600.0,
                       connect_timeout=timeout, backoff_min=0.2, backoff_max=1.0)
    task = asyncio.create_task(client.run(), name="ami-action")
    try:
        try:
            await client.wait_connected(timeout)
        except TimeoutError:
            why = client.stats.last_error or "no answer"
            raise ControlError(f"AMI {host}:{port}: cannot log in as {user} ({why})") from None
        yield client
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
