"""The wallboard's row per queue in GET /api/live: live counts joined with the queue's day so far,
read from the store at most every refresh_s and once for every viewer."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer

from ami.live import LiveState
from store import CallRecord, Store, calls, clients, queues, users
from store.clock import iso
from store.passwords import hash_password
from store.queue_day import queue_days
from web import make_app
from web.wallboard import QueueDays, board


def _seed(db) -> None:
    clients.add_client(db, "1000", "A", timezone="UTC")  # UTC: "today" is the test's UTC day
    users.add_user(db, "root", hash_password("root-secret-3", log2_n=10), "admin")
    queues.save_queue(db, queues.Queue("tableau", "1000", label="Tableau", service_level_s=10))
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for i, (disposition, wait) in enumerate((("answered", 5), ("answered", 30), ("abandoned_queue", 40))):
        calls.save_call(db, CallRecord(linkedid=f"t{i}", client_code="1000", started_at=iso(today + timedelta(
            seconds=i)), disposition=disposition, queue="tableau", wait_s=wait, talk_s=60 if wait < 40 else None))
    calls.save_call(db, CallRecord(linkedid="y", client_code="1000", started_at=iso(today - timedelta(seconds=1)),
                                   disposition="answered", queue="tableau", wait_s=1, talk_s=9))  # yesterday


async def test_the_snapshot_carries_each_queues_day_and_follows_the_calls_written(tmp_path):
    store = Store(tmp_path / "live.sqlite3")
    store.open()
    await store.write(_seed)
    live = LiveState()
    live.feed({"Event": "QueueMemberAdded", "Queue": "tableau", "Interface": "PJSIP/301", "MemberName": "A 301",
               "Status": "1", "Paused": "0"}, "2026-01-01T00:00:00.000Z")
    client = TestClient(TestServer(make_app(store, tmp_path, live=live, live_refresh_s=0.2)))
    await client.start_server()
    try:
        login = await client.post("/api/login", json={"login": "root", "password": "root-secret-3"})
        resp = await client.get("/api/live", headers={"Authorization": f"Bearer {(await login.json())['token']}"})

        async def next_row() -> dict:
            while True:
                line = await asyncio.wait_for(resp.content.readline(), 5)
                if line.startswith(b"data: "):
                    return {row["queue"]: row for row in json.loads(line[6:])["board"]}["tableau"]

        row = await next_row()
        assert row["agents"] == {"logged_in": 1, "ready": 1, "ringing": 0, "on_call": 0, "wrap_up": 0,
                                 "not_ready": 0}
        assert (row["waiting"], row["oldest_queued_at"], row["label"]) == (0, None, "Tableau")
        day = row["today"]
        assert (day["offered"], day["answered"], day["abandoned"], day["answered_within_sl"]) == (3, 2, 1, 1)
        assert (day["service_level"], day["abandon_rate"], day["service_level_s"]) == (0.3333, 0.3333, 10)
        assert (day["wait_avg_s"], day["aht_s"], day["timezone"]) == (25.0, 60.0, "UTC")
        # A call the listener writes now: the next snapshot counts it, with no live event to wake the stream.
        await store.write(lambda db: calls.save_call(db, CallRecord(
            linkedid="t9", client_code="1000", disposition="answered",
            started_at=iso(datetime.now(UTC) - timedelta(seconds=1)),
            queue="tableau", wait_s=2, talk_s=30)))
        day = (await next_row())["today"]
        assert (day["offered"], day["answered"], day["answered_within_sl"], day["service_level"]) == (4, 3, 2, 0.5)
        # A caller joins: the live part moves at once.
        live.feed({"Event": "Newchannel", "Linkedid": "9.1", "Uniqueid": "9.1"}, "2026-01-01T00:00:01.000Z")
        live.feed({"Event": "QueueCallerJoin", "Linkedid": "9.1", "Queue": "tableau"}, "2026-01-01T00:00:02.000Z")
        while (row := await next_row())["waiting"] == 0:
            pass
        assert (row["waiting"], row["oldest_queued_at"]) == (1, "2026-01-01T00:00:02.000Z")
        resp.close()
    finally:
        await client.close()
        store.close()


async def test_the_day_is_read_once_per_refresh_for_every_viewer(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    reads: list[datetime] = []

    def counted(db, now: datetime) -> dict:
        reads.append(now)
        return queue_days(db, now)

    try:
        await store.write(lambda db: (clients.add_client(db, "1000", "A"),
                                      queues.save_queue(db, queues.Queue("tableau", "1000"))))
        days = QueueDays(store, refresh_s=0.3, compute=counted)
        answers = await asyncio.gather(*(days.current() for _ in range(20)))  # twenty viewers at once
        assert len(reads) == 1 and [version for version, _ in answers] == [1] * 20
        assert all(figures["tableau"]["offered"] == 0 for _, figures in answers)
        await asyncio.gather(*(days.current() for _ in range(20)))
        assert len(reads) == 1  # still fresh
        await asyncio.sleep(0.35)
        await asyncio.gather(*(days.current() for _ in range(20)))
        assert len(reads) == 2
    finally:
        store.close()


async def test_the_figures_version_moves_only_when_they_change(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        await store.write(lambda db: (clients.add_client(db, "1000", "A"),
                                      queues.save_queue(db, queues.Queue("tableau", "1000"))))
        days = QueueDays(store, refresh_s=0.0)
        version, figures = await days.current()
        assert figures["tableau"]["offered"] == 0
        assert (await days.current())[0] == version  # read again, the same: no new snapshot
        await store.write(lambda db: calls.save_call(db, CallRecord(
            linkedid="n", client_code="1000", disposition="answered",
            started_at=iso(datetime.now(UTC) - timedelta(seconds=1)),
            queue="tableau", wait_s=3)))
        version2, figures = await days.current()
        assert version2 == version + 1 and figures["tableau"]["offered"] == 1
    finally:
        store.close()


def test_the_board_counts_each_queues_agents_and_callers():
    snapshot = {
        "queues": {"b": [{"queued_at": "2026-01-01T00:00:01.000Z"}, {"queued_at": "2026-01-01T00:00:05.000Z"}]},
        "agents": [{"state": "ready", "queues": ["a", "b"]}, {"state": "on_call", "queues": ["b"]},
                   {"state": "not_ready", "queues": ["b"]}, {"state": "wrap_up", "queues": ["c"]}],
    }
    rows = {row["queue"]: row for row in board(snapshot, {"d": {"label": "D", "offered": 3}},
                                               datetime(2026, 1, 1, 12, tzinfo=UTC))}
    assert list(rows) == ["a", "b", "c", "d"]
    assert rows["b"]["agents"] == {"logged_in": 3, "ready": 1, "ringing": 0, "on_call": 1, "wrap_up": 0,
                                   "not_ready": 1}
    assert (rows["b"]["waiting"], rows["b"]["oldest_queued_at"]) == (2, "2026-01-01T00:00:01.000Z")
    # A queue the day's figures did not list: a shared one without calls today, counted in UTC.
    assert {k: rows["b"]["today"][k] for k in ("offered", "service_level", "timezone", "since", "service_level_s")} == {
        "offered": 0, "service_level": None, "timezone": "UTC", "since": "2026-01-01T00:00:00.000Z",
        "service_level_s": 20}
    assert rows["d"]["today"] == {"label": "D", "offered": 3} and rows["d"]["label"] == "D"
    assert rows["d"]["agents"]["logged_in"] == 0 and rows["c"]["agents"]["wrap_up"] == 1
