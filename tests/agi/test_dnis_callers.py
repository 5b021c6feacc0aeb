"""The dnis route and the caller (ANI): the caller's record with the client, created on the first call
and recognised on the next; withheld numbers; the client's entry menu on the channel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agi.routes import DnisRoute
from ivr import variables as v
from store import callers
from store.clock import iso

from .fake_asterisk import Channel, agi_headers, call
from .keypad import apply_demo
from .support import router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")

T1 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=2, minutes=7)
NUMBER = "+15145551234"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def dnis_server(serve, store, clock: Clock):
    return await serve(router_with(dnis=DnisRoute(store, clock=clock)))


async def dial(server, linkedid: str, **headers: str) -> Channel:
    channel = Channel({"CHANNEL(linkedid)": linkedid})
    await call(server.port, agi_headers("dnis", "5145550100", **headers), otherwise=channel)
    assert channel.variables[v.DNIS_STATUS] == v.DNIS_FOUND
    assert channel.set_order[-1] == v.DNIS_STATUS
    return channel


async def caller_rows(store) -> list[dict]:
    await store.flush()  # the route does not wait for these writes
    return list(await store.read(lambda db: list(db.query("SELECT * FROM callers ORDER BY number"))))


async def test_a_caller_is_new_then_known(serve, store):
    clock = Clock(T1)
    server = await dnis_server(serve, store, clock)

    first = await dial(server, "1700000000.1", agi_callerid="5145551234", agi_calleridname="Marie Tremblay")
    assert first.variables[v.CALLER_NUMBER] == NUMBER
    assert first.variables[v.CALLER_ANONYMOUS] == "0"
    assert first.variables[v.CALLER_KNOWN] == "0"
    assert first.variables[v.CALLER_CALLS] == "1"
    assert first.variables[v.CALLER_NAME] == "Marie Tremblay"
    assert v.CALLER_LAST_CALL not in first.variables and v.CALLER_NOTES not in first.variables

    await store.write(lambda db: callers.set_caller(db, "1000", NUMBER, notes="Prefers English"))
    clock.now = T2
    second = await dial(server, "1700000000.2", agi_callerid="5145551234", agi_calleridname="")
    assert second.variables[v.CALLER_NUMBER] == NUMBER
    assert second.variables[v.CALLER_KNOWN] == "1"
    assert second.variables[v.CALLER_LAST_CALL] == iso(T1)
    assert second.variables[v.CALLER_CALLS] == "2"
    assert second.variables[v.CALLER_NAME] == "Marie Tremblay"  # kept from the first call
    assert second.variables[v.CALLER_NOTES] == "Prefers English"

    [row] = await caller_rows(store)
    assert (row["client_code"], row["number"], row["name"], row["calls_count"]) == ("1000", NUMBER,
                                                                                     "Marie Tremblay", 2)
    assert (row["first_call_at"], row["last_call_at"], row["last_linkedid"]) == (iso(T1), iso(T2), "1700000000.2")
    await settled(server)
    assert server.stats.handler_errors == 0


@pytest.mark.parametrize("raw", ["5145551234", "+15145551234", "15145551234", "514-555-1234"])
async def test_the_caller_number_is_kept_in_e164(serve, store, raw):
    server = await dnis_server(serve, store, Clock(T1))
    channel = await dial(server, "1700000000.1", agi_callerid=raw)
    assert channel.variables[v.CALLER_NUMBER] == NUMBER
    assert [r["number"] for r in await caller_rows(store)] == [NUMBER]


@pytest.mark.parametrize("name", ["", "Unknown", "5145551234"])
async def test_no_useful_name_is_stored_as_none(serve, store, name):
    server = await dnis_server(serve, store, Clock(T1))
    channel = await dial(server, "1700000000.1", agi_callerid="5145551234", agi_calleridname=name)
    assert v.CALLER_NAME not in channel.variables
    assert [r["name"] for r in await caller_rows(store)] == [None]


@pytest.mark.parametrize(("callerid", "pres"), [
    ("anonymous", "0"), ("unknown", "0"), ("", "0"), ("Anonymous", "0"), ("restricted", "0"),
    ("5145551234", "32"), ("5145551234", "35"), ("5145551234", "64"), ("5145551234", "67"),
])
async def test_a_withheld_number_is_anonymous_and_not_recorded(serve, store, callerid, pres):
    server = await dnis_server(serve, store, Clock(T1))
    channel = await dial(server, "1700000000.1", agi_callerid=callerid, agi_callingpres=pres,
                         agi_calleridname="Marie Tremblay")
    assert channel.variables[v.CALLER_ANONYMOUS] == "1"
    assert channel.variables[v.CALLER_NUMBER] == ""
    assert channel.variables[v.CALLER_KNOWN] == "0"
    for name in (v.CALLER_NAME, v.CALLER_CALLS, v.CALLER_LAST_CALL):
        assert name not in channel.variables
    assert await caller_rows(store) == []


@pytest.mark.parametrize("pres", ["0", "1", "3", "garbage"])
async def test_an_allowed_presentation_keeps_the_number(serve, store, pres):
    server = await dnis_server(serve, store, Clock(T1))
    channel = await dial(server, "1700000000.1", agi_callerid="5145551234", agi_callingpres=pres)
    assert (channel.variables[v.CALLER_ANONYMOUS], channel.variables[v.CALLER_NUMBER]) == ("0", NUMBER)


async def test_a_caller_id_that_is_not_a_number_is_neither_anonymous_nor_recorded(serve, store):
    server = await dnis_server(serve, store, Clock(T1))
    channel = await dial(server, "1700000000.1", agi_callerid="abc")
    assert (channel.variables[v.CALLER_ANONYMOUS], channel.variables[v.CALLER_NUMBER]) == ("0", "")
    assert channel.variables[v.CALLER_KNOWN] == "0"
    assert await caller_rows(store) == []


async def test_records_are_per_client(serve, store):
    from store import clients

    await store.write(lambda db: clients.add_client(db, "2000", "Autre", "en"))
    await store.write(lambda db: clients.add_did(db, "+15145550200", "2000"))
    server = await dnis_server(serve, store, Clock(T1))
    await dial(server, "1700000000.1")
    other = Channel({"CHANNEL(linkedid)": "1700000000.2"})
    await call(server.port, agi_headers("dnis", "5145550200"), otherwise=other)
    assert other.variables[v.CLIENT_CODE] == "2000"
    assert other.variables[v.CALLER_KNOWN] == "0"  # known to 1000, new to 2000
    assert [(r["client_code"], r["calls_count"]) for r in await caller_rows(store)] == [("1000", 1), ("2000", 1)]


async def test_the_entry_menu_is_on_the_channel(serve, store):
    server = await dnis_server(serve, store, Clock(T1))
    before = await dial(server, "1700000000.1")
    assert before.variables[v.IVR_MENU_ENTRY] == ""  # no menu: greeting only

    await store.write(apply_demo)  # the first menu applied for a client becomes its entry menu
    after = await dial(server, "1700000000.2")
    assert after.variables[v.IVR_MENU_ENTRY] == "demo"
