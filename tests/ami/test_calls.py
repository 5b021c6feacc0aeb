from __future__ import annotations

import wave
from datetime import UTC, datetime

import pytest

from ami import CallListener, CallTracker
from store import Scope, Store, calls, clients

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ev(name: str, linkedid: str = "100.1", **fields: str) -> dict[str, str]:
    return {"Event": name, "Linkedid": linkedid, **fields}


def a_call(linkedid: str = "100.1", status: str = "found", answer: bool = True) -> list[dict[str, str]]:
    events = [
        ev("Newchannel", linkedid, Uniqueid=linkedid, CallerIDNum="5145551234", CallerIDName="Côté",
           Exten="5145550100", Timestamp="1795435200.000"),
        ev("UserEvent", linkedid, UserEvent="PermanenceCall", Status=status, Client="1000",
           DID="+15145550100", Recording=f"1000/2026/11/23/{linkedid}", Uniqueid=linkedid),
    ]
    if answer:
        events.append(ev("Newstate", linkedid, Uniqueid=linkedid, ChannelState="6", Timestamp="1795435200.500"))
    events.append(ev("Hangup", linkedid, Uniqueid=linkedid, Cause="16", Timestamp="1795435206.000"))
    return events


def test_a_call_is_finished_by_the_hangup_of_its_last_channel():
    tracker = CallTracker()
    finished = []
    events = a_call()
    # a second leg of the same call (e.g. an agent) keeps it open until it hangs up too
    events.insert(1, ev("Newchannel", "100.1", Uniqueid="100.2", Timestamp="1795435201.000"))
    events.append(ev("Hangup", "100.1", Uniqueid="100.2", Cause="16", Timestamp="1795435207.000"))
    for e in events[:-1]:
        finished += tracker.feed(e, T0)
    assert finished == [] and "100.1" in tracker.calls
    finished += tracker.feed(events[-1], T0)
    (call,) = finished
    s = call.state
    assert (s.client_code, s.did, s.caller_number, s.caller_name, s.dialled) == \
        ("1000", "+15145550100", "5145551234", "Côté", "5145550100")
    assert s.started_at == "2026-11-23T12:00:00.000Z" and s.answered_at == "2026-11-23T12:00:00.500Z"
    assert call.ended_at == "2026-11-23T12:00:07.000Z"
    assert s.disposition == "answered" and s.hangup_cause == 16
    assert tracker.calls == {}


@pytest.mark.parametrize(("status", "answer", "disposition"), [
    ("unknown", False, "unknown_did"), ("invalid", False, "unknown_did"), ("found", False, "failed"),
])
def test_dispositions(status, answer, disposition):
    tracker = CallTracker()
    out = [f for e in a_call(status=status, answer=answer) for f in tracker.feed(e, T0)]
    assert out[0].state.disposition == disposition


def test_events_of_unknown_calls_and_without_linkedid_are_ignored():
    tracker = CallTracker()
    assert tracker.feed({"Event": "Hangup", "Linkedid": "9.9", "Uniqueid": "9.9"}, T0) == []
    assert tracker.feed({"Event": "FullyBooted"}, T0) == []
    assert tracker.calls == {}


def test_time_falls_back_to_reception_when_the_stamp_is_bad():
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", Uniqueid="100.1", Timestamp="garbage"), T0)
    assert tracker.calls["100.1"].started_at == "2026-11-23T12:00:00.000Z"


async def _listener(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    await store.write(lambda db: clients.add_client(db, "1000", "A"))
    return store, CallListener(store, tmp_path / "rec", settle_timeout=0.5)


async def test_listener_writes_the_call_and_its_measured_recording(tmp_path):
    store, listener = await _listener(tmp_path)
    try:
        wav_path = tmp_path / "rec" / "1000/2026/11/23/100.1.wav"
        wav_path.parent.mkdir(parents=True)
        with wave.open(str(wav_path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\1\0" * 16000)
        for e in a_call():
            await listener.on_event(e)
        await listener.drain()
        call = await store.read(lambda db: calls.get_call(db, Scope.everything(), "100.1"))
        assert call["disposition"] == "answered" and call["duration_s"] == 6.0
        assert call["recordings"][0]["duration_s"] == 2.0
    finally:
        store.close()


async def test_a_missing_recording_is_reported_and_the_call_still_written(tmp_path, caplog):
    store, listener = await _listener(tmp_path)
    try:
        for e in a_call("200.1"):
            await listener.on_event(e)
        await listener.drain()
        call = await store.read(lambda db: calls.get_call(db, Scope.everything(), "200.1"))
        assert call is not None and call["recordings"] == []
        assert "recording 1000/2026/11/23/200.1 not usable" in caplog.text
    finally:
        store.close()


async def test_an_empty_recording_is_not_kept(tmp_path, caplog):
    store, listener = await _listener(tmp_path)
    try:
        wav_path = tmp_path / "rec" / "1000/2026/11/23/300.1.wav"
        wav_path.parent.mkdir(parents=True)
        with wave.open(str(wav_path), "wb") as w:  # a header, no audio: answered and gone at once
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
        for e in a_call("300.1"):
            await listener.on_event(e)
        await listener.drain()
        call = await store.read(lambda db: calls.get_call(db, Scope.everything(), "300.1"))
        assert call["recordings"] == []
        assert not wav_path.exists()
    finally:
        store.close()
