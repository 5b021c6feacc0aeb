"""Each queue's day so far (store.queue_day) against a brute-force count of the same calls in Python:
the day starts at midnight in the queue's client's zone, a shared queue's in UTC, and the service level
holds each call to its queue's threshold."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from store import CallRecord, calls, clients, queues
from store.clock import iso, parse_iso
from store.queue_day import day_start, queue_days
from tests.support import two_clients

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # Vancouver is UTC-7 (daylight saving time since the 8th)
VANCOUVER_MIDNIGHT = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
ZONES = {"1000": "America/Vancouver", "2000": "America/Toronto"}
# name: (client, threshold); "orphelin" has no definition (a name only a menu gives: shared, 20 s).
QUEUES = {"ventes": ("1000", 15), "soutien": ("2000", 30), "partage": (None, 25)}
TARGETS = {"ventes": 90, "soutien": 70}  # % answered within the threshold; others: the default 80
DISPOSITIONS = ("answered", "answered", "answered", "abandoned_queue", "abandoned_ivr", "voicemail", "failed",
                "in_progress", "unknown_did")


def _call(db, linkedid: str, started: datetime, disposition: str, client: str | None, queue: str | None,
          wait_s: float | None = None, talk_s: float | None = None) -> None:
    calls.save_call(db, CallRecord(linkedid=linkedid, started_at=iso(started), disposition=disposition,
                                   client_code=client, queue=queue, wait_s=wait_s, talk_s=talk_s))


@pytest.fixture
def db(tmp_path):
    for db in two_clients(tmp_path):
        for code, zone in ZONES.items():
            clients.update_client(db, code, timezone=zone)
        for name, (client, threshold) in QUEUES.items():
            queues.save_queue(db, queues.Queue(name, client, label=name.title(), service_level_s=threshold,
                                               service_level_pct=TARGETS.get(name, 80)))
        rng = random.Random(20260310)
        for i in range(600):
            started = NOW - timedelta(seconds=rng.randrange(-3600, 40 * 3600))  # a few after NOW: not yet
            queue = rng.choice([*QUEUES, "orphelin", None])
            client = QUEUES[queue][0] if queue in QUEUES and QUEUES[queue][0] else rng.choice(["1000", "2000"])
            disposition = rng.choice(DISPOSITIONS)
            wait = rng.choice([None, *range(0, 61)]) if queue else None
            talk = rng.choice([None, *range(1, 600)]) if disposition == "answered" else None
            _call(db, f"r{i}", started, disposition, client, queue, wait, talk)
        # Either side of the midnight of Vancouver's day: the last millisecond of yesterday, today's first.
        _call(db, "before", VANCOUVER_MIDNIGHT - timedelta(milliseconds=1), "answered", "1000", "ventes", 1, 10)
        _call(db, "at", VANCOUVER_MIDNIGHT, "answered", "1000", "ventes", 15, 20)
        yield db


def _brute_force(db, queue: str, zone: str, threshold: int) -> dict:
    """The figures counted one call at a time, straight from the rows."""
    today = NOW.astimezone(ZoneInfo(zone)).date()
    rows = [r for r in db.query("SELECT * FROM calls WHERE queue = ?", [queue])
            if parse_iso(r["started_at"]).astimezone(ZoneInfo(zone)).date() == today
            and parse_iso(r["started_at"]) < NOW and r["disposition"] not in ("in_progress", "unknown_did")]
    answered = [r for r in rows if r["disposition"] == "answered"]
    waits = [r["wait_s"] for r in rows if r["wait_s"] is not None]
    talks = [r["talk_s"] for r in answered if r["talk_s"] is not None]
    abandoned = sum(r["disposition"] in ("abandoned_ivr", "abandoned_queue") for r in rows)
    within = sum(r["wait_s"] is not None and r["wait_s"] <= threshold for r in answered)

    def mean(values: list) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    return {"offered": len(rows), "queued": len(rows), "answered": len(answered), "abandoned": abandoned,
            "answered_within_sl": within,
            "service_level": round(within / len(rows), 4) if rows else None,
            "abandon_rate": round(abandoned / len(rows), 4) if rows else None,
            "wait_avg_s": mean(waits), "wait_max_s": max(waits) if waits else None, "aht_s": mean(talks)}


def test_every_queue_matches_a_count_of_its_calls_since_its_local_midnight(db):
    days = queue_days(db, NOW)
    assert list(days) == ["orphelin", "partage", "soutien", "ventes"]
    expected_zones = {"ventes": "America/Vancouver", "soutien": "America/Toronto", "partage": "UTC",
                      "orphelin": "UTC"}
    for name, zone in expected_zones.items():
        threshold = QUEUES.get(name, (None, 20))[1]
        day = days[name]
        assert day["offered"] > 5, name  # the random calls do reach every queue today
        figures = {key: day[key] for key in _brute_force(db, name, zone, threshold)}
        assert figures == _brute_force(db, name, zone, threshold), name
        assert (day["timezone"], day["service_level_s"]) == (zone, threshold)
        assert day["since"] == iso(day_start(ZoneInfo(zone), NOW))
        assert day["service_level_target"] == TARGETS.get(name, 80) / 100
    assert days["ventes"]["since"] == "2026-03-10T07:00:00.000Z"
    assert days["partage"]["since"] == "2026-03-10T00:00:00.000Z"
    assert days["ventes"]["label"] == "Ventes" and days["orphelin"]["client_code"] is None


def test_the_day_starts_at_the_clients_midnight_not_before(db):
    before = queue_days(db, NOW)["ventes"]
    db.execute("DELETE FROM calls WHERE linkedid = 'before'")  # yesterday, local: nothing changes
    assert queue_days(db, NOW)["ventes"] == before
    db.execute("DELETE FROM calls WHERE linkedid = 'at'")  # today's first millisecond: counted
    after = queue_days(db, NOW)["ventes"]
    assert (after["offered"], after["answered"]) == (before["offered"] - 1, before["answered"] - 1)
    # That call waited 15 s: within ventes' 15 s, so it counted for the service level.
    assert after["answered_within_sl"] == before["answered_within_sl"] - 1


def test_a_shared_queue_counts_both_clients_calls_in_utc(db):
    db.execute("DELETE FROM calls WHERE queue = 'partage'")
    # 17:30 on the 9th in Vancouver, but today in UTC: counted.
    _call(db, "a", datetime(2026, 3, 10, 0, 30, tzinfo=UTC), "answered", "1000", "partage", 25, 60)
    _call(db, "b", datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "answered", "2000", "partage", 26, 120)
    _call(db, "c", datetime(2026, 3, 10, 10, 0, tzinfo=UTC), "abandoned_queue", "2000", "partage", 40)
    _call(db, "d", datetime(2026, 3, 9, 23, 59, tzinfo=UTC), "answered", "1000", "partage", 1, 5)  # yesterday, UTC
    day = queue_days(db, NOW)["partage"]
    assert (day["offered"], day["answered"], day["abandoned"]) == (3, 2, 1)
    # Held to the queue's 25 s, not the clients' 20 s: the 25 s wait is within, the 26 s one is not.
    assert (day["answered_within_sl"], day["service_level"], day["abandon_rate"]) == (1, 0.3333, 0.3333)
    assert (day["wait_avg_s"], day["aht_s"]) == (30.3, 90.0)


def test_a_queue_without_calls_today_is_listed_with_zeros(db):
    queues.save_queue(db, queues.Queue("calme", "2000", service_level_s=10))
    day = queue_days(db, NOW)["calme"]
    assert (day["offered"], day["answered"], day["answered_within_sl"]) == (0, 0, 0)
    assert (day["service_level"], day["abandon_rate"], day["wait_avg_s"], day["aht_s"]) == (None, None, None, None)
    assert day["timezone"] == "America/Toronto" and day["service_level_s"] == 10


def test_midnight_when_daylight_saving_time_begins():
    toronto = ZoneInfo("America/Toronto")
    assert iso(day_start(toronto, datetime(2026, 3, 8, 12, 0, tzinfo=UTC))) == "2026-03-08T05:00:00.000Z"
    assert iso(day_start(toronto, datetime(2026, 3, 9, 3, 0, tzinfo=UTC))) == "2026-03-08T05:00:00.000Z"
    assert iso(day_start(toronto, datetime(2026, 3, 9, 4, 0, tzinfo=UTC))) == "2026-03-09T04:00:00.000Z"
