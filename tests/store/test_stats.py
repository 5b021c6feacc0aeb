"""Statistics against figures worked out by hand (web/STATS.md gives the formulas)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from store import CallRecord, Scope, calls, ivr_path
from store.ivr_path import IvrStep
from store.stats import StatsQuery, call_stats
from tests.support import two_clients

TORONTO = ZoneInfo("America/Toronto")  # UTC-5 in early March (daylight saving time starts on the 8th)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
A, ALL = Scope.client("1000"), Scope.everything()
PERIOD = {"start": datetime(2026, 3, 2, tzinfo=TORONTO), "end": datetime(2026, 3, 4, tzinfo=TORONTO),
          "timezone": "America/Toronto"}


def _call(db, linkedid: str, started: str, disposition: str, client: str = "1000", **kw) -> None:
    calls.save_call(db, CallRecord(linkedid=linkedid, client_code=client, started_at=started,
                                   disposition=disposition, **kw))


def _choice(menu: str, node: str, digit: str, target: str) -> IvrStep:
    return IvrStep("t", menu, node, "menu", digit, f"choice {digit} -> {target}")


@pytest.fixture
def db(tmp_path):
    for db in two_clients(tmp_path):
        _call(db, "1", "2026-03-02T14:00:00.000Z", "answered", queue="sales", wait_s=10, talk_s=100,
              caller_number="+15145550001")
        _call(db, "2", "2026-03-02T14:20:00.000Z", "answered", queue="sales", wait_s=30, talk_s=200,
              caller_number="+15145550001")
        _call(db, "3", "2026-03-02T15:00:00.000Z", "abandoned_queue", queue="sales", wait_s=50,
              caller_number="+15145550002")
        _call(db, "4", "2026-03-03T04:30:00.000Z", "abandoned_ivr", caller_number="+15145550001")  # 23:30 local
        _call(db, "5", "2026-03-03T15:00:00.000Z", "answered", queue="support", wait_s=5, talk_s=60,
              caller_number="+15145550003")
        _call(db, "6", "2026-03-03T16:00:00.000Z", "voicemail", caller_number="+15145550002")
        _call(db, "7", "2026-03-03T17:00:00.000Z", "in_progress", queue="sales")  # not finished: not counted
        _call(db, "8", "2026-03-04T05:30:00.000Z", "answered")  # 00:30 on the 4th, local: after the period
        _call(db, "9", "2026-03-02T16:00:00.000Z", "answered", client="2000", queue="sales", wait_s=1, talk_s=9)
        _call(db, "10", "2026-03-02T16:00:00.000Z", "unknown_did", client=None)
        ivr_path.add_steps(db, "1", [IvrStep("t", "main", "lang", "language", "1", "choice 1 -> fr"),
                                     _choice("main", "top", "1", "sales")])
        ivr_path.add_steps(db, "2", [IvrStep("t", "main", "top", "menu", "*", "repeat"),
                                     _choice("main", "top", "1", "sales"), _choice("main", "top", "1", "sales")])
        ivr_path.add_steps(db, "4", [IvrStep("t", "main", "top", "menu", None, "timeout 1/3")])
        ivr_path.add_steps(db, "5", [_choice("main", "top", "2", "support")])
        ivr_path.add_steps(db, "9", [_choice("other", "top", "1", "sales")])
        yield db


def test_totals_per_client(db):
    stats = call_stats(db, A, StatsQuery(**PERIOD), now=NOW)
    t = stats["totals"]
    assert (t["offered"], t["answered"], t["abandoned"], t["abandoned_ivr"], t["abandoned_queue"]) == (6, 3, 2, 1, 1)
    assert (t["voicemail"], t["closed_hours"], t["failed"], t["queued"]) == (1, 0, 0, 4)
    assert t["abandon_rate"] == 0.3333 and t["queue_abandon_rate"] == 0.25
    assert t["answered_within_sl"] == 2 and t["service_level"] == 0.5  # waits 10 and 5 are within 20 s, 30 is not
    assert (t["wait_avg_s"], t["wait_p90_s"], t["wait_max_s"]) == (23.8, 50.0, 50.0)  # waits 5, 10, 30, 50
    assert (t["asa_s"], t["aht_s"], t["talk_total_s"]) == (15.0, 120.0, 360.0)
    assert stats["period"] == {"from": "2026-03-02T05:00:00.000Z", "to": "2026-03-04T05:00:00.000Z",
                               "timezone": "America/Toronto"}


def test_per_queue(db):
    queues = {q["queue"]: q for q in call_stats(db, A, StatsQuery(**PERIOD), now=NOW)["queues"]}
    assert set(queues) == {"sales", "support"}
    sales = queues["sales"]
    assert (sales["offered"], sales["answered"], sales["abandoned_queue"], sales["queued"]) == (3, 2, 1, 3)
    assert (sales["service_level"], sales["wait_avg_s"], sales["wait_p90_s"]) == (0.3333, 30.0, 50.0)
    assert queues["support"]["service_level"] == 1.0 and queues["support"]["wait_p90_s"] == 5.0
    only = call_stats(db, A, StatsQuery(**PERIOD, queue="sales"), now=NOW)
    assert only["totals"]["offered"] == 3 and [q["queue"] for q in only["queues"]] == ["sales"]


def test_per_hour_and_day_in_the_clients_time_zone(db):
    stats = call_stats(db, A, StatsQuery(**PERIOD), now=NOW)
    hours = {h["hour"]: (h["offered"], h["answered"], h["abandoned"]) for h in stats["per_hour"] if h["offered"]}
    assert hours == {9: (2, 2, 0), 10: (2, 1, 1), 11: (1, 0, 0), 23: (1, 0, 1)}
    assert len(stats["per_hour"]) == 24
    assert stats["per_day"] == [{"date": "2026-03-02", "offered": 4, "answered": 2, "abandoned": 2},
                                {"date": "2026-03-03", "offered": 2, "answered": 1, "abandoned": 0}]


def test_half_hour_zones_and_empty_days(db):
    calls.save_call(db, CallRecord(linkedid="nf", client_code="2000", started_at="2026-03-02T12:45:00.000Z",
                                   disposition="answered"))
    query = StatsQuery(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC), "America/St_Johns",
                       client_code="2000")
    stats = call_stats(db, ALL, query, now=NOW)
    hours = {h["hour"]: h["offered"] for h in stats["per_hour"] if h["offered"]}
    assert hours == {9: 1, 12: 1}  # 12:45Z is 09:15 in Newfoundland (UTC-3:30); 16:00Z is 12:30
    assert [d["date"] for d in stats["per_day"]] == ["2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03"]


def test_top_callers_and_contact_reasons(db):
    stats = call_stats(db, A, StatsQuery(**PERIOD, top=2), now=NOW)
    assert [(c["caller_number"], c["calls"], c["answered"]) for c in stats["top_callers"]] == [
        ("+15145550001", 3, 2), ("+15145550002", 2, 0)]
    assert stats["contact_reasons"] == [
        {"menu": "main", "node": "top", "digit": "1", "target": "sales", "calls": 2, "share": 0.3333},
        {"menu": "main", "node": "top", "digit": "2", "target": "support", "calls": 1, "share": 0.1667}]


def test_scope_window_and_service_level_per_client(db):
    other = call_stats(db, Scope.client("2000"), StatsQuery(**PERIOD), now=NOW)
    assert other["totals"]["offered"] == 1 and [r["menu"] for r in other["contact_reasons"]] == ["other"]
    everyone = call_stats(db, ALL, StatsQuery(**PERIOD), now=NOW)["totals"]
    assert everyone["offered"] == 7 and everyone["answered_within_sl"] == 3  # unknown_did is never offered
    db.execute("UPDATE clients SET service_level_s = 30 WHERE code = '1000'")
    assert call_stats(db, A, StatsQuery(**PERIOD), now=NOW)["totals"]["answered_within_sl"] == 3
    db.execute("UPDATE clients SET history_days = 1 WHERE code = '1000'")
    late = call_stats(db, A, StatsQuery(**PERIOD), now=datetime(2026, 3, 3, 15, 30, tzinfo=UTC))
    assert late["period"]["from"] == "2026-03-02T15:30:00.000Z" and late["totals"]["offered"] == 3  # calls 4, 5, 6
    assert call_stats(db, ALL, StatsQuery(**PERIOD), now=datetime(2027, 1, 1, tzinfo=UTC))["totals"]["offered"] == 7
    gone = call_stats(db, A, StatsQuery(**PERIOD), now=datetime(2027, 1, 1, tzinfo=UTC))  # all before the window
    assert gone["totals"]["offered"] == 0 and gone["per_day"] == [] and gone["period"]["from"] == gone["period"]["to"]


def test_an_empty_period_has_zeros_and_no_rates(db):
    empty = call_stats(db, A, StatsQuery(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC),
                                         "UTC"), now=datetime(2025, 1, 3, tzinfo=UTC))
    t = empty["totals"]
    assert t["offered"] == 0 and t["abandon_rate"] is None and t["service_level"] is None and t["wait_p90_s"] is None
    assert empty["queues"] == [] and empty["top_callers"] == [] and empty["contact_reasons"] == []
    assert empty["per_day"] == [{"date": "2025-01-01", "offered": 0, "answered": 0, "abandoned": 0}]
