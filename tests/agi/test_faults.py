"""The FastAGI server when things go wrong in a call: an unknown route, a failing handler, the caller
hanging up (inline HANGUP, 511, a dropped connection).
"""

from __future__ import annotations

import logging

import pytest

from agi import CommandError
from ivr import variables as v

from .fake_asterisk import DEAD, LINKEDID, UNIQUEID, Channel, Chunks, FakeAsterisk, agi_headers, call
from .support import ROUTE_STATUS_ERROR, agi_records, assert_served, echo, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")


# --- routing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["nosuch", "dnis/extra", "DNIS", ""])
async def test_unknown_route_sets_notfound(serve, caplog, script):
    called = []

    async def dnis(session):
        called.append(session)

    server = await serve(router_with(dnis=dnis))
    commands = await call(server.port, agi_headers(script),
                          [(f"SET VARIABLE {v.ROUTE_STATUS} notfound", "200 result=1")])
    assert commands == [f"SET VARIABLE {v.ROUTE_STATUS} notfound"]
    assert called == []
    assert any("unknown route" in r.getMessage() for r in agi_records(caplog, logging.WARNING))


@pytest.mark.parametrize("script", ["echo", "/echo", "echo?lang=fr", "echo/"])
async def test_route_name_from_network_script(serve, script):
    server = await serve(router_with(echo=echo))
    channel = Channel()
    await call(server.port, agi_headers(script, "a", "b c"), otherwise=channel)
    assert channel.variables["ECHO_ARGS"] == "a,b c"


# --- handler faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize("knows_linkedid", [True, False])
async def test_handler_exception_sets_error_logs_and_server_keeps_serving(serve, caplog, knows_linkedid):
    async def broken(session):
        if knows_linkedid:
            session.linkedid = await session.get_variable("CHANNEL(linkedid)")
        raise RuntimeError("kaboom")

    server = await serve(router_with(broken=broken, echo=echo))
    channel = Channel()
    commands = await call(server.port, agi_headers("broken"), otherwise=channel)

    assert commands[-1] == ROUTE_STATUS_ERROR
    assert channel.variables[v.ROUTE_STATUS] == "error"
    call_id = LINKEDID if knows_linkedid else UNIQUEID
    errors = agi_records(caplog, logging.ERROR)
    assert len(errors) == 1
    assert call_id in errors[0].getMessage() and "broken" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is RuntimeError
    await settled(server)
    assert server.stats.handler_errors == 1

    await assert_served(server, "next")
    assert server.stats.sessions == 2


async def test_command_error_from_a_handler_is_a_handler_error(serve, caplog):
    async def bad_command(session):
        await session.command("NO SUCH COMMAND")

    server = await serve(router_with(bad=bad_command))
    channel = Channel()
    commands = await call(server.port, agi_headers("bad"), otherwise=channel)
    assert commands == ["NO SUCH COMMAND", ROUTE_STATUS_ERROR]
    [error] = agi_records(caplog, logging.ERROR)
    assert error.exc_info[0] is CommandError


# --- the caller hangs up --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_answer",
    [
        b"HANGUP\n200 result=1 (5145551234)\n",  # glued to the reply in one write
        Chunks(b"HANGUP\n", b"200 result=1 (5145551234)\n"),  # on its own, the reply a moment later
        ["100 result=0 Trying...", "HANGUP", "200 result=1 (5145551234)"],
    ],
    ids=["glued", "separate", "after-trying"],
)
async def test_inline_hangup_ends_the_handler_quietly(serve, caplog, first_answer):
    seen, finished = [], []

    async def route(session):
        seen.append(await session.get_variable("CALLERID(num)"))
        await session.set_variable("AFTER", "1")
        await session.set_variable("MORE", "2")
        finished.append(True)

    server = await serve(router_with(route=route))
    commands = await call(server.port, agi_headers("route"),
                          [("GET VARIABLE CALLERID(num)", first_answer)],
                          otherwise=lambda _: DEAD)  # a dead channel answers 511 to whatever follows

    assert seen == ["5145551234"]  # the reply behind HANGUP still reached the handler
    assert finished == []
    assert all(v.ROUTE_STATUS not in c for c in commands)
    await settled(server)
    assert (server.stats.hangups, server.stats.handler_errors) == (1, 0)
    assert agi_records(caplog, logging.ERROR) == [] and agi_records(caplog, logging.WARNING) == []
    infos = [r.getMessage() for r in agi_records(caplog, logging.INFO) if r.name == "agi.server"]
    assert any(UNIQUEID in m and "hung up" in m for m in infos), infos


async def test_511_on_a_command_ends_the_handler_quietly(serve, caplog):
    finished = []

    async def route(session):
        await session.set_variable("A", "1")
        await session.set_variable("B", "2")
        await session.set_variable("C", "3")
        finished.append(True)

    server = await serve(router_with(route=route))
    commands = await call(server.port, agi_headers("route"),
                          [("SET VARIABLE A 1", "200 result=1"), ("SET VARIABLE B 2", DEAD)])
    assert commands == ["SET VARIABLE A 1", "SET VARIABLE B 2"]  # nothing after 511, no error flag
    assert finished == []
    await settled(server)
    assert (server.stats.hangups, server.stats.handler_errors) == (1, 0)
    assert agi_records(caplog, logging.ERROR) == []
    assert any("dead" in r.getMessage() for r in agi_records(caplog, logging.INFO))


async def test_connection_closed_while_waiting_for_a_reply_is_a_hangup(serve, caplog):
    server = await serve(router_with(echo=echo))
    async with FakeAsterisk(server.port) as peer:
        await peer.send_header(agi_headers("echo"))
        assert (await peer.read_command()).startswith("SET VARIABLE ECHO_ARGS")
        await peer.send(b"200 resu")  # half a reply, then the line drops
        peer.write_eof()
        await peer.wait_closed()
    await settled(server)
    assert (server.stats.hangups, server.stats.handler_errors) == (1, 0)
    assert agi_records(caplog, logging.ERROR) == []


async def test_trying_line_before_the_reply_is_skipped(serve):
    got = []

    async def route(session):
        got.append(await session.get_variable("X"))

    server = await serve(router_with(route=route))
    await call(server.port, agi_headers("route"),
               [("GET VARIABLE X", ["100 result=0 Trying...", "200 result=1 (value)"])])
    assert got == ["value"]
