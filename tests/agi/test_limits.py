"""The FastAGI server's limits: hostile or broken headers, header floods, max_sessions, and close()."""

from __future__ import annotations

import asyncio
import logging

import pytest

from .fake_asterisk import Channel, FakeAsterisk, agi_headers, call
from .support import agi_records, assert_served, echo, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")


# --- hostile or broken headers ----------------------------------------------------------------------------


async def test_non_utf8_header_values_are_replaced_not_fatal(serve):
    server = await serve(router_with(echo=echo))
    channel = Channel()
    await call(server.port, agi_headers("echo", "Jos\xe9".encode("latin-1"), agi_calleridname=b"\xff\xfe"),
               otherwise=channel)
    assert channel.variables["ECHO_NAME"] == "\ufffd\ufffd"
    assert channel.variables["ECHO_ARGS"] == "Jos\ufffd"
    assert server.stats.header_errors == 0


@pytest.mark.parametrize(
    "bad_line",
    [b"this is not a header\n", b"AGI_NETWORK: yes\n", b"GET VARIABLE X\n", b"agi_network yes\n"],
)
async def test_malformed_header_line_closes_the_connection(serve, caplog, bad_line):
    server = await serve(router_with(echo=echo))
    async with FakeAsterisk(server.port, timeout=1.0) as peer:
        await peer.send(b"agi_network: yes\nagi_network_script: echo\n" + bad_line + b"agi_arg_1: x\n\n")
        assert await peer.wait_closed() == b""  # no command was sent
    await settled(server)
    assert server.stats.header_errors == 1
    assert any("malformed" in r.getMessage() for r in agi_records(caplog, logging.WARNING))
    await assert_served(server)


@pytest.mark.parametrize(
    "flood",
    [
        b"agi_network: yes\nagi_calleridname: " + b"x" * 10_000 + b"\n\n",
        b"agi_network: yes\nagi_calleridname: " + b"x" * 100_000,  # and no newline at all
        b"".join(b"agi_extra_%d: y\n" % n for n in range(200)) + b"\n",
        b"\n" * 10 + b"agi_network: yes\n\n",
    ],
    ids=["long-line", "endless-line", "many-lines", "empty-header"],
)
async def test_header_flood_closes_the_connection(serve, flood):
    server = await serve(router_with(echo=echo))
    async with FakeAsterisk(server.port, timeout=1.0) as peer:
        await peer.send(flood)
        assert await peer.wait_closed() == b""
    await settled(server)
    assert server.stats.header_errors == 1
    await assert_served(server)


async def test_largest_accepted_header(serve):
    """The limits refuse floods, not real headers: 120 lines with a 4 KB value pass."""
    server = await serve(router_with(echo=echo))
    extra = {f"agi_extra_{n}": "y" for n in range(120 - len(agi_headers("echo")))}
    channel = Channel()
    await call(server.port, agi_headers("echo", agi_calleridname="n" * 4000, **extra), otherwise=channel)
    assert channel.variables["ECHO_NAME"] == "n" * 4000

# --- max_sessions ---------------------------------------------------------------------------------------


async def test_max_sessions_refuses_the_next_connection(serve, caplog):
    release = asyncio.Event()

    async def hold(session):
        await session.verbose("holding")
        await release.wait()
        await session.set_variable("HELD", "done")

    server = await serve(router_with(hold=hold, echo=echo), max_sessions=1)
    async with FakeAsterisk(server.port) as first:
        await first.send_header(agi_headers("hold"))
        assert await first.read_command() == "VERBOSE holding 1"
        await first.answer("200 result=1")
        assert server.stats.active == 1

        async with FakeAsterisk(server.port, timeout=1.0) as second:
            await second.send_header(agi_headers("echo"))
            assert await second.wait_closed() == b""
        assert server.stats.refused == 1
        assert any("refusing" in r.getMessage() for r in agi_records(caplog, logging.WARNING))

        release.set()
        commands = await first.play([("SET VARIABLE HELD done", "200 result=1")])
        assert commands[-1] == "SET VARIABLE HELD done"
    await settled(server)
    assert (server.stats.sessions, server.stats.refused) == (1, 1)
    await assert_served(server)  # the slot is free again
    assert server.stats.refused == 1


# --- shutdown -------------------------------------------------------------------------------------------


async def test_close_cancels_open_sessions(serve):
    async def hold(session):
        await session.verbose("holding")
        await asyncio.sleep(60)

    server = await serve(router_with(hold=hold))
    async with FakeAsterisk(server.port) as peer:
        await peer.send_header(agi_headers("hold"))
        assert await peer.read_command() == "VERBOSE holding 1"
        await peer.answer("200 result=1")
        await asyncio.wait_for(server.close(), 1.0)
        assert await peer.wait_closed() == b""
    assert server.stats.active == 0
