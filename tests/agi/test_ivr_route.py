"""The ivr route over real TCP: the demo menu (ivr/examples/demo.yaml) applied in a real store, run for a
fake Asterisk whose caller presses keys (tests/agi/keypad.py). The route's clock is injected, so the
demo's business hours decide open or closed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from agi.routes import IvrRoute, MenuBook
from ivr import variables as v
from ivr.overflow import placed
from ivr.schedule import parse_schedule
from store import clients, ivr_path, menus, queues
from store.clock import iso

from .fake_asterisk import DEAD, LINKEDID, UNIQUEID, agi_headers, call
from .keypad import ENDPOS, PROMPTS, Caller, apply_demo, demo_text, ivr_channel, keys
from .support import agi_records, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")

TORONTO = ZoneInfo("America/Toronto")
OPEN = datetime(2026, 11, 23, 12, 0, tzinfo=TORONTO)  # a Monday at noon: mon-fri 08:30-17:00
ANY_KEY = "0123456789*#"


def fr(name: str) -> str:
    return f"{PROMPTS}/clients/1000/fr/{name}"


def en(name: str) -> str:
    return f"{PROMPTS}/clients/1000/en/{name}"


async def ivr_server(serve, store, clock=OPEN, text: str | None = None):
    await store.write(lambda db: apply_demo(db, text))
    route = IvrRoute(store, MenuBook(store), PROMPTS, clock=lambda: clock)
    return await serve(router_with(ivr=route))


async def path(store, linkedid: str = LINKEDID) -> list[tuple[str, str, str | None, str]]:
    await store.flush()  # the route does not wait for these writes
    rows = await store.read(lambda db: ivr_path.ivr_path(db, linkedid))
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    return [(r["menu"], r["node"], r["digit"], r["outcome"]) for r in rows]


async def test_french_then_reception_queue(serve, store, caplog):
    server = await ivr_server(serve, store)
    caller = Caller(keys("1", "1"), ivr_channel())
    commands = await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)

    assert commands[:3] == ["GET VARIABLE CHANNEL(linkedid)", f"GET VARIABLE {v.CLIENT_CODE}",
                            "GET VARIABLE CHANNEL(language)"]
    assert f"STREAM FILE {PROMPTS}/fr/choose-language {ANY_KEY}" in commands
    assert caller.streamed == [f"{PROMPTS}/fr/choose-language", fr("welcome")]  # '1' cut each prompt short
    assert caller.waits == []
    assert caller.variables[v.IVR_ACTION] == "queue"
    assert caller.variables[v.IVR_TARGET] == "1000-accueil"
    assert caller.variables[v.IVR_CLOSED] == "0"
    assert caller.variables["IVR_QUEUE_TIMEOUT"] == "300"
    assert (caller.variables[v.IVR_MENU], caller.variables[v.IVR_NODE]) == ("demo", "reception")
    assert caller.variables["CHANNEL(language)"] == "fr"
    # IVR_ACTION tells the dialplan the route is done: set once, and last.
    assert caller.set_order[-1] == v.IVR_ACTION and caller.set_order.count(v.IVR_ACTION) == 1
    assert v.ROUTE_STATUS not in caller.variables

    assert await path(store) == [
        ("demo", "language", "1", "choice 1 -> fr"),
        ("demo", "hours", None, "open"),
        ("demo", "main", "1", "choice 1 -> reception"),
        ("demo", "reception", None, "exit queue 1000-accueil"),
    ]
    await store.flush()  # the route does not wait for these writes
    rows = await store.read(lambda db: ivr_path.ivr_path(db, LINKEDID))
    assert {r["at"] for r in rows} == {iso(OPEN)}
    assert {r["kind"] for r in rows} == {"language", "time", "menu", "queue"}
    await settled(server)
    assert (server.stats.sessions, server.stats.handler_errors, server.stats.hangups) == (1, 0, 0)
    assert agi_records(caplog, logging.ERROR) == [] and agi_records(caplog, logging.WARNING) == []


async def test_english_switches_the_prompts_and_keys_after_the_prompts_count(serve, store):
    server = await ivr_server(serve, store)
    # '2' during the language prompt; the main prompts play through and '9' comes while waiting.
    caller = Caller(keys("2", "+9"), ivr_channel())
    commands = await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)
    assert "SET VARIABLE CHANNEL(language) en" in commands
    assert caller.variables["CHANNEL(language)"] == "en"
    assert caller.streamed == [f"{PROMPTS}/fr/choose-language", en("welcome"), en("menu-main")]
    assert caller.waits == [4000]  # the menu's timeout: 4 s
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("voicemail", "1000")
    assert caller.variables[v.IVR_CLOSED] == "0"
    assert [(node, digit) for _, node, digit, _ in await path(store)] == [
        ("language", "2"), ("hours", None), ("main", "9"), ("voicemail", None)]


async def test_silence_takes_the_defaults_and_times_out_to_reception(serve, store):
    server = await ivr_server(serve, store)
    caller = Caller([], ivr_channel())  # nothing is ever pressed
    await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)
    assert caller.streamed == [
        f"{PROMPTS}/fr/choose-language",
        fr("welcome"), fr("menu-main"),
        f"{PROMPTS}/fr/no-input", fr("welcome"), fr("menu-main"),
        f"{PROMPTS}/fr/no-input",  # after the last attempt, on its own
    ]
    assert caller.waits == [4000, 4000, 4000]
    assert caller.variables[v.IVR_ACTION] == "queue"
    assert [o for _, node, _, o in await path(store) if node in ("language", "main")] == [
        "timeout -> fr", "timeout 1/2", "timeout 2/2 -> reception"]


@pytest.mark.parametrize("when", [
    datetime(2026, 11, 22, 12, 0, tzinfo=TORONTO),  # Sunday
    datetime(2026, 11, 23, 17, 0, tzinfo=TORONTO),  # Monday, the end of the range is excluded
    datetime(2026, 12, 25, 12, 0, tzinfo=TORONTO),  # a holiday (a Friday)
    datetime(2026, 12, 24, 13, 0, tzinfo=TORONTO),  # inside the Christmas closure
], ids=["sunday", "evening", "holiday", "closure"])
async def test_closed_hours_lead_to_voicemail(serve, store, when):
    server = await ivr_server(serve, store, clock=when)
    caller = Caller(keys("1"), ivr_channel())
    commands = await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)
    assert caller.variables[v.IVR_CLOSED] == "1"
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("voicemail", "1000")
    assert caller.set_order[-1] == v.IVR_ACTION
    assert caller.streamed == [f"{PROMPTS}/fr/choose-language", fr("closed")]
    assert f'STREAM FILE {fr("closed")} ""' in commands  # played through: no escape digits
    assert [(node, o) for _, node, _, o in await path(store)] == [
        ("language", "choice 1 -> fr"), ("hours", "closed"), ("closed", "played -> voicemail"),
        ("voicemail", "exit voicemail 1000")]


async def test_open_around_the_clock_when_the_hours_say_so(serve, store):
    text = demo_text().replace('mon-fri: "08:30-17:00"', "mon-sun: 24h")
    text = text.replace('holidays: ["2026-12-25", "2027-01-01"]', "holidays: []")
    assert text != demo_text()
    server = await ivr_server(serve, store, clock=datetime(2026, 11, 22, 3, 0, tzinfo=TORONTO), text=text)
    caller = Caller(keys("1", "1"), ivr_channel())
    await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)
    assert caller.variables[v.IVR_CLOSED] == "0" and caller.variables[v.IVR_ACTION] == "queue"


@pytest.mark.parametrize(("menu", "client"), [("nosuch", "1000"), ("demo", "2000"), ("demo", "")],
                         ids=["unknown-menu", "other-client", "no-client"])
async def test_no_such_menu_for_the_client_falls_back(serve, store, caplog, menu, client):
    server = await ivr_server(serve, store)
    caller = Caller(keys("1", "1"), ivr_channel(client=client))
    commands = await call(server.port, agi_headers("ivr", menu), otherwise=caller)
    assert caller.variables[v.IVR_ACTION] == "fallback"
    assert (caller.variables[v.IVR_TARGET], caller.variables[v.IVR_CLOSED]) == ("", "0")
    assert caller.set_order[-1] == v.IVR_ACTION
    assert caller.streamed == [] and not any(c.startswith("STREAM FILE") for c in commands)
    assert await path(store) == []
    warnings = [r.getMessage() for r in agi_records(caplog, logging.WARNING)]
    assert any(repr(menu) in m for m in warnings), warnings
    await settled(server)
    assert server.stats.handler_errors == 0


async def test_a_menu_applied_between_two_calls_is_used_by_the_second(serve, store):
    server = await ivr_server(serve, store)  # one route, one MenuBook for every call
    first = Caller(keys("1", "1"), ivr_channel("1700000000.1"))
    await call(server.port, agi_headers("ivr", "demo"), otherwise=first)
    assert first.variables[v.IVR_TARGET] == "1000-accueil"

    changed = demo_text().replace("queue: 1000-accueil", "queue: 1000-nuit")
    v2 = await store.write(lambda db: apply_demo(db, changed))
    assert v2.version == 2
    second = Caller(keys("1", "1"), ivr_channel("1700000000.2"))
    await call(server.port, agi_headers("ivr", "demo"), otherwise=second)
    assert (second.variables[v.IVR_ACTION], second.variables[v.IVR_TARGET]) == ("queue", "1000-nuit")
    assert (await path(store, "1700000000.2"))[-1] == ("demo", "reception", None, "exit queue 1000-nuit")

    await store.write(lambda db: menus.rollback_menu(db, "demo"))
    third = Caller(keys("1", "1"), ivr_channel("1700000000.3"))
    await call(server.port, agi_headers("ivr", "demo"), otherwise=third)
    assert third.variables[v.IVR_TARGET] == "1000-accueil"


@pytest.mark.parametrize("answer", [
    ("HANGUP", f"200 result=0 {ENDPOS}"),  # inline HANGUP, then the prompt's reply
    ("HANGUP", f"200 result=-1 {ENDPOS}"),  # the prompt failed as the caller left
    DEAD,  # the channel was gone already
], ids=["inline-hangup", "hangup-result-1", "511"])
async def test_hangup_mid_menu_ends_quietly_and_keeps_the_path(serve, store, caplog, answer):
    server = await ivr_server(serve, store)
    # '1' at the language prompt; the caller hangs up during the main menu's first prompt.
    caller = Caller(keys("1"), ivr_channel(), hangup_at=2, hangup_answer=answer)
    commands = await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)

    assert caller.streamed == [f"{PROMPTS}/fr/choose-language", fr("welcome")]
    assert commands[-1].startswith(f"STREAM FILE {fr('welcome')}")  # nothing sent after the hang-up
    assert v.IVR_ACTION not in caller.variables and v.ROUTE_STATUS not in caller.variables
    assert await path(store) == [
        ("demo", "language", "1", "choice 1 -> fr"),
        ("demo", "hours", None, "open"),
    ]
    await settled(server)
    assert (server.stats.hangups, server.stats.handler_errors) == (1, 0)
    assert agi_records(caplog, logging.ERROR) == [] and agi_records(caplog, logging.WARNING) == []
    infos = [r.getMessage() for r in agi_records(caplog, logging.INFO) if r.name == "agi.server"]
    assert any(LINKEDID in m and ("hung up" in m or "dead" in m or "failed" in m) for m in infos), infos
    assert all(UNIQUEID not in m for m in infos)  # named by its linkedid once known


async def test_hours_client_follows_the_client_record_from_one_call_to_the_next(serve, store):
    text = demo_text()
    start, end = text.index("    hours:\n      mon-fri"), text.index("    open: main")
    text = text[:start] + "    hours: client\n" + text[end:]
    server = await ivr_server(serve, store, text=text)  # Monday noon

    async def hours_outcome(linkedid: str) -> str:
        caller = Caller(keys("1", "1"), ivr_channel(linkedid))
        await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)
        return next(o for _, node, _, o in await path(store, linkedid) if node == "hours")

    assert await hours_outcome("1700000000.1") == "closed"  # no hours set yet: closed, never open by mistake
    weekdays = parse_schedule({"mon-fri": "08:30-17:00"})
    await store.write(lambda db: clients.update_client(db, "1000", schedule=weekdays))
    assert await hours_outcome("1700000000.2") == "open"
    monday_closed = parse_schedule({"mon-fri": "08:30-17:00"}, [OPEN.date().isoformat()])
    await store.write(lambda db: clients.update_client(db, "1000", schedule=monday_closed))
    assert await hours_outcome("1700000000.3") == "closed"  # a holiday added: the next call hears it


async def test_leaving_for_a_queue_places_the_caller_in_it_as_the_overflow_join_would(serve, store):
    """With the queue's settings, the route sets what `overflow,join` would (the dialplan then skips that
    session): the first hop, the place at the route's clock, no offer heard, Queue()'s timeout from the
    queue's own max wait."""
    await store.write(lambda db: apply_demo(db, None))
    await store.write(lambda db: queues.save_queue(db, queues.Queue("1000-accueil", "1000", max_wait_s=90)))
    settings = {}

    def queue_settings(name: str) -> queues.Queue:
        settings[name] = store.read_now(lambda db: queues.queue_or_default(db, name))
        return settings[name]

    route = IvrRoute(store, MenuBook(store), PROMPTS, clock=lambda: OPEN, queue_settings=queue_settings)
    server = await serve(router_with(ivr=route))
    caller = Caller(keys("1", "1"), ivr_channel())
    await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)
    assert list(settings) == ["1000-accueil"]
    assert {name: caller.variables[name] for name in (v.QUEUE_HOPS, v.QUEUE_JOINED, v.CALLBACK_OFFERED,
                                                      v.QUEUE_POSITION, v.QUEUE_TIMEOUT, v.QUEUE_READY)} == {
        v.QUEUE_HOPS: "1000-accueil", v.QUEUE_JOINED: f"{OPEN.timestamp():.3f}", v.CALLBACK_OFFERED: "",
        v.QUEUE_POSITION: "", v.QUEUE_TIMEOUT: "90", v.QUEUE_READY: "1"}
    assert placed(settings["1000-accueil"], OPEN.timestamp())[v.QUEUE_TIMEOUT] == "90"
    assert caller.set_order[-1] == v.IVR_ACTION  # still the last: the dialplan's sign the route is done

    # Without the settings (a route built without them) nothing is placed: the dialplan joins as before.
    plain = await ivr_server(serve, store)
    caller = Caller(keys("1", "1"), ivr_channel())
    await call(plain.port, agi_headers("ivr", "demo"), otherwise=caller)
    assert v.QUEUE_READY not in caller.variables and caller.variables[v.IVR_ACTION] == "queue"
