"""The overflow route over real TCP against a real store: the wait it sets before Queue(), where each
QUEUESTATUS sends the call, the callback offer accepted (the number read back, the request stored with
the caller's place) or declined (back to their place), loops refused, no offer without a dialer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agi.routes.overflow import OverflowRoute
from ivr import variables as v
from store import oncall_schedules
from store.callbacks import requests_of_call
from store.queues import Queue, save_queue

from .fake_asterisk import LINKEDID, agi_headers, call
from .keypad import PROMPTS, Caller
from .support import router_with

T0 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
JOINED = T0 - timedelta(seconds=30)
OFFERING = Queue("1000-accueil", "1000", max_wait_s=120, callback_offer=True, callback_after_s=30, callback_key="1")


async def server_for(serve, store, *queues: Queue, callbacks: bool = True, now: datetime = T0):
    for queue in queues:
        await store.write(lambda db, q=queue: save_queue(db, q))
    route = OverflowRoute(store, PROMPTS, callbacks=callbacks, clock=lambda: now)
    return await serve(router_with(overflow=route))


def in_queue(name: str = "1000-accueil", *, status: str = "", hops: str | None = None, **more: str) -> dict:
    """The channel as the dialplan leaves it for the route: the queue, and after Queue() its outcome."""
    return {v.IVR_TARGET: name, "QUEUESTATUS": status, v.QUEUE_HOPS: name if hops is None else hops,
            v.QUEUE_JOINED: f"{JOINED.timestamp():.3f}", v.CLIENT_CODE: "1000", v.CALLER_NUMBER: "+15145551234",
            **more}


async def test_the_first_join_starts_the_clock_and_waits_until_the_offer(serve, store):
    server = await server_for(serve, store, OFFERING)
    caller = Caller(variables={v.IVR_TARGET: "1000-accueil"})
    await call(server.port, agi_headers("overflow", "join"), otherwise=caller)
    assert caller.variables[v.QUEUE_HOPS] == "1000-accueil"
    assert caller.variables[v.QUEUE_JOINED] == f"{T0.timestamp():.3f}"
    assert caller.variables[v.QUEUE_TIMEOUT] == "30"  # the offer comes before the max wait
    assert caller.variables[v.QUEUE_POSITION] == ""


async def test_back_from_the_offer_the_clock_runs_on(serve, store):
    server = await server_for(serve, store, OFFERING)
    caller = Caller(variables=in_queue(**{v.CALLBACK_OFFERED: "1", v.QUEUE_POSITION: "2"}))
    await call(server.port, agi_headers("overflow", "join"), otherwise=caller)
    assert caller.variables[v.QUEUE_TIMEOUT] == "90"  # 120 s max wait, 30 s waited already
    assert caller.variables[v.QUEUE_POSITION] == "2"  # kept for Queue()
    assert v.QUEUE_JOINED not in caller.set_order


async def test_a_queue_with_no_settings_waits_without_limit(serve, store):
    server = await server_for(serve, store)
    caller = Caller(variables={v.IVR_TARGET: "other"})
    await call(server.port, agi_headers("overflow", "join"), otherwise=caller)
    assert caller.variables[v.QUEUE_TIMEOUT] == ""


@pytest.mark.parametrize("status", ["JOINEMPTY", "FULL", "TIMEOUT"])
async def test_a_caller_the_queue_cannot_place_overflows_where_it_says(serve, store, status):
    server = await server_for(serve, store, Queue("1000-accueil", "1000", max_wait_s=30,
                                                  overflow_action="queue", overflow_target="1000-nuit"))
    caller = Caller(variables=in_queue(status=status))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    got = {k: caller.variables[k] for k in (v.IVR_ACTION, v.IVR_TARGET, v.OVERFLOW_REASON, v.OVERFLOW_QUEUE)}
    assert got == {v.IVR_ACTION: "queue", v.IVR_TARGET: "1000-nuit", v.OVERFLOW_REASON: status,
                   v.OVERFLOW_QUEUE: "1000-accueil"}
    assert caller.set_order[-1] == v.IVR_ACTION
    assert caller.streamed == []


async def test_a_caller_hung_up_on_hears_why_first(serve, store):
    server = await server_for(serve, store, Queue("1000-accueil", "1000", overflow_action="hangup"))
    caller = Caller(variables=in_queue(status="FULL"))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.OVERFLOW_REASON]) == ("hangup", "FULL")
    assert caller.streamed == [f"{PROMPTS}/fr/callback-later"]


async def test_overflowing_back_to_a_queue_already_visited_is_refused(serve, store, caplog):
    server = await server_for(serve, store, Queue("1000-nuit", "1000", overflow_action="queue",
                                                  overflow_target="1000-accueil"))
    caller = Caller(variables=in_queue("1000-nuit", status="FULL", hops="1000-accueil,1000-nuit"))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.OVERFLOW_REASON]) == ("voicemail", "FULL")
    assert "overflow to 1000-accueil refused" in caplog.text


async def test_the_offer_accepted_reads_the_number_back_and_stores_the_request_with_the_callers_place(serve, store):
    server = await server_for(serve, store, OFFERING)
    caller = Caller(["1"], in_queue(status="TIMEOUT"))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert caller.streamed == [f"{PROMPTS}/fr/callback-offer", f"{PROMPTS}/fr/callback-confirm",
                               f"{PROMPTS}/fr/callback-thanks"]
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.OVERFLOW_REASON]) == ("callback", "CALLBACK")
    [request] = await store.read(lambda db: requests_of_call(db, LINKEDID))
    assert (request.number, request.queue, request.client_code, request.status) == (
        "+15145551234", "1000-accueil", "1000", "pending")
    assert request.queued_at == "2026-12-05T14:59:30.000Z"  # their place: when they joined the queue


async def test_a_withheld_caller_keys_in_the_number(serve, store):
    server = await server_for(serve, store, OFFERING)
    caller = Caller(["1", *"5145550000#"], in_queue(status="TIMEOUT", **{v.CALLER_NUMBER: ""}))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert f"{PROMPTS}/fr/callback-enter-number" in caller.streamed
    [request] = await store.read(lambda db: requests_of_call(db, LINKEDID))
    assert request.number == "+15145550000"


async def test_the_offer_declined_goes_back_before_the_callers_who_joined_later(serve, store):
    server = await server_for(serve, store, OFFERING)
    later = f"{(JOINED + timedelta(seconds=10)).timestamp():.3f}"
    earlier = f"{(JOINED - timedelta(seconds=10)).timestamp():.3f}"
    caller = Caller([None], in_queue(status="TIMEOUT", **{
        "QUEUE_WAITING_COUNT(1000-accueil)": "2",
        "QUEUE_GET_CHANNEL(1000-accueil,1)": "PJSIP/carrier-1", "QUEUE_GET_CHANNEL(1000-accueil,2)": "PJSIP/carrier-2",
        f"IMPORT(PJSIP/carrier-1,{v.QUEUE_JOINED})": earlier, f"IMPORT(PJSIP/carrier-2,{v.QUEUE_JOINED})": later}))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("queue", "1000-accueil")
    assert caller.variables[v.OVERFLOW_REASON] == ""  # no overflow: the dialplan sends no event
    assert caller.variables[v.QUEUE_POSITION] == "2"
    assert caller.variables[v.CALLBACK_OFFERED] == "1"
    assert caller.waits == [5000]
    assert await store.read(lambda db: requests_of_call(db, LINKEDID)) == []


async def test_a_callback_overflow_declined_leaves_a_message(serve, store):
    server = await server_for(serve, store, Queue("1000-accueil", "1000", overflow_action="callback",
                                                  callback_key="#"))
    caller = Caller(["1"], in_queue(status="FULL"))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.OVERFLOW_REASON]) == ("voicemail", "FULL")


async def test_without_a_dialer_no_callback_is_offered(serve, store):
    server = await server_for(serve, store, OFFERING, callbacks=False)
    caller = Caller(variables={v.IVR_TARGET: "1000-accueil"})
    await call(server.port, agi_headers("overflow", "join"), otherwise=caller)
    assert caller.variables[v.QUEUE_TIMEOUT] == "120"
    caller = Caller(variables=in_queue(status="TIMEOUT"))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert caller.variables[v.IVR_ACTION] == "voicemail" and caller.streamed == []


async def test_an_oncall_overflow_names_the_queues_schedule_over_an_earlier_exits(serve, store):
    await store.write(lambda db: oncall_schedules.add_schedule(db, "1000", "night"))
    server = await server_for(serve, store, Queue("1000-accueil", "1000", overflow_action="oncall",
                                                  overflow_schedule="night"),
                              Queue("1000-nuit", "1000", overflow_action="voicemail"))
    # The menu that sent the caller here named another schedule on its own oncall exit.
    caller = Caller(variables=in_queue(status="JOINEMPTY", **{v.IVR_ONCALL_SCHEDULE: "tech"}))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_ONCALL_SCHEDULE]) == ("oncall", "night")
    caller = Caller(variables=in_queue("1000-nuit", status="FULL", **{v.IVR_ONCALL_SCHEDULE: "tech"}))
    await call(server.port, agi_headers("overflow", "left"), otherwise=caller)
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_ONCALL_SCHEDULE]) == ("voicemail", "")
