"""CEL read back (ami/cel.py) and the reconciliation that recovers the calls AMI missed (ami/reconcile.py),
on CEL rows the real Asterisk wrote (fixtures/cel.sql, fixtures/README.md)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ami import CallListener, CallTracker, cel, make_client
from ami.cel import CelError, CelRow, by_call, parse_extra, read_rows, to_events, user_fields
from ami.reconcile import Reconciler, rebuild
from store import Scope, Store, calls, clients, listener_state

from .fake_ami import FakeAMI, block

FIXTURE = Path(__file__).parent / "fixtures" / "cel.sql"
GREETING, UNKNOWN, IVR, QUEUE = "1795455627.0", "1795455634.1", "1795455640.2", "1795455922.7"

# What the rebuild must give: CEL's own times (AMI's agree within a few ms), the AMI listener's fields.
NO_QUEUE = dict(queue=None, agent=None, queued_at=None, wait_s=None, talk_s=None, transfers=0)
EXPECTED = {
    GREETING: dict(client_code="3000", did="+15145550300", dialled="5145550300", caller_number="5145557001",
                   caller_name="Alice Greeting", started_at="2026-11-23T17:40:27.145Z",
                   answered_at="2026-11-23T17:40:27.150Z", ended_at="2026-11-23T17:40:34.067Z",
                   duration_s=6.922, disposition="answered", hangup_cause=16, recovered=True,
                   **NO_QUEUE, hangup_side="system"),
    UNKNOWN: dict(client_code=None, did="+15145550999", dialled="5145550999", caller_number="5145559999",
                  caller_name="Unknown Caller", started_at="2026-11-23T17:40:34.177Z", answered_at=None,
                  ended_at="2026-11-23T17:40:40.236Z", duration_s=6.059, disposition="unknown_did",
                  hangup_cause=1, recovered=True, **NO_QUEUE, hangup_side="system"),
    IVR: dict(client_code="1000", did="+15145550100", dialled="5145550100", caller_number="5145557003",
              caller_name="Côté Ivr", started_at="2026-11-23T17:40:40.350Z", answered_at="2026-11-23T17:40:40.354Z",
              ended_at="2026-11-23T17:40:50.677Z", duration_s=10.327, disposition="voicemail", hangup_cause=0,
              recovered=True, **NO_QUEUE, hangup_side="caller"),
    # through the queue to an agent: two channels, the call ends when the agent's hangs up too
    QUEUE: dict(client_code="1000", did="+15145550100", dialled="5145550100", caller_number="5145557004",
                caller_name="Queue Caller", started_at="2026-11-23T17:45:22.106Z",
                answered_at="2026-11-23T17:45:22.111Z", ended_at="2026-11-23T17:45:34.434Z", duration_s=12.328,
                disposition="answered", hangup_cause=16, recovered=True, transfers=0,
                # CEL has no queue events: the queue is the IVR's target, joined when the IVR sent the
                # caller there; the agent is the queue member's endpoint (this capture's was the carrier).
                queue="1000-accueil", agent="carrier", queued_at="2026-11-23T17:45:26.147Z", wait_s=0.006,
                talk_s=8.281, hangup_side="caller"),
}
RECORDINGS = {GREETING: ("3000/2026/11/23/1795455627.0.wav", 6.38), IVR: ("1000/2026/11/23/1795455640.2.wav", 9.84),
              QUEUE: ("1000/2026/11/23/1795455922.7.wav", 3.56)}


def cel_db(path: Path, upto: int | None = None) -> Path:
    """The fixture as the SQLite file Asterisk writes, optionally only its rows up to `upto`."""
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    if upto is not None:
        conn.execute("DELETE FROM cel WHERE AcctId > ?", [upto])
    conn.commit()
    conn.close()
    return path


def append_rows(path: Path, after: int) -> None:
    """Add the fixture's rows after `after` to a truncated copy: what Asterisk writes next."""
    full = sqlite3.connect(":memory:")
    full.executescript(FIXTURE.read_text(encoding="utf-8"))
    rows = full.execute("SELECT * FROM cel WHERE AcctId > ?", [after]).fetchall()
    conn = sqlite3.connect(path)
    conn.executemany(f"INSERT INTO cel VALUES ({', '.join('?' * len(rows[0]))})", rows)
    conn.commit()
    conn.close()


def write_wav(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\1\0" * int(8000 * seconds))


def rows_of(path: Path) -> list[CelRow]:
    return read_rows(path, 1)[1]


# --- reading and converting ---------------------------------------------------------------------------

def test_rows_are_read_from_a_position_in_pages(tmp_path):
    db = cel_db(tmp_path / "cel.db")
    top, rows = read_rows(db, 1)
    assert top == 33 and [r.rowid for r in rows] == list(range(1, 34))
    assert read_rows(db, 7, page=4) == (33, rows[6:])
    assert read_rows(db, 34) == (33, [])
    assert list(by_call(rows)) == [GREETING, UNKNOWN, IVR, QUEUE]
    assert rows[11].cidname == "Côté Ivr" and rows[1].kind == "USER_DEFINED" and rows[1].eventtype == "PermanenceCall"


def test_what_asterisk_22_writes_in_eventextra():
    conn = sqlite3.connect(":memory:")
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    extra = dict(conn.execute("SELECT AcctId, eventextra FROM cel WHERE eventextra != ''").fetchall())
    assert parse_extra(extra[2]) == {"extra": "Status: found,Client: 3000,DID: +15145550300,"
                                              "Recording: 3000/2026/11/23/1795455627.0,Menu: "}
    assert parse_extra(extra[4]) == {"hangupcause": 16, "hangupsource": "dialplan/builtin", "dialstatus": ""}
    assert parse_extra("not json") == {"extra": "not json"} and parse_extra("") == {}
    assert user_fields("Action: voicemail,Target: 1000,Closed: 0,Checkin: ") == {
        "Action": "voicemail", "Target": "1000", "Closed": "0", "Checkin": ""}


def test_each_cel_event_becomes_the_ami_event_the_tracker_reads(tmp_path):
    rows = rows_of(cel_db(tmp_path / "cel.db"))
    same = {"Linkedid": GREETING, "Uniqueid": GREETING, "Channel": "PJSIP/carrier-00000000"}
    assert to_events(rows[0]) == [{"Event": "Newchannel", **same, "Context": "permanence-inbound",
                                   "Exten": "5145550300", "Timestamp": "1795455627.145442",
                                   "CallerIDNum": "5145557001", "CallerIDName": "Alice Greeting"}]
    (user,) = to_events(rows[1])
    assert {k: user[k] for k in ("Event", "UserEvent", "Status", "Client", "DID", "Recording", "Menu",
                                 "Linkedid", "Timestamp")} == {
        "Event": "UserEvent", "UserEvent": "PermanenceCall", "Status": "found", "Client": "3000",
        "DID": "+15145550300", "Recording": "3000/2026/11/23/1795455627.0", "Menu": "", "Linkedid": GREETING,
        "Timestamp": "1795455627.150706"}
    assert to_events(rows[2])[0]["Event"] == "Newstate" and to_events(rows[2])[0]["ChannelState"] == "6"
    assert to_events(rows[3])[0]["Event"] == "Hangup" and to_events(rows[3])[0]["Cause"] == "16"
    assert to_events(rows[4]) == []  # CHAN_END: the HANGUP before it said everything
    assert to_events(rows[5])[0]["Event"] == "LinkedidEnd"
    assert to_events(rows[14])[0]["UserEvent"] == "PermanenceIvr" and to_events(rows[14])[0]["Action"] == "voicemail"


def test_a_caller_bridged_from_a_queue_is_an_agent_connect():
    row = CelRow(40, "BRIDGE_ENTER", "BRIDGE_ENTER", "1795455700.5", "9.1", "9.1", appname="Queue",
                 peer="PJSIP/agent1-0001")
    assert [e["Event"] for e in to_events(row)] == ["BridgeEnter", "AgentConnect"]
    assert [e["Event"] for e in to_events(CelRow(41, "BRIDGE_EXIT", "BRIDGE_EXIT", "1795455701", "9.1", "9.1"))] \
        == ["BridgeLeave"]


@pytest.mark.parametrize("linkedid", [GREETING, UNKNOWN, IVR, QUEUE])
def test_the_same_tracker_rebuilds_each_call_from_cel(tmp_path, linkedid):
    group = by_call(rows_of(cel_db(tmp_path / "cel.db")))[linkedid]
    finished = rebuild(group)
    assert finished is not None and finished.state.recovered
    s = EXPECTED[linkedid]
    assert (finished.state.client_code, finished.state.did, finished.state.disposition, finished.ended_at) == \
        (s["client_code"], s["did"], s["disposition"], s["ended_at"])
    assert finished.state.recording_file == (RECORDINGS[linkedid][0][:-4] if linkedid in RECORDINGS else None)


def test_a_call_cel_never_ended_is_closed_at_its_last_row_only_if_asked(tmp_path):
    cut = by_call(rows_of(cel_db(tmp_path / "cel.db")))[GREETING][:3]  # CHAN_START, PermanenceCall, ANSWER
    assert rebuild(cut) is None
    closed = rebuild(cut, close_at_end=True)
    assert closed.ended_at == "2026-11-23T17:40:27.150Z" and closed.state.disposition == "answered"


def test_the_tracker_closes_a_call_at_linkedid_end_even_without_a_hangup():
    tracker = CallTracker()
    now = datetime.now(UTC)
    tracker.feed({"Event": "Newchannel", "Linkedid": "1.1", "Uniqueid": "1.1", "Timestamp": "1795455627"}, now)
    (done,) = tracker.feed({"Event": "LinkedidEnd", "Linkedid": "1.1", "Timestamp": "1795455630"}, now)
    assert done.ended_at == "2026-11-23T17:40:30.000Z" and tracker.calls == {}


# --- reconciliation ------------------------------------------------------------------------------------

@pytest.fixture
async def setup(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    await store.write(lambda db: (clients.add_client(db, "1000", "Demo"), clients.add_client(db, "3000", "G")))
    for path, seconds in RECORDINGS.values():
        write_wav(tmp_path / "rec" / path, seconds)
    listener = CallListener(store, tmp_path / "rec", settle_timeout=0.5)
    try:
        yield store, listener
    finally:
        await listener.drain()
        store.close()


async def stored(store: Store) -> dict[str, dict]:
    rows = await store.read(lambda db: calls.list_calls(db, Scope.everything(), limit=100))
    return {r.pop("linkedid"): r for r in rows}


async def position(store: Store) -> str | None:
    return await store.read(lambda db: listener_state.get_position(db, "cel"))


async def test_calls_missed_by_ami_are_rebuilt_exactly_and_once(tmp_path, setup, caplog):
    store, listener = setup
    caplog.set_level("INFO")
    reconciler = Reconciler(listener, cel_db(tmp_path / "cel.db"))
    result = await reconciler.run_once()
    assert (result.rows, result.recovered, result.adopted, result.position) == (33, 4, 0, 34)
    assert "CEL reconciliation: 4 call(s) recovered" in caplog.text
    got = await stored(store)
    assert set(got) == set(EXPECTED)
    for linkedid, expected in EXPECTED.items():
        recs = got[linkedid].pop("recordings")
        assert got[linkedid] == expected, linkedid
        if linkedid in RECORDINGS:
            path, seconds = RECORDINGS[linkedid]
            size = (tmp_path / "rec" / path).stat().st_size
            assert [(r["size_bytes"], r["duration_s"], r["format"]) for r in recs] == [(size, seconds, "wav")]
            paths = await store.read(lambda db, i=linkedid: [r[0] for r in db.execute(
                "SELECT path FROM recordings WHERE linkedid = ?", [i])])
            assert paths == [path]
        else:
            assert recs == []
    assert await position(store) == "34"

    # twice: nothing changes, even from the start of CEL
    before = await stored(store)
    again = await Reconciler(listener, tmp_path / "cel.db").run_once()
    assert (again.rows, again.recovered, again.adopted, again.position) == (0, 0, 0, 34)
    await store.write(lambda db: listener_state.set_position(db, "cel", "1"))
    again = await Reconciler(listener, tmp_path / "cel.db").run_once()
    assert (again.rows, again.recovered, again.adopted, again.position) == (33, 0, 0, 34)
    assert await stored(store) == before


async def test_a_call_written_from_ami_is_not_rewritten(tmp_path, setup):
    store, listener = setup
    group = by_call(rows_of(cel_db(tmp_path / "cel.db")))[GREETING]
    for row in group:  # AMI saw this one
        for event in to_events(row):
            await listener.on_event(event)
    await listener.drain()
    result = await Reconciler(listener, tmp_path / "cel.db").run_once()
    assert result.recovered == 3
    got = await stored(store)
    assert got[GREETING]["recovered"] is False and got[UNKNOWN]["recovered"] is True


async def test_a_call_in_progress_is_adopted_and_completed_by_ami(tmp_path, setup):
    store, listener = setup
    db = cel_db(tmp_path / "cel.db", upto=14)  # the IVR call is answered and still in its menu
    reconciler = Reconciler(listener, db)
    result = await reconciler.run_once()
    assert (result.recovered, result.adopted, result.position) == (2, 1, 12)
    assert IVR in listener.tracker.calls and listener.tracker.calls[IVR].recovered
    assert await reconciler.run_once() == type(result)(3, 0, 0, 12)  # read again, changes nothing

    # AMI tells the rest; an event arriving while CEL is being read is held, then fed in order
    listener.hold()
    await listener.on_event({"Event": "UserEvent", "UserEvent": "PermanenceIvr", "Linkedid": IVR,
                             "Uniqueid": IVR, "Action": "voicemail", "Target": "1000", "Closed": "0"})
    assert listener.tracker.calls[IVR].ivr_action is None
    listener.release()
    assert listener.tracker.calls[IVR].ivr_action == "voicemail"
    await listener.on_event({"Event": "Hangup", "Linkedid": IVR, "Uniqueid": IVR, "Cause": "0",
                             "Timestamp": "1795455650.681"})
    await listener.drain()
    got = (await stored(store))[IVR]
    assert got["recovered"] is True and got["ended_at"] == "2026-11-23T17:40:50.681Z"
    assert got["disposition"] == "voicemail" and got["recordings"][0]["duration_s"] == 9.84

    append_rows(db, 14)  # Asterisk writes the end of the call
    final = await reconciler.run_once()
    assert (final.recovered, final.adopted, final.position) == (1, 0, 34)  # and the queue call after it
    assert (await stored(store))[IVR]["ended_at"] == "2026-11-23T17:40:50.681Z"


async def test_a_followed_call_that_ended_while_ami_was_away_is_rebuilt_from_cel(tmp_path, setup):
    store, listener = setup
    group = by_call(rows_of(cel_db(tmp_path / "cel.db")))[IVR]
    for row in group[:3]:  # AMI saw the start, then the connection dropped
        for event in to_events(row):
            await listener.on_event(event)
    result = await Reconciler(listener, tmp_path / "cel.db").run_once()
    assert result.recovered == 4 and IVR not in listener.tracker.calls
    assert (await stored(store))[IVR]["disposition"] == "voicemail"


async def test_a_call_that_just_ended_is_left_to_ami_if_it_follows_it(tmp_path, setup):
    _, listener = setup
    group = by_call(rows_of(cel_db(tmp_path / "cel.db")))[IVR]
    await listener.on_event(to_events(group[0])[0])
    reconciler = Reconciler(listener, tmp_path / "cel.db", ami_grace=1e12)
    result = await reconciler.run_once()
    assert (result.recovered, result.position) == (3, 12) and IVR in listener.tracker.calls


async def test_a_call_cel_never_ended_is_closed_once_stale(tmp_path, setup):
    store, listener = setup
    db = cel_db(tmp_path / "cel.db", upto=14)
    reconciler = Reconciler(listener, db, stale_after=5.0)
    assert (await reconciler.run_once()).adopted == 1
    append_rows(db, 14)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM cel WHERE AcctId > 15")
    conn.execute("INSERT INTO cel (eventtype, eventtime, linkedid, uniqueid) VALUES "
                 "('CHAN_START', '1795455700.0', '1795455700.9', '1795455700.9')")
    conn.commit()
    conn.close()
    # Asterisk lost the IVR call after its row 15; a call a minute later is the newest row
    result = await reconciler.run_once()
    assert (result.recovered, result.adopted, result.position) == (1, 1, 16)
    assert IVR not in listener.tracker.calls and "1795455700.9" in listener.tracker.calls
    got = (await stored(store))[IVR]
    assert got["ended_at"] == "2026-11-23T17:40:44.390Z" and got["recovered"] is True


async def test_a_missing_cel_database_is_said_once_and_changes_nothing(tmp_path, setup, caplog):
    store, listener = setup
    caplog.set_level("WARNING")
    reconciler = Reconciler(listener, tmp_path / "absent.db")
    assert await reconciler.run_logged() is None
    assert await reconciler.run_logged() is None
    assert caplog.text.count("CEL database") == 1 and "not found" in caplog.text
    assert await position(store) is None
    await listener.on_event({"Event": "Newchannel", "Linkedid": "5.5", "Uniqueid": "5.5"})
    assert "5.5" in listener.tracker.calls  # AMI events are not held any more


async def test_a_recreated_cel_database_is_read_from_its_start(tmp_path, setup, caplog):
    store, listener = setup
    await store.write(lambda db: listener_state.set_position(db, "cel", "500"))
    result = await Reconciler(listener, cel_db(tmp_path / "cel.db")).run_once()
    assert (result.recovered, result.position) == (4, 34) and "restarted" in caplog.text


def test_a_busy_cel_database_is_retried_then_given_up(tmp_path, monkeypatch):
    db = cel_db(tmp_path / "cel.db")
    writer = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN EXCLUSIVE")  # what Asterisk holds while it inserts
    threading.Timer(0.4, lambda: writer.execute("COMMIT")).start()
    started = time.monotonic()
    assert read_rows(db, 1)[0] == 33
    assert time.monotonic() - started >= 0.3
    writer.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(cel, "BUSY_ATTEMPTS", 2)
    try:
        with pytest.raises(CelError, match="busy"):
            read_rows(db, 1)
    finally:
        writer.execute("COMMIT")
        writer.close()


async def test_each_ami_connection_reconciles_and_ami_completes_the_adopted_call(tmp_path, setup):
    store, listener = setup
    fake = FakeAMI()
    await fake.start()
    db = cel_db(tmp_path / "cel.db", upto=14)  # the back end was down; the IVR call is still in its menu
    reconciler = Reconciler(listener, db)
    client = make_client(listener, "127.0.0.1", fake.port, "permanence", "secret-secret", 10.0,
                         on_connect=reconciler.on_connect)
    task = asyncio.create_task(client.run())

    async def written(*linkedids: str) -> dict[str, dict]:
        async with asyncio.timeout(5):
            while not set(linkedids) <= set(got := await stored(store)):
                await asyncio.sleep(0.05)
        return got

    try:
        await written(GREETING, UNKNOWN)
        assert IVR in listener.tracker.calls
        await fake.send(block(Event="UserEvent", UserEvent="PermanenceIvr", Linkedid=IVR, Uniqueid=IVR,
                              Action="voicemail", Target="1000", Closed="0"))
        await fake.send(block(Event="Hangup", Linkedid=IVR, Uniqueid=IVR, Cause="0", Timestamp="1795455650.680"))
        got = await written(IVR)
        assert (got[IVR]["disposition"], got[IVR]["ended_at"], got[IVR]["recovered"]) == \
            ("voicemail", "2026-11-23T17:40:50.680Z", True)

        append_rows(db, 14)  # more calls while the connection is down: the next connection finds them
        fake.drop_clients()
        got = await written(QUEUE)
        assert got[QUEUE]["disposition"] == "answered" and fake.logins == 2
        assert await position(store) == "34"
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await fake.close()
