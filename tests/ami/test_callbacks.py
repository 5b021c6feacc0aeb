"""The callback scheduler against a real store and the live state fed AMI events, with a dialer that
records what it was asked: an idle agent of the queue first, the caller's place kept, one agent per
callback, the Originate it sends, and each outcome (answered, not answered, lost) leading where the
store's retry policy says."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ami.callbacks import CallbackScheduler, CallbackSettings
from ami.live import LiveState
from store import Store, calls, clients
from store import callbacks as cb
from store.calls import CallEvent, CallRecord

T0 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
QUEUE = "1000-accueil"


class FakeDialer:
    def __init__(self, answers: bool = True) -> None:
        self.answers = answers
        self.calls: list[dict] = []

    async def originate(self, fields: dict, timeout: float) -> bool:
        self.calls.append({**fields, "timeout": timeout})
        return self.answers


class RingingDialer(FakeDialer):
    """Answers once every phone asked for has been rung: the agents stay taken meanwhile."""

    def __init__(self, rings: int = 3) -> None:
        super().__init__()
        self.rings = rings
        self.all_rang = asyncio.Event()

    async def originate(self, fields: dict, timeout: float) -> bool:
        self.calls.append({**fields, "timeout": timeout})
        if len(self.calls) >= self.rings:
            self.all_rang.set()
        await asyncio.wait_for(self.all_rang.wait(), 5)
        return True


@pytest.fixture
async def store(tmp_path):
    st = Store(tmp_path / "s.sqlite3", readers=2)
    st.open()
    await st.write(lambda db: clients.add_client(db, "1000", "A"))
    yield st
    st.close()


def agent(live: LiveState, ext: str, status: str = "1", paused: str = "0", queue: str = QUEUE) -> None:
    live.feed({"Event": "QueueMemberStatus", "Queue": queue, "Interface": f"PJSIP/{ext}", "MemberName": ext,
               "Status": status, "Paused": paused}, T0.isoformat())


def waiting(live: LiveState, linkedid: str, queued_at: datetime) -> None:
    live.feed({"Event": "Newchannel", "Linkedid": linkedid, "Uniqueid": linkedid}, T0.isoformat())
    live.feed({"Event": "QueueCallerJoin", "Linkedid": linkedid, "Queue": QUEUE}, queued_at.isoformat())


async def request(store, linkedid="1.1", queued=T0):
    return await store.write(lambda db: cb.add_request(
        db, linkedid=linkedid, client_code="1000", queue=QUEUE, number="+15145551234", language="fr",
        queued_at=queued, now=queued + timedelta(seconds=40)))


def scheduler(store, live, dialer, now=T0 + timedelta(minutes=1)):
    settings = CallbackSettings(dial="PJSIP/carrier/sip:{number}@127.0.0.1:5099", ring_s=25, agent_ring_s=15,
                                policy=cb.RetryPolicy(max_attempts=2, retry_after_s=60), lost_after_s=300)
    return CallbackScheduler(store, live, dialer, settings, clock=lambda: now)


async def test_an_idle_agent_of_the_queue_is_called_first_with_the_caller_to_dial(store):
    live, dialer = LiveState(), FakeDialer()
    agent(live, "102", status="2")  # on a call
    agent(live, "103", paused="1")  # not ready
    agent(live, "104", queue="other")  # another queue
    agent(live, "101")  # idle
    req = await request(store)
    s = scheduler(store, live, dialer)
    await s.tick()
    await s.drain()
    [fields] = dialer.calls
    assert fields["Channel"] == "PJSIP/101"
    assert (fields["Context"], fields["Exten"], fields["Priority"]) == ("permanence-call", "callback", 1)
    assert fields["ChannelId"] == "1.1-cb1" and fields["Async"] == "false"
    assert fields["Timeout"] == 15000
    assert dict(p.split("=", 1) for p in fields["Variable"].split(",")) == {
        "CALLBACK_OF": "1.1", "CALLBACK_REQUEST": str(req.id), "CALLBACK_ATTEMPT": "1",
        "CALLBACK_DIAL": "PJSIP/carrier/sip:+15145551234@127.0.0.1:5099", "CALLBACK_RING_S": "25",
        "CLIENT_CODE": "1000", "DID": "", "RECORDING_FILE": "1000/2026/12/05/1.1-cb1"}
    [attempt] = await store.read(cb.open_attempts)  # answered: its outcome comes from the history
    assert (attempt.agent, attempt.linkedid) == ("101", "1.1-cb1")
    assert (await store.read(lambda db: cb.get_request(db, req.id))).status == "dialling"


async def test_callers_who_joined_earlier_keep_their_place_and_later_ones_do_not(store):
    live, dialer = LiveState(), FakeDialer()
    agent(live, "101")
    await request(store, queued=T0)
    waiting(live, "9.9", T0 - timedelta(seconds=5))  # waiting since before the callback's caller joined
    s = scheduler(store, live, dialer)
    await s.tick()
    assert dialer.calls == []
    live.feed({"Event": "QueueCallerLeave", "Linkedid": "9.9", "Queue": QUEUE}, T0.isoformat())
    waiting(live, "8.8", T0 + timedelta(seconds=5))  # joined after: the callback goes first
    await s.tick()
    await s.drain()
    assert len(dialer.calls) == 1


async def test_one_agent_per_callback_and_none_without_an_idle_agent(store):
    live, dialer = LiveState(), FakeDialer()
    await request(store, "1.1", T0)
    await request(store, "2.2", T0 + timedelta(seconds=1))
    s = scheduler(store, live, dialer)
    await s.tick()
    assert dialer.calls == []  # nobody ready
    agent(live, "101")
    s._ringing[999] = "PJSIP/none"
    await s.tick()
    await s.drain()
    assert [c["ChannelId"] for c in dialer.calls] == ["1.1-cb1"]  # the oldest place first, 2.2 waits


async def test_an_agent_who_does_not_answer_is_tried_again_later(store):
    live, dialer = LiveState(), FakeDialer(answers=False)
    agent(live, "101")
    req = await request(store)
    s = scheduler(store, live, dialer)
    await s.tick()
    await s.drain()
    got = await store.read(lambda db: cb.get_request(db, req.id))
    assert (got.status, got.attempts) == ("pending", 0)
    [attempt] = await store.read(lambda db: cb.attempts_of(db, req.id))
    assert attempt.outcome == "agent_no_answer"


async def test_the_outcome_is_read_from_the_conversation_in_the_history(store):
    live, dialer = LiveState(), FakeDialer()
    agent(live, "101")
    req = await request(store)
    s = scheduler(store, live, dialer)
    await s.tick()
    await s.drain()
    await s.tick()  # not in the history yet: still open
    assert len(await store.read(cb.open_attempts)) == 1
    record = CallRecord("1.1-cb1", T0.isoformat(), "answered", client_code="1000", events=(
        CallEvent("2026-12-05T15:01:01Z", "callback", "PJSIP/101-1", {"status": "AGENT"}),
        CallEvent("2026-12-05T15:02:00Z", "callback", "PJSIP/101-1", {"status": "ANSWER"})))
    await store.write(lambda db: calls.save_call(db, record))
    await s.tick()
    got = await store.read(lambda db: cb.get_request(db, req.id))
    assert (got.status, got.attempts) == ("connected", 1)


@pytest.mark.parametrize(("status", "outcome"), [("NOANSWER", "no_answer"), ("BUSY", "busy"),
                                                 ("CHANUNAVAIL", "failed")])
async def test_a_caller_not_reached_is_retried(store, status, outcome):
    live, dialer = LiveState(), FakeDialer()
    agent(live, "101")
    req = await request(store)
    s = scheduler(store, live, dialer)
    await s.tick()
    await s.drain()
    record = CallRecord("1.1-cb1", T0.isoformat(), "failed", client_code="1000", events=(
        CallEvent("2026-12-05T15:02:00Z", "callback", None, {"status": status}),))
    await store.write(lambda db: calls.save_call(db, record))
    await s.tick()
    got = await store.read(lambda db: cb.get_request(db, req.id))
    assert (got.status, got.attempts) == ("pending", 1)
    assert (await store.read(lambda db: cb.attempts_of(db, req.id)))[0].outcome == outcome


async def test_an_answered_attempt_never_written_is_lost_in_the_end(store):
    live, dialer = LiveState(), FakeDialer()
    agent(live, "101")
    req = await request(store)
    s = scheduler(store, live, dialer)
    await s.tick()
    await s.drain()
    late = scheduler(store, live, dialer, now=T0 + timedelta(minutes=10))
    await late.tick()
    await late.drain()
    assert (await store.read(lambda db: cb.attempts_of(db, req.id)))[0].outcome == "lost"


async def test_the_agent_called_has_the_lowest_penalty_then_was_ready_the_longest(store):
    from store import agents as store_agents

    def members(db):
        for ext, penalty in (("101", 5), ("102", 0), ("103", 0), ("104", 0)):
            store_agents.add_agent(db, ext, f"Agent {ext}", f"secret-secret-{ext}", "permanence")
            store_agents.add_member(db, QUEUE, ext, penalty)

    await store.write(members)
    live, dialer = LiveState(), RingingDialer()
    for ext, ready_at in (("101", 0), ("103", 20), ("102", 10), ("104", 30)):
        live.feed({"Event": "QueueMemberStatus", "Queue": QUEUE, "Interface": f"PJSIP/{ext}", "MemberName": ext,
                   "Status": "1", "Paused": "0"}, (T0 + timedelta(seconds=ready_at)).isoformat())
    await request(store, "1.1", T0)
    await request(store, "2.2", T0 + timedelta(seconds=1))
    await request(store, "3.3", T0 + timedelta(seconds=2))
    s = scheduler(store, live, dialer)
    await s.tick()  # the phones ring (their Originates wait): each agent taken once
    await s.drain()
    # 101 was ready first but its penalty is 5: the skilled ones (penalty 0) first, longest ready first.
    assert [(c["ChannelId"], c["Channel"]) for c in dialer.calls] == [
        ("1.1-cb1", "PJSIP/102"), ("2.2-cb1", "PJSIP/103"), ("3.3-cb1", "PJSIP/104")]
