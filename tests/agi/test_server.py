"""The FastAGI server over real TCP, against a fake Asterisk (tests/agi/fake_asterisk.py).

Several tests pin the defects of panoramisk 1.4's FastAGI Application that agi/ was written to avoid
(/work/shared/ASTERISK.md): EOF in the header spins, multi-line 520 misread, no timeouts, sync handlers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from datetime import UTC, datetime

import pytest

from agi import AGISession, CommandError, FastAGIServer, ProtocolError, Router
from agi.routes import DnisRoute
from ivr import variables as v

from .fake_asterisk import DEAD, LINKEDID, UNIQUEID, Channel, Chunks, FakeAsterisk, agi_headers, call

ROUTE_STATUS_ERROR = f"SET VARIABLE {v.ROUTE_STATUS} error"


def router_with(**routes) -> Router:
    router = Router()
    for name, handler in routes.items():
        router.add(name, handler)
    return router


async def echo(session: AGISession) -> None:
    """A route that proves a session was served: it reports what it saw in the header."""
    await session.set_variable("ECHO_ARGS", ",".join(session.args))
    await session.set_variable("ECHO_NAME", session.headers.get("agi_calleridname", ""))


async def assert_served(server: FastAGIServer, *args: str) -> None:
    """A normal call right now gets a full answer: the server is still serving."""
    channel = Channel()
    commands = await call(server.port, agi_headers("echo", *args), otherwise=channel)
    assert [c.split()[2] for c in commands] == ["ECHO_ARGS", "ECHO_NAME"]
    assert channel.variables["ECHO_ARGS"] == ",".join(args)


async def settled(server: FastAGIServer, timeout: float = 1.0) -> None:
    async with asyncio.timeout(timeout):
        while server.stats.active:
            await asyncio.sleep(0.01)


def agi_records(caplog, level: int | None = None) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("agi") and (level is None or r.levelno == level)]


@pytest.fixture(autouse=True)
def _agi_logs(caplog):
    caplog.set_level(logging.INFO, logger="agi")


# --- dnis over TCP with a real store ------------------------------------------------------------------


@pytest.mark.parametrize("dialled", ["5145550100", "15145550100", "+1 514-555-0100"])
async def test_dnis_found(serve, store, dialled):
    server = await serve(router_with(dnis=DnisRoute(store)))
    channel = Channel()
    before = datetime.now(UTC)
    commands = await call(
        server.port, agi_headers("dnis", dialled),
        [("GET VARIABLE CHANNEL(linkedid)", f"200 result=1 ({LINKEDID})")],
        otherwise=channel,
    )
    after = datetime.now(UTC)

    days = {f"{d:%Y/%m/%d}" for d in (before, after)}  # a call across midnight UTC may take either
    assert channel.variables[v.DID] == "+15145550100"
    assert channel.variables[v.CLIENT_CODE] == "1000"
    assert channel.variables["CHANNEL(language)"] == "fr"
    assert channel.variables[v.RECORDING_FILE] in {f"1000/{day}/{LINKEDID}" for day in days}
    assert channel.variables[v.DNIS_STATUS] == v.DNIS_FOUND
    # DNIS_STATUS is the dialplan's signal that everything else is set: set once, and last.
    assert channel.set_order[-1] == v.DNIS_STATUS and channel.set_order.count(v.DNIS_STATUS) == 1
    assert v.ROUTE_STATUS not in channel.variables
    assert all(not c.startswith(f"SET VARIABLE {v.ROUTE_STATUS}") for c in commands)
    await settled(server)
    assert (server.stats.sessions, server.stats.handler_errors, server.stats.hangups) == (1, 0, 0)


async def test_dnis_without_argument_uses_agi_extension(serve, store):
    server = await serve(router_with(dnis=DnisRoute(store)))
    channel = Channel()
    await call(server.port, agi_headers("dnis", agi_extension="15145550100"), otherwise=channel)
    assert channel.variables[v.DNIS_STATUS] == v.DNIS_FOUND
    assert channel.variables[v.CLIENT_CODE] == "1000"


async def test_dnis_unknown_did(serve, store):
    server = await serve(router_with(dnis=DnisRoute(store)))
    channel = Channel()
    await call(server.port, agi_headers("dnis", "5145550199"), otherwise=channel)
    assert channel.variables[v.DNIS_STATUS] == v.DNIS_UNKNOWN
    assert channel.variables[v.DID] == "+15145550199"
    assert v.CLIENT_CODE not in channel.variables
    assert v.RECORDING_FILE not in channel.variables
    assert v.ROUTE_STATUS not in channel.variables


@pytest.mark.parametrize("dialled", ["abc", "12", ""])
async def test_dnis_invalid_did(serve, store, dialled):
    server = await serve(router_with(dnis=DnisRoute(store)))
    channel = Channel()
    await call(server.port, agi_headers("dnis", dialled), otherwise=channel)
    assert channel.variables[v.DNIS_STATUS] == v.DNIS_INVALID
    assert v.DID not in channel.variables
    assert v.CLIENT_CODE not in channel.variables
    assert v.ROUTE_STATUS not in channel.variables


async def test_dnis_without_linkedid_sets_no_recording_file(serve, store):
    server = await serve(router_with(dnis=DnisRoute(store)))
    channel = Channel()
    await call(server.port, agi_headers("dnis", "5145550100"),
               [("GET VARIABLE CHANNEL(linkedid)", "200 result=0")], otherwise=channel)
    assert channel.variables[v.DNIS_STATUS] == v.DNIS_FOUND
    assert v.RECORDING_FILE not in channel.variables


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
