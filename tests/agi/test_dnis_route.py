"""The dnis route over real TCP, against a fake Asterisk (tests/agi/fake_asterisk.py) and a real store:
a known, an unknown and an invalid DID.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agi.routes import DnisRoute
from ivr import variables as v

from .fake_asterisk import LINKEDID, Channel, agi_headers, call
from .support import router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")


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
