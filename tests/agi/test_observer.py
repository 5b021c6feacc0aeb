"""The FastAGI server's observer hook (what the metrics count): one start and one end per accepted
connection, with the route and the outcome; refused connections apart; never the peer's route name."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from agi import FastAGIServer

from .fake_asterisk import DEAD, Channel, FakeAsterisk, agi_headers, call
from .support import echo, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")


@dataclass
class Recorder:
    started: int = 0
    refused: int = 0
    ended: list[tuple[str, str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def session_started(self) -> None:
        self.started += 1

    def session_ended(self, route: str, outcome: str, seconds: float) -> None:
        self.ended.append((route, outcome))
        self.seconds.append(seconds)

    def session_refused(self) -> None:
        self.refused += 1


async def broken(session) -> None:
    raise RuntimeError("kaboom")


async def hangs_up(session) -> None:
    await session.set_variable("A", "1")


async def test_every_outcome_reaches_the_observer(serve):
    seen = Recorder()
    server: FastAGIServer = await serve(router_with(echo=echo, broken=broken, hangs_up=hangs_up), observer=seen)

    await call(server.port, agi_headers("echo"), otherwise=Channel())
    await call(server.port, agi_headers("broken"), otherwise=Channel())
    await call(server.port, agi_headers("hangs_up"), [("SET VARIABLE A 1", DEAD)])
    await call(server.port, agi_headers("no-such-route-from-the-peer"), otherwise=Channel())
    await call(server.port, b"this is not an AGI header\n\n", otherwise=Channel())
    await settled(server)

    assert seen.ended == [("echo", "ok"), ("broken", "error"), ("hangs_up", "hangup"),
                          ("-", "unknown_route"), ("-", "bad_header")]
    assert seen.started == 5 and seen.refused == 0
    assert all(0 <= s < 5 for s in seen.seconds)


async def test_refused_and_cancelled_sessions(serve):
    seen = Recorder()
    release = asyncio.Event()

    async def hold(session) -> None:
        await session.verbose("holding")
        await release.wait()

    server = await serve(router_with(hold=hold, echo=echo), max_sessions=1, observer=seen)
    async with FakeAsterisk(server.port) as first:
        await first.send_header(agi_headers("hold"))
        assert await first.read_command() == "VERBOSE holding 1"
        await first.answer("200 result=1")
        async with FakeAsterisk(server.port) as second:
            await second.send_header(agi_headers("echo"))
            assert await second.wait_closed() == b""
        assert (seen.started, seen.refused, seen.ended) == (1, 1, [])
        await server.close()  # the held session is cut: it still ends, once
    assert seen.ended == [("-", "cancelled")]


async def test_listening_follows_the_socket(serve):
    server = await serve(router_with(echo=echo))
    assert server.listening
    await server.close()
    assert not server.listening
