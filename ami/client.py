"""An AMI connection that stays up: login, ordered events, ping with a deadline, reconnect.

Built on asyncio streams (panoramisk's Message for action responses), because panoramisk 1.4's Manager loses
UTF-8 characters split across reads, runs each async callback as an untracked task (event order
lost), never checks its pings (a half-open socket goes unnoticed) and reconnects on a fixed delay.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from panoramisk.message import Message

from .protocol import END, ActionIds, AmiEvent, AMIProtocolError, as_response, format_action, parse_banner, parse_fields

log = logging.getLogger(__name__)

EventHandler = Callable[[AmiEvent], Awaitable[None]]
ConnectHandler = Callable[["AMIClient"], Awaitable[None]]

MESSAGE_LIMIT = 1 << 20  # bytes: one AMI message larger than this is a protocol fault
EVENT_QUEUE = 10_000  # events waiting for the handler before the reader waits too
LAG_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # seconds


class AMIError(Exception):
    """An action failed or the connection is down."""


@dataclass
class AMIStats:
    connects: int = 0
    events: int = 0
    last_error: str = ""
    # Lag from the event's Timestamp (manager.conf timestampevents=yes) to its handler's return, read by
    # the metrics at scrape time: counts per LAG_BOUNDS bucket (the last one: above them), sum, latest.
    lag_buckets: list[int] = field(default_factory=lambda: [0] * (len(LAG_BOUNDS) + 1))
    lag_sum: float = 0.0
    lag_last: float = 0.0

    def note_lag(self, stamp: str) -> None:
        try:
            lag = max(0.0, time.time() - float(stamp))
        except (TypeError, ValueError):
            return  # no usable stamp on this event: nothing to measure
        self.lag_buckets[bisect.bisect_left(LAG_BOUNDS, lag)] += 1
        self.lag_sum += lag
        self.lag_last = lag


class AMIClient:
    def __init__(self, host: str, port: int, username: str, secret: str, *,
                 on_event: EventHandler, on_connect: ConnectHandler | None = None,
                 events: str = "on", ping_interval: float = 10.0, ping_timeout: float = 5.0,
                 connect_timeout: float = 5.0, backoff_min: float = 0.5, backoff_max: float = 30.0) -> None:
        self.host, self.port = host, port
        self._username, self._secret = username, secret
        self._on_event = on_event
        self._on_connect = on_connect
        self._events = events
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.connect_timeout = connect_timeout
        self.backoff_min, self.backoff_max = backoff_min, backoff_max
        self._ids = ActionIds(f"permanence-{os.getpid()}")
        self._pending: dict[str, tuple[asyncio.Future[Message], list[Message] | None]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._logged_in = asyncio.Event()
        self._stopping = False
        self.version: str | None = None
        self.stats = AMIStats()

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._logged_in.wait(), timeout)

    async def run(self) -> None:
        """Connect, serve, reconnect with exponential backoff and jitter; until close()."""
        failures = 0
        while not self._stopping:
            try:
                await self._session()
                failures = 0
            except (OSError, TimeoutError, AMIProtocolError, AMIError, asyncio.IncompleteReadError) as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                level = logging.WARNING if failures == 0 else logging.DEBUG
                log.log(level, "AMI %s:%d: %s", self.host, self.port, self.stats.last_error)
            finally:
                self._logged_in.clear()
                self._fail_pending(AMIError("AMI connection lost"))
            if self._stopping:
                break
            failures += 1
            delay = min(self.backoff_max, self.backoff_min * 2 ** min(failures - 1, 16))
            await asyncio.sleep(random.uniform(delay / 2, delay))  # noqa: S311 - jitter, not crypto

    async def close(self) -> None:
        self._stopping = True
        if self._writer is not None:
            self._writer.close()

    async def action(self, fields: dict[str, object], timeout: float = 10.0) -> Message:
        """Send an action, return its response (raises AMIError on Response: Error)."""
        future = self._send(fields, collect=None)
        response = await asyncio.wait_for(future, timeout)
        if response.get("Response") == "Error":
            raise AMIError(f"{fields.get('Action')}: {response.get('Message', 'error')}")
        return response

    async def list_action(self, fields: dict[str, object], timeout: float = 10.0) -> list[Message]:
        """An action answered by an event list; returns the events up to …Complete."""
        events: list[Message] = []
        future = self._send(fields, collect=events)
        response = await asyncio.wait_for(future, timeout)
        if response.get("Response") == "Error":
            raise AMIError(f"{fields.get('Action')}: {response.get('Message', 'error')}")
        return events

    def _send(self, fields: dict[str, object], collect: list[Message] | None) -> asyncio.Future[Message]:
        if self._writer is None:
            raise AMIError("AMI is not connected")
        action_id = self._ids()
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = (future, collect)
        self._writer.write(format_action({**fields, "ActionID": action_id}))
        return future

    def _fail_pending(self, exc: Exception) -> None:
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()

    async def _session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=MESSAGE_LIMIT), self.connect_timeout)
        self._writer = writer
        queue: asyncio.Queue[AmiEvent] = asyncio.Queue(EVENT_QUEUE)
        tasks: list[asyncio.Task[None]] = []
        try:
            self.version = parse_banner(await asyncio.wait_for(reader.readline(), self.connect_timeout))
            tasks.append(asyncio.create_task(self._read(reader, queue), name="ami-read"))
            tasks.append(asyncio.create_task(self._dispatch(queue), name="ami-dispatch"))
            await self.action({"Action": "Login", "Username": self._username, "Secret": self._secret,
                               "Events": self._events}, timeout=self.connect_timeout)
            self.stats.connects += 1
            log.info("AMI %s:%d: logged in as %s (Asterisk Call Manager %s)",
                     self.host, self.port, self._username, self.version)
            self._logged_in.set()
            if self._on_connect is not None:
                await self._on_connect(self)
            tasks.append(asyncio.create_task(self._ping(), name="ami-ping"))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises the reason the session ended
        finally:
            self._logged_in.clear()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            writer.close()
            self._writer = None

    async def _read(self, reader: asyncio.StreamReader, queue: asyncio.Queue[AmiEvent]) -> None:
        while True:
            try:
                block = await reader.readuntil(END)
            except asyncio.LimitOverrunError:
                raise AMIProtocolError(f"AMI message larger than {MESSAGE_LIMIT} bytes") from None
            message = parse_fields(block[: -len(END)])
            if message is None:
                continue
            if self._route_reply(message):
                continue
            if "Event" in message:
                self.stats.events += 1
                await queue.put(message)

    def _route_reply(self, message: AmiEvent) -> bool:
        action_id = message.get("ActionID")
        if not action_id or action_id not in self._pending:
            return False
        future, collect = self._pending[action_id]
        if "Response" in message:
            if collect is None or message.get("Response") == "Error":
                del self._pending[action_id]
                if not future.done():
                    future.set_result(as_response(message))
            return True  # a list's Success response: its events follow
        if collect is not None and "Event" in message:
            if message.get("EventList") == "Complete":
                del self._pending[action_id]
                if not future.done():
                    future.set_result(as_response(message))
            else:
                collect.append(as_response(message))
            return True
        return False

    async def _dispatch(self, queue: asyncio.Queue[AmiEvent]) -> None:
        # One consumer, awaited in turn: events reach the handler in the order Asterisk sent them.
        while True:
            message = await queue.get()
            try:
                await self._on_event(message)
            except Exception:
                log.exception("AMI: handler failed on %s event (linkedid %s)",
                              message.get("Event"), message.get("Linkedid", "?"))
            if "Timestamp" in message:
                self.stats.note_lag(message["Timestamp"])

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            try:
                await self.action({"Action": "Ping"}, timeout=self.ping_timeout)
            except TimeoutError:
                raise AMIError(f"no answer to Ping within {self.ping_timeout:g} s: connection is dead") from None
