"""Faulty peers do not slow a well-behaved call: a full walk of the demo menu takes about as long while
peers that misbehave in every way we know of are connected at the same time, and each of them is dealt
with (closed, counted) by the server.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agi.routes import IvrRoute, MenuBook
from ivr import variables as v
from store import ivr_path

from .fake_asterisk import FakeAsterisk, agi_headers, call, header_bytes
from .keypad import PROMPTS, Caller, apply_demo, ivr_channel, keys
from .support import agi_records, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")

OPEN = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("America/Toronto"))
HEADER_TIMEOUT = COMMAND_TIMEOUT = 1.0
# English, '*' repeats the menu, '7' is invalid (the invalid prompt plays), then '1': the reception queue.
WALK = ("2", "*", "7", "1")
PATH = [("language", "2"), ("hours", None), ("main", "*"), ("main", "7"), ("main", "1"), ("reception", None)]


async def good_call(server, linkedid: str) -> float:
    """One full menu walk; its duration in seconds, once checked that it went all the way."""
    caller = Caller(keys(*WALK), ivr_channel(linkedid))
    started = time.perf_counter()
    await call(server.port, agi_headers("ivr", "demo"), otherwise=caller, timeout=3.0)
    elapsed = time.perf_counter() - started
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("queue", "1000-accueil")
    assert caller.set_order[-1] == v.IVR_ACTION
    welcome = f"{PROMPTS}/clients/1000/en/welcome"
    assert caller.streamed == [f"{PROMPTS}/fr/choose-language", welcome, welcome, f"{PROMPTS}/en/invalid"]
    return elapsed


async def connected(server, data: bytes) -> FakeAsterisk:
    peer = FakeAsterisk(server.port, timeout=HEADER_TIMEOUT + 2.0)
    await peer.connect()
    if data:
        await peer.send(data)
    return peer


USAGE = ("520-Invalid command syntax.  Proper usage follows:", "Usage: GET VARIABLE <variablename>",
         "       Does not work with global variables.", "520 End of proper usage.")


async def usage_peer(server) -> list[str]:
    """Answers every command with a multi-line 520 block."""
    return await call(server.port, agi_headers("ivr", "demo"), otherwise=lambda _: USAGE, timeout=3.0)


async def hangup_peer(server) -> Caller:
    """Presses 1 for French, then hangs up during the main menu."""
    caller = Caller(keys("1"), ivr_channel("1700000000.99"), hangup_at=2)
    await call(server.port, agi_headers("ivr", "demo"), otherwise=caller, timeout=3.0)
    return caller


async def test_faulty_peers_do_not_slow_a_good_call(serve, store, caplog):
    await store.write(apply_demo)
    route = IvrRoute(store, MenuBook(store), PROMPTS, clock=lambda: OPEN)
    server = await serve(router_with(ivr=route), header_timeout=HEADER_TIMEOUT, command_timeout=COMMAND_TIMEOUT)

    await good_call(server, "1700000000.0")  # warm-up: the menu parsed, the store's threads started
    alone = statistics.median([await good_call(server, f"1700000000.{n}") for n in (1, 2, 3)])

    held = [
        await connected(server, b"agi_network: yes\nagi_network_script: iv"),  # truncated, then silence
        await connected(server, b""),  # connects, says nothing
        await connected(server, b"agi_network: yes\nagi_\xff\xfe: \xc3\x28\n\n"),  # not UTF-8
        await connected(server, b"agi_network: " + b"x" * 20_000 + b"\n\n"),  # a line over 8192 bytes
        await connected(server, header_bytes(agi_headers("ivr", "demo"))),  # never answers a command
    ]
    usage, hangup = asyncio.create_task(usage_peer(server)), asyncio.create_task(hangup_peer(server))
    with_faults = await good_call(server, "1700000000.4")
    assert with_faults < 1.5 * alone + 0.2, (alone, with_faults)
    assert server.stats.active >= 3  # the truncated, silent and stalled peers were still held meanwhile

    # Every faulty peer is dealt with: closed by the server, never left open.
    async with asyncio.timeout(5.0):
        assert await usage == ["GET VARIABLE CHANNEL(linkedid)", f"SET VARIABLE {v.ROUTE_STATUS} error"]
        hung_up = await hangup
        received = [await peer.wait_closed() for peer in held]
    for peer in held:
        await peer.close()
    assert hung_up.streamed == [f"{PROMPTS}/fr/choose-language", f"{PROMPTS}/clients/1000/fr/welcome"]
    assert received == [b""] * 4 + [b"GET VARIABLE CHANNEL(linkedid)\n"]  # nothing sent after the timeout
    await settled(server, timeout=2.0)
    s = server.stats
    assert (s.sessions, s.header_errors, s.handler_errors, s.hangups, s.refused) == (12, 4, 2, 1, 0)

    await store.flush()  # the route does not wait for these writes
    rows = await store.read(lambda db: ivr_path.ivr_path(db, "1700000000.4"))
    assert [(r["node"], r["digit"]) for r in rows] == PATH
    rows = await store.read(lambda db: ivr_path.ivr_path(db, "1700000000.99"))
    assert [r["node"] for r in rows] == ["language", "hours"]
    errors = agi_records(caplog, logging.ERROR)
    assert len(errors) == 2 and all("ivr" in r.getMessage() for r in errors)  # the 520 and the silent one

    # And the server goes on serving.
    assert await good_call(server, "1700000000.5") < 1.5 * alone + 0.2
