"""Screen pops of callback conversations from real captured AMI streams (tests/ami/fixtures/README.md:
agent 101 is originated for a callback of client 1000's reception queue, then the caller is dialled)
over a real store: the pop comes when the agent answers, before the caller is dialled, to agent 101
only, with the request's number, the client and the IVR path of the call the caller asked from; then
whether the caller answered or was not reached; then its end. The wrap-up the agent writes lands on
the conversation and shows on the original call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ami.live import LiveState
from ami.screenpop import ScreenPops
from store import CallRecord, Store, calls, clients, desk
from store import callbacks as cb
from store.clock import parse_iso
from store.infopages import parse_sections, set_infopages
from store.ivr_path import IvrStep, add_steps
from store.scope import Scope

from .replay import load_stream
from .test_screenpop import iso_time

STREAMS = Path(__file__).parent / "fixtures" / "streams"
SECTIONS = [{"kind": "hours", "title": {"fr": "Heures", "en": "Hours"}, "body": {"fr": "8 h à 17 h", "en": "8 to 5"}}]


def _conversation(events: list[dict[str, str]]) -> dict[str, str]:
    """The dialplan's word that the agent answered the callback: its linkedid, the original call, the channel."""
    return next(e for e in events if e.get("UserEvent") == "PermanenceCallback" and e.get("Status") == "AGENT")


def _seed(db, original: str, conversation: str, number: str) -> None:
    """The store as the back end had it when the agent was rung: the original call (its wait, its IVR
    path), the request from it and this attempt, an earlier call from the same number."""
    clients.add_client(db, "1000", "Plomberie Démo")
    clients.add_did(db, "+15145550100", "1000", "accueil")
    set_infopages(db, "1000", parse_sections(SECTIONS))
    national = number.removeprefix("+1")  # the history keeps the number as the caller's call came
    calls.save_call(db, CallRecord(linkedid=original, client_code="1000", started_at="2026-12-05T14:00:00Z",
                                   disposition="voicemail", caller_number=national, queue="1000-accueil",
                                   queued_at="2026-12-05T14:00:05Z", wait_s=9.5, did="+15145550100"))
    calls.save_call(db, CallRecord(linkedid="1795000000.1", client_code="1000", started_at="2026-11-01T10:00:00Z",
                                   disposition="answered", caller_number=national, agent="102"))
    add_steps(db, original, [IvrStep("2026-12-05T14:00:01Z", "demo", "langue", "language", "1", "choice 1"),
                             IvrStep("2026-12-05T14:00:03Z", "demo", "accueil", "menu", "1", "queue")])
    asked = datetime(2026, 12, 5, 14, 0, 15, tzinfo=UTC)
    request = cb.add_request(db, linkedid=original, client_code="1000", queue="1000-accueil", number=number,
                             language="fr", queued_at=asked - timedelta(seconds=10), now=asked)
    cb.start_attempt(db, request.id, linkedid=conversation, agent="101", now=asked + timedelta(minutes=1))


async def _replay(tmp_path: Path, stream: str, *, drain_each: bool) -> tuple[Store, ScreenPops, dict[str, str]]:
    events = load_stream(STREAMS / f"{stream}.jsonl")
    said = _conversation(events)
    number = next(e["DialString"] for e in events if e.get("Event") == "DialBegin" and e.get("Linkedid") ==
                  said["Linkedid"]).partition("sip:")[2].partition("@")[0]
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    await store.write(lambda db: _seed(db, said["Of"], said["Linkedid"], number))
    live = LiveState()
    pops = ScreenPops(store, live, "CA")
    for event in events:
        live.feed(event, iso_time(event))  # the event's own time, as the listener gives it
        pops.feed(event, iso_time(event))
        if drain_each:  # the pop read from the store at once; otherwise the call's news wait for it
            await pops.drain()
    await pops.drain()
    return store, pops, said


@pytest.mark.parametrize("drain_each", [True, False], ids=["pop-at-once", "pop-read-late"])
async def test_a_callback_pops_on_the_agents_answer_then_says_the_caller_answered(tmp_path, drain_each):
    store, pops, said = await _replay(tmp_path, "callback_connected", drain_each=drain_each)
    try:
        conversation, original = said["Linkedid"], said["Of"]
        assert [kind for _, kind, _ in pops.since("101", 0)] == ["pop", "callback", "ended"]
        assert pops.since("102", 0) == [] and pops.since("103", 0) == []  # only the agent called back
        (_, _, pop), (_, _, answered), (_, _, ended) = pops.since("101", 0)
        assert (pop["linkedid"], pop["agent"], pop["queue"]) == (conversation, "101", "1000-accueil")
        assert pop["at"] == iso_time(said)  # when the agent answered (the dialplan's AGENT event)
        assert pop["caller"]["number"].startswith("+1") and pop["caller"]["known"] is True
        assert [c["linkedid"] for c in pop["earlier_calls"]] == [original, "1795000000.1"]
        assert pop["client"]["code"] == "1000" and pop["client"]["infopages"] == SECTIONS
        assert pop["did"] == {"number": "+15145550100", "label": "accueil"}
        assert [(s["node"], s["digit"]) for s in pop["ivr_path"]] == [("langue", "1"), ("accueil", "1")]
        assert pop["callback"] == {
            "of": original, "of_started_at": "2026-12-05T14:00:00Z", "of_caller_number": pop["caller"]["number"][2:],
            "request": 1, "attempt": 1, "number": pop["caller"]["number"], "queue": "1000-accueil",
            "queued_at": "2026-12-05T14:00:05.000Z", "requested_at": "2026-12-05T14:00:15.000Z", "waited_s": 9.5,
            "caller": "dialling"}
        dial_end = next(e for e in load_stream(STREAMS / "callback_connected.jsonl")
                        if e.get("Event") == "DialEnd" and e.get("Channel") == said["Channel"])
        assert answered == {"linkedid": conversation, "caller": "answered", "status": "ANSWER",
                            "at": iso_time(dial_end)}
        assert parse_iso(pop["at"]) < parse_iso(answered["at"])  # popped before the caller was reached
        assert ended["linkedid"] == conversation and ended["caller"] == "answered" and int(ended["talk_s"]) > 3
        assert pops.current("101") is None and pops.channel("101") is None

        # The conversation is 101's to wrap up from the pop on; the original call's detail shows it.
        assert await store.read(lambda db: desk.reached(db, "101", conversation))
        assert not await store.read(lambda db: desk.reached(db, "102", conversation))
        assert not await store.read(lambda db: desk.reached(db, "101", original))
        await store.write(lambda db: desk.set_wrapup(db, conversation, "101", "alice101", "information_given",
                                                     "Rappelée : devis envoyé"))
        detail = await store.read(lambda db: calls.get_call(db, Scope.everything(), original))
        assert [(c["call"], c["agent"], c["wrapup"]["code"], c["wrapup"]["notes"]) for c in detail["callbacks"]] == [
            (conversation, "101", "information_given", "Rappelée : devis envoyé")]
    finally:
        store.close()


async def test_a_stream_opened_during_the_callback_sees_the_callers_answer(tmp_path):
    """The pop kept for a stream that opens late says what the caller did so far."""
    events = load_stream(STREAMS / "callback_connected.jsonl")
    said = _conversation(events)
    dial_end = next(i for i, e in enumerate(events) if e.get("Event") == "DialEnd" and e.get("Channel") ==
                    said["Channel"])
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        await store.write(lambda db: _seed(db, said["Of"], said["Linkedid"], "+15145552003"))
        live = LiveState()
        pops = ScreenPops(store, live, "CA")
        for event in events[:dial_end + 1]:
            live.feed(event, iso_time(event))
            pops.feed(event, iso_time(event))
            await pops.drain()
        current = pops.current("101")
        assert current is not None and current["linkedid"] == said["Linkedid"]
        assert (current["callback"]["caller"], current["callback"]["caller_status"]) == ("answered", "ANSWER")
        first = pops.since("101", 0)[0][2]
        assert first["callback"]["caller"] == "dialling"  # what was sent is not rewritten
    finally:
        store.close()


async def test_a_caller_not_reached_is_said_so_and_the_pop_ends(tmp_path):
    store, pops, said = await _replay(tmp_path, "callback_busy", drain_each=True)
    try:
        (_, kind, pop), (_, _, dialled), (_, _, ended) = pops.since("101", 0)
        assert kind == "pop" and pop["callback"]["of"] == said["Of"] and pop["callback"]["caller"] == "dialling"
        assert (dialled["caller"], dialled["status"]) == ("not_reached", "BUSY")
        assert (ended["linkedid"], ended["caller"], ended["talk_s"]) == (said["Linkedid"], "not_reached", "")
        assert pops.since("102", 0) == [] and pops.current("101") is None
    finally:
        store.close()


async def test_a_second_attempt_says_so(tmp_path):
    """The first try did not reach the caller, a try whose agent did not answer dialled nobody: this is
    the second time the caller is dialled."""
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        def seed(db) -> dict | None:
            clients.add_client(db, "1000", "Plomberie Démo")
            now = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
            request = cb.add_request(db, linkedid="1.1", client_code="1000", queue="q", number="+15145552003",
                                     language="fr", queued_at=now, now=now + timedelta(seconds=30))
            policy = cb.RetryPolicy(retry_after_s=0, agent_retry_s=0)
            for n, outcome in ((1, "no_answer"), (2, "agent_no_answer")):
                attempt = cb.start_attempt(db, request.id, linkedid=f"1.1-cb{n}", agent="101", now=now)
                cb.finish_attempt(db, attempt.id, outcome, now=now, policy=policy)
            cb.start_attempt(db, request.id, linkedid="1.1-cb3", agent="101", now=now)
            return cb.conversation_context(db, "1.1-cb3")

        context = await store.write(seed)
        assert context is not None and context["attempt"] == 2 and context["waited_s"] == 30.0
        assert context["of_started_at"] is None  # the original call not in the history: its request says
    finally:
        store.close()
