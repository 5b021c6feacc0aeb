"""The FastAGI server over real TCP, against a fake Asterisk (tests/agi/fake_asterisk.py), where
panoramisk fails.

These tests pin the defects of panoramisk 1.4's FastAGI Application that agi/ was written to avoid
(/work/shared/ASTERISK.md): EOF in the header spins, multi-line 520 misread, no timeouts, sync handlers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import pytest

from agi import CommandError, ProtocolError, Router
from agi.routes import DnisRoute

from .fake_asterisk import FakeAsterisk, agi_headers, call
from .support import agi_records, assert_served, echo, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")


# --- panoramisk defect 1: EOF in the header --------------------------------------------------------------


@pytest.mark.parametrize(
    "partial",
    [b"", b"agi_network: yes\nagi_network_scr", b"agi_network: yes\nagi_network_script: echo\n"],
    ids=["nothing", "mid-line", "no-blank-line"],
)
async def test_eof_in_the_header_closes_promptly_without_spinning(serve, caplog, partial):
    # A long header_timeout: only prompt EOF handling closes the connection within the assertions' limits.
    server = await serve(router_with(echo=echo), header_timeout=10.0)
    cpu_before = time.process_time()
    async with FakeAsterisk(server.port, timeout=1.0) as peer:
        await peer.send(partial)
        peer.write_eof()  # half-close: we still see when the server closes its side
        started = time.monotonic()
        assert await peer.wait_closed() == b""
        assert time.monotonic() - started < 0.5
    await asyncio.sleep(0.5)  # a server spinning on EOF would burn this half second of CPU
    cpu = time.process_time() - cpu_before
    assert cpu < 0.25, f"{cpu:.2f} s of CPU in 0.5 s of waiting: the server spins"
    await settled(server)
    assert (server.stats.header_errors, server.stats.active) == (1, 0)
    assert any("closed" in r.getMessage() for r in agi_records(caplog, logging.WARNING))
    await assert_served(server)


# --- panoramisk defect 2: multi-line 520 ------------------------------------------------------------------

USAGE_520 = [
    "520-Invalid command syntax.  Proper usage follows:",
    "Usage: SET VARIABLE <variablename> <value>",
    "       Sets a variable to the current channel.",
    "",
    "200 result=1 is what a good command would get",
    "520-not the end either",
    "520 End of proper usage.",
]


async def test_multiline_520_is_one_command_error_and_the_next_reply_is_right(serve):
    errors = []

    async def probe(session):
        try:
            await session.command("SET VARIABLE", "ONLY_A_NAME")
        except CommandError as exc:
            errors.append(exc)
        value = await session.get_variable("PROBE")
        await session.set_variable("PROBE_RESULT", f"{errors[0].code if errors else 'none'}:{value}")

    server = await serve(router_with(probe=probe))
    commands = await call(
        server.port, agi_headers("probe"),
        [
            ("SET VARIABLE ONLY_A_NAME", USAGE_520),
            ("GET VARIABLE PROBE", "200 result=1 (hello)"),
            ("SET VARIABLE PROBE_RESULT 520:hello", "200 result=1"),
        ],
    )
    assert len(commands) == 3
    [error] = errors
    assert error.code == 520 and error.command == "SET VARIABLE"
    assert "Usage: SET VARIABLE" in error.text and "200 result=1 is what" in error.text
    assert server.stats.handler_errors == 0


async def test_510_is_a_command_error_and_the_session_goes_on(serve):
    errors = []

    async def probe(session):
        try:
            await session.command("FROB")
        except CommandError as exc:
            errors.append(exc.code)
        await session.set_variable("AFTER", await session.get_variable("X"))

    server = await serve(router_with(probe=probe))
    await call(server.port, agi_headers("probe"),
               [("FROB", "510 Invalid or unknown command"), ("GET VARIABLE X", "200 result=1 (y)"),
                ("SET VARIABLE AFTER y", "200 result=1")])
    assert errors == [510]


# --- no timeouts in panoramisk --------------------------------------------------------------------------


async def test_silent_peer_is_closed_after_header_timeout_while_others_are_served(serve, caplog):
    server = await serve(router_with(echo=echo), header_timeout=0.3)

    async def silent() -> float:
        async with FakeAsterisk(server.port, timeout=2.0) as peer:
            started = time.monotonic()
            assert await peer.wait_closed() == b""
            return time.monotonic() - started

    silent_task = asyncio.create_task(silent())
    await asyncio.sleep(0.05)
    await assert_served(server, "meanwhile")
    assert not silent_task.done()  # served while the silent one still waits
    elapsed = await asyncio.wait_for(silent_task, 2.0)
    assert 0.2 <= elapsed < 1.0
    await settled(server)
    assert server.stats.header_errors == 1
    assert any("0.3 s" in r.getMessage() for r in agi_records(caplog, logging.WARNING))


async def test_peer_that_stops_answering_gets_protocol_error_while_others_are_served(serve, caplog):
    got = []

    async def route(session):
        got.append(await session.get_variable("NEVER"))

    server = await serve(router_with(route=route, echo=echo), command_timeout=0.3)

    async def mute() -> tuple[list[str], float]:
        async with FakeAsterisk(server.port, timeout=2.0) as peer:
            await peer.send_header(agi_headers("route"))
            started = time.monotonic()
            commands = await peer.play([("GET VARIABLE NEVER", None)], otherwise=lambda _: None)
            return commands, time.monotonic() - started

    mute_task = asyncio.create_task(mute())
    await asyncio.sleep(0.05)
    await assert_served(server)
    assert not mute_task.done()
    commands, elapsed = await asyncio.wait_for(mute_task, 3.0)

    assert got == []
    assert commands[0] == "GET VARIABLE NEVER"
    # One command_timeout for the command, at most one more for the attempt to flag the error.
    assert 0.25 <= elapsed < 1.2
    [error] = agi_records(caplog, logging.ERROR)
    assert error.exc_info[0] is ProtocolError and "no reply to GET VARIABLE" in str(error.exc_info[1])
    await settled(server)
    assert server.stats.handler_errors == 1

# --- sync handlers (panoramisk breaks them on 3.11): refused at registration ------------------------------


def sync_handler(session):
    return None


class SyncCallable:
    def __call__(self, session):
        return None


class AsyncCallable:
    async def __call__(self, session):
        return None


@pytest.mark.parametrize(
    "handler",
    [sync_handler, lambda session: None, SyncCallable(), "dnis", None, AsyncCallable, print],
    ids=["def", "lambda", "sync-callable", "str", "none", "async-callable-class", "builtin"],
)
def test_router_refuses_handlers_that_are_not_async(handler):
    router = Router()
    with pytest.raises(TypeError, match=r"'r'.*async def"):
        router.add("r", handler)
    assert router.names == []


def test_router_accepts_async_handlers(store):
    async def plain(session, extra=None):
        return None

    router = Router()
    router.add("plain", plain)
    router.add("dnis", DnisRoute(store))
    router.add("callable", AsyncCallable())
    router.add("partial", functools.partial(plain, extra=1))
    router.add("method", AsyncCallable().__call__)
    assert router.names == ["callable", "dnis", "method", "partial", "plain"]


@pytest.mark.parametrize("name", ["", "a/b", "dup"])
def test_router_refuses_bad_or_duplicate_names(name):
    router = router_with(dup=echo)
    with pytest.raises(ValueError, match="route name"):
        router.add(name, echo)
