"""The FastAGI server: an asyncio stream loop, one task per Asterisk connection.

Written on asyncio streams rather than panoramisk's fast_agi.Application, which spins forever on EOF
in the header, misreads multi-line 520 replies, has no timeouts and breaks sync handlers on 3.11.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from ivr.variables import ROUTE_STATUS

from .protocol import AGIError, ChannelHungUp, HeaderError
from .router import Handler, Router
from .session import AGISession, read_header

log = logging.getLogger(__name__)

LINE_LIMIT = 8192  # bytes: the longest header or reply line accepted


@dataclass
class AgiStats:
    sessions: int = 0
    active: int = 0
    header_errors: int = 0
    handler_errors: int = 0
    hangups: int = 0
    refused: int = 0


class SessionObserver(Protocol):
    """Told about every FastAGI connection (the metrics, in the wiring). Called on the event loop: must
    not block. `route` is a registered route name or "-" (bounded: never what the peer sent); `outcome`
    is one of OUTCOMES."""

    def session_started(self) -> None: ...

    def session_ended(self, route: str, outcome: str, seconds: float) -> None: ...

    def session_refused(self) -> None: ...


# ok: the route returned; hangup: the caller left; error: the route failed (the call went to the
# fallback); unknown_route, bad_header: what Asterisk sent is unusable; cancelled: the server stopped.
OUTCOMES = ("ok", "hangup", "error", "unknown_route", "bad_header", "cancelled")
NO_ROUTE = "-"


class FastAGIServer:
    def __init__(self, router: Router, host: str = "127.0.0.1", port: int = 4573,
                 header_timeout: float = 5.0, command_timeout: float = 30.0,
                 max_sessions: int = 500, observer: SessionObserver | None = None) -> None:
        self.router = router
        self.observer = observer
        self.host = host
        self.port = port
        self.header_timeout = header_timeout
        self.command_timeout = command_timeout
        self.max_sessions = max_sessions
        self.stats = AgiStats()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=LINE_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI listening on %s:%d, routes: %s", self.host, self.port, ", ".join(self.router.names))

    @property
    def listening(self) -> bool:
        """Health: the socket accepts connections."""
        return self._server is not None and self._server.is_serving()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        peer = writer.get_extra_info("peername")
        if self.stats.active >= self.max_sessions:
            self.stats.refused += 1
            log.warning("FastAGI: %d sessions open, refusing %s", self.stats.active, peer)
            if self.observer is not None:
                self.observer.session_refused()
            writer.close()
            return
        self.stats.active += 1
        self.stats.sessions += 1
        if self.observer is not None:
            self.observer.session_started()
        started = time.monotonic()
        ended = (NO_ROUTE, "cancelled")  # what a session cut by close() leaves
        try:
            ended = await self._session(reader, writer, peer)
        finally:
            self.stats.active -= 1
            if self.observer is not None:
                self.observer.session_ended(*ended, time.monotonic() - started)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass  # the peer went first; nothing left to tell it

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       peer: object) -> tuple[str, str]:
        """Serve one connection; returns (route, outcome) for the observer."""
        try:
            headers = await read_header(reader, self.header_timeout)
        except HeaderError as exc:
            self.stats.header_errors += 1
            log.warning("FastAGI: bad request from %s: %s; connection closed", peer, exc)
            return NO_ROUTE, "bad_header"
        session = AGISession(reader, writer, headers, self.command_timeout)
        handler = self.router.resolve(session.script)
        try:
            outcome = await self._dispatch(session, handler)
        finally:
            session.close()
        return (session.script if handler is not None else NO_ROUTE), outcome

    async def _dispatch(self, session: AGISession, handler: Handler | None) -> str:
        try:
            if handler is None:
                log.warning("FastAGI: call %s asked for unknown route %r", session.call_ref, session.script)
                await session.set_variable(ROUTE_STATUS, "notfound")
                return "unknown_route"
            await handler(session)
            return "ok"
        except ChannelHungUp as exc:
            self.stats.hangups += 1
            log.info("FastAGI: %s", exc)
            return "hangup"
        except Exception:
            # A handler fault must not leave the caller in dead air: the dialplan reads
            # ROUTE_STATUS=error after AGI() returns and sends the call to its fallback.
            self.stats.handler_errors += 1
            log.exception("FastAGI: route %r failed on call %s", session.script, session.call_ref)
            await self._flag_error(session)
            return "error"

    @staticmethod
    async def _flag_error(session: AGISession) -> None:
        if session.desynchronised or session.hung_up:
            log.info("FastAGI: call %s: connection unusable, the dialplan sees AGISTATUS instead", session.call_ref)
            return
        try:
            await session.set_variable(ROUTE_STATUS, "error")
        except (AGIError, OSError) as exc:
            log.info("FastAGI: call %s: could not flag the error to the dialplan: %s", session.call_ref, exc)
